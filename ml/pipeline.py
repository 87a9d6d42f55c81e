"""One entry point: split, train, compare with baselines, calibrate, explain, track, register.

`train_and_track` is what the orchestration asset calls; everything it logs is in one MLflow
run of experiment `churn`, and the model it registers is version N of `churn_xgboost` with alias
`champion` (promoted) or `challenger` (kept out of service).
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ml.features import LABEL_COLUMN

log = logging.getLogger(__name__)

MODEL_METRICS = ("auc", "pr_auc", "brier", "log_loss", "top_decile_lift", "top_decile_capture",
                 "precision_at_cutoff", "recall_at_cutoff")


@dataclass
class TrainingResult:
    run_id: str
    model_version: str
    alias: str
    promoted: bool
    reason: str
    metrics: dict[str, float]
    lineage: dict
    plot_paths: dict[str, Path] = field(default_factory=dict)
    calibration: str = "none"


def _dataset(frame: pd.DataFrame, name: str, digest: str, features):
    """An MLflow dataset (schema and profile only; the rows stay in the warehouse)."""
    import mlflow

    from ml.dataset import as_float, feature_matrix

    data = pd.concat([
        pd.DataFrame({"customer_id": frame["customer_id"].astype(str).to_numpy(dtype=object),
                      "snapshot_date": pd.to_datetime(frame["snapshot_date"]).to_numpy()},
                     index=frame.index),
        feature_matrix(frame, features),  # float64, as the model sees it
    ], axis=1)
    data[LABEL_COLUMN] = as_float(frame[LABEL_COLUMN])
    return mlflow.data.from_pandas(data, name=name, digest=digest[:16], targets=LABEL_COLUMN)


def train_and_track(
    snapshots: pd.DataFrame,
    *,
    tracking_uri: str,
    artifact_root: Path,
    threads: int = 2,
    max_rounds: int = 400,
    business_cutoff: float = 0.5,
    seed: int = 0,
    max_ece: float = 0.05,
    calibration_method: str = "isotonic",
    min_gap_days: int = 0,
    drift_threshold: float = 0.2,
    make_plots: bool = True,
    model_name: str | None = None,
    dataset_name: str = "customer_snapshots",
) -> TrainingResult:
    """Train the churn model on `customer_snapshots` and record it in MLflow.

    The same pipeline trains the return model on `lapsed_customer_snapshots` (model_name
    `return_xgboost`, dataset_name `lapsed_customer_snapshots`): same label (no interaction in
    the window), same metrics, its own registered model and champion. Features that are empty
    or constant in the labelled rows (a shop without tickets has no complaints) are left out
    of the model and listed in the run (param `dropped_features`, tag and lineage).

    Served probability = calibrator(raw XGBoost probability); the calibrator is the identity
    unless the validation ECE exceeds max_ece and calibration helps (see
    ml.evaluate.calibrate_if_needed). It is stored in the logged model's metadata, so loading
    the model version (ml.registry.load_served_model, ml.scoring.score) applies it.
    Metrics are those of the served probabilities on the validation snapshot.
    make_plots=False skips the PNG plots (about 2 s), e.g. in tests.
    """
    import mlflow
    import xgboost as xgb
    from mlflow.models import infer_signature

    from ml import dataset, drift, evaluate, explain, plots, registry, train
    from ml.tracking import MlflowTracking, code_version, local_path

    model_name = model_name or registry.MODEL_NAME
    split = dataset.time_split(snapshots, min_gap_days=min_gap_days)
    X_train, y_train = split.X_train, split.y_train
    X_valid, y_valid = split.X_valid, split.y_valid

    model = train.train_xgboost(X_train, y_train, X_valid, y_valid, threads=threads,
                                max_rounds=max_rounds, seed=seed)
    raw_valid = train.predict_raw(model.booster, X_valid)
    calibration = evaluate.calibrate_if_needed(y_valid, raw_valid, max_ece=max_ece,
                                               method=calibration_method, seed=seed)
    p_valid = calibration.calibrator.apply(raw_valid)
    metrics = evaluate.classification_metrics(y_valid, p_valid, business_cutoff=business_cutoff)
    metrics["ece_raw"] = calibration.ece_before
    metrics["ece_crossfit"] = calibration.ece_after
    if calibration.applied:
        metrics["brier_crossfit"] = calibration.details["brier_crossfit"]

    baselines = train.baseline_scores(X_train, y_train, X_valid)
    recency = evaluate.ranking_metrics(y_valid, baselines["recency"])
    logreg = evaluate.classification_metrics(y_valid, baselines["logreg"],
                                             business_cutoff=business_cutoff)
    metrics.update({
        "baseline_recency_auc": recency["auc"],
        "baseline_recency_pr_auc": recency["pr_auc"],
        "baseline_recency_top_decile_lift": recency["top_decile_lift"],
        "baseline_logreg_auc": logreg["auc"],
        "baseline_logreg_pr_auc": logreg["pr_auc"],
        "baseline_logreg_brier": logreg["brier"],
    })
    drift_report = drift.feature_drift(split.train, split.latest, features=split.features,
                                       threshold=drift_threshold)
    metrics["drift_max_psi"] = drift_report.max_psi
    metrics["best_iteration"] = float(model.best_iteration)

    reasons = explain.reason_contributions(model.booster, X_valid)
    churner_causes = explain.leading_cause(reasons)[y_valid == 1]
    for cause in (*explain.CAUSES, explain.NO_CAUSE):
        metrics[f"churner_cause_share_{cause}"] = (
            float((churner_causes == cause).mean()) if len(churner_causes) else 0.0)
    importance = train.feature_importance(model.booster)
    lineage = {**split.lineage, "calibration": calibration.calibrator.method,
               "calibration_reason": calibration.reason}

    tracking = MlflowTracking(tracking_uri, Path(artifact_root))
    with tracking.session() as experiment_id:
        lineage["experiment_id"] = experiment_id
        version_tags = {
            "data_hash": split.data_hash,
            "code_version": code_version(),
            "train_snapshot_dates": ",".join(split.lineage["train_snapshot_dates"]),
            "validation_snapshot_date": split.lineage["validation_snapshot_date"],
            "latest_snapshot_date": split.lineage["latest_snapshot_date"],
        }
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.set_tags(version_tags)
            mlflow.log_params({**{k: v for k, v in model.params.items() if k != "eval_metric"},
                               "best_iteration": model.best_iteration,
                               "business_cutoff": business_cutoff,
                               "calibration_method": calibration.calibrator.method,
                               "calibration_max_ece": max_ece,
                               "min_gap_days": min_gap_days,
                               "n_features": len(split.features),
                               "dropped_features": ", ".join(split.dropped_features)[:6000]
                               or "none"})
            mlflow.set_tag("dropped_features", ", ".join(split.dropped_features) or "none")
            mlflow.log_metrics(metrics)
            mlflow.log_input(_dataset(split.train, f"{dataset_name}_train", split.data_hash,
                                      split.features),
                             context="training")
            mlflow.log_input(_dataset(split.validation, f"{dataset_name}_validation",
                                      split.data_hash, split.features), context="validation")
            with tempfile.TemporaryDirectory() as tmp:
                tmp_dir = Path(tmp)
                if make_plots:
                    plots.save_all(y_valid, p_valid, baselines=baselines, importance=importance,
                                   out_dir=tmp_dir / "plots")
                    mlflow.log_artifacts(str(tmp_dir / "plots"), artifact_path="plots")
                (tmp_dir / "lineage.json").write_text(json.dumps(lineage, indent=2))
                (tmp_dir / "calibration.json").write_text(
                    json.dumps(calibration.calibrator.to_dict(), indent=2))
                (tmp_dir / "drift_psi.json").write_text(json.dumps(drift_report.psi, indent=2))
                evaluate.reliability_curve(y_valid, p_valid).to_csv(tmp_dir / "reliability.csv",
                                                                    index=False)
                reasons.abs().mean().rename("mean_abs_contribution").to_csv(
                    tmp_dir / "reason_importance.csv")
                for name in ("lineage.json", "calibration.json", "drift_psi.json",
                             "reliability.csv", "reason_importance.csv"):
                    mlflow.log_artifact(str(tmp_dir / name))
            plot_dir = local_path(mlflow.get_artifact_uri("plots"))
            plot_paths = {p.stem: p for p in sorted(plot_dir.glob("*.png"))}

            example = X_valid.head(5)
            info = mlflow.xgboost.log_model(
                model.booster,
                name="model",
                model_format="ubj",
                signature=infer_signature(X_valid, p_valid),
                input_example=example,
                registered_model_name=model_name,
                metadata=registry.model_metadata(calibration.calibrator, split.features),
                pip_requirements=[f"xgboost=={xgb.__version__}", f"mlflow=={mlflow.__version__}"],
            )
            version = str(info.registered_model_version)
            client = tracking.client()
            for key, value in {**version_tags, "run_id": run.info.run_id}.items():
                client.set_model_version_tag(model_name, version, key, value)
            decision = registry.promote_or_challenge(
                tracking, version=version, challenger_auc=metrics["auc"], X_valid=X_valid,
                y_valid=y_valid, validation_date=split.lineage["validation_snapshot_date"],
                name=model_name)
            mlflow.set_tags({"model_version": version, "alias": decision.alias,
                             "promotion_reason": decision.reason})
            if decision.champion_auc is not None:
                mlflow.log_metric("champion_auc_same_validation", decision.champion_auc)
    log.info("run %s: model v%s (%s), auc %.4f", run.info.run_id, version, decision.alias,
             metrics["auc"])
    return TrainingResult(run_id=run.info.run_id, model_version=version, alias=decision.alias,
                          promoted=decision.promoted, reason=decision.reason, metrics=metrics,
                          lineage=lineage, plot_paths=plot_paths,
                          calibration=calibration.calibrator.method)
