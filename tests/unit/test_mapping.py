"""Mapping files: a shop's own export (file names, delimiter, column names, value spellings,
timestamp formats, time zone, decimal comma, currency scale) loads through a mapping; every
mapping the files cannot use is refused with the mapping file's line, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.contract import TABLES
from sources.loader import (
    BELOW_MIN,
    NOT_ALLOWED,
    UNPARSABLE,
    LoadError,
    MappingError,
    default_mapping,
    load_directory,
    load_mapping,
)
from sources.loading.mapping import parse_mapping

NOW = datetime(2025, 6, 1)

KUNDEN = """KundenNr;Bundesland;Filiale
K1;Bayern;München
K2;Nordrhein-Westfalen;Köln
K3;Berlin;Berlin
"""
# Winter (CET, UTC+1) and summer (CEST, UTC+2) times; German decimals; German statuses.
UMSAETZE = """Belegnummer;KundenNr;Datum;Betrag;Status
B1;K1;31.12.2024 14:05;1.234,56;Abgeschlossen
B2;K2;30.06.2024 14:05;12,5;Storniert
B3;K3;01.07.2024 00:30;7;Retoure
B4;K1;15.01.2025 08:00;0,99;
"""
MAPPING = """\
tables:
  customers:
    file: "Kunden*.csv"
    delimiter: ";"
    columns:
      customer_id: KundenNr
      region: Bundesland
  orders:
    file: "Umsaetze*.csv"
    delimiter: ";"
    columns:
      order_id: Belegnummer
      customer_id: KundenNr
      ordered_at: Datum
      gmv: Betrag
      status: Status
    timestamp_format: "%d.%m.%Y %H:%M"
    time_zone: Europe/Berlin
    decimal_comma: true
    values:
      status: {Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}
"""


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = directory / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return directory


def german_shop(directory: Path, **over: str | bytes) -> Path:
    files: dict[str, str | bytes] = {"Kunden.csv": KUNDEN, "Umsaetze.csv": UMSAETZE}
    files.update({k.replace("__", "."): v for k, v in over.items()})
    return write(directory, files)


def mapping_file(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "mapping.yml"
    path.write_text(text, encoding="utf-8")
    return path


def counts(con, schema: str) -> dict[str, int]:
    if not con.execute("select count(*) from duckdb_tables() where schema_name = $s",
                       {"s": schema}).fetchone()[0]:
        return {}
    return {t.name: con.execute(f'select count(*) from "{schema}"."{t.name}"').fetchone()[0]
            for t in TABLES}


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line of `text` containing `marker`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in the mapping text")


def balanced(report) -> None:
    for f in report.files:
        assert f.input_rows == f.accepted + f.quarantined + f.skipped, f


# -- loading through a mapping --------------------------------------------------------------


def test_german_export_loads(tmp_path: Path) -> None:
    con = duckdb.connect()
    mapping = load_mapping(mapping_file(tmp_path / "cfg", MAPPING))
    report = load_directory(con, german_shop(tmp_path / "in"), now=NOW, mapping=mapping)
    balanced(report)
    assert report.clean and report.mapping == "mapping.yml"
    assert [(f.file, f.table, f.accepted) for f in report.files] == [
        ("Kunden.csv", "customers", 3), ("Umsaetze.csv", "orders", 4)]
    assert report.for_table("customers").extra_columns == ["Filiale"]

    orders = con.execute("select order_id, customer_id, ordered_at, gmv, status from raw.orders "
                         "order by order_id").fetchall()
    assert orders == [
        ("B1", "K1", datetime(2024, 12, 31, 13, 5), Decimal("1234.56"), "paid"),      # CET
        ("B2", "K2", datetime(2024, 6, 30, 12, 5), Decimal("12.50"), "cancelled"),    # CEST
        ("B3", "K3", datetime(2024, 6, 30, 22, 30), Decimal("7.00"), "returned"),     # day before
        ("B4", "K1", datetime(2025, 1, 15, 7, 0), Decimal("0.99"), None),             # blank
    ]
    customers = con.execute("select customer_id, region, signup_at from raw.customers "
                            "order by 1").fetchall()
    assert customers == [("K1", "Bayern", None), ("K2", "Nordrhein-Westfalen", None),
                         ("K3", "Berlin", None)]  # descriptive values kept verbatim
    assert "Kunden.csv -> raw.customers: 3 in, 3 accepted" in report.summary()
    assert "mapping: mapping.yml" in report.summary()


def test_quarantine_keeps_the_files_original_text(tmp_path: Path) -> None:
    con = duckdb.connect()
    rows = (UMSAETZE + "B5;K2;01.02.2025 10:00;-5,00;Abgeschlossen\n"
            "B6;K2;32.01.2025 10:00;1;Storniert\n")
    report = load_directory(con, german_shop(tmp_path / "in", Umsaetze__csv=rows), now=NOW,
                            mapping=parse_mapping(MAPPING))
    balanced(report)
    orders = report.for_table("orders")
    assert (orders.accepted, orders.rule_rows(BELOW_MIN, "gmv"),
            orders.rule_rows(UNPARSABLE, "ordered_at")) == (4, 1, 1)
    got = con.execute("select order_id, ordered_at, gmv, status, _rule, _detail, _row_number "
                      "from raw_quarantine.orders order by _row_number").fetchall()
    assert got == [
        ("B5", "01.02.2025 10:00", "-5,00", "Abgeschlossen", BELOW_MIN, "-5.00 < minimum 0", 5),
        ("B6", "32.01.2025 10:00", "1", "Storniert", UNPARSABLE,
         "'32.01.2025 10:00' is not a valid TIMESTAMP", 6),
    ]


def test_defaults_apply_to_every_table_and_tables_override(tmp_path: Path) -> None:
    text = """\
