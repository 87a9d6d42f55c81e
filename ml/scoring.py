"""Score customers with a registered model (the champion by default): `churn_scores` rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.registry import CHAMPION_URI

SCORE_COLUMNS = ("customer_id", "snapshot_date", "population", "churn_probability",
                 "return_probability", "risk_decile", "reason_1", "reason_2", "reason_3",
                 "churn_cause", "model_version", "scored_at")
ACTIVE, LAPSED = "active", "lapsed"


def risk_deciles(probability: pd.Series, tie_breaker: pd.Series | None = None) -> pd.Series:
    """Decile of risk, 1 = the 10% highest probabilities .. 10 = the lowest (equal-sized).

    Ties are broken by tie_breaker (ascending), then by position, so deciles are deterministic.
    """
    n = len(probability)
    if n == 0:
        return pd.Series([], index=probability.index, dtype="int64")
    order = pd.DataFrame({"p": probability.to_numpy(dtype=float),
                          "t": tie_breaker.to_numpy() if tie_breaker is not None else 0,
                          "pos": np.arange(n)})
    order = order.sort_values(["p", "t", "pos"], ascending=[False, True, True], kind="stable")
    deciles = np.empty(n, dtype="int64")
    deciles[order["pos"].to_numpy()] = np.arange(n) * 10 // n + 1
    return pd.Series(deciles, index=probability.index)


def score(features: pd.DataFrame, *, tracking_uri: str,
          model_uri: str = CHAMPION_URI, population: str = ACTIVE) -> pd.DataFrame:
    """Churn probability (calibrated as served), risk decile per snapshot, top 3 reasons and
    the leading cause (ml.explain.leading_cause: price, service, competitor or activity).

    churn_probability is the chance of no interaction within the label window; for the
    `lapsed` population (scored by the return model) that is the chance of staying away, and
    return_probability = 1 - churn_probability is their chance of coming back on their own.

    features: rows of `customer_snapshots` (keys and ml.features.FEATURE_NAMES; the label, if
    present, is ignored). The alias in model_uri is resolved once, so every row is scored by
    the same version, recorded in `model_version`.
    """
    from ml.dataset import feature_matrix
    from ml.explain import leading_cause, reason_contributions, top_reasons_from
    from ml.registry import load_served_model

    features = features.reset_index(drop=True)
    model = load_served_model(model_uri, tracking_uri=tracking_uri)
    scored_at = pd.Timestamp.now(tz="UTC")
    X = feature_matrix(features, model.feature_names or None)
    out = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(),
                        "snapshot_date": features["snapshot_date"].to_numpy(),
                        "population": population},
                       index=features.index)
    if len(X):
        out["churn_probability"] = model.predict_proba(X)
        out["return_probability"] = 1.0 - out["churn_probability"]
        deciles = [risk_deciles(group["churn_probability"], group["customer_id"].astype(str))
                   for _, group in out.groupby("snapshot_date", sort=False)]
        out["risk_decile"] = pd.concat(deciles).reindex(out.index).astype("int64")
        reasons = reason_contributions(model.booster, X)
        out = out.join(top_reasons_from(reasons, n=3))
        out["churn_cause"] = leading_cause(reasons)
    else:
        out["churn_probability"] = pd.Series(dtype="float64")
        out["return_probability"] = pd.Series(dtype="float64")
        out["risk_decile"] = pd.Series(dtype="int64")
        for column in ("reason_1", "reason_2", "reason_3", "churn_cause"):
            out[column] = pd.Series(dtype=object)
    out["model_version"] = model.version or model.model_uri
    out["scored_at"] = scored_at
    return out[list(SCORE_COLUMNS)].reset_index(drop=True)
