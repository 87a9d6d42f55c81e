"""Synthetic `customer_snapshots` frames with planted truth, for tests and demos of `ml/`.

Not the shop simulator (`sources/simulator`): a small, fast generator whose churn probability
is a known nonlinear function of a few features, so tests can check that the model recovers it.

Planted story: every customer carries a latent driver (`price`, `service`, `competitor` or
none). A driver shows in its own features (carts left without an order and discount share;
complaints and late deliveries; competitor searches) and raises churn through a threshold or
an interaction, which a linear model cannot represent well. Recency adds a smooth, weaker
effect. `true_probability` and `planted_reason` are extra columns, ignored by the pipeline.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ml.features import FEATURE_NAMES, LABEL_COLUMN

DRIVERS = ("price", "service", "competitor")
TIERS = ("basic", "silver", "gold", "platinum")
REGIONS = ("north", "south", "east", "west")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def true_logit(df: pd.DataFrame) -> np.ndarray:
    """The planted log-odds of churning in the label window, from observed features only."""
    service = 2.4 * ((df["complaints_3m"] >= 2) & (df["late_deliveries_3m"] >= 2))
    price = 2.2 * ((df["cart_without_order_ratio_1m"] > 0.6) & (df["discount_share_12m"] > 0.35))
    competitor = 2.3 * (df["competitor_search_share_3m"] > 0.25)
    recency = 0.8 * np.tanh((df["days_since_last_interaction"].fillna(60) - 15.0) / 10.0)
    loyalty = -0.3 * df["tier_rank"]
    return (-2.4 + service + price + competitor + recency + loyalty).to_numpy(dtype=float)


def make_snapshots(
    n_customers: int = 1500,
    n_snapshots: int = 5,
    *,
    seed: int = 0,
    first_snapshot: date = date(2025, 1, 1),
    labelled_snapshots: int | None = None,
    shift: dict[str, float] | None = None,
    shuffle_labels_before: date | None = None,
) -> pd.DataFrame:
    """Monthly snapshots of `n_customers`; the newest one is unlabelled (label window open).

    labelled_snapshots: how many of the oldest snapshots carry labels (default all but the last).
    shift: feature -> additive shift applied to the newest snapshot (drift tests).
    shuffle_labels_before: shuffle labels of snapshots older than this date (a useless model).
    """
    rng = np.random.default_rng(seed)
    labelled = n_snapshots - 1 if labelled_snapshots is None else labelled_snapshots
    dates = pd.date_range(pd.Timestamp(first_snapshot), periods=n_snapshots, freq="MS")
    customer_ids = np.array([f"c{i:06d}" for i in range(n_customers)])
    tier_rank = rng.choice(4, size=n_customers, p=(0.5, 0.25, 0.15, 0.10))
    region = rng.choice(REGIONS, size=n_customers)
    frames = []
    for k, snapshot_date in enumerate(dates):
        n = n_customers
        driver = rng.choice(4, size=n, p=(0.2, 0.2, 0.15, 0.45))  # price, service, competitor, none
        is_price, is_service, is_competitor = (driver == 0), (driver == 1), (driver == 2)
        f: dict[str, np.ndarray] = {}
        f["tenure_days"] = rng.gamma(2.0, 200.0, n)
        f["days_since_last_interaction"] = rng.exponential(12.0, n)
        f["days_since_last_order"] = f["days_since_last_interaction"] + rng.exponential(20.0, n)
        f["visits_per_week_1m"] = rng.gamma(2.0, 1.2, n)
        f["visits_per_week_3m"] = f["visits_per_week_1m"] * rng.lognormal(0.0, 0.3, n)
        f["visit_trend"] = f["visits_per_week_1m"] - f["visits_per_week_3m"]
        f["recent_visits"] = np.round(f["visits_per_week_1m"] * 2.0)
        f["visits_per_week_12m"] = f["visits_per_week_3m"]
        f["visit_overdue_ratio"] = f["days_since_last_interaction"] * f["visits_per_week_12m"] / 7
        f["active_days_1m"] = np.minimum(30, rng.poisson(f["visits_per_week_1m"] * 3.5))
        f["views_1m"] = rng.poisson(f["visits_per_week_1m"] * 20)
        f["reviews_3m"] = rng.poisson(0.5, n)
        f["add_to_cart_1m"] = rng.poisson(3.0 + 3.0 * is_price)
        f["cart_without_order_ratio_1m"] = rng.beta(2 + 4 * is_price, 4 - 2 * is_price)
        f["promo_views_1m"] = rng.poisson(2.0 + 4.0 * is_price)
        visits_1m = np.maximum(f["visits_per_week_1m"] * 30 / 7, 1.0)
        f["promo_views_per_visit_1m"] = f["promo_views_1m"] / visits_1m
        f["add_to_cart_per_visit_1m"] = f["add_to_cart_1m"] / visits_1m
        f["searches_1m"] = rng.poisson(8.0, n)
        f["competitor_searches_1m"] = rng.poisson(0.5 + 3.0 * is_competitor)
        f["competitor_search_share_3m"] = rng.beta(1 + 3 * is_competitor, 9 - 4 * is_competitor)
        f["orders_1m"] = rng.poisson(1.0, n)
        f["orders_3m"] = f["orders_1m"] + rng.poisson(2.0, n)
        f["orders_12m"] = f["orders_3m"] + rng.poisson(6.0, n)
        f["aov_12m"] = rng.lognormal(3.5, 0.5, n)
        f["gmv_1m"] = f["orders_1m"] * f["aov_12m"]
        f["gmv_3m"] = f["orders_3m"] * f["aov_12m"]
        f["gmv_12m"] = f["orders_12m"] * f["aov_12m"]
        f["spend_trend"] = rng.normal(0.0, 1.0, n)
        f["discount_share_12m"] = rng.beta(2 + 3 * is_price, 6 - 2 * is_price)
        f["coupon_order_share_12m"] = rng.beta(2 + 2 * is_price, 6, n)
        f["returns_12m"] = rng.poisson(0.5 + 1.0 * is_service)
        f["avg_delivery_days_3m"] = rng.gamma(3.0, 1.0 + 0.8 * is_service)
        f["late_deliveries_3m"] = rng.poisson(0.4 + 2.2 * is_service)
        f["complaints_3m"] = rng.poisson(0.3 + 2.2 * is_service)
        f["complaints_12m"] = f["complaints_3m"] + rng.poisson(0.5, n)
        f["inquiries_3m"] = rng.poisson(1.0 + 1.0 * is_service)
        f["avg_first_response_minutes_3m"] = rng.gamma(2.0, 30.0 + 20.0 * is_service)
        f["avg_satisfaction_3m"] = np.clip(rng.normal(4.0 - 0.8 * is_service, 0.6), 1, 5)
        f["category_breadth_3m"] = rng.poisson(3.0, n)
        f["tier_rank"] = tier_rank.astype(float)
        f["days_to_tier_expiry"] = rng.uniform(0, 365, n)
        f["referrals_12m"] = rng.poisson(0.2, n)
        gaps = np.random.default_rng([seed, k, 1])   # its own stream: `rng` draws as before
        f["silence_before_last_interaction_days"] = gaps.exponential(7.0, n)
        f["days_since_churn_return"] = np.where(gaps.random(n) < 0.2, gaps.uniform(0, 365, n),
                                                np.nan)
        frame = pd.DataFrame({name: np.asarray(f[name], dtype=float) for name in FEATURE_NAMES})
        # No support contact in the window: response time and satisfaction are unknown.
        no_contact = rng.random(n) < 0.15
        frame.loc[no_contact, ["avg_first_response_minutes_3m", "avg_satisfaction_3m"]] = np.nan
        if shift and k == n_snapshots - 1:
            for name, delta in shift.items():
                frame[name] = frame[name] + delta
        p = _sigmoid(true_logit(frame))
        label = (rng.random(n) < p).astype(float)
        if k >= labelled:
            label[:] = np.nan
        elif shuffle_labels_before is not None and snapshot_date < pd.Timestamp(shuffle_labels_before):
            label = np.random.default_rng([seed, k]).permutation(label)  # leaves `rng` untouched
        frame.insert(0, "snapshot_date", snapshot_date)
        frame.insert(0, "customer_id", customer_ids)
        frame["tier"] = np.asarray(TIERS)[tier_rank]
        frame["region"] = region
        frame[LABEL_COLUMN] = label
        frame["true_probability"] = p
        frame["planted_reason"] = np.asarray(DRIVERS + ("none",), dtype=object)[driver]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
