"""The per-customer targeting assets on a warehouse holding stand-in marts (dg.materialize):
`recall_uplift` (group ml) trains and registers the uplift model from the training rows, or
falls back to the rule-based ranking, saying why, when the recall marts are missing or the
randomized history is too small; `customer_lifetime_value` (group ml) values every customer
with orders and checks itself on held-out months; `recall_targeting` (group recall) gives each
candidate its most profitable variant from the uplift champion under the budget."""

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


def _run(home, assets, overrides: dict | None = None) -> dict:
    """Materialize `assets`; the metadata of each by asset key."""
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, instance=instance,
                                resources=build_resources(str(home), overrides))
    return {e.asset_key.to_user_string(): {k: v.value for k, v in
                                           e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()}


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
    return _run(home, [recall_uplift])["recall_uplift"]


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


def _write(home, tables: dict[str, pd.DataFrame]) -> None:
    import duckdb

    env = Environment(home).prepare()
    with duckdb.connect(str(env.warehouse)) as con:
        for name, frame in tables.items():
            schema = name.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            con.register("frame_df", frame)
            con.execute(f"create or replace table {name} as select * from frame_df")
            con.unregister("frame_df")


def test_recall_targeting_picks_each_candidates_most_profitable_variant(churn_home):
    import duckdb

    from orchestration.defs.recall.targeting import recall_targeting

    assert _materialize(churn_home, _training_rows(4000))["alias"] == "champion"
    snapshots = make_snapshots(600, 1, seed=9)
    candidates = snapshots.drop(columns=["snapshot_date", "is_churned_label"]).assign(
        layer="base", churn_type="price_sensitive", candidate_reason="churned",
        pre_churn_monthly_gmv=np.linspace(10, 200, len(snapshots)),
        feature_population="active")
    # per-customer reach: the first 50 candidates get the coupon through the agent only (cost
    # 1,000: never worth it), everyone else by email
    reach = pd.DataFrame([
        {"customer_id": c, "variant": v, "offer": v.split("@")[0], "offer_category": None,
         "channel": "agent" if (i < 50 and v.startswith("generic")) else "email",
         "template": "default",
         "contact_cost": 1000.0 if (i < 50 and v.startswith("generic")) else 0.05}
        for i, c in enumerate(candidates.customer_id)
        for v in ("generic_coupon@email", "content@email")])
    _write(churn_home, {"marts.recall_candidate_features": candidates,
                        "marts.recall_candidate_variants": reach})
    meta = _run(churn_home, [recall_targeting], {"recall_budget": 5.0})["recall_targeting"]
    assert meta["targeting"] == "uplift model"
    assert meta["value_source"] == "pre-churn GMV x 7"
    with duckdb.connect(str(Environment(churn_home).warehouse), read_only=True) as con:
        out = con.execute("select * from ml.recall_targeting").df()
    assert len(out) == meta["dagster/row_count"] == len(candidates)
    contacted = out[out.is_selected]
    assert 0 < len(contacted) == meta["selected"]
    assert contacted.contact_cost.sum() <= 5.0 + 1e-9
    assert (contacted.expected_profit > 0).all()
    # the coupon was planted for customers with many promo views: the coupon (the only
    # variant with an effect) is their choice and their expected uplift is the higher one
    promo = out.merge(snapshots[["customer_id", "promo_views_1m"]], on="customer_id")
    many = promo.promo_views_1m > promo.promo_views_1m.median()
    by_agent = promo.customer_id.isin(candidates.customer_id.head(50))
    assert (promo.variant[many & ~by_agent] == "generic_coupon@email").mean() > 0.9
    # the coupon reaches the first 50 through the agent only: never worth its cost
    assert not (promo.variant[by_agent] == "generic_coupon@email").any()
    # the chosen variant's channel and offer for that customer travel with it
    coupon = out[out.variant == "generic_coupon@email"]
    assert (coupon.channel == "email").all() and (coupon.offer == "generic_coupon").all()
    assert promo.expected_uplift[many].mean() > 2 * promo.expected_uplift[~many].mean()
    # nobody left out was more profitable than someone contacted at the same cost
    skipped = out[~out.is_selected & (out.expected_profit > 0)]
    assert skipped.empty or skipped.expected_profit.max() <= contacted.expected_profit.max()
    expected = (contacted.expected_uplift * contacted.expected_value
                - contacted.contact_cost)
    assert np.allclose(contacted.expected_profit, expected)


def test_recall_targeting_without_a_champion_keeps_the_rule_based_ranking(churn_home):
    import duckdb

    from ml.targeting import TARGETING_COLUMNS
    from orchestration.defs.recall.targeting import recall_targeting

    Environment(churn_home).prepare()
    meta = _run(churn_home, [recall_targeting])["recall_targeting"]
    assert meta["targeting"] == "rule-based ranking"
    assert "no recall_uplift champion" in meta["fallback_reason"]
    # the table recall_segments reads exists, with no row: the rule-based ranking applies
    with duckdb.connect(str(Environment(churn_home).warehouse), read_only=True) as con:
        out = con.execute("select * from ml.recall_targeting").df()
    assert out.empty and list(out.columns) == list(TARGETING_COLUMNS)


def test_customer_lifetime_value_is_written_and_checked_on_held_out_months(churn_home, tmp_path):
    import duckdb

    from orchestration.defs.ml.assets import customer_lifetime_value
    from sources.simulator import SimulationConfig, simulate_to_duckdb

    with duckdb.connect(str(tmp_path / "shop.duckdb")) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=1500, months=15, seed=3))
        orders = con.execute("select customer_id, ordered_at, gmv as paid_gmv, "
                             "status = 'paid' as is_paid from raw.orders").df()
    as_of = orders.ordered_at.max().normalize()
    _write(churn_home, {"intermediate.int_order_facts": orders,
                        "intermediate.int_data_bounds": pd.DataFrame({"as_of_date": [as_of]})})
    meta = _run(churn_home, [customer_lifetime_value])["customer_lifetime_value"]
    assert meta["holdout_mae_model"] < meta["holdout_mae_rule"]
    with duckdb.connect(str(Environment(churn_home).warehouse), read_only=True) as con:
        values = con.execute("select * from ml.customer_lifetime_value").df()
    assert len(values) == meta["dagster/row_count"] == orders[orders.is_paid].customer_id.nunique()
    assert (values.expected_gmv_12m_if_active >= values.expected_gmv_6m_if_active).all()


def test_customer_lifetime_value_without_repeat_buyers_is_skipped_with_the_reason(churn_home):
    from orchestration.defs.ml.assets import customer_lifetime_value

    orders = pd.DataFrame({"customer_id": ["a", "b"], "paid_gmv": [10.0, 20.0], "is_paid": True,
                           "ordered_at": pd.to_datetime(["2025-01-02", "2025-02-03"])})
    _write(churn_home, {"intermediate.int_order_facts": orders,
                        "intermediate.int_data_bounds": pd.DataFrame(
                            {"as_of_date": [pd.Timestamp("2025-06-30")]})})
    meta = _run(churn_home, [customer_lifetime_value])["customer_lifetime_value"]
    assert "no lifetime values" in meta["skipped"] and "pre-churn" in meta["skipped"]
