"""ml.drift: population stability index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml import drift
from ml.synthetic import make_snapshots


def test_psi_near_zero_for_same_distribution():
    rng = np.random.default_rng(0)
    assert drift.population_stability_index(rng.normal(size=5000), rng.normal(size=5000)) < 0.02


def test_psi_large_for_shifted_distribution():
    rng = np.random.default_rng(1)
    assert drift.population_stability_index(rng.normal(size=5000), rng.normal(0.8, 1.0, 5000)) > 0.2


def test_psi_by_hand_with_two_bins():
    expected = np.array([0.0] * 50 + [1.0] * 50)
    actual = np.array([0.0] * 20 + [1.0] * 80)
    # one cut at the median (0.5 quantile = 0.5): shares (0.5, 0.5) vs (0.2, 0.8), NaN bin empty
    by_hand = (0.2 - 0.5) * math.log(0.2 / 0.5) + (0.8 - 0.5) * math.log(0.8 / 0.5)
    assert drift.population_stability_index(expected, actual, n_bins=2) == pytest.approx(by_hand, abs=1e-6)


def test_missing_values_are_their_own_bin():
    rng = np.random.default_rng(2)
    expected = rng.normal(size=4000)
    actual = rng.normal(size=4000)
    actual[:1200] = np.nan  # 30% suddenly missing
    assert drift.population_stability_index(expected, actual) > 0.2


def test_constant_feature_does_not_break():
    assert drift.population_stability_index(np.zeros(100), np.zeros(100)) == pytest.approx(0.0)
    assert drift.population_stability_index(np.zeros(100), np.ones(100)) > 0.2


def test_feature_drift_report_names_the_shifted_feature():
    df = make_snapshots(n_customers=2000, n_snapshots=3, seed=5, shift={"visits_per_week_1m": 2.0})
    train = df[df["snapshot_date"] < df["snapshot_date"].max()]
    latest = df[df["snapshot_date"] == df["snapshot_date"].max()]
    report = drift.feature_drift(train, latest, threshold=0.2)
    assert report.max_feature == "visits_per_week_1m"
    assert report.max_psi > 0.2
    assert report.drifted[0] == "visits_per_week_1m"
    assert report.psi["complaints_3m"] < 0.05
    assert report.is_drifted


def test_feature_drift_quiet_without_shift():
    df = make_snapshots(n_customers=2000, n_snapshots=3, seed=6)
    train = df[df["snapshot_date"] < df["snapshot_date"].max()]
    latest = df[df["snapshot_date"] == df["snapshot_date"].max()]
    report = drift.feature_drift(train, latest)
    assert report.max_psi < 0.05
    assert not report.is_drifted
