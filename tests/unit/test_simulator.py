"""The simulated shop: deterministic, contract-shaped, calibrated to SIMULATOR.md's figures.

Tolerances (stated here, tested below, at 4,000 customers x 18 months):
- quarterly churn among customers active at the quarter start: 0.25 .. 0.40 (target 30-35%);
- churn type mix among churners with a clear cause: price 0.45 +- 0.07, service 0.32 +- 0.07,
  competitor 0.23 +- 0.07;
- the oracle's mean churn probability matches the observed label rate within 0.03.
"""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from sources.contract import TABLES
from sources.simulator import SimulationConfig, respond, simulate_to_duckdb


def _simulate(customers=4000, seed=7, **kw):
    con = duckdb.connect()
    simulate_to_duckdb(con, SimulationConfig(customers=customers, seed=seed, **kw))
    return con


@pytest.fixture(scope="module")
def shop():
    return _simulate()


def _digest(con) -> str:
    h = hashlib.sha256()
    for t in TABLES:
        rows = con.execute(f"select * from raw.{t.name} order by all").fetchall()
        h.update(repr(rows).encode())
    return h.hexdigest()


def test_same_seed_same_tables_and_other_seed_differs():
    a, b, c = _simulate(600, 3), _simulate(600, 3), _simulate(600, 4)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_every_contract_table_has_rows_and_contract_columns(shop):
    for t in TABLES:
        cols = [d[0] for d in shop.execute(f"select * from raw.{t.name} limit 0").description]
        assert cols == t.column_names
        assert shop.execute(f"select count(*) from raw.{t.name}").fetchone()[0] > 0, t.name


def test_keys_are_unique_and_orders_reference_customers(shop):
    for t in TABLES:
        key = ", ".join(t.key)
        dup = shop.execute(f"select count(*) from (select {key} from raw.{t.name} "
                           f"group by {key} having count(*) > 1)").fetchone()[0]
        assert dup == 0, t.name
    orphans = shop.execute("select count(*) from raw.orders o anti join raw.customers c "
                           "using (customer_id)").fetchone()[0]
    assert orphans == 0


def test_quarterly_churn_rate_within_tolerance(shop):
    rate = shop.execute("""
        with q as (select unnest([date '2025-04-01', date '2025-07-01', date '2025-10-01']) qs),
        inter as (select customer_id, cast(event_at as date) d from raw.events
                  union all select customer_id, cast(ordered_at as date) from raw.orders),
        last_before as (select qs, customer_id, max(d) last_d from q join inter on d < qs
                        group by all)
        select count(*) filter (where exists (select 1 from truth.churn_spells s
                 where s.customer_id = l.customer_id and s.churn_date between qs and qs + 89))
               / count(*)
        from last_before l where last_d >= qs - 30""").fetchone()[0]
    assert 0.25 <= rate <= 0.40


def test_churn_type_mix_among_clear_cause_churners(shop):
    mix = dict(shop.execute("""
        select churn_type, count(*) / sum(count(*)) over ()
        from truth.churn_spells join truth.customers using (customer_id)
        where churn_type <> 'silent' group by 1""").fetchall())
    assert mix["price_sensitive"] == pytest.approx(0.45, abs=0.07)
    assert mix["service_dissatisfied"] == pytest.approx(0.32, abs=0.07)
    assert mix["competitor_attracted"] == pytest.approx(0.23, abs=0.07)


def test_oracle_probability_is_calibrated_against_realised_churn(shop):
    predicted, realised = shop.execute("""
        with inter as (select customer_id, cast(event_at as date) d from raw.events
                       union all select customer_id, cast(ordered_at as date) from raw.orders),
        labelled as (
            select p.customer_id, p.snapshot_date, p.true_churn_probability,
                   not exists (select 1 from inter i where i.customer_id = p.customer_id
                               and i.d >= p.snapshot_date and i.d < p.snapshot_date + 30) churned
            from truth.snapshot_probabilities p
            where p.snapshot_date <= date '2026-02-28')
        select avg(true_churn_probability), avg(churned::int) from labelled""").fetchone()
    assert predicted == pytest.approx(realised, abs=0.03)


def test_past_waves_have_randomized_holdout_and_planted_effects(shop):
    share = shop.execute("select avg((arm = 'control')::int) from raw.recall_assignments"
                         ).fetchone()[0]
    assert share == pytest.approx(0.10, abs=0.02)
    # per layer: the mean planted effect over the treated customers of every variant
    effects = dict(shop.execute("""
        select layer, sum(true_effect * customers) / sum(customers) from truth.campaign_effects
        where metric = 'first_month_conversion' and layer <> 'all' group by 1""").fetchall())
    assert effects["advanced"] == 0.0
    assert effects["base"] > 0.05
    assert 0 < effects["core"] < effects["base"]
    waves = [r[0] for r in shop.execute("select wave from raw.recall_campaigns "
                                        "order by started_at").fetchall()]
    assert waves == ["silent", "service", "competitor", "price"]


def test_respond_appends_the_months_after_a_wave_without_touching_history():
    con = _simulate(800, 11)
    before = _digest(con)
    last = con.execute("select max(event_at) from raw.events").fetchone()[0]
    churned = con.execute("select customer_id from truth.churn_spells limit 200").df()
    wave = churned.assign(campaign_id="w1", layer="base", arm="treatment", offer="generic_coupon",
                          channel="email")
    wave.loc[wave.index % 10 == 0, "arm"] = "control"
    respond(con, wave)
    old_rows = con.execute("select count(*) from raw.events where event_at <= ?",
                           [last]).fetchone()[0]
    new_rows = con.execute("select count(*) from raw.events where event_at > ?",
                           [last]).fetchone()[0]
    assert new_rows > 0
    assert old_rows == con.execute(f"select count(*) from raw.events").fetchone()[0] - new_rows
    touches = con.execute("select count(*) from raw.recall_touches where campaign_id='w1'"
                          ).fetchone()[0]
    assert touches == (wave["arm"] == "treatment").sum()
    assert before != _digest(con)
