"""The raw-table contract: every raw table, column, key and allowed value, defined once.

The loader, the simulator, the Great Expectations suites, the dbt sources file and the docs all
read this module; nothing else lists raw columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RAW_SCHEMA = "raw"
QUARANTINE_SCHEMA = "raw_quarantine"
TRUTH_SCHEMA = "truth"

CHANNELS = ("email", "sms", "in_app", "app_push", "messenger", "agent", "phone")
EVENT_TYPES = ("visit", "login", "view", "add_to_cart", "search", "promo_view", "review")
ORDER_STATUSES = ("paid", "returned", "cancelled")
TICKET_KINDS = ("complaint", "inquiry", "return")
TICKET_TOPICS = ("logistics", "after_sales", "product", "price")
TIERS = ("basic", "silver", "gold", "platinum")
LAYERS = ("base", "advanced", "core")
ARMS = ("treatment", "control")
WAVES = ("silent", "service", "competitor", "price", "mixed")
# The wave (raw.recall_campaigns.wave) of a campaign targeting one churn type.
WAVE_OF_CHURN_TYPE = {"silent": "silent", "service_dissatisfied": "service",
                      "competitor_attracted": "competitor", "price_sensitive": "price"}
CHURN_TYPES = ("price_sensitive", "service_dissatisfied", "competitor_attracted", "silent")
DESIGNS = ("randomized", "observational")
CAMPAIGN_KINDS = ("wave", "pilot", "rollout", "trigger")
MARKET_EVENT_KINDS = ("competitor_promotion",)
# The offers the platform knows, with what each gives the customer. A plan file may declare a
# shop's own offers besides these (sources/plan.py); raw assignments keep any offer name.
OFFERS: dict[str, str] = {
    "generic_coupon": "a coupon on the next order (the base layer's default)",
    "price_match": "the competitor's price matched on the customer's usual basket",
    "exclusive_access": "early or members-only access to new products",
    "service_recovery": "an apology with free shipping and priority support",
    "content_recommendation": "personalised new arrivals and picks, no discount",
    "category_recommendation": "recommendations and a discount in the customer's top category",
    "custom_package": "the core layer's package: coupon, category discount, early access, agent",
}
REGIONS = ("north", "south", "east", "west", "central")
ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "referral", "affiliate")
CATEGORIES = (
    "grocery", "fashion", "electronics", "home", "beauty", "sports", "toys", "books",
)

# The recall channel rule: the channels each pyramid layer contacts through, its default first.
# A customer whose preferred channel is one of the layer's is contacted there, anyone else
# through the default. The simulator's past waves and the recall_segments mart (macro
# recall_channel, dbt var `layer_channels` from orchestration.settings) apply this one definition
# (tests/dbt/test_channel_rule.py).
LAYER_CHANNELS: dict[str, tuple[str, ...]] = {
    "base": ("email", "sms", "in_app"),          # automated
    "advanced": ("app_push", "messenger"),       # semi-automated
    "core": ("agent",),                          # manual
}
# Default cost of one contact per channel, in the shop's currency: the simulated history's
# touch costs and the defaults of the cost_<channel> settings.
CONTACT_COSTS: dict[str, float] = {
    "email": 0.05, "sms": 0.08, "in_app": 0.01, "app_push": 0.02, "messenger": 0.30,
    "agent": 20.0, "phone": 8.0,
}


@dataclass(frozen=True)
class Column:
    """One raw column: logical DuckDB type, nullability, domain and meaning.

    `allowed` is a coded value set the loader enforces (map a shop's spellings onto it with a
    mapping file); `known` lists the values the platform knows for a descriptive attribute,
    which also takes the shop's own values; `missing_means` documents what a missing value of
    an optional column stands for (staging applies it).
    """

    name: str
    type: str
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    known: tuple[str, ...] | None = None
    missing_means: str | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    to_column: str


@dataclass(frozen=True)
class Table:
    """One raw table of the contract."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    references: tuple[ForeignKey, ...] = field(default_factory=tuple)
    time_column: str | None = None
    without: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name}")

    def create_sql(self, schema: str, name: str | None = None) -> str:
        """DDL for this table; identifiers come from the contract, never from user input."""
        cols = ",\n  ".join(f'"{c.name}" {c.type}' for c in self.columns)
        return f'create table if not exists "{schema}"."{name or self.name}" (\n  {cols}\n)'


