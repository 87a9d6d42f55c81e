"""Latent customer attributes of one chunk: who they are, how they shop, why they would leave."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.contract import ACQUISITION_CHANNELS, CATEGORIES, CHANNELS, CHURN_TYPES, REGIONS
from sources.simulator.config import TYPE_MIX

# Latent churn types are codes: positions in CHURN_TYPES.
PRICE, SERVICE, COMPETITOR, SILENT = map(CHURN_TYPES.index, (
    "price_sensitive", "service_dissatisfied", "competitor_attracted", "silent"))


@dataclass
class Population:
    """Per-customer latent parameters (arrays of one chunk)."""

    index: np.ndarray          # global customer number
    signup_day: np.ndarray     # day of sign-up relative to history start (negative = before)
    churn_type: np.ndarray     # 0 price, 1 service, 2 competitor, 3 silent
    visit_rate: np.ndarray     # visits per day when settled (median 3 a week)
    conversion: np.ndarray     # chance a visit ends in an order
    order_value: np.ndarray    # typical list price of an order
    frailty: np.ndarray        # hidden multiplier on the drift hazard
    floor: np.ndarray          # share of the visit rate kept after drifting (0 = fades out)
    decay_days: np.ndarray     # time constant of the fade (shorter with a cause than silent)
    favourite_category: np.ndarray
    coupon_propensity: np.ndarray
    return_propensity: np.ndarray
    late_delivery_risk: np.ndarray
    slow_support: np.ndarray
    region: np.ndarray
    acquisition_channel: np.ndarray
    preferred_channel: np.ndarray

    @property
    def size(self) -> int:
        return len(self.index)


def draw_population(rng: np.random.Generator, first_index: int, n: int,
                    history_days: int) -> Population:
    """Draw `n` customers; 35% signed up before the history starts (the existing base)."""
    existing = rng.random(n) < 0.35
    signup = np.where(existing, rng.integers(-400, 0, n), rng.integers(0, history_days - 20, n))
    ctype = rng.choice(len(CHURN_TYPES), size=n, p=TYPE_MIX)
    is_price, is_service = ctype == PRICE, ctype == SERVICE
    floor = np.where(rng.random(n) < 0.15, rng.uniform(0.3, 0.7, n), 0.0)
    return Population(
        index=np.arange(first_index, first_index + n, dtype=np.int64),
        signup_day=signup.astype(np.int32),
        churn_type=ctype.astype(np.int8),
        visit_rate=np.minimum(rng.lognormal(np.log(0.44), 0.55, n), 5.0),
        conversion=0.5 * rng.beta(2.5, 6.0, n),
        order_value=rng.lognormal(np.log(55.0), 0.5, n),
        frailty=rng.lognormal(-0.08, 0.4, n),
        floor=floor,
        decay_days=np.where(ctype == SILENT, rng.uniform(20.0, 35.0, n), rng.uniform(8.0, 20.0, n)),
        favourite_category=rng.integers(0, len(CATEGORIES), n).astype(np.int8),
        coupon_propensity=np.where(is_price, rng.uniform(0.35, 0.6, n), rng.uniform(0.03, 0.2, n)),
        return_propensity=np.where(is_service, 0.10, 0.035),
        late_delivery_risk=np.where(is_service, rng.uniform(0.12, 0.25, n), 0.04),
        slow_support=np.where(is_service, rng.uniform(1.5, 3.0, n), 1.0),
        region=rng.integers(0, len(REGIONS), n).astype(np.int8),
        acquisition_channel=rng.choice(len(ACQUISITION_CHANNELS), size=n,
                                       p=(0.35, 0.25, 0.2, 0.1, 0.1)).astype(np.int8),
        preferred_channel=rng.choice(len(CHANNELS), size=n,
                                     p=(0.4, 0.15, 0.15, 0.15, 0.1, 0.03, 0.02)).astype(np.int8),
    )
