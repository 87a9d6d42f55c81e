"""Campaign plans: the recall waves, trigger campaigns and contact policy a shop means to run.

A plan is a YAML file (default `CHURN_HOME/plan.yml`; docs/plans.md is the full reference):

```yaml
offers:                      # optional: the shop's own offers besides sources.contract.OFFERS
  - name: free_gift
    description: a free gift with the next order
defaults:                    # optional; a wave's or trigger's own value wins
  holdout_share: 0.10
contact_policy:              # optional; these are the defaults
  max_contacts: 2
  window_days: 30
  quiet_days: 14
  protect_controls: true
waves:
  - campaign_id: w1_silent
    churn_types: [silent]
    starts_on: 2026-04-06
    budget: 2000
    pilot_share: 0.3         # kind pilot
    variants:
      - {name: content_email, offer: content_recommendation, channel: preferred, share: 0.5}
      - {name: coupon_email, offer: generic_coupon, channel: preferred, share: 0.5}
  - campaign_id: w1_silent_rollout
    rollout_of: w1_silent    # kind rollout: the pilot's winning variant
    starts_on: 2026-05-11
    budget: 8000
triggers:
  - campaign_id: t_membership
    event: membership_expiring
    days: 14
    variant: {name: renew_email, offer: exclusive_access, channel: email}
```

`load_plan` / `parse_plan` return a frozen `Plan`; every problem is refused with `PlanError`
whose message names the plan file and line: "plan.yml line 7: ...". Findings that do not stop a
plan (a variant with a small share, variants that change more than one thing) are kept as
`Plan.warnings`, each written the same way.

A wave's window runs from `starts_on` (00:00) for `days` days; `ends_on` is the day it closes
(exclusive, like `raw.recall_campaigns.ends_at` = started_at + days), so a rollout may start on
its pilot's `ends_on`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from sources.contract import CAMPAIGN_KINDS, CHANNELS, CHURN_TYPES, OFFERS, wave_label
from sources.yaml_nodes import NodeReader

DEFAULT_FILE_NAME = "plan.yml"
PREFERRED = "preferred"  # a variant channel: the customer's channel under the layer rule
VARIANT_CHANNELS = CHANNELS + (PREFERRED,)
TRIGGER_EVENTS = ("membership_expiring", "warning_stage", "overdue", "competitor_promotion")
# The trigger setting each event needs; the others use none.
EVENT_SETTING = {"membership_expiring": "days", "overdue": "factor"}
DEFAULT_DAYS = 30
DEFAULT_HOLDOUT_SHARE = 0.10
MAX_HOLDOUT_SHARE = 0.5
DEFAULT_TEMPLATE = "default"
SHARE_TOLERANCE = 1e-6
SMALL_SHARE = 0.1  # a variant below this share gets a warning (too few customers to compare)

TOP_KEYS = ("offers", "defaults", "contact_policy", "waves", "triggers")
OFFER_KEYS = ("name", "description")
DEFAULT_KEYS = ("holdout_share",)
POLICY_KEYS = ("max_contacts", "window_days", "quiet_days", "protect_controls")
WAVE_KEYS = ("campaign_id", "churn_types", "starts_on", "days", "budget", "holdout_share",
             "pilot_share", "rollout_of", "variants")
VARIANT_KEYS = ("name", "offer", "channel", "template", "share")
TRIGGER_KEYS = ("campaign_id", "event", "days", "factor", "holdout_share", "variant")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_INT = re.compile(r"[+-]?\d+\Z")


class PlanError(ValueError):
    """A plan that cannot be used; the message starts "<file> line <n>: "."""


# -- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """An offer the shop declared in its plan (besides the platform's `OFFERS`)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Variant:
    """One treatment arm of a campaign: offer x channel x template, and its share of treatment.

    `channel` is a contact channel or `preferred` (the customer's channel under the layer
    channel rule, `sources.contract.LAYER_CHANNELS`).
    """

    name: str
    offer: str
    channel: str
    template: str = DEFAULT_TEMPLATE
    share: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "offer": self.offer, "channel": self.channel,
                "template": self.template, "share": self.share}


