"""Population stability index (PSI) of each feature, training data vs the latest snapshot.

PSI = sum over bins of (a - e) * ln(a / e), with e and a the expected (training) and actual
(latest) shares of a bin. Bins are cut at training quantiles; missing values are a bin of their
own. Rule of thumb: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant (retrain).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.dataset import as_float
from ml.features import FEATURE_NAMES

DEFAULT_THRESHOLD = 0.2
EMPTY_SHARE = 1e-4  # share given to an empty bin so the logarithm stays finite


def bin_edges(expected, n_bins: int = 10) -> np.ndarray:
    """Interior cut points: distinct training quantiles at 1/n .. (n-1)/n (NaN ignored)."""
    values = np.asarray(expected, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.array([])
    return np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))


def _shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share per bin: (-inf, e0], (e0, e1], ..., (ek, inf), then the NaN bin."""
    missing = np.isnan(values)
    index = np.searchsorted(edges, values[~missing], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, missing.sum())
    return counts / max(len(values), 1)


def population_stability_index(expected, actual, n_bins: int = 10) -> float:
    """PSI of one variable; bins from `expected` quantiles, NaN as its own bin."""
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    if expected.size == 0 or actual.size == 0:
        raise ValueError("PSI needs values on both sides")
    edges = bin_edges(expected, n_bins)
    e = np.maximum(_shares(expected, edges), EMPTY_SHARE)
    a = np.maximum(_shares(actual, edges), EMPTY_SHARE)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class DriftReport:
    psi: dict[str, float]
    max_psi: float
    max_feature: str | None
    threshold: float
    drifted: list[str] = field(default_factory=list)

    @property
    def is_drifted(self) -> bool:
        return bool(self.drifted)


def feature_drift(train: pd.DataFrame, latest: pd.DataFrame, *, features=FEATURE_NAMES,
                  n_bins: int = 10, threshold: float = DEFAULT_THRESHOLD) -> DriftReport:
    """PSI per feature; `drifted` lists features with PSI above threshold (largest first)."""
    psi = {name: population_stability_index(as_float(train[name]), as_float(latest[name]), n_bins)
           for name in features}
    if not psi:
        return DriftReport({}, 0.0, None, threshold)
    worst = max(psi, key=psi.get)
    drifted = sorted((n for n, v in psi.items() if v > threshold), key=psi.get, reverse=True)
    return DriftReport(psi=psi, max_psi=psi[worst], max_feature=worst, threshold=threshold,
                       drifted=drifted)
