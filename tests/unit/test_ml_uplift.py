"""ml.uplift: the meta-learner recovers planted per-customer effects; metrics match hand sums.

Recovery runs on `make_assignments` (planted effect = layer x variant-by-churn-type match x
recency fade x value x channel, so it varies within every layer x churn type): 60,000 training
assignments and 200,000 held-out ones, seed 0 (docs/uplift.md has seeds 0-2).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ml import uplift
from ml.uplift import (GroupAverageUplift, UpliftModel, auuc, make_assignments,
                       qini_coefficient, qini_curve, uplift_at_k)

SEEDS = (0,)
TRAIN_ROWS, TEST_ROWS = 60_000, 200_000
VARIANTS = tuple(uplift.PLANTED_MATCH)
FEATURES = list(uplift.SYNTHETIC_FEATURES)


# --- metrics on tiny hand-computed examples ---------------------------------------------------

def test_qini_curve_and_areas_match_hand_computation():
    # order by score: (t=1, y=1), (t=0, y=0), (t=1, y=0), (t=0, y=1); n = 4
    score, treated, outcome = [4, 3, 2, 1], [1, 0, 1, 0], [1, 0, 0, 1]
    curve = qini_curve(score, treated, outcome)
    assert curve["n"].tolist() == [0, 1, 2, 3, 4]
    # qini(k) = Y_t - Y_c * N_t / N_c (0 controls: 0): 1, 1 - 0, 1 - 0 * 2, 1 - 1 * 2 / 2
    assert curve["qini"].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    # gain(k) = (rate_t - rate_c) * k / n: no control yet, 1 * 2/4, 0.5 * 3/4, 0 * 1
    np.testing.assert_allclose(curve["gain"], [0.0, 0.0, 0.5, 0.375, 0.0])
    # random line ends at 0, so the Qini coefficient is the trapezoid area of qini / 4
    assert qini_coefficient(score, treated, outcome) == pytest.approx(
        0.25 * (0.125 + 0.25 + 0.25 + 0.125))
    assert auuc(score, treated, outcome) == pytest.approx(0.25 * (0 + 0.25 + 0.4375 + 0.1875))


def test_ties_are_targeted_together_whatever_the_row_order():
    score, treated, outcome = [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 0]
    curve = qini_curve(score, treated, outcome)
    assert curve["n"].tolist() == [0, 2, 4]
    assert curve["qini"].tolist() == [0.0, 1.0, 1.0]
    # qini / n = 0, .25, .25 against the random line 0, .125, .25: area .5 * (.125 / 2) * 2
    assert qini_coefficient(score, treated, outcome) == pytest.approx(0.0625)
    flipped = [1, 0, 3, 2]
    assert qini_coefficient(np.take(score, flipped), np.take(treated, flipped),
                            np.take(outcome, flipped)) == pytest.approx(0.0625)


def test_uplift_at_k_is_the_rate_difference_in_the_top():
    score = np.arange(10, 0, -1)
    treated = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0])
    outcome = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1, 1])
    assert uplift_at_k(score, treated, outcome, 0.2) == pytest.approx(1.0 - 0.0)
    assert uplift_at_k(score, treated, outcome, 0.3) == pytest.approx(1.0 - 0.0)
    assert uplift_at_k(score, treated, outcome, 0.5) == pytest.approx(2 / 3 - 1 / 2)
    assert np.isnan(uplift_at_k(score, treated, outcome, 0.1))  # one treated row, no control


def test_metric_inputs_are_checked():
    with pytest.raises(ValueError, match="equal length"):
        qini_curve([1, 2], [1, 0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="treated must be 0/1; 1 value"):
        qini_curve([1, 2, 3], [1, 2, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="2 NaN"):
        qini_curve([np.nan, np.nan, 1], [1, 0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="k must lie"):
        uplift_at_k([1, 2], [1, 0], [0, 1], 0)


def test_group_average_is_the_training_rate_difference_per_group():
    train = pd.DataFrame({
        "layer": ["base"] * 6 + ["core"] * 4,
        "churn_type": ["silent"] * 10,
        "variant": ["a", "a", None, "control", "b", "b", "a", "control", "a", "control"],
        "returned": [1, 1, 0, 1, 1, 0, 1, 0, 0, 0],
    })
    model = GroupAverageUplift().fit(train)
    test = pd.DataFrame({"layer": ["base", "core", "advanced"], "churn_type": ["silent"] * 3})
    got = model.predict(test)
    # base: a 2/2 - control 1/2; b 1/2 - 1/2. core: a 1/2 - 0/2; b never seen -> overall b
    np.testing.assert_allclose(got["uplift_a"], [0.5, 0.5, 4 / 4 * 3 / 4 - 1 / 4 - 0.5 + 0.5])
    np.testing.assert_allclose(got["uplift_b"], [0.0, 0.5 - 0.25, 0.5 - 0.25])


# --- bad input -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    return make_assignments(4_000, seed=5)


def test_no_control_rows_is_refused(small):
    treated_only = small[small["variant"] != "control"]
    with pytest.raises(ValueError, match=f"no control rows .* among {len(treated_only):,} rows"):
        UpliftModel().fit(treated_only, FEATURES)


def test_a_small_variant_is_refused_with_its_name_and_count(small):
    frame = small.copy()
    few = frame.index[frame["variant"] == "price_match"][:57]
    frame = frame[(frame["variant"] != "price_match") | frame.index.isin(few)]
    with pytest.raises(ValueError, match="'price_match' has 57.*min_rows_per_arm=200"):
        UpliftModel().fit(frame, FEATURES)


def test_a_small_control_group_is_refused(small):
    frame = pd.concat([small[small["variant"] != "control"],
                       small[small["variant"] == "control"].head(150)])
    with pytest.raises(ValueError, match="control group has 150 rows"):
        UpliftModel(min_rows_per_arm=200).fit(frame, FEATURES)


def test_missing_feature_columns_are_named_and_counted(small):
    with pytest.raises(ValueError, match=r"2 feature column\(s\) missing.*'nope', 'also_not'"):
        UpliftModel().fit(small, [*FEATURES, "nope", "also_not"])
    model = UpliftModel(max_rounds=20).fit(small, FEATURES)
    with pytest.raises(ValueError, match=r"1 feature column\(s\) missing.*'tenure_days'"):
        model.predict(small.drop(columns="tenure_days"))


def test_outcome_must_be_binary(small):
    frame = small.assign(returned=small["returned"].astype(float))
    frame.loc[frame.index[:3], "returned"] = 2.0
    with pytest.raises(ValueError, match="'returned' must be 0/1; 3 value"):
        UpliftModel().fit(frame, FEATURES)


def test_unknown_learner_and_unfitted_model():
    with pytest.raises(ValueError, match="unknown learner 's'"):
        UpliftModel(learner="s")
    with pytest.raises(RuntimeError, match="not fitted"):
        UpliftModel().predict(pd.DataFrame({"a": [1.0]}))


def test_none_variant_counts_as_control_and_output_columns(small):
    frame = small.assign(variant=small["variant"].where(small["variant"] != "control", None))
    model = UpliftModel(max_rounds=20, threads=1).fit(frame, FEATURES)
    assert model.variants == sorted(VARIANTS)
    pred = model.predict(small.head(50))
    expected = ["p_control", *(f"{kind}_{v}" for v in sorted(VARIANTS)
                               for kind in ("p", "uplift"))]
    assert list(pred.columns) == expected
    assert pred.index.equals(small.head(50).index)
    for v in VARIANTS:
        np.testing.assert_allclose(pred[f"uplift_{v}"], pred[f"p_{v}"] - pred["p_control"])
        assert pred[f"p_{v}"].between(0, 1).all()
    assert model.best_iterations["mu_control"] < 20
    assert set(model.best_variant(small.head(50), min_uplift=1.0)) == {"control"}


def test_fit_is_deterministic_with_a_seed(small):
    first = UpliftModel(seed=3, threads=2).fit(small, FEATURES).predict(small)
    again = UpliftModel(seed=3, threads=2).fit(small, FEATURES).predict(small)
    pd.testing.assert_frame_equal(first, again)
    other = UpliftModel(seed=4, threads=2).fit(small, FEATURES).predict(small)
    assert not np.allclose(first.to_numpy(), other.to_numpy())  # the seed is really used


def test_importing_uplift_loads_no_heavy_library(tmp_path):
    code = ("import json, sys\nimport ml.uplift\n"
            "print(json.dumps(sorted(m for m in ('mlflow', 'xgboost', 'sklearn', 'matplotlib',"
            " 'dagster') if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert list(tmp_path.iterdir()) == []


def test_qini_plot_writes_a_png(tmp_path, small):
    treated = (small["variant"] == "price_match").astype(int)
    path = uplift.qini_plot({"planted": small["true_uplift_price_match"].to_numpy(),
                             "random": uplift.random_scores(len(small))},
                            treated, small["returned"], tmp_path / "plots" / "qini.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- recovery of the planted effect ----------------------------------------------------------

def _expected_qini(pred, train, test, seed):
    group = GroupAverageUplift().fit(train).predict(test)
    out = {}
    for i, v in enumerate(VARIANTS):
        keep = test["variant"].isin([v, "control"]).to_numpy()
        treated = (test["variant"][keep] == v).to_numpy(dtype=int)
        p_control = test["p_control_true"][keep].to_numpy()
        expected = p_control + treated * test[f"true_uplift_{v}"][keep].to_numpy()
        out[v] = {name: qini_coefficient(score[keep], treated, expected) for name, score in (
            ("model", pred[f"uplift_{v}"].to_numpy()),
            ("group_average", group[f"uplift_{v}"].to_numpy()),
            ("random", uplift.random_scores(len(test), seed + i)))}
    return out


@pytest.fixture(scope="module")
def recovery():
    """Per seed and learner: correlation with the planted effect, best-variant agreement and
    held-out metrics of the model and both baselines."""
    results = {}
    for seed in SEEDS:
        train = make_assignments(TRAIN_ROWS, seed=seed)
        test = make_assignments(TEST_ROWS, seed=seed + 1000)
        truth = uplift.true_best_variant(test, VARIANTS)
        group = GroupAverageUplift().fit(train).predict(test)
        for learner in uplift.LEARNERS:
            model = UpliftModel(learner=learner, seed=seed, threads=2).fit(train, FEATURES)
            pred = model.predict(test)
            results[seed, learner] = {
                "corr": {v: float(np.corrcoef(pred[f"uplift_{v}"],
                                              test[f"true_uplift_{v}"])[0, 1])
                         for v in VARIANTS},
                "agree": float((uplift.best_variant(pred, model.variants) == truth).mean()),
                "metrics": uplift.evaluate_against_baselines(model, train, test, seed=seed),
                "expected_qini": _expected_qini(pred, train, test, seed),
                "group_corr": {v: float(np.corrcoef(group[f"uplift_{v}"],
                                                    test[f"true_uplift_{v}"])[0, 1])
                               for v in VARIANTS},
            }
    summary = pd.DataFrame([{"seed": s, "learner": lr, **{f"corr_{v}": r["corr"][v]
                                                          for v in VARIANTS},
                             "agree": r["agree"]} for (s, lr), r in results.items()])
    print(summary.round(3).to_string())
    return results


def test_predicted_uplift_correlates_with_the_planted_effect(recovery):
    # threshold 0.55 for the default learner, every seed and variant (measured: docs/uplift.md)
    for seed in SEEDS:
        corr = recovery[seed, uplift.DEFAULT_LEARNER]["corr"]
        assert min(corr.values()) > 0.55, (seed, corr)


def test_the_default_learner_recovers_the_effect_better_than_the_other(recovery):
    for seed in SEEDS:
        x = np.mean(list(recovery[seed, "x"]["corr"].values()))
        t = np.mean(list(recovery[seed, "t"]["corr"].values()))
        assert uplift.DEFAULT_LEARNER == "x" and x > t + 0.02, (seed, x, t)


def test_the_planted_best_variant_is_picked_for_most_rows(recovery):
    for seed in SEEDS:
        assert recovery[seed, uplift.DEFAULT_LEARNER]["agree"] > 0.5, seed


def test_held_out_qini_beats_random(recovery):
    frames = pd.concat([recovery[s, uplift.DEFAULT_LEARNER]["metrics"].assign(seed=s)
                        for s in SEEDS])
    qini = frames.pivot_table(index=["seed", "variant"], columns="scorer",
                              values="qini_coefficient")
    print(qini.round(5).to_string())
    assert (qini["model"] > qini["random"] + 0.001).all()


def test_the_model_tracks_the_planted_effect_better_than_the_group_average(recovery):
    for seed in SEEDS:
        for v in VARIANTS:
            ours = recovery[seed, uplift.DEFAULT_LEARNER]["corr"][v]
            group = recovery[seed, uplift.DEFAULT_LEARNER]["group_corr"][v]
            assert ours > group, (seed, v, ours, group)
