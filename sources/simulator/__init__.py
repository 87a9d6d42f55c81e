"""A seeded, vectorised simulated shop with planted ground truth.

`simulate_to_duckdb(con, cfg)` writes the raw contract tables (schema `raw`) and the planted truth
(schema `truth`, never read by the pipeline) chunk by chunk, so memory stays flat.
`respond(con, wave)` simulates the touches and the next seven months of behaviour after a wave
the platform exported, appending them to raw (select -> send -> observe -> track).
The planted response to a contact is `response.py`; the past waves and their variants are
`config.PAST_WAVES` and `config.WAVE_VARIANTS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from sources.contract import CHANNELS, LAYERS, WAVE_OF_CHURN_TYPE, create_raw_schema
from sources.simulator import config as C
from sources.simulator import response as R
from sources.simulator.config import SimulationConfig
from sources.simulator.engine import Calendar, ChunkSimulation
from sources.simulator.population import draw_population
from sources.simulator.writer import ChunkWriter, create_truth_schema, start_of_history

__all__ = ["SimulationConfig", "simulate_to_duckdb", "respond", "RESPONSE_DAYS"]

log = logging.getLogger(__name__)
RESPONSE_DAYS = 213  # the first month after a wave plus six tracked months


def _snapshot_days(cfg: SimulationConfig) -> list[int]:
    start = start_of_history(cfg.end_date, cfg.history_days)
    days, year, month = [], start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        d = (pd.Timestamp(year, month, 1) - pd.Timestamp(start)).days
        if d >= cfg.history_days:
            return days
        days.append(d)


def _paid_order_value(sim: ChunkSimulation, rows: np.ndarray) -> np.ndarray:
    """Expected paid GMV of one order: lognormal list price, coupon discount, paid status."""
    p = sim.p
    per_order = p.order_value[rows] * np.exp(0.35 ** 2 / 2) * (1 - 0.2 * p.coupon_propensity[rows])
    return per_order * (1 - p.return_propensity[rows] - 0.02)


def _expected_return_gmv(sim: ChunkSimulation, rows: np.ndarray, month: int,
                         share: np.ndarray) -> np.ndarray:
    """Expected GMV in tracked month `month` (1..6) of a customer who came back at the wave
    with the planted recovered share `share` of its visit rate."""
    p = sim.p
    daily = p.visit_rate[rows] * share * p.conversion[rows] * _paid_order_value(sim, rows)
    hazard = C.BASE_HAZARD * p.frailty[rows] * 1.3
    mid = 30 * month + 15
    survive = np.exp(-hazard * max(mid - 20, 0))
    return 30 * daily * survive


def _first_month_return_gmv(sim: ChunkSimulation, rows: np.ndarray,
                            share: np.ndarray) -> np.ndarray:
    """Expected GMV in the first 30 days of a customer recalled by the wave: the order of the
    return (its recall day is uniform on days 1..29) plus habitual orders over the 15 days
    left on average."""
    p = sim.p
    value = _paid_order_value(sim, rows)
    return value + 15 * p.visit_rate[rows] * share * p.conversion[rows] * value


def _campaign_truth(sim: ChunkSimulation, acc: dict) -> None:
    """Accumulate the planted effects per campaign x layer x variant (and layer 'all') over
    the chunks: sums over the treated customers, divided by their count when written."""
    no_natural = (1 - C.RETURN_HAZARD) ** C.CHURN_DAYS
    for w in sim.log.waves:
        if w.rows.size == 0:
            continue
        variants = w.variant.astype(str)
        offers = w.offer.astype(str)
        eff = w.effect * no_natural
        p_recall = R.recall_probability(w.effect, w.delivery_rate)
        p_visit = R.next_day_visit_probability(w.effect, w.delivery_rate)
        rate = w.delivery_rate  # effect is 0 for customers who opted out earlier
        next_day = (1 - C.RETURN_HAZARD) * rate * (1 - (1 - p_visit) * (1 - p_recall / 29))
        activation = no_natural * rate * (1 - (1 - p_visit) * (1 - p_recall))
        activation = np.where(w.eligible, activation, 0.0)
        next_day = np.where(w.eligible, next_day, 0.0)
        first_gmv = eff * _first_month_return_gmv(sim, w.rows, w.recovered_share)
        gmv = [eff * _expected_return_gmv(sim, w.rows, m, w.recovered_share)
               for m in range(1, 7)]
        for variant in np.unique(variants):
            in_variant = variants == variant
            for lay in [None, 0, 1, 2]:
                sel = in_variant if lay is None else in_variant & (w.layer == lay)
                if not sel.any():
                    continue
                tr = sel & w.treated
                used = np.unique(offers[sel])
                key = (w.campaign_id, "all" if lay is None else LAYERS[lay], variant)
                a = acc.setdefault(key, {"n": 0, "treated": 0, "conv": 0.0, "next_day": 0.0,
                                         "activation": 0.0, "first_gmv": 0.0,
                                         "gmv": np.zeros(6), "offers": set(),
                                         "channel": w.channel_label.get(variant, "mixed")})
                a["n"] += int(sel.sum())
                a["treated"] += int(tr.sum())
                a["offers"].update(used.tolist())
                a["conv"] += eff[tr].sum()
                a["next_day"] += next_day[tr].sum()
                a["activation"] += activation[tr].sum()
                a["first_gmv"] += first_gmv[tr].sum()
                a["gmv"] += [g[tr].sum() for g in gmv]


def _write_campaign_truth(con, acc: dict) -> None:
    rows = []
    for (cid, layer, variant), a in acc.items():
        offer = next(iter(a["offers"])) if len(a["offers"]) == 1 else "mixed"
        k = max(a["treated"], 1)
        head = (cid, layer, variant, offer, a["channel"])
        rows.append(head + ("first_month_conversion", 0, a["conv"] / k, a["n"]))
        rows.append(head + ("next_day_visit", 0, a["next_day"] / k, a["n"]))
        rows.append(head + ("activation", 0, a["activation"] / k, a["n"]))
        rows.append(head + ("first_month_gmv_per_customer", 0, a["first_gmv"] / k, a["n"]))
        for m in range(6):
            rows.append(head + ("incremental_gmv_per_customer", m + 1, a["gmv"][m] / k, a["n"]))
    if rows:
        frame = pd.DataFrame(rows, columns=["campaign_id", "layer", "variant", "offer", "channel",
                                            "metric", "month", "true_effect", "customers"])
        con.register("_effects", frame)
        try:
            con.execute("insert into truth.campaign_effects (campaign_id, layer, variant, offer, "
                        "channel, metric, month, true_effect, customers) select campaign_id, "
                        "layer, variant, offer, channel, metric, month, true_effect, customers "
                        "from _effects")
        finally:
            con.unregister("_effects")


def _campaign_rows(con, cfg: SimulationConfig, start) -> None:
    cost = pd.DataFrame(con.execute(
        "select campaign_id, sum(cost) from raw.recall_touches group by 1").fetchall(),
        columns=["campaign_id", "cost"]).set_index("campaign_id")["cost"].to_dict()
    for cid, wave_type, before in C.PAST_WAVES:
        day = cfg.history_days - before
        con.execute(
            "insert into raw.recall_campaigns (campaign_id, wave, started_at, ends_at, budget, "
            "design, holdout_share, kind, parent_campaign_id) values (?, ?, "
            "cast(? as timestamp) + to_days(?) + interval 8 hour, "
            "cast(? as timestamp) + to_days(?), ?, 'randomized', ?, 'wave', null)",
            [cid, WAVE_OF_CHURN_TYPE[wave_type], start, day, start, day + 30,
             round(float(cost.get(cid, 0)) * 1.1 + 100, 2), cfg.holdout_share])


def _market_events(con, cfg: SimulationConfig, start, first_day: int) -> None:
    """raw.market_events: the competitor promotions that start in days [first_day, total)."""
    cal = Calendar(cfg.history_days, cfg.total_days)
    for k, day in enumerate(cal.promo_starts()):
        if first_day <= day < cfg.total_days:
            con.execute(
                "insert into raw.market_events (market_event_id, kind, started_at, ends_at, "
                "description) values (?, 'competitor_promotion', "
                "cast(? as timestamp) + to_days(?), cast(? as timestamp) + to_days(?), ?)",
                [f"promo_{k + 1}", start, day, start, day + cal.PROMO_DAYS,
                 "a competitor's storewide promotion (simulated)"])


def _run(con, cfg: SimulationConfig, *, responses: list[dict], min_day: int,
         with_customers: bool, progress: Callable[[str], None] | None) -> dict:
    start = start_of_history(cfg.end_date, cfg.history_days)
    writer = ChunkWriter(con, start, min_day=min_day,
                         id_prefix="" if with_customers else f"r{min_day}-")
    snapshots = _snapshot_days(cfg) if with_customers else []
    n_chunks = -(-cfg.customers // cfg.chunk_size)
    acc: dict = {}
    for k in range(n_chunks):
        rng = np.random.default_rng([cfg.seed, k])
        first = k * cfg.chunk_size
        n = min(cfg.chunk_size, cfg.customers - first)
        pop = draw_population(rng, first, n, cfg.history_days)
        chunk_resp = []
        for r in responses:
            sel = (r["index"] >= first) & (r["index"] < first + n)
            chunk_resp.append({**{key: v[sel] for key, v in r.items()
                                  if isinstance(v, np.ndarray)},
                               "rows": r["index"][sel] - first,
                               "campaign_id": r["campaign_id"], "day": r["day"]})
        sim = ChunkSimulation(pop, rng, cfg, responses=chunk_resp)
        sim.run(snapshots, C.CHURN_DAYS)
        con.execute("begin")
        writer.write(sim, sim.log, with_customers=with_customers)
        con.execute("commit")
        if with_customers or responses:
            _campaign_truth(sim, acc)
        if progress:
            progress(f"simulated chunk {k + 1}/{n_chunks} ({first + n:,} customers)")
    return acc


def simulate_to_duckdb(con, cfg: SimulationConfig | None = None,
                       progress: Callable[[str], None] | None = None) -> None:
    """Write a fresh simulated shop into `raw` and its planted truth into `truth`."""
    cfg = cfg or SimulationConfig()
    create_raw_schema(con)
    create_truth_schema(con)
    con.execute("create table if not exists truth.simulation (customers BIGINT, months INTEGER, "
                "seed BIGINT, end_date DATE, chunk_size INTEGER, holdout_share DOUBLE, "
                "extra_days INTEGER)")
    _response_waves_table(con)
    if con.execute("select count(*) from raw.customers").fetchone()[0]:
        raise ValueError("raw.customers already holds rows: simulate into an empty warehouse")
    acc = _run(con, cfg, responses=[], min_day=-10**6, with_customers=True, progress=progress)
    start = start_of_history(cfg.end_date, cfg.history_days)
    _campaign_rows(con, cfg, start)
    _market_events(con, cfg, start, -10**6)
    _write_campaign_truth(con, acc)
    con.execute("insert into truth.simulation (customers, months, seed, end_date, chunk_size, "
                "holdout_share, extra_days) values (?, ?, ?, ?, ?, ?, 0)",
                [cfg.customers, cfg.months, cfg.seed, cfg.end_date, cfg.chunk_size,
                 cfg.holdout_share])


def _load_config(con) -> SimulationConfig:
    row = con.execute("select customers, months, seed, end_date, chunk_size, holdout_share, "
                      "extra_days from truth.simulation").fetchone()
    if row is None:
        raise ValueError("no simulation found in schema truth: respond needs a simulated shop")
    customers, months, seed, end, chunk, holdout, extra = row
    return SimulationConfig(customers=customers, months=months, seed=seed,
                            end_date=end if isinstance(end, date) else end.date(),
                            chunk_size=chunk, holdout_share=holdout, extra_days=extra)


def _response_waves_table(con) -> None:
    con.execute("create table if not exists truth.response_waves (campaign_id VARCHAR, "
                "customer_id VARCHAR, layer VARCHAR, arm VARCHAR, offer VARCHAR, "
                "channel VARCHAR, day INTEGER, variant VARCHAR, template VARCHAR)")
    for col in ("variant", "template"):
        con.execute(f"alter table truth.response_waves add column if not exists {col} VARCHAR")


def _with_variants(wave: pd.DataFrame) -> pd.DataFrame:
    """Default variant (offer@channel) and template ('default') where a wave file has none."""
    wave = wave.copy()
    default = wave["offer"].astype(str) + "@" + wave["channel"].astype(str)
    wave["variant"] = (wave["variant"].where(wave["variant"].notna(), default)
                       if "variant" in wave else default)
    wave["template"] = (wave["template"].where(wave["template"].notna(), "default")
                        if "template" in wave else "default")
    return wave


def _response_arrays(waves: pd.DataFrame) -> list[dict]:
    out = []
    # the waves of one day start in campaign id order: an earlier one's contact fatigues a later
    for (day, cid), g in waves.groupby(["day", "campaign_id"], sort=True):
        out.append({
            "campaign_id": cid, "day": int(day),
            "index": g["customer_id"].str[1:].astype(np.int64).to_numpy(),
            "layer": g["layer"].map({x: i for i, x in enumerate(LAYERS)}).to_numpy(np.int8),
            "treated": (g["arm"] == "treatment").to_numpy(),
            "channel": g["channel"].map({c: i for i, c in enumerate(CHANNELS)}).to_numpy(),
            "offer": g["offer"].astype(object).to_numpy(),
            "variant": g["variant"].astype(object).to_numpy(),
            "template": g["template"].astype(object).to_numpy(),
        })
    return out


def respond(con, wave: pd.DataFrame, progress: Callable[[str], None] | None = None) -> int:
    """Simulate how customers respond to an exported wave and the seven months that follow.

    `wave` has customer_id, campaign_id, layer, arm, offer, channel and optionally variant and
    template (defaults: offer@channel and 'default'); each contact's effect comes from
    `response.py` with the customer's offer and channel. The shop is re-simulated from its seed
    with the wave starting the day after the data ends, and only the new days are appended to
    raw. Returns the number of days appended.
    """
    cfg = _load_config(con)
    unknown = set(wave["layer"]) - set(LAYERS)
    if unknown:
        raise ValueError(f"wave file: unknown layer(s) {sorted(unknown)}")
    bad = set(wave["channel"]) - set(CHANNELS)
    if bad:
        raise ValueError(f"wave file: unknown channel(s) {sorted(map(str, bad))}")
    create_truth_schema(con)
    _response_waves_table(con)
    previous = _with_variants(con.execute("select * from truth.response_waves").df())
    day = cfg.total_days
    new = _with_variants(wave).assign(day=day)[[
        "campaign_id", "customer_id", "layer", "arm", "offer", "channel", "day", "variant",
        "template"]]
    all_waves = pd.concat([previous[new.columns], new], ignore_index=True)
    extended = replace(cfg, extra_days=cfg.extra_days + RESPONSE_DAYS)
    acc = _run(con, extended, responses=_response_arrays(all_waves), min_day=day,
               with_customers=False, progress=progress)
    acc = {k: v for k, v in acc.items() if k[0] in set(new["campaign_id"])}
    _write_campaign_truth(con, acc)
    start = start_of_history(cfg.end_date, cfg.history_days)
    _market_events(con, extended, start, day)
    con.register("_wave", new)
    con.execute("insert into truth.response_waves (campaign_id, customer_id, layer, arm, offer, "
                "channel, day, variant, template) select campaign_id, customer_id, layer, arm, "
                "offer, channel, day, variant, template from _wave")
    con.unregister("_wave")
    con.execute("update truth.simulation set extra_days = ?", [extended.extra_days])
    return RESPONSE_DAYS
