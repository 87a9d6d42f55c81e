"""Per-customer reasons from XGBoost's own SHAP contributions (`pred_contribs=True`).

Contributions are in log-odds of the uncalibrated model (calibration is monotone, so the
direction and order of reasons are unchanged). Feature contributions are summed per business
reason (ml.features.REASON_OF); the reasons pushing towards churn (positive sum) are ranked.
`leading_cause` names the churn type behind them (domain.md: price, service, competitor, or a
silent drift that shows only as lost activity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import REASON_OF, REASONS

BIAS_COLUMN = "bias"
CAUSES = ("price", "service", "competitor")
NO_CAUSE = "activity"


def contributions(booster, X: pd.DataFrame) -> pd.DataFrame:
    """SHAP contribution of every feature per row, plus the `bias` column (rows sum to margin)."""
    import xgboost as xgb

    values = booster.predict(xgb.DMatrix(X), pred_contribs=True)
    return pd.DataFrame(values, index=X.index, columns=[*X.columns, BIAS_COLUMN])


def reason_contributions(booster, X: pd.DataFrame) -> pd.DataFrame:
    """Contributions summed per business reason; columns in ml.features.REASONS order."""
    contrib = contributions(booster, X).drop(columns=BIAS_COLUMN)
    unknown = [c for c in contrib.columns if c not in REASON_OF]
    if unknown:
        raise KeyError(f"features without a business reason: {unknown}")
    grouped = contrib.T.groupby(contrib.columns.map(REASON_OF)).sum().T
    return grouped.reindex(columns=list(REASONS), fill_value=0.0)


def top_reasons_from(reason_frame: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """reason_1..reason_n: reasons with a positive contribution, largest first; else None."""
    values = reason_frame.to_numpy(dtype=float)
    names = np.asarray(reason_frame.columns, dtype=object)
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    picked = np.take_along_axis(values, order, axis=1)
    reasons = np.where(picked > 0, names[order], None)
    if reasons.shape[1] < n:  # fewer reasons than asked for
        pad = np.full((len(reasons), n - reasons.shape[1]), None, dtype=object)
        reasons = np.hstack([reasons, pad])
    return pd.DataFrame(reasons, index=reason_frame.index,
                        columns=[f"reason_{i}" for i in range(1, n + 1)], dtype=object)


def top_reasons(booster, X: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Top `n` business reasons pushing each row towards churn (columns reason_1..reason_n)."""
    return top_reasons_from(reason_contributions(booster, X), n)


def leading_cause(reason_frame: pd.DataFrame, min_contribution: float = 0.1) -> pd.Series:
    """Per row, the cause (price, service, competitor) pushing hardest towards churn, or
    "activity" when none pushes by at least `min_contribution` log-odds: a silent churner,
    whose only sign is fading activity. Activity and value are symptoms, never causes."""
    causes = reason_frame[list(CAUSES)].astype(float)
    top = causes.idxmax(axis=1)
    return top.where(causes.max(axis=1) >= min_contribution, NO_CAUSE).rename("leading_cause")
