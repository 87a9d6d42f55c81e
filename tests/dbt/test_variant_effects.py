"""Effects per variant (recall_effect_variants, recall_wave_winners) on hand-made campaigns:
counts and rates per variant against the campaign's pooled control, Newcombe intervals equal to
ml.experiment.uplift_interval, p-values equal to the pooled two-proportion z test of scipy, Holm's
correction choosing the winner (and none when nothing survives it), the recall rate counting only
customers churned at assignment, the next-day visit's calendar day, and the SQL normal CDF."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist, mean, stdev

import duckdb
import pytest
from scipy import stats

from ml.experiment import holm_adjust, mean_difference_interval, uplift_interval
from orchestration.settings import Settings
from sources.contract import create_raw_schema
from dbt_runner import run_dbt
from tests.dbt.conftest import run_dbt as run_dbt_cli

ASSIGNED = "2025-01-01 08:00:00"
SETTINGS = Settings()
DEFAULT_A = "generic_coupon@email"   # variant null: named offer@channel


@dataclass
class Customer:
    campaign: str
    customer_id: str
    arm: str
    variant: str | None          # raw value (None: the campaign's single variant)
    offer: str
    channel: str
    template: str | None
    converted: bool = False
    gmv: float = 0.0
    churned: bool = True         # False: a visit 10 days before the assignment
    next_day: str | None = None  # timestamp of a visit on/around the next day
    cost: float = 0.0

    @property
    def variant_name(self) -> str:
        return self.variant or f"{self.offer}@{self.channel}"


def _arm(campaign, prefix, arm, variant, offer, channel, template, n, converted, cost=0.0,
         not_churned=0, not_churned_converted=0):
    """n customers, the first `converted` of them ordering in the first month; of the last
    `not_churned` ones, the first `not_churned_converted` converted (so they leave the recall
    rate's numerator and denominator alike)."""
    out = []
    for i in range(n):
        c = Customer(campaign, f"{campaign}_{prefix}{i:03d}", arm, variant, offer, channel,
                     template, cost=cost if arm == "treatment" else 0.0)
        out.append(c)
    for i, c in enumerate(out[:converted - not_churned_converted]):
        c.converted, c.gmv = True, 20.0 + 7 * (i % 5)
    tail = out[n - not_churned:] if not_churned else []
    for i, c in enumerate(tail):
        c.churned = False
        if i < not_churned_converted:
            c.converted, c.gmv = True, 40.0 + 3 * (i % 4)
    return out


def _control(campaign, n, converted, variants):
    """The pooled control: n customers cycling through the campaign's variants."""
    out = []
    for i in range(n):
        variant, offer, channel, template = variants[i % len(variants)]
        c = Customer(campaign, f"{campaign}_k{i:03d}", "control", variant, offer, channel,
                     template)
        if i < converted:
            c.converted, c.gmv = True, 15.0 + 5 * (i % 3)
        out.append(c)
    return out


P1_VARIANTS = [(None, "generic_coupon", "email", None),       # A: defaults
               ("B", "price_match", "sms", "default"),
               ("C", "generic_coupon", "email", "urgency")]
# p1 (pilot): A = 60 / 200 converted (10 of them among 20 customers active at assignment),
# B = 2 / 5 (the largest uplift, not significant after Holm), C = 15 / 100; control 10 / 100.
P1 = (_arm("p1", "a", "treatment", None, "generic_coupon", "email", None, 200, 60, cost=0.05,
           not_churned=20, not_churned_converted=10)
      + _arm("p1", "b", "treatment", "B", "price_match", "sms", "default", 5, 2, cost=0.08)
      + _arm("p1", "c", "treatment", "C", "generic_coupon", "email", "urgency", 100, 15,
             cost=0.05)
      + _control("p1", 100, 10, P1_VARIANTS))
# p2 (wave): X and Y both 20 / 100 against 10 / 100: raw p ~ 0.048 each, Holm ~ 0.095.
P2_VARIANTS = [("X", "generic_coupon", "email", "default"), ("Y", "generic_coupon", "sms", "default")]
P2 = (_arm("p2", "x", "treatment", "X", "generic_coupon", "email", "default", 100, 20, cost=0.05)
      + _arm("p2", "y", "treatment", "Y", "generic_coupon", "sms", "default", 100, 20, cost=0.08)
      + _control("p2", 100, 10, P2_VARIANTS))
# p3: observational, no inference.
P3 = (_arm("p3", "t", "treatment", None, "generic_coupon", "email", None, 10, 5, cost=0.05)
      + _control("p3", 10, 1, [(None, "generic_coupon", "email", None)]))

# Next-day visits of p1's C customers (assigned 2025-01-01 08:00): the calendar day after.
NEXT_DAY = {
    "p1_c000": ("visit", "2025-01-02 00:00:00"),    # first instant of the next day: yes
    "p1_c001": ("login", "2025-01-02 23:59:59"),    # last second of it: yes
    "p1_c002": ("order", "2025-01-02 12:00:00"),    # an order on it: yes (and converts)
    "p1_c003": ("visit", "2025-01-01 23:00:00"),    # same day: no
    "p1_c004": ("visit", "2025-01-03 00:00:00"),    # the day after the next: no
    "p1_c005": ("view", "2025-01-02 12:00:00"),     # a product view is not a visit: no
}
NEXT_DAY_YES = {"p1_c000", "p1_c001", "p1_c002"}
# Churn boundary (churn_days 30 before 2025-01-01 08:00 = 2024-12-02 08:00) on control rows.
CHURN_BOUNDARY = {
    "p1_k090": ("2024-12-02 08:00:00", False),      # exactly churn_days before: still active
    "p1_k091": ("2024-12-02 07:59:00", True),       # a minute earlier: churned
}
RECENT_SIGNUP = "p1_k092"                           # signed up 10 days before: not churned
ALL = P1 + P2 + P3


def _populate(con) -> None:
    create_raw_schema(con)
    for c in ALL:
        signup = "2024-12-22 08:00:00" if c.customer_id == RECENT_SIGNUP else "2024-01-01"
        con.execute("insert into raw.customers (customer_id, signup_at, region, "
                    "acquisition_channel, preferred_channel) values (?, ?, 'north', 'organic', "
                    "'email')", [c.customer_id, signup])
    campaigns = [("p1", "randomized", "pilot"), ("p2", "randomized", None),
                 ("p3", "observational", None)]
    for campaign, design, kind in campaigns:
        con.execute("insert into raw.recall_campaigns (campaign_id, wave, started_at, ends_at, "
                    "budget, design, holdout_share, kind, parent_campaign_id) values "
                    "(?, 'silent', ?, cast(? as timestamp) + interval 30 day, 1000, ?, 0.3, ?, "
                    "null)", [campaign, ASSIGNED, ASSIGNED, design, kind])
    for c in ALL:
        con.execute("insert into raw.recall_assignments (campaign_id, customer_id, layer, "
                    "churn_type, arm, offer, channel, assigned_at, variant, template) values "
                    "(?, ?, ?, 'silent', ?, ?, ?, ?, ?, ?)",
                    [c.campaign, c.customer_id, "base" if int(c.customer_id[-1]) % 2 else "core",
                     c.arm, c.offer, c.channel, ASSIGNED, c.variant, c.template])
        if c.arm == "treatment":
            con.execute("insert into raw.recall_touches (touch_id, campaign_id, customer_id, "
                        "channel, sent_at, delivered, opened_at, clicked_at, redeemed_at, cost) "
                        "values (?, ?, ?, ?, ?, true, null, null, null, ?)",
                        [f"t_{c.customer_id}", c.campaign, c.customer_id, c.channel, ASSIGNED,
                         c.cost])
        if c.converted and NEXT_DAY.get(c.customer_id, ("",))[0] != "order":
            con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv, "
                        "discount, coupon_id, status, delivery_days) values "
                        "(?, ?, timestamp '2025-01-05 10:00:00', ?, 0, null, 'paid', 2)",
                        [f"o_{c.customer_id}", c.customer_id, c.gmv])
        if not c.churned:
            con.execute("insert into raw.events (event_id, customer_id, event_at, event_type) "
                        "values (?, ?, timestamp '2024-12-22 08:00:00', 'visit')",
                        [f"e_{c.customer_id}", c.customer_id])
    for customer, (kind, at) in NEXT_DAY.items():
        c = next(x for x in ALL if x.customer_id == customer)
        if kind == "order":
            con.execute("insert into raw.orders (order_id, customer_id, ordered_at, gmv, status) "
                        "values (?, ?, ?, ?, 'paid')", [f"o_{customer}", customer, at, c.gmv])
        else:
            con.execute("insert into raw.events (event_id, customer_id, event_at, event_type) "
                        "values (?, ?, ?, ?)", [f"n_{customer}", customer, at, kind])
    for customer, (at, _) in CHURN_BOUNDARY.items():
        con.execute("insert into raw.events (event_id, customer_id, event_at, event_type) "
                    "values (?, ?, ?, 'login')", [f"b_{customer}", customer, at])
    # Data reach past every first month.
    con.execute("insert into raw.events (event_id, customer_id, event_at, event_type) values "
                "('end', 'p3_t000', timestamp '2025-06-30 12:00:00', 'visit')")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("variants") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        _populate(con)
    run_dbt(path, "+recall_wave_winners +recall_effect_first_month +recall_effect_by_layer "
                  "+recall_effect_six_months")
    return path


