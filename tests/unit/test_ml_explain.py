"""ml.explain: SHAP contributions grouped into business reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import dataset, explain, train
from ml.features import REASONS
from ml.synthetic import DRIVERS, make_snapshots


@pytest.fixture(scope="module")
def fitted():
    split = dataset.time_split(make_snapshots(n_customers=1500, n_snapshots=5, seed=4))
    model = train.train_xgboost(split.X_train, split.y_train, split.X_valid, split.y_valid,
                                threads=2, max_rounds=300, seed=0)
    return split, model.booster


def test_contributions_sum_to_margin(fitted):
    import xgboost as xgb

    split, booster = fitted
    X = split.X_valid.head(50)
    contrib = explain.contributions(booster, X)
    margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), margin, rtol=1e-4, atol=1e-4)
    grouped = explain.reason_contributions(booster, X)
    assert list(grouped.columns) == list(REASONS)
    np.testing.assert_allclose(grouped.sum(axis=1) + contrib["bias"], margin, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("driver", DRIVERS)
def test_reason_1_is_the_planted_driver_for_most_at_risk_rows(fitted, driver):
    split, booster = fitted
    p = train.predict_raw(booster, split.X_valid)
    reasons = explain.top_reasons(booster, split.X_valid)
    planted = split.validation["planted_reason"].to_numpy()
    rows = (planted == driver) & (p > 0.3)
    assert rows.sum() >= 30
    assert (reasons["reason_1"].to_numpy()[rows] == driver).mean() > 0.7


def test_top_reasons_only_positive_and_padded_with_none():
    frame = pd.DataFrame({"price": [0.5, -0.1], "service": [1.0, -0.2], "competitor": [-0.3, -0.4],
                          "activity": [0.0, -0.5], "value": [0.2, -0.6]})
    top = explain.top_reasons_from(frame, n=3)
    assert list(top.columns) == ["reason_1", "reason_2", "reason_3"]
    assert top.iloc[0].tolist() == ["service", "price", "value"]
    assert top.iloc[1].tolist() == [None, None, None]


def test_fewer_positive_reasons_than_slots():
    frame = pd.DataFrame({"price": [0.4], "service": [-1.0], "competitor": [0.0],
                          "activity": [-0.1], "value": [-0.2]})
    assert explain.top_reasons_from(frame).iloc[0].tolist() == ["price", None, None]


def test_reasons_are_distinct_per_row(fitted):
    split, booster = fitted
    reasons = explain.top_reasons(booster, split.X_valid.head(200))
    for row in reasons.itertuples(index=False):
        named = [r for r in row if r is not None]
        assert len(named) == len(set(named))
        assert set(named) <= set(REASONS)


def test_leading_cause_skips_symptoms_and_falls_back_to_activity():
    frame = pd.DataFrame({"price": [0.5, 0.05, -0.2], "service": [0.2, 0.02, -0.1],
                          "competitor": [0.1, 0.08, 0.3], "activity": [3.0, 2.0, 1.0],
                          "value": [0.0, 0.4, 0.0]})
    assert explain.leading_cause(frame).tolist() == ["price", "activity", "competitor"]
    assert explain.leading_cause(frame, min_contribution=0.01).tolist()[1] == "competitor"
