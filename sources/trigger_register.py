"""Register a trigger campaign's batch of the day: raw rows, CRM files, and the keys that fired.

A trigger campaign of the plan (`sources.plan.Trigger`) runs every day on the events that
`marts.recall_trigger_assignments` holds for it (fired as of the data's last day, contact policy
applied, arm drawn). Each day's batch is one campaign of `raw.recall_campaigns`:
`<trigger campaign_id>-<YYYYMMDD of fired_on>`, kind `trigger`, parent_campaign_id the
trigger's id, design randomized, starting the day after fired_on (contacts at 08:00, like a
wave's), registered by the contract's column names with the helpers of `sources.crm_export`.

A trigger fires once per customer and event: the (trigger, customer, event key) of every
assignment is kept in the platform table `recall.trigger_firings` (created when missing), and a
key found there is never assigned again, whichever day's batch assigned it. A customer with
several new events in one batch (two competitor promotions at once) gets one assignment (the
first event key); all of those keys are recorded as fired with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from sources.contract import wave_label
from sources.crm_export import (
    ASSIGNMENT_VALUES,
    CAMPAIGN_VALUES,
    CRM_FORMATS,
    EXPORT_COLUMNS,
    _insert_sql,
    crm_path,
)
from sources.plan import Trigger
from sources.warehouse import transaction

FIRINGS_SCHEMA = "recall"
FIRINGS_TABLE = "trigger_firings"
FIRINGS = f'"{FIRINGS_SCHEMA}"."{FIRINGS_TABLE}"'
FIRINGS_DDL = (f"create table if not exists {FIRINGS} (trigger_id varchar not null, "
               "customer_id varchar not null, event_key varchar not null, "
               "campaign_id varchar not null, fired_on date not null, "
               "primary key (trigger_id, customer_id, event_key))")
# The columns a batch's rows need (marts.recall_trigger_assignments).
ROW_COLUMNS = ("campaign_id", "customer_id", "event", "event_key", "layer", "churn_type", "arm",
               "variant", "offer", "channel", "template")
# A batch's CRM file: the wave export's columns (those a trigger has no value for are empty;
# reason_1 is the event), then the trigger's own.
TRIGGER_COLUMNS = ("trigger_id", "event", "event_key")
BATCH_DAYS = 1  # a batch's contacts go out on its one day (ends_at = started_at + 1 day)


@dataclass(frozen=True)
class TriggerBatch:
    """What registering one trigger's batch of a day did.

    events: the rows offered (fired and not excluded); already_fired: those whose key fired in
    an earlier batch (or earlier today); assigned / treatment / control: the customers newly
    assigned; registered: whether the day's campaign was created by this call.
    """

    trigger_id: str
    campaign_id: str
    events: int
    already_fired: int
    assigned: int
    treatment: int
    control: int
    registered: bool
    csv_path: Path | None
    parquet_path: Path | None


def batch_campaign_id(trigger_id: str, fired_on: date) -> str:
    """The day's batch campaign of a trigger: `<trigger id>-<YYYYMMDD>`."""
    return f"{trigger_id}-{fired_on:%Y%m%d}"


def ensure_firings_table(con) -> None:
    con.execute(f'create schema if not exists "{FIRINGS_SCHEMA}"')
    con.execute(FIRINGS_DDL)


def register_trigger_batch(con, exports_dir: Path, trigger: Trigger, rows: pd.DataFrame,
                           fired_on: date, *,
                           costs: Mapping[str, float] | None = None) -> TriggerBatch:
    """Register `trigger`'s batch of `fired_on` from `rows` (its recall_trigger_assignments):
    the events whose key has not fired yet, one per customer, as campaign
    `<trigger>-<YYYYMMDD>` (created once; a later call the same day adds the new keys to it),
    and write the batch's CRM files with every customer of that campaign. The campaign's
    budget is the treated contacts' cost at `costs` (channel -> cost; none: 0)."""
    ensure_firings_table(con)
    campaign_id = batch_campaign_id(trigger.campaign_id, fired_on)
    missing = set(ROW_COLUMNS) - set(rows.columns)
    if missing:
        raise ValueError(f"trigger rows lack the columns {sorted(missing)} (expected "
                         "marts.recall_trigger_assignments rows)")
    offered = rows.loc[rows["campaign_id"] == trigger.campaign_id, list(ROW_COLUMNS)]
    offered = offered.drop_duplicates(["customer_id", "event_key"])
    fired = con.execute(f"select customer_id, event_key from {FIRINGS} where trigger_id = ?",
                        [trigger.campaign_id]).df()
    keys = offered.merge(fired, on=["customer_id", "event_key"], how="left", indicator=True)
    new = keys[keys["_merge"] == "left_only"].drop(columns="_merge")
    in_batch = {r[0] for r in con.execute("select customer_id from raw.recall_assignments "
                                          "where campaign_id = ?", [campaign_id]).fetchall()}
    new = new.sort_values(["customer_id", "event_key"])
    assign = new[~new["customer_id"].isin(in_batch)].drop_duplicates("customer_id").copy()
    assign["campaign_id"] = campaign_id
    firings = pd.DataFrame({"trigger_id": trigger.campaign_id,
                            "customer_id": new["customer_id"].astype(str),
                            "event_key": new["event_key"].astype(str),
                            "campaign_id": campaign_id, "fired_on": fired_on})
    registered = False
    if not new.empty:
        registered = _register(con, trigger, campaign_id, assign, firings, fired_on, costs)
    arms = assign["arm"].value_counts()
    csv_path = parquet_path = None
    if not assign.empty:
        csv_path, parquet_path = _write_crm(con, exports_dir, trigger, campaign_id)
    return TriggerBatch(trigger.campaign_id, campaign_id, len(offered),
                        len(offered) - len(new), len(assign), int(arms.get("treatment", 0)),
                        int(arms.get("control", 0)), registered, csv_path, parquet_path)


