import duckdb

from orchestration.environment import DBT_PROJECT_DIR
from sources import dbt_sources
from sources.contract import TABLES, create_raw_schema, table


def test_dbt_sources_file_is_generated_from_the_contract():
    committed = (DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml").read_text()
    assert committed == dbt_sources.render(), "run `churn-recall contract` to regenerate"


def test_raw_schema_matches_contract_columns():
    con = duckdb.connect()
    create_raw_schema(con)
    for t in TABLES:
        cols = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema='raw' "
            "and table_name=? order by ordinal_position", [t.name]).fetchall()]
        assert cols == t.column_names


def test_only_customers_and_orders_are_required():
    assert {t.name for t in TABLES if t.required} == {"customers", "orders"}
    assert table("orders").references[0].table == "customers"
