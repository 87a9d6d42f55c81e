"""The planted response of a churned customer to one recall contact (issue #15).

Plain data plus vectorised numpy functions; the engine applies them at every wave (past waves
and the waves `respond` simulates) and the writer uses the same functions to write the oracle
`truth.customer_offer_effects`, so the truth is exactly what the simulation draws from.

The first-month effect of one contact on the probability that a churned customer comes back
and orders (an intention-to-treat probability: it already includes the chance that the contact
is not delivered) is

    effect = LAYER_FACTOR[layer] * MATCH[offer][churn_type] * channel_factor * fade
             * value_factor * fatigue

- LAYER_FACTOR keeps the planted layer story: `advanced` has no true effect, `core` works but
  through the expensive agent (negative first-month ROI), `base` works.
- MATCH: the offer that answers the customer's reason to leave works best (see the table);
  mismatched offers are weak; custom_package is decent for everyone. The best offer of each type
  leads the second by at least 0.10 before the other factors, so a past wave of a few hundred
  customers per variant ranks it first (tests/recall/test_variant_recovery.py).
- channel_factor: 1.0 on the customer's preferred channel, OTHER_CHANNEL_FACTOR elsewhere.
- fade: exp(-days since the customer's churn date / FADE_DAYS).
- value_factor: VALUE_FACTOR_MIN + VALUE_FACTOR_SPAN * the rank (0..1) of the customer's GMV
  before the wave among the wave's customers (of the same simulated chunk).
- fatigue: FATIGUE_FACTOR ** (contacts delivered to the customer in the FATIGUE_DAYS up to the
  wave, by waves started earlier: an earlier wave of the same day counts).
A customer who opted out earlier is not reached (the contact is not delivered): effect 0. A
customer who is not churned at the wave cannot be recalled: effect 0.

Each delivered contact also
- opts the customer out with probability OPT_OUT_BASE + OPT_OUT_PER_RECENT_CONTACT * recent
  contacts (raw.do_not_contact);
- makes a churned customer visit on the next day with probability
  NEXT_DAY_PER_EFFECT * effect / delivery rate (so the lift in next-day visits of a treated
  group is about NEXT_DAY_PER_EFFECT times its conversion effect: domain.md 5's 7 points at the
  base layer). A next-day visit alone does not end the churn.
A recalled customer comes back with a planted share of its pre-churn spend
(RECOVERED_SHARE range) and moves up one tier with probability UPGRADE_SHARE; both are drawn
per customer when the wave starts (truth.recall_paths).
"""

from __future__ import annotations

import numpy as np

from sources.contract import CHANNELS, CHURN_TYPES, LAYERS, OFFERS

OFFER_NAMES: tuple[str, ...] = tuple(OFFERS)

# Planted layer factor: multiplies MATCH. Calibrated so that over the past waves the base layer's
# mean planted effect is about 7 points and the core layer's about 5 (tests/unit/test_simulator).
LAYER_FACTOR: dict[str, float] = {"base": 1.5, "advanced": 0.0, "core": 0.81}

# MATCH[offer][churn_type]: the effect of the offer before the other factors.
MATCH: dict[str, dict[str, float]] = {
    #                         price  service  competitor  silent
    "generic_coupon":          dict(zip(CHURN_TYPES, (0.20, 0.03, 0.04, 0.03))),
    "price_match":             dict(zip(CHURN_TYPES, (0.10, 0.02, 0.24, 0.02))),
    "exclusive_access":        dict(zip(CHURN_TYPES, (0.03, 0.03, 0.09, 0.04))),
    "service_recovery":        dict(zip(CHURN_TYPES, (0.02, 0.20, 0.02, 0.03))),
    "content_recommendation":  dict(zip(CHURN_TYPES, (0.03, 0.03, 0.03, 0.20))),
    "category_recommendation": dict(zip(CHURN_TYPES, (0.04, 0.03, 0.04, 0.08))),
    "custom_package":          dict(zip(CHURN_TYPES, (0.10, 0.10, 0.10, 0.10))),
}
UNKNOWN_OFFER_MATCH = 0.03  # a shop's own offer (sources/plan.py) the simulator does not know
BEST_OFFER: dict[str, str] = {ct: max(MATCH, key=lambda o: MATCH[o][ct]) for ct in CHURN_TYPES}

PREFERRED_CHANNEL_FACTOR = 1.0
OTHER_CHANNEL_FACTOR = 0.6
FADE_DAYS = 270.0
VALUE_FACTOR_MIN = 0.8
VALUE_FACTOR_SPAN = 0.4
FATIGUE_DAYS = 60
FATIGUE_FACTOR = 0.5
OPT_OUT_BASE = 0.01
OPT_OUT_PER_RECENT_CONTACT = 0.03
NEXT_DAY_PER_EFFECT = 1.0
RECOVERED_SHARE = (0.45, 0.90)
UPGRADE_SHARE = 0.25

