"""The planted truth of the simulated recall waves (sources/simulator/response.py, issue #15).

Shops (seeds fixed before any run): seeds 7, 8 and 9 at 4,000 customers x 18 months for the
calibration; the seed-7 shop for the structural checks; a 1,500-customer shop (seed 21) answering
two same-day respond waves for fatigue and opt-outs.

Tolerances (calibration, pooled over the three seeds and the four past waves):
- planted base-layer first-month effect (mean over treated customers): 0.07 +- 0.01;
- planted core-layer effect: 0.05 +- 0.01; advanced: exactly 0;
- realised base-layer recall rate of treated churners (paid order within 30 days): 0.12 +- 0.03;
- realised base-layer uplift over the holdout: 0.07 +- 0.035 (about 2.7 standard errors);
- planted base-layer next-day visit lift 0.07 +- 0.015, realised within 0.035 of it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from sources.contract import CHANNELS, CHURN_TYPES, OFFERS, TABLES
from sources.simulator import SimulationConfig, respond, simulate_to_duckdb
from sources.simulator import config as C
from sources.simulator import response as R

CALIBRATION_SEEDS = (7, 8, 9)
OFFER_WAVES = {"wave_silent": "silent", "wave_service": "service_dissatisfied",
               "wave_competitor": "competitor_attracted"}


def _simulate(customers=4000, seed=7, **kw):
    con = duckdb.connect()
    simulate_to_duckdb(con, SimulationConfig(customers=customers, seed=seed, **kw))
    return con


@pytest.fixture(scope="module")
def shops():
    return [_simulate(4000, seed) for seed in CALIBRATION_SEEDS]


@pytest.fixture(scope="module")
def shop(shops):
    return shops[0]


def _planted(con, metric):
    return dict(con.execute("""
        select layer, sum(true_effect * customers) / sum(customers) from truth.campaign_effects
        where metric = ? and layer <> 'all' group by 1""", [metric]).fetchall())


def _realised(con) -> pd.DataFrame:
    return con.execute("""
        with a as (
            select a.layer, a.arm,
                   exists (select 1 from raw.orders o where o.customer_id = a.customer_id
                           and o.status = 'paid' and o.ordered_at >= a.assigned_at
                           and o.ordered_at < a.assigned_at + interval 30 day) as converted,
                   exists (select 1 from raw.events e where e.customer_id = a.customer_id
                           and e.event_type in ('visit', 'login')
                           and cast(e.event_at as date) = cast(a.assigned_at as date) + 1)
                       as next_day
            from raw.recall_assignments a)
        select layer, arm, count(*) as n, sum(converted::int) as converted,
               sum(next_day::int) as next_day
        from a group by all""").df()


# --- the response model itself -----------------------------------------------------------------
def test_match_table_best_offer_leads_and_mismatches_are_weak():
    expected = {"price_sensitive": "generic_coupon", "service_dissatisfied": "service_recovery",
                "competitor_attracted": "price_match", "silent": "content_recommendation"}
    assert set(R.MATCH) == set(OFFERS)
    for ctype in CHURN_TYPES:
        ranked = sorted(R.MATCH, key=lambda o: -R.MATCH[o][ctype])
        assert ranked[0] == expected[ctype] == R.BEST_OFFER[ctype]
        assert R.MATCH[ranked[0]][ctype] - R.MATCH[ranked[1]][ctype] >= 0.10
        assert R.MATCH["custom_package"][ctype] >= 0.08
        assert min(R.MATCH[o][ctype] for o in R.MATCH) <= 0.04
    assert R.LAYER_FACTOR["advanced"] == 0.0


def test_effect_factors():
    one = np.ones(2, int)
    base = R.base_effect(np.array([0, 1]), one, one, np.zeros(2), np.ones(2), np.zeros(2))
    assert base[1] == 0.0 and base[0] == R.LAYER_FACTOR["base"]
    assert R.fatigue(np.array([0, 1, 2])).tolist() == [1.0, 0.5, 0.25]
    assert R.fade(np.array([R.FADE_DAYS]))[0] == pytest.approx(np.exp(-1))
    assert R.value_factor(np.array([5.0, 1.0, 3.0])).tolist() == pytest.approx([1.2, 0.8, 1.0])
    assert R.channel_factor(np.array([0, 1]), np.array([0, 0])).tolist() == [1.0, 0.6]
    assert (R.opt_out_probability(np.array([0, 1])) > [0.009, 0.03]).all()


# --- calibration -----------------------------------------------------------------------------
def test_planted_layer_effects_are_calibrated(shops):
    planted = [_planted(con, "first_month_conversion") for con in shops]
    assert all(p["advanced"] == 0.0 for p in planted)
    assert np.mean([p["base"] for p in planted]) == pytest.approx(0.07, abs=0.01)
    assert np.mean([p["core"] for p in planted]) == pytest.approx(0.05, abs=0.01)
    next_day = np.mean([_planted(con, "next_day_visit")["base"] for con in shops])
    assert next_day == pytest.approx(0.07, abs=0.015)


def test_realised_base_layer_recall_rate_uplift_and_next_day_visits(shops):
    frame = pd.concat([_realised(con) for con in shops]).groupby(["layer", "arm"]).sum()
    base_t, base_c = frame.loc[("base", "treatment")], frame.loc[("base", "control")]
    treated_rate = base_t.converted / base_t.n
    uplift = treated_rate - base_c.converted / base_c.n
    assert treated_rate == pytest.approx(0.12, abs=0.03)
    assert uplift == pytest.approx(0.07, abs=0.035)
    planted_next_day = np.mean([_planted(con, "next_day_visit")["base"] for con in shops])
    next_day_lift = base_t.next_day / base_t.n - base_c.next_day / base_c.n
    assert next_day_lift == pytest.approx(planted_next_day, abs=0.035)


# --- variants and truth ----------------------------------------------------------------------
def test_best_offer_has_the_largest_planted_conversion_in_every_offer_wave(shops):
    for con in shops:
        effects = con.execute("""
            select campaign_id, offer, true_effect from truth.campaign_effects
            where metric = 'first_month_conversion' and layer = 'all'""").df()
        for cid, ctype in OFFER_WAVES.items():
            wave = effects[effects.campaign_id == cid].set_index("offer")["true_effect"]
            assert len(wave) == 3
            assert wave.idxmax() == R.BEST_OFFER[ctype], (cid, wave)


def test_assignments_carry_variants_and_holdout_within_layer_and_variant(shop):
    rows = shop.execute("""
        select campaign_id, layer, variant, template, offer,
               count(*) as n, count(*) filter (where arm = 'control') as control
        from raw.recall_assignments group by all""").df()
    for cid, g in rows.groupby("campaign_id"):
        assert set(g.variant) == {v.name for v in C.WAVE_VARIANTS[cid]}
    assert (rows.template == "default").all()
    assert (rows.control == (rows.n * 0.10).round().astype(int)).all()
    assert (rows.offer == rows.variant.str.split("@").str[0]).all()
    campaigns = shop.execute("select distinct kind, parent_campaign_id "
                             "from raw.recall_campaigns").fetchall()
    assert campaigns == [("wave", None)]


def test_channel_factor_visible_in_the_price_wave(shop):
    effects = dict(shop.execute("""
        select variant, true_effect from truth.campaign_effects
        where campaign_id = 'wave_price' and metric = 'first_month_conversion'
          and layer = 'all'""").fetchall())
    assert effects["generic_coupon@preferred"] > 1.1 * effects["generic_coupon@sms"]
    ratio = shop.execute("""
        select e1.effect / e2.effect
        from truth.customer_offer_effects e1
        join raw.customers c on c.customer_id = e1.customer_id
        join truth.customer_offer_effects e2
          on e2.campaign_id = e1.campaign_id and e2.customer_id = e1.customer_id
         and e2.offer = e1.offer and e2.channel <> c.preferred_channel
        where e1.campaign_id = 'wave_price' and e1.channel = c.preferred_channel
          and e2.effect > 0""").df().iloc[:, 0]
    assert len(ratio) > 100
    assert np.allclose(ratio, 1 / R.OTHER_CHANNEL_FACTOR)


def test_every_assigned_customer_has_every_offer_and_channel(shop):
    counts = shop.execute("""
        select a.campaign_id, a.customer_id, count(e.effect) as n,
               count(distinct e.offer) as offers, count(distinct e.channel) as channels
        from raw.recall_assignments a
        left join truth.customer_offer_effects e using (campaign_id, customer_id)
        group by all""").df()
    assert (counts.n == len(OFFERS) * len(CHANNELS)).all()
    assert (counts.offers == len(OFFERS)).all() and (counts.channels == len(CHANNELS)).all()
    total = shop.execute("select count(*) from truth.customer_offer_effects").fetchone()[0]
    assert total == len(counts) * len(OFFERS) * len(CHANNELS)
    # the truth table's variant mean is the oracle's mean at the variant's own offer x channel
    # over its treated customers
    check = shop.execute("""
        select t.variant, t.true_effect, avg(e.effect) as oracle
        from truth.campaign_effects t
        join raw.recall_assignments a on a.campaign_id = t.campaign_id and a.variant = t.variant
        join truth.customer_offer_effects e on e.campaign_id = a.campaign_id
             and e.customer_id = a.customer_id and e.offer = a.offer and e.channel = a.channel
        where t.metric = 'first_month_conversion' and t.layer = 'all' and a.arm = 'treatment'
        group by all""").df()
    assert np.allclose(check.true_effect, check.oracle)


def test_recall_paths_and_market_events(shop):
    paths = shop.execute("select * from truth.recall_paths").df()
    recalled = shop.execute("select count(*) from truth.returns where recalled").fetchone()[0]
    assert len(paths) == recalled > 20
    assert paths.recovered_share.between(*R.RECOVERED_SHARE).all()
    assert set(paths.campaign_id) <= {c for c, _, _ in C.PAST_WAVES}
    events = shop.execute("select * from raw.market_events order by started_at").df()
    assert list(events.market_event_id) == ["promo_1", "promo_2", "promo_3"]
    assert (events.kind == "competitor_promotion").all()
    last = shop.execute("select max(event_at) from raw.events").fetchone()[0]
    assert (events.started_at < last).all()
    assert ((events.ends_at - events.started_at).dt.days == 30).all()


def test_a_next_day_visit_does_not_end_the_churn(shop):
    """After a visit-only comeback the customer either comes back within 30 days or is churned
    again the day after the visit (so the label rule and truth agree)."""
    bad = shop.execute("""
        select v.customer_id, v.returned_on from truth.returns v
        where v.visit_only
          and not exists (select 1 from truth.returns r where r.customer_id = v.customer_id
                          and not r.visit_only and r.returned_on > v.returned_on
                          and r.returned_on <= v.returned_on + 30)
          and not exists (select 1 from truth.churn_spells s where s.customer_id = v.customer_id
                          and s.churn_date = v.returned_on + 1)
          and v.returned_on + 31 <= (select max(cast(event_at as date)) from raw.events)
        """).df()
    assert shop.execute("select count(*) from truth.returns where visit_only").fetchone()[0] > 10
    assert bad.empty, bad


def test_contract_columns_and_opt_outs(shop):
    for t in TABLES:
        cols = [d[0] for d in shop.execute(f"select * from raw.{t.name} limit 0").description]
        assert cols == t.column_names
    dnc = shop.execute("""
        select d.customer_id, d.reason,
               exists (select 1 from raw.recall_touches t where t.customer_id = d.customer_id
                       and t.delivered and t.sent_at < d.listed_at) as contacted
        from raw.do_not_contact d""").df()
    assert len(dnc) > 0
    assert (dnc.reason == "opt_out").all() and dnc.contacted.all()


# --- respond: fatigue and opt-outs ------------------------------------------------------------
@pytest.fixture(scope="module")
def responded():
    con = _simulate(1500, 21)
    churned = con.execute("""select distinct customer_id from truth.churn_spells
                             order by customer_id limit 400""").df()
    first = churned.assign(campaign_id="fa", layer="base", arm="treatment",
                           offer="content_recommendation", channel="email")
    second = first.assign(campaign_id="fb", variant="second", template="reminder")
    respond(con, pd.concat([first, second], ignore_index=True))
    return con


def test_fatigue_halves_the_effect_of_a_second_contact(responded):
    pairs = responded.execute("""
        select a.customer_id, a.effect as first, b.effect as second,
               t.delivered as first_delivered
        from truth.customer_offer_effects a
        join truth.customer_offer_effects b using (customer_id, offer, channel)
        join raw.recall_touches t on t.campaign_id = 'fa' and t.customer_id = a.customer_id
        where a.campaign_id = 'fa' and b.campaign_id = 'fb'
          and a.offer = 'content_recommendation' and a.channel = 'email' and a.effect > 0""").df()
    assert len(pairs) > 50
    reached = pairs[pairs.first_delivered]
    assert len(reached) > 0.8 * len(pairs)
    ratio = reached.second / reached.first
    # halved, or zero for the few the first contact made opt out
    assert np.isclose(ratio, R.FATIGUE_FACTOR).mean() > 0.95
    assert np.isclose(ratio[~np.isclose(ratio, R.FATIGUE_FACTOR)], 0).all()
    unreached = pairs[~pairs.first_delivered]
    assert np.allclose(unreached.second, unreached.first)
    effects = dict(responded.execute("""
        select campaign_id, true_effect from truth.campaign_effects
        where metric = 'first_month_conversion' and layer = 'all'""").fetchall())
    assert effects["fb"] < 0.6 * effects["fa"]


def test_respond_writes_variants_opt_outs_and_new_market_events(responded):
    variants = dict(responded.execute("""select campaign_id, variant from truth.campaign_effects
                                         where layer = 'all' and campaign_id in ('fa', 'fb')
                                         group by all""").fetchall())
    assert variants == {"fa": "content_recommendation@email", "fb": "second"}
    templates = dict(responded.execute("select campaign_id, template from truth.response_waves "
                                       "group by all").fetchall())
    assert templates == {"fa": "default", "fb": "reminder"}
    new = responded.execute("""
        select count(*) from raw.do_not_contact
        where listed_at > (select min(sent_at) from raw.recall_touches
                           where campaign_id = 'fa')""").fetchone()[0]
    assert new > 0
    # the customers the first contact made opt out are not reached by the second
    silenced = responded.execute("""
        select a.customer_id, t.delivered,
               a.customer_id in (select customer_id from raw.do_not_contact) as listed
        from truth.customer_offer_effects a
        join truth.customer_offer_effects b using (customer_id, offer, channel)
        join raw.recall_touches t on t.campaign_id = 'fb' and t.customer_id = a.customer_id
        where a.campaign_id = 'fa' and b.campaign_id = 'fb' and a.offer = 'generic_coupon'
          and a.channel = 'email' and a.effect > 0 and b.effect = 0""").df()
    assert silenced.listed.all() and not silenced.delivered.any()
    ids = [r[0] for r in responded.execute("select market_event_id from raw.market_events "
                                           "order by started_at").fetchall()]
    assert ids == ["promo_1", "promo_2", "promo_3", "promo_4"]
