"""Freshness of the raw sources, two ways (both warn, neither blocks):

- `raw_tables` must have been refreshed within RAW_MAX_AGE (Dagster's last-update freshness
  checks, evaluated by `raw_freshness_sensor` or with any run that includes them);
- `feed_lag`: each daily feed's newest record may trail the newest record in raw by at most
  `raw_feed_lag_days` (a feed that stopped while the others go on).
"""

from datetime import timedelta

import dagster as dg

from orchestration.defs.resources import DUCKDB_POOL, PlatformResource
from sources.contract import RAW_SCHEMA, TABLES

RAW_MAX_AGE = timedelta(hours=26)  # the daily refresh, plus slack for a slow run
FEED_TABLES = ("orders", "events")  # sign-ups may pause in a small shop; these may not
TIME_COLUMNS = {t.name: t.time_column for t in TABLES if t.time_column}


def raw_freshness_checks() -> list[dg.AssetChecksDefinition]:
    return list(dg.build_last_update_freshness_checks(
        assets=[dg.AssetKey([RAW_SCHEMA, t.name]) for t in TABLES],
        lower_bound_delta=RAW_MAX_AGE))


raw_freshness = raw_freshness_checks()

raw_freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=raw_freshness, name="raw_freshness_sensor", minimum_interval_seconds=600)


def newest_records(con) -> dict[str, object]:
    """Newest time-column value per raw table that has one (None for an empty table)."""
    return {name: con.execute(f'select max("{column}") from {RAW_SCHEMA}."{name}"').fetchone()[0]
            for name, column in TIME_COLUMNS.items()}


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("feed_lag", asset=dg.AssetKey([RAW_SCHEMA, name]),
                             description=f"raw.{name}: newest {TIME_COLUMNS[name]} trails the "
                                         "newest raw record by at most raw_feed_lag_days")
           for name in FEED_TABLES],
    pool=DUCKDB_POOL,
)
def raw_feed_lag(platform: PlatformResource):
    """Days between each feed's newest record and the newest record of any raw table."""
    limit = platform.settings.raw_feed_lag_days
    with platform.connect(read_only=True) as con:
        newest = newest_records(con)
    present = [v for v in newest.values() if v is not None]
    overall = max(present) if present else None
    for name in FEED_TABLES:
        latest = newest[name]
        lag = None if latest is None or overall is None else (overall - latest).total_seconds() / 86400
        passed = lag is not None and lag <= limit
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey([RAW_SCHEMA, name]), check_name="feed_lag", passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=(f"raw.{name} is empty" if latest is None else
                         f"newest {TIME_COLUMNS[name]} {latest}, {lag:.1f} days behind the newest "
                         f"raw record ({overall}); limit {limit} days"),
            metadata={"newest_record_at": str(latest), "newest_raw_record_at": str(overall),
                      "lag_days": round(lag, 2) if lag is not None else -1.0,
                      "raw_feed_lag_days": limit})