def _c(name: str, type_: str, description: str, **kw) -> Column:
    return Column(name, type_, description, **kw)


MONEY = "DECIMAL(18, 2)"

TABLES: tuple[Table, ...] = (
    Table(
        "customers",
        "One row per customer: sign-up, region, acquisition channel and preferred contact channel.",
        (
            _c("customer_id", "VARCHAR", "Customer identifier."),
            _c("signup_at", "TIMESTAMP", "When the customer registered (UTC).", nullable=True,
               missing_means="the customer's first order or interaction"),
            _c("region", "VARCHAR", "Sales region (the shop's own values).", nullable=True,
               known=REGIONS, missing_means="unknown"),
            _c("acquisition_channel", "VARCHAR", "How the customer was acquired (the shop's own "
               "values).", nullable=True, known=ACQUISITION_CHANNELS, missing_means="unknown"),
            _c("preferred_channel", "VARCHAR", "Channel the customer responds to best; values "
               "outside the contact channels fall back to the layer's default channel.",
               nullable=True, known=CHANNELS, missing_means="the layer's default channel"),
        ),
        key=("customer_id",),
        required=True,
        time_column="signup_at",
    ),
    Table(
        "orders",
        "One row per order with its GMV, discount, coupon, status and delivery time.",
        (
            _c("order_id", "VARCHAR", "Order identifier."),
            _c("customer_id", "VARCHAR", "Customer who placed the order."),
            _c("ordered_at", "TIMESTAMP", "When the order was placed (UTC)."),
            _c("gmv", MONEY, "Gross merchandise value after discount.", min_value=0),
            _c("discount", MONEY, "Discount granted on the order.", min_value=0, nullable=True,
               missing_means="0"),
            _c("coupon_id", "VARCHAR", "Coupon redeemed on the order, if any.", nullable=True),
            _c("status", "VARCHAR", "Order status.", allowed=ORDER_STATUSES, nullable=True,
               missing_means="paid"),
            _c("delivery_days", "INTEGER", "Days from order to delivery.", nullable=True,
               min_value=0, max_value=365),
        ),
        key=("order_id",),
        required=True,
        references=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_column="ordered_at",
    ),
    Table(
        "order_items",
        "One row per order line: product, category, quantity and unit price.",
        (
            _c("order_id", "VARCHAR", "Order the line belongs to."),
            _c("line_number", "INTEGER", "Line number within the order.", min_value=1),
            _c("product_id", "VARCHAR", "Product identifier."),
            _c("category", "VARCHAR", "Product category (the shop's own values).",
               nullable=True, known=CATEGORIES, missing_means="unknown"),
            _c("quantity", "INTEGER", "Units bought.", min_value=1),
            _c("price", MONEY, "Unit price.", min_value=0),
        ),
        key=("order_id", "line_number"),
        without="category breadth and top category are empty; the core layer's category discount has no category",
        references=(ForeignKey("order_id", "orders", "order_id"),),
    ),
    Table(
        "events",
        "Behavioural events: visits, logins, product views, add-to-cart, searches, promotion "
        "views and reviews.",
        (
            _c("event_id", "VARCHAR", "Event identifier."),
            _c("customer_id", "VARCHAR", "Customer who acted."),
            _c("event_at", "TIMESTAMP", "When it happened (UTC)."),
            _c("event_type", "VARCHAR", "Kind of event.", allowed=EVENT_TYPES),
            _c("category", "VARCHAR", "Product category viewed or added, if any (the shop's "
               "own values).", nullable=True, known=CATEGORIES),
            _c("search_term_is_competitor", "BOOLEAN",
               "True when a search named a competitor (searches only).", nullable=True),
        ),
        key=("event_id",),
        without="visit, cart, promotion-view and search signals are empty; orders stand in for visits in the warning stage; activation is measured by orders",
        references=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_column="event_at",
    ),
    Table(
        "support_tickets",
        "Support tickets: complaints, inquiries and returns with response time and satisfaction.",
        (
            _c("ticket_id", "VARCHAR", "Ticket identifier."),
            _c("customer_id", "VARCHAR", "Customer who opened it."),
            _c("opened_at", "TIMESTAMP", "When it was opened (UTC)."),
            _c("kind", "VARCHAR", "Ticket kind.", allowed=TICKET_KINDS),
            _c("topic", "VARCHAR", "What it is about.", allowed=TICKET_TOPICS),
            _c("first_response_minutes", "DOUBLE", "Minutes to the first support response.",
               nullable=True, min_value=0),
            _c("satisfaction", "INTEGER", "Satisfaction score 1-5 after closing.",
               nullable=True, min_value=1, max_value=5),
        ),
        key=("ticket_id",),
        without="complaint, response-time and satisfaction signals are empty; service-dissatisfied churn types come from late deliveries and returns only",
        references=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_column="opened_at",
    ),
    Table(
        "memberships",
        "Membership tier changes with the tier's expiry.",
        (
            _c("customer_id", "VARCHAR", "Customer."),
            _c("changed_at", "TIMESTAMP", "When the tier changed (UTC)."),
            _c("tier", "VARCHAR", "Membership tier; map the shop's tier names onto "
               "basic/silver/gold/platinum to rank them (other names have no rank).",
               known=TIERS),
            _c("expires_at", "TIMESTAMP", "When this tier expires.", nullable=True),
        ),
        key=("customer_id", "changed_at"),
        without="every customer is tier basic; no tier-expiry trigger",
        references=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_column="changed_at",
    ),
    Table(
        "referrals",
        "Customers referred by other customers.",
        (
            _c("referrer_id", "VARCHAR", "Customer who referred."),
            _c("referred_customer_id", "VARCHAR", "New customer who was referred."),
            _c("referred_at", "TIMESTAMP", "When the referral happened (UTC)."),
        ),
        key=("referred_customer_id",),
        without="referral counts are empty (six-month referrals are 0)",
        references=(ForeignKey("referrer_id", "customers", "customer_id"),),
        time_column="referred_at",
    ),
    Table(
        "recall_campaigns",
        "Recall (win-back) campaigns: one row per wave with dates, budget and design.",
        (
            _c("campaign_id", "VARCHAR", "Campaign identifier."),
            _c("wave", "VARCHAR", "Churn type the wave targets.", allowed=WAVES),
            _c("started_at", "TIMESTAMP", "First touch (UTC)."),
            _c("ends_at", "TIMESTAMP", "End of the wave (UTC)."),
            _c("budget", MONEY, "Budget for contacts.", min_value=0),
            _c("design", "VARCHAR", "randomized (holdout drawn at random) or observational.",
               allowed=DESIGNS),
            _c("holdout_share", "DOUBLE", "Share of targeted customers held out as control.",
               min_value=0, max_value=1),
            _c("kind", "VARCHAR", "wave (a planned wave), pilot (a small test), rollout (the "
               "pilot's winner to the rest) or trigger (a standing campaign fed by events).",
               nullable=True, allowed=CAMPAIGN_KINDS, missing_means="wave"),
            _c("parent_campaign_id", "VARCHAR", "The pilot a rollout follows.", nullable=True,
               missing_means="none: the campaign follows no pilot"),
        ),
        key=("campaign_id",),
        without="no past campaign: the effect tables are empty until a wave is exported and tracked",
        time_column="started_at",
    ),
    Table(
        "recall_assignments",
        "Who a campaign targeted: pyramid layer, churn type, arm, offer and channel.",
        (
            _c("campaign_id", "VARCHAR", "Campaign."),
            _c("customer_id", "VARCHAR", "Targeted customer."),
            _c("layer", "VARCHAR", "Recall pyramid layer.", allowed=LAYERS),
            _c("churn_type", "VARCHAR", "Churn type at selection.", allowed=CHURN_TYPES),
            _c("arm", "VARCHAR", "treatment (contacted) or control (holdout).", allowed=ARMS),
            _c("offer", "VARCHAR", "Offer of the customer's variant.", known=tuple(OFFERS)),
            _c("channel", "VARCHAR", "Contact channel.", allowed=CHANNELS),
            _c("assigned_at", "TIMESTAMP", "When the customer was assigned (UTC)."),
            _c("variant", "VARCHAR", "Treatment variant of the campaign the customer was "
               "randomized to (offer x channel x template); a control customer carries the "
               "variant it would have received.", nullable=True,
               missing_means="the campaign's single variant, named by its offer and channel"),
            _c("template", "VARCHAR", "Message template (copy) of the contact.", nullable=True,
               missing_means="the campaign's only copy ('default')"),
        ),
        key=("campaign_id", "customer_id"),
        without="no past campaign: the effect tables are empty until a wave is exported and tracked",
        references=(
            ForeignKey("campaign_id", "recall_campaigns", "campaign_id"),
            ForeignKey("customer_id", "customers", "customer_id"),
        ),
        time_column="assigned_at",
    ),
    Table(
        "do_not_contact",
        "Customers who must not be contacted by any campaign: opt-outs, complaints, legal holds.",
        (
            _c("customer_id", "VARCHAR", "Customer."),
            _c("listed_at", "TIMESTAMP", "Since when (UTC)."),
            _c("reason", "VARCHAR", "Why, e.g. opt_out.", nullable=True,
               known=("opt_out", "complaint", "legal"), missing_means="unknown"),
        ),
        key=("customer_id",),
        without="no do-not-contact list: the contact policy excludes nobody for it",
        references=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_column="listed_at",
    ),
    Table(
        "market_events",
        "Events in the market that trigger recall campaigns, e.g. a competitor's promotion.",
        (
            _c("market_event_id", "VARCHAR", "Event identifier."),
            _c("kind", "VARCHAR", "What happened.", allowed=MARKET_EVENT_KINDS),
            _c("started_at", "TIMESTAMP", "Start (UTC)."),
            _c("ends_at", "TIMESTAMP", "End (UTC)."),
            _c("description", "VARCHAR", "Free text, e.g. the competitor's name.", nullable=True,
               missing_means="none"),
        ),
        key=("market_event_id",),
        without="no market events: the competitor-promotion trigger never fires",
        time_column="started_at",
    ),
    Table(
        "recall_touches",
        "Each contact of a recall campaign and its funnel: sent, delivered, opened, clicked, "
        "redeemed, with its cost.",
        (
            _c("touch_id", "VARCHAR", "Touch identifier."),
            _c("campaign_id", "VARCHAR", "Campaign."),
            _c("customer_id", "VARCHAR", "Contacted customer."),
            _c("channel", "VARCHAR", "Channel used.", allowed=CHANNELS),
            _c("sent_at", "TIMESTAMP", "When it was sent (UTC)."),
            _c("delivered", "BOOLEAN", "Whether it was delivered."),
            _c("opened_at", "TIMESTAMP", "When it was opened, if it was.", nullable=True),
            _c("clicked_at", "TIMESTAMP", "When it was clicked, if it was.", nullable=True),
            _c("redeemed_at", "TIMESTAMP", "When the offer was redeemed, if it was.",
               nullable=True),
            _c("cost", MONEY, "Cost of the contact.", min_value=0),
        ),
        key=("touch_id",),
        without="no touch funnel: the dashboard's sent/opened/clicked/redeemed counts are 0",
        references=(ForeignKey("campaign_id", "recall_campaigns", "campaign_id"),),
        time_column="sent_at",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def wave_label(churn_types) -> str:
    """The `wave` of a campaign targeting `churn_types`: their wave when they share one, else
    mixed."""
    labels = {WAVE_OF_CHURN_TYPE.get(t, "mixed") for t in churn_types}
    return labels.pop() if len(labels) == 1 else "mixed"


def table(name: str) -> Table:
    """The contract table called `name`, with a clear error for unknown names."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"unknown raw table {name!r}; the contract has: {', '.join(TABLES_BY_NAME)}"
        ) from None


def create_raw_schema(con, schema: str = RAW_SCHEMA) -> None:
    """Create the raw schema and every contract table (empty) so optional tables always exist."""
    con.execute(f'create schema if not exists "{schema}"')
    for t in TABLES:
        con.execute(t.create_sql(schema))
