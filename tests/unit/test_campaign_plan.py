"""The plan report (`churn-recall plan`): expected arms, sample sizes, refusals, dbt vars."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from ml.experiment import minimum_detectable_effect
from orchestration import campaign_plan as cp
from orchestration.environment import Environment
from orchestration.settings import Settings
from sources.contract import create_raw_schema
from sources.plan import PlanError, parse_plan

PLAN = """\
contact_policy: {max_contacts: 1, window_days: 30, quiet_days: 7, protect_controls: true}
waves:
  - campaign_id: w1
    churn_types: [silent]
    starts_on: 2026-04-01
    budget: 100
    holdout_share: 0.2
    variants:
      - {name: content, offer: content_recommendation, channel: email, share: 0.5}
      - {name: coupon, offer: generic_coupon, channel: email, share: 0.5}
"""


def _counts(base: int, excluded: int = 0) -> dict:
    return {"base": {"candidate_count": base + excluded, "eligible_count": base,
                     "do_not_contact_count": excluded, "protected_control_count": 0,
                     "quiet_period_count": 0, "contact_cap_count": 0}}


def test_arms_follow_shares_holdout_and_budget():
    wave = parse_plan(PLAN).wave("w1")
    settings = Settings(cost_email=0.05)
    plenty = cp.wave_plan(wave, _counts(1000, excluded=7), settings, base_rate=0.05)
    assert (plenty.candidates, plenty.eligible, plenty.selected) == (1007, 1000, 1000)
    assert plenty.excluded["do_not_contact"] == 7
    content = plenty.variants[0]
    assert (content.treatment, content.control) == (400, 200)
    assert content.minimum_detectable_effect == pytest.approx(
        minimum_detectable_effect(400, 200, 0.05, alpha=0.05, power=0.8))
    # 100 / 0.05 = 2,000 contacts affordable: the budget does not bind; at 1.00 it does
    tight = cp.wave_plan(wave, _counts(1000), Settings(cost_email=1.0), base_rate=0.05)
    assert tight.selected == 100 and tight.variants[0].treatment == 40


def test_an_underpowered_variant_is_flagged_and_rendered():
    wave = parse_plan(PLAN).wave("w1")
    settings = Settings(min_detectable_uplift=0.05)
    small = cp.wave_plan(wave, _counts(200), settings, base_rate=0.05)
    assert [v.name for v in small.underpowered(0.05)] == ["content", "coupon"]
    big = cp.wave_plan(wave, _counts(20000), settings, base_rate=0.05)
    assert big.underpowered(0.05) == []
    text = cp.render([small], settings)
    assert "w1 (wave)" in text and "UNDERPOWERED" in text and "eligible 200" in text
    needed = small.variants[0].needed
    assert f"{needed.n_treatment:,} vs {needed.n_control:,}" in text


def test_the_plan_reaches_dbt_as_vars(tmp_path):
    env = Environment(tmp_path)
    assert cp.dbt_vars(Settings(), env)["recall_plan"] == []
    (tmp_path / "plan.yml").write_text(PLAN)
    out = cp.dbt_vars(Settings(), env)
    assert [w["campaign_id"] for w in out["recall_plan"]] == ["w1"]
    assert out["contact_policy"] == {"max_contacts": 1, "window_days": 30, "quiet_days": 7,
                                     "protect_controls": True}
    assert cp.planned_wave(env, "w1").budget == 100 and cp.planned_wave(env, "x") is None


def test_a_new_wave_in_the_past_is_refused_but_a_registered_one_is_kept():
    con = duckdb.connect()
    create_raw_schema(con)
    con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv) values "
                "('o1', 'c1', ?, 10)", [datetime(2026, 4, 5, 12)])
    plan = parse_plan(PLAN)
    with pytest.raises(PlanError, match=r"plan.yml line 3: wave w1 starts on 2026-04-01, "
                                        r"in the past: .* 2026-04-06 or later"):
        cp.check_dates(con, plan)
    con.execute("insert into raw.recall_campaigns (campaign_id, wave, started_at, ends_at, "
                "budget, design, holdout_share) values ('w1', 'silent', ?, ?, 100, "
                "'randomized', 0.2)", [datetime(2026, 4, 1), datetime(2026, 5, 1)])
    cp.check_dates(con, plan)
    assert cp.first_open_day(con) == date(2026, 4, 6)


def test_a_rollout_waits_for_its_pilots_tracked_winner():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.recall_wave_winners as select * from (values "
                "('p_won', 'content', 'largest significant conversion uplift', true), "
                "('p_none', null, 'no variant beat control after Holm correction', true), "
                "('p_running', 'coupon', 'largest significant conversion uplift', false)) "
                "t(campaign_id, winner_variant, reason, is_window_complete)")
    assert cp.pilot_winner(con, "p_won") == ("content", None)
    assert cp.pilot_winner(con, "p_none") == (
        None, "its pilot p_none has no winner (no variant beat control after Holm correction)")
    assert cp.pilot_winner(con, "p_running") == (
        None, "the first month of its pilot p_running is not over yet")
    assert cp.pilot_winner(con, "p_new") == (
        None, "its pilot p_new has not been exported and tracked yet")
