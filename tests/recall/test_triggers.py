"""Trigger campaigns on a hand-made shop: the event rules' dbt unit tests, and two days of
batches: each trigger fires once per customer and event, the holdout share holds, and the
contact policy's exclusions are never assigned.

The shop's data ends on 2025-06-30 (day 1), then on 2025-07-01 (day 2):
- w000..w299 last visited on 2025-06-20: in the warning stage since 2025-06-23; w000..w009
  are on the do-not-contact list;
- late visited on 2025-06-28: it enters the warning stage on day 2;
- m1's gold membership expires on 2025-07-05 (within 14 days); m2's on 2025-08-30 (not);
- o1 ordered on 05-01, 05-05 and 05-09 and visits daily: overdue (factor 2);
- cp searched a competitor and has not visited since 06-20 while promotion me1 runs.
"""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import pytest
from dbt_runner import run_dbt

from orchestration.settings import Settings
from sources.contract import create_raw_schema
from sources.plan import parse_plan
from sources.trigger_register import FIRINGS, register_trigger_batches
from tests.dbt.conftest import CHURN_SCORES_SQL
from tests.dbt.conftest import run_dbt as run_dbt_cli

PLAN_TEXT = """
triggers:
  - campaign_id: t_warning
    event: warning_stage
    holdout_share: 0.2
    variant: {name: nudge, offer: generic_coupon, channel: preferred}
  - campaign_id: t_membership
    event: membership_expiring
    days: 14
    variant: {name: renew, offer: exclusive_access, channel: email}
  - campaign_id: t_overdue
    event: overdue
    factor: 2.0
    variant: {offer: generic_coupon, channel: in_app}
  - campaign_id: t_competitor
    event: competitor_promotion
    variant: {offer: price_match}
"""
PLAN = parse_plan(PLAN_TEXT)
TRIGGERS = [t.as_dbt_var() for t in PLAN.triggers]
WARNED = [f"w{i:03d}" for i in range(300)]
LISTED = WARNED[:10]
DAY1, DAY2 = date(2025, 6, 30), date(2025, 7, 1)
MODELS = "+recall_trigger_assignments"


def _customer(con, cid: str, channel: str = "email") -> None:
    con.execute("insert into raw.customers (customer_id, signup_at, region, acquisition_channel,"
                " preferred_channel) values (?, '2024-01-01', 'north', 'organic', ?)",
                [cid, channel])


def _event(con, eid: str, cid: str, at: str, kind: str = "visit",
           competitor: bool | None = None) -> None:
    con.execute("insert into raw.events (event_id, customer_id, event_at, event_type, "
                "search_term_is_competitor) values (?, ?, ?, ?, ?)",
                [eid, cid, at, kind, competitor])


def _shop(con) -> None:
    create_raw_schema(con)
    for i, cid in enumerate(WARNED):
        _customer(con, cid, ("email", "sms", "in_app")[i % 3])
        _event(con, f"v{cid}", cid, "2025-06-20 10:00:00")
    for cid in LISTED:
        con.execute("insert into raw.do_not_contact (customer_id, listed_at, reason) values "
                    "(?, '2025-01-01', 'opt_out')", [cid])
    for cid in ("late", "m1", "m2", "o1", "cp", "z"):
        _customer(con, cid)
    _event(con, "vlate", "late", "2025-06-28 10:00:00")
    for cid, expires in (("m1", "2025-07-05 00:00:00"), ("m2", "2025-08-30 00:00:00")):
        con.execute("insert into raw.memberships (customer_id, changed_at, tier, expires_at) "
                    "values (?, '2024-07-05', 'gold', ?)", [cid, expires])
        _event(con, f"v{cid}", cid, "2025-06-30 09:00:00")
    for n, day in enumerate(("2025-05-01", "2025-05-05", "2025-05-09")):
        con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv, discount, "
                    "coupon_id, status, delivery_days) values (?, 'o1', ?, 50, 0, null, 'paid', "
                    "2)", [f"o{n}", f"{day} 12:00:00"])
    for n in range(10):
        _event(con, f"vo1{n}", "o1", f"2025-06-{21 + n} 10:00:00")
    _event(con, "scp", "cp", "2025-06-20 10:00:00", "search", True)
    _event(con, "vcp", "cp", "2025-06-20 10:05:00")
    con.execute("insert into raw.market_events (market_event_id, kind, started_at, ends_at, "
                "description) values ('me1', 'competitor_promotion', '2025-06-25', "
                "'2025-07-10', 'rival summer sale')")
    _event(con, "vz1", "z", "2025-06-30 20:00:00")
    con.execute(CHURN_SCORES_SQL)


