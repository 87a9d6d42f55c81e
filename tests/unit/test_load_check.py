"""`churn-recall load --check` / `check_directory`: every check of a load, nothing written; its
counts are those of the real load that follows; optional tables without data are listed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from sources.contract import TABLES
from sources.loader import (
    ALREADY_LOADED,
    DUPLICATE_KEY_CONFLICT,
    ORPHAN_REFERENCE,
    UNPARSABLE,
    MappingError,
    check_directory,
    load_directory,
)
from sources.loading.mapping import parse_mapping

NOW = datetime(2025, 6, 1)
MAPPING = """\
defaults:
  delimiter: ";"
  time_zone: Europe/Berlin
  decimal_comma: true
  timestamp_format: "%d.%m.%Y %H:%M"
tables:
  customers:
    file: "Kunden*.csv"
    columns: {customer_id: KundenNr, region: Bundesland}
  orders:
    file: "Umsaetze*.csv"
    columns: {order_id: Belegnummer, customer_id: KundenNr, ordered_at: Datum, gmv: Betrag,
              status: Status}
    values:
      status: {Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}
"""
KUNDEN = "KundenNr;Bundesland\nK1;Bayern\nK2;Hessen\nK3;Berlin\n"
UMSAETZE = ("Belegnummer;KundenNr;Datum;Betrag;Status\n"
            "B1;K1;31.12.2024 14:05;1.234,56;Abgeschlossen\n"
            "B2;K2;30.06.2024 14:05;12,5;Storniert\n"
            "B3;K3;01.07.2024 00:30;7;Retoure\n")
TICKETS = ("ticket_id;customer_id;opened_at;kind;topic\n"
           "T1;K1;02.01.2025 10:00;complaint;logistics\n")
# A second delivery: two rows already loaded, a key conflict, an orphan, an unparsable
# amount, a new customer with a new order; plus a tickets file.
MORE_KUNDEN = KUNDEN + "K9;Sachsen\n"
MORE_UMSAETZE = ("Belegnummer;KundenNr;Datum;Betrag;Status\n"
                 "B1;K1;31.12.2024 14:05;1.234,56;Abgeschlossen\n"
                 "B2;K2;30.06.2024 14:05;12,5;Storniert\n"
                 "B3;K3;01.07.2024 00:30;8;Retoure\n"
                 "B7;K404;01.03.2025 10:00;5;Abgeschlossen\n"
                 "B8;K1;01.03.2025 10:00;fünf;Abgeschlossen\n"
                 "B9;K9;01.03.2025 10:00;10,00;Abgeschlossen\n")
OPTIONAL = [t.name for t in TABLES if not t.required]


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def snapshot(con) -> dict[str, list]:
    """Every row of every table outside the temp catalog, by schema.table."""
    tables = con.execute("select schema_name, table_name from duckdb_tables() "
                         "where not temporary order by all").fetchall()
    return {f"{s}.{t}": con.execute(f'select * from "{s}"."{t}" order by all').fetchall()
            for s, t in tables}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outcome(report) -> list[tuple]:
    return [(f.file, f.table, f.input_rows, f.accepted, f.quarantined, f.skipped,
             f.already_quarantined, sorted((r.rule, r.column, r.rows, r.first_row)
                                           for r in f.rules))
            for f in report.files]


def balanced(report) -> None:
    assert report.files
    for f in report.files:
        assert f.input_rows == f.accepted + f.quarantined + f.skipped, f


def test_check_on_an_empty_warehouse_writes_nothing_and_predicts_the_load(tmp_path: Path
                                                                          ) -> None:
    d = write(tmp_path / "in", {"Kunden.csv": KUNDEN, "Umsaetze.csv": MORE_UMSAETZE})
    mapping = parse_mapping(MAPPING)
    con = duckdb.connect()
    check = check_directory(con, d, now=NOW, mapping=mapping)
    balanced(check)
    assert check.dry_run and snapshot(con) == {}
    assert con.execute("select count(*) from duckdb_tables()").fetchone()[0] == 0  # no temps
    orders = check.for_table("orders")
    assert (orders.accepted, orders.rule_rows(ORPHAN_REFERENCE, "customer_id"),
            orders.rule_rows(UNPARSABLE, "gmv")) == (3, 2, 1)  # B7 (K404) and B9 (K9)
    summary = check.summary()
    assert "Umsaetze.csv -> raw.orders: 6 in, would be 3 accepted, 3 quarantined" in summary
    assert ("would be quarantined: Umsaetze.csv, table orders, column gmv, rule unparsable: "
            "1 row(s) (first at row 5: 'fünf' is not a valid DECIMAL(18, 2))") in summary
    assert "optional tables missing: " + ", ".join(OPTIONAL) in summary

    load = load_directory(con, d, now=NOW, mapping=mapping)
    assert not load.dry_run and outcome(load) == outcome(check)
    assert load.missing_optional_tables == check.missing_optional_tables == OPTIONAL
    assert con.execute("select count(*) from raw.orders").fetchone()[0] == 3


def test_check_with_earlier_data_writes_nothing_and_predicts_the_load(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    mapping = parse_mapping(MAPPING)
    con = duckdb.connect(str(db))
    load_directory(con, write(tmp_path / "base", {"Kunden.csv": KUNDEN,
                                                  "Umsaetze.csv": UMSAETZE}),
                   now=NOW, mapping=mapping)
    con.close()
    before_bytes = digest(db)
    d = write(tmp_path / "more", {"Kunden.csv": MORE_KUNDEN, "Umsaetze.csv": MORE_UMSAETZE,
                                  "support_tickets.csv": TICKETS})

    con = duckdb.connect(str(db))
    before = snapshot(con)
    assert len(before["raw.orders"]) == 3 and before["raw_quarantine.orders"] == []
    check = check_directory(con, d, now=NOW, mapping=mapping)
    balanced(check)
    assert snapshot(con) == before
    orders = check.for_table("orders")
    assert (orders.accepted, orders.skipped, orders.rule_rows(ALREADY_LOADED),
            orders.rule_rows(DUPLICATE_KEY_CONFLICT), orders.rule_rows(ORPHAN_REFERENCE),
            orders.rule_rows(UNPARSABLE)) == (1, 2, 2, 1, 1, 1)  # B9's customer K9 is new
    assert check.for_table("customers").accepted == 1
    assert check.for_table("support_tickets").accepted == 1
    con.close()
    assert digest(db) == before_bytes  # not a byte of the warehouse file changed

    con = duckdb.connect(str(db))
    load = load_directory(con, d, now=NOW, mapping=mapping)
    balanced(load)
    assert outcome(load) == outcome(check)
    after = snapshot(con)
    assert len(after["raw.orders"]) == 3 + orders.accepted
    assert len(after["raw_quarantine.orders"]) == orders.quarantined == 3


def test_a_second_check_counts_what_quarantine_already_holds(tmp_path: Path) -> None:
    mapping = parse_mapping(MAPPING)
    d = write(tmp_path / "in", {"Kunden.csv": MORE_KUNDEN, "Umsaetze.csv": MORE_UMSAETZE})
    con = duckdb.connect()
    first = load_directory(con, d, now=NOW, mapping=mapping)
    before = snapshot(con)
    again = check_directory(con, d, now=NOW, mapping=mapping)
    balanced(again)
    assert snapshot(con) == before
    orders = again.for_table("orders")
    assert orders.accepted == 0 and orders.skipped == first.for_table("orders").accepted
    assert orders.already_quarantined == orders.quarantined == 2
    assert "are already in quarantine from an earlier load (would not be stored twice)" \
        in again.summary()


def test_missing_optional_tables(tmp_path: Path) -> None:
    mapping = parse_mapping(MAPPING)
    con = duckdb.connect()
    first = load_directory(con, write(tmp_path / "a", {
        "Kunden.csv": KUNDEN, "Umsaetze.csv": UMSAETZE, "support_tickets.csv": TICKETS}),
        now=NOW, mapping=mapping)
    assert first.missing_optional_tables == [t for t in OPTIONAL if t != "support_tickets"]
    # tickets are in raw now: a later delivery without them does not make them missing
    later = check_directory(con, write(tmp_path / "b", {"Umsaetze.csv": UMSAETZE}), now=NOW,
                            mapping=mapping)
    assert later.missing_optional_tables == first.missing_optional_tables
    assert "support_tickets" not in later.missing_tables_line()
    assert later.missing_tables_line().startswith("optional tables missing: order_items, ")


def test_refused_check_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    load_directory(con, write(tmp_path / "base", {"Kunden.csv": KUNDEN,
                                                  "Umsaetze.csv": UMSAETZE}),
                   now=NOW, mapping=parse_mapping(MAPPING))
    before = snapshot(con)
    bad = parse_mapping(MAPPING.replace("Retoure: returned", "Retour: returned"))
    d = write(tmp_path / "more", {"Kunden.csv": MORE_KUNDEN, "Umsaetze.csv": MORE_UMSAETZE})
    with pytest.raises(MappingError, match=r"^mapping.yml line 15: .*'Retoure' \(1 row\)"):
        check_directory(con, d, now=NOW, mapping=bad)
    assert snapshot(con) == before


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "churn"
    monkeypatch.setenv("CHURN_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.setenv("CHURN_DUCKDB_PATH", str(home / "warehouse.duckdb"))
    return home


def test_cli_check_exit_codes_and_no_warehouse_file(home: Path, tmp_path: Path, capsys) -> None:
    home.mkdir(parents=True)
    (home / "mapping.yml").write_text(MAPPING)  # the default mapping
    clean = write(tmp_path / "clean", {"Kunden.csv": KUNDEN, "Umsaetze.csv": UMSAETZE})
    dirty = write(tmp_path / "dirty", {"Kunden.csv": KUNDEN, "Umsaetze.csv": MORE_UMSAETZE})
    warehouse = home / "warehouse.duckdb"

    assert main(["load", "--check", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "Umsaetze.csv -> raw.orders: 3 in, would be 3 accepted, 0 quarantined" in out
    assert "optional tables missing: order_items" in out and "nothing was written" in out
    assert not warehouse.exists()

    assert main(["load", "--check", str(dirty)]) == 1
    out = capsys.readouterr().out
    assert "would be quarantined: Umsaetze.csv, table orders, column customer_id, rule " \
           "orphan_reference: 2 row(s)" in out
    assert not warehouse.exists()

    bad = tmp_path / "bad.yml"
    bad.write_text(MAPPING.replace("Europe/Berlin", "Mars/Olympus"))
    assert main(["load", "--check", str(clean), "--mapping", str(bad)]) == 2
    assert "error: bad.yml line 3: time zone 'Mars/Olympus'" in capsys.readouterr().out

    assert main(["load", str(clean)]) == 0  # the real load, with the default mapping
    capsys.readouterr()
    loaded = digest(warehouse)
    assert main(["load", "--check", str(dirty)]) == 1
    out = capsys.readouterr().out
    assert "Umsaetze.csv -> raw.orders: 6 in, would be 0 accepted, 4 quarantined, 2 skipped" \
        in out
    assert digest(warehouse) == loaded
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from raw.orders").fetchone()[0] == 3
    assert con.execute("select count(*) from raw_quarantine.orders").fetchone()[0] == 0
    con.close()


def test_cli_check_is_not_for_complete_journey(home: Path) -> None:
    with pytest.raises(SystemExit, match="--check and --mapping"):
        main(["load", "--complete-journey", "--check"])
