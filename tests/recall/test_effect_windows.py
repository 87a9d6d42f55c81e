"""Effect tables on a hand-made campaign: window boundaries, a customer recalled twice, the
recall-rate, uplift-interval and ROI formulas of domain.md."""

from __future__ import annotations

import duckdb
import pytest

from ml.experiment import uplift_interval
from sources.contract import create_raw_schema
from dbt_runner import run_dbt

ASSIGNED = "2025-01-01 08:00:00"
SECOND = "2025-03-01 08:00:00"
# Raw rows name their columns: the contract's tables gain nullable columns over time.
CAMPAIGN_COLUMNS = ("(campaign_id, wave, started_at, ends_at, budget, design, holdout_share)")
ASSIGNMENT_COLUMNS = ("(campaign_id, customer_id, layer, churn_type, arm, offer, channel, "
                      "assigned_at)")


def _populate(con):
    create_raw_schema(con)
    customers = ["t1", "t2", "t3", "t4", "k1", "k2", "z"]
    for c in customers:
        con.execute("insert into raw.customers (customer_id, signup_at, region, "
                    "acquisition_channel, preferred_channel) values (?, '2024-01-01', 'north', "
                    "'organic', 'email')", [c])
    con.execute(f"insert into raw.recall_campaigns {CAMPAIGN_COLUMNS} values "
                "('c1', 'silent', ?, cast(? as timestamp) + interval 30 day, 1000, 'randomized', 0.1),"
                "('c2', 'silent', ?, cast(? as timestamp) + interval 30 day, 1000, 'randomized', 0.1)",
                [ASSIGNED, ASSIGNED, SECOND, SECOND])
    arms = {"t1": "treatment", "t2": "treatment", "t3": "treatment", "t4": "treatment",
            "k1": "control", "k2": "control"}
    for c, arm in arms.items():
        con.execute(f"insert into raw.recall_assignments {ASSIGNMENT_COLUMNS} values "
                    "('c1', ?, 'base', 'silent', ?, 'generic_coupon', 'email', ?)",
                    [c, arm, ASSIGNED])
        if arm == "treatment":
            con.execute("insert into raw.recall_touches (touch_id, campaign_id, customer_id, "
                        "channel, sent_at, delivered, opened_at, clicked_at, redeemed_at, cost) "
                        "values (?, 'c1', ?, 'email', ?, true, null, null, null, 1.00)",
                        [f"tc1{c}", c, ASSIGNED])
    # t1 is recalled a second time by c2 (alone with a control, k2).
    con.execute(f"insert into raw.recall_assignments {ASSIGNMENT_COLUMNS} values "
                "('c2', 't1', 'base', 'silent', 'treatment', 'generic_coupon', 'email', ?),"
                "('c2', 'k2', 'base', 'silent', 'control', 'generic_coupon', 'email', ?)",
                [SECOND, SECOND])
    orders = [  # (id, customer, offset from ASSIGNED, gmv)
        ("o1", "t1", "interval 29 day + interval 23 hour", 100),   # day 29: first month
        ("o2", "t2", "interval 30 day", 70),                       # day 30: month 1 after
        ("o3", "t4", "interval 2 day", 50),
        ("o4", "t4", "interval 3 day", 50),                        # repurchase
        ("o5", "k1", "interval 5 day", 80),
        ("o6", "t3", "interval 209 day + interval 23 hour", 30),   # last hour of month 6
        ("o7", "t4", "interval 210 day", 999),                     # after month 6
    ]
    for oid, c, offset, gmv in orders:
        con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv, discount, "
                    f"coupon_id, status, delivery_days) values (?, ?, timestamp '{ASSIGNED}' + "
                    f"{offset}, ?, 0, null, 'paid', 2)", [oid, c, gmv])
    con.execute("insert into raw.events (event_id, customer_id, event_at, event_type, "
                "category, search_term_is_competitor) values ('e1', 'z', '2025-08-15 12:00:00', "
                "'visit', null, null)")
    # An observational campaign (recipients not randomized): no uplift may be claimed.
    con.execute(f"insert into raw.recall_campaigns {CAMPAIGN_COLUMNS} values ('c3', 'mixed', ?, "
                "cast(? as timestamp) + interval 30 day, 0, 'observational', 0)",
                [ASSIGNED, ASSIGNED])
    con.execute(f"insert into raw.recall_assignments {ASSIGNMENT_COLUMNS} values "
                "('c3', 't2', 'base', 'silent', 'treatment', 'coupon', 'email', ?),"
                "('c3', 'k1', 'base', 'silent', 'control', 'coupon', 'email', ?)",
                [ASSIGNED, ASSIGNED])


