"""Train the recall uplift model on the warehouse's training rows and record it in MLflow
(issue #16, part 1).

Input: `marts.recall_uplift_training_rows`, one row per randomized past assignment of a
campaign used for training (features point-in-time at the assignment, `arm`, `variant`,
`campaign_id`, `assigned_at`, outcome `is_converted`: a paid order within the first month).
Every control customer joins the one pooled control group; each treatment variant is an arm.

Evaluation is out of sample: the latest campaign is held out when the earlier ones tested at
least one of its variants (the way the model is used: trained on the past, applied to the next
wave); otherwise a seeded 30% of each arm. On the held-out rows each variant is scored against
the pooled control by the model, by today's layer x churn type average and at random (Qini
coefficient, AUUC, uplift at the top 10/20/30%), with one Qini plot per variant.

Registered model `recall_uplift` (a pyfunc, `ml.uplift_pyfunc`): the new version becomes
`champion` under the churn model's rule (`ml.registry.decide`), with the mean Qini coefficient
over the variants in place of the AUC, the champion re-scored on the same held-out rows.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ml.features import FEATURE_NAMES
from ml.uplift import (CONTROL, HeldOutScores, UpliftModel, evaluate_against_baselines,
                       evaluation_table, held_out_scores, qini_plot)

log = logging.getLogger(__name__)

EXPERIMENT_NAME = "recall_uplift"
OUTCOME = "is_converted"
ARM_COLUMN = "uplift_arm"
HOLDOUT_SHARE = 0.3
SCORERS = ("model", "group_average", "random")
PLOT_LABELS = {"group_average": "layer x type average"}


class NoRandomizedHistory(ValueError):
    """No past campaign gives a control group and a variant enough rows to learn from: targeting
    stays with the rule-based ranking."""


@dataclass
class UpliftTrainingResult:
    run_id: str
    model_version: str
    alias: str
    promoted: bool
    reason: str
    metrics: dict
    evaluation: pd.DataFrame
    holdout: str                       # how the evaluation rows were chosen
    variants: list[str]
    features: list[str]
    experiment_id: str | None = None
    dropped_variants: dict[str, int] = field(default_factory=dict)
    plot_paths: dict[str, Path] = field(default_factory=dict)


def metric_key(*parts: str) -> str:
    """An MLflow metric name from parts ('@' and other characters MLflow refuses become '.')."""
    return "/".join(re.sub(r"[^0-9A-Za-z_.\- ]", ".", p) for p in parts)


def uplift_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The training rows with `uplift_arm`: the variant for treatment rows, CONTROL for the
    holdout (whatever variant it would have received), and `returned` = the outcome."""
    missing = [c for c in ("campaign_id", "assigned_at", "arm", "variant", OUTCOME)
               if c not in rows.columns]
    if missing:
        raise ValueError(f"recall_uplift_training_rows lacks column(s) {missing}")
    frame = rows.copy()
    frame[ARM_COLUMN] = np.where(frame["arm"].astype(str) == "control", CONTROL,
                                 frame["variant"].astype(str))
    frame["returned"] = pd.to_numeric(frame[OUTCOME]).astype(int)
    return frame.reset_index(drop=True)


def model_features(frame: pd.DataFrame) -> list[str]:
    """The churn features present and informative (not empty, not constant) in the rows."""
    return [f for f in FEATURE_NAMES
            if f in frame.columns and pd.to_numeric(frame[f]).nunique(dropna=True) > 1]


