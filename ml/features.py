"""The churn model's feature list: the one place that names features, their kind and the
business reason each one speaks for (used to turn SHAP contributions into reasons).

Columns are produced by the dbt mart `customer_snapshots`; a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

KEY_COLUMNS = ("customer_id", "snapshot_date")
LABEL_COLUMN = "is_churned_label"

REASONS = ("price", "service", "competitor", "activity", "value")


@dataclass(frozen=True)
class Feature:
    name: str
    reason: str
    categorical: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("tenure_days", "value"),
    Feature("days_since_last_interaction", "activity"),
    Feature("days_since_last_order", "activity"),
    Feature("visits_per_week_1m", "activity"),
    Feature("visits_per_week_3m", "activity"),
    Feature("visit_trend", "activity"),
    Feature("recent_visits", "activity"),
    Feature("visits_per_week_12m", "activity"),
    Feature("visit_overdue_ratio", "activity"),
    Feature("active_days_1m", "activity"),
    Feature("views_1m", "activity"),
    Feature("reviews_3m", "activity"),
    Feature("add_to_cart_1m", "price"),
    Feature("add_to_cart_per_visit_1m", "price"),
    Feature("cart_without_order_ratio_1m", "price"),
    Feature("promo_views_1m", "price"),
    Feature("promo_views_per_visit_1m", "price"),
    Feature("searches_1m", "activity"),
    Feature("competitor_searches_1m", "competitor"),
    Feature("competitor_search_share_3m", "competitor"),
    Feature("orders_1m", "activity"),
    Feature("orders_3m", "value"),
    Feature("orders_12m", "value"),
    Feature("gmv_1m", "value"),
    Feature("gmv_3m", "value"),
    Feature("gmv_12m", "value"),
    Feature("aov_12m", "value"),
    Feature("spend_trend", "value"),
    Feature("discount_share_12m", "price"),
    Feature("coupon_order_share_12m", "price"),
    Feature("returns_12m", "service"),
    Feature("avg_delivery_days_3m", "service"),
    Feature("late_deliveries_3m", "service"),
    Feature("complaints_3m", "service"),
    Feature("complaints_12m", "service"),
    Feature("inquiries_3m", "service"),
    Feature("avg_first_response_minutes_3m", "service"),
    Feature("avg_satisfaction_3m", "service"),
    Feature("category_breadth_3m", "value"),
    Feature("tier_rank", "value"),
    Feature("days_to_tier_expiry", "value"),
    Feature("referrals_12m", "value"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
REASON_OF: dict[str, str] = {f.name: f.reason for f in FEATURES}