@pytest.fixture(scope="module")
def effects(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("effects") / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        _populate(con)
    run_dbt(warehouse, "+recall_effect_first_month +recall_effect_by_layer "
                       "+recall_effect_six_months")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _row(con, sql, params=()):
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None, sql
    return dict(zip(cols, row))


def test_first_month_includes_day_29_and_excludes_day_30(effects):
    t = _row(effects, "select * from marts.recall_effect_by_layer where campaign_id = 'c1' "
                      "and arm = 'treatment'")
    assert t["targeted_count"] == 4
    assert t["converted_count"] == 2          # t1 (day 29 23:00) and t4; not t2 (day 30)
    assert t["repurchased_count"] == 1        # t4
    assert t["recall_rate"] == pytest.approx(2 / 4)
    assert t["first_month_gmv"] == pytest.approx(200)


def test_uplift_interval_is_newcombes_and_roi_follows_domain_md(effects):
    t = _row(effects, "select * from marts.recall_effect_by_layer where campaign_id = 'c1' "
                      "and arm = 'treatment'")
    expected = uplift_interval(2, 4, 1, 2, method="newcombe")
    assert t["conversion_uplift"] == pytest.approx(expected.uplift)
    assert t["conversion_uplift_lower"] == pytest.approx(expected.lower, abs=1e-4)
    assert t["conversion_uplift_upper"] == pytest.approx(expected.upper, abs=1e-4)
    # incremental GMV = (50 - 40) per customer x 4 treated; ROI = (40 x margin 1 - cost 4) / 4
    assert t["incremental_gmv"] == pytest.approx(40)
    assert t["cost"] == pytest.approx(4)
    assert t["roi"] == pytest.approx(9)
    assert t["estimate_type"] == "uplift"


def test_six_months_start_at_day_30_and_end_with_month_6(effects):
    month = {r[0]: r[1] for r in effects.execute(
        "select month_number, gmv from marts.recall_effect_six_months "
        "where campaign_id = 'c1' and arm = 'treatment' order by 1").fetchall()}
    assert sorted(month) == [1, 2, 3, 4, 5, 6]
    assert month[1] == pytest.approx(70)      # t2's order on day 30
    assert month[6] == pytest.approx(30)      # t3's order in the last hour of month 6
    assert sum(month.values()) == pytest.approx(100)   # t4's order on day 210 is outside


def test_customer_recalled_twice_counts_once_per_campaign_from_its_own_assignment(effects):
    rows = effects.execute("select campaign_id, is_converted from intermediate.int_recall_outcomes "
                           "where customer_id = 't1' order by 1").fetchall()
    # c1: the day-29 order converts; c2 (assigned 2025-03-01): no order after it.
    assert rows == [("c1", 1), ("c2", 0)]


def test_window_complete_only_for_elapsed_months(effects):
    flags = dict(effects.execute(
        "select month_number, window_complete from marts.recall_effect_six_months "
        "where campaign_id = 'c2' and arm = 'treatment'").fetchall())
    # c2 starts 2025-03-01; data ends 2025-08-15: months ending by then are complete.
    assert flags[1] is True and flags[3] is True
    assert flags[5] is False and flags[6] is False
    c1 = {r[0] for r in effects.execute("select window_complete from marts.recall_effect_six_months"
                                        " where campaign_id = 'c1'").fetchall()}
    assert c1 == {True}     # c1's six months ended 2025-07-30, before the data's last day


def test_observational_campaigns_report_a_difference_not_an_uplift(effects):
    t = _row(effects, "select * from marts.recall_effect_by_layer where campaign_id = 'c3' "
                      "and arm = 'treatment'")
    assert t["estimate_type"] == "observational_difference"
    assert t["conversion_uplift"] is None and t["conversion_uplift_lower"] is None
    assert t["observed_difference"] == pytest.approx(0 - 1)   # t2 not converted, k1 converted
    six = {r[0] for r in effects.execute("select estimate_type from "
                                         "marts.recall_effect_six_months where campaign_id = 'c3'"
                                         ).fetchall()}
    assert six == {"observational_difference"}