defaults:
  delimiter: ";"
  time_zone: Europe/Berlin
  decimal_comma: true
  timestamp_format: ["%d.%m.%Y %H:%M", "%d.%m.%Y"]
tables:
  customers: {file: "Kunden.csv", columns: {customer_id: KundenNr, region: Bundesland}}
  orders:
    file: "Umsaetze.csv"
    columns: {order_id: Belegnummer, customer_id: KundenNr, ordered_at: Datum,
              gmv: Betrag, status: Status}
    values: {status: {Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}}
"""
    # support_tickets is not listed: found by its name, read with the defaults.
    tickets = ("ticket_id;customer_id;opened_at;kind;topic;first_response_minutes;satisfaction\n"
               "T1;K1;02.01.2025;complaint;logistics;1,5;2\n")
    con = duckdb.connect()
    report = load_directory(con, german_shop(tmp_path / "in", support_tickets__csv=tickets),
                            now=NOW, mapping=parse_mapping(text))
    balanced(report)
    assert report.clean and report.for_table("support_tickets").accepted == 1
    assert con.execute("select opened_at, first_response_minutes from raw.support_tickets"
                       ).fetchone() == (datetime(2025, 1, 1, 23, 0), 1.5)
    assert con.execute("select ordered_at from raw.orders where order_id = 'B1'").fetchone() \
        == (datetime(2024, 12, 31, 13, 5),)


def test_currency_scale_on_integer_cents(tmp_path: Path) -> None:
    text = MAPPING.replace("    decimal_comma: true\n", "    currency_scale: 0.01\n")
    cents = ("Belegnummer;KundenNr;Datum;Betrag;Status\n"
             "B1;K1;31.12.2024 14:05;123456;Abgeschlossen\n"
             "B2;K2;30.06.2024 14:05;99;Storniert\n"
             "B3;K3;30.06.2024 14:05;0;Retoure\n"
             "B4;K3;30.06.2024 14:05;-100;Retoure\n")
    con = duckdb.connect()
    report = load_directory(con, german_shop(tmp_path / "in", Umsaetze__csv=cents), now=NOW,
                            mapping=parse_mapping(text))
    balanced(report)
    assert con.execute("select order_id, gmv from raw.orders order by 1").fetchall() == [
        ("B1", Decimal("1234.56")), ("B2", Decimal("0.99")), ("B3", Decimal("0.00"))]
    assert report.for_table("orders").rule_rows(BELOW_MIN, "gmv") == 1
    assert con.execute("select gmv, _detail from raw_quarantine.orders").fetchone() == (
        "-100", "-1.00 < minimum 0")


def test_zone_only_applies_to_timestamps_without_offset(tmp_path: Path) -> None:
    text = "tables:\n  customers:\n    time_zone: Europe/Berlin\n"
    customers = ("customer_id,signup_at\n"
                 "c1,2024-01-15 10:00:00\n"       # Berlin winter -> 09:00 UTC
                 "c2,2024-07-15 10:00:00\n"       # Berlin summer -> 08:00 UTC
                 "c3,2024-01-15T10:00:00Z\n"      # explicit UTC stays 10:00
                 "c4,2024-01-15T10:00:00-05:00\n")  # explicit offset -> 15:00
    orders = "order_id,customer_id,ordered_at,gmv\no1,c1,2024-02-01 12:00:00,1\n"
    con = duckdb.connect()
    load_directory(con, write(tmp_path / "in", {"customers.csv": customers,
                                                "orders.csv": orders}),
                   now=NOW, mapping=parse_mapping(text))
    assert [ts for (ts,) in con.execute("select signup_at from raw.customers order by "
                                        "customer_id").fetchall()] == [
        datetime(2024, 1, 15, 9), datetime(2024, 7, 15, 8), datetime(2024, 1, 15, 10),
        datetime(2024, 1, 15, 15)]
    # orders has no time zone in the mapping: naive means UTC, as without a mapping
    assert con.execute("select ordered_at from raw.orders").fetchone() == (
        datetime(2024, 2, 1, 12),)
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] != "Europe/Berlin"


def test_coded_boolean_and_descriptive_value_maps(tmp_path: Path) -> None:
    text = """\
