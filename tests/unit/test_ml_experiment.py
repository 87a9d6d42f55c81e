"""ml.experiment against textbook values computed by hand (no statsmodels)."""

from __future__ import annotations

import math

import pytest

from ml import experiment


def test_equal_arms_textbook_sample_size():
    # Fleiss (no continuity correction): p1 = 0.10, p2 = 0.15, alpha 0.05 two-sided, power 0.8
    # n = (1.95996*sqrt(2*0.125*0.875) + 0.84162*sqrt(0.09 + 0.1275))^2 / 0.05^2 = 685.6 -> 686
    size = experiment.sample_size_per_arm(0.10, 0.05, alpha=0.05, power=0.8, control_share=0.5)
    assert (size.n_treatment, size.n_control) == (686, 686)


def test_unpooled_hand_formula_is_close():
    # the simpler unpooled formula (z_a + z_b)^2 * (p1 q1 + p2 q2) / d^2 gives 683
    z_a, z_b = 1.959964, 0.841621
    hand = (z_a + z_b) ** 2 * (0.10 * 0.90 + 0.15 * 0.85) / 0.05 ** 2
    size = experiment.sample_size_per_arm(0.10, 0.05, control_share=0.5)
    assert math.ceil(hand) == 683
    assert abs(size.n_control - hand) < 5


def test_holdout_share_is_respected_and_costs_customers():
    equal = experiment.sample_size_per_arm(0.11, 0.07, control_share=0.5)
    holdout = experiment.sample_size_per_arm(0.11, 0.07, control_share=0.1)
    assert holdout.n_control / holdout.n_total == pytest.approx(0.1, abs=0.01)
    assert holdout.n_total > equal.n_total  # unequal allocation needs more customers


@pytest.mark.parametrize("base, mde, share", [(0.10, 0.05, 0.5), (0.11, 0.07, 0.1), (0.3, 0.02, 0.2)])
def test_mde_inverts_sample_size(base, mde, share):
    size = experiment.sample_size_per_arm(base, mde, control_share=share)
    found = experiment.minimum_detectable_effect(size.n_treatment, size.n_control, base)
    assert found <= mde + 1e-9  # sizes are rounded up, so a bit more sensitive
    assert found == pytest.approx(mde, rel=0.02)


def test_mde_shrinks_with_sample_size():
    small = experiment.minimum_detectable_effect(500, 500, 0.1)
    large = experiment.minimum_detectable_effect(5000, 5000, 0.1)
    assert large < small
    assert large == pytest.approx(small / math.sqrt(10), rel=0.15)


def test_newcombe_interval_matches_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:873, Table II, method 10
    a = experiment.uplift_interval(56, 70, 48, 80)
    assert (round(a.lower, 4), round(a.upper, 4)) == (0.0524, 0.3339)
    b = experiment.uplift_interval(9, 10, 3, 10)
    assert (round(b.lower, 4), round(b.upper, 4)) == (0.1705, 0.8090)
    e = experiment.uplift_interval(5, 56, 0, 29)
    assert (round(e.lower, 4), round(e.upper, 4)) == (-0.0381, 0.1926)


def test_wald_interval_by_hand():
    u = experiment.uplift_interval(56, 70, 48, 80, method="wald")
    half = 1.959964 * math.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80)
    assert u.uplift == pytest.approx(0.2)
    assert u.lower == pytest.approx(0.2 - half, abs=1e-5)
    assert u.upper == pytest.approx(0.2 + half, abs=1e-5)
    assert (round(u.lower, 4), round(u.upper, 4)) == (0.0575, 0.3425)


def test_p_value_of_pooled_z_test_by_hand():
    u = experiment.uplift_interval(180, 1000, 110, 1000)
    pooled = 290 / 2000
    z = 0.07 / math.sqrt(pooled * (1 - pooled) * 2 / 1000)
    assert u.p_value == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-6)
    assert u.p_value < 0.001 and u.lower > 0


def test_wilson_interval_by_hand():
    # 0 of 10: Wilson upper bound = z^2 / (n + z^2)
    lower, upper = experiment.wilson_interval(0, 10)
    assert lower == pytest.approx(0.0, abs=1e-12)
    assert upper == pytest.approx(1.959964 ** 2 / (10 + 1.959964 ** 2), abs=1e-6)


@pytest.mark.parametrize("kwargs", [{"base_rate": 0.0, "mde": 0.1},
                                    {"base_rate": 0.9, "mde": 0.2},
                                    {"base_rate": 0.1, "mde": 0.0}])
def test_sample_size_refuses_impossible_inputs(kwargs):
    with pytest.raises(ValueError):
        experiment.sample_size_per_arm(**kwargs)


def test_mde_at_a_zero_base_rate_is_positive_and_solves_the_equation():
    # no control conversion observed yet (recall_segments' layers before a completed wave can
    # have a control rate of 0): the alternative's variance keeps the effect positive
    mde = experiment.minimum_detectable_effect(90, 10, 0.0)
    assert 0 < mde < 1
    p_t, n_t, n_c = mde, 90, 10
    pbar = n_t * p_t / (n_t + n_c)
    gap = (1.959964 * math.sqrt(pbar * (1 - pbar) * (1 / n_t + 1 / n_c))
           + 0.841621 * math.sqrt(p_t * (1 - p_t) / n_t))
    assert gap == pytest.approx(mde, abs=1e-6)


def test_mde_at_a_base_rate_of_one_is_undetectable():
    assert math.isnan(experiment.minimum_detectable_effect(100, 100, 1.0))


@pytest.mark.parametrize("base_rate", [-0.1, 1.2])
def test_mde_refuses_base_rates_outside_0_1(base_rate):
    with pytest.raises(ValueError, match="base_rate"):
        experiment.minimum_detectable_effect(100, 100, base_rate)
