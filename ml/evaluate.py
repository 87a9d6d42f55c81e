"""Validation metrics, reliability curve and probability calibration.

Metric names (also the MLflow metric names): auc, pr_auc, brier, log_loss, top_decile_lift,
top_decile_capture, precision_at_cutoff, recall_at_cutoff, ece.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PROBABILITY_EPS = 1e-6
CALIBRATION_METHODS = ("isotonic", "platt")


def _arrays(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    if y.shape != score.shape or y.ndim != 1:
        raise ValueError("labels and scores must be 1-d and of equal length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1")
    if np.isnan(score).any():
        raise ValueError("scores contain NaN")
    return y, score


def top_share(y, score, share: float = 0.1) -> tuple[float, float]:
    """(lift, capture) of the `share` highest scores: their positive rate / the overall rate,
    and their positives / all positives. Ties are broken by position (stable)."""
    y, score = _arrays(y, score)
    k = max(1, int(np.ceil(share * len(y))))
    top = np.argsort(-score, kind="stable")[:k]
    positives = y.sum()
    if positives == 0:
        return float("nan"), float("nan")
    return float(y[top].mean() / y.mean()), float(y[top].sum() / positives)


def precision_recall_at(y, p, cutoff: float) -> tuple[float, float]:
    """Precision and recall of calling `p >= cutoff` a churner (precision 0 when none called)."""
    y, p = _arrays(y, p)
    called = p >= cutoff
    tp = int((called & (y == 1)).sum())
    precision = tp / called.sum() if called.any() else 0.0
    recall = tp / y.sum() if y.any() else float("nan")
    return float(precision), float(recall)


def ranking_metrics(y, score) -> dict[str, float]:
    """Metrics that need only an order: ROC AUC, PR AUC (average precision), top decile."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y, score = _arrays(y, score)
    lift, capture = top_share(y, score, 0.1)
    return {
        "auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "top_decile_lift": lift,
        "top_decile_capture": capture,
    }


def classification_metrics(y, p, *, business_cutoff: float = 0.5, n_bins: int = 10) -> dict[str, float]:
    """All validation metrics of a probability: ranking, Brier, log loss, ECE, cutoff P/R."""
    from sklearn.metrics import brier_score_loss, log_loss

    y, p = _arrays(y, p)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    precision, recall = precision_recall_at(y, p, business_cutoff)
    clipped = np.clip(p, PROBABILITY_EPS, 1 - PROBABILITY_EPS)
    return {
        **ranking_metrics(y, p),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "precision_at_cutoff": precision,
        "recall_at_cutoff": recall,
        "ece": expected_calibration_error(y, p, n_bins=n_bins),
        "base_rate": float(y.mean()),
    }


def reliability_curve(y, p, *, n_bins: int = 10, strategy: str = "uniform") -> pd.DataFrame:
    """Binned reliability: per non-empty bin, mean predicted probability, observed rate, count.

    strategy: `uniform` (equal-width bins on [0, 1]) or `quantile` (equal-count bins).
    """
    y, p = _arrays(y, p)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
    else:
        raise ValueError(f"unknown strategy {strategy!r}")
    bins = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, len(edges) - 2)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    curve = frame.groupby("bin").agg(mean_predicted=("p", "mean"), observed_rate=("y", "mean"),
                                     count=("y", "size")).reset_index()
    curve["lower"] = edges[curve["bin"]]
    curve["upper"] = edges[curve["bin"] + 1]
    return curve[["bin", "lower", "upper", "mean_predicted", "observed_rate", "count"]]


