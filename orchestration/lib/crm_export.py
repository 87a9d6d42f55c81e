"""Write a recall wave for the CRM and register it in the raw recall tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import Settings

EXPORT_COLUMNS = ("customer_id", "campaign_id", "wave_number", "layer", "arm", "offer",
                  "offer_category", "channel", "reason_1", "reason_2", "reason_3",
                  "churn_cause", "expected_gain", "is_do_not_contact")


@dataclass(frozen=True)
class ExportResult:
    campaign_id: str
    rows: int
    treatment: int
    control: int
    csv_path: Path
    parquet_path: Path
    registered: bool


def export_wave(con, settings: Settings, exports_dir: Path) -> ExportResult:
    """Export `marts.recall_segments` (built for settings.campaign_id); register it once."""
    cid = settings.campaign_id
    wave = con.execute(f"select {', '.join(EXPORT_COLUMNS)}, churn_type from marts.recall_segments "
                       "where campaign_id = ? order by wave_number, layer, customer_id",
                       [cid]).df()
    if wave.empty:
        raise ValueError(f"recall_segments holds no customers for campaign {cid!r}: "
                         "materialize the recall group with --set campaign_id=" + cid)
    folder = exports_dir / cid
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"crm_{cid}.csv", folder / f"crm_{cid}.parquet"
    out = wave[list(EXPORT_COLUMNS)]
    out.to_csv(csv_path, index=False)
    out.to_parquet(parquet_path, index=False)
    registered = _register(con, settings, wave)
    arms = wave["arm"].value_counts()
    return ExportResult(cid, len(wave), int(arms.get("treatment", 0)),
                        int(arms.get("control", 0)), csv_path, parquet_path, registered)


def _register(con, settings: Settings, wave) -> bool:
    cid = settings.campaign_id
    if con.execute("select count(*) from raw.recall_campaigns where campaign_id = ?",
                   [cid]).fetchone()[0]:
        return False
    start = con.execute("select greatest(max(event_at), (select max(ordered_at) from raw.orders)) "
                        "from raw.events").fetchone()[0]
    con.execute("begin")
    try:
        con.execute(
            "insert into raw.recall_campaigns (campaign_id, wave, started_at, ends_at, budget, "
            "design, holdout_share) values (?, 'mixed', "
            "date_trunc('day', cast(? as timestamp)) + interval 1 day, "
            "date_trunc('day', cast(? as timestamp)) + interval 31 day, ?, 'randomized', ?)",
            [cid, start, start, settings.recall_budget, settings.holdout_share])
        con.register("_wave", wave)
        con.execute(
            "insert into raw.recall_assignments (campaign_id, customer_id, layer, churn_type, arm, "
            "offer, channel, assigned_at) select campaign_id, customer_id, layer, "
            "churn_type, arm, offer, channel, "
            "date_trunc('day', cast(? as timestamp)) + interval 1 day + interval 8 hour "
            "from _wave", [start])
        con.unregister("_wave")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return True
