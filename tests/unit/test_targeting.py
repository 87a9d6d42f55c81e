"""Recall targeting by expected incremental profit (ml.targeting): the most profitable variant
per candidate, positive profit only, the budget cut, and the planted profit of a selection;
on synthetic campaigns with planted effects, targeting by the planted effects (the oracle)
bounds the model's and the layer x type average's targeting from above."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.targeting import NO_CONTACT, choose_variants, realised_profit, variant_costs
from ml.uplift import PLANTED_MATCH, GroupAverageUplift, make_assignments

VARIANTS = ["coupon@email", "agent@phone"]
COSTS = {"coupon@email": 1.0, "agent@phone": 8.0}


def _uplift(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"uplift_{v}" for v in VARIANTS],
                        index=[f"c{i}" for i in range(len(rows))])


def test_each_candidate_gets_its_most_profitable_variant_and_losses_are_not_contacted():
    uplift = _uplift([[0.10, 0.12], [0.02, 0.30], [0.001, 0.0], [0.05, 0.05]])
    value = pd.Series([100.0, 100.0, 100.0, 0.0], index=uplift.index)
    out = choose_variants(uplift, value, COSTS, variants=VARIANTS)
    # profits: c0 9 vs 4 -> coupon; c1 1 vs 22 -> agent; c2 -0.9 vs -8; c3 -1 vs -8
    assert out.variant.tolist() == ["coupon@email", "agent@phone", NO_CONTACT, NO_CONTACT]
    assert out.expected_profit.round(6).tolist() == [9.0, 22.0, -0.9, -1.0]
    assert out.is_selected.tolist() == [True, True, False, False]
    assert out.contact_cost.tolist() == [1.0, 8.0, 0.0, 0.0]
    assert out.loc["c1", "expected_uplift"] == pytest.approx(0.30)


def test_budget_takes_candidates_by_decreasing_profit_and_skips_what_does_not_fit():
    uplift = _uplift([[0.10, 0.0], [0.0, 0.30], [0.08, 0.0], [0.05, 0.0]])
    value = pd.Series(100.0, index=uplift.index)
    out = choose_variants(uplift, value, COSTS, variants=VARIANTS, budget=3.0)
    # by profit: c1 (22, costs 8: does not fit), c0 (9), c2 (7), c3 (4): 1 + 1 + 1 = 3
    assert out.profit_rank.tolist() == [2, 1, 3, 4]
    assert out.is_selected.tolist() == [True, False, True, True]
    assert out.loc[out.is_selected, "contact_cost"].sum() <= 3.0


def test_realised_profit_uses_the_true_effect_of_the_chosen_variant():
    uplift = _uplift([[0.10, 0.0], [0.0, 0.30]])
    value = pd.Series([100.0, 50.0], index=uplift.index)
    truth = _uplift([[0.02, 0.5], [0.0, 0.10]])
    out = choose_variants(uplift, value, COSTS, variants=VARIANTS)
    assert realised_profit(out, truth) == pytest.approx((0.02 * 100 - 1) + (0.10 * 50 - 8))


def test_bad_inputs_are_refused_by_name():
    uplift = _uplift([[0.1, np.nan]])
    value = pd.Series([1.0], index=uplift.index)
    with pytest.raises(ValueError, match="missing uplift"):
        choose_variants(uplift, value, COSTS, variants=VARIANTS)
    with pytest.raises(ValueError, match=r"no contact cost for variant\(s\) \['agent@phone'\]"):
        choose_variants(_uplift([[0.1, 0.2]]), value, {"coupon@email": 1}, variants=VARIANTS)
    with pytest.raises(ValueError, match="lacks column"):
        choose_variants(_uplift([[0.1, 0.2]]), value, COSTS, variants=[*VARIANTS, "x@sms"])


def test_on_planted_effects_the_oracle_bounds_the_layer_type_average():
    """Same budget, same candidates: targeting by the planted effects earns the most planted
    profit; the layer x type average earns less but clearly more than random targeting."""
    variants = list(PLANTED_MATCH)
    costs = {v: 1.0 for v in variants}
    train = make_assignments(20_000, seed=0)
    candidates = make_assignments(5_000, seed=1)
    truth = candidates[[f"true_uplift_{v}" for v in variants]].rename(
        columns=lambda c: c.removeprefix("true_"))
    value = candidates["pre_churn_gmv"]
    group = GroupAverageUplift().fit(train).predict(candidates)
    rng = np.random.default_rng(2)
    random = pd.DataFrame(rng.random((len(candidates), len(variants))),
                          columns=truth.columns, index=candidates.index)
    budget = 0.2 * len(candidates)
    profit = {name: realised_profit(choose_variants(u, value, costs, variants=variants,
                                                    budget=budget), truth)
              for name, u in (("oracle", truth), ("group", group), ("random", random))}
    assert profit["oracle"] >= profit["group"] > profit["random"], profit
    assert profit["group"] > 0.5 * profit["oracle"], profit


def test_variant_costs_come_from_the_channel_in_the_variant_name():
    costs = variant_costs(["coupon@sms", "content"], {"sms": 0.08, "email": 0.05})
    assert costs == {"coupon@sms": 0.08, "content": 0.05}
    with pytest.raises(ValueError, match="no contact cost for channel 'fax'"):
        variant_costs(["coupon@fax"], {"sms": 0.08})
