"""A seeded, vectorised simulated shop with planted ground truth.

`simulate_to_duckdb(con, cfg)` writes the raw contract tables (schema `raw`) and the planted truth
(schema `truth`, never read by the pipeline) chunk by chunk, so memory stays flat.
`respond(con, wave)` simulates the touches and the next seven months of behaviour after a wave
the platform exported, appending them to raw (select -> send -> observe -> track).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from sources.contract import CHANNELS, LAYERS, create_raw_schema
from sources.simulator import config as C
from sources.simulator.config import SimulationConfig
from sources.simulator.engine import ChunkSimulation
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


def _expected_return_gmv(sim: ChunkSimulation, rows: np.ndarray, month: int) -> np.ndarray:
    """Expected GMV in tracked month `month` (1..6) of a customer who came back at the wave."""
    p = sim.p
    per_order = p.order_value[rows] * np.exp(0.35 ** 2 / 2) * (1 - 0.2 * p.coupon_propensity[rows])
    daily = p.visit_rate[rows] * 0.675 * p.conversion[rows] * per_order
    hazard = C.BASE_HAZARD * p.frailty[rows] * 1.3
    mid = 30 * month + 15
    survive = np.exp(-hazard * max(mid - 20, 0))
    return 30 * daily * survive


def _campaign_truth(sim: ChunkSimulation, acc: dict) -> None:
    no_natural = (1 - C.RETURN_HAZARD) ** C.CHURN_DAYS
    for w in sim.log.waves:
        for lay in range(3):
            sel = w.layer == lay
            if not sel.any():
                continue
            offers = np.unique(w.offer[sel].astype(str))
            for offer in offers:
                rows = w.rows[sel & (w.offer.astype(str) == offer)]
                eff = C.LAYER_EFFECTS[LAYERS[lay]] * no_natural
                key = (w.campaign_id, LAYERS[lay], offer)
                a = acc.setdefault(key, {"n": 0, "gmv": np.zeros(6)})
                a["n"] += rows.size
                for m in range(1, 7):
                    a["gmv"][m - 1] += (eff * _expected_return_gmv(sim, rows, m)).sum()
                a["conv"] = eff


def _write_campaign_truth(con, acc: dict) -> None:
    rows = []
    for (cid, layer, offer), a in acc.items():
        rows.append((cid, layer, offer, "first_month_conversion", 0, a["conv"], a["n"]))
        for m in range(6):
            rows.append((cid, layer, offer, "incremental_gmv_per_customer", m + 1,
                         a["gmv"][m] / max(a["n"], 1), a["n"]))
    if rows:
        con.executemany("insert into truth.campaign_effects values (?, ?, ?, ?, ?, ?, ?)", rows)


def _campaign_rows(con, cfg: SimulationConfig, start) -> None:
    cost = pd.DataFrame(con.execute(
        "select campaign_id, sum(cost) from raw.recall_touches group by 1").fetchall(),
        columns=["campaign_id", "cost"]).set_index("campaign_id")["cost"].to_dict()
    for cid, wave_type, before in C.PAST_WAVES:
        day = cfg.history_days - before
        con.execute(
            "insert into raw.recall_campaigns values (?, ?, cast(? as timestamp) + to_days(?) "
            "+ interval 8 hour, cast(? as timestamp) + to_days(?), ?, 'randomized', ?)",
            [cid, C.WAVE_OF_TYPE[wave_type], start, day, start, day + 30,
             round(float(cost.get(cid, 0)) * 1.1 + 100, 2), cfg.holdout_share])


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
        for w in sim.log.waves:
            w.preassigned = w.campaign_id not in {c for c, _, _ in C.PAST_WAVES}
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
    con.execute("create table if not exists truth.response_waves (campaign_id VARCHAR, "
                "customer_id VARCHAR, layer VARCHAR, arm VARCHAR, offer VARCHAR, "
                "channel VARCHAR, day INTEGER)")
    if con.execute("select count(*) from raw.customers").fetchone()[0]:
        raise ValueError("raw.customers already holds rows: simulate into an empty warehouse")
    acc = _run(con, cfg, responses=[], min_day=-10**6, with_customers=True, progress=progress)
    start = start_of_history(cfg.end_date, cfg.history_days)
    _campaign_rows(con, cfg, start)
    _write_campaign_truth(con, acc)
    con.execute("insert into truth.simulation values (?, ?, ?, ?, ?, ?, 0)",
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


def _response_arrays(waves: pd.DataFrame) -> list[dict]:
    out = []
    for (cid, day), g in waves.groupby(["campaign_id", "day"], sort=True):
        out.append({
            "campaign_id": cid, "day": int(day),
            "index": g["customer_id"].str[1:].astype(np.int64).to_numpy(),
            "layer": g["layer"].map({x: i for i, x in enumerate(LAYERS)}).to_numpy(np.int8),
            "treated": (g["arm"] == "treatment").to_numpy(),
            "channel": g["channel"].map({c: i for i, c in enumerate(CHANNELS)}).to_numpy(),
            "offer": g["offer"].astype(object).to_numpy(),
        })
    return out


def respond(con, wave: pd.DataFrame, progress: Callable[[str], None] | None = None) -> int:
    """Simulate how customers respond to an exported wave and the seven months that follow.

    `wave` has customer_id, campaign_id, layer, arm, offer, channel. The shop is re-simulated
    from its seed with the wave starting the day after the data ends, and only the new days are
    appended to raw. Returns the number of days appended.
    """
    cfg = _load_config(con)
    unknown = set(wave["layer"]) - set(LAYERS)
    if unknown:
        raise ValueError(f"wave file: unknown layer(s) {sorted(unknown)}")
    previous = con.execute("select * from truth.response_waves").df()
    day = cfg.total_days
    new = wave.assign(day=day)[["campaign_id", "customer_id", "layer", "arm", "offer",
                                "channel", "day"]]
    all_waves = pd.concat([previous, new], ignore_index=True)
    extended = replace(cfg, extra_days=cfg.extra_days + RESPONSE_DAYS)
    acc = _run(con, extended, responses=_response_arrays(all_waves), min_day=day,
               with_customers=False, progress=progress)
    acc = {k: v for k, v in acc.items() if k[0] in set(new["campaign_id"])}
    _write_campaign_truth(con, acc)
    con.register("_wave", new)
    con.execute("insert into truth.response_waves select * from _wave")
    con.unregister("_wave")
    con.execute("update truth.simulation set extra_days = ?", [extended.extra_days])
    return RESPONSE_DAYS
