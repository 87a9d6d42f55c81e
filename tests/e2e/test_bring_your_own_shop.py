"""A real shop's transactions export, end to end through the CLI: a customer file and a
`;`-separated order file with the shop's own column names, German dates and decimal commas,
local time, its own status spellings and region names, no events, tickets, tiers or campaigns.

Data: the simulator's customers and paid/returned/cancelled orders (800 customers, 15 months,
seed 11), rewritten as such an export; a third of the customers carry no sign-up date.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

STATUS = {"paid": "Abgeschlossen", "cancelled": "Storniert", "returned": "Retoure"}
REGIONS = {"north": "Schleswig-Holstein", "south": "Bayern", "east": "Sachsen",
           "west": "NRW", "central": ""}
MAPPING = """\
defaults:
  delimiter: ";"
  time_zone: Europe/Berlin
tables:
  customers:
    file: "Kunden*.csv"
    columns: {customer_id: KundenNr, signup_at: Anmeldung, region: Bundesland}
    timestamp_format: "%d.%m.%Y"
  orders:
    file: "Umsaetze*.csv"
    columns:
      order_id: Belegnummer
      customer_id: KundenNr
      ordered_at: Datum
      gmv: Betrag
      status: Status
    timestamp_format: "%d.%m.%Y %H:%M:%S"
    decimal_comma: true
    values:
      status: {Abgeschlossen: paid, Storniert: cancelled, Retoure: returned}
"""


def _german_amount(value) -> str:
    whole, cents = f"{float(value):,.2f}".split(".")
    return whole.replace(",", ".") + "," + cents


def _write_export(folder: Path, sim: Path) -> dict:
    import pandas as pd

    with duckdb.connect(str(sim), read_only=True) as con:
        customers = con.execute("select customer_id, signup_at, region from raw.customers "
                                "order by customer_id").df()
        orders = con.execute("select order_id, customer_id, ordered_at, gmv, status "
                             "from raw.orders order by order_id").df()
    folder.mkdir()
    signup = pd.to_datetime(customers["signup_at"]).dt.tz_localize("UTC").dt.tz_convert(
        "Europe/Berlin").dt.strftime("%d.%m.%Y")
    signup[customers.index % 3 == 0] = ""  # the shop does not know every sign-up
    pd.DataFrame({"KundenNr": customers["customer_id"], "Anmeldung": signup,
                  "Bundesland": customers["region"].map(REGIONS)}).to_csv(
        folder / "Kunden_2026.csv", sep=";", index=False)
    local = pd.to_datetime(orders["ordered_at"]).dt.tz_localize("UTC").dt.tz_convert(
        "Europe/Berlin")
    pd.DataFrame({"Belegnummer": orders["order_id"], "KundenNr": orders["customer_id"],
                  "Datum": local.dt.strftime("%d.%m.%Y %H:%M:%S"),
                  "Betrag": orders["gmv"].map(_german_amount),
                  "Status": orders["status"].map(STATUS)}).to_csv(
        folder / "Umsaetze_2026.csv", sep=";", index=False)
    return {"customers": len(customers), "orders": len(orders),
            "gmv": float(orders["gmv"].astype(float).sum()),
            "first_order": orders.sort_values("order_id").iloc[0]}


def _cli(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHURN_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    root = tmp_path_factory.mktemp("byo")
    sim = root / "simulated.duckdb"
    with duckdb.connect(str(sim)) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=800, months=15, seed=11),
                           progress=None)
    export = _write_export(root / "export", sim)
    (root / "mapping.yml").write_text(MAPPING)
    home = root / "churn"
    runs = {"check": _cli(home, "load", str(root / "export"), "--check",
                          "--mapping", str(root / "mapping.yml"))}
    runs["load"] = _cli(home, "load", str(root / "export"), "--mapping",
                        str(root / "mapping.yml"))
    runs["suggest"] = _cli(home, "suggest")
    runs["materialize"] = _cli(home, "materialize")
    return home, export, runs


def _query(home: Path, sql: str):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_dry_run_lists_missing_tables_and_empty_features(shop):
    home, _, runs = shop
    check = runs["check"]
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "would be" in check.stdout
    assert "events:" in check.stdout and "visits_per_week_1m" in check.stdout
    assert "support_tickets:" in check.stdout and "complaints_3m" in check.stdout


def test_load_maps_names_formats_and_values(shop):
    home, export, runs = shop
    assert runs["load"].returncode == 0, runs["load"].stdout[-3000:] + runs["load"].stderr
    customers = _query(home, "select count(*) from raw.customers")[0][0]
    orders = _query(home, "select count(*) from raw.orders")[0][0]
    assert (customers, orders) == (export["customers"], export["orders"])
    assert _query(home, "select count(*) from raw_quarantine.orders")[0][0] == 0
    assert float(_query(home, "select sum(gmv) from raw.orders")[0][0]) == pytest.approx(
        export["gmv"], abs=0.005)
    first = export["first_order"]
    loaded = _query(home, f"select ordered_at, status from raw.orders "
                          f"where order_id = '{first['order_id']}'")[0]
    assert loaded[0].replace(microsecond=0) == first["ordered_at"].to_pydatetime().replace(
        microsecond=0)  # Europe/Berlin in the file, UTC in raw
    assert loaded[1] == first["status"]
    regions = {r for (r,) in _query(home, "select distinct region from raw.customers")}
    assert {"Bayern", "NRW"} <= regions and None in regions  # the shop's own values, kept
    assert _query(home, "select count(*) from raw.customers where signup_at is null")[0][0] > 0


def test_suggest_recommends_a_window_from_purchase_gaps(shop):
    _, _, runs = shop
    assert runs["suggest"].returncode == 0, runs["suggest"].stderr[-2000:]
    assert "churn_days = " in runs["suggest"].stdout
    assert "--set churn_days=" in runs["suggest"].stdout


def test_materialize_scores_every_customer(shop):
    home, _, runs = shop
    done = runs["materialize"]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    customers = _query(home, "select count(*) from marts.customer_lifecycle")[0][0]
    populations = dict(_query(home, "select population, count(*) from ml.churn_scores "
                                    "group by 1"))
    assert customers > 0 and sum(populations.values()) == customers
    assert populations.get("active", 0) > 0 and populations.get("lapsed", 0) > 0
    assert _query(home, "select count(*) from ml.churn_scores where churn_probability is null "
                        "or return_probability is null or churn_cause is null")[0][0] == 0
    assert _query(home, "select count(*) from ml.churn_scores where population = 'active' "
                        "and churn_probability > 0.7 and reason_1 is null")[0][0] == 0
    assert _query(home, "select count(*) from marts.recall_candidates "
                        "where return_probability is null")[0][0] == 0
    assert _query(home, "select count(*) from staging.stg_customers "
                        "where signup_at is null")[0][0] == 0  # sign-up from the first order
    assert _query(home, "select count(*) from marts.recall_effect_first_month")[0][0] == 0
    assert f"Scored: {customers:,} of {customers:,} customers" in done.stdout
    assert "empty features left out:" in done.stdout


def test_empty_features_are_left_out_and_listed(shop):
    from mlflow import MlflowClient

    home, _, _ = shop
    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    for name in ("churn_xgboost", "return_xgboost"):
        version = client.get_model_version_by_alias(name, "champion")
        run = client.get_run(version.run_id)
        dropped = run.data.tags["dropped_features"].split(", ")
        assert {"visits_per_week_1m", "complaints_3m", "tier_rank"} <= set(dropped)
        assert "gmv_12m" not in dropped and float(run.data.params["n_features"]) >= 8
        assert run.data.metrics["auc"] > 0.6
