"""ml.dataset: time-based split, feature matrix, data hash, lineage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml import dataset
from ml.features import FEATURE_NAMES, LABEL_COLUMN
from ml.synthetic import make_snapshots


@pytest.fixture(scope="module")
def snapshots() -> pd.DataFrame:
    return make_snapshots(n_customers=200, n_snapshots=5, seed=1)


def test_split_is_time_based(snapshots):
    split = dataset.time_split(snapshots)
    train_dates = set(pd.to_datetime(split.train["snapshot_date"]))
    assert max(train_dates) < split.validation_date
    assert set(pd.to_datetime(split.validation["snapshot_date"])) == {split.validation_date}
    assert split.latest_date == pd.Timestamp("2025-05-01")
    assert split.validation_date == pd.Timestamp("2025-04-01")  # newest labelled, not newest
    assert split.latest[LABEL_COLUMN].isna().all()
    assert len(split.train) == 3 * 200 and len(split.validation) == 200 and len(split.latest) == 200


def test_split_ignores_row_order(snapshots):
    shuffled = snapshots.sample(frac=1.0, random_state=3)
    a, b = dataset.time_split(snapshots), dataset.time_split(shuffled)
    assert a.validation_date == b.validation_date
    assert a.train_dates == b.train_dates
    assert a.data_hash == b.data_hash


def test_min_gap_drops_training_snapshots_near_validation(snapshots):
    split = dataset.time_split(snapshots, min_gap_days=45)
    assert [f"{d:%Y-%m-%d}" for d in split.train_dates] == ["2025-01-01", "2025-02-01"]


def test_partially_labelled_snapshot_keeps_only_labelled_rows(snapshots):
    df = snapshots.copy()
    newest_labelled = df["snapshot_date"] == pd.Timestamp("2025-04-01")
    df.loc[newest_labelled & (df.index % 2 == 0), LABEL_COLUMN] = np.nan
    split = dataset.time_split(df)
    assert len(split.validation) == 100
    assert split.validation[LABEL_COLUMN].notna().all()


def test_needs_two_labelled_snapshots():
    df = make_snapshots(n_customers=50, n_snapshots=3, seed=2, labelled_snapshots=1)
    with pytest.raises(ValueError, match="at least 2 labelled"):
        dataset.time_split(df)


def test_duplicate_keys_refused(snapshots):
    with pytest.raises(ValueError, match="duplicate"):
        dataset.time_split(pd.concat([snapshots, snapshots.head(1)]))


def test_feature_matrix_is_float_in_feature_order(snapshots):
    df = snapshots.copy()
    df["orders_1m"] = df["orders_1m"].astype("Int64")
    df.loc[df.index[0], "orders_1m"] = pd.NA
    X = dataset.feature_matrix(df)
    assert list(X.columns) == list(FEATURE_NAMES)
    assert (X.dtypes == "float64").all()
    assert np.isnan(X["orders_1m"].iloc[0])


def test_missing_feature_is_named():
    df = make_snapshots(n_customers=20, n_snapshots=3, seed=0).drop(columns=["complaints_3m"])
    with pytest.raises(KeyError, match="complaints_3m"):
        dataset.feature_matrix(df)


def test_data_hash_stable_across_date_types_and_changes_with_data(snapshots):
    as_dates = snapshots.assign(snapshot_date=pd.to_datetime(snapshots["snapshot_date"]).dt.date)
    assert dataset.data_hash(snapshots) == dataset.data_hash(as_dates)
    changed = snapshots.copy()
    changed.loc[changed.index[5], "gmv_1m"] += 1.0
    assert dataset.data_hash(changed) != dataset.data_hash(snapshots)
    assert len(dataset.data_hash(snapshots)) == 64


def test_lineage_counts_and_dates(snapshots):
    lineage = dataset.time_split(snapshots).lineage
    assert lineage["train_snapshot_dates"] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert lineage["validation_snapshot_date"] == "2025-04-01"
    assert lineage["latest_snapshot_date"] == "2025-05-01"
    assert (lineage["train_rows"], lineage["validation_rows"], lineage["latest_rows"]) == (600, 200, 200)
    assert 0 < lineage["train_positive_rate"] < 1


def test_labels_refuse_missing(snapshots):
    with pytest.raises(ValueError, match="0/1"):
        dataset.labels(snapshots)  # the newest snapshot is unlabelled
