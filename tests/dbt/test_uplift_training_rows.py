"""The recall uplift model's training rows (issue #16 part 1) on the simulated test warehouse:
features point-in-time at the assignment, both arms in every campaign trained on, the logged
reason of every campaign left out, and exactly the rows the rule allows.

The simulated shop's own waves are small (a handful of control customers or none), so a copy of
the built warehouse gets campaigns added to raw.recall_assignments and raw.recall_campaigns
(inserted by column name): a randomized one over every customer signed up before it (some of
them too recently to have a snapshot before the assignment), and one for each reason a campaign
is left out. The models are built with uplift_min_control_customers 3, so a campaign with 2
complete controls is left out; the shop's own waves get the reason their arm counts call for.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from ml.features import FEATURE_NAMES, KEY_COLUMNS, LABEL_COLUMN
from orchestration.environment import DBT_PROJECT_DIR
from tests.dbt.conftest import build_args, query, run_dbt

MIN_CONTROL = 3
ASSIGNMENT_COLUMNS = ["campaign_id", "customer_id", "assigned_at", "arm", "variant", "offer",
                      "channel", "template", "layer", "churn_type", "is_converted", "is_recalled",
                      "feature_population", "feature_snapshot_date", "feature_age_days"]
# The campaigns added to the copy and the reason each must get (None: used for training).
ADDED = {
    "uplift_randomized": None,
    "uplift_no_control": "no control arm",
    "uplift_no_treatment": "no treatment arm",
    "uplift_few_controls": f"fewer than {MIN_CONTROL} control customers",
    "uplift_open": "first month not complete",
    "uplift_observational": "observational",
}
INSERT_ASSIGNMENTS = """
insert into raw.recall_assignments
    (campaign_id, customer_id, layer, churn_type, arm, offer, channel, assigned_at, variant,
     template)
select
    ?, customer_id, 'base', 'silent', {arm}, 'generic_coupon', 'email', cast(? as timestamp),
    case when hash(customer_id || '|v') % 2 = 0 then 'coupon_a' else 'coupon_b' end, 'default'
from raw.customers
where signup_at < cast(? as timestamp)
order by customer_id
limit ?
"""
CONTROL_BY_HASH = ("case when hash(customer_id || '|arm') % 4 = 0 then 'control' "
                   "else 'treatment' end")
INSERT_CAMPAIGN = """
insert into raw.recall_campaigns
    (campaign_id, wave, started_at, ends_at, budget, design, holdout_share, kind)
