"""The demo end to end at a tiny size, in a temporary CHURN_HOME, through the real CLI."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def demo_home(demo_run):
    home, done = demo_run
    return home, done.stdout


def _one(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchone()


def _all(home, sql):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("table", [
    "raw.customers", "raw.orders", "raw.events", "marts.customer_snapshots",
    "marts.customer_lifecycle", "marts.customer_value", "ml.churn_scores",
    "marts.recall_candidates", "marts.recall_segments", "marts.recall_effect_first_month",
    "marts.recall_effect_six_months", "marts.recall_dashboard",
])
def test_every_table_has_rows(demo_home, table):
    home, _ = demo_home
    assert _one(home, f"select count(*) from {table}")[0] > 0


def test_label_rate_is_strictly_between_zero_and_one(demo_home):
    home, _ = demo_home
    rate = _one(home, "select avg(is_churned_label) from marts.customer_snapshots "
                      "where is_churned_label is not null")[0]
    assert 0 < rate < 1


def test_scores_are_probabilities_with_deciles(demo_home):
    home, _ = demo_home
    lo, hi, dmin, dmax = _one(home, "select min(churn_probability), max(churn_probability), "
                                    "min(risk_decile), max(risk_decile) from ml.churn_scores")
    assert 0 <= lo <= hi <= 1
    assert (dmin, dmax) == (1, 10)


def test_mlflow_run_with_auc_and_champion_alias(demo_home):
    from mlflow import MlflowClient

    home, _ = demo_home
    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    champion = client.get_model_version_by_alias("churn_xgboost", "champion")
    auc = client.get_run(champion.run_id).data.metrics["auc"]
    assert 0.6 < auc <= 1.0


def test_segments_have_both_arms_in_every_layer(demo_home):
    home, _ = demo_home
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        arms = con.execute("select layer, count(distinct arm) from marts.recall_segments "
                           "group by 1").fetchall()
    assert arms and all(n == 2 for _, n in arms if _ != "core") and len(arms) >= 2


def test_effect_tables_cover_past_waves_and_six_months(demo_home):
    home, _ = demo_home
    campaigns = _one(home, "select count(distinct campaign_id) from "
                           "marts.recall_effect_first_month")[0]
    months = _one(home, "select max(month_number) from marts.recall_effect_six_months")[0]
    assert campaigns >= 4
    assert months == 6


def test_summary_names_auc_uplift_and_ui(demo_home):
    _, out = demo_home
    assert "AUC" in out and "uplift" in out and "churn-recall ui" in out
    assert "Targeting: " in out            # uplift model or, without one, the rule and why


def test_crm_export_marks_control_do_not_contact(demo_home):
    import pandas as pd

    from sources.crm_export import crm_path

    home, _ = demo_home
    crm = pd.read_parquet(crm_path(home / "exports", "pilot_silent", "parquet"))
    assert set(crm["arm"]) == {"treatment", "control"}
    assert crm.loc[crm["arm"] == "control", "is_do_not_contact"].all()
    assert set(crm["variant"]) == {"content", "coupon"}
    assert set(crm.loc[crm["variant"] == "content", "offer"]) == {"content_recommendation"}
    assert crm["churn_cause"].dropna().isin(["price", "service", "competitor", "activity"]).all()
    assert crm["churn_cause"].notna().any()


def test_holdout_is_the_hash_rule_stratified_by_layer_and_variant(demo_home):
    import hashlib
    import math

    from sources.plan import load_plan

    home, _ = demo_home
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        seg = con.execute("select campaign_id, customer_id, holdout_stratum, arm "
                          "from marts.recall_segments").df()
    assert not seg.empty
    [campaign_id] = seg["campaign_id"].unique()
    wave = load_plan(home / "plan.yml").wave(campaign_id)
    for stratum, group in seg.groupby("holdout_stratum"):
        ranked = sorted(group.itertuples(), key=lambda r: (
            hashlib.md5(f"{r.campaign_id}|{r.customer_id}".encode()).hexdigest(), r.customer_id))
        n_control = math.floor(len(ranked) * wave.holdout_share + 0.5)
        expected = {r.customer_id for r in ranked[:n_control]}
        actual = set(group.loc[group["arm"] == "control", "customer_id"])
        assert actual == expected, stratum


def test_the_plan_runs_as_waves_with_variants_and_a_trigger(demo_home):
    home, out = demo_home
    assert "Campaign plan: 2 wave(s)" in out and "pilot_silent (pilot, pilot on 60%)" in out
    campaigns = dict(_all(home, "select campaign_id, kind from raw.recall_campaigns"))
    assert campaigns["pilot_silent"] == "pilot"
    assert {"wave_silent", "wave_service", "wave_competitor", "wave_price"} <= set(campaigns)
    variants = _all(home, "select variant, count(*) from raw.recall_assignments "
                          "where campaign_id = 'pilot_silent' group by 1 order by 1")
    assert [v for v, _ in variants] == ["content", "coupon"]
    assert "Variants (conversion uplift" in out and "pilot_silent" in out
    winner = _one(home, "select winner_variant, reason from marts.recall_wave_winners "
                        "where campaign_id = 'pilot_silent'")
    if winner[0] is None:   # the rollout waits for a winner and says why
        assert f"rollout_silent is not sent: its pilot pilot_silent has no winner ({winner[1]})" \
            in out
    else:
        assert campaigns["rollout_silent"] == "rollout"
        assert _one(home, "select count(distinct variant), min(variant) from "
                          "raw.recall_assignments where campaign_id = 'rollout_silent'") == \
            (1, winner[0])
    with _instance(home) as instance:
        import dagster as dg

        event = instance.get_latest_materialization_event(
            dg.AssetKey("recall_trigger_batches"))
    assert event is not None and "trigger_membership" in str(event.asset_materialization.metadata)


def test_recall_plots_are_written(demo_home):
    home, _ = demo_home
    names = {p.name for p in (home / "plots").glob("recall_*.png")}
    assert names == {"recall_six_months.png", "recall_roi_by_channel.png", "recall_funnel.png"}


def _instance(home):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(home / "dagster"))


def test_mart_warning_checks_ran_and_passed(demo_home):
    import dagster as dg

    home, _ = demo_home
    with _instance(home) as instance:
        for asset, check in (("customer_snapshots", "label_rate"),
                             ("recall_segments", "segment_suite"),
                             (("raw", "orders"), "feed_lag")):
            key = dg.AssetCheckKey(dg.AssetKey(asset), check)
            record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                [key])[key]
            evaluation = record.event.dagster_event.event_specific_data
            assert evaluation.passed, (asset, check, evaluation.metadata)


def test_partitions_registered_and_backfillable(demo_home):
    """The demo registers campaign and snapshot-date partitions; one of each materializes, and
    the back-test on the validation snapshot reproduces the AUC logged at training."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.resources import build_resources

    home, _ = demo_home
    with _instance(home) as instance:
        campaigns = instance.get_dynamic_partitions("campaign")
        dates = instance.get_dynamic_partitions("snapshot_date")
        assert {"wave_silent", "wave_service", "wave_competitor"} <= set(campaigns)
        model = instance.get_latest_materialization_event(dg.AssetKey("churn_model"))
        meta = model.asset_materialization.metadata
        validation = meta["labelled_snapshot_dates"].value[-1]
        assert dates == meta["labelled_snapshot_dates"].value and validation in dates
        assets = [*defs.assets, *(defs.asset_checks or [])]
        resources = build_resources(str(home))
        result = dg.materialize(assets, selection="campaign_effects", partition_key="wave_silent",
                                resources=resources, instance=instance)
        report = result.asset_materializations_for_node("campaign_effects")[0].metadata
        assert report["targeted"].value > 0
        assert "| base |" in report["effect_by_layer"].value
        result = dg.materialize(assets, selection="champion_backtest", partition_key=validation,
                                resources=resources, instance=instance)
        backtest = result.asset_materializations_for_node("champion_backtest")[0].metadata
    assert backtest["metric/auc"].value == pytest.approx(meta["metric/auc"].value, abs=1e-9)
    assert _one(home, "select count(*), min(snapshot_date)::varchar from ml.champion_backtest") \
        == (1, validation)
