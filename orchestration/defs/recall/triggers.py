"""Trigger campaigns (group `exports`): every day, each trigger of the campaign plan registers
the batch of customers its events fired for (sources/trigger_register.py), once per customer
and event; a job and a daily schedule run it after the daily refresh.

A schedule, not a sensor: a trigger's events are read as of the data's last day, which moves
once a day with the daily refresh (05:00 UTC), and a batch is one campaign per trigger per day;
a sensor would have to open the warehouse to see whether anything fired, which sensors must
not (the DuckDB lock is the runs'). A run that finds nothing new registers nothing, so an extra
run (by hand, or after a late refresh) is harmless.
"""

import dagster as dg

from orchestration.campaign_plan import current_plan
from orchestration.defs.resources import DUCKDB_POOL, OWNER, PlatformResource
from sources.trigger_register import register_trigger_batches

# The trigger marts the batches read, rebuilt in the same run (the contact policy's exclusions
# change when a wave is exported or a batch registered).
TRIGGER_MODELS = ("recall_trigger_events", "recall_contact_exclusions",
                  "recall_trigger_assignments")


@dg.asset(deps=["recall_trigger_assignments"], group_name="exports",
          kinds={"duckdb", "parquet", "csv"}, owners=[OWNER], pool=DUCKDB_POOL)
def recall_trigger_batches(context: dg.AssetExecutionContext, platform: PlatformResource):
    """Today's batch of every trigger of the plan: raw campaign, assignments and CRM files."""
    env, settings = platform.env.prepare(), platform.settings
    plan = current_plan(env)
    if plan is None or not plan.triggers:
        why = "no campaign plan" if plan is None else "the campaign plan has no triggers"
        return dg.MaterializeResult(metadata={"triggers": 0, "status": f"{why}: nothing fired"})
    with platform.connect() as con:
        runs = register_trigger_batches(con, env.exports, plan.triggers,
                                        costs=settings.channel_costs())
    metadata: dict = {"triggers": len(runs)}
    for run in runs:
        b = run.batch
        context.log.info(f"{b.trigger_id}: {run.fired} fired, {run.excluded} excluded, "
                         f"{b.assigned} assigned to {b.campaign_id} ({b.control} control)")
        metadata |= {f"{b.trigger_id}/fired": run.fired, f"{b.trigger_id}/excluded": run.excluded,
                     f"{b.trigger_id}/already_fired": b.already_fired,
                     f"{b.trigger_id}/assigned": b.assigned, f"{b.trigger_id}/control": b.control,
                     f"{b.trigger_id}/campaign_id": b.campaign_id}
    metadata["dagster/row_count"] = sum(r.batch.assigned for r in runs)
    return dg.MaterializeResult(metadata=metadata)


trigger_batches_job = dg.define_asset_job(
    "trigger_batches_job",
    selection=dg.AssetSelection.assets(*TRIGGER_MODELS, "recall_trigger_batches"),
    description="Rebuild the trigger events and the contact policy, then register today's "
                "batch of every trigger campaign of the plan.",
    tags={"churn/job": "trigger_batches"},
)

trigger_batches_schedule = dg.ScheduleDefinition(
    name="trigger_batches_schedule", job=trigger_batches_job, cron_schedule="0 6 * * *",
    execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 06:00 UTC, an hour after the daily refresh brings new data.",
)
