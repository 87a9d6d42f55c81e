"""Write the report's pages under CHURN_HOME/reports (see docs/report.md)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from orchestration.report import charts
from orchestration.report.data import ReportData, read_report_data
from orchestration.report.pages import (SORT_FILTER_JS, UPLIFT_COLUMNS, empty, esc, fmt,
                                        glossary_section, metric, missing, page, section, table,
                                        tiles, with_verdicts)

REPORTS_DIR = "reports"
PLOTLY_JS = "plotly.min.js"
EARLY_WARNING_PAGE = "early-warning.html"
EARLY_WARNING_CSV = "files/early_warning.csv"
NO_CAMPAIGN = ("No recall campaign has been sent yet: the results, funnel and ROI appear here "
               "after the first wave is exported and its first month has started. "
               "Export one with `churn-recall export --campaign ID`.")
EARLY_WARNING_COLUMNS = [("customer_id", "customer", "text"),
                         ("churn_probability", "churn probability", "pct"),
                         ("lifecycle_stage", "lifecycle stage", "text"),
                         ("reason_1", "reason 1", "text"), ("reason_2", "reason 2", "text"),
                         ("reason_3", "reason 3", "text"),
                         ("annual_gmv", "value (GMV, 12 months)", "money"),
                         ("suggested_action", "suggested action", "text")]


@dataclass
class ReportResult:
    index: Path
    pages: list[Path] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    early_warning_rows: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.pages)


def reports_dir(home: Path) -> Path:
    return Path(home) / REPORTS_DIR


def campaign_file(campaign_id: str) -> str:
    return "campaign-" + re.sub(r"[^A-Za-z0-9_-]+", "_", str(campaign_id)) + ".html"


def build_report(con, out_dir: Path, *, exports_dir: Path | None = None,
                 budget: float | None = None) -> ReportResult:
    """Read the marts through `con` and write every page into `out_dir`."""
    data = read_report_data(con)
    out_dir = Path(out_dir)
    (out_dir / "files").mkdir(parents=True, exist_ok=True)
    _write_plotly(out_dir)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    campaigns = data.campaign_ids()
    nav = ([("index.html", "Overview")] + [(campaign_file(c), c) for c in campaigns]
           + [(EARLY_WARNING_PAGE, "Early warning")])
    result = ReportResult(index=out_dir / "index.html", campaigns=campaigns)
    pages = {"index.html": page("Recall report: overview", _overview(data), nav, generated)}
    for cid in campaigns:
        csv = _copy_crm_file(exports_dir, cid, out_dir)
        pages[campaign_file(cid)] = page(f"Campaign {cid}", _campaign(data, cid, csv, budget),
                                         nav, generated)
    data.early_warning.to_csv(out_dir / EARLY_WARNING_CSV, index=False)
    pages[EARLY_WARNING_PAGE] = page("Early warning: customers newly at risk",
                                     _early_warning(data), nav, generated)
    result.early_warning_rows = len(data.early_warning)
    for name, text in pages.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        result.pages.append(path)
    return result


def _write_plotly(out_dir: Path) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    path = out_dir / PLOTLY_JS
    if not path.exists() or path.stat().st_size != len(js.encode()):
        path.write_text(js, encoding="utf-8")


def _copy_crm_file(exports_dir: Path | None, campaign_id: str, out_dir: Path) -> str | None:
    """The campaign's CRM CSV copied beside the pages (relative link); None when not exported."""
    if exports_dir is None:
        return None
    from sources.crm_export import crm_path

    source = crm_path(Path(exports_dir), campaign_id, "csv")
    if not source.exists():
        return None
    target = out_dir / "files" / source.name
    shutil.copy2(source, target)
    return f"files/{source.name}"


def _rows(frame: pd.DataFrame, **equal) -> pd.DataFrame:
    """Rows of `frame` whose columns equal the given values; empty when a column is missing."""
    if frame.empty or any(col not in frame for col in equal):
        return frame.iloc[0:0]
    mask = pd.Series(True, index=frame.index)
    for col, value in equal.items():
        mask &= frame[col] == value
    return frame[mask]


