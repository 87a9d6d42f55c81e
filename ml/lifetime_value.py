"""Customer lifetime value for recall targeting (issue #16, part 3): expected GMV over the next
6 and 12 months if the customer is active, from BG/NBD purchase counts and Gamma-Gamma spend
(`ml.clv`), and its check on held-out months against today's rule (pre-churn monthly GMV x 7).

Input: paid orders (customer_id, ordered_at, gmv). Months are 30.4375 days; the models count in
weeks. `lifetime_values` fits on every order before `as_of`; `holdout_check` fits on the orders
before `cutoff` and compares, for every customer who ordered before it, the GMV actually paid in
the `horizon_months` after it with the model's expected GMV (unconditional: a customer may drop
out) and with the rule (paid GMV of the 3 months before the customer's last order before the
cutoff / 3 x horizon_months, as `customer_value.pre_churn_monthly_gmv` x 7 for 7 months), over
all of them and over those who bought in the held-out months (the model's value if active).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import clv

DAYS_PER_MONTH = 30.4375
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7.0
HORIZONS = (6, 12)
RULE_MONTHS = 3


def _fit(orders: pd.DataFrame, end: pd.Timestamp):
    summary = clv.rfm_summary(orders["customer_id"], orders["ordered_at"], orders["gmv"],
                              observation_end=end)
    bg = clv.fit_bgnbd(summary, penalizer=0.001)
    gg = clv.fit_gamma_gamma(summary[summary["frequency"] > 0], penalizer=0.001)
    return summary, bg, gg


def _check(orders: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("customer_id", "ordered_at", "gmv") if c not in orders.columns]
    if missing:
        raise ValueError(f"orders lack column(s) {missing}")
    return orders.assign(ordered_at=pd.to_datetime(orders["ordered_at"]),
                         gmv=pd.to_numeric(orders["gmv"]).astype(float))


def _values(summary: pd.DataFrame, bg, gg, horizons) -> pd.DataFrame:
    """prob_alive and, per horizon h (months), expected_gmv_<h>m_if_active and
    expected_gmv_<h>m (times P(alive)), indexed by customer."""
    spend = clv.expected_spend(gg, summary)
    out = pd.DataFrame({"prob_alive": clv.prob_alive(bg, summary)}, index=summary.index)
    for h in horizons:
        if_active = clv.expected_purchases_if_alive(bg, summary, h * WEEKS_PER_MONTH) * spend
        out[f"expected_gmv_{h}m_if_active"] = if_active
        out[f"expected_gmv_{h}m"] = if_active * out["prob_alive"]
    return out


def lifetime_values(orders: pd.DataFrame, as_of, horizons=HORIZONS) -> pd.DataFrame:
    """Per customer with an order before as_of: prob_alive, and for each horizon h (months)
    expected_gmv_<h>m_if_active and expected_gmv_<h>m (times P(alive))."""
    orders = _check(orders)
    summary, bg, gg = _fit(orders, pd.Timestamp(as_of))
    return _values(summary, bg, gg, horizons).reset_index()


def rule_value(orders: pd.DataFrame, end: pd.Timestamp, months: int) -> pd.Series:
    """Today's rule per customer: paid GMV of the RULE_MONTHS months up to the customer's last
    order before `end`, / RULE_MONTHS x months."""
    before = orders[orders["ordered_at"] < end]
    last = before.groupby("customer_id")["ordered_at"].transform("max")
    window = before[before["ordered_at"] > last - pd.Timedelta(days=RULE_MONTHS * DAYS_PER_MONTH)]
    return window.groupby("customer_id")["gmv"].sum() / RULE_MONTHS * months


@dataclass(frozen=True)
class HoldoutCheck:
    customers: int
    horizon_months: int
    mae_model: float
    mae_rule: float
    actual_mean: float
    buyers: int                 # customers who bought in the held-out months
    mae_model_if_active: float  # on them, the model's value if active against what they paid
    mae_rule_buyers: float      # on them, the rule

    @property
    def ratio(self) -> float:
        """Model MAE / rule MAE (below 1: the model is closer)."""
        return self.mae_model / self.mae_rule


def holdout_check(orders: pd.DataFrame, cutoff, horizon_months: int = 7) -> HoldoutCheck:
    """Mean absolute error of the model and of the rule on the held-out months; see the module."""
    orders = _check(orders)
    cutoff = pd.Timestamp(cutoff)
    end = cutoff + pd.Timedelta(days=horizon_months * DAYS_PER_MONTH)
    if orders["ordered_at"].max() < end - pd.Timedelta(days=1):
        raise ValueError(f"the orders end {orders['ordered_at'].max():%Y-%m-%d}, before the "
                         f"held-out {horizon_months} months after {cutoff:%Y-%m-%d} are complete")
    summary, bg, gg = _fit(orders, cutoff)
    values = _values(summary, bg, gg, (horizon_months,))
    model = values[f"expected_gmv_{horizon_months}m"]
    if_active = values[f"expected_gmv_{horizon_months}m_if_active"]
    held = orders[(orders["ordered_at"] >= cutoff) & (orders["ordered_at"] < end)]
    actual = held.groupby("customer_id")["gmv"].sum().reindex(summary.index, fill_value=0.0)
    rule = rule_value(orders, cutoff, horizon_months).reindex(summary.index, fill_value=0.0)
    bought = actual > 0
    return HoldoutCheck(customers=len(summary), horizon_months=horizon_months,
                        mae_model=float(np.abs(model - actual).mean()),
                        mae_rule=float(np.abs(rule - actual).mean()),
                        actual_mean=float(actual.mean()), buyers=int(bought.sum()),
                        mae_model_if_active=float(np.abs(if_active - actual)[bought].mean()),
                        mae_rule_buyers=float(np.abs(rule - actual)[bought].mean()))
