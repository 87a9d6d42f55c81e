"""Campaign plans: a valid plan parses into frozen dataclasses (and writes back to an equal
plan); every bad plan is refused with `PlanError` naming the plan file's line and the value."""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from sources.contract import (
    CAMPAIGN_KINDS,
    CHANNELS,
    CHURN_TYPES,
    OFFERS,
    WAVE_OF_CHURN_TYPE,
    WAVES,
)
from sources.plan import (
    DEFAULT_FILE_NAME,
    TRIGGER_EVENTS,
    ContactPolicy,
    Offer,
    Plan,
    PlanError,
    Trigger,
    Variant,
    Wave,
    default_plan,
    dump_plan,
    load_plan,
    parse_plan,
    plan_path,
)

EXAMPLE = """\
offers:
  - name: free_gift
    description: a free gift with the next order
defaults:
  holdout_share: 0.10
contact_policy:
  max_contacts: 2
  window_days: 30
  quiet_days: 14
  protect_controls: true
waves:
  - campaign_id: w1_silent
    churn_types: [silent]
    starts_on: 2026-04-06
    days: 30
    budget: 2000
    holdout_share: 0.10
    pilot_share: 0.3
    variants:
      - name: content_email
        offer: content_recommendation
        channel: preferred
        template: default
        share: 0.5
      - name: coupon_email
        offer: generic_coupon
        channel: preferred
        share: 0.5
  - campaign_id: w1_silent_rollout
    rollout_of: w1_silent
    churn_types: [silent]
    starts_on: 2026-05-11
    budget: 8000
  - campaign_id: w2_service
    churn_types: [service_dissatisfied, price_sensitive]
    starts_on: 2026-06-15
    days: 21
    budget: 1500.50
    holdout_share: 0.2
    variants:
      - {name: gift_sms, offer: free_gift, channel: sms, template: sorry_v2, share: 1}
triggers:
  - campaign_id: t_membership
    event: membership_expiring
    days: 14
    holdout_share: 0.10
    variant: {name: renew_email, offer: exclusive_access, channel: email}
  - campaign_id: t_overdue
    event: overdue
    factor: 2.0
    variant: {offer: generic_coupon, channel: in_app, template: nudge}
  - campaign_id: t_competitor
    event: competitor_promotion
    holdout_share: 0.05
    variant: {name: match, offer: price_match}
"""

PILOT = Wave(
    "w1_silent", "pilot", ("silent",), date(2026, 4, 6), date(2026, 5, 6), 2000.0, 0.1, 0.3,
    None, (Variant("content_email", "content_recommendation", "preferred", "default", 0.5),
           Variant("coupon_email", "generic_coupon", "preferred", "default", 0.5)))
ROLLOUT = Wave("w1_silent_rollout", "rollout", ("silent",), date(2026, 5, 11),
               date(2026, 6, 10), 8000.0, 0.1, None, "w1_silent", ())
SERVICE = Wave("w2_service", "wave", ("service_dissatisfied", "price_sensitive"),
               date(2026, 6, 15), date(2026, 7, 6), 1500.5, 0.2, None, None,
               (Variant("gift_sms", "free_gift", "sms", "sorry_v2", 1.0),))
EXPECTED = Plan(
    waves=(PILOT, ROLLOUT, SERVICE),
    triggers=(
        Trigger("t_membership", "membership_expiring", 14, None, 0.1,
                Variant("renew_email", "exclusive_access", "email", "default", 1.0)),
        Trigger("t_overdue", "overdue", None, 2.0, 0.1,
                Variant("generic_coupon_in_app", "generic_coupon", "in_app", "nudge", 1.0)),
        Trigger("t_competitor", "competitor_promotion", None, None, 0.05,
                Variant("match", "price_match", "preferred", "default", 1.0)),
    ),
    contact_policy=ContactPolicy(2, 30, 14, True),
    offers=(Offer("free_gift", "a free gift with the next order"),),
)

