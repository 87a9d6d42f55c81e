"""PNG plots of recall effects: treatment vs control over the six months per layer (with the
uplift interval as a band), ROI by channel, and each wave's touch funnel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml.plots import _canvas, _save

FUNNEL = ("sent_count", "delivered_count", "opened_count", "clicked_count", "redeemed_count")


def _pooled_by_month(rows: pd.DataFrame) -> pd.Series:
    """GMV per targeted customer by month, pooled over variants (weighted by customers)."""
    weighted = rows.assign(total=rows["gmv_per_customer"] * rows["targeted_count"])
    sums = weighted.groupby("month_number")[["total", "targeted_count"]].sum()
    return sums["total"] / sums["targeted_count"]


def six_month_plot(six_months: pd.DataFrame, campaign_id: str, path: Path) -> Path:
    """GMV per customer by month after the first month, treatment vs control, per layer (pooled
    over the campaign's variants; the uplift band is drawn when the layer had one variant)."""
    data = six_months[six_months["campaign_id"] == campaign_id]
    layers = sorted(data["layer"].unique())
    fig = _canvas(4.0 * max(len(layers), 1), 3.8)
    for i, layer in enumerate(layers, start=1):
        ax = fig.add_subplot(1, len(layers), i)
        sub = data[data["layer"] == layer].sort_values("month_number")
        control = _pooled_by_month(sub[sub["arm"] == "control"])
        treated_rows = sub[sub["arm"] == "treatment"]
        treated = _pooled_by_month(treated_rows)
        ax.plot(control.index, control.values, marker="o", label="control")
        ax.plot(treated.index, treated.values, marker="o", label="treatment")
        if sub["variant"].nunique() == 1:
            band = treated_rows.set_index("month_number")[
                ["gmv_uplift_lower", "gmv_uplift_upper"]].dropna()
            if not band.empty:
                base = control.reindex(band.index)
                ax.fill_between(band.index, base + band["gmv_uplift_lower"],
                                base + band["gmv_uplift_upper"], alpha=0.2,
                                label="95% uplift interval")
        ax.set(title=f"{layer}", xlabel="month after the first month",
               ylabel="GMV per targeted customer")
        ax.legend(fontsize=7)
    fig.suptitle(f"{campaign_id}: six months after recall")
    return _save(fig, path)


def roi_by_channel_plot(dashboard: pd.DataFrame, path: Path) -> Path:
    """First-month ROI of each campaign by channel."""
    data = dashboard[dashboard["channel"] != "all"].dropna(subset=["roi"])
    table = data.pivot_table(index="channel", columns="campaign_id", values="roi")
    fig = _canvas(6.5, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if not table.empty:
        table.plot.bar(ax=ax)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(title="ROI by channel", xlabel="channel", ylabel="ROI (incremental GMV - cost) / cost")
    return _save(fig, path)


def funnel_plot(dashboard: pd.DataFrame, path: Path) -> Path:
    """Sent, delivered, opened, clicked and redeemed contacts of every wave."""
    data = dashboard[dashboard["channel"] == "all"].sort_values("wave_order")
    fig = _canvas(6.5, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    if not data.empty:
        data.set_index("campaign_id")[list(FUNNEL)].plot.bar(ax=ax)
    ax.set(title="Wave funnel", xlabel="campaign", ylabel="contacts")
    return _save(fig, path)