def evaluation_split(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, held out, description): the latest campaign when the earlier ones share one of
    its variants and have controls, else a seeded HOLDOUT_SHARE of each arm."""
    last_start = frame.groupby("campaign_id")["assigned_at"].min().sort_values()
    if len(last_start) >= 2:
        latest = last_start.index[-1]
        test = frame[frame.campaign_id == latest]
        train = frame[frame.campaign_id != latest]
        shared = set(test[ARM_COLUMN]) & set(train[ARM_COLUMN]) - {CONTROL}
        if shared and (train[ARM_COLUMN] == CONTROL).any() and (test[ARM_COLUMN] == CONTROL).any():
            return train, test, f"campaign {latest} held out ({len(test):,} rows)"
    rng = np.random.default_rng(seed)
    held = np.zeros(len(frame), dtype=bool)
    for _, rows in frame.groupby(ARM_COLUMN).indices.items():
        held[rng.choice(rows, size=int(round(len(rows) * HOLDOUT_SHARE)), replace=False)] = True
    return (frame[~held], frame[held],
            f"{HOLDOUT_SHARE:.0%} of each arm held out at random ({int(held.sum()):,} rows)")


def usable_arms(train: pd.DataFrame, min_rows_per_arm: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The training rows of the control group and of the variants with at least
    min_rows_per_arm rows; the variants left out with their row counts. Raises
    NoRandomizedHistory when the control group or every variant is too small."""
    counts = train[ARM_COLUMN].value_counts()
    n_control = int(counts.get(CONTROL, 0))
    if n_control < min_rows_per_arm:
        raise NoRandomizedHistory(
            f"the control group has {n_control:,} training rows, fewer than "
            f"uplift_min_rows_per_arm={min_rows_per_arm}")
    dropped = {str(v): int(n) for v, n in counts.items()
               if v != CONTROL and n < min_rows_per_arm}
    if len(dropped) == len(counts) - 1:
        raise NoRandomizedHistory(
            f"no treatment variant has {min_rows_per_arm:,} training rows "
            f"(uplift_min_rows_per_arm): {dropped}")
    return train[~train[ARM_COLUMN].isin(list(dropped))], dropped


def _mean_qini(evaluation: pd.DataFrame, scorer: str) -> float:
    values = evaluation.loc[evaluation.scorer == scorer, "qini_coefficient"]
    return float(values.mean()) if len(values) else float("nan")


def _champion_qini(tracking, name: str, test: pd.DataFrame, train: pd.DataFrame,
                   seed: int) -> tuple[str | None, float | None, str | None]:
    """(champion version, its mean Qini on the held-out rows, or a reason it cannot be compared)."""
    from ml.registry import CHAMPION, current_alias_version
    from ml.uplift_pyfunc import load_uplift_model

    version = current_alias_version(tracking.client(), CHAMPION, name)
    if version is None:
        return None, None, None
    champion = load_uplift_model(f"models:/{name}/{version}")
    if any(f not in test.columns for f in champion.features):
        return version, None, f"champion v{version} uses features the rows lack"
    scored = evaluate_against_baselines(champion, train, test, outcome="returned",
                                        variant=ARM_COLUMN, seed=seed)
    if scored.empty:
        return version, None, f"champion v{version} knows none of the held-out variants"
    return version, _mean_qini(scored, "model"), None