MINIMAL = """\
waves:
  - campaign_id: w1
    churn_types: silent
    starts_on: 2026-04-06
    budget: 0
    variants:
      - offer: generic_coupon
"""


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the `nth` line of `text` containing `marker` (a marker ending in a
    newline matches the end of a line)."""
    found = [n for n, line in enumerate(text.splitlines(), start=1)
             if marker in line + "\n"]
    assert len(found) >= nth, f"{marker!r} not {nth} times in the plan text"
    return found[nth - 1]


def swap(old: str, new: str, text: str = EXAMPLE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# -- a valid plan -----------------------------------------------------------------------------


def test_example_parses_to_every_value() -> None:
    plan = parse_plan(EXAMPLE)
    assert plan == EXPECTED
    assert plan.source == DEFAULT_FILE_NAME and plan.warnings == ()
    assert [w.line for w in plan.waves] == [line_of(EXAMPLE, "campaign_id: w1_silent"),
                                           line_of(EXAMPLE, "campaign_id: w1_silent_rollout"),
                                           line_of(EXAMPLE, "campaign_id: w2_service")]
    assert plan.triggers[1].line == line_of(EXAMPLE, "campaign_id: t_overdue")
    assert [w.kind for w in plan.waves] == ["pilot", "rollout", "wave"]
    assert {w.kind for w in plan.waves} <= set(CAMPAIGN_KINDS)
    assert [w.days for w in plan.waves] == [30, 30, 21]
    assert plan.campaign_ids == ("w1_silent", "w1_silent_rollout", "w2_service",
                                 "t_membership", "t_overdue", "t_competitor")
    assert plan.known_offers == {**OFFERS, "free_gift": "a free gift with the next order"}
    assert plan.rollouts_of("w1_silent") == (ROLLOUT,)


def test_plan_is_frozen() -> None:
    plan = parse_plan(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.waves[0].budget = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.contact_policy.max_contacts = 9  # type: ignore[misc]


def test_example_round_trips() -> None:
    plan = parse_plan(EXAMPLE)
    text = dump_plan(plan)
    again = parse_plan(text)
    assert again == plan
    assert dump_plan(again) == text


def test_defaults_apply() -> None:
    plan = parse_plan(MINIMAL)
    wave = plan.wave("w1")
    assert wave == Wave("w1", "wave", ("silent",), date(2026, 4, 6), date(2026, 5, 6), 0.0, 0.1,
                        None, None,
                        (Variant("generic_coupon_preferred", "generic_coupon", "preferred",
                                 "default", 1.0),))
    assert plan.contact_policy == ContactPolicy(2, 30, 14, True)
    assert plan.offers == () and plan.triggers == ()


def test_defaults_holdout_share_applies_to_waves_and_triggers() -> None:
    text = "defaults: {holdout_share: 0.25}\n" + MINIMAL + """\
triggers:
  - {campaign_id: t1, event: warning_stage, variant: {offer: service_recovery}}
  - {campaign_id: t2, event: warning_stage, holdout_share: 0.5, variant: {offer: price_match}}
