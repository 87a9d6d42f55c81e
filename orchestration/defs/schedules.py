"""Schedules (run by the daemon that `churn-recall ui` starts): daily refresh, monthly
retraining with the champion comparison. Both start stopped; switch them on in the UI."""

import dagster as dg

from orchestration.defs.jobs import daily_refresh, monthly_retraining

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh_schedule", job=daily_refresh, cron_schedule="0 5 * * *",
    execution_timezone="UTC", description="Every day at 05:00 UTC.",
)

monthly_retraining_schedule = dg.ScheduleDefinition(
    name="monthly_retraining_schedule", job=monthly_retraining, cron_schedule="0 3 2 * *",
    execution_timezone="UTC",
    description="On the 2nd of each month at 03:00 UTC, after the month's snapshot exists.",
)
