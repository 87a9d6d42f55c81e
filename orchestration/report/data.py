"""Read what the report shows from the warehouse: whole mart tables, no computation."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

# Attribute -> table. A missing table (a shop with no campaign, an older warehouse) reads empty.
TABLES = {
    "headlines": "marts.recall_report_headlines",
    "dashboard": "marts.recall_dashboard",
    "winners": "marts.recall_wave_winners",
    "variants": "marts.recall_effect_variants",
    "by_segment": "marts.recall_effect_by_segment",
    "by_layer": "marts.recall_effect_by_layer",
    "six_months": "marts.recall_effect_six_months",
    "feedback": "marts.recall_feedback",
    "churn_rates": "marts.churn_rates",
    "churn_type_rates": "marts.recall_churn_type_rates",
    "cohorts": "marts.cohort_retention",
    "segments": "marts.recall_segments",
    "early_warning": "marts.recall_early_warning",
}


@dataclass
class ReportData:
    """One DataFrame per mart the report reads (empty when the table is missing)."""

    headlines: pd.DataFrame
    dashboard: pd.DataFrame
    winners: pd.DataFrame
    variants: pd.DataFrame
    by_segment: pd.DataFrame
    by_layer: pd.DataFrame
    six_months: pd.DataFrame
    feedback: pd.DataFrame
    churn_rates: pd.DataFrame
    churn_type_rates: pd.DataFrame
    cohorts: pd.DataFrame
    segments: pd.DataFrame
    early_warning: pd.DataFrame

    def campaign_ids(self) -> list[str]:
        """Campaigns with a page: those sent (dashboard, by wave order), then the selected wave."""
        ids = []
        if not self.dashboard.empty:
            ordered = self.dashboard.sort_values(["wave_order", "campaign_id"])
            ids = list(dict.fromkeys(ordered["campaign_id"]))
        if not self.segments.empty:
            ids += [c for c in dict.fromkeys(self.segments["campaign_id"]) if c not in ids]
        return ids


def read_report_data(con) -> ReportData:
    """Every table of `TABLES` from an open DuckDB connection."""
    present = {f"{schema}.{name}" for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    frames = {}
    for f in fields(ReportData):
        table = TABLES[f.name]
        frames[f.name] = (con.execute(f"select * from {table}").df() if table in present
                          else pd.DataFrame())
    return ReportData(**frames)
