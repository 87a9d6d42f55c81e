"""Recommend the churn window (`churn_days`, and `churn_window_days` with it) from purchase gaps.

A customer is called churned after `churn_days` without activity. If that is shorter than the
ordinary pause between two purchases, loyal customers are labelled churned on every longer
pause. The recommendation is a high quantile of the observed inter-purchase gaps (90% by
default), rounded up to whole weeks, so only that small share of normal pauses looks like churn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PERCENTILES = (50, 75, 90, 95)
MAX_ROWS = 20  # histogram rows in the report


@dataclass(frozen=True)
class WindowSuggestion:
    churn_days: int
    label_window_days: int
    current_churn_days: int
    quantile: float
    quantile_days: float
    n_gaps: int
    n_customers: int | None
    percentiles: dict[int, float]
    share_of_gaps_longer_than_current: float
    share_of_gaps_longer_than_suggested: float
    histogram: list[tuple[float, float, int]] = field(default_factory=list)  # (from, to, count)
    reasoning: list[str] = field(default_factory=list)


def inter_purchase_gaps(customer_ids, order_times) -> tuple[np.ndarray, int]:
    """Days between consecutive purchase days of each customer (same-day orders count once).

    Returns the gaps and the number of customers who contributed at least one.
    """
    orders = pd.DataFrame({"customer_id": np.asarray(customer_ids),
                           "day": pd.to_datetime(np.asarray(order_times)).normalize()})
    orders = orders.drop_duplicates().sort_values(["customer_id", "day"])
    gaps = orders.groupby("customer_id")["day"].diff().dropna()
    n_customers = int(orders.loc[gaps.index, "customer_id"].nunique())
    return (gaps / pd.Timedelta(days=1)).to_numpy(dtype=float), n_customers


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def suggest_churn_days(gaps_days, *, current_churn_days: int, quantile: float = 0.9,
                       step_days: int = 7, min_days: int = 7,
                       n_customers: int | None = None) -> WindowSuggestion:
    """churn_days = the `quantile` of the gaps (at least `min_days`) rounded up to a multiple of
    `step_days`; the label window (churn_window_days) should equal it.

    `gaps_days` are inter-purchase gaps in days (see `inter_purchase_gaps`); `n_customers`, if
    given, is only reported.
    """
    gaps = np.asarray(gaps_days, dtype=float).ravel()
    gaps = gaps[np.isfinite(gaps)]
    if gaps.size == 0:
        raise ValueError("no inter-purchase gaps: recommending a churn window needs repeat "
                         "purchases (at least one customer with orders on 2 different days)")
    if (gaps < 0).any():
        raise ValueError("inter-purchase gaps must not be negative")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile={quantile} must lie strictly between 0 and 1")
    if step_days < 1 or min_days < 1:
        raise ValueError("step_days and min_days must be at least 1")

    q_days = float(np.quantile(gaps, quantile))
    churn_days = step_days * math.ceil(max(q_days, min_days) / step_days - 1e-9)
    percentiles = {p: float(np.percentile(gaps, p)) for p in PERCENTILES}
    longer_current = float(np.mean(gaps > current_churn_days))
    longer_suggested = float(np.mean(gaps > churn_days))
    # rows of whole multiples of step_days, at most ~MAX_ROWS, the last one for all longer gaps
    top = max(churn_days, current_churn_days, float(np.percentile(gaps, 99)))
    width = step_days * math.ceil(top / (step_days * MAX_ROWS))
    edges = np.arange(0.0, width * (math.ceil(top / width) + 1) + width / 2, width)
    counts, _ = np.histogram(np.minimum(gaps, edges[-1]), bins=edges)
    histogram = [(float(lo), float(hi), int(c))
                 for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)]

    pct = quantile * 100
    who = f" from {n_customers} customers" if n_customers is not None else ""
    floor = f", and to at least {min_days}" if q_days < min_days else ""
    reasoning = [
        (f"Across {gaps.size} gaps between consecutive purchases{who}, the median gap is "
         f"{_fmt(percentiles[50])} days; 75% of gaps are at most {_fmt(percentiles[75])} days, "
         f"90% at most {_fmt(percentiles[90])} and 95% at most {_fmt(percentiles[95])}."),
        (f"Recommended churn_days = {churn_days}: the {pct:g}th percentile gap "
         f"({q_days:.1f} days) rounded up to a multiple of {step_days} days{floor}. Only "
         f"{longer_suggested:.1%} of observed gaps are longer, so a buyer who is still loyal "
         "is rarely called churned."),
    ]
    if current_churn_days < churn_days:
        reasoning.append(
            f"The current churn_days = {current_churn_days} is shorter than "
            f"{longer_current:.1%} of observed gaps: each of those ordinary pauses would "
            "wrongly mark a customer who bought again as churned.")
    elif current_churn_days > churn_days:
        reasoning.append(
            f"The current churn_days = {current_churn_days} is longer than needed: only "
            f"{longer_current:.1%} of gaps exceed it, but churn is recognised "
            f"{current_churn_days - churn_days} days later than with {churn_days}.")
    else:
        reasoning.append(
            f"The current churn_days = {current_churn_days} already matches; {longer_current:.1%} "
            "of observed gaps are longer than it.")
    reasoning.append(
        f"Set the label window to the same value (churn_window_days = {churn_days}) so the "
        "training label asks exactly what the churn definition says: no purchase within "
        "churn_days.")
    return WindowSuggestion(
        churn_days=churn_days, label_window_days=churn_days,
        current_churn_days=current_churn_days, quantile=quantile, quantile_days=q_days,
        n_gaps=int(gaps.size), n_customers=n_customers, percentiles=percentiles,
        share_of_gaps_longer_than_current=longer_current,
        share_of_gaps_longer_than_suggested=longer_suggested,
        histogram=histogram, reasoning=reasoning)


def render(s: WindowSuggestion, *, width: int = 40) -> str:
    """Short text report: gap histogram, percentile table, reasoning and the settings to paste."""
    lines = [f"Inter-purchase gaps: {s.n_gaps}"
             + (f" from {s.n_customers} customers" if s.n_customers is not None else ""), ""]
    peak = max((c for _, _, c in s.histogram), default=0) or 1
    last = len(s.histogram) - 1
    for i, (lo, hi, count) in enumerate(s.histogram):
        label = f"{lo:>4.0f}-{hi:<4.0f}" if i < last else f"{lo:>4.0f}+    "
        marks = [f"{name} {d}" for name, d in (("current", s.current_churn_days),
                                                 ("suggested", s.churn_days)) if lo < d <= hi]
        note = f"  <- {', '.join(marks)}" if marks else ""
        lines.append(f"{label} d | {'#' * round(width * count / peak):<{width}} {count}{note}")
    lines += ["", "percentile  days"]
    lines += [f"{p:>10}  {v:.1f}" for p, v in s.percentiles.items()]
    lines += [""] + [f"- {sentence}" for sentence in s.reasoning]
    lines += ["", f"churn_days = {s.churn_days}, churn_window_days = {s.label_window_days}",
              f"  (--set churn_days={s.churn_days} --set churn_window_days={s.label_window_days})"]
    return "\n".join(lines)
