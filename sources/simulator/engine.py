"""The day-by-day behaviour of one chunk of customers, vectorised over customers.

Each day: settled customers may start drifting (hazard driven by type, shop events and service
incidents; a drifting service-dissatisfied customer often complains first); visits follow the
(fading) visit rate as a habit: a renewal process whose gaps, in "visit time" (the visit rate
summed over days), are Gamma with mean 1 and shape `C.VISIT_REGULARITY`, so shoppers visit every
few days rather than at Poisson times; events, orders, tickets and tier changes follow the visits
(drifting price customers view promotions and fill carts without buying, drifting competitor
customers search for competitors); 30 days without interaction confirm churn; churned customers
may come back on their own or because a recall wave reached them. The true churn probability is
computed at every monthly snapshot from the same model (see `oracle.py`).

Recall waves follow `response.py`: each contact has a planted first-month effect (offer x churn
type match, layer, channel, fade since churn, customer value, fatigue from recent contacts); a
delivered contact may make a churned customer visit the next day (a browse visit without an
order: the customer stays lapsed, with no habitual visits, and is churned again 30 days later
unless it comes back) and may make it opt out of all contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sources.contract import CATEGORIES, CHANNELS, CHURN_TYPES, LAYER_CHANNELS, LAYERS
from sources.simulator import config as C
from sources.simulator import response as R
from sources.simulator.oracle import true_churn_probability
from sources.simulator.population import COMPETITOR, PRICE, SERVICE, SILENT, Population

TIER_THRESHOLDS = np.array([0.0, 300.0, 900.0, 2000.0])


@dataclass
class Calendar:
    """Shop-wide events with known dates: competitor promotions and a coupon threshold rise."""

    history_days: int
    total_days: int

    PROMO_DAYS = 30

    def promo_starts(self) -> list[int]:
        """First days of the competitor promotions (days since the start of history)."""
        return [int(self.history_days * f) for f in (0.2, 0.55, 0.85)] + \
               [self.history_days + 60]

    def competitor_promo(self, t: int) -> bool:
        return any(s <= t < s + self.PROMO_DAYS for s in self.promo_starts())

    def price_shock(self, t: int) -> bool:
        s = int(self.history_days * 0.45)
        return s <= t < s + 60


@dataclass
class Wave:
    """A recall wave applied inside the simulation (past wave or a wave the platform exported)."""

    campaign_id: str
    day: int
    rows: np.ndarray            # chunk-local customer positions
    layer: np.ndarray           # 0 base, 1 advanced, 2 core
    treated: np.ndarray         # bool
    recalled: np.ndarray        # bool: comes back because of the touch (treated only)
    recall_day: np.ndarray
    channel: np.ndarray         # index into CHANNELS
    offer: np.ndarray           # str
    variant: np.ndarray         # str
    template: np.ndarray        # str
    channel_label: dict         # variant -> its channel ('preferred': the layer channel rule)
    delivered: np.ndarray       # bool: the contact reached the customer (treated only)
    next_day: np.ndarray        # bool: visits the day after the wave (treated only)
    opted_out: np.ndarray       # bool: opted out because of this contact
    effect: np.ndarray          # planted first-month effect of the customer's own contact
    base: np.ndarray            # effect without MATCH and channel factor (response.base_effect)
    eligible: np.ndarray        # bool: churned (or lapsed) at the wave, so it can be recalled
    delivery_rate: np.ndarray
    recovered_share: np.ndarray  # planted share of pre-churn spend if recalled
    upgrade: np.ndarray         # planted tier upgrade if recalled
    preassigned: bool = False   # the platform wrote its assignments (respond waves)


@dataclass
class ChunkLog:
    """Everything one chunk produced, as column arrays."""

    visits: list = field(default_factory=list)
    orders: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    tiers: list = field(default_factory=list)
    churns: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    truth_probs: list = field(default_factory=list)
    waves: list = field(default_factory=list)
    recall_paths: list = field(default_factory=list)   # (campaign id, rows, day, share, upgraded)
    opt_outs: list = field(default_factory=list)       # (rows, day)



def _cat(rng, favourite, n_or_rows):
    rows = favourite[n_or_rows]
    other = rng.integers(0, len(CATEGORIES), len(rows)).astype(np.int8)
    return np.where(rng.random(len(rows)) < 0.6, rows, other)


class ChunkSimulation:
    """Simulates one chunk of customers over the whole horizon."""

    def __init__(self, pop: Population, rng: np.random.Generator, cfg: C.SimulationConfig,
                 responses: list[dict] | None = None):
        self.p, self.rng, self.cfg = pop, rng, cfg
        self.cal = Calendar(cfg.history_days, cfg.total_days)
        n = pop.size
        self.drifting = np.zeros(n, bool)
        self.drift_start = np.full(n, -1, np.int32)
        self.first_drift = np.full(n, -1, np.int32)
        self.churned = np.zeros(n, bool)
        self.last_int = np.where(pop.signup_day < 0, -rng.integers(0, 10, n),
                                 pop.signup_day).astype(np.int32)
        self.scale = np.ones(n)
        self.next_gap = self._draw_gaps(n)             # visit time from the last visit to the next
        self.visit_age = rng.uniform(0.0, 1.0, n) * self.next_gap   # visit time since the last
        self.incident = np.zeros(n)
        self.tier = np.zeros(n, np.int8)
        self.tier_expiry = np.full(n, -1, np.int32)
        months = cfg.total_days // 30 + 2
        self.gmv_by_month = np.zeros((n, months), np.float32)
        self.orders_by_month = np.zeros((n, months), np.int16)
        self.assigned = np.zeros(n, bool)
        self.churn_day = np.zeros(n, np.int32)        # churn date of the current spell
        self.lapsed = np.zeros(n, bool)               # visited after a contact, not come back
        self.opted_out = np.zeros(n, bool)
        self.contacts: list[tuple[int, np.ndarray]] = []   # (day, rows) of delivered contacts
        self.waves: list[Wave] = []
        self.responses = responses or []
        self.log = ChunkLog()

    # --- hazard and visit rate ------------------------------------------------------------
    def hazard(self, t: int, incident: np.ndarray | None = None) -> np.ndarray:
        p, ctype = self.p, self.p.churn_type
        inc = self.incident if incident is None else incident
        factor = np.ones(p.size)
        factor += np.where(ctype == SERVICE, C.SERVICE_INCIDENT_BOOST, C.OTHER_INCIDENT_BOOST) * inc
        if self.cal.price_shock(t):
            factor += np.where(ctype == PRICE, C.PRICE_SHOCK_BOOST, 0.0)
        if self.cal.competitor_promo(t):
            factor += np.where(ctype == COMPETITOR, C.COMPETITOR_PROMO_BOOST, 0.0)
        tenure = np.clip((t - p.signup_day) / 365.0, 0, 2)
        factor += np.where(ctype == SILENT, 0.5 * tenure, 0.0)
        factor *= np.where(t - p.signup_day < 60, C.NEW_CUSTOMER_HAZARD_BOOST, 1.0)
        return np.minimum(C.BASE_HAZARD * p.frailty * factor, 0.5)

    def visit_rate(self, t: int) -> np.ndarray:
        p = self.p
        since = np.maximum(t - self.drift_start, 0)
        fade = p.floor + (1 - p.floor) * np.exp(-since / p.decay_days)
        rate = p.visit_rate * self.scale * np.where(self.drifting, fade, 1.0)
        return np.where(self.churned | (t < p.signup_day), 0.0, rate)

    def _draw_gaps(self, n: int) -> np.ndarray:
        k = C.VISIT_REGULARITY
        return self.rng.gamma(k, 1.0 / k, n)

    def _habitual_visits(self, rate: np.ndarray) -> np.ndarray:
        """Visits today: every gap of visit time that today's rate completes is one visit."""
        self.visit_age += rate
        visits = np.zeros(rate.size, np.int64)
        due = np.flatnonzero(self.visit_age >= self.next_gap)
        while due.size:
            visits[due] += 1
            self.visit_age[due] -= self.next_gap[due]
            self.next_gap[due] = self._draw_gaps(due.size)
            due = due[self.visit_age[due] >= self.next_gap[due]]
        return visits

    # --- the day loop ---------------------------------------------------------------------
    def run(self, snapshot_days: list[int], window_days: int) -> ChunkLog:
        wave_days = {d for _, _, d in self._past_wave_days()}
        for t in range(self.cfg.total_days):
            if t in snapshot_days:
                self._record_truth(t, window_days)
            if t in wave_days:
                for cid, ctype, d in self._past_wave_days():
                    if d == t:
                        self._start_past_wave(cid, ctype, t)
            for resp in self.responses:
                if resp["day"] == t:
                    self._start_response_wave(resp, t)
            self._day(t)
        return self.log

    def _past_wave_days(self):
        types = {name: i for i, name in enumerate(CHURN_TYPES)}
        return [(cid, types[ct], self.cfg.history_days - before)
                for cid, ct, before in C.PAST_WAVES]

    def _day(self, t: int) -> None:
        p, rng, n = self.p, self.rng, self.p.size
        live = (t >= p.signup_day) & ~self.churned
        settled = live & ~self.drifting
        starts = settled & (rng.random(n) < self.hazard(t))
        self.drifting |= starts
        self.drift_start = np.where(starts, t, self.drift_start)
        self.first_drift = np.where(starts & (self.first_drift < 0), t, self.first_drift)
        complain = np.flatnonzero(starts & (p.churn_type == SERVICE)
                                  & (rng.random(n) < C.SERVICE_DRIFT_COMPLAINT))
        if complain.size:
            self._tickets(complain, np.full(complain.size, t), kind=0)

        visits = self._habitual_visits(self.visit_rate(t))
        forced = self._returns(t)
        browse = self._next_day_visits(t, forced)
        visits = visits + forced + browse
        active = np.flatnonzero(visits)
        if active.size:
            self._behaviour(t, active, visits[active], forced[active], browse[active])
        self.last_int[active] = t
        self.incident *= C.INCIDENT_DECAY

        newly = live & ~self.churned & (t - self.last_int >= C.CHURN_DAYS)
        if newly.any():
            rows = np.flatnonzero(newly)
            self.churned[rows] = True
            self.drifting[rows] = False
            # a lapsed customer's churn goes on: its churn date stays the first one
            self.churn_day[rows] = np.where(self.lapsed[rows], self.churn_day[rows],
                                            self.last_int[rows] + 1)
            self.lapsed[rows] = False
            self.log.churns.append((rows, self.last_int[rows] + 1))
        if t % 30 == 0:
            self._tiers(t)

    def _returns(self, t: int) -> np.ndarray:
        """Churned (or lapsed) customers who come back today: on their own, or recalled by a
        wave (with the wave's planted recovered share and tier upgrade)."""
        away = self.churned | self.lapsed
        come_back = away & (self.rng.random(self.p.size) < C.RETURN_HAZARD)
        recalled = np.zeros(self.p.size, bool)
        share = np.zeros(self.p.size)
        upgraded = np.zeros(self.p.size, bool)
        for w in self.waves:
            if not (w.day < t <= w.day + C.CHURN_DAYS):
                continue
            hit = np.flatnonzero(w.recalled & (w.recall_day == t))
            hit = hit[away[w.rows[hit]] & ~recalled[w.rows[hit]]]
            if hit.size:
                rows = w.rows[hit]
                recalled[rows] = True
                share[rows] = w.recovered_share[hit]
                upgraded[rows] = w.upgrade[hit]
                self.log.recall_paths.append((w.campaign_id, rows, t, w.recovered_share[hit],
                                              w.upgrade[hit]))
        back = come_back | recalled
        if back.any():
            rows = np.flatnonzero(back)
            self.churned[rows] = False
            self.lapsed[rows] = False
            self.drifting[rows] = False
            self.scale[rows] = np.where(recalled[rows], share[rows],
                                        self.rng.uniform(*R.RECOVERED_SHARE, rows.size))
            self.incident[rows] = 0
            self.visit_age[rows] = 0.0
            self.next_gap[rows] = self._draw_gaps(rows.size)
            self.log.returns.append((rows, np.full(rows.size, t, np.int32), recalled[rows],
                                     np.zeros(rows.size, bool)))
            upgrade = rows[upgraded[rows]]
            if upgrade.size:
                self.tier[upgrade] = np.minimum(self.tier[upgrade] + 1, 3)
                self.tier_expiry[upgrade] = t + 365
                self.log.tiers.append((upgrade, np.full(upgrade.size, t, np.int32),
                                       self.tier[upgrade].copy()))
        return back.astype(np.int64)

    def _next_day_visits(self, t: int, forced: np.ndarray) -> np.ndarray:
        """Churned customers a contact delivered yesterday brings to the shop today: one visit
        without an order. They stay away (lapsed: no habitual visits, natural and recall
        returns still possible) and are churned again after CHURN_DAYS without interaction;
        the visit is logged in truth.returns with visit_only = true."""
        browse = np.zeros(self.p.size, np.int64)
        for w in self.waves:
            if w.day == t - 1 and w.next_day.any():
                rows = w.rows[w.next_day]
                rows = rows[(self.churned[rows] | self.lapsed[rows]) & (forced[rows] == 0)]
                browse[rows] = 1
        if browse.any():
            rows = np.flatnonzero(browse)
            self.churned[rows] = False
            self.lapsed[rows] = True
            self.drifting[rows] = True
            self.drift_start[rows] = t
            self.scale[rows] = 0.0
            self.log.returns.append((rows, np.full(rows.size, t, np.int32),
                                     np.zeros(rows.size, bool), np.ones(rows.size, bool)))
        return browse

    def _behaviour(self, t: int, rows: np.ndarray, visits: np.ndarray, forced: np.ndarray,
                   browse: np.ndarray):
        p, rng, k = self.p, self.rng, rows.size
        ctype, drifting = p.churn_type[rows], self.drifting[rows]
        promo = self.cal.competitor_promo(t)
        price_drift = (ctype == PRICE) & drifting
        competitor_drift = (ctype == COMPETITOR) & drifting
        p_atc = np.where(price_drift, 0.5, 0.15)
        p_promo = np.where(ctype == PRICE, np.where(drifting, 0.6, 0.1), 0.035)
        p_search = np.where(competitor_drift, 0.5, 0.15)
        p_comp = np.where(ctype == COMPETITOR,
                          np.where(drifting, 0.6, 0.25 if promo else 0.06), 0.01)
        logins = rng.binomial(visits, 0.1)
        views = rng.poisson(0.15 * visits)
        atc = rng.binomial(visits, p_atc)
        searches = rng.binomial(visits, p_search)
        comp = rng.binomial(searches, p_comp)
        promos = rng.binomial(visits, p_promo)

        conv = p.conversion[rows] * np.where(drifting, np.where(ctype == PRICE, 0.35, 0.7), 1.0)
        conv = np.where(browse > 0, 0.0, conv)
        n_orders = np.minimum(rng.binomial(visits, conv) + forced, visits)
        reviews = rng.binomial(n_orders, 0.05)
        self.log.visits.append((rows, np.full(k, t, np.int16), visits, logins, views, atc,
                                searches, comp, promos, reviews))
        if n_orders.any():
            self._orders(t, np.repeat(rows, n_orders))

        inquiries = rows[rng.random(k) < 0.005 * visits]
        if inquiries.size:
            self._tickets(inquiries, np.full(inquiries.size, t), kind=1)

    def _orders(self, t: int, rows: np.ndarray) -> None:
        p, rng, m = self.p, self.rng, rows.size
        price_window = self.cal.price_shock(t)
        coupon_p = p.coupon_propensity[rows] * (0.4 if price_window else 1.0)
        coupon = rng.random(m) < coupon_p
        list_price = p.order_value[rows] * rng.lognormal(0, 0.35, m)
        discount = np.where(coupon, list_price * rng.uniform(0.1, 0.3, m), 0.0)
        gmv = list_price - discount
        u = rng.random(m)
        status = np.where(u < p.return_propensity[rows], 1, np.where(u > 0.98, 2, 0))
        late = rng.random(m) < p.late_delivery_risk[rows]
        delivery = 1 + rng.poisson(1.5, m) + np.where(late, rng.integers(4, 10, m), 0)
        category = _cat(rng, p.favourite_category, rows)
        self.log.orders.append((rows, np.full(m, t, np.int16), np.round(gmv, 2),
                                np.round(discount, 2), coupon, status.astype(np.int8),
                                delivery.astype(np.int16), category, np.full(m, price_window)))
        paid = status == 0
        month = t // 30
        np.add.at(self.gmv_by_month[:, month], rows[paid], gmv[paid])
        np.add.at(self.orders_by_month[:, month], rows, 1)
        np.add.at(self.incident, rows, late.astype(float))
        is_service = p.churn_type[rows] == SERVICE
        complaint = late & (rng.random(m) < np.where(is_service, 0.75, 0.35))
        if complaint.any():
            np.add.at(self.incident, rows[complaint], 1.0)
            self._tickets(rows[complaint], t + delivery[complaint], kind=0)
        returned = (status == 1) & (rng.random(m) < 0.8)
        if returned.any():
            self._tickets(rows[returned], t + delivery[returned] + 2, kind=2)

    def _tickets(self, rows: np.ndarray, days: np.ndarray, kind: int) -> None:
        rng, m = self.rng, rows.size
        minutes = rng.lognormal(np.log(45), 0.8, m) * self.p.slow_support[rows]
        if kind == 0:
            topic, sat = np.zeros(m, np.int8), rng.integers(1, 4, m)
        elif kind == 2:
            topic, sat = np.ones(m, np.int8), rng.integers(2, 5, m)
        else:
            topic, sat = rng.choice([2, 3], m).astype(np.int8), rng.integers(3, 6, m)
        sat = np.where(minutes > 240, np.maximum(sat - 1, 1), sat)
        answered = rng.random(m) < 0.7
        self.log.tickets.append((rows, days.astype(np.int32), np.full(m, kind, np.int8), topic,
                                 np.round(minutes, 1), np.where(answered, sat, -1)))

    def _tiers(self, t: int) -> None:
        month = t // 30
        spend = self.gmv_by_month[:, max(0, month - 12):month + 1].sum(axis=1)
        tier = (np.searchsorted(TIER_THRESHOLDS, spend, side="right") - 1).astype(np.int8)
        has_orders = self.orders_by_month[:, :month + 1].sum(axis=1) > 0
        expired = (self.tier_expiry >= 0) & (self.tier_expiry <= t)
        change = has_orders & ((tier != self.tier) | expired | (self.tier_expiry < 0))
        if change.any():
            rows = np.flatnonzero(change)
            self.tier[rows] = tier[rows]
            self.tier_expiry[rows] = t + 365
            self.log.tiers.append((rows, np.full(rows.size, t, np.int32), tier[rows]))

    # --- recall waves ---------------------------------------------------------------------
    def _layers(self, rows: np.ndarray, t: int) -> np.ndarray:
        month = t // 30
        window = slice(max(0, month - 12), month)
        gmv = self.gmv_by_month[rows, :month].sum(axis=1)
        freq = self.orders_by_month[rows, window].sum(axis=1)
        if rows.size == 0:
            return np.zeros(0, np.int8)
        g80, f80 = np.percentile(gmv, 80), np.percentile(freq, 80)
        f60 = np.percentile(freq, 60)
        core = (gmv >= g80) & (freq >= f80) & (freq > 0)
        advanced = ~core & (freq >= f60) & (freq > 0)
        return np.where(core, 2, np.where(advanced, 1, 0)).astype(np.int8)

    def _channel(self, rows: np.ndarray, layer: np.ndarray) -> np.ndarray:
        """The layer's channel (sources.contract.LAYER_CHANNELS): the preferred one when the
        layer uses it, else the layer's default."""
        pref = self.p.preferred_channel[rows]
        usable = [[CHANNELS.index(c) for c in LAYER_CHANNELS[name]] for name in LAYERS]
        return np.choose(layer, [np.where(np.isin(pref, u), pref, u[0]) for u in usable])

    def _start_past_wave(self, cid: str, ctype: int, t: int) -> None:
        """A past wave: the type's churned customers, a variant each by its share, then a
        holdout of round(n * holdout_share) within every layer x variant."""
        rows = np.flatnonzero((self.churned | self.lapsed) & (self.p.churn_type == ctype)
                              & ~self.assigned)
        layer = self._layers(rows, t)
        variants = C.WAVE_VARIANTS[cid]
        shares = np.array([v.share for v in variants], float)
        pick = self.rng.choice(len(variants), size=rows.size, p=shares / shares.sum())
        treated = self._holdout(layer * len(variants) + pick, 3 * len(variants))
        rule = self._channel(rows, layer)
        channel = np.choose(pick, [rule if v.channel == "preferred"
                                   else np.full(rows.size, CHANNELS.index(v.channel))
                                   for v in variants]) if rows.size else rule
        offer = np.array([v.offer for v in variants], dtype=object)[pick]
        self._add_wave(cid, t, rows, layer, treated, channel, offer,
                       np.array([v.name for v in variants], dtype=object)[pick],
                       np.array([v.template for v in variants], dtype=object)[pick],
                       {v.name: v.channel for v in variants})

    def _holdout(self, stratum: np.ndarray, strata: int = 3) -> np.ndarray:
        treated = np.ones(stratum.size, bool)
        for k in range(strata):
            idx = np.flatnonzero(stratum == k)
            n_control = int(round(idx.size * self.cfg.holdout_share))
            treated[self.rng.permutation(idx)[:n_control]] = False
        return treated

    def _start_response_wave(self, resp: dict, t: int) -> None:
        rows = resp["rows"]
        labels = {}
        names = np.array(CHANNELS)[resp["channel"]] if rows.size else np.zeros(0, str)
        for v in np.unique(resp["variant"].astype(str)):
            used = np.unique(names[resp["variant"].astype(str) == v])
            labels[v] = str(used[0]) if used.size == 1 else "mixed"
        self._add_wave(resp["campaign_id"], t, rows, resp["layer"], resp["treated"],
                       resp["channel"], resp["offer"], resp["variant"], resp["template"], labels,
                       preassigned=True)

    def recent_contacts(self, rows: np.ndarray, t: int) -> np.ndarray:
        """Contacts delivered to `rows` in the FATIGUE_DAYS up to day t (by earlier waves)."""
        count = np.zeros(self.p.size, np.int64)
        for day, contacted in self.contacts:
            if 0 <= t - day < R.FATIGUE_DAYS:
                np.add.at(count, contacted, 1)
        return count[rows]

    def _add_wave(self, cid, t, rows, layer, treated, channel, offer, variant, template,
                  channel_label, preassigned: bool = False) -> None:
        p, rng, m = self.p, self.rng, rows.size
        month = t // 30
        recent = self.recent_contacts(rows, t)
        value = R.value_factor(self.gmv_by_month[rows, :month].sum(axis=1).astype(float))
        eligible = self.churned[rows] | self.lapsed[rows]
        since = np.where(eligible, t - self.churn_day[rows], 0)
        base = R.base_effect(layer, p.churn_type[rows], p.preferred_channel[rows], since, value,
                             recent)
        base = np.where(eligible & ~self.opted_out[rows], base, 0.0)
        effect = np.clip(base * R.match(R.offer_codes(offer), p.churn_type[rows])
                         * R.channel_factor(channel, p.preferred_channel[rows]), 0.0, 1.0)
        rate = np.array([C.DELIVERY_RATE[c] for c in CHANNELS])[channel] if m else np.zeros(0)
        u_deliver, u_recall, u_visit, u_opt = rng.random((4, m))
        delivered = treated & ~self.opted_out[rows] & (u_deliver < rate)
        recalled = delivered & (u_recall < R.recall_probability(effect, rate))
        next_day = delivered & (u_visit < R.next_day_visit_probability(effect, rate))
        opted = delivered & (u_opt < R.opt_out_probability(recent))
        recall_day = t + rng.integers(1, C.CHURN_DAYS, m)
        share = rng.uniform(*R.RECOVERED_SHARE, m)
        upgrade = rng.random(m) < R.UPGRADE_SHARE
        self.assigned[rows] = True
        if delivered.any():
            self.contacts.append((t, rows[delivered]))
        if opted.any():
            self.opted_out[rows[opted]] = True
            self.log.opt_outs.append((rows[opted], np.full(int(opted.sum()), t, np.int32)))
        wave = Wave(cid, t, rows, layer, treated, recalled, recall_day, channel, offer,
                    np.asarray(variant, dtype=object), np.asarray(template, dtype=object),
                    channel_label, delivered, next_day, opted, effect, base, eligible, rate,
                    share, upgrade, preassigned)
        self.waves.append(wave)
        self.log.waves.append(wave)

    # --- planted truth --------------------------------------------------------------------
    def _record_truth(self, s: int, window: int) -> None:
        p = self.p
        rows = np.flatnonzero((p.signup_day < s) & ~self.churned)
        if rows.size == 0:
            return
        prob = true_churn_probability(self, rows, s, window)
        self.log.truth_probs.append((rows, np.full(rows.size, s, np.int32), prob))