@pytest.fixture(scope="module")
def con(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _rows(con, sql, params=()) -> list[dict]:
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _variants(con, campaign) -> dict[str, dict]:
    return {r["variant"]: r for r in _rows(
        con, "select * from marts.recall_effect_variants where campaign_id = ?", [campaign])}



def _scipy_p_value(x_t, n_t, x_c, n_c) -> float:
    pooled = (x_t + x_c) / (n_t + n_c)
    z = (x_t / n_t - x_c / n_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    return float(2 * stats.norm.sf(abs(z)))


def test_counts_and_rates_per_variant_against_the_pooled_control(con):
    rows = _variants(con, "p1")
    assert set(rows) == {DEFAULT_A, "B", "C"}
    control = [c for c in P1 if c.arm == "control"]
    for name, row in rows.items():
        treated = [c for c in P1 if c.arm == "treatment" and c.variant_name == name]
        assert row["targeted_count"] == len(treated)
        assert row["control_count"] == len(control) == 100      # pooled over all variants
        assert row["converted_count"] == sum(c.converted for c in treated)
        assert row["conversion_rate"] == pytest.approx(row["converted_count"] / len(treated))
        assert row["control_conversion_rate"] == pytest.approx(0.10)
        assert row["cost"] == pytest.approx(sum(c.cost for c in treated))
        assert row["variant_count"] == 3
        assert row["estimate_type"] == "uplift" and row["kind"] == "pilot"
    assert (rows[DEFAULT_A]["offer"], rows[DEFAULT_A]["channel"], rows[DEFAULT_A]["template"]) \
        == ("generic_coupon", "email", "default")
    assert rows["C"]["template"] == "urgency" and rows["B"]["channel"] == "sms"


def test_newcombe_bounds_equal_ml_experiment(con):
    for campaign in ("p1", "p2"):
        for row in _variants(con, campaign).values():
            for metric, x_t, n_t, x_c, n_c in [
                ("conversion", "converted_count", "targeted_count", "control_converted_count",
                 "control_count"),
                ("activation", "activated_count", "targeted_count", "control_activated_count",
                 "control_count"),
                ("recall", "recalled_count", "churned_targeted_count", "control_recalled_count",
                 "control_churned_count"),
            ]:
                expected = uplift_interval(row[x_t], row[n_t], row[x_c], row[n_c],
                                           alpha=SETTINGS.alpha)
                assert row[f"{metric}_uplift"] == pytest.approx(expected.uplift, abs=1e-9)
                # dbt reads z_alpha rounded to 6 decimals
                assert row[f"{metric}_uplift_lower"] == pytest.approx(expected.lower, abs=1e-6)
                assert row[f"{metric}_uplift_upper"] == pytest.approx(expected.upper, abs=1e-6)


def test_p_values_are_scipys_pooled_two_proportion_z_test(con):
    for campaign in ("p1", "p2"):
        for row in _variants(con, campaign).values():
            args = (row["converted_count"], row["targeted_count"],
                    row["control_converted_count"], row["control_count"])
            assert row["conversion_p_value"] == pytest.approx(_scipy_p_value(*args), abs=1e-6)
            assert row["conversion_p_value"] == pytest.approx(
                uplift_interval(*args).p_value, abs=1e-6)


def test_holm_picks_the_significant_variant_not_the_largest_uplift(con):
    rows = _variants(con, "p1")
    names = sorted(rows)
    raw = [_scipy_p_value(rows[n]["converted_count"], rows[n]["targeted_count"], 10, 100)
           for n in names]
    holm = dict(zip(names, holm_adjust(raw)))
    for name in names:
        assert rows[name]["conversion_p_value_holm"] == pytest.approx(holm[name], abs=1e-6)
    # The fixture's claim: B has the largest uplift and a raw p below alpha, but Holm drops it.
    assert max(rows, key=lambda n: rows[n]["conversion_uplift"]) == "B"
    assert rows["B"]["conversion_p_value"] < SETTINGS.alpha < holm["B"]
    assert holm[DEFAULT_A] < SETTINGS.alpha
    assert {n for n, r in rows.items() if r["is_winner"]} == {DEFAULT_A}
    assert rows[DEFAULT_A]["is_significant"] and not rows["B"]["is_significant"]
    winner = _rows(con, "select * from marts.recall_wave_winners where campaign_id = 'p1'")[0]
    assert winner["winner_variant"] == DEFAULT_A
    assert winner["variant_count"] == 3 and winner["significant_variant_count"] == 1
    assert winner["winner_conversion_uplift"] == pytest.approx(0.30 - 0.10)
    assert winner["winner_conversion_uplift_lower"] == pytest.approx(
        rows[DEFAULT_A]["conversion_uplift_lower"])
    assert winner["reason"] == "largest significant conversion uplift after Holm correction"


def test_holm_adjust_by_hand():
    # sorted 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04 -> the running max keeps 0.06.
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjust([0.6, 0.5]) == pytest.approx([1.0, 1.0])
    assert holm_adjust([]) == []


def test_no_winner_when_nothing_survives_holm(con):
    rows = _variants(con, "p2")
    for row in rows.values():
        assert row["conversion_p_value"] < SETTINGS.alpha           # raw: significant
        assert row["conversion_p_value_holm"] > SETTINGS.alpha      # after Holm: not
        assert not row["is_winner"] and not row["is_significant"]
    winner = _rows(con, "select * from marts.recall_wave_winners where campaign_id = 'p2'")[0]
    assert winner["winner_variant"] is None and winner["winner_conversion_uplift"] is None
    assert winner["reason"] == "no variant beat control after Holm correction"
    assert winner["kind"] == "wave"                                 # missing kind means wave
    observational = _rows(con, "select * from marts.recall_wave_winners "
                               "where campaign_id = 'p3'")[0]
    assert observational["winner_variant"] is None
    assert observational["reason"].startswith("observational campaign")
    p3 = _variants(con, "p3")[DEFAULT_A]
    assert p3["conversion_uplift"] is None and p3["conversion_p_value"] is None
    assert p3["conversion_rate"] == pytest.approx(0.5)


def test_recall_rate_counts_only_customers_churned_at_assignment(con):
    a = _variants(con, "p1")[DEFAULT_A]
    # 200 targeted, 20 active at assignment (10 of them ordered): 180 churned, 50 recalled.
    assert a["churned_targeted_count"] == 180
    assert a["recalled_count"] == 50
    assert a["recall_rate"] == pytest.approx(50 / 180)
    assert a["conversion_rate"] == pytest.approx(60 / 200)        # conversion keeps everyone
    outcomes = dict(con.execute(
        "select customer_id, is_churned_at_assignment from intermediate.int_recall_outcomes "
        "where customer_id in ('p1_k090', 'p1_k091', 'p1_k092')").fetchall())
    assert outcomes == {"p1_k090": 0, "p1_k091": 1, "p1_k092": 0}
    control = _variants(con, "p1")["B"]
    assert control["control_churned_count"] == 98                  # k090 and k092 active
    by_layer = _rows(con, "select sum(recalled_count) as recalled, "
                          "sum(churned_targeted_count) as churned "
                          "from marts.recall_effect_by_layer where campaign_id = 'p1' "
                          "and arm = 'treatment'")[0]
    assert (by_layer["recalled"], by_layer["churned"]) == (50 + 2 + 15, 180 + 5 + 100)


def test_next_day_visit_is_the_calendar_day_after_the_assignment(con):
    flags = dict(con.execute(
        "select customer_id, is_next_day_visit from intermediate.int_recall_outcomes "
        "where customer_id in ('p1_c000', 'p1_c001', 'p1_c002', 'p1_c003', 'p1_c004', "
        "'p1_c005', 'p1_c006')").fetchall())
    assert flags == {c: int(c in NEXT_DAY_YES) for c in [*NEXT_DAY, "p1_c006"]}
    c = _variants(con, "p1")["C"]
    assert c["next_day_visit_count"] == 3
    assert c["next_day_visit_rate"] == pytest.approx(3 / 100)
    assert c["control_next_day_visit_count"] == 0


def test_incremental_gmv_welch_interval_and_roi(con):
    row = _variants(con, "p1")[DEFAULT_A]
    treated = [c.gmv for c in P1 if c.arm == "treatment" and c.variant_name == DEFAULT_A]
    control = [c.gmv for c in P1 if c.arm == "control"]
    diff, lower, upper = mean_difference_interval(mean(treated), stdev(treated), len(treated),
                                                  mean(control), stdev(control), len(control),
                                                  alpha=SETTINGS.alpha)
    assert row["incremental_gmv_per_targeted"] == pytest.approx(diff)
    assert row["incremental_gmv_per_targeted_lower"] == pytest.approx(lower, abs=1e-4)
    assert row["incremental_gmv_per_targeted_upper"] == pytest.approx(upper, abs=1e-4)
    cost = 200 * 0.05
    for suffix, value in (("", diff), ("_lower", lower), ("_upper", upper)):
        expected = (value * 200 * SETTINGS.gross_margin - cost) / cost
        assert row[f"roi{suffix}"] == pytest.approx(expected, rel=1e-5)


def test_first_month_and_six_month_tables_group_by_variant_and_template(con):
    first = _rows(con, "select variant, template, arm, targeted_count, control_count "
                       "from marts.recall_effect_first_month where campaign_id = 'p2' "
                       "and arm = 'treatment' and layer = 'base'")
    assert {(r["variant"], r["template"]) for r in first} == {("X", "default"), ("Y", "default")}
    six = _rows(con, "select distinct variant, template from marts.recall_effect_six_months "
                     "where campaign_id = 'p1'")
    assert {(r["variant"], r["template"]) for r in six} == {
        (DEFAULT_A, "default"), ("B", "default"), ("C", "urgency")}


def test_yml_data_and_unit_tests_pass(warehouse: Path, tmp_path: Path, dbt_work_dir: Path):
    """The new columns' data tests (accepted values, keys, relationships) and the unit tests of
    the models on the hand-made campaigns (a copy: the module's connection stays open)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    run_dbt_cli(["test", "--select", "int_recall_outcomes", "recall_effect_variants",
                 "recall_wave_winners", "recall_effect_first_month", "recall_effect_six_months",
                 "--vars", SETTINGS.dbt_vars_json()], copy, dbt_work_dir)


NORMAL_POINTS = [-8.0, -5.0, -3.0, -1.96, -1.0, -0.3, 0.0, 1e-9, 0.25, 1.0, 1.644854, 2.5, 4.0,
                 6.0, 9.0]


def test_normal_cdf_macro_is_normal_dist(tmp_path: Path, dbt_work_dir: Path):
    values = ", ".join(f"({i}, {x!r})" for i, x in enumerate(NORMAL_POINTS))
    inline = (f"select x, {{{{ normal_cdf('x') }}}} as cdf, {{{{ two_sided_p_value('x') }}}} as p "
              f"from (values {values}) as t(i, x) order by i")
    out = run_dbt_cli(["--quiet", "show", "--inline", inline, "--output", "json", "--limit",
                       "100", "--vars", SETTINGS.dbt_vars_json()],
                      tmp_path / "warehouse.duckdb", dbt_work_dir).stdout
    rows = json.loads(out[out.index("{"):])["show"]
    assert len(rows) == len(NORMAL_POINTS)
    normal = NormalDist()
    for row, x in zip(rows, NORMAL_POINTS):
        assert row["cdf"] == pytest.approx(normal.cdf(x), abs=1e-6), x
        assert row["p"] == pytest.approx(2 * (1 - normal.cdf(abs(x))), abs=1e-6), x
