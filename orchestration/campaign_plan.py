"""The campaign plan (CHURN_HOME/plan.yml) in the pipeline: its dbt vars, and the plan report.

`dbt_vars(settings, env)` is what every dbt run gets: the settings plus the plan's waves
(`recall_plan`) and contact policy (`contact_policy`). `plan_report` is `churn-recall plan`:
per wave and variant the eligible customers, the exclusions by reason, and the sample size the
configured minimum detectable effect needs at the configured power.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import date, timedelta

from orchestration.environment import Environment
from orchestration.settings import Settings
from sources.contract import CONTACT_COSTS, LAYER_CHANNELS, LAYERS
from sources.plan import Plan, Wave, load_plan, plan_path

if TYPE_CHECKING:
    from ml.experiment import SampleSize

EXCLUSION_REASONS = ("do_not_contact", "protected_control", "quiet_period", "contact_cap")


def current_plan(env: Environment, *, today: date | None = None) -> Plan | None:
    """The plan in CHURN_HOME, or None when there is none."""
    path = plan_path(env.home)
    return load_plan(path, today=today) if path.exists() else None


def dbt_vars(settings: Settings, env: Environment) -> dict:
    """The settings' dbt vars plus the plan's waves, contact policy and triggers."""
    out = settings.dbt_vars()
    plan = current_plan(env)
    if plan is not None:
        out["recall_plan"] = [w.as_dbt_var() for w in plan.waves]
        out["contact_policy"] = plan.contact_policy.as_dbt_var()
        out["recall_triggers"] = [t.as_dbt_var() for t in plan.triggers]  # triggers (#15)
    return out


def planned_wave(env: Environment, campaign_id: str) -> Wave | None:
    """The plan's wave `campaign_id`, or None when there is no plan or it has no such wave."""
    plan = current_plan(env)
    if plan is None:
        return None
    return next((w for w in plan.waves if w.campaign_id == campaign_id), None)


def first_open_day(con) -> date:
    """The first day a new wave may start: the day after the newest order or event."""
    [(newest,)] = con.execute(
        "select greatest((select max(ordered_at) from raw.orders), "
        "(select max(event_at) from raw.events))").fetchall()
    if newest is None:
        raise ValueError("the warehouse holds no orders or events: load a shop first")
    return newest.date() + timedelta(days=1)


@dataclass
class VariantPlan:
    """The expected arms of one variant and whether they can show the target effect."""

    name: str
    offer: str
    channel: str
    share: float
    treatment: int
    control: int
    minimum_detectable_effect: float | None
    needed: SampleSize

    def reaches(self, target: float) -> bool:
        mde = self.minimum_detectable_effect
        return mde is not None and mde <= target


@dataclass
class WavePlan:
    """One wave's counts: candidates, exclusions by reason, eligible, affordable, variants."""

    wave: Wave
    candidates: int
    excluded: dict[str, int]
    eligible: int
    selected: int
    cost_per_contact: float
    base_rate: float
    variants: list[VariantPlan] = field(default_factory=list)

    def underpowered(self, target: float) -> list[VariantPlan]:
        return [v for v in self.variants if not v.reaches(target)]


def _channel_cost(channel: str, layer: str, costs: dict[str, float]) -> float:
    if channel == "preferred":
        channel = LAYER_CHANNELS[layer][0]
    return costs.get(channel, CONTACT_COSTS.get(channel, 0.0))


