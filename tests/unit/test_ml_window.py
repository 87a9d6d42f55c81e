"""ml.window: churn window recommended from inter-purchase gaps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ml import window


@pytest.fixture(scope="module")
def exponential_gaps() -> np.ndarray:
    return np.random.default_rng(11).exponential(20.0, 5000)  # 90th percentile 20 ln 10 = 46.05


def test_recommendation_is_the_rounded_up_90th_percentile(exponential_gaps):
    s = window.suggest_churn_days(exponential_gaps, current_churn_days=30, n_customers=1000)
    q90 = float(np.quantile(exponential_gaps, 0.9))
    assert 42 < q90 <= 49 and abs(q90 - 20 * math.log(10)) < 2.5
    assert s.churn_days == s.label_window_days == 49
    assert s.quantile_days == pytest.approx(q90)
    assert (s.n_gaps, s.n_customers, s.current_churn_days) == (5000, 1000, 30)
    assert list(s.percentiles) == [50, 75, 90, 95]
    assert s.percentiles[90] == pytest.approx(q90)
    assert s.percentiles[50] == pytest.approx(np.median(exponential_gaps))
    share = float(np.mean(exponential_gaps > 30))
    assert s.share_of_gaps_longer_than_current == pytest.approx(share)
    assert share == pytest.approx(math.exp(-30 / 20), abs=0.02)  # ~22% of pauses called churn
    assert s.share_of_gaps_longer_than_suggested == pytest.approx(np.mean(exponential_gaps > 49))
    assert sum(count for _, _, count in s.histogram) == 5000

    text = " ".join(s.reasoning)
    assert "churn_days = 49" in text and f"{q90:.1f} days" in text and "multiple of 7" in text
    assert "churn_days = 30" in text and f"{share:.1%}" in text and "wrongly" in text
    assert "churn_window_days = 49" in text


def test_render_shows_table_reasoning_and_paste_line(exponential_gaps):
    s = window.suggest_churn_days(exponential_gaps, current_churn_days=30)
    text = window.render(s)
    assert "churn_days = 49, churn_window_days = 49" in text
    assert "--set churn_days=49 --set churn_window_days=49" in text
    assert "<- current 30" in text and "<- suggested 49" in text
    assert all(sentence in text for sentence in s.reasoning)
    assert f"{s.percentiles[95]:.1f}" in text
    assert len(text.splitlines()) < 40


@pytest.mark.parametrize(("current", "phrase"),
                         [(90, "longer than needed"), (49, "already matches")])
def test_reasoning_when_current_is_long_enough(exponential_gaps, current, phrase):
    s = window.suggest_churn_days(exponential_gaps, current_churn_days=current)
    assert s.churn_days == 49 and phrase in " ".join(s.reasoning)


def test_step_and_minimum():
    gaps = np.array([1.0, 2.0, 3.0, 4.0, 30.0])
    assert window.suggest_churn_days(gaps, current_churn_days=30, quantile=0.5).churn_days == 7
    floored = window.suggest_churn_days(gaps, current_churn_days=30, quantile=0.5, min_days=10)
    assert floored.churn_days == 14 and "at least 10" in floored.reasoning[1]
    exact = window.suggest_churn_days(np.full(10, 28.0), current_churn_days=30)
    assert exact.churn_days == 28  # already a multiple of the step: not rounded further
    assert window.suggest_churn_days(np.full(10, 28.0), current_churn_days=30,
                                     step_days=1).churn_days == 28


def test_inter_purchase_gaps_collapses_same_day_orders():
    ts = pd.Timestamp
    gaps, customers = window.inter_purchase_gaps(
        ["a", "a", "a", "a", "b", "c", "c"],
        [ts("2024-01-01 09:00"), ts("2024-01-01 17:00"), ts("2024-01-11"), ts("2024-01-04"),
         ts("2024-02-01"), ts("2024-03-01"), ts("2024-03-01 08:00")])
    assert sorted(gaps.tolist()) == [3.0, 7.0] and customers == 1


def test_no_repeat_purchases_is_an_error():
    gaps, customers = window.inter_purchase_gaps(["a", "b", "b"], [pd.Timestamp("2024-01-01")] * 3)
    assert gaps.size == 0 and customers == 0
    with pytest.raises(ValueError, match="needs repeat purchases"):
        window.suggest_churn_days(gaps, current_churn_days=30)
    with pytest.raises(ValueError, match="quantile"):
        window.suggest_churn_days([5.0], current_churn_days=30, quantile=1.0)
