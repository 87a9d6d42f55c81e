"""ml.train: XGBoost against the baselines on the same time-based split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import dataset, evaluate, train
from ml.synthetic import make_snapshots


@pytest.fixture(scope="module")
def split():
    return dataset.time_split(make_snapshots(n_customers=1500, n_snapshots=5, seed=0))


@pytest.fixture(scope="module")
def trained(split):
    return train.train_xgboost(split.X_train, split.y_train, split.X_valid, split.y_valid,
                               threads=2, max_rounds=300, seed=0)


def test_xgboost_beats_both_baselines_on_auc(split, trained):
    p = train.predict_raw(trained.booster, split.X_valid)
    model_auc = evaluate.ranking_metrics(split.y_valid, p)["auc"]
    scores = train.baseline_scores(split.X_train, split.y_train, split.X_valid)
    recency_auc = evaluate.ranking_metrics(split.y_valid, scores["recency"])["auc"]
    logreg_auc = evaluate.ranking_metrics(split.y_valid, scores["logreg"])["auc"]
    assert model_auc > logreg_auc + 0.02
    assert model_auc > recency_auc + 0.1
    assert logreg_auc > 0.6  # the baseline is a real competitor, not broken


def test_metrics_in_range(split, trained):
    p = train.predict_raw(trained.booster, split.X_valid)
    m = evaluate.classification_metrics(split.y_valid, p, business_cutoff=0.5)
    for name in ("auc", "pr_auc", "brier", "precision_at_cutoff", "recall_at_cutoff",
                 "top_decile_capture", "ece"):
        assert 0.0 <= m[name] <= 1.0, name
    assert m["auc"] > 0.75
    assert m["top_decile_lift"] > 2.0
    assert m["log_loss"] < 0.5  # below the ~0.51 of always predicting the base rate
    assert m["brier"] < m["base_rate"] * (1 - m["base_rate"])  # beats the base rate


def test_best_iteration_is_what_is_kept(trained):
    assert trained.booster.num_boosted_rounds() == trained.best_iteration + 1
    assert trained.best_iteration < 300
    assert trained.params["tree_method"] == "hist"
    assert trained.params["nthread"] == 2


def test_training_is_deterministic(split, trained):
    again = train.train_xgboost(split.X_train, split.y_train, split.X_valid, split.y_valid,
                                threads=2, max_rounds=300, seed=0)
    np.testing.assert_array_equal(train.predict_raw(trained.booster, split.X_valid),
                                  train.predict_raw(again.booster, split.X_valid))


def test_predict_refuses_other_feature_order(split, trained):
    with pytest.raises(ValueError, match="feature columns"):
        train.predict_raw(trained.booster, split.X_valid[split.X_valid.columns[::-1]])


def test_recency_rule_ranks_unknown_recency_highest():
    X = pd.DataFrame({"days_since_last_interaction": [3.0, np.nan, 40.0, 10.0]})
    score = train.recency_score(X)
    assert list(np.argsort(-score)) == [1, 2, 3, 0]


def test_feature_importance_covers_all_features(trained):
    importance = train.feature_importance(trained.booster)
    assert len(importance) == len(trained.booster.feature_names)
    top = sorted(importance, key=importance.get, reverse=True)[:6]
    assert "competitor_search_share_3m" in top
