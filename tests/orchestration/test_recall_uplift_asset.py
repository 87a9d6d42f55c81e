"""The `recall_uplift` asset (group ml): trains and registers the uplift model from the
warehouse's training rows, and falls back to the rule-based ranking, saying why, when the
recall marts are missing or the randomized history is too small (dg.materialize on a
warehouse holding stand-in marts)."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from ml.synthetic import make_snapshots
from orchestration.defs.resources import build_resources
from orchestration.environment import Environment


def _training_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """Two randomized campaigns over synthetic churn features; the coupon brings back the
    customers with many promo views (a planted effect the model can find)."""
    rng = np.random.default_rng(seed)
    rows = make_snapshots(n, 1, seed=seed)
    control = rng.random(n) < 0.3
    variant = np.where(rng.random(n) < 0.5, "generic_coupon@email", "content@email")
    treated_coupon = ~control & (variant == "generic_coupon@email")
    promo = rows["promo_views_1m"].to_numpy() > np.median(rows["promo_views_1m"])
    p = 0.05 + 0.25 * (treated_coupon & promo)
    return rows.assign(
        campaign_id=np.where(np.arange(n) < n * 0.7, "wave_a", "wave_b"),
        assigned_at=np.where(np.arange(n) < n * 0.7, pd.Timestamp("2025-03-01"),
                             pd.Timestamp("2025-06-01")),
        arm=np.where(control, "control", "treatment"), variant=variant,
        layer=rng.choice(["base", "core"], n), churn_type=rng.choice(["silent", "price_sensitive"], n),
        is_converted=(rng.random(n) < p).astype(int))


def _materialize(home, rows: pd.DataFrame | None):
    from orchestration.defs.ml.assets import recall_uplift

    import duckdb

    env = Environment(home).prepare()
    duckdb.connect(str(env.warehouse)).close()   # a warehouse without the recall marts
    if rows is not None:
        campaigns = rows.groupby("campaign_id").agg(
            assigned_count=("arm", "size"),
            control_count=("arm", lambda a: int((a == "control").sum()))).reset_index().assign(
            design="randomized", training_assignment_count=lambda c: c.assigned_count,
            exclusion_reason=None)
        with duckdb.connect(str(env.warehouse)) as con:
            con.execute("create schema if not exists marts")
            con.register("rows_df", rows)
            con.register("campaigns_df", campaigns)
            con.execute("create table marts.recall_uplift_training_rows as select * from rows_df")
            con.execute("create table marts.recall_uplift_campaigns as select * from campaigns_df")
    with dg.instance_for_test() as instance:
        result = dg.materialize([recall_uplift], instance=instance,
                                resources=build_resources(str(home)))
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_trains_registers_and_reports_the_evaluation(churn_home):
    meta = _materialize(churn_home, _training_rows(4000))
    assert meta["targeting"] == "uplift model"
    assert (meta["registered_model"], meta["alias"], meta["model_version"]) == (
        "recall_uplift", "champion", "1")
    assert meta["holdout"].startswith("campaign wave_b")
    assert "qini_coefficient/model/generic_coupon.email" in {
        k.removeprefix("metric/") for k in meta}
    assert meta["metric/qini_coefficient/model/generic_coupon.email"] > meta[
        "metric/qini_coefficient/random/generic_coupon.email"]
    assert "| wave_a |" in meta["campaigns"] and "group_average" in meta["evaluation"]
    assert any(k.startswith("plot/qini_") for k in meta)


@pytest.mark.parametrize("rows, reason", [
    (None, "not built yet"),
    ("small", "fewer than uplift_min_rows_per_arm=200"),
])
def test_without_randomized_history_targeting_falls_back_and_says_so(churn_home, rows, reason):
    frame = _training_rows(400) if rows == "small" else None
    meta = _materialize(churn_home, frame)
    assert meta["targeting"] == "rule-based ranking"
    assert reason in meta["fallback_reason"]
    assert "rule-based ranking" in meta["fallback_reason"]