values (?, 'silent', cast(? as timestamp), cast(? as timestamp), 1000, ?, 0.25, 'wave')
"""


def _add_campaigns(path: Path) -> None:
    """Add the ADDED campaigns to the raw tables of the warehouse at `path`."""
    con = duckdb.connect(str(path))
    try:
        dates = [row[0] for row in con.execute(
            "select snapshot_date from intermediate.int_snapshot_dates order by snapshot_date"
        ).fetchall()]
        last_day = con.execute(
            "select data_last_day from intermediate.int_data_bounds").fetchone()[0]
        # Two weeks after the second snapshot: customers who signed up between that snapshot
        # and the assignment have no snapshot on or before it.
        past = f"{dates[1] + pd.Timedelta(days=14):%Y-%m-%d} 08:00:00"
        recent = f"{last_day - pd.Timedelta(days=5):%Y-%m-%d} 08:00:00"

        def assign(campaign, arm_sql, at, limit=10_000):
            con.execute(INSERT_ASSIGNMENTS.format(arm=arm_sql), [campaign, at, at, limit])

        assign("uplift_randomized", CONTROL_BY_HASH, past)
        assign("uplift_no_control", "'treatment'", past, 40)
        assign("uplift_no_treatment", "'control'", past, 40)
        assign("uplift_few_controls", "'treatment'", past, 40)
        con.execute(
            "update raw.recall_assignments set arm = 'control' where campaign_id = ? and "
            "customer_id in (select customer_id from raw.recall_assignments "
            "where campaign_id = ? order by customer_id limit ?)",
            ["uplift_few_controls", "uplift_few_controls", MIN_CONTROL - 1])
        assign("uplift_open", CONTROL_BY_HASH, recent)
        assign("uplift_observational", CONTROL_BY_HASH, past)
        for campaign in ADDED:
            design = "observational" if campaign == "uplift_observational" else "randomized"
            con.execute(INSERT_CAMPAIGN, [campaign, past, past, design])
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouse(built_warehouse, dbt_work_dir, tmp_path_factory) -> Path:
    """A copy of the built warehouse with the ADDED campaigns, outcomes and uplift marts rebuilt
    (with their data tests and unit tests)."""
    path = tmp_path_factory.mktemp("uplift") / "warehouse.duckdb"
    shutil.copy(built_warehouse, path)
    _add_campaigns(path)
    run_dbt([*build_args("int_recall_outcomes", "recall_uplift_campaigns",
                         "recall_uplift_training_rows"),
             "--vars", json.dumps({"uplift_min_control_customers": MIN_CONTROL})],
            path, dbt_work_dir)
    return path


@pytest.fixture(scope="module")
def rows(warehouse) -> pd.DataFrame:
    return query(warehouse, "select * from marts.recall_uplift_training_rows "
                            "order by campaign_id, customer_id")


@pytest.fixture(scope="module")
def campaigns(warehouse) -> pd.DataFrame:
    return query(warehouse, "select * from marts.recall_uplift_campaigns").set_index("campaign_id")


@pytest.fixture(scope="module")
def snapshots(warehouse) -> pd.DataFrame:
    return query(warehouse, """
        select 'active' as feature_population, * from marts.customer_snapshots
        union all
        select 'lapsed' as feature_population, * from marts.lapsed_customer_snapshots""")


@pytest.fixture(scope="module")
def outcomes(warehouse) -> pd.DataFrame:
    return query(warehouse, "select * from intermediate.int_recall_outcomes")


def _feature_columns(snapshots: pd.DataFrame) -> list[str]:
    return [c for c in snapshots.columns
            if c not in ("feature_population", *KEY_COLUMNS, LABEL_COLUMN)]


def test_columns_are_the_assignment_then_the_snapshot_features(rows, snapshots):
    features = _feature_columns(snapshots)
    assert features == [*FEATURE_NAMES, "tier", "region"]
    assert list(rows.columns) == [*ASSIGNMENT_COLUMNS, *features]


def test_every_column_is_documented():
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models/marts/recall/uplift/_uplift__models.yml")
                          .read_text())
    model = next(m for m in spec["models"] if m["name"] == "recall_uplift_training_rows")
    documented = [c["name"] for c in model["columns"]]
    assert documented == [*ASSIGNMENT_COLUMNS, *FEATURE_NAMES, "tier", "region"]
    assert all(c.get("description", "").strip() for c in model["columns"])


def test_features_are_the_latest_snapshot_row_on_or_before_the_assignment(rows, snapshots):
    features = _feature_columns(snapshots)
    assert len(rows) > 100
    assert set(rows.feature_population) == {"active", "lapsed"}
    assert (rows.feature_snapshot_date <= rows.assigned_at).all()
    # The latest snapshot of the customer (either population) on or before the assignment.
    candidates = rows[["campaign_id", "customer_id", "assigned_at"]].merge(
        snapshots[["customer_id", "snapshot_date"]], on="customer_id")
    latest = (candidates[candidates.snapshot_date <= candidates.assigned_at]
              .groupby(["campaign_id", "customer_id"]).snapshot_date.max())
    chosen = rows.set_index(["campaign_id", "customer_id"]).feature_snapshot_date
    pd.testing.assert_series_equal(chosen.sort_index(), latest.sort_index(), check_names=False)
    # Every feature equals that snapshot row's value, from the mart feature_population names.
    joined = rows.merge(snapshots, how="left", left_on=["customer_id", "feature_snapshot_date",
                                                        "feature_population"],
                        right_on=["customer_id", "snapshot_date", "feature_population"],
                        suffixes=("", "_snapshot"), indicator=True)
    assert (joined._merge == "both").all()
    expected = joined[[f"{c}_snapshot" for c in features]].set_axis(features, axis=1)
    pd.testing.assert_frame_equal(joined[features], expected, check_exact=False, rtol=1e-12)


def _own_wave_reason(wave) -> str | None:
    """The reason a simulated wave (first month complete, randomized) must get."""
    if wave.control_count == 0:
        return "no control arm"
    if wave.complete_control_count < MIN_CONTROL:
        return f"fewer than {MIN_CONTROL} control customers"
    return None


def test_every_used_campaign_has_both_arms(rows, campaigns):
    used = set(campaigns.index[campaigns.is_used_for_training])
    assert "uplift_randomized" in used
    assert used - {"uplift_randomized"} <= {"wave_silent", "wave_service", "wave_competitor",
                                             "wave_price"}
    assert set(rows.campaign_id) == used
    arms = rows.groupby("campaign_id").arm.agg(set)
    assert all(arms[c] == {"treatment", "control"} for c in used)
    controls = rows[rows.arm == "control"].groupby("campaign_id").size()
    assert (controls >= 1).all()


def test_campaigns_left_out_carry_their_reason(campaigns):
    own = campaigns.loc[campaigns.index.str.startswith("wave_")]
    assert set(own.index) == {"wave_silent", "wave_service", "wave_competitor", "wave_price"}
    expected = {**ADDED, **{c: _own_wave_reason(w) for c, w in own.iterrows()}}
    reasons = {c: (r if isinstance(r, str) else None)
               for c, r in campaigns.exclusion_reason.items()}
    assert reasons == expected
    assert (campaigns.is_used_for_training == campaigns.exclusion_reason.isna()).all()
    assert (campaigns.min_control_customers == MIN_CONTROL).all()
    no_control = campaigns.loc["uplift_no_control"]
    assert (no_control.assigned_count, no_control.control_count) == (40, 0)
    assert campaigns.loc["uplift_few_controls", "complete_control_count"] == MIN_CONTROL - 1
    assert campaigns.loc["uplift_open", "complete_control_count"] == 0
    assert (campaigns.training_assignment_count[~campaigns.is_used_for_training] == 0).all()


def test_row_count_is_used_assignments_less_customers_without_a_snapshot(rows, campaigns,
                                                                         outcomes, snapshots):
    used = campaigns.index[campaigns.is_used_for_training]
    assignments = outcomes[outcomes.campaign_id.isin(used) & (outcomes.is_window_complete == 1)]
    assert len(assignments) == campaigns.training_assignment_count.sum()
    first_snapshot = snapshots.groupby("customer_id").snapshot_date.min()
    has_snapshot = (assignments.customer_id.map(first_snapshot) <= assignments.assigned_at)
    without = int((~has_snapshot).sum())
    assert without > 0, "no assigned customer lacks a snapshot: the rule went untested"
    assert len(rows) == len(assignments) - without
    kept = set(zip(assignments.campaign_id[has_snapshot], assignments.customer_id[has_snapshot]))
    assert set(zip(rows.campaign_id, rows.customer_id)) == kept