def wave_plan(wave: Wave, counts: dict[str, dict], settings: Settings, base_rate: float,
              variants=None) -> WavePlan:
    """Expected arms of `wave` from its eligibility counts per layer (`counts[layer]` has
    candidate_count, eligible_count and <reason>_count); `variants` replaces the wave's (a
    rollout's winner)."""
    from ml.experiment import minimum_detectable_effect, sample_size_per_arm

    variants = tuple(variants if variants is not None else wave.variants)
    costs = settings.channel_costs()
    candidates = sum(c["candidate_count"] for c in counts.values())
    eligible_by_layer = {layer: c["eligible_count"] for layer, c in counts.items()}
    eligible = sum(eligible_by_layer.values())
    excluded = {r: sum(c[f"{r}_count"] for c in counts.values()) for r in EXCLUSION_REASONS}
    in_wave = eligible * (wave.pilot_share or 1.0)
    cost = 0.0
    if eligible:
        cost = sum(v.share * sum(n * _channel_cost(v.channel, layer, costs)
                                 for layer, n in eligible_by_layer.items())
                   for v in variants) / eligible
    affordable = wave.budget / cost if cost > 0 else in_wave
    selected = int(min(in_wave, affordable))
    control = int(round(selected * wave.holdout_share))
    out = WavePlan(wave, candidates, excluded, eligible, selected, cost, base_rate)
    for v in variants:
        # the variant against the wave's pooled control: n_c / (n_t + n_c) at these shares
        h = wave.holdout_share
        needed = sample_size_per_arm(base_rate, settings.min_detectable_uplift,
                                     alpha=settings.alpha, power=settings.power,
                                     control_share=h / (h + v.share * (1 - h)))
        treatment = int(round(selected * v.share * (1 - wave.holdout_share)))
        mde = None
        if treatment >= 1 and control >= 1:
            mde = minimum_detectable_effect(treatment, control, base_rate,
                                            alpha=settings.alpha, power=settings.power)
        out.variants.append(VariantPlan(v.name, v.offer, v.channel, v.share, treatment,
                                        control, mde, needed))
    return out


def _fmt_mde(value: float | None) -> str:
    return "not detectable" if value is None else f"{value:.1%}"


def render(plans: list[WavePlan], settings: Settings) -> str:
    """The plan as text: a block per wave, a line per variant."""
    target = settings.min_detectable_uplift
    lines = [f"Campaign plan: {len(plans)} wave(s); target: detect a conversion uplift of "
             f"{target:.1%} at {settings.power:.0%} power, alpha {settings.alpha}"]
    for p in plans:
        w = p.wave
        parent = f", rollout of {w.rollout_of}" if w.rollout_of else ""
        pilot = f", pilot on {w.pilot_share:.0%}" if w.pilot_share else ""
        lines.append("")
        lines.append(f"{w.campaign_id} ({w.kind}{pilot}{parent}): {', '.join(w.churn_types)}, "
                     f"{w.starts_on} to {w.ends_on}, budget {w.budget:,.0f}, holdout "
                     f"{w.holdout_share:.0%}")
        reasons = ", ".join(f"{r} {n:,}" for r, n in p.excluded.items() if n) or "none"
        cost = f" (about {p.cost_per_contact:.2f} a contact)" if p.variants else ""
        lines.append(f"  candidates {p.candidates:,}; excluded by the contact policy: {reasons}; "
                     f"eligible {p.eligible:,}; in the wave {p.selected:,}{cost}; control "
                     f"conversion assumed {p.base_rate:.1%}")
        for v in p.variants:
            status = "ok" if v.reaches(target) else "UNDERPOWERED"
            lines.append(f"  - {v.name:<24} {v.offer} via {v.channel}, share {v.share:.0%}: "
                         f"treatment {v.treatment:,} vs control {v.control:,}; detects "
                         f"{_fmt_mde(v.minimum_detectable_effect)}; the target needs "
                         f"{v.needed.n_treatment:,} vs {v.needed.n_control:,}: {status}")
        if not p.variants:
            lines.append("  - the pilot's winner (known once the pilot's first month is tracked)")
    return "\n".join(lines)


def _past_control_conversion(con, settings: Settings) -> float:
    """The control conversion of past completed randomized waves, or prior_control_conversion
    when there is none (or it is 0: a test needs a rate strictly between 0 and 1)."""
    row = con.execute(
        "select sum(conversion_rate * targeted_count) / nullif(sum(targeted_count), 0) "
        "from marts.recall_effect_by_layer where arm = 'control' and is_window_complete = 1"
    ).fetchone()
    rate = float(row[0]) if row and row[0] is not None else None
    return rate if rate is not None and 0 < rate < 1 else settings.prior_control_conversion


