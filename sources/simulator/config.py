"""Parameters of the simulated shop: sizes, rates, shop events and the planted recall effects.

Figures are calibrated to ../shared/SIMULATOR.md (see tests/unit/test_simulator.py for the
tolerances). Everything here is plain data so tests and docs can read the planted truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Latent type mix of the whole population, in the order of sources.contract.CHURN_TYPES
# (price, service, competitor, silent); among churners the clear-cause mix lands near
# price 45% / service 32% / competitor 23% (domain.md 1) because hazards differ by type.
TYPE_MIX = (0.38, 0.24, 0.18, 0.20)

# The planted response to a contact (offer x churn type match, layer, channel, fade, value,
# fatigue) lives in sources/simulator/response.py. LAYER_OFFERS is each layer's default offer
# (the recall_layer_offers seed); past waves test offers and channels through their variants.
LAYER_OFFERS = {"base": "generic_coupon", "advanced": "category_recommendation",
                "core": "custom_package"}
# Channels per layer and contact costs: sources.contract.LAYER_CHANNELS and CONTACT_COSTS.

DELIVERY_RATE = {"email": 0.95, "sms": 0.97, "in_app": 0.90, "app_push": 0.85,
                 "messenger": 0.92, "agent": 0.99, "phone": 0.75}
OPEN_RATE = {"email": 0.25, "sms": 0.40, "in_app": 0.35, "app_push": 0.20,
             "messenger": 0.45, "agent": 0.80, "phone": 0.70}
CLICK_RATE = 0.30



@dataclass(frozen=True)
class Variant:
    """One treatment variant of a wave; variants of a wave change one variable.

    channel is a channel name or "preferred" (the layer channel rule, sources.contract
    LAYER_CHANNELS); share is the share of the wave's customers randomized to it.
    """

    name: str
    offer: str
    channel: str = "preferred"
    template: str = "default"
    share: float = 1.0


# Past waves: (campaign id, wave = churn type targeted, days before the end of history), in the
# domain's order (silent, service, competitor) and then a price wave testing the channel. The
# price wave starts 75 days before the end: its first month is complete, its six tracked months
# are not, and its next-day visitors (churned customers who visit once and stay away) are out of
# the last labelled month, where the churn model is validated.
PAST_WAVES = (
    ("wave_silent", "silent", 215),
    ("wave_service", "service_dissatisfied", 155),
    ("wave_competitor", "competitor_attracted", 95),
    ("wave_price", "price_sensitive", 75),
)
_THIRD = 1 / 3
# The variants of each past wave: the three offer waves compare the churn type's best offer
# (sources/simulator/response.py MATCH) with two others on the layer channel rule; the price
# wave compares the layer channel rule with SMS for the same coupon.
WAVE_VARIANTS: dict[str, tuple[Variant, ...]] = {
    "wave_silent": (
        Variant("content_recommendation@preferred", "content_recommendation", share=_THIRD),
        Variant("category_recommendation@preferred", "category_recommendation", share=_THIRD),
        Variant("generic_coupon@preferred", "generic_coupon", share=_THIRD),
    ),
    "wave_service": (
        Variant("service_recovery@preferred", "service_recovery", share=_THIRD),
        Variant("custom_package@preferred", "custom_package", share=_THIRD),
        Variant("generic_coupon@preferred", "generic_coupon", share=_THIRD),
    ),
    "wave_competitor": (
        Variant("price_match@preferred", "price_match", share=_THIRD),
        Variant("exclusive_access@preferred", "exclusive_access", share=_THIRD),
        Variant("generic_coupon@preferred", "generic_coupon", share=_THIRD),
    ),
    "wave_price": (
        Variant("generic_coupon@preferred", "generic_coupon", "preferred", share=0.5),
        Variant("generic_coupon@sms", "generic_coupon", "sms", share=0.5),
    ),
}


@dataclass(frozen=True)
class SimulationConfig:
    """Size and seed of one simulated shop."""

    customers: int = 3000
    months: int = 18
    seed: int = 42
    end_date: date = date(2026, 3, 31)
    chunk_size: int = 25_000
    holdout_share: float = 0.10
    extra_days: int = 0
    responses: tuple = field(default_factory=tuple)

    @property
    def history_days(self) -> int:
        return int(round(self.months * 30.44))

    @property
    def total_days(self) -> int:
        return self.history_days + self.extra_days


# Behaviour rates (per day or per visit).
BASE_HAZARD = 0.0056           # daily chance that a settled customer starts drifting away
NEW_CUSTOMER_HAZARD_BOOST = 1.5
PRICE_SHOCK_BOOST = 2.0        # price-sensitive hazard after the coupon threshold rise
COMPETITOR_PROMO_BOOST = 3.0   # competitor-attracted hazard while a competitor runs a promo
SERVICE_INCIDENT_BOOST = 2.5   # service-dissatisfied hazard per unit of recent incidents
OTHER_INCIDENT_BOOST = 0.4
SERVICE_DRIFT_COMPLAINT = 0.6   # chance a service-dissatisfied customer complains as they drift
INCIDENT_DECAY = 0.96
RETURN_HAZARD = 0.0015         # daily chance that a churned customer comes back on their own
CHURN_DAYS = 30
VISIT_REGULARITY = 3.0         # Gamma shape of the gaps between visits (1 = Poisson visits)