LAYER_FACTOR_BY_CODE = np.array([LAYER_FACTOR[x] for x in LAYERS])
# MATCH as an array [offer code, churn type code]; the last row is for unknown offers.
MATCH_TABLE = np.array([[MATCH[o][ct] for ct in CHURN_TYPES] for o in OFFER_NAMES]
                       + [[UNKNOWN_OFFER_MATCH] * len(CHURN_TYPES)])


def offer_codes(offers) -> np.ndarray:
    """Positions in OFFER_NAMES of offer names; len(OFFER_NAMES) for an unknown offer."""
    index = {o: i for i, o in enumerate(OFFER_NAMES)}
    return np.array([index.get(str(o), len(OFFER_NAMES)) for o in offers], dtype=np.int64)


def match(offer: np.ndarray, churn_type: np.ndarray) -> np.ndarray:
    """MATCH for offer codes (see offer_codes) and churn type codes."""
    return MATCH_TABLE[offer, churn_type]


def channel_factor(channel: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """1.0 when the contact uses the customer's preferred channel (codes into CHANNELS)."""
    return np.where(channel == preferred, PREFERRED_CHANNEL_FACTOR, OTHER_CHANNEL_FACTOR)


def fade(days_since_churn: np.ndarray) -> np.ndarray:
    """exp(-days since the churn date / FADE_DAYS); 1 for a customer not (yet) churned."""
    return np.exp(-np.maximum(days_since_churn, 0) / FADE_DAYS)


def value_factor(value: np.ndarray) -> np.ndarray:
    """VALUE_FACTOR_MIN + VALUE_FACTOR_SPAN * rank of `value` (ties share their mean rank)."""
    n = value.size
    if n <= 1:
        return np.full(n, VALUE_FACTOR_MIN + VALUE_FACTOR_SPAN / 2)
    order = np.argsort(value, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n, dtype=float)
    # average the ranks of ties so the factor depends on the value only
    uniq, inverse = np.unique(value, return_inverse=True)
    if uniq.size < n:
        ranks = (np.bincount(inverse, ranks) / np.bincount(inverse))[inverse]
    return VALUE_FACTOR_MIN + VALUE_FACTOR_SPAN * ranks / (n - 1)


def fatigue(recent_contacts: np.ndarray) -> np.ndarray:
    """FATIGUE_FACTOR per contact delivered in the FATIGUE_DAYS before."""
    return FATIGUE_FACTOR ** np.asarray(recent_contacts, dtype=float)


def base_effect(layer: np.ndarray, churn_type: np.ndarray, preferred: np.ndarray,
                days_since_churn: np.ndarray, value: np.ndarray,
                recent_contacts: np.ndarray) -> np.ndarray:
    """The per-customer part of the effect: everything but MATCH and the channel factor."""
    return (LAYER_FACTOR_BY_CODE[layer] * fade(days_since_churn) * value
            * fatigue(recent_contacts))


def first_month_effect(layer, offer, churn_type, channel, preferred, days_since_churn, value,
                       recent_contacts) -> np.ndarray:
    """The planted first-month effect (codes: LAYERS, offer_codes, CHURN_TYPES, CHANNELS;
    `value` is value_factor's result), capped to [0, 1]."""
    eff = (base_effect(layer, churn_type, preferred, days_since_churn, value, recent_contacts)
           * match(offer, churn_type) * channel_factor(channel, preferred))
    return np.clip(eff, 0.0, 1.0)


def all_offer_effects(base: np.ndarray, churn_type: np.ndarray,
                      preferred: np.ndarray) -> np.ndarray:
    """Effects of every known offer x channel: shape (customers, offers, channels)."""
    m = MATCH_TABLE[:len(OFFER_NAMES)][:, churn_type].T                 # (n, offers)
    ch = channel_factor(np.arange(len(CHANNELS))[None, :], preferred[:, None])  # (n, channels)
    return np.clip(base[:, None, None] * m[:, :, None] * ch[:, None, :], 0.0, 1.0)


def opt_out_probability(recent_contacts: np.ndarray) -> np.ndarray:
    """Chance that a delivered contact makes the customer opt out of all contacts."""
    return np.minimum(OPT_OUT_BASE + OPT_OUT_PER_RECENT_CONTACT * recent_contacts, 1.0)


def next_day_visit_probability(effect: np.ndarray, delivery_rate: np.ndarray) -> np.ndarray:
    """Chance that a churned customer whose contact was delivered visits on the next day."""
    return np.minimum(NEXT_DAY_PER_EFFECT * effect / delivery_rate, 1.0)


def recall_probability(effect: np.ndarray, delivery_rate: np.ndarray) -> np.ndarray:
    """Chance that a delivered contact recalls the customer (effect is per contact sent)."""
    return np.minimum(effect / delivery_rate, 1.0)
