"""Reconciliation of raw tables against the load log: input = accepted + quarantined + skipped,
and the blocking `reconciliation` asset check on every raw table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from sources.contract import TABLES
from sources.loader import load_directory
from sources.loading.reconcile import LOG, reconcile
from shop_files import write_csv

NOW = datetime(2025, 1, 1)
LATER = datetime(2025, 1, 2)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """Five good customers and one with an impossible sign-up date; orders with one orphan."""
    d = tmp_path / "shop"
    write_csv(d, "customers", "customer_id,signup_at,region,acquisition_channel,"
               "preferred_channel", [f"c{i},2024-01-0{i},north,organic,email"
                                     for i in range(1, 6)]
               + ["c9,2024-19-09,north,organic,email"])
    write_csv(d, "orders", "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,"
               "delivery_days", [f"o{i},c{1 + i % 5},2024-03-0{i},10,0,,paid,2"
                                 for i in range(1, 8)] + ["o99,c77,2024-03-09,5,0,,paid,1"])
    return d


def _load(con, directory: Path, now: datetime):
    return load_directory(con, directory, now=now)  # records the load in the load log


def test_loads_and_reloads_reconcile(shop: Path) -> None:
    con = duckdb.connect()
    _load(con, shop, NOW)
    _load(con, shop, LATER)            # everything skipped or already quarantined
    out = reconcile(con)
    assert set(out) == {t.name for t in TABLES}
    assert all(r.passed for r in out.values()), [r.problems for r in out.values()]
    c, o = out["customers"], out["orders"]
    assert (c.loads, c.input_rows, c.accepted, c.quarantined, c.skipped) == (2, 12, 5, 2, 5)
    assert (c.raw_rows, c.quarantine_rows, c.rows_from_other_sources) == (5, 1, 0)
    assert (o.input_rows, o.accepted, o.quarantined, o.skipped) == (16, 7, 2, 7)
    assert "2 file load(s) into raw.orders: 16 rows in = 7 accepted + 2 quarantined" in o.note
    assert out["events"].loads == 0 and "no file loaded" in out["events"].note


def test_lost_quarantine_or_raw_rows_fail(shop: Path) -> None:
    con = duckdb.connect()
    _load(con, shop, NOW)
    con.execute("delete from raw_quarantine.orders")
    con.execute("delete from raw.customers where customer_id = 'c1'")
    out = reconcile(con)
    assert not out["orders"].passed and not out["customers"].passed
    assert "raw_quarantine.orders holds 0 rows from orders.csv loaded at 2025-01-01 " \
           "00:00:00, the load log says 1" in out["orders"].describe()
    assert "raw.customers holds 4 rows but 5 were accepted" in out["customers"].describe()
    assert out["order_items"].passed


def test_unbalanced_log_row_and_unrecorded_load_fail(shop: Path, tmp_path: Path) -> None:
    con = duckdb.connect()
    _load(con, shop, NOW)
    con.execute(f"update {LOG} set input_rows = input_rows + 3 where table_name = 'customers'")
    more = tmp_path / "more"
    write_csv(more, "orders", "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,"
               "delivery_days", ["o100,c3,2024-05-01,5,0,,paid,1",
                                 "o101,c3,2024-05-01,-5,0,,paid,1"])
    load_directory(con, more, now=LATER)
    con.execute(f"delete from {LOG} where loaded_at = ?", [LATER])  # a load the log lost
    out = reconcile(con)
    assert "customers.csv loaded at 2025-01-01 00:00:00: 9 rows in but 5 accepted + " \
           "1 quarantined + 0 skipped" in out["customers"].describe()
    assert "load log does not know" in out["orders"].describe()


def test_nothing_loaded_passes_with_a_note() -> None:
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    con = duckdb.connect()
    simulate_to_duckdb(con, SimulationConfig(customers=200, months=6, seed=3))
    out = reconcile(con)
    assert all(r.passed and r.loads == 0 for r in out.values())
    assert out["orders"].raw_rows > 0
    assert "no file load recorded" in out["orders"].note
    assert out["orders"].rows_from_other_sources == out["orders"].raw_rows


def test_blocking_check_fails_the_raw_run(dbt_manifest, churn_home, shop: Path) -> None:
    import dagster as dg

    from orchestration.defs.ingest.assets import raw_tables
    from orchestration.defs.ingest.checks import RECONCILIATION, raw_reconciliation
    from orchestration.defs.resources import build_resources
    from orchestration.environment import Environment

    env = Environment(churn_home).prepare()
    with duckdb.connect(str(env.warehouse)) as con:
        _load(con, shop, NOW)
    resources = build_resources(str(churn_home))

    def run():
        with dg.instance_for_test() as instance:
            result = dg.materialize([raw_tables, raw_reconciliation], resources=resources,
                                    instance=instance, raise_on_error=False)
            return result, {c.asset_key.path[-1]: c for c in
                            result.get_asset_check_evaluations()
                            if c.check_name == RECONCILIATION}

    result, checks = run()
    assert result.success and len(checks) == len(TABLES)
    assert all(c.passed for c in checks.values())
    assert checks["orders"].metadata["accepted"].value == 7

    with duckdb.connect(str(env.warehouse)) as con:
        con.execute("delete from raw.orders where order_id = 'o1'")
    result, checks = run()
    assert not result.success
    assert not checks["orders"].passed and checks["customers"].passed
    assert checks["orders"].severity == dg.AssetCheckSeverity.ERROR
    assert "6 rows but 7 were accepted" in checks["orders"].description
    assert checks["orders"].blocking


def test_the_loader_records_each_load_and_a_check_records_nothing(shop: Path) -> None:
    from sources.loader import check_directory

    con = duckdb.connect()
    check_directory(con, shop, now=NOW)
    assert not con.execute("select count(*) from duckdb_tables() "
                           "where schema_name = 'raw_quarantine'").fetchone()[0]
    report = load_directory(con, shop, now=NOW)
    logged = con.execute(f"select table_name, file, input_rows, accepted, quarantined, skipped "
                         f"from {LOG} order by all").fetchall()
    assert logged == sorted((f.table, f.file, f.input_rows, f.accepted, f.quarantined, f.skipped)
                            for f in report.files)


def test_a_load_whose_log_fails_writes_nothing(shop: Path, monkeypatch) -> None:
    import sources.loader

    def broken(con, report):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(sources.loader, "record_load", broken)
    con = duckdb.connect()
    with pytest.raises(RuntimeError, match="log unavailable"):
        load_directory(con, shop, now=NOW)
    assert not con.execute("select count(*) from duckdb_tables() "
                           "where schema_name in ('raw', 'raw_quarantine')").fetchone()[0]
