"""Turn one chunk's log into contract rows and append them to DuckDB (raw) and truth tables.

Column arrays are handed to DuckDB as Arrow tables; ids and timestamps are formatted in SQL,
so no per-row Python runs even at 100M events. Raw rows are inserted by column name (the
contract's names), never by position.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from sources.contract import (ACQUISITION_CHANNELS, CATEGORIES, CHANNELS, CHURN_TYPES,
                              CONTACT_COSTS, EVENT_TYPES, LAYERS, REGIONS, TIERS, TRUTH_SCHEMA)
from sources.simulator import config as C
from sources.simulator import response as R
from sources.simulator.engine import ChunkLog, ChunkSimulation

TRUTH_DDL = {
    "customers": "customer_id VARCHAR, churn_type VARCHAR, visit_rate DOUBLE, "
                 "first_drift_at DATE, first_churn_date DATE",
    "churn_spells": "customer_id VARCHAR, churn_date DATE",
    # visit_only: a next-day visit after a contact that did not end the churn (the customer
    # interacts once and stays away); recalled: came back because of a wave
    "returns": "customer_id VARCHAR, returned_on DATE, recalled BOOLEAN, visit_only BOOLEAN",
    "snapshot_probabilities": "customer_id VARCHAR, snapshot_date DATE, "
                              "true_churn_probability DOUBLE",
    # per campaign x layer x variant, and per campaign x variant with layer 'all'
    "campaign_effects": "campaign_id VARCHAR, layer VARCHAR, offer VARCHAR, metric VARCHAR, "
                        "month INTEGER, true_effect DOUBLE, customers BIGINT, variant VARCHAR, "
                        "channel VARCHAR",
    # the oracle: every assigned customer's effect for every offer x channel at the wave date
    "customer_offer_effects": "campaign_id VARCHAR, customer_id VARCHAR, offer VARCHAR, "
                              "channel VARCHAR, effect DOUBLE",
    # the planted path of every customer a wave recalled
    "recall_paths": "customer_id VARCHAR, campaign_id VARCHAR, returned_on DATE, "
                    "recovered_share DOUBLE, upgraded BOOLEAN",
}


def create_truth_schema(con) -> None:
    """Create the truth tables; add columns a warehouse written by an older simulator lacks."""
    con.execute(f"create schema if not exists {TRUTH_SCHEMA}")
    for name, cols in TRUTH_DDL.items():
        con.execute(f"create table if not exists {TRUTH_SCHEMA}.{name} ({cols})")
        for col in cols.split(", "):
            col_name, col_type = col.split(" ", 1)
            con.execute(f"alter table {TRUTH_SCHEMA}.{name} add column if not exists "
                        f"{col_name} {col_type}")


def _cid(expr: str) -> str:
    return f"'C' || lpad(cast({expr} as varchar), 8, '0')"


def _ts(day_expr: str, sec_expr: str = "0") -> str:
    return f"(cast(? as timestamp) + to_days(cast({day_expr} as integer)) " \
           f"+ to_seconds(cast({sec_expr} as bigint)))"


def _dictionary(codes: np.ndarray, values) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(values))


class ChunkWriter:
    """Appends one chunk's rows; counters keep ids unique across chunks."""

    def __init__(self, con, start: datetime, min_day: int = 0, max_day: int | None = None,
                 id_prefix: str = ""):
        self.con, self.start, self.min_day, self.max_day = con, start, min_day, max_day
        self.prefix = id_prefix
        self.counters = {"event": 0, "order": 0, "ticket": 0, "touch": 0}

    def _day_kept(self, day: int) -> bool:
        return bool(self._keep(np.array([day]))[0])

    def _insert(self, arrow: pa.Table, sql: str, params: list) -> None:
        self.con.register("_chunk", arrow)
        try:
            self.con.execute(sql, params)
        finally:
            self.con.unregister("_chunk")

    def _keep(self, day: np.ndarray) -> np.ndarray:
        keep = day >= self.min_day
        if self.max_day is not None:
            keep &= day < self.max_day
        return keep

    def write(self, sim: ChunkSimulation, log: ChunkLog, *, with_customers: bool) -> None:
        if with_customers:
            self.customers(sim)
        self.events(sim, log)
        self.orders(sim, log)
        self.tickets(sim, log)
        self.tiers(sim, log)
        self.waves(sim, log)
        self.opt_outs(sim, log)
        self.wave_truth(sim, log)
        if with_customers:
            self.truth(sim, log)

    def customers(self, sim: ChunkSimulation) -> None:
        p, rng = sim.p, sim.rng
        t = pa.table({
            "idx": p.index, "day": p.signup_day,
            "sec": np.zeros(p.size, np.int64),  # midnight: no activity before sign-up
            "region": _dictionary(p.region, REGIONS),
            "acq": _dictionary(p.acquisition_channel, ACQUISITION_CHANNELS),
            "pref": _dictionary(p.preferred_channel, CHANNELS),
        })
        self._insert(t, "insert into raw.customers (customer_id, signup_at, region, "
                        "acquisition_channel, preferred_channel) "
                        f"select {_cid('idx')}, {_ts('day', 'sec')}, region, acq, pref from _chunk",
                     [self.start])
        referred = np.flatnonzero((p.acquisition_channel == ACQUISITION_CHANNELS.index("referral"))
                                  & (p.signup_day > 7))
        if referred.size:
            order = np.argsort(p.signup_day, kind="stable")
            earlier = np.searchsorted(p.signup_day[order], p.signup_day[referred] - 7)
            ok = earlier > 0
            pick = order[(rng.random(referred.size) * np.maximum(earlier, 1)).astype(int)]
            t = pa.table({"ref": p.index[pick[ok]], "idx": p.index[referred[ok]],
                          "day": p.signup_day[referred[ok]]})
            self._insert(t, f"insert into raw.referrals (referrer_id, referred_customer_id, "
                            f"referred_at) select {_cid('ref')}, {_cid('idx')}, "
                            f"{_ts('day')} from _chunk", [self.start])

    def events(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        if not log.visits:
            return
        cols = [np.concatenate(c) for c in zip(*log.visits)]
        rows, day = cols[0], cols[1].astype(np.int32)
        keep = self._keep(day)
        rows, day = rows[keep], day[keep]
        counts = [c[keep] for c in cols[2:]]
        parts = []
        rng = sim.rng
        visits, logins, views, atc, searches, comp_searches, promos, reviews = counts
        by_kind = {"visit": visits, "login": logins, "view": views, "add_to_cart": atc,
                   "search": searches, "promo_view": promos, "review": reviews}
        for kind, count in by_kind.items():
            r = np.repeat(rows, count)
            d = np.repeat(day, count)
            m = r.size
            if not m:
                continue
            cat = np.full(m, -1, np.int8)
            if kind in ("view", "add_to_cart", "review"):
                fav = sim.p.favourite_category[r]
                cat = np.where(rng.random(m) < 0.6, fav,
                               rng.integers(0, len(CATEGORIES), m)).astype(np.int8)
            comp = np.zeros(m, np.int8)
            if kind == "search":
                rank = np.arange(m) - np.repeat(np.cumsum(count) - count, count)
                comp = (rank < np.repeat(comp_searches, count)).astype(np.int8)
            parts.append((r, d, np.full(m, EVENT_TYPES.index(kind), np.int8), cat, comp,
                          kind == "search"))
        r = np.concatenate([x[0] for x in parts])
        d = np.concatenate([x[1] for x in parts])
        kind = np.concatenate([x[2] for x in parts])
        cat = np.concatenate([x[3] for x in parts])
        comp = np.concatenate([x[4] for x in parts])
        is_search = np.concatenate([np.full(x[0].size, x[5]) for x in parts])
        sec = rng.integers(0, 86400, r.size)
        order = np.argsort((r.astype(np.int64) * (d.max() + 1) + d) * 86400 + sec, kind="stable")
        first = self.counters["event"]
        self.counters["event"] += r.size
        t = pa.table({
            "n": np.arange(first, first + r.size, dtype=np.int64),
            "idx": sim.p.index[r[order]], "day": d[order], "sec": sec[order],
            "kind": _dictionary(kind[order], EVENT_TYPES),
            "cat": pa.DictionaryArray.from_arrays(
                pa.array(cat[order], mask=cat[order] < 0), pa.array(CATEGORIES)),
            "comp": pa.array(comp[order].astype(bool), mask=~is_search[order]),
        })
        self._insert(t, f"insert into raw.events (event_id, customer_id, event_at, "
                        "event_type, category, search_term_is_competitor) "
                        "select 'E' || ? || cast(n as varchar), "
                        f"{_cid('idx')}, {_ts('day', 'sec')}, kind, cat, comp from _chunk",
                     [self.prefix, self.start])

    def orders(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        if not log.orders:
            return
        rows, day, gmv, disc, coupon, status, delivery, cat, shock = \
            [np.concatenate(c) for c in zip(*log.orders)]
        keep = self._keep(day.astype(np.int32))
        rows, day, gmv, disc, coupon, status, delivery, cat, shock = \
            (x[keep] for x in (rows, day, gmv, disc, coupon, status, delivery, cat, shock))
        m = rows.size
        if not m:
            return
        rng = sim.rng
        first = self.counters["order"]
        self.counters["order"] += m
        n = np.arange(first, first + m, dtype=np.int64)
        coupon_code = np.where(shock, 1, 0).astype(np.int8)
        t = pa.table({
            "n": n, "idx": sim.p.index[rows], "day": day.astype(np.int32),
            "sec": rng.integers(0, 86400, m), "gmv": gmv, "disc": disc,
            "coupon": pa.DictionaryArray.from_arrays(
                pa.array(coupon_code, mask=~coupon), pa.array(["CPN-STD", "CPN-HIGH"])),
            "status": _dictionary(status, ("paid", "returned", "cancelled")),
            "delivery": delivery.astype(np.int32),
        })
        self._insert(t, f"insert into raw.orders (order_id, customer_id, ordered_at, gmv, "
                        "discount, coupon_id, status, delivery_days) "
                        "select 'O' || ? || cast(n as varchar), "
                        f"{_cid('idx')}, {_ts('day', 'sec')}, cast(gmv as decimal(18,2)), "
                        f"cast(disc as decimal(18,2)), coupon, status, delivery from _chunk",
                     [self.prefix, self.start])
        lines = 1 + rng.binomial(2, 0.35, m)
        order_of_line = np.repeat(np.arange(m), lines)
        line_no = np.arange(order_of_line.size) - np.repeat(np.cumsum(lines) - lines, lines) + 1
        weight = rng.random(order_of_line.size) + 0.2
        total = np.add.reduceat(weight, np.cumsum(lines) - lines)
        qty = 1 + rng.binomial(2, 0.2, order_of_line.size)
        list_price = (gmv + disc)[order_of_line] * weight / total[order_of_line]
        line_cat = np.where(line_no == 1, cat[order_of_line],
                            rng.integers(0, len(CATEGORIES), order_of_line.size)).astype(np.int8)
        t = pa.table({
            "n": n[order_of_line], "line": line_no.astype(np.int32),
            "product": rng.integers(0, 5000, order_of_line.size) + line_cat.astype(int) * 10000,
            "cat": _dictionary(line_cat, CATEGORIES), "qty": qty.astype(np.int32),
            "price": np.round(list_price / qty, 2),
        })
        self._insert(t, "insert into raw.order_items (order_id, line_number, product_id, "
                        "category, quantity, price) select 'O' || ? || cast(n as varchar), line, "
                        "'P' || cast(product as varchar), cat, qty, "
                        "cast(price as decimal(18,2)) from _chunk", [self.prefix])

    def tickets(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        if not log.tickets:
            return
        rows, day, kind, topic, minutes, sat = [np.concatenate(c) for c in zip(*log.tickets)]
        keep = self._keep(day) & (day < sim.cfg.total_days)
        rows, day, kind, topic, minutes, sat = (x[keep] for x in
                                               (rows, day, kind, topic, minutes, sat))
        m = rows.size
        if not m:
            return
        first = self.counters["ticket"]
        self.counters["ticket"] += m
        t = pa.table({
            "n": np.arange(first, first + m, dtype=np.int64), "idx": sim.p.index[rows],
            "day": day, "sec": sim.rng.integers(0, 86400, m),
            "kind": _dictionary(kind, ("complaint", "inquiry", "return")),
            "topic": _dictionary(topic, ("logistics", "after_sales", "product", "price")),
            "minutes": minutes, "sat": pa.array(sat.astype(np.int32), mask=sat < 0),
        })
        self._insert(t, f"insert into raw.support_tickets (ticket_id, customer_id, opened_at, "
                        "kind, topic, first_response_minutes, satisfaction) "
                        "select 'T' || ? || cast(n as varchar), "
                        f"{_cid('idx')}, {_ts('day', 'sec')}, kind, topic, minutes, sat "
                        "from _chunk", [self.prefix, self.start])

    def tiers(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        if not log.tiers:
            return
        rows, day, tier = [np.concatenate(c) for c in zip(*log.tiers)]
        keep = self._keep(day)
        rows, day, tier = rows[keep], day[keep], tier[keep]
        if not rows.size:
            return
        # One change per customer and day: keep the last one logged.
        key = sim.p.index[rows] * 100_000 + day
        _, last = np.unique(key[::-1], return_index=True)
        pick = rows.size - 1 - last
        t = pa.table({"idx": sim.p.index[rows[pick]], "day": day[pick],
                      "tier": _dictionary(tier[pick], TIERS)})
        self._insert(t, f"insert into raw.memberships (customer_id, changed_at, tier, "
                        f"expires_at) select {_cid('idx')}, "
                        f"{_ts('day', '3600')}, tier, {_ts('day + 365', '3600')} from _chunk",
                     [self.start, self.start])

    def waves(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        rng = sim.rng
        for w in log.waves:
            if not self._day_kept(w.day) or w.rows.size == 0:
                continue
            m = w.rows.size
            ctype = np.array(CHURN_TYPES)[sim.p.churn_type[w.rows]]
            t = pa.table({
                "cid": np.full(m, w.campaign_id), "idx": sim.p.index[w.rows],
                "layer": np.array(LAYERS)[w.layer], "ctype": ctype,
                "arm": np.where(w.treated, "treatment", "control"),
                "offer": w.offer.astype(str), "channel": np.array(CHANNELS)[w.channel],
                "day": np.full(m, w.day, np.int32), "variant": w.variant.astype(str),
                "template": w.template.astype(str),
            })
            if not w.preassigned:
                self._insert(t, "insert into raw.recall_assignments (campaign_id, customer_id, "
                                "layer, churn_type, arm, offer, channel, assigned_at, variant, "
                                f"template) select cid, {_cid('idx')}, layer, ctype, arm, offer, "
                                f"channel, {_ts('day', '28800')}, variant, template from _chunk",
                             [self.start])
            tr = np.flatnonzero(w.treated)
            k = tr.size
            if not k:
                continue
            ch = np.array(CHANNELS)[w.channel[tr]]
            delivered = w.delivered[tr]
            responds = w.recalled[tr] | w.next_day[tr]
            opened = delivered & (responds | (rng.random(k) < [C.OPEN_RATE[c] for c in ch]))
            clicked = opened & (responds | (rng.random(k) < C.CLICK_RATE))
            open_sec = np.where(w.next_day[tr], 28800 + rng.integers(600, 86400 - 28800, k),
                                28800 + rng.integers(600, 86400 * 3, k))
            redeemed = w.recalled[tr]
            first = self.counters["touch"]
            self.counters["touch"] += k
            t = pa.table({
                "n": np.arange(first, first + k, dtype=np.int64),
                "cid": np.full(k, w.campaign_id), "idx": sim.p.index[w.rows[tr]], "ch": ch,
                "day": np.full(k, w.day, np.int32), "delivered": delivered,
                "open_sec": pa.array(open_sec, mask=~opened),
                "click_sec": pa.array(open_sec + 300, mask=~clicked),
                "redeem_day": pa.array((w.recall_day[tr] - w.day).astype(np.int32),
                                       mask=~redeemed),
                "cost": np.array([CONTACT_COSTS[c] for c in ch]),
            })
            self._insert(t, "insert into raw.recall_touches (touch_id, campaign_id, customer_id, "
                            "channel, sent_at, delivered, opened_at, clicked_at, redeemed_at, "
                            "cost) select cid || '-T' || ? || cast(n as varchar), cid, "
                            f"{_cid('idx')}, ch, {_ts('day', '28800')}, delivered, "
                            f"{_ts('day', 'open_sec')}, {_ts('day', 'click_sec')}, "
                            f"{_ts('day + redeem_day', '43200')}, "
                            "cast(cost as decimal(18,2)) from _chunk",
                         [self.prefix] + [self.start] * 4)

    def opt_outs(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        """raw.do_not_contact: customers who opted out after a delivered contact (listed on
        the day after the contact)."""
        if not log.opt_outs:
            return
        rows, day = [np.concatenate(c) for c in zip(*log.opt_outs)]
        keep = self._keep(day)
        if not keep.any():
            return
        t = pa.table({"idx": sim.p.index[rows[keep]], "day": day[keep] + 1,
                      "sec": sim.rng.integers(0, 86400, int(keep.sum()))})
        self._insert(t, "insert into raw.do_not_contact (customer_id, listed_at, reason) "
                        f"select {_cid('idx')}, {_ts('day', 'sec')}, 'opt_out' from _chunk",
                     [self.start])

    def wave_truth(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        """truth.customer_offer_effects (every assigned customer x offer x channel at the wave
        date, times the no-natural-return factor) and truth.recall_paths."""
        no_natural = (1 - C.RETURN_HAZARD) ** C.CHURN_DAYS
        n_off, n_ch = len(R.OFFER_NAMES), len(CHANNELS)
        for w in log.waves:
            if not self._day_kept(w.day) or w.rows.size == 0:
                continue
            m = w.rows.size
            eff = R.all_offer_effects(w.base, sim.p.churn_type[w.rows],
                                      sim.p.preferred_channel[w.rows]) * no_natural
            t = pa.table({
                "idx": np.repeat(sim.p.index[w.rows], n_off * n_ch),
                "offer": _dictionary(np.tile(np.repeat(np.arange(n_off), n_ch), m),
                                     R.OFFER_NAMES),
                "channel": _dictionary(np.tile(np.arange(n_ch), n_off * m), CHANNELS),
                "effect": eff.reshape(-1),
            })
            self._insert(t, "insert into truth.customer_offer_effects (campaign_id, customer_id, "
                            f"offer, channel, effect) select ?, {_cid('idx')}, offer, channel, "
                            "effect from _chunk", [w.campaign_id])
        paths = [x for x in log.recall_paths if self._day_kept(x[2])]
        if paths:
            t = pa.table({
                "cid": np.concatenate([np.full(x[1].size, x[0]) for x in paths]),
                "idx": sim.p.index[np.concatenate([x[1] for x in paths])],
                "day": np.concatenate([np.full(x[1].size, x[2], np.int32) for x in paths]),
                "share": np.concatenate([x[3] for x in paths]),
                "upgraded": np.concatenate([x[4] for x in paths]),
            })
            self._insert(t, "insert into truth.recall_paths (customer_id, campaign_id, "
                            f"returned_on, recovered_share, upgraded) select {_cid('idx')}, cid, "
                            "cast(cast(? as timestamp) + to_days(day) as date), share, upgraded "
                            "from _chunk", [self.start])

    def truth(self, sim: ChunkSimulation, log: ChunkLog) -> None:
        p = sim.p
        churn_rows = np.concatenate([c[0] for c in log.churns]) if log.churns else np.zeros(0, int)
        churn_days = np.concatenate([c[1] for c in log.churns]) if log.churns else np.zeros(0, int)
        first_churn = np.full(p.size, np.iinfo(np.int32).max)
        np.minimum.at(first_churn, churn_rows, churn_days)
        t = pa.table({
            "idx": p.index, "ctype": np.array(CHURN_TYPES)[p.churn_type],
            "rate": p.visit_rate,
            "drift": pa.array(sim.first_drift, mask=sim.first_drift < 0),
            "churn": pa.array(first_churn.astype(np.int32),
                              mask=first_churn == np.iinfo(np.int32).max),
        })
        self._insert(t, "insert into truth.customers (customer_id, churn_type, visit_rate, "
                        f"first_drift_at, first_churn_date) select {_cid('idx')}, ctype, rate, "
                        "cast(cast(? as timestamp) + to_days(drift) as date), "
                        "cast(cast(? as timestamp) + to_days(churn) as date) from _chunk",
                     [self.start, self.start])
        if churn_rows.size:
            t = pa.table({"idx": p.index[churn_rows], "day": churn_days.astype(np.int32)})
            self._insert(t, "insert into truth.churn_spells (customer_id, churn_date) "
                            f"select {_cid('idx')}, "
                            "cast(cast(? as timestamp) + to_days(day) as date) from _chunk",
                         [self.start])
        if log.returns:
            rows, day, recalled, visit_only = [np.concatenate(c) for c in zip(*log.returns)]
            t = pa.table({"idx": p.index[rows], "day": day, "recalled": recalled,
                          "visit_only": visit_only})
            self._insert(t, "insert into truth.returns (customer_id, returned_on, recalled, "
                            f"visit_only) select {_cid('idx')}, "
                            "cast(cast(? as timestamp) + to_days(day) as date), recalled, "
                            "visit_only from _chunk", [self.start])
        if log.truth_probs:
            rows, day, prob = [np.concatenate(c) for c in zip(*log.truth_probs)]
            t = pa.table({"idx": p.index[rows], "day": day, "prob": prob})
            self._insert(t, "insert into truth.snapshot_probabilities (customer_id, "
                            f"snapshot_date, true_churn_probability) select {_cid('idx')}, "
                            "cast(cast(? as timestamp) + to_days(day) as date), prob from _chunk",
                         [self.start])


def start_of_history(end_date, history_days: int) -> datetime:
    end = datetime(end_date.year, end_date.month, end_date.day) + timedelta(days=1)
    return end - timedelta(days=history_days)
