"""Plotly figures of the report, each returned as an HTML <div> (plotly.js is loaded once per
page from the reports folder). Figures plot mart columns as they are."""

from __future__ import annotations

import pandas as pd

FUNNEL_STEPS = (("sent_count", "Sent"), ("delivered_count", "Delivered"),
                ("opened_count", "Opened"), ("clicked_count", "Clicked"),
                ("redeemed_count", "Redeemed"), ("converted_count", "Converted"))
ARM_COLORS = {"treatment": "#1f77b4", "control": "#ff7f0e"}
WIN, LOSS, UNSURE = "#2ca02c", "#d62728", "#7f7f7f"
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def _div(fig, chart_id: str, height: int = 360) -> str:
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 50},
                      template="plotly_white", font={"size": 13},
                      legend={"orientation": "h", "y": -0.2})
    return fig.to_html(include_plotlyjs=False, full_html=False, div_id=chart_id,
                       config=CONFIG, default_width="100%")


def verdict(lower, upper) -> str:
    """How a result reads: a win or a loss only when its whole interval is on one side of 0."""
    if pd.isna(lower) or pd.isna(upper):
        return "no control group"
    if lower > 0:
        return "win"
    if upper < 0:
        return "loss"
    return "inconclusive"


def funnel(dashboard: pd.DataFrame, chart_id: str) -> str:
    """Each wave's progress funnel (recall_dashboard, channel 'all')."""
    import plotly.graph_objects as go

    rows = dashboard[dashboard["channel"] == "all"].sort_values("wave_order")
    fig = go.Figure()
    for _, row in rows.iterrows():
        fig.add_trace(go.Bar(
            name=str(row["campaign_id"]), x=[label for _, label in FUNNEL_STEPS],
            y=[row[col] for col, _ in FUNNEL_STEPS],
            hovertemplate="%{x}: %{y:,} customers<extra>" + str(row["campaign_id"]) + "</extra>"))
    fig.update_layout(barmode="group", title="Progress of each wave",
                      yaxis_title="customers")
    return _div(fig, chart_id)


def roi_trend(dashboard: pd.DataFrame, chart_id: str) -> str:
    """First-month ROI of each wave in wave order (recall_dashboard, channel 'all')."""
    import plotly.graph_objects as go

    rows = dashboard[dashboard["channel"] == "all"].sort_values("wave_order")
    fig = go.Figure(go.Scatter(
        x=rows["campaign_id"], y=rows["roi"], mode="lines+markers",
        customdata=rows[["incremental_gmv", "cost"]].to_numpy(),
        hovertemplate="%{x}<br>ROI %{y:.2f}<br>incremental GMV %{customdata[0]:,.2f}"
                      "<br>cost %{customdata[1]:,.2f}<extra></extra>"))
    fig.add_hline(y=0, line_dash="dot", line_color=UNSURE)
    fig.update_layout(title="ROI trend across waves", xaxis_title="wave (in start order)",
                      yaxis_title="ROI (x cost)")
    return _div(fig, chart_id)


