"""Bounded training rows: the newest labelled snapshots, a stable share of customers."""

from __future__ import annotations

import duckdb
import pytest

from ml.features import FEATURE_NAMES
from ml.training_rows import load_training_rows


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    features = ", ".join(f"1.0 as {f}" for f in FEATURE_NAMES)
    # 5 monthly snapshots x 1,000 customers; the newest has no labels yet (window open).
    con.execute(f"""create table marts.customer_snapshots as
        select 'c' || c as customer_id,
            cast(date '2025-01-01' + interval (m) month as date) as snapshot_date,
            {features}, case when m < 4 then (c % 7 = 0)::int end as is_churned_label,
            'x' as unused_column
        from range(1000) a(c), range(5) b(m)""")
    return con


def test_newest_labelled_snapshots_and_the_latest_all_customers(con):
    rows = load_training_rows(con, training_snapshots=2, max_rows=10_000)
    assert rows.snapshot_dates == ["2025-03-01", "2025-04-01", "2025-05-01"]
    assert rows.customer_share == 1.0 and rows.labelled_rows_available == 2000
    assert len(rows.frame) == 3000
    assert "unused_column" not in rows.frame.columns


def test_large_sets_keep_a_stable_share_of_whole_customers(con):
    rows = load_training_rows(con, training_snapshots=4, max_rows=1000)
    assert rows.customer_share == 0.25
    per_customer = rows.frame.groupby("customer_id").size()
    assert set(per_customer) == {5}                       # every kept customer keeps all dates
    assert 150 <= len(per_customer) <= 350                # about a quarter of 1,000
    again = load_training_rows(con, training_snapshots=4, max_rows=1000)
    assert set(again.frame["customer_id"]) == set(per_customer.index)


def test_empty_snapshots_are_refused(con):
    con.execute("delete from marts.customer_snapshots")
    with pytest.raises(ValueError, match="customer_snapshots is empty"):
        load_training_rows(con, training_snapshots=3, max_rows=10)
