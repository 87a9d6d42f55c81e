"""Back-test a registered model on one monthly snapshot: how well it ranks and is calibrated on
that month's labelled customers (one row of `ml.champion_backtest`)."""

from __future__ import annotations

import pandas as pd

from ml.features import LABEL_COLUMN
from ml.registry import CHAMPION_URI

BACKTEST_COLUMNS = ("snapshot_date", "model_version", "labelled_rows", "label_rate",
                    "mean_probability", "auc", "pr_auc", "brier", "log_loss", "ece",
                    "top_decile_lift", "precision_at_cutoff", "recall_at_cutoff",
                    "evaluated_at")


def backtest_snapshot(snapshot: pd.DataFrame, *, tracking_uri: str, business_cutoff: float,
                      model_uri: str = CHAMPION_URI) -> pd.DataFrame:
    """Score the labelled rows of one snapshot date with `model_uri` and measure them.

    Raises ValueError when the rows span several snapshot dates or none is labelled (the label
    window has not elapsed), or when only one class is present (AUC is undefined).
    """
    from ml.dataset import feature_matrix, labels
    from ml.evaluate import classification_metrics
    from ml.registry import load_served_model

    dates = snapshot["snapshot_date"].unique()
    if len(dates) != 1:
        raise ValueError(f"expected the rows of one snapshot date, got {len(dates)}")
    labelled = snapshot[snapshot[LABEL_COLUMN].notna()].reset_index(drop=True)
    if labelled.empty:
        raise ValueError(f"snapshot {dates[0]} has no labelled rows (label window still open)")
    y = labels(labelled)
    if y.min() == y.max():
        raise ValueError(f"snapshot {dates[0]}: all {len(y)} labels are {y[0]}; AUC undefined")
    model = load_served_model(model_uri, tracking_uri=tracking_uri)
    p = model.predict_proba(feature_matrix(labelled, model.feature_names or None))
    m = classification_metrics(y, p, business_cutoff=business_cutoff)
    row = {"snapshot_date": pd.Timestamp(dates[0]).date(),
           "model_version": str(model.version or model.model_uri),
           "labelled_rows": len(y), "label_rate": float(y.mean()),
           "mean_probability": float(p.mean()),
           **{k: m[k] for k in BACKTEST_COLUMNS if k in m},
           "evaluated_at": pd.Timestamp.now(tz="UTC")}
    return pd.DataFrame([row], columns=list(BACKTEST_COLUMNS))
