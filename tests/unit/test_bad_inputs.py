"""Bad-input catalogue for the file loader: every case either stops the load with a clear
one-line `LoadError` naming file, table (and column) and writes nothing, or loads with exact
quarantine counts per rule; in every case input rows = accepted + quarantined + skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.contract import TABLES
from sources.loader import (
    ABOVE_MAX,
    ALREADY_LOADED,
    BEFORE_SIGNUP,
    BELOW_MIN,
    DUPLICATE_KEY_CONFLICT,
    DUPLICATE_KEY_IN_FILE,
    FUTURE_TIMESTAMP,
    NOT_ALLOWED,
    NOT_FINITE,
    NOT_NULL,
    ORPHAN_REFERENCE,
    OVERFLOW,
    UNPARSABLE,
    LoadError,
    LoadReport,
    load_directory,
)

NOW = datetime(2025, 1, 1)
CUSTOMERS_HEADER = "customer_id,signup_at,region,acquisition_channel,preferred_channel"
CUSTOMERS = [
    "c1,2024-01-01 00:00:00,north,organic,email",
    "c2,2024-01-02 00:00:00,south,social,sms",
    "c3,2024-01-03 00:00:00,west,referral,app_push",
]
ORDERS_HEADER = "order_id,customer_id,ordered_at,gmv,discount,coupon_id,status,delivery_days"
ORDERS = [
    "o1,c1,2024-02-01 10:00:00,25.50,0,,paid,3",
    "o2,c2,2024-02-02 11:00:00,10.00,2.5,SPRING,returned,",
    "o3,c3,2024-02-03 12:00:00,99.99,0,,cancelled,5",
]
LONG_ID = "L" * 100_000
SQL_ID = "c'); drop table raw.orders; --\"x"


def csv_text(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def customers(*rows: str) -> bytes:
    return csv_text(CUSTOMERS_HEADER, list(rows) or CUSTOMERS)


def orders(*rows: str) -> bytes:
    return csv_text(ORDERS_HEADER, list(rows) or ORDERS)


def parquet_bytes(tmp: Path, table: pa.Table) -> bytes:
    path = tmp / "x.parquet"
    pq.write_table(table, path)
    return path.read_bytes()


def good_orders_parquet(tmp: Path) -> bytes:
    return parquet_bytes(tmp, pa.table({
        "order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
        "ordered_at": [datetime(2024, 2, 1), datetime(2024, 2, 2)],
        "gmv": [10.0, float("nan")], "discount": [0.0, 0.0], "coupon_id": [None, None],
        "status": ["paid", "paid"], "delivery_days": [1, 2],
    }))


def tz_aware_orders_parquet(tmp: Path) -> bytes:
    berlin = pa.timestamp("us", tz="Europe/Berlin")
    return parquet_bytes(tmp, pa.table({
        "order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
        "ordered_at": pa.array([datetime(2024, 2, 1, 9, tzinfo=UTC),
                                datetime(2024, 7, 1, 8, tzinfo=UTC)], berlin),
        "gmv": pa.array([Decimal("10.50"), Decimal("3.25")], pa.decimal128(10, 2)),
        "discount": [0.0, 0.0], "coupon_id": [None, "X"], "status": ["paid", "paid"],
        "delivery_days": [1, None],
    }))


def _parquet_utc_check(con, report) -> None:
    got = con.execute("select ordered_at, gmv from raw.orders order by 1").fetchall()
    assert got == [(datetime(2024, 2, 1, 9), Decimal("10.50")),
                   (datetime(2024, 7, 1, 8), Decimal("3.25"))]


@dataclass
class Case:
    id: str
    files: Callable[[Path], dict[str, bytes]]
    error: tuple[str, ...] = ()  # substrings the LoadError message must contain
    rules: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (table, rule, col)
    accepted: dict[str, int] = field(default_factory=dict)
    preload: bool = False  # load the clean base files first
    check: Callable[[duckdb.DuckDBPyConnection, LoadReport], None] | None = None


def _base(**over: bytes) -> Callable[[Path], dict[str, bytes]]:
    def make(_tmp: Path) -> dict[str, bytes]:
        files = {"customers.csv": customers(), "orders.csv": orders()}
        files.update({k.replace("__", "."): v for k, v in over.items()})
        return files
    return make


def _mixed_tz_check(con, report) -> None:
    got = con.execute("select customer_id, signup_at from raw.customers order by 1").fetchall()
    assert [ts for _, ts in got] == [datetime(2024, 1, 1, 8, 0)] * 4


def _verbatim_check(value: str, table: str = "customers", column: str = "customer_id"):
    def check(con, report) -> None:
        stored = con.execute(f"select {column} from raw.{table} where {column} = ?",
                             [value]).fetchall()
        assert stored == [(value,)]
        assert con.execute("select count(*) from raw.orders").fetchone()[0] >= 1
    return check


def _quoted_category_check(con, report) -> None:
    region = con.execute("select region from raw.customers where customer_id = 'c4'").fetchone()
    assert region[0] == "nor'th \"x\"; --"  # a descriptive attribute takes the shop's values
    row = con.execute("select status, _rule, _detail from raw_quarantine.orders").fetchone()
    assert row[0] == "pai'd \"x\"; --" and row[1] == NOT_ALLOWED and "pai'd" in row[2]


def _extra_column_check(con, report) -> None:
    assert report.for_table("customers").extra_columns == ["notes"]
    assert "extra columns ignored: notes" in report.summary()


def _missing_nullable_check(con, report) -> None:
    assert report.for_table("orders").missing_optional_columns == ["coupon_id"]
    assert con.execute("select count(coupon_id) from raw.orders").fetchone()[0] == 0


def _unknown_file_check(con, report) -> None:
    assert report.unknown_files == ["notes.txt", "ordrs.csv"]
    assert "ordrs.csv" in report.summary()


def _duplicate_in_file_check(con, report) -> None:
    kept = con.execute("select gmv from raw.orders where order_id = 'o1'").fetchall()
    assert [float(g) for (g,) in kept] == [25.5]  # the first occurrence wins


CASES = [
    Case("missing_required_column",
         _base(customers__csv=csv_text("signup_at,region,acquisition_channel,"
                                       "preferred_channel", ["2024-01-01,north,organic,email"])),
         error=("customers.csv", "table customers", "missing required column customer_id")),
    Case("extra_column_ignored",
         _base(customers__csv=csv_text(CUSTOMERS_HEADER + ",notes",
                                       [r + ",vip" for r in CUSTOMERS])),
         accepted={"customers": 3, "orders": 3}, check=_extra_column_check),
    Case("missing_nullable_column_is_null",
         _base(orders__csv=csv_text(ORDERS_HEADER.replace("coupon_id,", ""),
                                    ["o1,c1,2024-02-01,1,0,paid,3"])),
         accepted={"orders": 1}, check=_missing_nullable_check),
    Case("wrong_type", _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,1,0,,paid,three")),
         rules={("orders", UNPARSABLE, "delivery_days"): 1}, accepted={"orders": 2}),
    Case("not_a_whole_number",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,1,0,,paid,3.5")),
         rules={("orders", UNPARSABLE, "delivery_days"): 1}),
    Case("unparsable_date",
         _base(orders__csv=orders(*ORDERS[:1], "o2,c2,2024-02-30,1,0,,paid,1",
                                  "o3,c3,yesterday,1,0,,paid,1")),
         rules={("orders", UNPARSABLE, "ordered_at"): 2}, accepted={"orders": 1}),
    Case("mixed_time_zones_to_utc",
         _base(customers__csv=customers(
             "c1,2024-01-01T10:00:00+02:00,north,organic,email",
             "c2,2024-01-01T08:00:00Z,north,organic,email",
             "c3,2024-01-01 08:00:00,north,organic,email",
             "c4,2024-01-01 03:00:00-05:00,north,organic,email")),
         accepted={"customers": 4}, check=_mixed_tz_check),
    Case("future_date",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2031-01-01,1,0,,paid,1")),
         rules={("orders", FUTURE_TIMESTAMP, "ordered_at"): 1}),
    Case("order_before_signup",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2023-12-31 23:59:59,1,0,,paid,1")),
         rules={("orders", BEFORE_SIGNUP, "ordered_at"): 1}),
    Case("negative_gmv",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,-5.00,0,,paid,1")),
         rules={("orders", BELOW_MIN, "gmv"): 1}),
    Case("above_max", _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,1,0,,paid,400")),
         rules={("orders", ABOVE_MAX, "delivery_days"): 1}),
    Case("nan", _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,NaN,0,,paid,1")),
         rules={("orders", NOT_FINITE, "gmv"): 1}),
    Case("infinity",
         _base(orders__csv=orders(ORDERS[0], "o2,c2,2024-02-03,inf,0,,paid,1",
                                  "o3,c3,2024-02-03,1,-Infinity,,paid,1")),
         rules={("orders", NOT_FINITE, "gmv"): 1, ("orders", NOT_FINITE, "discount"): 1}),
    Case("nan_in_parquet",
         lambda tmp: {"customers.csv": customers(), "orders.parquet": good_orders_parquet(tmp)},
         rules={("orders", NOT_FINITE, "gmv"): 1}, accepted={"orders": 1}),
    Case("parquet_time_zones_and_decimals",
         lambda tmp: {"customers.csv": customers(), "orders.parquet": tz_aware_orders_parquet(tmp)},
         accepted={"customers": 3, "orders": 2}, check=_parquet_utc_check),
    Case("decimal_overflow",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,1e400,0,,paid,1")),
         rules={("orders", OVERFLOW, "gmv"): 1}),
    Case("integer_overflow",
         _base(orders__csv=orders(*ORDERS[:2],
                                  "o3,c3,2024-02-03,1,0,,paid,99999999999999999999")),
         rules={("orders", OVERFLOW, "delivery_days"): 1}),
    Case("not_null", _base(customers__csv=customers(*CUSTOMERS, ",2024-01-01,north,organic,sms")),
         rules={("customers", NOT_NULL, "customer_id"): 1}, accepted={"customers": 3}),
    Case("not_allowed_status",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c3,2024-02-03,1,0,,lost,1")),
         rules={("orders", NOT_ALLOWED, "status"): 1}),
    Case("duplicate_key_in_file",
         _base(orders__csv=orders(*ORDERS, "o1,c1,2024-02-05,1.00,0,,paid,1", ORDERS[0])),
         rules={("orders", DUPLICATE_KEY_IN_FILE, "order_id"): 2}, accepted={"orders": 3},
         check=_duplicate_in_file_check),
    Case("duplicate_across_loads",
         _base(customers__csv=customers(CUSTOMERS[0], "c2,2024-01-02,east,social,sms",
                                        "c9,2024-01-09,east,social,sms"),
               orders__csv=orders(ORDERS[0])),
         preload=True, accepted={"customers": 1, "orders": 0},
         rules={("customers", ALREADY_LOADED, "customer_id"): 1,
                ("customers", DUPLICATE_KEY_CONFLICT, "customer_id"): 1,
                ("orders", ALREADY_LOADED, "order_id"): 1}),
    Case("orphan_customer",
         _base(orders__csv=orders(*ORDERS[:2], "o3,c404,2024-02-03,1,0,,paid,1")),
         rules={("orders", ORPHAN_REFERENCE, "customer_id"): 1}),
    Case("orphan_of_quarantined_parent",
         _base(customers__csv=customers(*CUSTOMERS[:2], "c3,2024-13-45,north,organic,sms")),
         rules={("customers", UNPARSABLE, "signup_at"): 1,
                ("orders", ORPHAN_REFERENCE, "customer_id"): 1}),
    Case("empty_file", _base(orders__csv=b""), error=("orders.csv", "table orders", "empty")),
    Case("header_only", _base(orders__csv=(ORDERS_HEADER + "\n").encode()),
         error=("orders.csv", "table orders", "no rows")),
    Case("wrong_delimiter",
         _base(customers__csv=customers(*CUSTOMERS).replace(b",", b";")),
         error=("customers.csv", "table customers", "delimiter ';'")),
    Case("non_utf8_bytes",
         _base(customers__csv=customers(*CUSTOMERS[:2]) + "c3,2024-01-03,north,organic,"
               "email\nc\xe9,2024-01-03,north,organic,email\n".encode("latin-1")),
         error=("customers.csv", "table customers", "not UTF-8", "line 5")),
    Case("malformed_csv_row", _base(orders__csv=orders(*ORDERS[:2], "o3,c3")),
         error=("orders.csv", "table orders", "not a well-formed CSV", "line 4")),
    Case("bom", _base(customers__csv=b"\xef\xbb\xbf" + customers()),
         accepted={"customers": 3, "orders": 3}),
    Case("very_long_strings",
         _base(customers__csv=customers(*CUSTOMERS, f"{LONG_ID},2024-01-01,north,organic,sms"),
               orders__csv=orders(*ORDERS, f"o4,{LONG_ID},2024-02-01,1,0,,paid,1")),
         accepted={"customers": 4, "orders": 4}, check=_verbatim_check(LONG_ID)),
    Case("sql_metacharacters_in_ids",
         _base(customers__csv=customers(*CUSTOMERS, '"c\'); drop table raw.orders; --""x",'
                                        "2024-01-01,north,organic,sms"),
               orders__csv=orders(*ORDERS, '"o\'4",' + '"c\'); drop table raw.orders; --""x",'
                                  "2024-02-01,1,0,\"x'; --\",paid,1")),
         accepted={"customers": 4, "orders": 4}, check=_verbatim_check(SQL_ID)),
    Case("quotes_in_categories",
         _base(customers__csv=customers(*CUSTOMERS, 'c4,2024-01-01,"nor\'th ""x""; --",'
                                        "organic,sms"),
               orders__csv=orders(*ORDERS, 'o4,c4,2024-02-04,1,0,,"pai\'d ""x""; --",3')),
         rules={("orders", NOT_ALLOWED, "status"): 1}, accepted={"customers": 4},
         check=_quoted_category_check),
    Case("truncated_parquet",
         lambda tmp: {"customers.csv": customers(),
                      "orders.parquet": good_orders_parquet(tmp)[:300]},
         error=("orders.parquet", "table orders", "Parquet")),
    Case("missing_required_table", lambda _tmp: {"orders.csv": orders()},
         error=("required table customers", "customers.csv")),
    Case("two_files_for_one_table",
         lambda tmp: {"customers.csv": customers(), "orders.csv": orders(),
                      "orders.parquet": good_orders_parquet(tmp)},
         error=("orders.csv", "orders.parquet", "table orders")),
    Case("unknown_files_reported",
         _base(notes__txt=b"hello", ordrs__csv=orders()),
         accepted={"customers": 3, "orders": 3}, check=_unknown_file_check),
]


def _write(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def _counts(con, schema: str) -> dict[str, int]:
    return {t.name: con.execute(f'select count(*) from "{schema}"."{t.name}"').fetchone()[0]
            for t in TABLES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    con = duckdb.connect()
    if case.preload:
        load_directory(con, _write(tmp_path / "base", _base()(tmp_path)), now=NOW)
    files = case.files(tmp_path)
    directory = _write(tmp_path / "in", files)
    before_raw = _counts(con, "raw") if case.preload else None

    if case.error:
        with pytest.raises(LoadError) as info:
            load_directory(con, directory, now=NOW)
        message = str(info.value)
        assert "\n" not in message and "Traceback" not in message
        for part in case.error:
            assert part in message, f"{part!r} not in {message!r}"
        # Nothing written: raw is exactly as before (absent or unchanged).
        tables = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw'"
                             ).fetchone()[0]
        assert (tables == 0) if before_raw is None else _counts(con, "raw") == before_raw
        return

    report = load_directory(con, directory, now=NOW)
    for f in report.files:
        assert f.input_rows == f.accepted + f.quarantined + f.skipped, f
    raw = _counts(con, "raw")
    quarantine = _counts(con, "raw_quarantine")
    for f in report.files:  # the tables hold exactly what the report says
        base = len(CUSTOMERS if f.table == "customers" else ORDERS) if case.preload else 0
        assert raw[f.table] == base + f.accepted
        assert quarantine[f.table] == f.quarantined
    found = {(r.table, r.rule, r.column): r.rows for f in report.files for r in f.rules}
    assert found == case.rules
    for table, n in case.accepted.items():
        assert report.for_table(table).accepted == n
    for (table, rule, column), n in case.rules.items():
        summary = report.summary()
        assert f"table {table}, column {column}, rule {rule}: {n} row(s)" in summary
    if case.check:
        case.check(con, report)


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 22
