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
    """One feature: its name, the business reason it speaks for, and the raw table it needs
    (without that table it is empty, and training leaves it out)."""

    name: str
    reason: str
    source: str = "orders"
    categorical: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("tenure_days", "value", "customers"),
    Feature("days_since_last_interaction", "activity"),
    Feature("days_since_last_order", "activity"),
    Feature("visits_per_week_1m", "activity", "events"),
    Feature("visits_per_week_3m", "activity", "events"),
    Feature("visit_trend", "activity", "events"),
    Feature("recent_visits", "activity", "events"),
    Feature("visits_per_week_12m", "activity", "events"),
    Feature("visit_overdue_ratio", "activity", "events"),
    Feature("silence_before_last_interaction_days", "activity"),
    Feature("days_since_churn_return", "activity"),
    Feature("active_days_1m", "activity"),
    Feature("views_1m", "activity", "events"),
    Feature("reviews_3m", "activity", "events"),
    Feature("add_to_cart_1m", "price", "events"),
    Feature("add_to_cart_per_visit_1m", "price", "events"),
    Feature("cart_without_order_ratio_1m", "price", "events"),
    Feature("promo_views_1m", "price", "events"),
    Feature("promo_views_per_visit_1m", "price", "events"),
    Feature("searches_1m", "activity", "events"),
    Feature("competitor_searches_1m", "competitor", "events"),
    Feature("competitor_search_share_3m", "competitor", "events"),
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
    Feature("complaints_3m", "service", "support_tickets"),
    Feature("complaints_12m", "service", "support_tickets"),
    Feature("inquiries_3m", "service", "support_tickets"),
    Feature("avg_first_response_minutes_3m", "service", "support_tickets"),
    Feature("avg_satisfaction_3m", "service", "support_tickets"),
    Feature("category_breadth_3m", "value", "order_items"),
    Feature("tier_rank", "value", "memberships"),
    Feature("days_to_tier_expiry", "value", "memberships"),
    Feature("referrals_12m", "value", "referrals"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


def features_needing(table: str) -> tuple[str, ...]:
    """The features that stay empty when raw table `table` holds no rows."""
    return tuple(f.name for f in FEATURES if f.source == table)
REASON_OF: dict[str, str] = {f.name: f.reason for f in FEATURES}
