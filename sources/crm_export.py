"""Write a recall wave for the CRM and register it in the raw recall tables.

The platform is a source of raw rows here: an exported wave becomes one row of
`raw.recall_campaigns` and one row per customer of `raw.recall_assignments`, inserted by the
contract's column names (never by position). The CRM files are `crm_<campaign>.csv` and
`crm_<campaign>.parquet` in `<exports>/<campaign>/` (`crm_path`), wherever they are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sources.contract import RAW_SCHEMA, table, wave_label
from sources.warehouse import transaction

EXPORT_COLUMNS = ("customer_id", "campaign_id", "wave_number", "layer", "arm", "variant",
                  "offer", "offer_category", "channel", "template", "reason_1", "reason_2",
                  "reason_3", "churn_cause", "targeting_method", "expected_uplift",
                  "expected_value", "expected_profit", "is_do_not_contact")
CRM_FORMATS = ("csv", "parquet")

# The wave starts on its planned day ($starts_on) or else the day after the newest raw record
# ($start), for $days days; its customers are assigned at 08:00 on the first day.
_DAY = ("coalesce(cast($starts_on as timestamp), "
        "date_trunc('day', cast($start as timestamp)) + interval 1 day)")
# The value of every raw column a registration writes, as SQL ($names are bound parameters).
CAMPAIGN_VALUES = {
    "campaign_id": "$campaign_id",
    "wave": "$wave",
    "started_at": _DAY,
    "ends_at": _DAY + " + to_days(cast($days as integer))",
    "budget": "$budget",
    "design": "'randomized'",
    "holdout_share": "$holdout_share",
    "kind": "$kind",
    "parent_campaign_id": "$parent_campaign_id",
}
ASSIGNMENT_VALUES = {
    "campaign_id": "campaign_id",
    "customer_id": "customer_id",
    "layer": "layer",
    "churn_type": "churn_type",
    "arm": "arm",
    "offer": "offer",
    "channel": "channel",
    "assigned_at": _DAY + " + interval 8 hour",
    "variant": "variant",
    "template": "template",
}


def crm_path(exports_dir: Path, campaign_id: str, fmt: str) -> Path:
    """Where the CRM file of `campaign_id` in format `fmt` ('csv' or 'parquet') is written."""
    if fmt not in CRM_FORMATS:
        raise ValueError(f"CRM files are {' or '.join(CRM_FORMATS)}, not {fmt!r}")
    return Path(exports_dir) / campaign_id / f"crm_{campaign_id}.{fmt}"


@dataclass(frozen=True)
class ExportResult:
    campaign_id: str
    rows: int
    treatment: int
    control: int
    csv_path: Path
    parquet_path: Path
    registered: bool


@dataclass(frozen=True)
class WaveDates:
    """When a planned wave runs: its first day and its length in days."""

    starts_on: date | None = None
    days: int = 30


def export_wave(con, exports_dir: Path, *, campaign_id: str, budget: float,
                holdout_share: float, dates: WaveDates = WaveDates()) -> ExportResult:
    """Export `marts.recall_segments` (built for `campaign_id`); register the wave once, with
    the kind and parent campaign recall_segments carries, on `dates` (default: from the day
    after the newest raw record, for 30 days)."""
    wave = con.execute(f"select {', '.join(EXPORT_COLUMNS)}, churn_type, campaign_kind, "
                       "parent_campaign_id from marts.recall_segments "
                       "where campaign_id = ? order by wave_number, layer, customer_id",
                       [campaign_id]).df()
    if wave.empty:
        raise ValueError(f"recall_segments holds no customers for campaign {campaign_id!r}: "
                         "materialize the recall group with --set campaign_id=" + campaign_id)
    csv_path, parquet_path = (crm_path(exports_dir, campaign_id, fmt) for fmt in CRM_FORMATS)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    out = wave[list(EXPORT_COLUMNS)]
    out.to_csv(csv_path, index=False)
    out.to_parquet(parquet_path, index=False)
    registered = _register(con, wave, campaign_id=campaign_id, budget=budget,
                           holdout_share=holdout_share, dates=dates)
    arms = wave["arm"].value_counts()
    return ExportResult(campaign_id, len(wave), int(arms.get("treatment", 0)),
                        int(arms.get("control", 0)), csv_path, parquet_path, registered)


def _insert_sql(name: str, values: dict[str, str], source: str = "") -> str:
    """`insert into raw.<name> (<contract columns>) select <their values><source>`."""
    columns = table(name).column_names
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (f'insert into "{RAW_SCHEMA}"."{name}" ({quoted}) '
            f"select {', '.join(values[c] for c in columns)}{source}")


def _register(con, wave, *, campaign_id: str, budget: float, holdout_share: float,
              dates: WaveDates) -> bool:
    if con.execute("select count(*) from raw.recall_campaigns where campaign_id = ?",
                   [campaign_id]).fetchone()[0]:
        return False
    [(start,)] = con.execute("select greatest(max(event_at), (select max(ordered_at) "
                             "from raw.orders)) from raw.events").fetchall()
    with transaction(con, wave, "_wave"):
        day = {"start": start, "starts_on": dates.starts_on}
        con.execute(_insert_sql("recall_campaigns", CAMPAIGN_VALUES),
                    day | {"campaign_id": campaign_id, "budget": budget, "days": dates.days,
                           "holdout_share": holdout_share,
                           "wave": wave_label(wave["churn_type"].unique()),
                           "kind": str(wave["campaign_kind"].iloc[0]),
                           "parent_campaign_id": wave["parent_campaign_id"].iloc[0]})
        con.execute(_insert_sql("recall_assignments", ASSIGNMENT_VALUES, " from _wave"), day)
    return True
