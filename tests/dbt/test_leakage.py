"""customer_snapshots must not leak: a snapshot's features depend only on data strictly before
its date, and its label only on data on or after it.

Two warehouses are built from the same simulated shop: the original, and one where every
event, order and ticket of half the customers on or after a snapshot date S is removed and the
other half gets extra activity on S itself (midnight) and after it. Features of every snapshot
up to S must be identical; the labels at S must change for some customers (so the edit did
reach the data the label reads).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml.features import FEATURE_NAMES, KEY_COLUMNS, LABEL_COLUMN
from tests.dbt.conftest import build_args, query, run_dbt


def _snapshots(path: Path) -> pd.DataFrame:
    return query(path, "select * from marts.customer_snapshots order by customer_id, snapshot_date")


def _pick_snapshot(path: Path) -> pd.Timestamp:
    """A snapshot in the middle of those with a complete label window."""
    dates = query(path, "select snapshot_date from intermediate.int_snapshot_dates "
                        "where is_label_window_complete order by snapshot_date").snapshot_date
    assert len(dates) >= 4, f"too few snapshots with a complete label window: {list(dates)}"
    return pd.Timestamp(dates.iloc[len(dates) // 2])


def _mutate_after(path: Path, snapshot: pd.Timestamp) -> None:
    """Remove activity on/after `snapshot` for even customers, add some for odd ones."""
    s = snapshot.to_pydatetime()
    con = duckdb.connect(str(path))
    try:
        even = "(select customer_id from raw.customers where hash(customer_id) % 2 = 0)"
        odd = "(select customer_id from raw.customers where hash(customer_id) % 2 = 1)"
        con.execute(f"delete from raw.events where event_at >= ? and customer_id in {even}", [s])
        con.execute(f"delete from raw.order_items where order_id in (select order_id from "
                    f"raw.orders where ordered_at >= ? and customer_id in {even})", [s])
        con.execute(f"delete from raw.orders where ordered_at >= ? and customer_id in {even}",
                    [s])
        con.execute(f"delete from raw.support_tickets where opened_at >= ? "
                    f"and customer_id in {even}", [s])
        for i, (days, kind) in enumerate([(0, "visit"), (0, "search"), (1, "add_to_cart"),
                                          (3, "promo_view"), (40, "visit"), (0, "review")]):
            con.execute(
                "insert into raw.events select 'leak_' || ? || '_' || customer_id, customer_id, "
                "cast(? as timestamp) + to_days(cast(? as integer)), ?, 'books', ? "
                f"from raw.customers where customer_id in {odd} and signup_at < ?",
                [i, s, days, kind, kind == "search", s])
        con.execute(
            "insert into raw.orders select 'leak_o_' || customer_id, customer_id, ?, 500, 200, "
            f"'LEAK', 'paid', 1 from raw.customers where customer_id in {odd} and signup_at < ?",
            [s, s])
        con.execute(
            "insert into raw.support_tickets select 'leak_t_' || customer_id, customer_id, ?, "
            f"'complaint', 'logistics', 999, 1 from raw.customers where customer_id in {odd} "
            "and signup_at < ?", [s, s])
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(built_warehouse, raw_warehouse, dbt_work_dir, tmp_path_factory):
    """Snapshots of the original and of the edited warehouse, and the snapshot date S."""
    snapshot = _pick_snapshot(built_warehouse)
    edited = tmp_path_factory.mktemp("leakage_edited") / "warehouse.duckdb"
    shutil.copy(raw_warehouse, edited)
    _mutate_after(edited, snapshot)
    run_dbt(build_args("+customer_snapshots"), edited, dbt_work_dir)
    return snapshot, _snapshots(built_warehouse), _snapshots(edited)


def test_columns_are_keys_features_then_label(built):
    _, before, _ = built
    expected = [*KEY_COLUMNS, *FEATURE_NAMES, LABEL_COLUMN]
    assert list(before.columns[: len(expected)]) == expected
    assert set(before.columns[len(expected):]) == {"tier", "region"}


def test_features_up_to_snapshot_ignore_later_data(built):
    snapshot, before, after = built
    cols = [*KEY_COLUMNS, *FEATURE_NAMES, "tier", "region"]
    old = before.loc[before.snapshot_date <= snapshot, cols].reset_index(drop=True)
    new = after.loc[after.snapshot_date <= snapshot, cols].reset_index(drop=True)
    assert len(old) > 100
    pd.testing.assert_frame_equal(old, new, check_exact=False, rtol=1e-12)


def test_edit_reaches_labels_and_later_snapshots(built):
    """Guard against a vacuous pass: the edit must change what comes after S."""
    snapshot, before, after = built
    key = list(KEY_COLUMNS)
    at_s = before[before.snapshot_date == snapshot].merge(
        after[after.snapshot_date == snapshot], on=key, suffixes=("_old", "_new"))
    changed = (at_s[f"{LABEL_COLUMN}_old"] != at_s[f"{LABEL_COLUMN}_new"]).sum()
    assert changed > 0
    later_old = before[before.snapshot_date > snapshot].set_index(key)
    later_new = after[after.snapshot_date > snapshot].set_index(key)
    assert not later_old.equals(later_new)


def test_labels_defined_only_for_elapsed_windows(built):
    _, before, _ = built
    last = before.snapshot_date.max()
    assert before.loc[before.snapshot_date == last, LABEL_COLUMN].isna().all()
    labelled = before[LABEL_COLUMN].dropna()
    assert set(labelled.unique()) <= {0, 1}
    assert 0.0 < labelled.mean() < 0.6