"""
    plan = parse_plan(text)
    assert plan.wave("w1").holdout_share == 0.25
    assert [t.holdout_share for t in plan.triggers] == [0.25, 0.5]


def test_variants_without_shares_split_equally() -> None:
    text = swap("      - offer: generic_coupon\n",
                "      - {name: a, offer: generic_coupon}\n"
                "      - {name: b, offer: price_match}\n"
                "      - {name: c, offer: exclusive_access}\n", MINIMAL)
    shares = [v.share for v in parse_plan(text).wave("w1").variants]
    assert shares == [1 / 3] * 3


def test_rollout_inherits_the_pilot_churn_types_and_may_start_on_its_end() -> None:
    text = swap("    churn_types: [silent]\n    starts_on: 2026-05-11",
                "    starts_on: 2026-05-06")
    rollout = parse_plan(text).wave("w1_silent_rollout")
    assert rollout.churn_types == ("silent",) and rollout.starts_on == PILOT.ends_on


def test_starts_on_today_is_allowed() -> None:
    assert parse_plan(EXAMPLE, today=date(2026, 4, 6)) == EXPECTED
    assert parse_plan(EXAMPLE, today=datetime(2026, 4, 6, 23, 59)) == EXPECTED


def test_wave_lookup_names_the_known_ids() -> None:
    plan = parse_plan(EXAMPLE)
    assert plan.wave("w2_service") == SERVICE
    assert plan.trigger("t_overdue").factor == 2.0
    with pytest.raises(KeyError, match="has no wave 'w9'.*w1_silent, w1_silent_rollout, "
                                       "w2_service"):
        plan.wave("w9")
    with pytest.raises(KeyError, match="has no trigger 'w1_silent'.*t_membership"):
        plan.trigger("w1_silent")


def test_as_dbt_var() -> None:
    plan = parse_plan(EXAMPLE)
    var = plan.wave("w1_silent").as_dbt_var()
    assert var == {
        "campaign_id": "w1_silent",
        "kind": "pilot",
        "churn_types": ["silent"],
        "starts_on": "2026-04-06",
        "ends_on": "2026-05-06",
        "budget": 2000.0,
        "holdout_share": 0.1,
        "pilot_share": 0.3,
        "rollout_of": None,
        "variants": [
            {"name": "content_email", "offer": "content_recommendation",
             "channel": "preferred", "template": "default", "share": 0.5},
            {"name": "coupon_email", "offer": "generic_coupon", "channel": "preferred",
             "template": "default", "share": 0.5},
        ],
    }
    assert json.loads(json.dumps(var)) == var
    # A rollout has no variants in the plan; the pilot's winner is passed in.
    rollout = plan.wave("w1_silent_rollout")
    assert rollout.as_dbt_var()["variants"] == []
    winner = dataclasses.replace(PILOT.variants[1], share=1.0)
    var = rollout.as_dbt_var([winner])
    assert var["kind"] == "rollout" and var["rollout_of"] == "w1_silent"
    assert var["variants"] == [{"name": "coupon_email", "offer": "generic_coupon",
                                "channel": "preferred", "template": "default", "share": 1.0}]
    assert plan.contact_policy.as_dbt_var() == {"max_contacts": 2, "window_days": 30,
                                                "quiet_days": 14, "protect_controls": True}


def test_wave_name_is_a_contract_wave() -> None:
    plan = parse_plan(EXAMPLE)
    assert plan.wave("w1_silent").wave_name == "silent"
    assert plan.wave("w2_service").wave_name == "mixed"
    assert {w.wave_name for w in plan.waves} <= set(WAVES)
    assert set(WAVE_OF_CHURN_TYPE) == set(CHURN_TYPES)
    assert set(WAVE_OF_CHURN_TYPE.values()) < set(WAVES)


def test_load_plan_and_default_plan(tmp_path: Path) -> None:
    assert default_plan(tmp_path) is None
    assert plan_path(tmp_path) == tmp_path / "plan.yml"
    plan_path(tmp_path).write_text(EXAMPLE, encoding="utf-8")
    assert default_plan(tmp_path) == EXPECTED
    assert load_plan(tmp_path / "plan.yml").source == "plan.yml"
    other = tmp_path / "spring.yml"
    other.write_text(swap("budget: 8000", "budget: -1"), encoding="utf-8")
    with pytest.raises(PlanError, match=r"^spring\.yml line 33: .*budget -1 is negative"):
        load_plan(other)
    with pytest.raises(PlanError, match=r"^spring\.yml line 14: .*dates in the past"):
        load_plan(other, today=date(2026, 5, 1))
    with pytest.raises(PlanError, match="plan file .*missing.yml does not exist"):
        load_plan(tmp_path / "missing.yml")


# -- warnings ---------------------------------------------------------------------------------


@dataclass
class Warned:
    id: str
    text: str
    marker: str
    parts: tuple[str, ...]


COUPON_SHARE = "        channel: preferred\n        share: 0.5\n  - campaign_id: w1_silent_rollout"

WARNINGS = [
    Warned("small_share", swap(COUPON_SHARE, COUPON_SHARE.replace("0.5", "0.05"), swap(
               "template: default\n        share: 0.5", "template: default\n        share: 0.95")),
           "- name: coupon_email", ("variant coupon_email gets share 0.05", "below 0.1")),
    Warned("two_things_changed", swap(COUPON_SHARE, COUPON_SHARE.replace("preferred", "sms")),
           "- name: coupon_email", ("content_email and coupon_email differ in offer and "
                                    "channel", "change one thing per test")),
    Warned("same_variant", swap("offer: generic_coupon\n        channel: preferred\n",
                                "offer: content_recommendation\n        channel: preferred\n"),
           "- name: coupon_email", ("content_email and coupon_email are the same",)),
    Warned("pilot_one_variant", swap("      - {name: gift_sms", "    pilot_share: 0.5\n"
                                     "    variants:\n      - {name: gift_sms").replace(
               "    variants:\n    pilot_share: 0.5\n", "    pilot_share: 0.5\n"),
           "campaign_id: w2_service", ("w2_service is a pilot with one variant",)),
    Warned("budget_zero", swap("budget: 1500.50", "budget: 0"), "budget: 0",
           ("w2_service has budget 0",)),
    Warned("overlap", swap("starts_on: 2026-06-15", "starts_on: 2026-04-20").replace(
               "[service_dissatisfied, price_sensitive]", "[silent, price_sensitive]"),
           "campaign_id: w2_service", ("w1_silent (line 12) and w2_service both target "
                                       "silent from 2026-04-20 to 2026-05-06",)),
    Warned("rollout_other_churn_types", swap("    churn_types: [silent]\n    starts_on: 2026-05",
                                             "    churn_types: [silent, price_sensitive]\n"
                                             "    starts_on: 2026-05"),
           "campaign_id: w1_silent_rollout", ("targets silent, price_sensitive but its pilot "
                                              "w1_silent tested silent",)),
    Warned("two_rollouts", EXAMPLE.replace("triggers:\n", "  - campaign_id: second_rollout\n"
                                           "    rollout_of: w1_silent\n"
                                           "    starts_on: 2026-08-01\n    budget: 1\n"
                                           "triggers:\n"),
           "campaign_id: second_rollout", ("pilot w1_silent already has a rollout (line 29)",)),
]


@pytest.mark.parametrize("case", WARNINGS, ids=[c.id for c in WARNINGS])
def test_warnings_name_their_line(case: Warned) -> None:
    plan = parse_plan(case.text)
    assert len(plan.warnings) == 1, plan.warnings
    warning = plan.warnings[0]
    assert warning.startswith(f"plan.yml line {line_of(case.text, case.marker)}: "), warning
    for part in case.parts:
        assert part in warning, f"{part!r} not in {warning!r}"


# -- refusals ---------------------------------------------------------------------------------


@dataclass
class Refusal:
    id: str
    text: str                         # the bad plan
    marker: str                       # text on the line the message must name
    parts: tuple[str, ...]            # substrings the message must contain
    today: date | None = None
    nth: int = 1                      # the marker's nth occurrence


TRIGGER_OVERDUE = "    event: overdue\n    factor: 2.0\n"

REFUSALS = [
    # the file
    Refusal("not_yaml", swap("churn_types: [silent]", "churn_types: [silent"),
            "starts_on: 2026-04-06", ("not valid YAML",)),
    Refusal("empty_file", "", "", ("the plan is empty", "waves:", "triggers:")),
    Refusal("comments_only", "# nothing yet\n", "", ("the plan is empty",)),
    Refusal("not_a_mapping", "- campaign_id: w1\n", "- campaign_id",
            ("must be a mapping", "offers, defaults, contact_policy, waves, triggers")),
    Refusal("no_waves_no_triggers", "offers: []\nwaves: []\n", "offers:",
            ("the plan is empty", "no waves and no triggers")),
    Refusal("unknown_top_key", swap("waves:\n", "wavs:\n"), "wavs:",
            ("unknown key 'wavs'", "offers, defaults, contact_policy, waves, triggers")),
    Refusal("duplicate_key", swap("    budget: 2000\n", "    budget: 2000\n    budget: 3000\n"),
            "budget: 3000", ("'budget' appears twice", "first on line 16")),
    Refusal("waves_not_a_list", "waves: {campaign_id: w1}\n", "waves:",
            ("waves must be a list", "- campaign_id: ...")),
    Refusal("wave_not_a_mapping", "waves:\n  - w1\n", "- w1",
            ("a wave must be a mapping", "campaign_id, churn_types")),
    # unknown keys
    Refusal("unknown_wave_key", swap("    budget: 2000", "    budgt: 2000"), "budgt:",
            ("wave: unknown key 'budgt'", "campaign_id, churn_types, starts_on, days, budget, "
             "holdout_share, pilot_share, rollout_of, variants")),
    Refusal("unknown_variant_key", swap("        template: default", "        templat: x"),
            "templat:", ("unknown key 'templat'", "name, offer, channel, template, share")),
    Refusal("unknown_trigger_key", swap("    days: 14\n", "    within: 14\n"), "within: 14",
            ("unknown key 'within'", "campaign_id, event, days, factor, holdout_share, "
             "variant")),
    Refusal("unknown_policy_key", swap("  quiet_days: 14", "  quiet: 14"), "quiet: 14",
            ("contact_policy: unknown key 'quiet'",
             "max_contacts, window_days, quiet_days, protect_controls")),
    Refusal("unknown_defaults_key", swap("  holdout_share: 0.10\ncontact",
                                         "  budget: 5\ncontact"), "budget: 5",
            ("defaults: unknown key 'budget'", "holdout_share")),
    Refusal("unknown_offer_key", swap("    description:", "    text:"), "text:",
            ("unknown key 'text'", "name, description")),
    # offers, channels, churn types
    Refusal("unknown_offer", swap("offer: generic_coupon", "offer: big_coupon"),
            "offer: big_coupon", ("offer 'big_coupon' is not known", "generic_coupon, "
                                  "price_match", "free_gift", "declare a shop's own offer "
                                  "under `offers:`")),
    Refusal("unknown_trigger_offer", swap("offer: exclusive_access", "offer: vip"),
            "offer: vip", ("offer 'vip' is not known",)),
    Refusal("shop_offer_named_like_platform", swap("name: free_gift", "name: generic_coupon"),
            "name: generic_coupon", ("'generic_coupon' is already a platform offer",)),
    Refusal("shop_offer_twice", swap("offers:\n", "offers:\n  - {name: free_gift}\n"),
            "name: free_gift", ("offer 'free_gift' appears twice", "first on line 2"), nth=2),
    Refusal("unknown_channel", swap("channel: email", "channel: fax"), "channel: fax",
            ("channel 'fax' is not known", ", ".join(CHANNELS), "preferred")),
    Refusal("unknown_churn_type", swap("churn_types: [silent]", "churn_types: [sleepy]"),
            "churn_types: [sleepy]", ("churn type 'sleepy' is not known",
                                      ", ".join(CHURN_TYPES))),
    Refusal("churn_type_twice", swap("churn_types: [silent]", "churn_types: [silent, silent]"),
            "[silent, silent]", ("'silent' is listed twice",)),
    Refusal("empty_churn_types", swap("churn_types: [silent]", "churn_types: []"),
            "churn_types: []", ("churn_types is empty",)),
    # ids and names
    Refusal("duplicate_id_wave_and_trigger", swap("campaign_id: t_membership",
                                                  "campaign_id: w1_silent"),
            "campaign_id: w1_silent", ("campaign_id 'w1_silent' appears twice",
                                       "first on line 12"), nth=3),
    Refusal("duplicate_wave_id", swap("campaign_id: w2_service", "campaign_id: w1_silent"),
            "campaign_id: w1_silent", ("'w1_silent' appears twice", "first on line 12"), nth=3),
    Refusal("bad_campaign_id", swap("campaign_id: w2_service", "campaign_id: w2 service"),
            "campaign_id: w2 service", ("campaign_id 'w2 service' must be letters",)),
    Refusal("missing_campaign_id", swap("  - campaign_id: w2_service\n    churn_types",
                                        "  - churn_types"),
            "[service_dissatisfied", ("a wave: `campaign_id` is missing",)),
    Refusal("duplicate_variant_name", swap("name: coupon_email", "name: content_email"),
            "name: content_email", ("variant name 'content_email' appears twice in wave "
                                    "w1_silent", "first on line 20"), nth=2),
    # variants
    Refusal("shares_do_not_sum_to_one", swap("        share: 0.5\n  - campaign_id",
                                             "        share: 0.6\n  - campaign_id"),
            "    variants:", ("variant shares sum to 1.1, not 1", "0.5 + 0.6")),
    Refusal("share_given_on_some", swap("        template: default\n        share: 0.5\n",
                                        "        template: default\n"),
            "- name: content_email", ("give `share` on every variant or on none",)),
    Refusal("share_out_of_range", swap("        share: 0.5\n  - campaign_id",
                                       "        share: 0\n  - campaign_id"),
            "share: 0\n", ("variant coupon_email share 0 must be above 0",)),
    Refusal("missing_variants", swap("    variants:\n      - {name: gift_sms, offer: free_gift,"
                                     " channel: sms, template: sorry_v2, share: 1}\n", ""),
            "campaign_id: w2_service", ("wave w2_service: `variants` is missing",)),
    Refusal("empty_variants", swap("    variants:\n      - {name: gift_sms, offer: free_gift,"
                                   " channel: sms, template: sorry_v2, share: 1}\n",
                                   "    variants: []\n"),
            "variants: []", ("wave w2_service variants is empty",)),
    Refusal("variant_without_offer", swap("{name: gift_sms, offer: free_gift, ",
                                          "{name: gift_sms, "),
            "{name: gift_sms", ("`offer` is missing",)),
    Refusal("trigger_variant_share", swap("channel: email}", "channel: email, share: 1}"),
            "share: 1}", ("a trigger has one variant", "remove `share`"), nth=2),
    # dates and numbers
    Refusal("start_in_the_past", EXAMPLE, "starts_on: 2026-04-06",
            ("wave w1_silent starts on 2026-04-06, before 2026-04-07", "dates in the past",
             "2026-04-07 or later"), today=date(2026, 4, 7)),
    Refusal("later_wave_in_the_past", swap("starts_on: 2026-06-15", "starts_on: 2026-04-01"),
            "starts_on: 2026-04-01", ("w2_service starts on 2026-04-01, before 2026-04-06",
                                      "dates in the past"), today=date(2026, 4, 6)),
    Refusal("bad_date", swap("starts_on: 2026-06-15", "starts_on: 2026-13-01"),
            "starts_on: 2026-13-01", ("w2_service starts_on must be a date written YYYY-MM-DD",
                                      "'2026-13-01'")),
    Refusal("date_in_words", swap("starts_on: 2026-06-15", "starts_on: June 15"),
            "starts_on: June 15", ("starts_on must be a date", "'June 15'")),
    Refusal("budget_not_a_number", swap("budget: 1500.50", "budget: lots"), "budget: lots",
            ("w2_service budget must be a number, not 'lots'",)),
    Refusal("budget_nan", swap("budget: 1500.50", "budget: nan"), "budget: nan",
            ("budget must be a finite number", "'nan'")),
    Refusal("negative_budget", swap("budget: 8000", "budget: -5"), "budget: -5",
            ("w1_silent_rollout budget -5 is negative",)),
    Refusal("missing_budget", swap("    budget: 8000\n", ""),
            "campaign_id: w1_silent_rollout", ("`budget` is missing",)),
    Refusal("days_not_whole", swap("days: 21", "days: 21.5"), "days: 21.5",
            ("w2_service days must be a whole number, not '21.5'",)),
    Refusal("days_zero", swap("days: 21", "days: 0"), "days: 0",
            ("w2_service days must be at least 1, not 0",)),
    Refusal("holdout_too_big", swap("holdout_share: 0.2", "holdout_share: 0.6"),
            "holdout_share: 0.6", ("w2_service holdout_share 0.6 is outside (0, 0.5]",)),
    Refusal("holdout_zero", swap("holdout_share: 0.2", "holdout_share: 0"),
            "holdout_share: 0\n", ("holdout_share 0 is outside (0, 0.5]",)),
    Refusal("defaults_holdout", swap("  holdout_share: 0.10\ncontact",
                                     "  holdout_share: -0.1\ncontact"),
            "holdout_share: -0.1", ("defaults.holdout_share -0.1 is outside (0, 0.5]",)),
    Refusal("trigger_holdout", swap("holdout_share: 0.05", "holdout_share: 0.75"),
            "holdout_share: 0.75", ("trigger t_competitor holdout_share 0.75 is outside",)),
    Refusal("pilot_share_one", swap("pilot_share: 0.3", "pilot_share: 1"), "pilot_share: 1",
            ("w1_silent pilot_share 1 is outside (0, 1)",)),
    Refusal("pilot_share_zero", swap("pilot_share: 0.3", "pilot_share: 0.0"),
            "pilot_share: 0.0", ("pilot_share 0 is outside (0, 1)",)),
    Refusal("policy_not_whole", swap("max_contacts: 2", "max_contacts: two"),
            "max_contacts: two", ("contact_policy.max_contacts must be a whole number, "
                                  "not 'two'",)),
    Refusal("policy_zero_contacts", swap("max_contacts: 2", "max_contacts: 0"),
            "max_contacts: 0", ("contact_policy.max_contacts must be at least 1, not 0",)),
    Refusal("policy_negative_quiet", swap("quiet_days: 14", "quiet_days: -1"),
            "quiet_days: -1", ("quiet_days must be at least 0, not -1",)),
    Refusal("policy_not_boolean", swap("protect_controls: true", "protect_controls: maybe"),
            "protect_controls: maybe", ("protect_controls must be true or false, not 'maybe'",)),
    # rollouts
    Refusal("rollout_of_unknown", swap("rollout_of: w1_silent", "rollout_of: w0_silent"),
            "rollout_of: w0_silent", ("rollout_of 'w0_silent' names no wave",
                                      "w1_silent, w1_silent_rollout, w2_service")),
    Refusal("rollout_of_a_trigger", swap("rollout_of: w1_silent", "rollout_of: t_overdue"),
            "rollout_of: t_overdue", ("rollout_of 't_overdue' names no wave",)),
    Refusal("rollout_of_not_a_pilot", swap("    pilot_share: 0.3\n", ""),
            "rollout_of: w1_silent", ("rollout_of 'w1_silent' is a wave, not a pilot",
                                      "line 12", "pilot_share")),
    Refusal("rollout_of_a_rollout", EXAMPLE.replace(
                "triggers:\n", "  - {campaign_id: r2, rollout_of: w1_silent_rollout, "
                               "starts_on: 2026-09-01, budget: 1}\ntriggers:\n"),
            "campaign_id: r2", ("'w1_silent_rollout' is a rollout, not a pilot",)),
    Refusal("rollout_before_pilot_ends", swap("starts_on: 2026-05-11", "starts_on: 2026-05-05"),
            "starts_on: 2026-05-05", ("rollout w1_silent_rollout starts on 2026-05-05, before "
                                      "its pilot w1_silent ends on 2026-05-06",
                                      "2026-05-06 or later")),
    Refusal("rollout_with_variants", swap("    budget: 8000\n", "    budget: 8000\n    variants:"
                                          "\n      - {offer: generic_coupon}\n"),
            "    variants:", ("w1_silent_rollout is a rollout of w1_silent",
                              "`variants` is not allowed"), nth=2),
    Refusal("rollout_and_pilot", swap("    budget: 8000\n", "    budget: 8000\n"
                                      "    pilot_share: 0.2\n"),
            "pilot_share: 0.2", ("is a rollout (rollout_of w1_silent) and cannot be a pilot",)),
    # triggers
    Refusal("unknown_event", swap("event: overdue", "event: birthday"), "event: birthday",
            ("trigger t_overdue event 'birthday' is not known", ", ".join(TRIGGER_EVENTS))),
    Refusal("membership_without_days", swap("    days: 14\n", ""),
            "campaign_id: t_membership", ("event membership_expiring needs `days: N`",)),
    Refusal("overdue_without_factor", swap("    factor: 2.0\n", ""),
            "campaign_id: t_overdue", ("event overdue needs `factor: k`",)),
    Refusal("overdue_with_days", swap(TRIGGER_OVERDUE, TRIGGER_OVERDUE + "    days: 3\n"),
            "    days: 3\n", ("event overdue does not use `days` (it uses `factor`)",)),
    Refusal("competitor_with_factor", swap("    event: competitor_promotion\n",
                                           "    event: competitor_promotion\n    factor: 3\n"),
            "factor: 3", ("competitor_promotion does not use `factor` (it needs no setting)",)),
    Refusal("factor_not_above_one", swap("factor: 2.0", "factor: 0.5"), "factor: 0.5",
            ("t_overdue factor 0.5 must be above 1",)),
    Refusal("factor_not_a_number", swap("factor: 2.0", "factor: twice"), "factor: twice",
            ("t_overdue factor must be a number, not 'twice'",)),
    Refusal("trigger_days_zero", swap("    days: 14\n", "    days: 0\n"), "days: 0",
            ("t_membership days must be at least 1",)),
    Refusal("trigger_without_variant", swap("    variant: {name: match, offer: price_match}\n",
                                            ""),
            "campaign_id: t_competitor", ("trigger t_competitor: `variant` is missing",)),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_refused_plan_names_its_line_and_value(case: Refusal) -> None:
    with pytest.raises(PlanError) as info:
        parse_plan(case.text, today=case.today)
    message = str(info.value)
    assert "\n" not in message
    line = line_of(case.text, case.marker, case.nth) if case.marker else 1
    assert message.startswith(f"plan.yml line {line}: "), message
    for part in case.parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_refusal_ids_are_unique() -> None:
    ids = [c.id for c in REFUSALS]
    assert len(ids) == len(set(ids))


def test_past_check_is_skipped_without_today() -> None:
    assert parse_plan(EXAMPLE, today=None) == EXPECTED
    with pytest.raises(PlanError, match="dates in the past"):
        parse_plan(EXAMPLE, today=date(2030, 1, 1))


# -- property: random valid plans parse -------------------------------------------------------


def _random_variants(rng: random.Random, offers: list[str]) -> list[dict]:
    count = rng.randint(1, 4)
    cuts = sorted(rng.sample(range(1, 100), count - 1))
    shares = [(b - a) / 100 for a, b in zip([0] + cuts, cuts + [100], strict=True)]
    out = []
    for i, share in enumerate(shares):
        variant = {"name": f"v{i}_{rng.choice('abc')}", "offer": rng.choice(offers)}
        if rng.random() < 0.7:
            variant["channel"] = rng.choice(CHANNELS + ("preferred",))
        if rng.random() < 0.4:
            variant["template"] = rng.choice(("default", "urgent", "plain-v2"))
        variant["share"] = share
        out.append(variant)
    return out


def _random_plan(rng: random.Random) -> tuple[dict, Plan]:
    """A random valid plan as YAML data and the Plan it must parse to."""
    doc: dict = {}
    shop = [f"shop_offer_{i}" for i in range(rng.randint(0, 3))]
    offers = list(OFFERS) + shop
    if shop:
        doc["offers"] = [{"name": n, "description": f"offer {n}"} for n in shop]
    default_holdout = 0.1
    if rng.random() < 0.5:
        default_holdout = rng.choice((0.05, 0.1, 0.2, 0.5))
        doc["defaults"] = {"holdout_share": default_holdout}
    policy = ContactPolicy()
    if rng.random() < 0.5:
        policy = ContactPolicy(rng.randint(1, 5), rng.randint(1, 90), rng.randint(0, 30),
                               rng.random() < 0.5)
        doc["contact_policy"] = dataclasses.asdict(policy)
    waves, expected_waves = [], []
    start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 365))
    for i in range(rng.randint(0 if rng.random() < 0.2 else 1, 4)):
        entry: dict = {"campaign_id": f"w{i}",
                       "churn_types": rng.sample(CHURN_TYPES, rng.randint(1, 4)),
                       "starts_on": start.isoformat(), "budget": rng.randint(0, 10**6) / 100}
        days = 30
        if rng.random() < 0.5:
            days = entry["days"] = rng.randint(1, 120)
        holdout = default_holdout
        if rng.random() < 0.5:
            holdout = entry["holdout_share"] = rng.choice((0.01, 0.1, 0.25, 0.5))
        pilot = None
        if rng.random() < 0.4:
            pilot = entry["pilot_share"] = rng.choice((0.05, 0.3, 0.5, 0.99))
        entry["variants"] = _random_variants(rng, offers)
        variants = tuple(Variant(v["name"], v["offer"], v.get("channel", "preferred"),
                                 v.get("template", "default"), v["share"])
                         for v in entry["variants"])
        wave = Wave(entry["campaign_id"], "pilot" if pilot else "wave",
                    tuple(entry["churn_types"]), start, start + timedelta(days=days),
                    entry["budget"], holdout, pilot, None, variants)
        waves.append(entry)
        expected_waves.append(wave)
        start = wave.ends_on + timedelta(days=rng.randint(0, 10))
        if pilot and rng.random() < 0.7:
            rollout = {"campaign_id": f"w{i}_rollout", "rollout_of": wave.campaign_id,
                       "starts_on": start.isoformat(), "budget": 100}
            waves.append(rollout)
            expected_waves.append(Wave(rollout["campaign_id"], "rollout", wave.churn_types,
                                       start, start + timedelta(days=30), 100.0,
                                       default_holdout, None, wave.campaign_id, ()))
    if waves:
        doc["waves"] = waves
    triggers, expected_triggers = [], []
    for i in range(rng.randint(0 if waves else 1, 3)):
        event = rng.choice(TRIGGER_EVENTS)
        entry = {"campaign_id": f"t{i}", "event": event}
        days = factor = None
        if event == "membership_expiring":
            days = entry["days"] = rng.randint(1, 60)
        if event == "overdue":
            factor = entry["factor"] = rng.choice((1.5, 2, 3.25))
        variant = {"offer": rng.choice(offers)}
        if rng.random() < 0.5:
            variant["name"] = f"tv{i}"
        if rng.random() < 0.5:
            variant["channel"] = rng.choice(CHANNELS)
        entry["variant"] = variant
        channel = variant.get("channel", "preferred")
        expected_triggers.append(Trigger(
            entry["campaign_id"], event, days, factor, default_holdout,
            Variant(variant.get("name", f"{variant['offer']}_{channel}"), variant["offer"],
                    channel, "default", 1.0)))
        triggers.append(entry)
    if triggers:
        doc["triggers"] = triggers
    offers_expected = tuple(Offer(n, f"offer {n}") for n in shop)
    return doc, Plan(tuple(expected_waves), tuple(expected_triggers), policy, offers_expected)


def test_random_valid_plans_parse() -> None:
    rng = random.Random(20260406)
    kinds = set()
    for _ in range(120):
        doc, expected = _random_plan(rng)
        text = yaml.safe_dump(doc, sort_keys=rng.random() < 0.5,
                              default_flow_style=rng.choice((False, None)))
        plan = parse_plan(text)
        assert plan == expected, text
        assert parse_plan(dump_plan(plan)) == plan
        first = min((w.starts_on for w in plan.waves), default=None)
        assert parse_plan(text, today=first) == plan
        for wave in plan.waves:
            assert json.loads(json.dumps(wave.as_dbt_var())) == wave.as_dbt_var()
            kinds.add(wave.kind)
        for warning in plan.warnings:
            assert warning.startswith("plan.yml line ")
    assert kinds == {"wave", "pilot", "rollout"}


def test_random_share_breaks_are_refused_on_the_variants_line() -> None:
    rng = random.Random(7)
    refused = 0
    for _ in range(100):
        doc, _ = _random_plan(rng)
        plain = [w for w in doc.get("waves", []) if "variants" in w]
        if not plain:
            continue
        wave = rng.choice(plain)
        share = wave["variants"][0]["share"]
        wave["variants"][0]["share"] = round(share + (0.01 if share <= 0.5 else -0.01), 6)
        text = yaml.safe_dump(doc, sort_keys=False)
        with pytest.raises(PlanError) as info:
            parse_plan(text)
        message = str(info.value)
        marker = f"campaign_id: {wave['campaign_id']}\n"
        after = text.splitlines()[line_of(text, marker) - 1:]
        variants_line = line_of(text, marker) + next(
            i for i, line in enumerate(after) if line.strip() == "variants:")
        assert message.startswith(f"plan.yml line {variants_line}: "), message
        assert f"wave {wave['campaign_id']}: variant shares sum to" in message
        refused += 1
    assert refused > 50


# -- the docs ---------------------------------------------------------------------------------


def test_docs_example_parses_and_its_dbt_var_is_shown() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "plans.md").read_text()
    example = docs.split("```yaml\n", 1)[1].split("```", 1)[0]
    plan = parse_plan(example, today=date(2026, 4, 6))
    assert plan.warnings == ()
    assert [w.kind for w in plan.waves] == ["pilot", "rollout", "wave"]
    assert [t.event for t in plan.triggers] == ["membership_expiring", "overdue",
                                                "competitor_promotion"]
    shown = json.loads(docs.split("```json\n", 1)[1].split("```", 1)[0])
    assert shown == plan.wave("w1_silent").as_dbt_var()