tables:
  customers:
    values:
      region: {Nord: north, Sued: south, "k.A.": null}
  events:
    file: "Ereignisse.csv"
    columns: {event_id: Nr, customer_id: Kunde, event_at: Zeit, event_type: Art,
              search_term_is_competitor: Wettbewerber}
    values:
      event_type: {Besuch: visit, Suche: search}
      search_term_is_competitor: {ja: true, nein: false}
"""
    customers = ("customer_id,region\nc1,Nord\nc2,south\nc3,k.A.\nc4,\n")
    orders = "order_id,customer_id,ordered_at,gmv\no1,c1,2024-02-01,1\n"
    events = ("Nr,Kunde,Zeit,Art,Wettbewerber\ne1,c1,2024-03-01,Besuch,\n"
              "e2,c2,2024-03-02,Suche,ja\ne3,c3,2024-03-03,Suche,nein\n"
              "e4,c4,2024-03-04,view,true\n")
    con = duckdb.connect()
    report = load_directory(con, write(tmp_path / "in", {
        "customers.csv": customers, "orders.csv": orders, "Ereignisse.csv": events}),
        now=NOW, mapping=parse_mapping(text))
    balanced(report)
    assert report.clean
    assert con.execute("select customer_id, region from raw.customers order by 1").fetchall() \
        == [("c1", "north"), ("c2", "south"), ("c3", None), ("c4", None)]
    assert con.execute("select event_id, event_type, search_term_is_competitor from raw.events "
                       "order by 1").fetchall() == [
        ("e1", "visit", None), ("e2", "search", True), ("e3", "search", False),
        ("e4", "view", True)]


def test_one_file_column_feeds_two_contract_columns(tmp_path: Path) -> None:
    text = MAPPING.replace("      status: Status\n", "      status: Status\n"
                                                      "      coupon_id: Belegnummer\n")
    con = duckdb.connect()
    report = load_directory(con, german_shop(tmp_path / "in"), now=NOW,
                            mapping=parse_mapping(text))
    assert report.clean and report.for_table("orders").extra_columns == []
    assert con.execute("select count(*) from raw.orders where coupon_id = order_id"
                       ).fetchone()[0] == 4


def test_parquet_columns_are_renamed(tmp_path: Path) -> None:
    d = german_shop(tmp_path / "in")
    (d / "Umsaetze.csv").unlink()
    pq.write_table(pa.table({
        "Beleg": ["P1", "P2"], "Kunde": ["K1", "K2"],
        "Zeit": [datetime(2024, 3, 1, 12), datetime(2024, 3, 2, 12)],
        "Summe": [Decimal("10.50"), Decimal("3.25")], "Zustand": ["ok", "storno"]}),
        d / "Umsaetze_2024.parquet")
    text = MAPPING.split("  orders:")[0] + """\
  orders:
    file: "umsaetze_*.PARQUET"
    columns: {order_id: Beleg, customer_id: Kunde, ordered_at: Zeit, gmv: Summe, status: Zustand}
    values: {status: {ok: paid, storno: cancelled}}
