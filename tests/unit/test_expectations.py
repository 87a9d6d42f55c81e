"""GX suites built from the contract, and the chunked runner against DuckDB tables."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import duckdb
import pytest

from expectations import marts, raw
from expectations.registry import all_suites, get_suite, suite_for
from expectations.spec import (
    BETWEEN,
    COLUMN_TO_EXIST,
    COLUMN_UNIQUE,
    COLUMNS_MATCH_ORDERED_LIST,
    COMPOUND_UNIQUE,
    IN_SET,
    MEAN_BETWEEN,
    NOT_NULL,
    REFERENCES,
    ROW_COUNT_BETWEEN,
    SHARE_PER_GROUP,
)
from sources.contract import TABLES, Table, create_raw_schema

ROOT = Path(__file__).resolve().parents[2]


# --- suites as code (no GX import needed) -------------------------------------------------

@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_raw_suite_follows_contract(table: Table) -> None:
    suite = get_suite(f"raw.{table.name}")
    assert suite.find(COLUMNS_MATCH_ORDERED_LIST)[0].kwargs["column_list"] == table.column_names
    not_null = {e.column for e in suite.find(NOT_NULL)}
    assert not_null == {c.name for c in table.columns if not c.nullable}
    assert {e.column: e.kwargs["value_set"] for e in suite.find(IN_SET)} == {
        c.name: list(c.allowed) for c in table.columns if c.allowed}
    for col in table.columns:
        if col.min_value is not None or col.max_value is not None:
            (between,) = suite.find(BETWEEN, col.name)
            assert (between.kwargs["min_value"], between.kwargs["max_value"]) == (
                col.min_value, col.max_value)
    unique = suite.find(COLUMN_UNIQUE) + suite.find(COMPOUND_UNIQUE)
    assert len(unique) == 1 and unique[0].column == ", ".join(table.key)
    assert bool(suite.find(ROW_COUNT_BETWEEN)) == table.required
    assert [(e.kwargs["column"], e.kwargs["to_table"]) for e in suite.find(REFERENCES)] == [
        (fk.column, fk.table) for fk in table.references]


def test_probabilities_and_mart_suites() -> None:
    (share,) = get_suite("raw.recall_campaigns").find(BETWEEN, "holdout_share")
    assert (share.kwargs["min_value"], share.kwargs["max_value"]) == (0, 1)
    scores = marts.churn_scores_suite()
    (prob,) = scores.find(BETWEEN, "churn_probability")
    assert (prob.kwargs["min_value"], prob.kwargs["max_value"]) == (0, 1)
    assert scores.find(IN_SET, "risk_decile")[0].kwargs["value_set"] == list(range(1, 11))
    segments = marts.recall_segments_suite()
    assert segments.find(IN_SET, "arm")[0].kwargs["value_set"] == ["treatment", "control"]
    assert {e.column for e in segments.find(COLUMN_TO_EXIST)} >= {"customer_id", "arm"}
    assert suite_for("main_marts", "recall_segments").name == "marts.recall_segments"
    assert set(all_suites()) >= {f"raw.{t.name}" for t in TABLES} | {
        "ml.churn_scores", "marts.recall_segments"}
    assert len(raw.raw_suites()) == len(TABLES)


def test_packages_stay_independent() -> None:
    """expectations/ and the loader never import dagster, orchestration or ml."""
    files = [*ROOT.joinpath("expectations").rglob("*.py"), ROOT / "sources" / "loader.py",
             *ROOT.joinpath("sources", "loading").rglob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in {"dagster", "orchestration", "ml"}, path


# --- the runner on DuckDB tables ---------------------------------------------------------

N_CUSTOMERS, N_ORDERS = 20, 60


def _shop(con) -> None:
    create_raw_schema(con)
    con.execute("""
        insert into raw.customers select 'c' || i, timestamp '2024-01-01' + to_days(i::int),
            'north', 'organic', 'email' from range(?) t(i)""", [N_CUSTOMERS])
    con.execute("""
        insert into raw.orders select 'o' || i, 'c' || (i % ?), timestamp '2024-03-01',
            10 + i, 0, null, 'paid', 2 from range(?) t(i)""", [N_CUSTOMERS, N_ORDERS])


@pytest.fixture
def con():
    connection = duckdb.connect()
    _shop(connection)
    yield connection
    connection.close()


def _corrupt(con) -> None:
    con.execute("update raw.orders set gmv = -1 where order_id in ('o1', 'o2', 'o30')")
    con.execute("update raw.orders set status = 'lost' where order_id in ('o3', 'o59')")
    con.execute("update raw.orders set customer_id = null where order_id = 'o4'")
    con.execute("update raw.orders set customer_id = 'ghost' where order_id in ('o5', 'o6')")
    con.execute("update raw.orders set order_id = 'o7' where order_id = 'o40'")  # duplicate
    con.execute("update raw.orders set delivery_days = 400 where order_id = 'o8'")


def test_clean_tables_pass(con) -> None:
    from expectations.runner import validate_table

    for table, rows in (("customers", N_CUSTOMERS), ("orders", N_ORDERS)):
        result = validate_table(con, "raw", table)
        assert result.success, result.describe()
        assert result.evaluated_rows == rows and result.chunks == 1
        assert {r.scope for r in result.results} == {"chunk", "table"}
    empty = validate_table(con, "raw", "events")  # optional table, no rows: passes
    assert empty.success and empty.evaluated_rows == 0


def test_corrupted_table_fails_with_counts(con) -> None:
    from expectations.runner import validate_table

    _corrupt(con)
    result = validate_table(con, "raw", "orders")
    assert not result.success
    assert result.result(BETWEEN, "gmv").unexpected_count == 3
    assert result.result(BETWEEN, "gmv").sample_unexpected == (-1.0, -1.0, -1.0)
    assert result.result(IN_SET, "status").unexpected_count == 2
    assert result.result(NOT_NULL, "customer_id").unexpected_count == 1
    assert result.result(BETWEEN, "delivery_days").unexpected_count == 1
    unique = result.result(COLUMN_UNIQUE, "order_id")
    assert (unique.unexpected_count, unique.sample_unexpected) == (2, ("o7",))
    reference = result.result(REFERENCES, "customer_id")
    assert (reference.unexpected_count, reference.sample_unexpected) == (2, ("ghost",))
    assert {r.expectation_type for r in result.failed} == {
        BETWEEN, IN_SET, NOT_NULL, COLUMN_UNIQUE, REFERENCES}
    assert "expect_column_values_to_be_in_set(status): 2 unexpected" in result.describe()


def test_chunked_equals_single_chunk(con) -> None:
    from expectations.runner import validate_table

    _corrupt(con)
    whole = validate_table(con, "raw", "orders", chunk_rows=1_000_000)
    chunked = validate_table(con, "raw", "orders", chunk_rows=7)
    assert (whole.chunks, chunked.chunks) == (1, 9)

    def essentials(result):
        return [(r.expectation_type, r.column, r.success, r.unexpected_count, r.element_count,
                 sorted(map(str, r.sample_unexpected))) for r in result.results]

    assert essentials(chunked) == essentials(whole)
    assert chunked.success == whole.success and chunked.evaluated_rows == N_ORDERS


def test_schema_and_row_count_rules(con) -> None:
    from expectations.runner import validate_table

    con.execute("delete from raw.customers")
    empty = validate_table(con, "raw", "customers")
    assert not empty.success
    assert empty.result(ROW_COUNT_BETWEEN).observed_value == 0
    con.execute("create schema other")
    con.execute("create table other.orders as select * exclude (status) from raw.orders")
    missing = validate_table(con, "other", "orders", suite_name="raw.orders")
    columns = missing.result(COLUMNS_MATCH_ORDERED_LIST)
    assert not columns.success and "missing: status" in columns.detail
    status = missing.result(IN_SET, "status")
    assert not status.success and "status" in status.detail
    assert missing.result(BETWEEN, "gmv").success
    with pytest.raises(LookupError, match="other.nope"):
        validate_table(con, "other", "nope", suite_name="raw.orders")


def test_mart_suites_on_tables(con) -> None:
    from expectations.runner import validate_table

    con.execute("create schema ml")
    con.execute("""create table ml.churn_scores as select 'c' || i as customer_id,
        i / 10.0 as churn_probability, 10 - i as risk_decile from range(12) t(i)""")
    scores = validate_table(con, "ml", "churn_scores", chunk_rows=5)
    assert scores.result(BETWEEN, "churn_probability").unexpected_count == 1  # 1.1
    assert scores.result(IN_SET, "risk_decile").unexpected_count == 2  # 0 and -1
    con.execute("create schema marts")
    con.execute("""create table marts.recall_segments as select 'c' || i as customer_id,
        case when i = 0 then 'holdout' when i % 2 = 0 then 'control' else 'treatment' end
        as arm, 'core' as layer from range(6) t(i)""")
    segments = validate_table(con, "marts", "recall_segments")
    assert [(r.expectation_type, r.column, r.unexpected_count) for r in segments.failed] == [
        (IN_SET, "arm", 1)]


BOUNDS = marts.MartBounds(label_rate_min=0.05, label_rate_max=0.4, min_segment_size=10,
                          holdout_share=0.1, arm_balance_tolerance=0.02)


def test_label_rate_bounds(con) -> None:
    from expectations.runner import validate_table

    con.execute("create schema marts")
    # 100 labelled rows, 30 churned (rate 0.30), 20 open windows (null label): passes.
    con.execute("""create table marts.customer_snapshots as select 'c' || (i % 60) as customer_id,
        date '2025-01-01' + interval (i // 60) month as snapshot_date,
        case when i >= 100 then null when i < 30 then 1 else 0 end as is_churned_label
        from range(120) t(i)""")
    suite = marts.customer_snapshots_suite(BOUNDS)
    ok = validate_table(con, "marts", "customer_snapshots", suite=suite)
    assert ok.success, ok.describe()
    assert ok.result(MEAN_BETWEEN, "is_churned_label").observed_value == pytest.approx(0.30)
    con.execute("update marts.customer_snapshots set is_churned_label = 1 "
                "where is_churned_label = 0")
    high = validate_table(con, "marts", "customer_snapshots", suite=suite)
    (failed,) = high.failed
    assert failed.expectation_type == MEAN_BETWEEN
    assert "1.0000 over 100 rows" in failed.detail


def test_segment_size_and_arm_balance(con) -> None:
    from expectations.runner import validate_table

    con.execute("create schema marts")
    # core: 200 customers, 20 control (balanced); base: 100 customers, 30 control (off by 20).
    con.execute("""create table marts.recall_segments as
        select 'a' || i as customer_id, 'core' as layer, 'core' as holdout_stratum,
            case when i < 20 then 'control' else 'treatment' end as arm from range(200) t(i)
        union all
        select 'b' || i, 'base', 'base', case when i < 30 then 'control' else 'treatment' end
        from range(100) t(i)""")
    suite = marts.recall_segments_suite(bounds=BOUNDS)
    result = validate_table(con, "marts", "recall_segments", suite=suite)
    (failed,) = result.failed
    assert (failed.expectation_type, failed.unexpected_count) == (SHARE_PER_GROUP, 1)
    assert failed.sample_unexpected == ("base: 30/100 = 0.300",)
    assert failed.observed_value == {"base": 0.3, "core": 0.1}
    # One customer of slack on small layers: 5 customers, 0 control (0.5 expected) passes.
    con.execute("delete from marts.recall_segments where layer = 'base'")
    con.execute("insert into marts.recall_segments select 'n' || i, 'advanced', 'advanced', "
                "'treatment' from range(5) t(i)")
    assert validate_table(con, "marts", "recall_segments", suite=suite).success
    con.execute("delete from marts.recall_segments where layer = 'core'")
    small = validate_table(con, "marts", "recall_segments", suite=suite)
    assert [(r.expectation_type, r.detail) for r in small.failed] == [
        (ROW_COUNT_BETWEEN, "5 rows, expected >= 10")]


def test_data_docs(con, tmp_path: Path) -> None:
    from expectations.runner import build_data_docs, validate_table

    _corrupt(con)
    results = [validate_table(con, "raw", "customers"), validate_table(con, "raw", "orders")]
    index = build_data_docs(tmp_path / "docs", results)
    page = index.read_text()
    assert "raw.orders" in page and "raw.customers" in page and "failed" in page
    saved = json.loads((tmp_path / "docs" / "validation_results.json").read_text())
    assert [s["suite_name"] for s in saved] == ["raw.customers", "raw.orders"]


def test_runners_keep_their_own_context_and_results(con, tmp_path: Path) -> None:
    """Two runs in one process: each runner reports only its own results and builds GX once."""
    from expectations.runner import GxRunner

    first, second = GxRunner(), GxRunner()
    first.validate_table(con, "raw", "customers")
    first.validate_table(con, "raw", "orders", chunk_rows=7)
    context = first._validator._context
    _corrupt(con)
    latest = first.validate_table(con, "raw", "orders")
    assert first._validator._context is context  # set up once per runner, reused
    assert not second.validate_table(con, "raw", "orders").success
    assert second._validator._context is not context
    assert [r.suite_name for r in first.results] == ["raw.customers", "raw.orders"]
    assert first.results[-1] is latest  # latest result per suite
    assert [r.suite_name for r in second.results] == ["raw.orders"]
    second.build_data_docs(tmp_path / "second")  # default: this runner's results only
    saved = json.loads((tmp_path / "second" / "validation_results.json").read_text())
    assert [s["suite_name"] for s in saved] == ["raw.orders"]
