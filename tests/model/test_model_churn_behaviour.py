"""Behavioural tests of the churn model: recovery of planted truth (ml.synthetic).

The generator knows every customer's true churn probability, so the model is judged against
the oracle: close in AUC and Brier, calibrated, driven by the planted features, invariant to
features that play no part, and moving in the planted direction when a driver changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from ml import dataset, evaluate, explain, train
from ml.features import FEATURE_NAMES, KEY_COLUMNS, LABEL_COLUMN
from ml.synthetic import make_snapshots

PLANTED = {"complaints_3m", "late_deliveries_3m", "cart_without_order_ratio_1m",
           "discount_share_12m", "competitor_search_share_3m", "days_since_last_interaction",
           "tier_rank"}  # every feature in ml.synthetic.true_logit


@pytest.fixture(scope="module")
def fitted():
    split = dataset.time_split(make_snapshots(n_customers=2500, n_snapshots=5, seed=11))
    model = train.train_xgboost(split.X_train, split.y_train, split.X_valid, split.y_valid,
                                threads=2, max_rounds=400, seed=0)
    raw = train.predict_raw(model.booster, split.X_valid)
    calibration = evaluate.calibrate_if_needed(split.y_valid, raw, max_ece=0.05)
    return split, model, calibration.calibrator.apply(raw)


def test_no_label_or_truth_among_features():
    assert LABEL_COLUMN not in FEATURE_NAMES
    assert not set(KEY_COLUMNS) & set(FEATURE_NAMES)
    assert not {"true_probability", "planted_reason", "tier", "region"} & set(FEATURE_NAMES)


def test_close_to_oracle(fitted):
    split, _, p = fitted
    truth = split.validation["true_probability"].to_numpy()
    model = evaluate.classification_metrics(split.y_valid, p)
    oracle = evaluate.classification_metrics(split.y_valid, truth)
    assert model["auc"] > oracle["auc"] - 0.04
    assert model["brier"] < oracle["brier"] + 0.012
    assert np.corrcoef(p, truth)[0, 1] > 0.85


def test_calibrated_against_true_probability(fitted):
    split, _, p = fitted
    truth = split.validation["true_probability"].to_numpy()
    assert abs(p.mean() - truth.mean()) < 0.02
    assert evaluate.expected_calibration_error(split.y_valid, p) < 0.05


def test_planted_features_dominate_importance(fitted):
    _, model, _ = fitted
    importance = train.feature_importance(model.booster, "total_gain")
    top = set(sorted(importance, key=importance.get, reverse=True)[:len(PLANTED)])
    assert len(top & PLANTED) >= len(PLANTED) - 1
    assert sum(importance[f] for f in PLANTED) > 0.6 * sum(importance.values())


def test_invariant_to_unused_features(fitted):
    split, model, _ = fitted
    X = split.X_valid.copy()
    base = train.predict_raw(model.booster, X)
    rng = np.random.default_rng(0)
    for name in ("referrals_12m", "reviews_3m", "days_to_tier_expiry"):
        X[name] = rng.permutation(X[name].to_numpy())
    assert np.abs(train.predict_raw(model.booster, X) - base).mean() < 0.01


@pytest.mark.parametrize("changes, reason", [
    ({"complaints_3m": 4.0, "late_deliveries_3m": 4.0}, "service"),
    ({"competitor_search_share_3m": 0.6}, "competitor"),
    ({"cart_without_order_ratio_1m": 0.9, "discount_share_12m": 0.6}, "price"),
])
def test_driver_raises_risk_and_names_reason(fitted, changes, reason):
    split, model, _ = fitted
    calm = split.X_valid.copy()
    calm[["complaints_3m", "late_deliveries_3m", "competitor_search_share_3m",
          "cart_without_order_ratio_1m", "discount_share_12m"]] = [0.0, 0.0, 0.05, 0.2, 0.1]
    hit = calm.assign(**changes)
    before = train.predict_raw(model.booster, calm)
    after = train.predict_raw(model.booster, hit)
    assert (after > before).mean() > 0.95
    assert (after - before).mean() > 0.15
    assert (explain.top_reasons(model.booster, hit)["reason_1"] == reason).mean() > 0.9