# --- overview --------------------------------------------------------------------------------

def _overview(data: ReportData) -> str:
    has_campaign = not data.dashboard.empty
    parts = [_headline_section(data.headlines, "all", "headline",
                               "All campaigns: what recall added")]
    if has_campaign:
        waves = data.dashboard[data.dashboard["channel"] == "all"].sort_values("wave_order")
        calendar = table(waves, [("wave_order", "order", "int"), ("campaign_id", "campaign", "text"),
                                 ("wave", "wave", "text"), ("design", "design", "text"),
                                 ("started_at", "started", "date"),
                                 ("sent_count", "sent", "int"),
                                 ("delivered_count", "delivered", "int"),
                                 ("opened_count", "opened", "int"),
                                 ("clicked_count", "clicked", "int"),
                                 ("redeemed_count", "redeemed", "int"),
                                 ("converted_count", "converted", "int")],
                         metric_prefix="dashboard", key="campaign_id")
        parts.append(section("calendar", "Wave calendar and progress",
                             calendar + charts.funnel(data.dashboard, "chart-funnel")))
        parts.append(section("roi-trend", "ROI trend across waves",
                             charts.roi_trend(data.dashboard, "chart-roi-trend")))
    else:
        parts.append(section("calendar", "Wave calendar and progress", empty(NO_CAMPAIGN)))
        parts.append(section("roi-trend", "ROI trend across waves", empty(NO_CAMPAIGN)))
    parts.append(section("churn-trend", "Churn rate trend by churn type and layer",
                         _churn_trend(data)))
    cohorts = data.cohorts
    parts.append(section("cohorts", "Cohort retention",
                         charts.cohort_heatmap(cohorts, "chart-cohorts")
                         if not cohorts.empty and (cohorts["period_grain"] == "month").any()
                         else empty("No sign-up cohort has a full month of data yet.")))
    parts.append(glossary_section())
    return "\n".join(parts)


def _headline_section(headlines: pd.DataFrame, campaign_id: str, sid: str, title: str) -> str:
    rows = _rows(headlines, campaign_id=campaign_id)
    if rows.empty or not bool(rows.iloc[0]["is_uplift_estimate"]):
        message = (NO_CAMPAIGN if campaign_id == "all" else
                   "No randomized control group for this campaign: no effect can be measured.")
        return section(sid, title, empty(message))
    row = rows.iloc[0]
    note = ("" if bool(row["is_window_complete"]) else
            '<p class="note">The first month has not elapsed for every customer yet: '
            "the figures are partial.</p>")
    return section(sid, title, tiles(row, f"headline.{campaign_id}") + note)


def _churn_trend(data: ReportData) -> str:
    parts = []
    if not data.churn_type_rates.empty:
        parts.append(charts.rate_lines(data.churn_type_rates, "month_start", "churn_type",
                                       "churn_rate", "Monthly churn rate by churn type",
                                       "chart-churn-type"))
    layers = (data.churn_rates[data.churn_rates["dimension"] == "operating_layer"]
              if not data.churn_rates.empty else data.churn_rates)
    if not layers.empty:
        parts.append(charts.rate_lines(layers, "month_start", "dimension_value", "churn_rate",
                                       "Monthly churn rate by operating layer",
                                       "chart-churn-layer"))
    if not parts:
        return empty("No month is wholly inside the data yet.")
    return f'<div class="charts">{"".join(parts)}</div>'


# --- campaign page ---------------------------------------------------------------------------

def _campaign(data: ReportData, cid: str, csv: str | None, budget: float | None) -> str:
    sent = not data.dashboard.empty and cid in set(data.dashboard["campaign_id"])
    parts = [_headline_section(data.headlines, cid, "summary", "What this campaign added")
             if sent else section("summary", "What this campaign added",
                                  empty("This wave is selected but not sent yet."))]
    parts.append(section("results", "Results by layer, variant, channel and churn type",
                         _results(data, cid) if sent else empty("No results before the wave "
                                                                 "is sent.")))
    six = _rows(data.six_months, campaign_id=cid)
    parts.append(section("six-months", "Six months after: treatment vs control",
                         charts.six_month_curves(six, "chart-six-months") if not six.empty
                         else empty("No month after the first has started yet.")))
    parts.append(section("winner", "Winner and power", _winner(data, cid)))
    feedback = _rows(data.feedback, campaign_id=cid)
    parts.append(section("feedback", "Customer feedback", _feedback(feedback)))
    parts.append(section("next-wave", "Selection for the wave", _selection(data, cid, csv,
                                                                            budget)))
    parts.append(glossary_section())
    return "\n".join(parts)


