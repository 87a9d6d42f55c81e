"""The real Complete Journey data mapped onto the raw contract (loaded once per module)."""

from __future__ import annotations

import duckdb
import pytest

from sources.contract import TABLES

N_TRANSACTIONS = 1_469_307
N_HOUSEHOLDS = 2_469
N_BASKETS = 155_848
N_CAMPAIGNS = 27
N_RECIPIENTS = 6_589
N_REDEEMING_RECIPIENTS = 792
EMPTY = ("events", "support_tickets", "memberships", "referrals", "do_not_contact", "market_events")


@pytest.fixture(scope="module")
def loaded():
    from sources.complete_journey import load_complete_journey

    con = duckdb.connect()
    counts = load_complete_journey(con)
    yield con, counts
    con.close()


def _one(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_counts(loaded) -> None:
    con, counts = loaded
    assert counts == {
        "customers": N_HOUSEHOLDS, "orders": N_BASKETS, "order_items": N_TRANSACTIONS,
        "recall_campaigns": N_CAMPAIGNS, "recall_assignments": N_RECIPIENTS,
        "recall_touches": N_RECIPIENTS, **dict.fromkeys(EMPTY, 0)}
    assert _one(con, "select count(*) from raw.order_items") == N_TRANSACTIONS
    assert _one(con, "select count(*) from raw.customers") == N_HOUSEHOLDS
    assert _one(con, "select count(redeemed_at) from raw.recall_touches") == \
        N_REDEEMING_RECIPIENTS


def test_campaigns_are_observational_without_holdout(loaded) -> None:
    con, _ = loaded
    assert con.execute("select distinct design, holdout_share from raw.recall_campaigns"
                       ).fetchall() == [("observational", 0.0)]
    assert con.execute("select distinct arm from raw.recall_assignments").fetchall() == \
        [("treatment",)]


def test_every_order_references_a_customer(loaded) -> None:
    con, _ = loaded
    assert _one(con, "select count(*) from raw.orders o anti join raw.customers c "
                     "using (customer_id)") == 0
    assert _one(con, "select count(*) from raw.order_items i anti join raw.orders o "
                     "using (order_id)") == 0


def test_money_and_time_are_consistent(loaded) -> None:
    con, _ = loaded
    # gmv is the exact basket total (sales_value sums to 4,596,039.58 in the package)
    assert float(_one(con, "select sum(gmv) from raw.orders")) == pytest.approx(4_596_039.58)
    assert _one(con, "select count(*) from raw.orders where coupon_id is not null") == \
        _one(con, "select count(*) from raw.orders where coupon_id is not null "
                  "and discount > 0")
    # nothing happens before the customer's sign-up (the loader's rule)
    assert _one(con, "select count(*) from raw.orders o join raw.customers c "
                     "using (customer_id) where o.ordered_at < c.signup_at") == 0
    assert _one(con, "select count(*) from raw.recall_assignments a join raw.customers c "
                     "using (customer_id) where a.assigned_at < c.signup_at") == 0


def test_refuses_a_warehouse_with_customers(loaded) -> None:
    from sources.complete_journey import load_complete_journey

    con, _ = loaded
    with pytest.raises(ValueError, match="already holds rows"):
        load_complete_journey(con)


@pytest.mark.parametrize("table", [t.name for t in TABLES])
def test_raw_suites_pass(loaded, table) -> None:
    from expectations.runner import validate_table

    con, counts = loaded
    result = validate_table(con, "raw", table)
    assert result.success, result.describe()
    assert result.evaluated_rows == counts[table]
