"""From `customer_snapshots` to model inputs: time-based split, feature matrix, hash, lineage.

The split is by snapshot date, never random: train on the older labelled snapshots, validate on
the newest labelled one, score the newest snapshot (whose label window is still open).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.features import FEATURE_NAMES, KEY_COLUMNS, LABEL_COLUMN


@dataclass(frozen=True)
class Split:
    """Rows of each part (keys, features, label, extra columns kept) and where they came from."""

    train: pd.DataFrame
    validation: pd.DataFrame
    latest: pd.DataFrame
    train_dates: tuple[pd.Timestamp, ...]
    validation_date: pd.Timestamp
    latest_date: pd.Timestamp
    data_hash: str
    lineage: dict = field(default_factory=dict)
    features: tuple[str, ...] = FEATURE_NAMES
    dropped_features: tuple[str, ...] = ()

    @property
    def X_train(self) -> pd.DataFrame:
        return feature_matrix(self.train, self.features)

    @property
    def y_train(self) -> np.ndarray:
        return labels(self.train)

    @property
    def X_valid(self) -> pd.DataFrame:
        return feature_matrix(self.validation, self.features)

    @property
    def y_valid(self) -> np.ndarray:
        return labels(self.validation)

    @property
    def X_latest(self) -> pd.DataFrame:
        return feature_matrix(self.latest, self.features)


def snapshot_dates(df: pd.DataFrame) -> pd.Series:
    """`snapshot_date` as midnight timestamps (accepts `date` objects, strings, datetimes)."""
    return pd.to_datetime(df["snapshot_date"]).dt.normalize()


def require_columns(df: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"customer_snapshots lacks columns: {missing}")


def as_float(values: pd.Series) -> np.ndarray:
    """A numeric column as float64 numpy (nullable NA -> NaN); refuses non-numeric text."""
    return pd.to_numeric(values, errors="raise").astype("float64").to_numpy(dtype=float,
                                                                           na_value=np.nan)


def feature_matrix(df: pd.DataFrame, features=None) -> pd.DataFrame:
    """The model's input: `features` (default FEATURE_NAMES) in order, as float64 (missing
    values stay NaN)."""
    features = FEATURE_NAMES if features is None else tuple(features)
    require_columns(df, features)
    return pd.DataFrame({name: as_float(df[name]) for name in features}, index=df.index)


def empty_features(df: pd.DataFrame, features=FEATURE_NAMES) -> tuple[str, ...]:
    """Features that carry nothing in `df`: every value missing, or one value throughout
    (e.g. complaint counts of a shop without a support-ticket table)."""
    X = feature_matrix(df, features)
    return tuple(name for name in features if X[name].nunique(dropna=True) <= 1)


def labels(df: pd.DataFrame) -> np.ndarray:
    """The label as int 0/1; refuses missing or other values."""
    y = as_float(df[LABEL_COLUMN])
    if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"{LABEL_COLUMN} must be 0/1 on labelled rows")
    return y.astype(int)


def data_hash(df: pd.DataFrame) -> str:
    """sha256 of keys, features and label, independent of row order and column dtypes' units."""
    require_columns(df, (*KEY_COLUMNS, *FEATURE_NAMES))
    frame = pd.DataFrame({
        "customer_id": df["customer_id"].astype(str).to_numpy(dtype=object),
        "snapshot_date": snapshot_dates(df).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
    })
    frame = pd.concat([frame, feature_matrix(df).reset_index(drop=True)], axis=1)
    label = df[LABEL_COLUMN] if LABEL_COLUMN in df.columns else pd.Series(np.nan, index=df.index)
    frame[LABEL_COLUMN] = as_float(label)
    frame = frame.sort_values(["snapshot_date", "customer_id"], kind="stable").reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def time_split(snapshots: pd.DataFrame, *, min_gap_days: int = 0) -> Split:
    """Train on older labelled snapshots, validate on the newest labelled one, score the newest.

    A snapshot is labelled when it has at least one labelled row; unlabelled rows of labelled
    snapshots are dropped from train and validation. min_gap_days keeps training snapshots at
    least that many days before the validation snapshot (e.g. the label window, so no training
    label is observed after the validation snapshot).
    """
    require_columns(snapshots, (*KEY_COLUMNS, *FEATURE_NAMES, LABEL_COLUMN))
    dates = snapshot_dates(snapshots)
    if pd.DataFrame({"c": snapshots["customer_id"].to_numpy(), "d": dates.to_numpy()}).duplicated().any():
        raise ValueError("customer_snapshots has duplicate (customer_id, snapshot_date) rows")
    has_label = pd.to_numeric(snapshots[LABEL_COLUMN]).notna()
    labelled_dates = sorted(dates[has_label].unique())
    if len(labelled_dates) < 2:
        raise ValueError(f"need at least 2 labelled snapshots, got {len(labelled_dates)}")
    validation_date = pd.Timestamp(labelled_dates[-1])
    cutoff = validation_date - pd.Timedelta(days=min_gap_days)
    train_dates = tuple(pd.Timestamp(d) for d in labelled_dates[:-1]
                        if pd.Timestamp(d) < validation_date and pd.Timestamp(d) <= cutoff)
    if not train_dates:
        raise ValueError(f"no labelled snapshot at least {min_gap_days} days before {validation_date:%Y-%m-%d}")
    latest_date = pd.Timestamp(dates.max())

    train = snapshots[dates.isin(train_dates) & has_label]
    validation = snapshots[(dates == validation_date) & has_label]
    latest = snapshots[dates == latest_date]
    labelled_rows = pd.concat([train, validation])
    digest = data_hash(labelled_rows)
    y_train, y_valid = labels(train), labels(validation)
    for part, y in (("training", y_train), ("validation", y_valid)):
        if len(np.unique(y)) < 2:
            raise ValueError(f"the {part} snapshots hold only label {int(y[0])}: a model needs "
                             "both customers who stay away and who come back")
    dropped = empty_features(labelled_rows)
    features = tuple(name for name in FEATURE_NAMES if name not in dropped)
    if not features:
        raise ValueError("every feature is empty or constant in the labelled snapshots: "
                         "nothing to learn from")
    lineage = {
        "train_snapshot_dates": [f"{d:%Y-%m-%d}" for d in train_dates],
        "validation_snapshot_date": f"{validation_date:%Y-%m-%d}",
        "latest_snapshot_date": f"{latest_date:%Y-%m-%d}",
        "train_rows": len(train),
        "validation_rows": len(validation),
        "latest_rows": len(latest),
        "train_positive_rate": float(y_train.mean()),
        "validation_positive_rate": float(y_valid.mean()),
        "n_features": len(features),
        "dropped_features": list(dropped),
        "data_hash": digest,
    }
    return Split(train=train, validation=validation, latest=latest, train_dates=train_dates,
                 validation_date=validation_date, latest_date=latest_date, data_hash=digest,
                 lineage=lineage, features=features, dropped_features=dropped)
