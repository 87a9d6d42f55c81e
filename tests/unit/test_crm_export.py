"""The CRM export of a wave and its registration in raw, by the contract's column names."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sources.contract import TABLES_BY_NAME, create_raw_schema, table
from sources.crm_export import (
    ASSIGNMENT_VALUES,
    CAMPAIGN_VALUES,
    EXPORT_COLUMNS,
    WaveDates,
    crm_path,
    export_wave,
)

CID = "wave_x"


def _segments(con) -> None:
    rows = [("c1", "treatment", "base", "email"), ("c2", "control", "base", "sms"),
            ("c3", "treatment", "core", "agent")]
    frame = pd.DataFrame([{c: None for c in EXPORT_COLUMNS} | {
        "customer_id": cid, "campaign_id": CID, "wave_number": 1, "layer": layer, "arm": arm,
        "offer": "generic_coupon", "channel": channel, "targeting_method": "uplift_model",
        "expected_uplift": 0.1, "expected_value": 30.0, "expected_profit": 1.5,
        "is_do_not_contact": arm == "control", "churn_type": "silent",
        "variant": f"v_{channel}", "template": "default", "campaign_kind": "wave",
        "parent_campaign_id": None}
        for cid, arm, layer, channel in rows])
    con.execute("create schema marts")
    con.execute("create table marts.recall_segments as select * from frame")


@pytest.fixture
def con():
    con = duckdb.connect()
    create_raw_schema(con)
    con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv) "
                "values ('o1', 'c1', timestamp '2025-03-30 17:00', 10)")
    con.execute("insert into raw.events (event_id, customer_id, event_at, event_type) "
                "values ('e1', 'c1', timestamp '2025-03-31 09:00', 'visit')")
    _segments(con)
    yield con
    con.close()


def test_registration_values_name_every_contract_column():
    assert list(CAMPAIGN_VALUES) == table("recall_campaigns").column_names
    assert list(ASSIGNMENT_VALUES) == table("recall_assignments").column_names


def test_export_writes_the_files_and_registers_once(con, tmp_path: Path):
    result = export_wave(con, tmp_path, campaign_id=CID, budget=100.0, holdout_share=0.1)
    assert (result.rows, result.treatment, result.control, result.registered) == (3, 2, 1, True)
    assert result.parquet_path == crm_path(tmp_path, CID, "parquet") == \
        tmp_path / CID / f"crm_{CID}.parquet"
    assert list(pd.read_csv(result.csv_path).columns) == list(EXPORT_COLUMNS)
    campaign = con.execute("select * from raw.recall_campaigns").df()
    assert campaign.to_dict("records") == [{
        "campaign_id": CID, "wave": "silent", "started_at": pd.Timestamp("2025-04-01"),
        "ends_at": pd.Timestamp("2025-05-01"), "budget": 100.0, "design": "randomized",
        "holdout_share": 0.1, "kind": "wave", "parent_campaign_id": None}]
    assigned = con.execute("select customer_id, layer, churn_type, arm, channel, assigned_at, "
                           "variant from raw.recall_assignments order by customer_id").fetchall()
    assert assigned[1] == ("c2", "base", "silent", "control", "sms", datetime(2025, 4, 1, 8),
                           "v_sms")
    again = export_wave(con, tmp_path, campaign_id=CID, budget=100.0, holdout_share=0.1)
    assert not again.registered
    assert con.execute("select count(*) from raw.recall_assignments").fetchone()[0] == 3


def test_registration_does_not_depend_on_column_order(con, tmp_path: Path):
    """A warehouse whose raw tables hold the contract's columns in another order."""
    for name in ("recall_campaigns", "recall_assignments"):
        cols = ", ".join(f'"{c.name}" {c.type}' for c in reversed(TABLES_BY_NAME[name].columns))
        con.execute(f"drop table raw.{name}")
        con.execute(f"create table raw.{name} ({cols})")
    export_wave(con, tmp_path, campaign_id=CID, budget=100.0, holdout_share=0.1)
    assert con.execute("select campaign_id, wave, design from raw.recall_campaigns"
                       ).fetchall() == [(CID, "silent", "randomized")]
    assert con.execute("select customer_id, arm from raw.recall_assignments order by 1"
                       ).fetchall() == [("c1", "treatment"), ("c2", "control"), ("c3", "treatment")]


def test_an_empty_wave_is_refused(con, tmp_path: Path):
    with pytest.raises(ValueError, match="no customers for campaign 'other'"):
        export_wave(con, tmp_path, campaign_id="other", budget=1.0, holdout_share=0.1)
    assert not (tmp_path / "other").exists()


def test_crm_path_knows_its_formats(tmp_path: Path):
    with pytest.raises(ValueError, match="csv or parquet"):
        crm_path(tmp_path, CID, "xlsx")


def test_a_planned_wave_is_registered_on_its_own_dates(con, tmp_path: Path):
    export_wave(con, tmp_path, campaign_id=CID, budget=5.0, holdout_share=0.2,
                dates=WaveDates(starts_on=date(2025, 4, 10), days=14))
    assert con.execute("select started_at, ends_at, holdout_share from raw.recall_campaigns"
                       ).fetchall() == [(datetime(2025, 4, 10), datetime(2025, 4, 24), 0.2)]
    assert con.execute("select distinct assigned_at from raw.recall_assignments").fetchall() == \
        [(datetime(2025, 4, 10, 8),)]
