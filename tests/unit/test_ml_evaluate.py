"""ml.evaluate and ml.plots: metrics by hand, reliability, calibration, PNG output."""

from __future__ import annotations

import numpy as np
import pytest

from ml import evaluate, plots

Y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
S = np.arange(20, 0, -1) / 20  # 1.0, 0.95, ..., 0.05: rows 0 and 1 are the top decile


def test_top_decile_lift_and_capture_by_hand():
    lift, capture = evaluate.top_share(Y, S, 0.1)
    # top 2 rows hold 1 of 3 positives: rate 0.5 vs overall 3/20 = 0.15
    assert lift == pytest.approx(0.5 / 0.15)
    assert capture == pytest.approx(1 / 3)


def test_precision_recall_at_cutoff_by_hand():
    precision, recall = evaluate.precision_recall_at(Y, S, cutoff=0.5)
    called = S >= 0.5  # rows 0..10 (11 rows; S[10] = 0.5), holding all 3 positives
    assert called.sum() == 11
    assert precision == pytest.approx(3 / 11)
    assert recall == pytest.approx(1.0)
    assert evaluate.precision_recall_at(Y, S, cutoff=1.01) == (0.0, 0.0)  # nobody called


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_in_range_on_random_scores(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    m = evaluate.classification_metrics(y, p, business_cutoff=0.3)
    for name in ("auc", "pr_auc", "brier", "precision_at_cutoff", "recall_at_cutoff",
                 "top_decile_capture", "ece", "base_rate"):
        assert 0.0 <= m[name] <= 1.0
    assert 0.4 < m["auc"] < 0.6
    assert m["log_loss"] > 0


def test_perfect_ranking_gets_auc_one():
    m = evaluate.ranking_metrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert m["auc"] == 1.0 and m["pr_auc"] == 1.0


def test_reliability_curve_bins_by_hand():
    curve = evaluate.reliability_curve([0, 1, 0, 1], [0.05, 0.05, 0.95, 0.95], n_bins=10)
    assert curve["bin"].tolist() == [0, 9]
    assert curve["count"].tolist() == [2, 2]
    assert curve["observed_rate"].tolist() == [0.5, 0.5]
    # ECE = 0.5 * |0.5 - 0.05| + 0.5 * |0.5 - 0.95| = 0.45
    assert evaluate.expected_calibration_error([0, 1, 0, 1], [0.05, 0.05, 0.95, 0.95]) == pytest.approx(0.45)


def _miscalibrated(seed: int = 0, n: int = 4000):
    rng = np.random.default_rng(seed)
    true_p = rng.beta(2, 5, n)
    y = (rng.random(n) < true_p).astype(int)
    return y, true_p


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_applied_when_ece_large(method):
    y, true_p = _miscalibrated()
    overconfident = true_p ** 0.5  # monotone, far too high
    result = evaluate.calibrate_if_needed(y, overconfident, max_ece=0.05, method=method)
    assert result.applied
    assert result.ece_before > 0.1
    assert result.ece_after < 0.05
    calibrated = result.calibrator.apply(overconfident)
    assert evaluate.expected_calibration_error(y, calibrated) < 0.03
    restored = evaluate.Calibrator.from_dict(result.calibrator.to_dict())
    np.testing.assert_allclose(restored.apply(overconfident), calibrated)


def test_calibration_skipped_when_already_calibrated():
    y, true_p = _miscalibrated(seed=1)
    result = evaluate.calibrate_if_needed(y, true_p, max_ece=0.05)
    assert not result.applied
    assert result.calibrator.method == "none"
    np.testing.assert_array_equal(result.calibrator.apply(true_p), true_p)


def test_metrics_refuse_nan_scores():
    with pytest.raises(ValueError, match="NaN"):
        evaluate.ranking_metrics([0, 1], [0.1, np.nan])


def test_plots_are_png(tmp_path):
    y, p = _miscalibrated(seed=2, n=400)
    paths = plots.save_all(y, p, baselines={"random": np.random.default_rng(0).random(400)},
                           importance={"a": 3.0, "b": 1.0, "c": 0.0}, out_dir=tmp_path)
    assert set(paths) == {"roc", "pr", "calibration", "gains", "importance"}
    for path in paths.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5000