"""
    con = duckdb.connect()
    report = load_directory(con, d, now=NOW, mapping=parse_mapping(text))
    assert report.clean and report.for_table("orders").file == "Umsaetze_2024.parquet"
    assert con.execute("select order_id, ordered_at, gmv, status from raw.orders order by 1"
                       ).fetchall() == [
        ("P1", datetime(2024, 3, 1, 12), Decimal("10.50"), "paid"),
        ("P2", datetime(2024, 3, 2, 12), Decimal("3.25"), "cancelled")]


def test_latin1_encoding(tmp_path: Path) -> None:
    text = MAPPING.replace('    delimiter: ";"\n    columns:\n      customer_id',
                           '    delimiter: ";"\n    encoding: latin-1\n    columns:\n'
                           '      customer_id', 1)
    kunden = KUNDEN.replace("Bayern", "Baden-Württemberg").encode("latin-1")
    con = duckdb.connect()
    load_directory(con, german_shop(tmp_path / "in", Kunden__csv=kunden), now=NOW,
                   mapping=parse_mapping(text))
    assert con.execute("select region from raw.customers where customer_id = 'K1'"
                       ).fetchone() == ("Baden-Württemberg",)


def test_pattern_replaces_the_default_name(tmp_path: Path) -> None:
    # orders.csv is not the orders file when the mapping names another pattern
    d = german_shop(tmp_path / "in", orders__csv="order_id,customer_id,ordered_at,gmv\n")
    report = load_directory(duckdb.connect(), d, now=NOW, mapping=parse_mapping(MAPPING))
    assert report.for_table("orders").file == "Umsaetze.csv"
    assert report.unknown_files == ["orders.csv"]


def test_default_mapping_is_churn_home_mapping_yml(tmp_path: Path) -> None:
    assert default_mapping(tmp_path) is None
    mapping_file(tmp_path, MAPPING)
    mapping = default_mapping(tmp_path)
    assert mapping is not None and mapping.for_table("orders").columns["gmv"] == "Betrag"
    assert mapping.for_table("events") is None  # no defaults: unlisted tables load as today


# -- refusals -------------------------------------------------------------------------------


MORE_KUNDEN = KUNDEN + "K9;Hessen;Frankfurt\n"
MORE_UMSAETZE = UMSAETZE + "B9;K9;01.03.2025 10:00;10,00;Abgeschlossen\n" \
                           "B10;K404;01.03.2025 10:00;10,00;Abgeschlossen\n"


@dataclass
class Refusal:
    id: str
    mapping: str                      # the bad mapping text
    marker: str                       # text on the line the message must name
    parts: tuple[str, ...]            # substrings the message must contain
    files: dict[str, str | bytes] = field(default_factory=dict)  # replace / add files
    preload: bool = True              # load the good German files first
    line_offset: int = 0              # the line is this far from the marker's line


def _swap(old: str, new: str) -> str:
    assert old in MAPPING
    return MAPPING.replace(old, new, 1)


REFUSALS = [
    Refusal("unknown_table", MAPPING + "  kunden:\n    file: x.csv\n", "  kunden:",
            ("unknown contract table 'kunden'", "customers, orders")),
    Refusal("unknown_column", _swap("      gmv: Betrag", "      umsatz: Betrag"),
            "umsatz: Betrag", ("table orders has no column 'umsatz'", "gmv")),
    Refusal("unknown_value_map_column", _swap("      status: {Abg", "      zustand: {Abg"),
            "zustand:", ("table orders has no column 'zustand'",)),
    Refusal("source_column_missing", _swap("gmv: Betrag", "gmv: Summe"), "gmv: Summe",
            ("Umsaetze.csv", "table orders", "no column 'Summe'", "mapped to gmv",
             "file has: Belegnummer, KundenNr, Datum, Betrag, Status")),
    Refusal("pattern_matches_two_files", MAPPING, 'file: "Umsaetze*.csv"',
            ("'Umsaetze*.csv'", "matches 2 files", "Umsaetze.csv", "Umsaetze_alt.csv"),
            files={"Umsaetze_alt.csv": UMSAETZE}),
    Refusal("required_file_missing", _swap('file: "Kunden*.csv"', 'file: "Clients*.csv"'),
            'file: "Clients*.csv"', ("no file in", "'Clients*.csv'", "required table customers",
                                     "raw.customers is empty"), preload=False),
    Refusal("format_duckdb_cannot_use", _swap("%d.%m.%Y %H:%M", "%d.%m.%Y %Q"),
            "timestamp_format:", ("'%d.%m.%Y %Q'", "cannot be used by DuckDB")),
    Refusal("format_parses_nothing", _swap("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"),
            "timestamp_format:", ("'%Y-%m-%d %H:%M' parses none of the first 6 non-blank values",
                                  "column 'Datum' (ordered_at)", "Umsaetze.csv",
                                  "'31.12.2024 14:05'")),
    Refusal("unknown_time_zone", _swap("Europe/Berlin", "Europe/Berlinn"), "time_zone:",
            ("time zone 'Europe/Berlinn'", "not known to DuckDB")),
    Refusal("values_left_unmapped", _swap(", Retoure: returned}", "}"), "      status: {",
            ("value map of orders.status leaves 1 value(s)", "column 'Status'",
             "Umsaetze.csv", "covering 1 row(s)", "'Retoure' (1 row)",
             "paid, returned, cancelled")),
    Refusal("target_not_allowed", _swap("Retoure: returned", "Retoure: retour"),
            "      status: {", ("'Retoure' maps to 'retour'", "not an allowed value",
                                "paid, returned, cancelled")),
    Refusal("value_map_on_a_number", _swap("      status: {Abg", "      gmv: {x: '1'}\n"
                                           "      status: {Abg"),
            "gmv: {x:", ("value maps apply to text and boolean columns", "orders.gmv")),
    Refusal("bad_delimiter", _swap('delimiter: ";"', 'delimiter: ";;"'), 'delimiter: ";;"',
            ("delimiter must be one character",)),
    Refusal("unknown_option", _swap("    decimal_comma: true", "    decimal_coma: true"),
            "decimal_coma", ("unknown option 'decimal_coma'",)),
    Refusal("duplicate_key", _swap("      gmv: Betrag", "      gmv: Betrag\n      gmv: Summe"),
            "gmv: Summe", ("'gmv' appears twice",)),
    Refusal("not_yaml", _swap("      gmv: Betrag", "      gmv: [Betrag"), "status: Status",
            ("not valid YAML",)),
    Refusal("required_column_unmapped", _swap("      gmv: Betrag\n", ""),
            "order_id: Belegnummer", ("Umsaetze.csv", "missing required column gmv",
                                      "tables.orders.columns"), line_offset=-1),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_refused_mapping_names_its_line_and_writes_nothing(case: Refusal, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    if case.preload:
        good = load_directory(con, german_shop(tmp_path / "base"), now=NOW,
                              mapping=parse_mapping(MAPPING))
        assert good.accepted == 7
    before = (counts(con, "raw"), counts(con, "raw_quarantine"))
    # New rows (one good, one orphan): a load that went through would change both schemas.
    d = german_shop(tmp_path / "in", Kunden__csv=MORE_KUNDEN, Umsaetze__csv=MORE_UMSAETZE,
                    **{k.replace(".", "__"): v for k, v in case.files.items()})
    path = mapping_file(tmp_path / "cfg", case.mapping)

    with pytest.raises(MappingError) as info:
        load_directory(con, d, now=NOW, mapping=load_mapping(path))
    message = str(info.value)
    assert isinstance(info.value, LoadError)
    assert "\n" not in message
    line = line_of(case.mapping, case.marker) + case.line_offset
    assert message.startswith(f"mapping.yml line {line}: "), message
    for part in case.parts:
        assert part in message, f"{part!r} not in {message!r}"
    con.close()
    con = duckdb.connect(str(db))
    assert (counts(con, "raw"), counts(con, "raw_quarantine")) == before
    if not case.preload:
        assert before == ({}, {})


def test_good_mapping_on_the_refusal_input_changes_counts(tmp_path: Path) -> None:
    """The refusal cases would have written something: the same input with the good mapping
    adds one customer and one order and quarantines the orphan."""
    con = duckdb.connect()
    load_directory(con, german_shop(tmp_path / "base"), now=NOW, mapping=parse_mapping(MAPPING))
    report = load_directory(con, german_shop(tmp_path / "in", Kunden__csv=MORE_KUNDEN,
                                             Umsaetze__csv=MORE_UMSAETZE),
                            now=NOW, mapping=parse_mapping(MAPPING))
    balanced(report)
    assert (report.accepted, report.quarantined, report.skipped) == (2, 1, 7)
    assert counts(con, "raw")["orders"] == 5 and counts(con, "raw_quarantine")["orders"] == 1


def test_unmapped_values_are_listed_up_to_five(tmp_path: Path) -> None:
    rows = "".join(f"X{i};K1;01.01.2025 10:00;1;Status{i % 7}\n" for i in range(20))
    text = _swap("{Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}",
                 "{Status0: paid}")
    d = german_shop(tmp_path / "in", Umsaetze__csv=UMSAETZE.splitlines()[0] + "\n" + rows)
    with pytest.raises(MappingError) as info:
        load_directory(duckdb.connect(), d, now=NOW, mapping=parse_mapping(text))
    message = str(info.value)
    # Status1..Status6 unmapped: 3+3+3+3+3+2 rows; the five most frequent are named.
    assert "leaves 6 value(s)" in message and "covering 17 row(s)" in message
    assert "'Status1' (3 rows)" in message and "and 1 more" in message
    assert "Status6" not in message


def test_known_values_pass_a_value_map_unmapped(tmp_path: Path) -> None:
    text = MAPPING.replace("      region: Bundesland\n",
                           "      region: Bundesland\n    values: {region: {Bayern: south}}\n")
    # Nordrhein-Westfalen and Berlin are neither mapped nor known regions: refused.
    with pytest.raises(MappingError, match=r"leaves 2 value\(s\) of column 'Bundesland'"):
        load_directory(duckdb.connect(), german_shop(tmp_path / "a"), now=NOW,
                       mapping=parse_mapping(text))
    kunden = "KundenNr;Bundesland\nK1;Bayern\nK2;north\nK3;\n"  # known value and blank pass
    con = duckdb.connect()
    load_directory(con, german_shop(tmp_path / "b", Kunden__csv=kunden), now=NOW,
                   mapping=parse_mapping(text))
    assert con.execute("select region from raw.customers order by customer_id").fetchall() \
        == [("south",), ("north",), (None,)]


def test_wrong_delimiter_in_a_mapped_file(tmp_path: Path) -> None:
    text = MAPPING.replace('delimiter: ";"', 'delimiter: ","')
    with pytest.raises(LoadError, match=r"Kunden.csv \(table customers\).*delimiter ';'"):
        load_directory(duckdb.connect(), german_shop(tmp_path / "in"), now=NOW,
                       mapping=parse_mapping(text))


def test_coded_values_outside_a_value_map_are_still_quarantined(tmp_path: Path) -> None:
    """Without a value map, a coded column is checked per row as without a mapping."""
    text = _swap("    values:\n      status: {Abgeschlossen: paid, Storniert: cancelled, "
                 "Retoure: returned}\n", "")
    con = duckdb.connect()
    report = load_directory(con, german_shop(tmp_path / "in"), now=NOW,
                            mapping=parse_mapping(text))
    balanced(report)
    assert report.for_table("orders").rule_rows(NOT_ALLOWED, "status") == 3
    assert con.execute("select status from raw_quarantine.orders order by _row_number"
                       ).fetchall() == [("Abgeschlossen",), ("Storniert",), ("Retoure",)]