def pilot_winner(con, pilot_id: str) -> tuple[str | None, str | None]:
    """(the winning variant of pilot `pilot_id`, None) once its first month is tracked, else
    (None, why a rollout of it cannot be sent yet)."""
    row = con.execute("select winner_variant, reason, is_window_complete "
                      "from marts.recall_wave_winners where campaign_id = ?",
                      [pilot_id]).fetchone()
    if row is None:
        return None, f"its pilot {pilot_id} has not been exported and tracked yet"
    winner, reason, complete = row
    if not complete:
        return None, f"the first month of its pilot {pilot_id} is not over yet"
    if winner is None:
        return None, f"its pilot {pilot_id} has no winner ({reason})"
    return winner, None


def _rollout_variants(con, wave: Wave, plan: Plan):
    """A rollout's variant: its pilot's winner (share 1), or none while it is unknown."""
    from dataclasses import replace

    winner, _ = pilot_winner(con, wave.rollout_of)
    pilot = plan.wave(wave.rollout_of)
    return tuple(replace(v, share=1.0) for v in pilot.variants if v.name == winner)


def plan_waves(con, plan: Plan, settings: Settings) -> list[WavePlan]:
    """Each wave's expected arms, from marts.recall_plan_eligibility (built with the plan)."""
    frame = con.execute("select * from marts.recall_plan_eligibility").df()
    base_rate = _past_control_conversion(con, settings)
    out = []
    for wave in plan.waves:
        rows = frame[frame["campaign_id"] == wave.campaign_id]
        counts = {layer: rows[rows["layer"] == layer].drop(
            columns=["campaign_id", "layer", "churn_type"]).sum().to_dict()
            for layer in LAYERS if (rows["layer"] == layer).any()}
        variants = _rollout_variants(con, wave, plan) if wave.rollout_of else None
        out.append(wave_plan(wave, counts, settings, base_rate, variants))
    return out


DEMO_PLAN = """\
# The demo's campaign plan (written by `churn-recall demo`; docs/plans.md describes every field).
# A pilot on 60% of the silent churners tests two offers on their preferred channel (one
# variable: the offer); its rollout sends the winner to the rest once the pilot's first month is
# tracked; a standing trigger campaign writes to members whose tier expires within 14 days.
contact_policy:
  max_contacts: 2
  window_days: 30
  quiet_days: 14
  protect_controls: true
waves:
  - campaign_id: pilot_silent
    churn_types: [silent]
    starts_on: {pilot_day}
    budget: {pilot_budget}
    holdout_share: 0.2
    pilot_share: 0.6
    variants:
      - {{name: content, offer: content_recommendation, channel: preferred, share: 0.5}}
      - {{name: coupon, offer: generic_coupon, channel: preferred, share: 0.5}}
  - campaign_id: rollout_silent
    rollout_of: pilot_silent
    churn_types: [silent]
    starts_on: {rollout_day}
    budget: {rollout_budget}
    holdout_share: 0.1
triggers:
  - campaign_id: trigger_membership
    event: membership_expiring
    days: 14
    holdout_share: 0.2
    variant: {{name: renew, offer: exclusive_access, channel: email}}
"""


def demo_plan(first_day: date, response_days: int) -> str:
    """The demo's plan: a pilot starting on `first_day`, its rollout after the pilot's tracked
    response (`response_days` later, when the simulator's responses end)."""
    return DEMO_PLAN.format(pilot_day=first_day.isoformat(), pilot_budget=5000,
                            rollout_day=(first_day + timedelta(days=response_days)).isoformat(),
                            rollout_budget=20000)


def check_dates(con, plan: Plan) -> None:
    """Refuse waves not registered yet that start before the first open day (the past); waves
    already registered in raw.recall_campaigns have run and keep their dates."""
    from sources.plan import PlanError

    today = first_open_day(con)
    registered = {r[0] for r in con.execute("select campaign_id from raw.recall_campaigns"
                                            ).fetchall()}
    for w in plan.waves:
        if w.campaign_id not in registered and w.starts_on < today:
            raise PlanError(f"{plan.source} line {w.line}: wave {w.campaign_id} starts on "
                            f"{w.starts_on}, in the past: the data ends on "
                            f"{today - timedelta(days=1)}, so a new wave starts on {today} or "
                            "later")
