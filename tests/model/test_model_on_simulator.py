"""The churn model on the simulated shop, judged against the simulator's planted truth.

A 5,000-customer shop (fixed seed) goes through the real dbt models into customer_snapshots and
through `ml.pipeline.train_and_track` (MLflow in a temporary folder). The oracle is the AUC of
the planted true churn probabilities (truth.snapshot_probabilities) on the same validation rows;
the planted churn type of every churner (truth.customers) judges the SHAP reasons.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from dbt_runner import run_dbt

from ml.evaluate import ranking_metrics
from sources.simulator import SimulationConfig, simulate_to_duckdb

CUSTOMERS, MONTHS, SEED = 5000, 18, 7
MAX_ORACLE_GAP = 0.03            # the goal; measured 0.024 at this seed (0.9624 vs 0.9868)
CLEAR_MAJORITY = 0.6             # share of a type's churners whose leading cause names the type
CAUSE_OF_TYPE = {"price_sensitive": "price", "service_dissatisfied": "service",
                 "competitor_attracted": "competitor", "silent": "activity"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from ml.pipeline import train_and_track

    work = tmp_path_factory.mktemp("model_sim")
    warehouse = work / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=CUSTOMERS, months=MONTHS, seed=SEED))
    run_dbt(warehouse, "+customer_snapshots")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        snapshots = con.execute("select * from marts.customer_snapshots").df()
        truth = con.execute("select customer_id, snapshot_date, true_churn_probability "
                            "from truth.snapshot_probabilities").df()
        types = con.execute("select customer_id, churn_type from truth.customers").df()
    result = train_and_track(snapshots, tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
                             artifact_root=work / "artifacts", threads=2, max_rounds=400,
                             business_cutoff=0.5, drift_threshold=0.2)
    validation = snapshots[snapshots["snapshot_date"].astype(str)
                           == result.lineage["validation_snapshot_date"]]
    validation = validation[validation["is_churned_label"].notna()]
    truth["snapshot_date"] = truth["snapshot_date"].astype(str)
    validation = validation.assign(snapshot_date=validation["snapshot_date"].astype(str)).merge(
        truth, on=["customer_id", "snapshot_date"], how="left").merge(
        types, on="customer_id", how="left")
    validation["leading_cause"] = _leading_causes(result, validation, work)
    return result, validation


def _leading_causes(result, rows, work):
    """The served scores' churn_cause, from the version this run registered."""
    from ml.scoring import score

    scores = score(rows, tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
                   model_uri=f"models:/churn_xgboost/{result.model_version}")
    return scores["churn_cause"].to_numpy()


def test_auc_clears_the_floor_and_approaches_the_oracle(trained):
    result, validation = trained
    assert validation["true_churn_probability"].notna().all()     # truth for every row
    oracle = ranking_metrics(validation["is_churned_label"].to_numpy(int),
                             validation["true_churn_probability"].to_numpy())["auc"]
    auc = result.metrics["auc"]
    assert auc >= 0.75
    assert oracle - auc <= MAX_ORACLE_GAP, (auc, oracle)
    assert oracle > auc                                       # the oracle is the ceiling


def test_xgboost_beats_both_baselines(trained):
    m = trained[0].metrics
    assert m["auc"] > m["baseline_recency_auc"]
    assert m["auc"] > m["baseline_logreg_auc"]
    assert m["brier"] <= m["baseline_logreg_brier"]


def test_label_rate_and_calibration_match_the_truth(trained):
    _, validation = trained
    observed = validation["is_churned_label"].mean()
    expected = validation["true_churn_probability"].mean()
    assert abs(observed - expected) < 0.02, (observed, expected)
    assert 0.05 < observed < 0.40
    assert np.isfinite(trained[0].metrics["brier"])


def test_reasons_name_the_planted_churn_type(trained):
    _, validation = trained
    churners = validation[validation["is_churned_label"] == 1]
    assert churners["churn_type"].notna().all()
    for churn_type, cause in CAUSE_OF_TYPE.items():
        of_type = churners[churners["churn_type"] == churn_type]
        others = churners[churners["churn_type"] != churn_type]
        assert len(of_type) >= 30, churn_type
        share = (of_type["leading_cause"] == cause).mean()
        assert share >= CLEAR_MAJORITY, (churn_type, share)
        assert share > 2 * (others["leading_cause"] == cause).mean(), churn_type
