"""ml.lifetime_value on a simulated shop (1,500 customers x 15 months, seed 3): expected GMV
per customer over 6 and 12 months, and the held-out check against today's rule (pre-churn
monthly GMV x 7), which the model must beat by mean absolute error."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ml.lifetime_value import holdout_check, lifetime_values, rule_value
from sources.simulator import SimulationConfig, simulate_to_duckdb


@pytest.fixture(scope="module")
def orders(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("clv") / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        simulate_to_duckdb(con, SimulationConfig(customers=1500, months=15, seed=3))
        return con.execute("select customer_id, ordered_at, gmv from raw.orders "
                           "where status = 'paid'").df()


def test_model_beats_the_pre_churn_rule_on_held_out_months(orders):
    cutoff = orders.ordered_at.max().normalize() - pd.Timedelta(days=7 * 30.4375 + 1)
    check = holdout_check(orders, cutoff, horizon_months=7)
    assert check.customers > 500 and 100 < check.buyers < check.customers
    assert check.mae_model < 0.8 * check.mae_rule, check
    assert check.mae_model_if_active < check.mae_rule_buyers, check


def test_values_per_customer_and_horizon(orders):
    values = lifetime_values(orders, orders.ordered_at.max() + pd.Timedelta(days=1))
    assert values.customer_id.is_unique
    assert set(values.customer_id) == set(orders.customer_id)
    assert values.prob_alive.between(0, 1).all()
    assert (values.expected_gmv_12m_if_active > values.expected_gmv_6m_if_active).all()
    assert (values.expected_gmv_6m <= values.expected_gmv_6m_if_active + 1e-9).all()
    assert values.filter(like="expected_gmv").notna().all().all()


def test_rule_is_three_months_of_gmv_before_the_last_order():
    orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
                           "ordered_at": pd.to_datetime(["2025-01-05", "2025-04-01",
                                                         "2025-05-01", "2025-03-01"]),
                           "gmv": [100.0, 30.0, 60.0, 9.0]})
    rule = rule_value(orders, pd.Timestamp("2025-06-01"), 7)
    assert rule["a"] == pytest.approx((30 + 60) / 3 * 7)   # the January order is too early
    assert rule["b"] == pytest.approx(9 / 3 * 7)


def test_an_incomplete_holdout_is_refused(orders):
    with pytest.raises(ValueError, match="before the held-out 7 months"):
        holdout_check(orders, orders.ordered_at.max() - pd.Timedelta(days=30), horizon_months=7)
