"""The contact policy is never violated: a property test over random plans and histories.

Two random shops (400 customers each: past campaigns with random controls and touches, a
do-not-contact list) and, for each, a random plan of eight waves and a random contact policy
(seeds 11 and 12, fixed before running). The exclusions dbt builds are checked against an
independent pandas reading of the policy: no eligible customer breaks a rule (contact cap, quiet
period, a running campaign's control group, the do-not-contact list), and every exclusion's
reason holds.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest
from dbt_runner import run_dbt

from orchestration.settings import Settings
from sources.contract import CHURN_TYPES, create_raw_schema

CUSTOMERS = 400
SELECT = ("stg_recall_touches stg_recall_assignments stg_recall_campaigns stg_do_not_contact "
          "path:models/marts/recall/plan")
TRACKED_DAYS = 30 + 6 * 30   # first_month_days + effect_months x effect_month_days (defaults)


def _shop(con, rng: random.Random) -> pd.DataFrame:
    create_raw_schema(con)
    ids = [f"c{i:03d}" for i in range(CUSTOMERS)]
    candidates = pd.DataFrame({"customer_id": ids,
                               "churn_type": [rng.choice(CHURN_TYPES) for _ in ids],
                               "is_high_value": False, "is_frequent_buyer": False})
    con.execute("create schema marts")
    con.execute("create table marts.recall_candidates as select * from candidates")
    touch = 0
    for k in range(6):
        cid = f"past{k}"
        start = datetime(2025, 1, 1) + timedelta(days=rng.randrange(0, 200))
        con.execute("insert into raw.recall_campaigns (campaign_id, wave, started_at, ends_at, "
                    "budget, design, holdout_share) values (?, 'mixed', ?, ?, 100, "
                    "'randomized', 0.2)", [cid, start, start + timedelta(days=30)])
        for customer in rng.sample(ids, 120):
            arm = "control" if rng.random() < 0.2 else "treatment"
            con.execute("insert into raw.recall_assignments (campaign_id, customer_id, layer, "
                        "churn_type, arm, offer, channel, assigned_at) values "
                        "(?, ?, 'base', 'silent', ?, 'generic_coupon', 'email', ?)",
                        [cid, customer, arm, start])
            if arm == "control":
                continue
            for _ in range(1 + rng.randrange(3)):
                touch += 1
                sent = start + timedelta(days=rng.randrange(0, 25), hours=8)
                con.execute("insert into raw.recall_touches (touch_id, campaign_id, customer_id, "
                            "channel, sent_at, delivered, cost) values (?, ?, ?, 'email', ?, "
                            "true, 0.05)", [f"t{touch}", cid, customer, sent])
    for customer in rng.sample(ids, 25):
        listed = datetime(2025, 1, 1) + timedelta(days=rng.randrange(0, 300))
        con.execute("insert into raw.do_not_contact (customer_id, listed_at, reason) values "
                    "(?, ?, 'opt_out')", [customer, listed])
    return candidates


def _plan(rng: random.Random) -> tuple[list[dict], dict]:
    waves = []
    for k in range(8):
        start = date(2025, 2, 1) + timedelta(days=rng.randrange(0, 240))
        waves.append({
            "campaign_id": f"wave{k}", "kind": "wave",
            "churn_types": rng.sample(list(CHURN_TYPES), rng.randrange(1, 5)),
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=30)).isoformat(),
            "budget": 1000.0, "holdout_share": 0.1, "pilot_share": None, "rollout_of": None,
            "variants": [{"name": "v", "offer": "generic_coupon", "channel": "preferred",
                          "template": "default", "share": 1.0}],
        })
    policy = {"max_contacts": rng.randrange(1, 4), "window_days": rng.choice([14, 30, 60]),
              "quiet_days": rng.choice([0, 7, 14, 45]), "protect_controls": True}
    return waves, policy


def _rules(con, waves, policy, candidates) -> pd.DataFrame:
    """Every (wave, candidate) with each rule evaluated independently in pandas."""
    touches = con.execute("select customer_id, campaign_id, sent_at from raw.recall_touches").df()
    controls = con.execute(
        "select a.customer_id, a.campaign_id, c.started_at from raw.recall_assignments a "
        "join raw.recall_campaigns c using (campaign_id) where a.arm = 'control'").df()
    dnc = con.execute("select customer_id, listed_at from raw.do_not_contact").df()
    rows = []
    for w in waves:
        start = pd.Timestamp(w["starts_on"])
        for customer in candidates[candidates["churn_type"].isin(w["churn_types"])]["customer_id"]:
            t = touches[(touches["customer_id"] == customer) & (touches["sent_at"] < start)]
            c = controls[(controls["customer_id"] == customer)
                         & (controls["started_at"] <= start)
                         & (start < controls["started_at"] + pd.Timedelta(days=TRACKED_DAYS))]
            d = dnc[(dnc["customer_id"] == customer) & (dnc["listed_at"] <= start)]
            rows.append({
                "campaign_id": w["campaign_id"], "customer_id": customer,
                "do_not_contact": not d.empty,
                "protected_control": not c.empty,
                "quiet_period": bool((t["sent_at"] >= start - pd.Timedelta(
                    days=policy["quiet_days"])).any()),
                "contact_cap": int((t["sent_at"] >= start - pd.Timedelta(
                    days=policy["window_days"])).sum()) >= policy["max_contacts"],
            })
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [11, 12])
def test_no_eligible_customer_breaks_the_contact_policy(tmp_path, seed):
    rng = random.Random(seed)
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        candidates = _shop(con, rng)
    waves, policy = _plan(rng)
    run_dbt(warehouse, SELECT, Settings(),
            extra_vars={"recall_plan": waves, "contact_policy": policy})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rules = _rules(con, waves, policy, candidates)
        excluded = con.execute("select campaign_id, customer_id, reason, is_primary_reason "
                               "from marts.recall_contact_exclusions").df()
        eligibility = con.execute("select campaign_id, sum(eligible_count) as eligible "
                                  "from marts.recall_plan_eligibility group by 1").df()
    reasons = ["do_not_contact", "protected_control", "quiet_period", "contact_cap"]
    flagged = excluded.groupby(["campaign_id", "customer_id"]).size().rename("n").reset_index()
    merged = rules.merge(flagged, on=["campaign_id", "customer_id"], how="left")
    eligible = merged[merged["n"].isna()]
    broken = eligible[eligible[reasons].any(axis=1)]
    assert broken.empty, f"eligible customers breaking the policy {policy}:\n{broken.head()}"
    # every exclusion names a rule that holds, and the expected rules are all found
    long = rules.melt(id_vars=["campaign_id", "customer_id"], value_vars=reasons,
                      var_name="reason", value_name="holds")
    expected = long[long["holds"]].drop(columns="holds")
    got = excluded[["campaign_id", "customer_id", "reason"]]
    pd.testing.assert_frame_equal(
        got.sort_values(list(got.columns)).reset_index(drop=True),
        expected.sort_values(list(expected.columns)).reset_index(drop=True))
    assert (excluded.groupby(["campaign_id", "customer_id"])["is_primary_reason"].sum() == 1).all()
    counted = dict(zip(eligibility["campaign_id"], eligibility["eligible"]))
    for w in waves:
        assert counted.get(w["campaign_id"], 0) == len(eligible[eligible["campaign_id"]
                                                               == w["campaign_id"]])
    assert len(excluded) > 0 and len(eligible) > 0
