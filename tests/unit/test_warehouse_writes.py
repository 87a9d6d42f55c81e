"""Atomic writes of Python results into the warehouse: whole tables and one partition."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from sources.warehouse import replace_partition, replace_table


def test_replace_table_swaps_the_whole_table():
    con = duckdb.connect()
    replace_table(con, "ml", "scores", pd.DataFrame({"customer_id": ["a", "b"], "p": [0.1, 0.2]}))
    replace_table(con, "ml", "scores", pd.DataFrame({"customer_id": ["c"], "p": [0.3]}))
    assert con.execute("select * from ml.scores").fetchall() == [("c", 0.3)]


def test_replace_partition_replaces_only_its_rows():
    con = duckdb.connect()
    day = pd.Timestamp("2026-01-01").date()
    other = pd.Timestamp("2026-02-01").date()
    replace_partition(con, "ml", "backtest", pd.DataFrame({"snapshot_date": [day], "auc": [0.8]}),
                      "snapshot_date", day)
    replace_partition(con, "ml", "backtest",
                      pd.DataFrame({"snapshot_date": [other], "auc": [0.7]}), "snapshot_date", other)
    replace_partition(con, "ml", "backtest", pd.DataFrame({"snapshot_date": [day], "auc": [0.9]}),
                      "snapshot_date", day)
    assert con.execute("select snapshot_date::varchar, auc from ml.backtest order by 1").fetchall() \
        == [("2026-01-01", 0.9), ("2026-02-01", 0.7)]
    with pytest.raises(duckdb.Error):   # a failing insert leaves the partition as it was
        replace_partition(con, "ml", "backtest",
                          pd.DataFrame({"snapshot_date": [day], "auc": ["not a number"]}),
                          "snapshot_date", day)
    assert con.execute("select auc from ml.backtest where snapshot_date = ?", [day]).fetchone() \
        == (0.9,)
