"""The rows the churn model trains on, read from `marts.customer_snapshots` with bounded size.

Takes an open warehouse connection (DuckDB, or any connection with `execute(sql, params).df()`
and DuckDB's SQL); imports no Dagster and nothing from orchestration.

The newest `training_snapshots` labelled snapshot dates (the newest of them validates) plus the
newest snapshot (drift reference), only the model's columns; when the labelled rows exceed
`max_training_rows`, a fixed share of customers is kept, chosen by a hash of their id, so the
same customers are kept on every run and each keeps all of its snapshots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ml.features import FEATURE_NAMES, KEY_COLUMNS, LABEL_COLUMN

SNAPSHOTS = "marts.customer_snapshots"
LAPSED_SNAPSHOTS = "marts.lapsed_customer_snapshots"
HASH_BUCKETS = 10_000
CUSTOMER_BUCKET = f"cast(('0x' || substr(md5(customer_id), 1, 8)) as ubigint) % {HASH_BUCKETS}"


@dataclass(frozen=True)
class TrainingRows:
    frame: pd.DataFrame
    snapshot_dates: list[str]
    labelled_rows_available: int
    customer_share: float


def load_training_rows(con, *, training_snapshots: int, max_rows: int,
                       table: str = SNAPSHOTS) -> TrainingRows:
    counts = con.execute(f"select snapshot_date, count({LABEL_COLUMN}) from {table} "
                         "group by snapshot_date order by snapshot_date").fetchall()
    if not counts:
        raise ValueError(f"{table} is empty: build the churn marts first")
    labelled = [d for d, n in counts if n > 0][-training_snapshots:]
    available = sum(n for d, n in counts if d in labelled)
    dates = sorted({*labelled, counts[-1][0]})
    keep = HASH_BUCKETS if available <= max_rows else max(
        1, math.floor(HASH_BUCKETS * max_rows / available))
    columns = ", ".join(f'"{c}"' for c in (*KEY_COLUMNS, *FEATURE_NAMES, LABEL_COLUMN))
    placeholders = ", ".join("?" for _ in dates)
    sample = f" and {CUSTOMER_BUCKET} < {keep}" if keep < HASH_BUCKETS else ""
    frame = con.execute(f"select {columns} from {table} where snapshot_date in "
                        f"({placeholders}){sample}", dates).df()
    return TrainingRows(frame, [f"{d:%Y-%m-%d}" for d in dates], int(available),
                        keep / HASH_BUCKETS)