@dataclass(frozen=True)
class ContactPolicy:
    """How often one customer may be contacted, across every campaign of the plan."""

    max_contacts: int = 2          # contacts per customer per rolling window
    window_days: int = 30
    quiet_days: int = 14           # no new contact this many days after a recall contact
    protect_controls: bool = True  # a running campaign's controls are contacted by no other

    def as_dbt_var(self) -> dict[str, Any]:
        return {"max_contacts": self.max_contacts, "window_days": self.window_days,
                "quiet_days": self.quiet_days, "protect_controls": self.protect_controls}


@dataclass(frozen=True)
class Wave:
    """A recall wave: a campaign over given dates for one or more churn types.

    kind is `wave`, `pilot` (a test on `pilot_share` of the eligible customers) or `rollout`
    (the pilot `rollout_of`'s winning variant to the rest; `variants` is empty). `ends_on` is
    the day the window closes (exclusive). `line` is the plan line of the wave's entry.
    """

    campaign_id: str
    kind: str
    churn_types: tuple[str, ...]
    starts_on: date
    ends_on: date
    budget: float
    holdout_share: float
    pilot_share: float | None = None
    rollout_of: str | None = None
    variants: tuple[Variant, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days

    @property
    def wave_name(self) -> str:
        """The contract's `recall_campaigns.wave` value: the churn type's wave, else mixed."""
        return wave_label(self.churn_types)

    def as_dbt_var(self, variants: Sequence[Variant] | None = None) -> dict[str, Any]:
        """The wave as JSON-able values, for the dbt var `recall_wave`.

        `variants` replaces the plan's (a rollout has none in the plan: pass the pilot's
        winning variant, with share 1).
        """
        chosen = self.variants if variants is None else tuple(variants)
        return {
            "campaign_id": self.campaign_id,
            "kind": self.kind,
            "churn_types": list(self.churn_types),
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "budget": self.budget,
            "holdout_share": self.holdout_share,
            "pilot_share": self.pilot_share,
            "rollout_of": self.rollout_of,
            "variants": [v.as_dict() for v in chosen],
        }


@dataclass(frozen=True)
class Trigger:
    """A standing campaign fed by events, with one variant.

    event: `membership_expiring` (tier expires within `days` days), `warning_stage` (the
    customer enters the warning stage), `overdue` (no order for `factor` times the customer's
    usual purchase gap) or `competitor_promotion` (a competitor's promotion is running).
    """

    campaign_id: str
    event: str
    days: int | None
    factor: float | None
    holdout_share: float
    variant: Variant
    line: int = field(default=0, compare=False)

    def as_dbt_var(self) -> dict[str, Any]:
        """The trigger as JSON-able values, one entry of the dbt var `recall_triggers`."""
        variant = self.variant.as_dict()
        variant.pop("share")
        return {"campaign_id": self.campaign_id, "event": self.event, "days": self.days,
                "factor": self.factor, "holdout_share": self.holdout_share, "variant": variant}


@dataclass(frozen=True)
class Plan:
    """A parsed, valid plan. `offers` are the shop's own (see `known_offers` for all)."""

    waves: tuple[Wave, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    contact_policy: ContactPolicy = field(default_factory=ContactPolicy)
    offers: tuple[Offer, ...] = ()
    source: str = field(default=DEFAULT_FILE_NAME, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        return tuple(w.campaign_id for w in self.waves) + tuple(
            t.campaign_id for t in self.triggers)

    @property
    def known_offers(self) -> dict[str, str]:
        """Every offer a variant may name: the platform's, then the shop's."""
        return {**OFFERS, **{o.name: o.description for o in self.offers}}

    def wave(self, campaign_id: str) -> Wave:
        for w in self.waves:
            if w.campaign_id == campaign_id:
                return w
        raise KeyError(f"{self.source} has no wave {campaign_id!r} (waves: "
                       f"{', '.join(w.campaign_id for w in self.waves) or 'none'})")

    def trigger(self, campaign_id: str) -> Trigger:
        for t in self.triggers:
            if t.campaign_id == campaign_id:
                return t
        raise KeyError(f"{self.source} has no trigger {campaign_id!r} (triggers: "
                       f"{', '.join(t.campaign_id for t in self.triggers) or 'none'})")

    def rollouts_of(self, campaign_id: str) -> tuple[Wave, ...]:
        return tuple(w for w in self.waves if w.rollout_of == campaign_id)


# -- parsing --------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:g}"


class _Parser(NodeReader):
    error = PlanError

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.warnings: list[str] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.source} line {line}: {message}")

    def fields(self, node, what: str, allowed: Sequence[str]) -> dict[str, tuple[Any, Any]]:
        """name -> (key node, value node) of a mapping, refusing unknown and repeated keys."""
        return self.keyed(node, what, allowed)

    def items(self, node, what: str, example: str) -> list:
        if self.is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list, each entry starting with "
                                  f"`- {example}`")
        return list(node.value)

    def text(self, node, what: str) -> str:
        value = self.scalar(node, what).strip()
        if not value:
            raise self.fail(node, f"{what} is blank")
        return value

    def name(self, node, what: str) -> str:
        value = self.text(node, what)
        if not _NAME.match(value):
            raise self.fail(node, f"{what} {value!r} must be letters, digits, _, . or - "
                                  "(starting with a letter or digit)")
        return value

    def choice(self, node, what: str, allowed: Sequence[str], hint: str = "") -> str:
        value = self.text(node, what)
        if value not in allowed:
            raise self.fail(node, f"{what} {value!r} is not known (allowed: "
                                  f"{', '.join(allowed)}){hint}")
        return value

    def number(self, node, what: str) -> float:
        if not isinstance(node, yaml.ScalarNode) or self.is_null(node):
            raise self.fail(node, f"{what} must be a number")
        try:
            value = float(node.value.strip().replace("_", ""))
        except ValueError:
            raise self.fail(node, f"{what} must be a number, not {node.value!r}") from None
        if not math.isfinite(value):
            raise self.fail(node, f"{what} must be a finite number, not {node.value!r}")
        return value

    def integer(self, node, what: str, minimum: int) -> int:
        if not isinstance(node, yaml.ScalarNode) or self.is_null(node):
            raise self.fail(node, f"{what} must be a whole number")
        raw = node.value.strip().replace("_", "")
        if not _INT.match(raw):
            raise self.fail(node, f"{what} must be a whole number, not {node.value!r}")
        value = int(raw)
        if value < minimum:
            raise self.fail(node, f"{what} must be at least {minimum}, not {value}")
        return value

    def day(self, node, what: str) -> date:
        value = self.text(node, what)
        try:
            if not _DATE.match(value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(node, f"{what} must be a date written YYYY-MM-DD, not "
                                  f"{node.value!r}") from None

    def holdout(self, node, what: str) -> float:
        value = self.number(node, what)
        if not 0 < value <= MAX_HOLDOUT_SHARE:
            raise self.fail(node, f"{what} {_fmt(value)} is outside (0, {MAX_HOLDOUT_SHARE}]: "
                                  "every campaign keeps a randomized control group of at most "
                                  "half its customers")
        return value


def _required(p: _Parser, node, fields: dict, name: str, what: str):
    if name not in fields or p.is_null(fields[name][1]):
        raise p.fail(node, f"{what}: `{name}` is missing")
    return fields[name][1]


def _offers(p: _Parser, node) -> tuple[Offer, ...]:
    out: dict[str, Offer] = {}
    lines: dict[str, int] = {}
    for entry in p.items(node, "offers", "name: my_offer"):
        f = p.fields(entry, "an offer", OFFER_KEYS)
        name_node = _required(p, entry, f, "name", "an offer")
        name = p.name(name_node, "offer name")
        if name in OFFERS:
            raise p.fail(name_node, f"offer {name!r} is already a platform offer "
                                    f"({OFFERS[name]}); give the shop's offer another name")
        if name in out:
            raise p.fail(name_node, f"offer {name!r} appears twice in offers (first on line "
                                    f"{lines[name]})")
        description = p.text(f["description"][1], f"offers.{name}.description") \
            if "description" in f and not p.is_null(f["description"][1]) else ""
        out[name] = Offer(name, description)
        lines[name] = p.line(name_node)
    return tuple(out.values())


def _policy(p: _Parser, node) -> ContactPolicy:
    if p.is_null(node):
        return ContactPolicy()
    f = p.fields(node, "contact_policy", POLICY_KEYS)
    values: dict[str, Any] = {}
    for name, minimum in (("max_contacts", 1), ("window_days", 1), ("quiet_days", 0)):
        if name in f:
            values[name] = p.integer(f[name][1], f"contact_policy.{name}", minimum)
    if "protect_controls" in f:
        values["protect_controls"] = p.boolean(f["protect_controls"][1],
                                               "contact_policy.protect_controls")
    return ContactPolicy(**values)


def _variant(p: _Parser, node, what: str, offers: dict[str, str], *, with_share: bool
             ) -> tuple[Variant, bool, int]:
    """A variant, whether it gave a share, and its line."""
    keys = VARIANT_KEYS if with_share else tuple(k for k in VARIANT_KEYS if k != "share")
    if with_share is False and isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "share":
                raise p.fail(key, f"{what}: a trigger has one variant, which gets every "
                                  "treated customer; remove `share`")
    f = p.fields(node, what, keys)
    offer_node = _required(p, node, f, "offer", what)
    offer = p.text(offer_node, f"{what} offer")
    if offer not in offers:
        raise p.fail(offer_node, f"{what}: offer {offer!r} is not known (known offers: "
                                 f"{', '.join(offers)}); declare a shop's own offer under "
                                 "`offers:` with `- name: ...` and `description: ...`")
    channel = PREFERRED
    if "channel" in f:
        channel = p.choice(f["channel"][1], f"{what} channel", VARIANT_CHANNELS,
                           f"; `{PREFERRED}` uses the customer's channel under the layer rule")
    template = DEFAULT_TEMPLATE
    if "template" in f:
        template = p.name(f["template"][1], f"{what} template")
    name = f"{offer}_{channel}"
    if "name" in f:
        name = p.name(f["name"][1], f"{what} name")
    share, given = 1.0, False
    if "share" in f:
        share_node = f["share"][1]
        share, given = p.number(share_node, f"variant {name} share"), True
        if not 0 < share <= 1:
            raise p.fail(share_node, f"variant {name} share {_fmt(share)} must be above 0 "
                                     "and at most 1")
    return Variant(name, offer, channel, template, share), given, p.line(node)


def _variants(p: _Parser, key, node, campaign_id: str, offers: dict[str, str]
              ) -> tuple[Variant, ...]:
    """The variants of a wave; whole-list problems name the line of `variants:` (key)."""
    what = f"wave {campaign_id} variants"
    entries = p.items(node, what, "name: ...")
    if not entries:
        raise p.fail(key, f"{what} is empty; a wave needs one or more variants")
    parsed = [_variant(p, e, f"wave {campaign_id} variant", offers, with_share=True)
              for e in entries]
    seen: dict[str, int] = {}
    for variant, _, line in parsed:
        if variant.name in seen:
            raise p.fail(line, f"variant name {variant.name!r} appears twice in wave "
                               f"{campaign_id} (first on line {seen[variant.name]}); give "
                               "each variant its own name")
        seen[variant.name] = line
    given = [g for _, g, _ in parsed]
    if len(parsed) == 1 and not given[0]:
        variants = [parsed[0][0]]
    elif not any(given):  # equal split
        share = 1 / len(parsed)
        variants = [Variant(v.name, v.offer, v.channel, v.template, share) for v, _, _ in parsed]
    elif not all(given):
        missing = next(line for _, g, line in parsed if not g)
        raise p.fail(missing, f"wave {campaign_id}: give `share` on every variant or on none "
                              "(none: equal shares)")
    else:
        variants = [v for v, _, _ in parsed]
        total = math.fsum(v.share for v in variants)
        if abs(total - 1) > SHARE_TOLERANCE:
            raise p.fail(key, f"wave {campaign_id}: variant shares sum to {total:.6g}, not 1 "
                               f"({' + '.join(_fmt(v.share) for v in variants)})")
    _variant_warnings(p, campaign_id, variants, [line for _, _, line in parsed])
    return tuple(variants)


def _variant_warnings(p: _Parser, campaign_id: str, variants: list[Variant],
                      lines: list[int]) -> None:
    for v, line in zip(variants, lines, strict=True):
        if v.share < SMALL_SHARE:
            p.warn(line, f"wave {campaign_id} variant {v.name} gets share {_fmt(v.share)}, "
                         f"below {SMALL_SHARE}: few customers to compare")
    for i, (a, line) in enumerate(zip(variants, lines, strict=True)):
        for b in variants[:i]:
            changed = [k for k in ("offer", "channel", "template")
                       if getattr(a, k) != getattr(b, k)]
            if not changed:
                p.warn(line, f"wave {campaign_id} variants {b.name} and {a.name} are the same "
                             "offer, channel and template: the test compares nothing")
            elif len(changed) > 1:
                p.warn(line, f"wave {campaign_id} variants {b.name} and {a.name} differ in "
                             f"{' and '.join(changed)}: change one thing per test to know "
                             "which one worked")


@dataclass
class _Draft:
    """A wave while its rollout_of is not yet resolved."""

    wave: Wave
    node: Any
    fields: dict


def _wave(p: _Parser, node, offers: dict[str, str], default_holdout: float,
          today: date | None) -> _Draft:
    f = p.fields(node, "a wave", WAVE_KEYS)
    cid = p.name(_required(p, node, f, "campaign_id", "a wave"), "campaign_id")
    what = f"wave {cid}"
    rollout_of = None
    if "rollout_of" in f:
        rollout_of = p.name(f["rollout_of"][1], f"{what} rollout_of")
    churn_types: tuple[str, ...] = ()
    if "churn_types" in f or rollout_of is None:
        ct_node = _required(p, node, f, "churn_types", what)
        items = ct_node.value if isinstance(ct_node, yaml.SequenceNode) else [ct_node]
        if not items:
            raise p.fail(ct_node, f"{what} churn_types is empty (churn types: "
                                  f"{', '.join(CHURN_TYPES)})")
        seen: list[str] = []
        for item in items:
            ct = p.choice(item, f"{what} churn type", CHURN_TYPES)
            if ct in seen:
                raise p.fail(item, f"{what} churn type {ct!r} is listed twice")
            seen.append(ct)
        churn_types = tuple(seen)
    start_node = _required(p, node, f, "starts_on", what)
    starts_on = p.day(start_node, f"{what} starts_on")
    if today is not None and starts_on < today:
        raise p.fail(start_node, f"{what} starts on {starts_on}, before {today}, the first day "
                                 "a new wave may start (the data already covers earlier "
                                 f"dates); dates in the past cannot be planned: move starts_on "
                                 f"to {today} or later, or remove waves that have run")
    days = DEFAULT_DAYS
    if "days" in f:
        days = p.integer(f["days"][1], f"{what} days", 1)
    budget_node = _required(p, node, f, "budget", what)
    budget = p.number(budget_node, f"{what} budget")
    if budget < 0:
        raise p.fail(budget_node, f"{what} budget {_fmt(budget)} is negative; it is the "
                                  "shop-currency amount the wave may spend (0 or more)")
    if budget == 0:
        p.warn(p.line(budget_node), f"{what} has budget 0: no contact can be paid for")
    holdout = default_holdout
    if "holdout_share" in f:
        holdout = p.holdout(f["holdout_share"][1], f"{what} holdout_share")
    pilot_share = None
    if "pilot_share" in f:
        ps_node = f["pilot_share"][1]
        if rollout_of is not None:
            raise p.fail(ps_node, f"{what} is a rollout (rollout_of {rollout_of}) and cannot be "
                                  "a pilot too; remove pilot_share")
        pilot_share = p.number(ps_node, f"{what} pilot_share")
        if not 0 < pilot_share < 1:
            raise p.fail(ps_node, f"{what} pilot_share {_fmt(pilot_share)} is outside (0, 1): "
                                  "it is the share of the eligible customers the pilot takes")
    variants: tuple[Variant, ...] = ()
    if rollout_of is not None:
        if "variants" in f:
            raise p.fail(f["variants"][0], f"{what} is a rollout of {rollout_of}: it uses the "
                                           "pilot's winning variant, so `variants` is not "
                                           "allowed; remove it")
    else:
        _required(p, node, f, "variants", what)
        variants = _variants(p, f["variants"][0], f["variants"][1], cid, offers)
    kind = "rollout" if rollout_of else "pilot" if pilot_share is not None else "wave"
    if kind == "pilot" and len(variants) == 1:
        p.warn(p.line(node), f"{what} is a pilot with one variant: there is no winner to pick")
    wave = Wave(cid, kind, churn_types, starts_on, starts_on + timedelta(days=days), budget,
                holdout, pilot_share, rollout_of, variants, p.line(node))
    return _Draft(wave, node, f)


def _trigger(p: _Parser, node, offers: dict[str, str], default_holdout: float) -> Trigger:
    f = p.fields(node, "a trigger", TRIGGER_KEYS)
    cid = p.name(_required(p, node, f, "campaign_id", "a trigger"), "campaign_id")
    what = f"trigger {cid}"
    event = p.choice(_required(p, node, f, "event", what), f"{what} event", TRIGGER_EVENTS)
    needed = EVENT_SETTING.get(event)
    for setting in ("days", "factor"):
        if setting in f and setting != needed:
            uses = f"it uses `{needed}`" if needed else "it needs no setting"
            raise p.fail(f[setting][0], f"{what}: event {event} does not use `{setting}` "
                                        f"({uses}); remove it")
    days = factor = None
    if needed == "days":
        days_node = f["days"][1] if "days" in f else None
        if days_node is None or p.is_null(days_node):
            raise p.fail(node, f"{what}: event membership_expiring needs `days: N` (contact "
                               "customers whose membership expires within N days)")
        days = p.integer(days_node, f"{what} days", 1)
    elif needed == "factor":
        factor_node = f["factor"][1] if "factor" in f else None
        if factor_node is None or p.is_null(factor_node):
            raise p.fail(node, f"{what}: event overdue needs `factor: k` (contact customers "
                               "with no order for k times their usual purchase gap, e.g. 2.0)")
        factor = p.number(factor_node, f"{what} factor")
        if factor <= 1:
            raise p.fail(factor_node, f"{what} factor {_fmt(factor)} must be above 1 (k times "
                                      "the usual purchase gap; 1 is merely on time)")
    holdout = default_holdout
    if "holdout_share" in f:
        holdout = p.holdout(f["holdout_share"][1], f"{what} holdout_share")
    variant_node = _required(p, node, f, "variant", what)
    variant, _, _ = _variant(p, variant_node, f"{what} variant", offers, with_share=False)
    return Trigger(cid, event, days, factor, holdout, variant, p.line(node))


def _resolve_rollouts(p: _Parser, drafts: list[_Draft]) -> list[Wave]:
    by_id = {d.wave.campaign_id: d for d in drafts}
    waves: list[Wave] = []
    seen_rollout: dict[str, int] = {}
    for d in drafts:
        w = d.wave
        if w.rollout_of is None:
            waves.append(w)
            continue
        ref_node = d.fields["rollout_of"][1]
        pilot_draft = by_id.get(w.rollout_of)
        if pilot_draft is None:
            raise p.fail(ref_node, f"wave {w.campaign_id} rollout_of {w.rollout_of!r} names no "
                                   f"wave of the plan (waves: {', '.join(by_id)})")
        pilot = pilot_draft.wave
        if pilot.kind != "pilot":
            raise p.fail(ref_node, f"wave {w.campaign_id} rollout_of {w.rollout_of!r} is a "
                                   f"{pilot.kind}, not a pilot (line {pilot.line}); a rollout "
                                   "follows a wave with `pilot_share`")
        if w.starts_on < pilot.ends_on:
            raise p.fail(d.fields["starts_on"][1],
                         f"rollout {w.campaign_id} starts on {w.starts_on}, before its pilot "
                         f"{pilot.campaign_id} ends on {pilot.ends_on} (line {pilot.line}); "
                         f"start it on {pilot.ends_on} or later to know the winner")
        if w.churn_types and w.churn_types != pilot.churn_types:
            p.warn(w.line, f"rollout {w.campaign_id} targets {', '.join(w.churn_types)} but "
                           f"its pilot {pilot.campaign_id} tested "
                           f"{', '.join(pilot.churn_types)}")
        if pilot.campaign_id in seen_rollout:
            p.warn(w.line, f"pilot {pilot.campaign_id} already has a rollout (line "
                           f"{seen_rollout[pilot.campaign_id]})")
        seen_rollout[pilot.campaign_id] = w.line
        if not w.churn_types:
            w = Wave(w.campaign_id, w.kind, pilot.churn_types, w.starts_on, w.ends_on,
                     w.budget, w.holdout_share, w.pilot_share, w.rollout_of, w.variants, w.line)
        waves.append(w)
    return waves


def _overlap_warnings(p: _Parser, waves: list[Wave]) -> None:
    for i, a in enumerate(waves):
        for b in waves[:i]:
            shared = [c for c in a.churn_types if c in b.churn_types]
            if not shared or a.starts_on >= b.ends_on or b.starts_on >= a.ends_on:
                continue
            p.warn(a.line, f"waves {b.campaign_id} (line {b.line}) and {a.campaign_id} both "
                           f"target {', '.join(shared)} from {max(a.starts_on, b.starts_on)} "
                           f"to {min(a.ends_on, b.ends_on)}: the contact policy limits who "
                           "hears from both")


def parse_plan(text: str, source: str = DEFAULT_FILE_NAME, today: date | None = None) -> Plan:
    """Parse plan YAML; `source` names the file in messages. `today` is the first day a new
    wave may start (the day after the newest data); None skips the past-date check."""
    if isinstance(today, datetime):
        today = today.date()
    p = _Parser(source)
    root = p.compose(text)
    if root is None:
        raise PlanError(f"{source} line 1: the plan is empty; it needs `waves:` or "
                        "`triggers:` (docs/plans.md)")
    if not isinstance(root, yaml.MappingNode):
        raise p.fail(root, "the plan must be a mapping of keys to values (keys: "
                           f"{', '.join(TOP_KEYS)})")
    top = p.fields(root, "the plan", TOP_KEYS)
    offers = _offers(p, top["offers"][1]) if "offers" in top else ()
    known = {**OFFERS, **{o.name: o.description for o in offers}}
    default_holdout = DEFAULT_HOLDOUT_SHARE
    if "defaults" in top and not p.is_null(top["defaults"][1]):
        d = p.fields(top["defaults"][1], "defaults", DEFAULT_KEYS)
        if "holdout_share" in d:
            default_holdout = p.holdout(d["holdout_share"][1], "defaults.holdout_share")
    policy = _policy(p, top["contact_policy"][1]) if "contact_policy" in top else ContactPolicy()
    wave_nodes = p.items(top["waves"][1], "waves", "campaign_id: ...") if "waves" in top else []
    trigger_nodes = (p.items(top["triggers"][1], "triggers", "campaign_id: ...")
                     if "triggers" in top else [])
    if not wave_nodes and not trigger_nodes:
        raise p.fail(root, "the plan is empty: it has no waves and no triggers; add `waves:` "
                           "or `triggers:` (docs/plans.md)")
    ids: dict[str, int] = {}

    def claim(campaign_id: str, node) -> None:
        if campaign_id in ids:
            raise p.fail(node, f"campaign_id {campaign_id!r} appears twice in the plan (first "
                               f"on line {ids[campaign_id]}); every wave and trigger needs its "
                               "own id")
        ids[campaign_id] = p.line(node)

    drafts: list[_Draft] = []
    for node in wave_nodes:
        draft = _wave(p, node, known, default_holdout, today)
        claim(draft.wave.campaign_id, _id_node(node))
        drafts.append(draft)
    triggers: list[Trigger] = []
    for node in trigger_nodes:
        trigger = _trigger(p, node, known, default_holdout)
        claim(trigger.campaign_id, _id_node(node))
        triggers.append(trigger)
    waves = _resolve_rollouts(p, drafts)
    _overlap_warnings(p, waves)
    assert {w.kind for w in waves} <= set(CAMPAIGN_KINDS)
    return Plan(tuple(waves), tuple(triggers), policy, offers, source, tuple(p.warnings))


def _id_node(node):
    """The campaign_id value node of a parsed wave or trigger entry."""
    return next(value for key, value in node.value if key.value == "campaign_id")


def load_plan(path: Path | str, *, today: date | None = None) -> Plan:
    """Read and parse the plan file at `path` (`PlanError` when it cannot be used)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanError(f"plan file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"plan file {path} cannot be read ({exc})") from None
    return parse_plan(text, path.name, today=today)


def plan_path(home: Path | str) -> Path:
    """Where the plan of a CHURN_HOME lives: `home/plan.yml`."""
    return Path(home) / DEFAULT_FILE_NAME


def default_plan(home: Path | str, *, today: date | None = None) -> Plan | None:
    """`home/plan.yml` parsed, or None when there is no such file."""
    path = plan_path(home)
    return load_plan(path, today=today) if path.is_file() else None


# -- writing --------------------------------------------------------------------------------


def plan_as_dict(plan: Plan) -> dict[str, Any]:
    """The plan with every value spelled out (defaults applied), as YAML-able data."""
    out: dict[str, Any] = {}
    if plan.offers:
        out["offers"] = [{"name": o.name, "description": o.description} for o in plan.offers]
    out["contact_policy"] = plan.contact_policy.as_dbt_var()
    if plan.waves:
        out["waves"] = []
        for w in plan.waves:
            entry: dict[str, Any] = {"campaign_id": w.campaign_id}
            if w.rollout_of:
                entry["rollout_of"] = w.rollout_of
            entry.update(churn_types=list(w.churn_types), starts_on=w.starts_on, days=w.days,
                         budget=w.budget, holdout_share=w.holdout_share)
            if w.pilot_share is not None:
                entry["pilot_share"] = w.pilot_share
            if w.variants:
                entry["variants"] = [v.as_dict() for v in w.variants]
            out["waves"].append(entry)
    if plan.triggers:
        out["triggers"] = []
        for t in plan.triggers:
            entry = {"campaign_id": t.campaign_id, "event": t.event}
            if t.days is not None:
                entry["days"] = t.days
            if t.factor is not None:
                entry["factor"] = t.factor
            variant = t.variant.as_dict()
            del variant["share"]
            entry.update(holdout_share=t.holdout_share, variant=variant)
            out["triggers"].append(entry)
    return out


def dump_plan(plan: Plan) -> str:
    """The plan as YAML that `parse_plan` reads back to an equal plan."""
    return yaml.safe_dump(plan_as_dict(plan), sort_keys=False, default_flow_style=False,
                          allow_unicode=True)