def rate_lines(frame: pd.DataFrame, x: str, series: str, y: str, title: str,
               chart_id: str) -> str:
    """One line per value of `series` (churn rate over months)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, rows in frame.sort_values(x).groupby(series, sort=True):
        fig.add_trace(go.Scatter(x=rows[x], y=rows[y], mode="lines+markers", name=str(name),
                                 hovertemplate="%{x|%b %Y}: %{y:.1%}<extra>" + str(name)
                                 + "</extra>"))
    fig.update_layout(title=title, yaxis_tickformat=".0%", yaxis_title="churn rate")
    return _div(fig, chart_id)


def cohort_heatmap(cohorts: pd.DataFrame, chart_id: str) -> str:
    """Monthly retention by sign-up cohort (cohort_retention, grain month)."""
    import plotly.graph_objects as go

    rows = cohorts[cohorts["period_grain"] == "month"]
    grid = rows.pivot(index="cohort_month", columns="period_offset", values="retention_rate")
    labels = [pd.Timestamp(c).strftime("%Y-%m") for c in grid.index]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[f"month {int(c)}" for c in grid.columns], y=labels,
        colorscale="Blues", zmin=0, zmax=1, colorbar={"tickformat": ".0%"},
        hovertemplate="cohort %{y}, %{x}: %{z:.1%} retained<extra></extra>"))
    fig.update_layout(title="Retention by sign-up month (cohort)", yaxis_autorange="reversed")
    return _div(fig, chart_id, height=420)


def interval_bars(frame: pd.DataFrame, label: str, title: str, chart_id: str) -> str:
    """Conversion uplift of each row with its interval; colour by verdict (an interval that
    crosses zero is grey: inconclusive)."""
    import plotly.graph_objects as go

    rows = frame.dropna(subset=["conversion_uplift"])
    verdicts = [verdict(lo, hi) for lo, hi in
                zip(rows["conversion_uplift_lower"], rows["conversion_uplift_upper"])]
    colors = [{"win": WIN, "loss": LOSS}.get(v, UNSURE) for v in verdicts]
    fig = go.Figure(go.Bar(
        x=rows[label].astype(str), y=rows["conversion_uplift"], marker_color=colors,
        error_y={"type": "data", "symmetric": False,
                 "array": rows["conversion_uplift_upper"] - rows["conversion_uplift"],
                 "arrayminus": rows["conversion_uplift"] - rows["conversion_uplift_lower"]},
        customdata=list(zip(rows["conversion_uplift_lower"], rows["conversion_uplift_upper"],
                            verdicts)),
        hovertemplate="%{x}: %{y:+.1%} (interval %{customdata[0]:+.1%} to "
                      "%{customdata[1]:+.1%}): %{customdata[2]}<extra></extra>"))
    fig.add_hline(y=0, line_color="black", line_width=1)
    fig.update_layout(title=title, yaxis_tickformat="+.0%",
                      yaxis_title="conversion uplift over control")
    return _div(fig, chart_id, height=340)


def six_month_curves(six: pd.DataFrame, chart_id: str) -> str:
    """GMV of each month after the first as a share of pre-churn GMV, treatment vs control, per
    layer and variant (recall_effect_six_months); 100% is the pre-churn baseline."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for (layer, variant, arm), rows in six.sort_values("month_number").groupby(
            ["layer", "variant", "arm"], sort=True):
        group = f"{layer} / {variant}"
        fig.add_trace(go.Scatter(
            x=rows["month_number"], y=rows["gmv_to_pre_churn_ratio"], mode="lines+markers",
            name=f"{group}: {arm}", legendgroup=group,
            line={"color": ARM_COLORS.get(arm), "dash": "solid" if arm == "treatment" else "dash"},
            customdata=rows[["gmv", "active_customers"]].to_numpy(),
            hovertemplate="month %{x}: %{y:.0%} of pre-churn GMV<br>GMV %{customdata[0]:,.2f}, "
                          "%{customdata[1]} active customers<extra>" + f"{group}: {arm}"
                          + "</extra>"))
    fig.add_hline(y=1, line_dash="dot", line_color=UNSURE,
                  annotation_text="pre-churn GMV", annotation_position="top left")
    fig.update_layout(title="Six months after the first: GMV against pre-churn GMV",
                      xaxis_title="month after the first month", yaxis_tickformat=".0%",
                      yaxis_title="share of pre-churn GMV")
    return _div(fig, chart_id, height=400)


def feedback_bars(feedback: pd.DataFrame, chart_id: str) -> str:
    """Complaints per 100 customers before and after the contact, by arm (recall_feedback)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for arm, rows in feedback.groupby("arm", sort=False):
        rows = rows.set_index("period").reindex(["before", "after"])
        fig.add_trace(go.Bar(
            name=str(arm), x=["before the contact", "after the contact"],
            y=rows["complaints_per_100_customers"], marker_color=ARM_COLORS.get(arm),
            customdata=rows[["average_satisfaction"]].to_numpy(),
            hovertemplate="%{x}: %{y:.1f} complaints per 100 customers<br>average satisfaction "
                          "%{customdata[0]:.2f}<extra>" + str(arm) + "</extra>"))
    fig.update_layout(barmode="group", title="Complaints per 100 customers, before and after",
                      yaxis_title="complaints per 100 customers")
    return _div(fig, chart_id, height=320)
