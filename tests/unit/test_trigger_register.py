"""A trigger's daily batch: one campaign per trigger and day, registered by the contract's column
names, and each trigger fires once per customer and event however often it runs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sources.contract import TABLES_BY_NAME, create_raw_schema
from sources.crm_export import EXPORT_COLUMNS, crm_path
from sources.plan import Trigger, Variant
from sources.trigger_register import (
    FIRINGS,
    TRIGGER_COLUMNS,
    batch_campaign_id,
    register_trigger_batch,
)

TRIGGER = Trigger("t_warn", "warning_stage", None, None, 0.2,
                  Variant("nudge", "generic_coupon", "preferred", "short"))
DAY1, DAY2 = date(2025, 6, 30), date(2025, 7, 1)


def _rows(events: list[tuple[str, str, str]], campaign: str = "t_warn") -> pd.DataFrame:
    """marts.recall_trigger_assignments rows: (customer, event key, arm)."""
    return pd.DataFrame([{
        "campaign_id": campaign, "customer_id": c, "event": "warning_stage", "event_key": k,
        "layer": "base", "churn_type": "silent", "arm": arm, "variant": "nudge",
        "offer": "generic_coupon", "channel": "email", "template": "short"}
        for c, k, arm in events])


@pytest.fixture
def con():
    con = duckdb.connect()
    create_raw_schema(con)
    yield con
    con.close()


def _assigned(con) -> list[tuple]:
    return con.execute("select campaign_id, customer_id, arm from raw.recall_assignments "
                       "order by 1, 2").fetchall()


def test_a_batch_is_one_trigger_campaign_of_the_day(con, tmp_path: Path):
    rows = _rows([("a", "2025-06-23", "treatment"), ("b", "2025-06-27", "control")])
    batch = register_trigger_batch(con, tmp_path, TRIGGER, rows, DAY1,
                                   costs={"email": 0.05})
    cid = "t_warn-20250630"
    assert batch_campaign_id("t_warn", DAY1) == cid == batch.campaign_id
    assert (batch.events, batch.already_fired, batch.assigned, batch.treatment, batch.control,
            batch.registered) == (2, 0, 2, 1, 1, True)
    campaign = con.execute("select * from raw.recall_campaigns").df().to_dict("records")
    assert campaign == [{
        "campaign_id": cid, "wave": "silent", "started_at": pd.Timestamp("2025-07-01"),
        "ends_at": pd.Timestamp("2025-07-02"), "budget": 0.05, "design": "randomized",
        "holdout_share": 0.2, "kind": "trigger", "parent_campaign_id": "t_warn"}]
    assigned = con.execute("select customer_id, arm, variant, template, channel, assigned_at "
                           "from raw.recall_assignments order by 1").fetchall()
    assert assigned == [("a", "treatment", "nudge", "short", "email", datetime(2025, 7, 1, 8)),
                        ("b", "control", "nudge", "short", "email", datetime(2025, 7, 1, 8))]
    assert batch.parquet_path == crm_path(tmp_path, cid, "parquet")
    crm = pd.read_csv(batch.csv_path)
    assert list(crm.columns) == list(EXPORT_COLUMNS + TRIGGER_COLUMNS)
    assert crm[["customer_id", "event_key", "is_do_not_contact"]].values.tolist() == [
        ["a", "2025-06-23", False], ["b", "2025-06-27", True]]
    assert con.execute(f"select count(*) from {FIRINGS}").fetchall()[0][0] == 2


def test_each_trigger_fires_once_per_customer_and_event(con, tmp_path: Path):
    """The same day twice, then the next day: no (customer, event) is assigned twice."""
    day1 = _rows([("a", "k1", "treatment"), ("b", "k1", "control")])
    first = register_trigger_batch(con, tmp_path, TRIGGER, day1, DAY1)
    again = register_trigger_batch(con, tmp_path, TRIGGER, day1, DAY1)
    assert (first.assigned, again.assigned, again.already_fired, again.registered) == \
        (2, 0, 2, False)
    # next day: a and b still in the same events (same keys), a has a new event, c is new
    day2 = _rows([("a", "k1", "treatment"), ("b", "k1", "control"), ("a", "k2", "control"),
                  ("c", "k1", "treatment")])
    second = register_trigger_batch(con, tmp_path, TRIGGER, day2, DAY2)
    assert (second.campaign_id, second.already_fired, second.assigned) == \
        ("t_warn-20250701", 2, 2)
    assert _assigned(con) == [("t_warn-20250630", "a", "treatment"),
                              ("t_warn-20250630", "b", "control"),
                              ("t_warn-20250701", "a", "control"),
                              ("t_warn-20250701", "c", "treatment")]
    assert register_trigger_batch(con, tmp_path, TRIGGER, day2, DAY2).assigned == 0
    fired = con.execute(f"select customer_id, event_key, count(*) from {FIRINGS} "
                        "group by all having count(*) > 1").fetchall()
    assert fired == []
    kinds = con.execute("select distinct kind, parent_campaign_id from raw.recall_campaigns"
                        ).fetchall()
    assert kinds == [("trigger", "t_warn")]


def test_a_new_event_the_same_day_joins_that_days_campaign(con, tmp_path: Path):
    register_trigger_batch(con, tmp_path, TRIGGER, _rows([("a", "k1", "treatment")]), DAY1)
    later = register_trigger_batch(con, tmp_path, TRIGGER,
                                   _rows([("a", "k1", "treatment"), ("d", "k1", "control")]),
                                   DAY1)
    assert (later.registered, later.assigned, later.campaign_id) == (False, 1, "t_warn-20250630")
    assert con.execute("select count(*) from raw.recall_campaigns").fetchall()[0][0] == 1
    assert sorted(pd.read_parquet(later.parquet_path)["customer_id"]) == ["a", "d"]


def test_two_events_of_one_customer_in_a_batch_are_one_assignment(con, tmp_path: Path):
    """Two competitor promotions at once: one contact, both events fired."""
    rows = _rows([("a", "me2", "control"), ("a", "me1", "treatment")])
    batch = register_trigger_batch(con, tmp_path, TRIGGER, rows, DAY1)
    assert (batch.assigned, batch.treatment) == (1, 1)   # the first key, me1
    assert con.execute(f"select count(*) from {FIRINGS}").fetchall()[0][0] == 2
    assert register_trigger_batch(con, tmp_path, TRIGGER, rows, DAY2).assigned == 0


def test_rows_of_other_triggers_and_empty_batches_register_nothing(con, tmp_path: Path):
    other = _rows([("a", "k1", "treatment")], campaign="t_other")
    batch = register_trigger_batch(con, tmp_path, TRIGGER, other, DAY1)
    assert (batch.events, batch.assigned, batch.registered, batch.csv_path) == \
        (0, 0, False, None)
    assert con.execute("select count(*) from raw.recall_campaigns").fetchall()[0][0] == 0
    with pytest.raises(ValueError, match="recall_trigger_assignments"):
        register_trigger_batch(con, tmp_path, TRIGGER, other.drop(columns="arm"), DAY1)


def test_registration_does_not_depend_on_column_order(tmp_path: Path):
    """A warehouse whose raw tables hold the contract's columns in another order."""
    con = duckdb.connect()
    con.execute("create schema raw")
    for name in ("recall_campaigns", "recall_assignments"):
        cols = ", ".join(f'"{c.name}" {c.type}' for c in reversed(TABLES_BY_NAME[name].columns))
        con.execute(f"create table raw.{name} ({cols})")
    register_trigger_batch(con, tmp_path, TRIGGER, _rows([("a", "k1", "control")]), DAY1)
    assert con.execute("select kind, parent_campaign_id, design from raw.recall_campaigns"
                       ).fetchone() == ("trigger", "t_warn", "randomized")
    assert con.execute("select customer_id, arm, template from raw.recall_assignments"
                       ).fetchone() == ("a", "control", "short")
