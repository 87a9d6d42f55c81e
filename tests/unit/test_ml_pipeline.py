"""ml.pipeline, ml.registry, ml.scoring against a temporary MLflow (SQLite) store.

One module fixture trains three times on the same validation snapshot:
v1 on shuffled training labels (first model: champion by default), v2 on good data (beats v1:
champion), v3 on shuffled training labels again (worse than v2: challenger).
v2's training snapshots lose 60% of their non-churners (a prior shift), so its raw
probabilities are too high on the validation snapshot and calibration must be applied and
served.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from ml import registry
from ml.features import FEATURE_NAMES
from ml.synthetic import make_snapshots
from ml.tracking import sqlite_uri

VALIDATION = "2025-04-01"
N = 800


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from ml.pipeline import train_and_track

    root = tmp_path_factory.mktemp("mlflow")
    uri = sqlite_uri(root / "mlflow.db")
    good = make_snapshots(n_customers=N, n_snapshots=5, seed=7)
    older_negative = (good["snapshot_date"] < VALIDATION) & (good["is_churned_label"] == 0)
    dropped = older_negative & (np.random.default_rng(0).random(len(good)) < 0.6)
    bad = make_snapshots(n_customers=N, n_snapshots=5, seed=7, shuffle_labels_before=VALIDATION)
    pd.testing.assert_frame_equal(  # same validation snapshot in both
        good[good["snapshot_date"] == VALIDATION], bad[bad["snapshot_date"] == VALIDATION])
    env_before = os.environ.get("MLFLOW_TRACKING_URI")
    kwargs = {"tracking_uri": uri, "artifact_root": root / "artifacts", "threads": 2,
              "max_rounds": 200}
    results = [train_and_track(bad, make_plots=False, **kwargs),
               train_and_track(good[~dropped], **kwargs),
               train_and_track(bad, seed=1, make_plots=False, **kwargs)]
    env_after = os.environ.get("MLFLOW_TRACKING_URI")
    return {"uri": uri, "root": root, "results": results, "good": good,
            "env": (env_before, env_after)}


def _client(uri):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_first_model_becomes_champion(store):
    first = store["results"][0]
    assert first.model_version == "1"
    assert first.promoted and first.alias == "champion"
    assert "first model" in first.reason


def test_better_model_takes_champion_and_worse_one_is_challenger(store):
    _, better, worse = store["results"]
    assert better.promoted and better.alias == "champion"
    assert not worse.promoted and worse.alias == "challenger"
    assert "does not beat" in worse.reason
    assert better.metrics["auc"] > worse.metrics["auc"] + 0.1
    aliases = _client(store["uri"]).get_registered_model(registry.MODEL_NAME).aliases
    assert {k: str(v) for k, v in aliases.items()} == {"champion": "2", "challenger": "3"}


def test_challenger_reason_is_tagged(store):
    client = _client(store["uri"])
    worse = store["results"][2]
    version = client.get_model_version(registry.MODEL_NAME, worse.model_version)
    assert version.tags["promotion_reason"] == worse.reason
    assert version.tags["compared_on_snapshot"] == VALIDATION
    assert version.tags["champion_version"] == "2"
    assert float(version.tags["champion_auc"]) > float(version.tags["challenger_auc"])
    run = client.get_run(worse.run_id)
    assert run.data.tags["alias"] == "challenger"
    assert run.data.tags["promotion_reason"] == worse.reason


def test_decide_keeps_champion_on_tie():
    promoted, reason = registry.decide(0.8, 0.8)
    assert not promoted and "does not beat" in reason
    assert registry.decide(0.81, 0.8)[0]
    assert registry.decide(0.5, None)[0]


def test_run_logs_metrics_params_tags_dataset_and_plots(store):
    result = store["results"][1]
    run = _client(store["uri"]).get_run(result.run_id)
    for name in ("auc", "pr_auc", "brier", "log_loss", "top_decile_lift", "top_decile_capture",
                 "precision_at_cutoff", "recall_at_cutoff", "baseline_recency_auc",
                 "baseline_logreg_auc", "baseline_logreg_brier"):
        assert name in run.data.metrics, name
        assert run.data.metrics[name] == pytest.approx(result.metrics[name])
    assert result.metrics["auc"] > result.metrics["baseline_logreg_auc"]
    shares = [run.data.metrics[f"churner_cause_share_{c}"]
              for c in ("price", "service", "competitor", "activity")]
    assert sum(shares) == pytest.approx(1.0) and min(shares) >= 0
    assert run.data.params["tree_method"] == "hist"
    assert run.data.params["nthread"] == "2"
    tags = run.data.tags
    assert len(tags["data_hash"]) == 64 and tags["data_hash"] == result.lineage["data_hash"]
    assert tags["code_version"]
    assert tags["validation_snapshot_date"] == VALIDATION
    assert tags["train_snapshot_dates"] == "2025-01-01,2025-02-01,2025-03-01"
    contexts = {i.dataset.name: i.tags[0].value for i in run.inputs.dataset_inputs}
    assert contexts == {"customer_snapshots_train": "training",
                        "customer_snapshots_validation": "validation"}
    assert set(result.plot_paths) == {"roc", "pr", "calibration", "gains", "importance"}
    for path in result.plot_paths.values():
        assert path.is_file() and path.is_relative_to(store["root"] / "artifacts")
    assert store["results"][0].plot_paths == {}  # make_plots=False


def test_logged_model_has_signature_and_calibration_metadata(store):
    import mlflow

    from ml.tracking import MlflowTracking

    with MlflowTracking(store["uri"]).session():
        info = mlflow.models.get_model_info(f"models:/{registry.MODEL_NAME}/2")
    assert [c.name for c in info.signature.inputs.inputs] == list(FEATURE_NAMES)
    assert info.metadata["calibration"]["method"] in ("none", "isotonic", "platt")
    assert info.metadata["feature_names"] == list(FEATURE_NAMES)
    assert info.flavors["xgboost"]["model_format"] == "ubj"


def test_scoring_uses_champion(store):
    from ml.scoring import SCORE_COLUMNS, score

    good = store["good"]
    latest = good[good["snapshot_date"] == good["snapshot_date"].max()]
    scores = score(latest, tracking_uri=store["uri"])
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert len(scores) == N
    assert set(scores["model_version"]) == {"2"}
    assert sorted(scores["risk_decile"].unique()) == list(range(1, 11))
    assert scores["churn_probability"].between(0, 1).all()
    by_decile = scores.groupby("risk_decile")["churn_probability"].mean()
    assert by_decile.is_monotonic_decreasing  # decile 1 = highest risk
    assert str(scores["scored_at"].dt.tz) == "UTC"
    assert scores["reason_1"].dropna().isin(["price", "service", "competitor", "activity", "value"]).all()
    assert scores["churn_cause"].isin(["price", "service", "competitor", "activity"]).all()
    challenger = score(latest.head(20), tracking_uri=store["uri"],
                       model_uri=f"models:/{registry.MODEL_NAME}@challenger")
    assert set(challenger["model_version"]) == {"3"}


def test_scored_probabilities_match_training_validation(store):
    from sklearn.metrics import roc_auc_score

    from ml.scoring import score

    good = store["good"]
    validation = good[good["snapshot_date"] == VALIDATION]
    scores = score(validation, tracking_uri=store["uri"])
    auc = roc_auc_score(validation["is_churned_label"], scores["churn_probability"])
    assert auc == pytest.approx(store["results"][1].metrics["auc"], abs=1e-9)


def test_calibration_is_applied_and_served(store):
    from ml.dataset import feature_matrix
    from ml.scoring import score
    from ml.train import predict_raw

    result = store["results"][1]
    assert result.calibration == "isotonic"
    assert result.metrics["ece_raw"] > 0.05
    assert result.metrics["ece"] < result.metrics["ece_raw"] / 2
    good = store["good"]
    validation = good[good["snapshot_date"] == VALIDATION]
    served = registry.load_served_model(registry.CHAMPION_URI, tracking_uri=store["uri"])
    assert served.version == "2" and served.calibrator.method == "isotonic"
    raw = predict_raw(served.booster, feature_matrix(validation))
    scores = score(validation, tracking_uri=store["uri"])["churn_probability"].to_numpy()
    np.testing.assert_allclose(scores, served.calibrator.apply(raw))
    base_rate = validation["is_churned_label"].mean()
    assert raw.mean() > base_rate + 0.05  # the raw model over-predicts after the prior shift
    assert abs(scores.mean() - base_rate) < 0.02  # served probabilities do not


def test_process_mlflow_uri_is_left_as_found(store):
    before, after = store["env"]
    assert before == after
    assert os.environ.get("MLFLOW_TRACKING_URI") != store["uri"]