def expected_calibration_error(y, p, *, n_bins: int = 10) -> float:
    """Count-weighted mean |observed rate - mean predicted| over equal-width bins."""
    curve = reliability_curve(y, p, n_bins=n_bins)
    weights = curve["count"] / curve["count"].sum()
    return float((weights * (curve["observed_rate"] - curve["mean_predicted"]).abs()).sum())


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from raw to calibrated probability, stored as plain numbers.

    method `none` is the identity; `isotonic` interpolates between thresholds (x -> y);
    `platt` is sigmoid(a * logit(p) + b). Applying it needs numpy only.
    """

    method: str = "none"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def apply(self, p) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.method == "none":
            out = p
        elif self.method == "isotonic":
            out = np.interp(p, np.asarray(self.x), np.asarray(self.y))
        elif self.method == "platt":
            logit = np.log(np.clip(p, PROBABILITY_EPS, 1 - PROBABILITY_EPS))
            logit -= np.log(np.clip(1 - p, PROBABILITY_EPS, 1 - PROBABILITY_EPS))
            out = 1.0 / (1.0 + np.exp(-(self.a * logit + self.b)))
        else:
            raise ValueError(f"unknown calibration method {self.method!r}")
        return np.clip(out, 0.0, 1.0)

    def to_dict(self) -> dict:
        return {"method": self.method, "x": [float(v) for v in self.x],
                "y": [float(v) for v in self.y], "a": float(self.a), "b": float(self.b)}

    @classmethod
    def from_dict(cls, data: dict | None) -> Calibrator:
        if not data:
            return cls()
        return cls(method=data.get("method", "none"), x=tuple(data.get("x", ())),
                   y=tuple(data.get("y", ())), a=float(data.get("a", 1.0)),
                   b=float(data.get("b", 0.0)))


def fit_calibrator(y, p, method: str = "isotonic") -> Calibrator:
    """Fit isotonic regression or Platt scaling of y on p."""
    y, p = _arrays(y, p)
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        return Calibrator("isotonic", x=tuple(iso.X_thresholds_.tolist()),
                          y=tuple(iso.y_thresholds_.tolist()))
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        clipped = np.clip(p, PROBABILITY_EPS, 1 - PROBABILITY_EPS)
        logit = np.log(clipped / (1 - clipped)).reshape(-1, 1)
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(logit, y)
        return Calibrator("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    raise ValueError(f"unknown calibration method {method!r}; use one of {CALIBRATION_METHODS}")


@dataclass(frozen=True)
class CalibrationResult:
    applied: bool
    calibrator: Calibrator
    ece_before: float
    ece_after: float  # cross-fitted (2 folds): an honest estimate of the calibrated ECE
    reason: str
    details: dict = field(default_factory=dict)


def _crossfit(y: np.ndarray, p: np.ndarray, method: str, seed: int) -> np.ndarray:
    folds = np.random.default_rng(seed).permutation(len(y)) % 2
    out = np.empty_like(p)
    for k in (0, 1):
        fit_rows, apply_rows = folds != k, folds == k
        out[apply_rows] = fit_calibrator(y[fit_rows], p[fit_rows], method).apply(p[apply_rows])
    return out


def calibrate_if_needed(y, p, *, max_ece: float = 0.05, method: str = "isotonic",
                        n_bins: int = 10, seed: int = 0) -> CalibrationResult:
    """Fit a calibrator when the ECE of `p` exceeds `max_ece`, and keep it only if it helps.

    "Helps" is judged out of sample: calibrators fitted on one half of the rows and applied to
    the other (2-fold cross-fitting) must lower the Brier score. The calibrator returned when
    applied is refitted on all rows.
    """
    from sklearn.metrics import brier_score_loss

    y, p = _arrays(y, p)
    ece_before = expected_calibration_error(y, p, n_bins=n_bins)
    if ece_before <= max_ece:
        return CalibrationResult(False, Calibrator(), ece_before, ece_before,
                                 f"ece {ece_before:.4f} <= {max_ece}: no calibration needed")
    crossfit = _crossfit(y, p, method, seed)
    ece_after = expected_calibration_error(y, crossfit, n_bins=n_bins)
    brier_before, brier_after = brier_score_loss(y, p), brier_score_loss(y, crossfit)
    details = {"brier_before": float(brier_before), "brier_crossfit": float(brier_after)}
    if brier_after >= brier_before:
        return CalibrationResult(False, Calibrator(), ece_before, ece_before,
                                 f"ece {ece_before:.4f} > {max_ece} but {method} calibration does "
                                 f"not improve the cross-fitted Brier score", details)
    return CalibrationResult(True, fit_calibrator(y, p, method), ece_before, ece_after,
                             f"ece {ece_before:.4f} > {max_ece}: {method} calibration applied "
                             f"(cross-fitted ece {ece_after:.4f})", details)