def _register(con, trigger: Trigger, campaign_id: str, assign: pd.DataFrame,
              firings: pd.DataFrame, fired_on: date, costs) -> bool:
    [(count,)] = con.execute("select count(*) from raw.recall_campaigns where campaign_id = ?",
                             [campaign_id]).fetchall()
    exists = count > 0
    day = {"start": None, "starts_on": fired_on + timedelta(days=1)}
    treated = assign[assign["arm"] == "treatment"]
    budget = float(sum((costs or {}).get(ch, 0.0) for ch in treated["channel"]))
    with transaction(con, assign, "_batch"):
        if not exists and not assign.empty:
            con.execute(_insert_sql("recall_campaigns", CAMPAIGN_VALUES),
                        day | {"campaign_id": campaign_id, "budget": round(budget, 2),
                               "days": BATCH_DAYS, "holdout_share": trigger.holdout_share,
                               "wave": wave_label(assign["churn_type"].unique()),
                               "kind": "trigger", "parent_campaign_id": trigger.campaign_id})
        if not assign.empty:
            con.execute(_insert_sql("recall_assignments", ASSIGNMENT_VALUES, " from _batch"),
                        day)
        con.register("_firings", firings)
        try:
            con.execute(f"insert into {FIRINGS} (trigger_id, customer_id, event_key, "
                        "campaign_id, fired_on) select trigger_id, customer_id, event_key, "
                        "campaign_id, fired_on from _firings")
        finally:
            con.unregister("_firings")
    return not exists and not assign.empty


def _write_crm(con, exports_dir: Path, trigger: Trigger,
               campaign_id: str) -> tuple[Path, Path]:
    """The batch's CRM files: every customer of the day's campaign, with the event it is for."""
    batch = con.execute(
        "select a.customer_id, a.campaign_id, a.layer, a.arm, a.variant, a.offer, a.channel, "
        "a.template, a.arm = 'control' as is_do_not_contact, f.event_key "
        f"from raw.recall_assignments a join (select customer_id, min(event_key) as event_key "
        f"from {FIRINGS} where campaign_id = ? group by customer_id) f using (customer_id) "
        "where a.campaign_id = ? order by a.layer, a.customer_id",
        [campaign_id, campaign_id]).df()
    out = pd.DataFrame({c: batch[c] if c in batch.columns else None for c in EXPORT_COLUMNS})
    out["reason_1"] = trigger.event
    out["trigger_id"] = trigger.campaign_id
    out["event"] = trigger.event
    out["event_key"] = batch["event_key"]
    out = out[list(EXPORT_COLUMNS + TRIGGER_COLUMNS)]
    csv_path, parquet_path = (crm_path(exports_dir, campaign_id, fmt) for fmt in CRM_FORMATS)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(csv_path, index=False)
    out.to_parquet(parquet_path, index=False)
    return csv_path, parquet_path


@dataclass(frozen=True)
class TriggerRun:
    """One trigger's day: events fired, customers the contact policy kept out, the batch."""

    fired: int
    excluded: int
    batch: TriggerBatch


def register_trigger_batches(con, exports_dir: Path, triggers: tuple[Trigger, ...], *,
                             costs: Mapping[str, float] | None = None) -> list[TriggerRun]:
    """Register the day's batch of every trigger from marts.recall_trigger_events /
    recall_trigger_assignments (built with the plan's triggers), as of their fired_on day (the
    as-of day of intermediate.int_data_bounds)."""
    [(fired_on,)] = con.execute("select as_of_date from intermediate.int_data_bounds").fetchall()
    events = con.execute("select campaign_id, count(*) as fired, count(distinct customer_id) "
                         "as customers from marts.recall_trigger_events group by 1").df()
    assignments = con.execute("select * from marts.recall_trigger_assignments").df()
    out = []
    for trigger in triggers:
        rows = assignments[assignments["campaign_id"] == trigger.campaign_id]
        counts = events[events["campaign_id"] == trigger.campaign_id]
        fired = int(counts["fired"].sum())
        excluded = int(counts["customers"].sum()) - rows["customer_id"].nunique()
        batch = register_trigger_batch(con, exports_dir, trigger, rows, fired_on, costs=costs)
        out.append(TriggerRun(fired, excluded, batch))
    return out