def _build(warehouse) -> None:
    run_dbt(warehouse, MODELS, Settings(), extra_vars={"recall_triggers": TRIGGERS})


def _register(warehouse, exports):
    with duckdb.connect(str(warehouse)) as con:
        return {r.batch.trigger_id: r for r in register_trigger_batches(
            con, exports, PLAN.triggers, costs=Settings().channel_costs())}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("triggers")
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        _shop(con)
    _build(warehouse)
    day1 = _register(warehouse, root / "exports")
    day1_again = _register(warehouse, root / "exports")
    with duckdb.connect(str(warehouse)) as con:
        events1 = con.execute("select * from marts.recall_trigger_events").df()
        _event(con, "vz2", "z", "2025-07-01 20:00:00")   # the data now ends on day 2
    _build(warehouse)
    day2 = _register(warehouse, root / "exports")
    return {"warehouse": warehouse, "root": root, "day1": day1, "day1_again": day1_again,
            "day2": day2, "events1": events1}


def _query(shop, sql: str):
    with duckdb.connect(str(shop["warehouse"]), read_only=True) as con:
        return con.execute(sql).df()


def test_event_rules_unit_tests_and_data_tests_pass(shop, tmp_path):
    """The dbt unit tests of the trigger models and the contact policy (one per event kind, at
    its boundaries; a copy of the built warehouse gives the fixtures their column types), and
    the models' data tests on the shop."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(shop["warehouse"], copy)
    run_dbt_cli(["test", "--select", "recall_trigger_events recall_trigger_assignments "
                 "recall_contact_exclusions", "--resource-type", "unit_test",
                 "--resource-type", "test", "--vars", Settings().dbt_vars_json()], copy, tmp_path)


def test_each_event_fires_for_its_customers(shop):
    events = shop["events1"]
    fired = {t: set(events.loc[events["campaign_id"] == t, "customer_id"])
             for t in events["campaign_id"].unique()}
    assert fired["t_warning"] == set(WARNED) | {"cp"}
    assert fired["t_membership"] == {"m1"}
    assert fired["t_overdue"] == {"o1"}
    assert fired["t_competitor"] == {"cp"}
    keys = dict(zip(events["campaign_id"] + "|" + events["customer_id"], events["event_key"]))
    assert keys["t_warning|w000"] == "2025-06-23"
    assert keys["t_membership|m1"] == "2025-07-05"
    assert keys["t_overdue|o1"] == "2025-05-09"
    assert keys["t_competitor|cp"] == "me1"
    assert {d.date() for d in pd.to_datetime(events["fired_on"])} == {DAY1}


def test_excluded_customers_are_never_assigned(shop):
    run = shop["day1"]["t_warning"]
    assert (run.fired, run.excluded) == (301, len(LISTED))
    assigned = _query(shop, "select customer_id from raw.recall_assignments")
    assert not set(LISTED) & set(assigned["customer_id"])


def test_the_holdout_share_is_respected(shop):
    batch = shop["day1"]["t_warning"].batch
    assert batch.assigned == 301 - len(LISTED)
    assert batch.control / batch.assigned == pytest.approx(0.2, abs=0.07)
    arms = _query(shop, "select arm, count(*) as n from raw.recall_assignments "
                        "where campaign_id = 't_warning-20250630' group by 1")
    assert dict(zip(arms["arm"], arms["n"])) == {"control": batch.control,
                                                 "treatment": batch.treatment}


def test_each_trigger_fires_once_per_customer_and_event(shop):
    again, day2 = shop["day1_again"], shop["day2"]
    assert all(r.batch.assigned == 0 and not r.batch.registered for r in again.values())
    # day 2: only `late` is new (entered warning on 2025-07-01); everyone else already fired
    assert day2["t_warning"].batch.assigned == 1
    assert sum(r.batch.assigned for r in day2.values()) == 1
    twice = _query(shop, f"select trigger_id, customer_id, event_key, count(*) as n "
                         f"from {FIRINGS} group by all having count(*) > 1")
    assert twice.empty
    campaigns = _query(shop, "select campaign_id, kind, parent_campaign_id, design "
                             "from raw.recall_campaigns order by 1")
    assert campaigns["campaign_id"].tolist() == [
        "t_competitor-20250630", "t_membership-20250630", "t_overdue-20250630",
        "t_warning-20250630", "t_warning-20250701"]
    assert set(campaigns["kind"]) == {"trigger"} and set(campaigns["design"]) == {"randomized"}
    assert (campaigns["parent_campaign_id"]
            == campaigns["campaign_id"].str.rsplit("-", n=1).str[0]).all()
    per_event = _query(shop, "select a.customer_id, c.parent_campaign_id, count(*) as n "
                             "from raw.recall_assignments a join raw.recall_campaigns c "
                             "using (campaign_id) group by all having count(*) > 1")
    assert per_event.empty


def test_batches_follow_the_variant_and_the_crm_files_exist(shop):
    rows = _query(shop, "select campaign_id, customer_id, offer, channel, template, variant "
                        "from raw.recall_assignments where customer_id in ('m1', 'o1', 'cp')")
    got = {(r.campaign_id, r.customer_id): (r.offer, r.channel, r.variant)
           for r in rows.itertuples()}
    assert got[("t_membership-20250630", "m1")] == ("exclusive_access", "email", "renew")
    assert got[("t_overdue-20250630", "o1")] == ("generic_coupon", "in_app",
                                                 "generic_coupon_in_app")
    assert got[("t_competitor-20250630", "cp")][:2] == ("price_match", "email")
    for run in shop["day1"].values():
        assert run.batch.csv_path.exists() and run.batch.parquet_path.exists()


def _materialize(home, monkeypatch):
    from orchestration.defs.recall.triggers import recall_trigger_batches
    from orchestration.defs.resources import PlatformResource

    for name, value in (("CHURN_HOME", home), ("CHURN_DUCKDB_PATH", home / "warehouse.duckdb"),
                        ("DAGSTER_HOME", home / "dagster")):
        monkeypatch.setenv(name, str(value))
    result = dg.materialize([recall_trigger_batches],
                            resources={"platform": PlatformResource(home=str(home))})
    assert result.success
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_the_asset_without_a_plan_says_so(tmp_path, monkeypatch):
    metadata = _materialize(tmp_path, monkeypatch)
    assert metadata == {"triggers": 0, "status": "no campaign plan: nothing fired"}


def test_the_asset_registers_every_trigger_once(shop, tmp_path, monkeypatch):
    """On the shop after its two days: every event has fired, the asset assigns nobody."""
    shutil.copy(shop["warehouse"], tmp_path / "warehouse.duckdb")
    (tmp_path / "plan.yml").write_text(PLAN_TEXT)
    metadata = _materialize(tmp_path, monkeypatch)
    assert metadata["triggers"] == 4
    assert metadata["t_warning/fired"] == shop["day2"]["t_warning"].fired
    assert metadata["t_warning/excluded"] == shop["day2"]["t_warning"].excluded
    assert metadata["t_warning/campaign_id"] == "t_warning-20250701"
    assert all(metadata[f"{t.campaign_id}/assigned"] == 0 for t in PLAN.triggers)
    assert metadata["dagster/row_count"] == 0