def _results(data: ReportData, cid: str) -> str:
    blocks = []
    specs = [("layer", "By layer", _rows(data.by_layer, campaign_id=cid, arm="treatment"),
              "layer"),
             ("variant", "By variant", _rows(data.variants, campaign_id=cid), "variant"),
             ("channel", "By channel",
              _rows(data.by_segment, campaign_id=cid, dimension="channel"), "segment"),
             ("churn-type", "By churn type",
              _rows(data.by_segment, campaign_id=cid, dimension="churn_type"), "segment")]
    for slug, title, frame, label in specs:
        if frame.empty or frame["conversion_uplift"].isna().all():
            blocks.append(f"<h3>{esc(title)}</h3>" + empty("No uplift: no randomized control."))
            continue
        frame = with_verdicts(frame)
        blocks.append(f'<div class="result-block" data-block="{slug}"><h3>{esc(title)}</h3>'
                      + charts.interval_bars(frame, label, f"Conversion uplift {title.lower()}",
                                             f"chart-{slug}")
                      + table(frame, [(label, title.removeprefix("By "), "text")]
                              + UPLIFT_COLUMNS, metric_prefix=f"{slug}", key=label)
                      + "</div>")
    return ('<p class="note">Grey bars: the interval crosses zero, so the result is '
            "inconclusive (not a win).</p>" + "".join(blocks))


def _winner(data: ReportData, cid: str) -> str:
    rows = _rows(data.winners, campaign_id=cid)
    parts = []
    if rows.empty:
        parts.append(empty("No variant test for this campaign yet."))
    else:
        row = rows.iloc[0]
        if missing(row["winner_variant"]):
            parts.append(f'<p>No winner: <span data-metric="winner.reason">'
                         f'{esc(row["reason"])}</span>.</p>')
        else:
            parts.append(f'<p>Winner: <strong data-metric="winner.variant">'
                         f'{esc(row["winner_variant"])}</strong> (conversion uplift '
                         f'{metric("winner.uplift", row["winner_conversion_uplift"], "points")}, '
                         f'interval {fmt(row["winner_conversion_uplift_lower"], "points")} to '
                         f'{fmt(row["winner_conversion_uplift_upper"], "points")}; '
                         f'{esc(row["reason"])}).</p>')
        if not bool(row["is_window_complete"]):
            parts.append('<p class="note">The first month is not complete: the decision may '
                         "change.</p>")
    seg = _rows(data.segments, campaign_id=cid)
    if not seg.empty and "is_layer_underpowered" in seg:
        power = (seg.drop_duplicates("layer")[["layer", "layer_minimum_detectable_effect",
                                               "is_layer_underpowered"]]
                 .assign(powered=lambda f: f["is_layer_underpowered"]
                         .map({True: "no: under-powered", False: "yes"})))
        parts.append("<p>Powered (can the wave detect the target effect?):</p>"
                     + table(power, [("layer", "layer", "text"),
                                     ("layer_minimum_detectable_effect",
                                      "minimum detectable effect", "points"),
                                     ("powered", "powered", "text")]))
    else:
        parts.append('<p class="note">Power: recorded for the selected wave only '
                     "(recall_segments).</p>")
    return "".join(parts)


def _feedback(feedback: pd.DataFrame) -> str:
    if feedback.empty:
        return empty("No customer feedback for this campaign yet.")
    ordered = feedback.assign(order=feedback["period"].map({"before": 0, "after": 1}))
    ordered = ordered.sort_values(["arm", "order"])
    return (charts.feedback_bars(feedback, "chart-feedback")
            + table(ordered, [("arm", "arm", "text"), ("period", "period", "text"),
                              ("customer_count", "customers", "int"),
                              ("complaints_per_100_customers", "complaints per 100", "number"),
                              ("average_satisfaction", "average satisfaction (1-5)", "ratio"),
                              ("rated_ticket_count", "rated tickets", "int")]))


