"""Registered model `churn_xgboost`: loading by alias, and the champion/challenger decision.

A served model is the XGBoost booster plus its calibrator; the calibrator travels inside the
logged model's MLmodel metadata (`metadata["calibration"]`), so whoever loads a model version
also gets the map that turns its raw scores into served probabilities.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.evaluate import Calibrator
from ml.tracking import MlflowTracking

log = logging.getLogger(__name__)

MODEL_NAME = "churn_xgboost"
CHAMPION = "champion"
CHALLENGER = "challenger"
CHAMPION_URI = f"models:/{MODEL_NAME}@{CHAMPION}"
# The return model: same features and label, trained on customers already lapsed at a snapshot.
RETURN_MODEL_NAME = "return_xgboost"
RETURN_CHAMPION_URI = f"models:/{RETURN_MODEL_NAME}@{CHAMPION}"
UPLIFT_MODEL_NAME = "recall_uplift"
UPLIFT_CHAMPION_URI = f"models:/{UPLIFT_MODEL_NAME}@{CHAMPION}"

_ALIAS_URI = re.compile(r"^models:/(?P<name>[^/@]+)@(?P<alias>[^/]+)$")
_VERSION_URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")


def model_metadata(calibrator: Calibrator, feature_names) -> dict:
    """What a logged model carries besides the booster (stored in its MLmodel file)."""
    return {"calibration": calibrator.to_dict(), "feature_names": list(feature_names)}


@dataclass
class ServedModel:
    """A booster with its calibrator; `version` is the registry version when known."""

    booster: object
    calibrator: Calibrator
    model_uri: str
    version: str | None = None

    @property
    def feature_names(self) -> list[str]:
        return list(self.booster.feature_names or [])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        from ml.train import predict_raw

        return self.calibrator.apply(predict_raw(self.booster, X))


def pinned_uri(model_uri: str, client) -> tuple[str, str | None]:
    """Resolve an alias URI to its version now: (`models:/name/<version>`, version).

    Other URIs (`runs:/`, `models:/m-...`) pass through with version None.
    """
    if match := _ALIAS_URI.match(model_uri):
        version = client.get_model_version_by_alias(match["name"], match["alias"]).version
        return f"models:/{match['name']}/{version}", str(version)
    if match := _VERSION_URI.match(model_uri):
        return model_uri, match["version"]
    return model_uri, None


def load_served_model(model_uri: str, *, tracking_uri: str) -> ServedModel:
    """Load booster and calibrator of one model; an alias is resolved once, before loading."""
    import mlflow

    tracking = MlflowTracking(tracking_uri)
    with tracking.session():
        uri, version = pinned_uri(model_uri, tracking.client())
        booster = mlflow.xgboost.load_model(uri)
        metadata = mlflow.models.get_model_info(uri).metadata or {}
    return ServedModel(booster=booster, calibrator=Calibrator.from_dict(metadata.get("calibration")),
                       model_uri=uri, version=version)


def current_alias_version(client, alias: str, name: str = MODEL_NAME) -> str | None:
    """Version holding `alias`, or None (also when the model is not registered yet)."""
    from mlflow.exceptions import MlflowException

    try:
        aliases = client.get_registered_model(name).aliases or {}
    except MlflowException:
        return None
    version = aliases.get(alias)
    return str(version) if version is not None else None


def has_champion(name: str, *, tracking_uri: str) -> bool:
    """Whether registered model `name` has a version with alias `champion`."""
    tracking = MlflowTracking(tracking_uri)
    with tracking.session():
        return current_alias_version(tracking.client(), CHAMPION, name) is not None


def decide(challenger_auc: float, champion_auc: float | None, *,
           min_improvement: float = 0.0, metric: str = "AUC",
           compared_on: str = "the same validation snapshot") -> tuple[bool, str]:
    """Promote when there is no champion, or the challenger's metric (AUC for the churn
    models, the mean Qini coefficient for the uplift model) beats it; a tie keeps it."""
    if champion_auc is None:
        return True, "first model: no champion yet"
    if challenger_auc > champion_auc + min_improvement:
        return True, (f"challenger {metric} {challenger_auc:.4f} beats champion {metric} "
                      f"{champion_auc:.4f} on {compared_on}")
    return False, (f"challenger {metric} {challenger_auc:.4f} does not beat champion {metric} "
                   f"{champion_auc:.4f} on {compared_on}")


@dataclass(frozen=True)
class PromotionDecision:
    promoted: bool
    alias: str
    reason: str
    challenger_auc: float
    champion_auc: float | None
    champion_version: str | None


def promote_or_challenge(
    tracking: MlflowTracking,
    *,
    version: str,
    challenger_auc: float,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    validation_date: str,
    name: str = MODEL_NAME,
    min_improvement: float = 0.0,
) -> PromotionDecision:
    """Re-score the current champion on this validation snapshot and set the new alias.

    The new version gets `champion` if it wins (see `decide`), else `challenger`. The decision
    and both AUCs are tagged on the new model version.
    """
    from sklearn.metrics import roc_auc_score

    client = tracking.client()
    champion_version = current_alias_version(client, CHAMPION, name)
    champion_auc = None
    if champion_version is None:
        promoted, reason = decide(challenger_auc, None)
    else:
        champion = load_served_model(f"models:/{name}/{champion_version}",
                                     tracking_uri=tracking.tracking_uri)
        if champion.feature_names != list(X_valid.columns):
            promoted = True
            reason = (f"champion v{champion_version} uses another feature list and cannot be "
                      f"re-scored on current data")
        else:
            champion_auc = float(roc_auc_score(y_valid, champion.predict_proba(X_valid)))
            promoted, reason = decide(challenger_auc, champion_auc, min_improvement=min_improvement)
    alias = CHAMPION if promoted else CHALLENGER
    client.set_registered_model_alias(name, alias, version)
    tags = {
        "promotion_reason": reason,
        "alias_at_registration": alias,
        "compared_on_snapshot": validation_date,
        "challenger_auc": f"{challenger_auc:.6f}",
        "champion_version": champion_version or "",
        "champion_auc": "" if champion_auc is None else f"{champion_auc:.6f}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    log.info("model %s v%s -> %s: %s", name, version, alias, reason)
    return PromotionDecision(promoted, alias, reason, challenger_auc, champion_auc, champion_version)
