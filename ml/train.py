"""XGBoost training with early stopping on the validation snapshot, and the two baselines.

Class weights: none. The model is trained unweighted on the log loss, so its probabilities are
already close to calibrated (reweighting with `scale_pos_weight` inflates every probability by
the weight and hurts the Brier score; ranking metrics barely move). Residual miscalibration is
checked on the validation snapshot and corrected by `ml.evaluate.calibrate_if_needed`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.features import FEATURE_NAMES

RECENCY_FEATURE = "days_since_last_interaction"


@dataclass(frozen=True)
class XGBParams:
    """Hyperparameters; defaults suit tens of thousands of rows and ~40 features."""

    max_depth: int = 4
    learning_rate: float = 0.05
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    min_child_weight: float = 5.0
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 30
    device: str = "cpu"

    def booster_params(self, *, threads: int, seed: int) -> dict:
        params = dataclasses.asdict(self)
        params.pop("early_stopping_rounds")
        return {
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "tree_method": "hist",
            "nthread": int(threads),
            "seed": int(seed),
            **params,
        }


@dataclass
class TrainedModel:
    booster: object  # xgboost.Booster, cut at the best iteration
    best_iteration: int
    params: dict
    evals_result: dict = field(default_factory=dict)


def train_xgboost(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_valid: pd.DataFrame,
    y_valid: np.ndarray,
    *,
    threads: int = 2,
    max_rounds: int = 400,
    seed: int = 0,
    params: XGBParams | None = None,
) -> TrainedModel:
    """Train with early stopping on the validation log loss; keep only the best rounds."""
    import xgboost as xgb

    params = params or XGBParams()
    booster_params = params.booster_params(threads=threads, seed=seed)
    dtrain = xgb.QuantileDMatrix(X_train, label=y_train, nthread=threads)
    dvalid = xgb.QuantileDMatrix(X_valid, label=y_valid, nthread=threads, ref=dtrain)
    evals_result: dict = {}
    booster = xgb.train(
        booster_params,
        dtrain,
        num_boost_round=max_rounds,
        evals=[(dvalid, "validation")],  # the last (only) one drives early stopping
        early_stopping_rounds=params.early_stopping_rounds,
        evals_result=evals_result,
        verbose_eval=False,
    )
    best = int(booster.best_iteration)
    best_booster = booster[: best + 1]  # served model = best rounds only, no reliance on attributes
    best_booster.set_param({"nthread": int(threads)})
    return TrainedModel(booster=best_booster, best_iteration=best,
                        params={**booster_params, "max_rounds": max_rounds,
                                "early_stopping_rounds": params.early_stopping_rounds},
                        evals_result=evals_result)


def predict_raw(booster, X: pd.DataFrame) -> np.ndarray:
    """Uncalibrated churn probability from a booster (features checked against the model's)."""
    import xgboost as xgb

    if booster.feature_names is not None and list(booster.feature_names) != list(X.columns):
        raise ValueError("feature columns differ from the model's")
    return booster.predict(xgb.DMatrix(X)).astype(float)


def feature_importance(booster, importance_type: str = "total_gain") -> dict[str, float]:
    """Importance per feature, total loss reduction by default (never split on: 0)."""
    scores = booster.get_score(importance_type=importance_type)
    names = booster.feature_names or list(FEATURE_NAMES)
    return {name: float(scores.get(name, 0.0)) for name in names}


def recency_score(X: pd.DataFrame) -> np.ndarray:
    """Baseline rule: the longer since the last interaction, the higher the risk.

    A customer with no interaction on record (NaN) ranks above everyone.
    """
    days = X[RECENCY_FEATURE].to_numpy(dtype=float)
    top = np.nanmax(days) + 1.0 if np.isfinite(days).any() else 0.0
    return np.where(np.isnan(days), top, days)


def fit_logreg_baseline(X_train: pd.DataFrame, y_train: np.ndarray):
    """Logistic regression on the same features: median imputation, standardization."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    return model.fit(X_train.to_numpy(), y_train)


def baseline_scores(X_train: pd.DataFrame, y_train: np.ndarray,
                    X_valid: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validation scores of the baselines: `recency` (a rank score) and `logreg` (probability)."""
    logreg = fit_logreg_baseline(X_train, y_train)
    return {
        "recency": recency_score(X_valid),
        "logreg": logreg.predict_proba(X_valid.to_numpy())[:, 1],
    }