def _selection(data: ReportData, cid: str, csv: str | None, budget: float | None) -> str:
    seg = _rows(data.segments, campaign_id=cid)
    if seg.empty:
        return empty("This campaign is not the wave currently selected (recall_segments holds "
                     "the next wave only).")
    treated = seg[seg["arm"] == "treatment"]
    method = ", ".join(sorted(seg["targeting_method"].dropna().unique())).replace("_", " ")
    counts = (seg.groupby(["layer", "arm"]).size().rename("customers").reset_index())
    spent = float(treated["cost_per_contact"].sum())
    link = (f'<p><a class="no-print" data-download="crm" href="{esc(csv)}" download>'
            "Download the CRM file (CSV)</a></p>" if csv else
            '<p class="note">The CRM file is written when the wave is exported '
            "(`churn-recall export`).</p>")
    budget_text = (f" of the budget {fmt(budget, 'money')}" if budget else "")
    return (f"<p>Selected customers: {metric('selection.customers', len(seg), 'int')} "
            f"({metric('selection.treatment', len(treated), 'int')} to contact, "
            f"{metric('selection.control', len(seg) - len(treated), 'int')} in the control "
            f"group), chosen by {esc(method)}. Expected profit: "
            f"{metric('selection.expected_profit', treated['expected_profit'].sum(), 'money')}. "
            f"Budget used: {metric('selection.budget_used', spent, 'money')}{budget_text}.</p>"
            + table(counts, [("layer", "layer", "text"), ("arm", "arm", "text"),
                             ("customers", "customers", "int")])
            + link)


# --- early warning ---------------------------------------------------------------------------

def _early_warning(data: ReportData) -> str:
    frame = data.early_warning
    if frame.empty:
        body = empty("No customer became at risk since the last scoring run.")
        return section("early-warning", "Customers newly at risk", body) + glossary_section()
    frame = frame.sort_values("churn_probability", ascending=False)
    stages = sorted(s for s in frame["lifecycle_stage"].dropna().unique())
    head = "".join(f'<th class="sortable">{esc(h)}</th>' for _, h, _ in EARLY_WARNING_COLUMNS)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col, _, kind in EARLY_WARNING_COLUMNS:
            value = row[col]
            sort = "" if missing(value) else esc(value)
            text = esc("" if missing(value) else value) if kind == "text" else esc(fmt(value, kind))
            cls = ' class="num"' if kind != "text" else ""
            cells.append(f'<td{cls} data-col="{col}" data-sort="{sort}">{text}</td>')
        rows.append(f'<tr data-customer="{esc(row["customer_id"])}" '
                    f'data-stage="{esc(row["lifecycle_stage"])}">{"".join(cells)}</tr>')
    previous = frame["previous_scored_at"].iloc[0]
    since = ("the previous scoring run of " + fmt(previous, "date") if not missing(previous)
             else "the first recorded scoring run (every at-risk customer is new)")
    options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in stages)
    controls = (f'<p class="no-print">Filter: <input id="ew-search" type="search" '
                f'placeholder="customer, reason, action"> <select id="ew-stage">'
                f'<option value="">every lifecycle stage</option>{options}</select> '
                f'<span id="ew-count">{len(frame)}</span> of '
                f'{metric("early_warning.rows", len(frame), "int")} customers. '
                f'<a href="{EARLY_WARNING_CSV}" download data-download="early-warning">'
                "Download CSV</a></p>")
    body = (f'<p class="note">Active customers whose churn probability reached the warning '
            f"threshold in the newest scoring run but not in {esc(since)}. Click a column "
            "header to sort.</p>" + controls
            + f'<table id="early-warning-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><script>{SORT_FILTER_JS}</script>')
    return section("early-warning", "Customers newly at risk", body) + glossary_section()
