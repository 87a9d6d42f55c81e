"""The file loader on good input: counts, idempotent reloads, incremental loads, transactions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.contract import TABLES
from sources.loader import (
    ALREADY_LOADED,
    ORPHAN_REFERENCE,
    UNPARSABLE,
    LoadError,
    load_directory,
)
from sources.loading import rules
from shop_files import write_csv

NOW = datetime(2025, 1, 1)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A small clean shop: customers and order_items as CSV, orders as Parquet, plus tickets."""
    d = tmp_path / "shop"
    write_csv(d, "customers", "customer_id,signup_at,region,acquisition_channel,"
               "preferred_channel", [f"c{i},2024-01-0{i},north,organic,email"
                                     for i in range(1, 6)])
    pq.write_table(pa.table({
        "order_id": [f"o{i}" for i in range(1, 9)],
        "customer_id": [f"c{1 + i % 5}" for i in range(8)],
        "ordered_at": [datetime(2024, 3, 1 + i) for i in range(8)],
        "gmv": [10.0 + i for i in range(8)],
        "discount": [0.0] * 8,
        "coupon_id": [None] * 8,
        "status": ["paid"] * 8,
        "delivery_days": [2] * 8,
    }), d / "orders.parquet")
    write_csv(d, "order_items", "order_id,line_number,product_id,category,quantity,price",
               [f"o{i},1,p{i},grocery,1,10.00" for i in range(1, 9)])
    write_csv(d, "support_tickets", "ticket_id,customer_id,opened_at,kind,topic,"
               "first_response_minutes,satisfaction",
               ["t1,c1,2024-04-01,complaint,logistics,12.5,2", "t2,c2,2024-04-02,inquiry,price,,"])
    return d


def _raw_counts(con) -> dict[str, int]:
    return {t.name: con.execute(f'select count(*) from raw."{t.name}"').fetchone()[0]
            for t in TABLES}


def test_happy_path_counts(shop: Path) -> None:
    con = duckdb.connect()
    report = load_directory(con, shop, now=NOW)
    assert report.clean and report.unknown_files == []
    assert {f.table: f.accepted for f in report.files} == {
        "customers": 5, "orders": 8, "order_items": 8, "support_tickets": 2}
    assert [f.table for f in report.files][:2] == ["customers", "orders"]  # parents first
    counts = _raw_counts(con)
    assert counts["orders"] == 8 and counts["order_items"] == 8 and counts["events"] == 0
    assert con.execute("select sum(gmv) from raw.orders").fetchone()[0] == 108
    assert "orders.parquet -> raw.orders: 8 in, 8 accepted, 0 quarantined" in report.summary()


def test_reload_is_idempotent(shop: Path) -> None:
    con = duckdb.connect()
    (shop / "customers.csv").write_text(
        (shop / "customers.csv").read_text() + "c9,2024-19-09,north,organic,email\n")
    first = load_directory(con, shop, now=NOW)
    counts = _raw_counts(con)
    quarantined = con.execute("select count(*) from raw_quarantine.customers").fetchone()[0]

    second = load_directory(con, shop, now=NOW)
    assert _raw_counts(con) == counts
    assert con.execute("select count(*) from raw_quarantine.customers").fetchone()[0] \
        == quarantined == 1
    assert second.accepted == 0 and second.skipped == first.accepted
    assert second.for_table("orders").rule_rows(ALREADY_LOADED) == 8
    assert second.for_table("customers").rule_rows(UNPARSABLE, "signup_at") == 1
    assert second.for_table("customers").already_quarantined == 1
    for f in second.files:
        assert f.input_rows == f.accepted + f.quarantined + f.skipped


def test_incremental_load_uses_loaded_customers(shop: Path, tmp_path: Path) -> None:
    con = duckdb.connect()
    load_directory(con, shop, now=NOW)
    more = tmp_path / "more"
    write_csv(more, "orders", "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,"
               "delivery_days", ["o100,c3,2024-05-01,5,0,,paid,1",
                                 "o101,c77,2024-05-01,5,0,,paid,1"])
    report = load_directory(con, more, now=NOW)  # customers not required: raw has them
    orders = report.for_table("orders")
    assert (orders.accepted, orders.rule_rows(ORPHAN_REFERENCE, "customer_id")) == (1, 1)


def test_quarantine_rows_keep_text_rule_and_position(tmp_path: Path) -> None:
    d = tmp_path / "in"
    write_csv(d, "customers", "customer_id,signup_at,region,acquisition_channel,"
               "preferred_channel", ["c1,2024-01-01,north,organic,email",
                                     "c2,someday,north,organic,email"])
    write_csv(d, "orders", "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,"
               "delivery_days", ["o1,c1,2024-02-01,1,0,,paid,1"])
    con = duckdb.connect()
    load_directory(con, d, now=NOW)
    row = con.execute("select customer_id, signup_at, _rule, _column, _detail, _source_file, "
                      "_row_number, _loaded_at from raw_quarantine.customers").fetchone()
    assert row == ("c2", "someday", "unparsable", "signup_at",
                   "'someday' is not a valid TIMESTAMP", "customers.csv", 2, NOW)


def test_failure_mid_load_leaves_raw_unchanged(shop: Path, monkeypatch) -> None:
    con = duckdb.connect()
    real_apply = rules.apply

    def failing_apply(con_, staged, now):
        if staged.input.table.name == "orders":  # customers are already inserted by now
            raise RuntimeError("disk full")
        return real_apply(con_, staged, now)

    monkeypatch.setattr(rules, "apply", failing_apply)
    with pytest.raises(RuntimeError, match="disk full"):
        load_directory(con, shop, now=NOW)
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'"
                       ).fetchone()[0] == 0
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0] == 0

    monkeypatch.setattr(rules, "apply", real_apply)
    assert load_directory(con, shop, now=NOW).accepted == 23  # the next run completes


def test_bad_file_after_good_ones_writes_nothing(shop: Path, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    load_directory(con, shop, now=NOW)
    before = _raw_counts(con)
    (shop / "orders.parquet").write_bytes((shop / "orders.parquet").read_bytes()[:200])
    (shop / "customers.csv").write_text(
        (shop / "customers.csv").read_text() + "c6,2024-01-06,north,organic,email\n")
    with pytest.raises(LoadError, match="orders.parquet"):
        load_directory(con, shop, now=NOW)
    con.close()
    con = duckdb.connect(str(db))
    assert _raw_counts(con) == before


def test_session_time_zone_is_restored(shop: Path) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")
    load_directory(con, shop, now=NOW)
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "America/New_York"
    with pytest.raises(LoadError):
        load_directory(con, shop.parent / "does-not-exist")
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "America/New_York"


def test_default_now_is_current_time(tmp_path: Path) -> None:
    d = tmp_path / "in"
    write_csv(d, "customers", "customer_id,signup_at,region,acquisition_channel,"
               "preferred_channel", ["c1,2020-01-01,north,organic,email",
                                     "c2,2999-01-01,north,organic,email"])
    write_csv(d, "orders", "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,"
               "delivery_days", ["o1,c1,2024-02-01,1,0,,paid,1"])
    report = load_directory(duckdb.connect(), d)
    assert report.for_table("customers").rule_rows("future_timestamp", "signup_at") == 1