def train_and_track_uplift(rows: pd.DataFrame, *, tracking_uri: str, artifact_root: Path,
                           min_rows_per_arm: int = 200, learner: str = "x", seed: int = 0,
                           threads: int = 2, make_plots: bool = True,
                           name: str | None = None,
                           features: list[str] | None = None) -> UpliftTrainingResult:
    """Fit, evaluate, log and register the uplift model; see the module docstring.
    features: default the informative churn features (`model_features`).
    Raises NoRandomizedHistory when the rows cannot train it."""
    import mlflow

    from ml import registry
    from ml.tracking import MlflowTracking, code_version, local_path
    from ml.uplift_pyfunc import UpliftPyfunc

    name = name or registry.UPLIFT_MODEL_NAME
    if rows.empty:
        raise NoRandomizedHistory("no training rows: no randomized campaign with a complete "
                                  "first month passed recall_uplift_campaigns")
    frame = uplift_frame(rows)
    features = list(features) if features is not None else model_features(frame)
    train, test, holdout = evaluation_split(frame, seed)
    train, dropped = usable_arms(train, min_rows_per_arm)
    model = UpliftModel(learner=learner, seed=seed, threads=threads,
                        min_rows_per_arm=min_rows_per_arm)
    model.fit(train, features, outcome="returned", variant=ARM_COLUMN)
    test = test[test[ARM_COLUMN].isin([CONTROL, *model.variants])]
    held = held_out_scores(model, train, test, outcome="returned", variant=ARM_COLUMN, seed=seed)
    evaluation = evaluation_table(held)
    metrics = {"training_rows": float(len(train)), "held_out_rows": float(len(test)),
               "variants": float(len(model.variants))}
    for row in evaluation.itertuples():
        for column in ("qini_coefficient", "auuc", "uplift_at_10", "uplift_at_20",
                       "uplift_at_30"):
            value = getattr(row, column)
            if np.isfinite(value):
                metrics[metric_key(column, row.scorer, row.variant)] = float(value)
    for scorer in SCORERS:
        metrics[f"mean_qini_{scorer}"] = _mean_qini(evaluation, scorer)
    metrics = {k: v for k, v in metrics.items() if np.isfinite(v)}

    tracking = MlflowTracking(tracking_uri, Path(artifact_root), experiment_name=EXPERIMENT_NAME)
    with tracking.session() as experiment_id, \
            mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.set_tags({"code_version": code_version(), "holdout": holdout,
                         "campaigns": ",".join(sorted(frame.campaign_id.unique()))})
        mlflow.log_params({"learner": learner, "min_rows_per_arm": min_rows_per_arm,
                           "seed": seed, "n_features": len(features),
                           "variants": ", ".join(model.variants),
                           "dropped_variants": json.dumps(dropped) if dropped else "none",
                           **{f"propensity/{metric_key(v)}": round(p, 6)
                              for v, p in model.propensity.items()}})
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_dir = Path(tmp)
            evaluation.to_csv(tmp_dir / "evaluation.csv", index=False)
            mlflow.log_artifact(str(tmp_dir / "evaluation.csv"))
            if make_plots:
                _qini_plots(held, tmp_dir / "plots")
                if any((tmp_dir / "plots").glob("*.png")):
                    mlflow.log_artifacts(str(tmp_dir / "plots"), artifact_path="plots")
        plot_dir = local_path(mlflow.get_artifact_uri("plots"))
        plot_paths = {p.stem: p for p in sorted(plot_dir.glob("*.png"))}
        champion_version, champion_qini, incomparable = _champion_qini(
            tracking, name, test, train, seed)
        info = mlflow.pyfunc.log_model(
            name="model", python_model=UpliftPyfunc(model), registered_model_name=name,
            pip_requirements=[f"mlflow=={mlflow.__version__}"])
        version = str(info.registered_model_version)
        challenger = metrics.get("mean_qini_model", float("nan"))
        if incomparable:
            promoted, reason = True, incomparable
        else:
            promoted, reason = registry.decide(challenger, champion_qini, metric="mean Qini",
                                               compared_on=holdout)
        alias = registry.CHAMPION if promoted else registry.CHALLENGER
        client = tracking.client()
        client.set_registered_model_alias(name, alias, version)
        for key, value in {"run_id": run.info.run_id, "promotion_reason": reason,
                           "holdout": holdout, "champion_version": champion_version or "",
                           "mean_qini": f"{challenger:.6f}"}.items():
            client.set_model_version_tag(name, version, key, value)
        mlflow.set_tags({"model_version": version, "alias": alias, "promotion_reason": reason})
    log.info("uplift run %s: %s v%s (%s), mean Qini %.4f (group average %.4f)", run.info.run_id,
             name, version, alias, challenger, metrics.get("mean_qini_group_average", np.nan))
    return UpliftTrainingResult(run_id=run.info.run_id, model_version=version, alias=alias,
                                promoted=promoted, reason=reason, metrics=metrics,
                                evaluation=evaluation, holdout=holdout,
                                variants=list(model.variants), features=features,
                                experiment_id=run.info.experiment_id,
                                dropped_variants=dropped, plot_paths=plot_paths)


def _qini_plots(held: list[HeldOutScores], out_dir: Path) -> None:
    """One Qini plot per held-out variant: the model, the layer x type average and random."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for h in held:
        qini_plot({PLOT_LABELS.get(name, name): score for name, score in h.scores.items()},
                  h.treated, h.outcome,
                  out_dir / f"qini_{metric_key(h.variant).replace('/', '_')}.png",
                  title=f"Qini curve: {h.variant} vs holdout")
