"""ml.clv: RFM summary; BG/NBD and Gamma-Gamma fitted to data simulated from the models."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ml import clv

R, ALPHA, A, B = 0.25, 4.0, 0.8, 2.5  # planted BG/NBD parameters (time unit: weeks)
HORIZON = 8.0  # weeks after T in which the future is simulated


def simulate_bgnbd(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """BG/NBD generative process: the summary at T (30-52 weeks) and purchases in (T, T+HORIZON]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(R, 1.0 / ALPHA, n)
    drop = rng.beta(A, B, n)
    big_t = rng.uniform(30.0, 52.0, n)
    x, t_x, future = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1.0 / lam[i])
            if t > big_t[i]:
                break
            x[i], t_x[i] = x[i] + 1, t
            alive = rng.random() >= drop[i]  # dropout only right after a (repeat) purchase
        if alive:  # still alive at T: exponential waiting times restart there
            t = big_t[i]
            while True:
                t += rng.exponential(1.0 / lam[i])
                if t > big_t[i] + HORIZON:
                    break
                future[i] += 1
                if rng.random() < drop[i]:
                    break
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t}), future


@pytest.fixture(scope="module")
def simulated():
    summary, future = simulate_bgnbd(4000, seed=2024)
    return summary, future, clv.fit_bgnbd(summary)


# --- rfm_summary ----------------------------------------------------------------------------


def test_rfm_summary_by_hand():
    ts = pd.Timestamp
    ids = ["a", "a", "a", "a", "a", "b", "c"]
    times = [ts("2024-01-01 10:00"), ts("2024-01-01 15:00"),  # same day: one purchase of 15
             ts("2024-01-08 09:00"), ts("2024-01-22 18:00"),  # repeats: 20 and 30
             ts("2024-02-10"),                                 # after observation_end: ignored
             ts("2024-01-15 12:00"), ts("2024-02-03")]         # c only after the end: absent
    amounts = [10.0, 5.0, 20.0, 30.0, 99.0, 7.0, 50.0]
    s = clv.rfm_summary(ids, times, amounts, observation_end=ts("2024-02-01"))
    assert list(s.index) == ["a", "b"] and s.index.name == "customer_id"
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert s.loc["a"].tolist() == pytest.approx([2, 21 / 7, 31 / 7, 25.0])
    assert s.loc["b"].tolist() == pytest.approx([0, 0.0, 17 / 7, 0.0])
    days = clv.rfm_summary(ids, times, amounts, observation_end=ts("2024-02-01"), time_unit_days=1)
    assert days.loc["a", "recency"] == 21 and days.loc["a", "T"] == 31


def test_rfm_summary_without_orders_before_the_end_is_an_error():
    with pytest.raises(ValueError, match="none before observation_end"):
        clv.rfm_summary(["a"], [pd.Timestamp("2024-03-01")], [1.0],
                        observation_end=pd.Timestamp("2024-02-01"))
    with pytest.raises(ValueError, match="needs orders"):
        clv.rfm_summary([], [], [], observation_end=pd.Timestamp("2024-02-01"))


# --- BG/NBD ---------------------------------------------------------------------------------


def test_bgnbd_recovers_planted_parameters(simulated):
    summary, _, fit = simulated
    # r and alpha are well identified (sd of the estimate over 40 seeds at n=4000: 3% and 6%);
    # a and b individually are not (sd 17% and 21%, they move together along a likelihood
    # ridge), but the mean dropout probability a/(a+b) is (sd 6%).
    assert fit.r == pytest.approx(R, rel=0.25)
    assert fit.alpha == pytest.approx(ALPHA, rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(A / (A + B), rel=0.25)
    assert fit.a == pytest.approx(A, rel=0.6)
    assert fit.b == pytest.approx(B, rel=0.6)
    # the fit is the maximum, and the planted point is not rejected by a likelihood-ratio test
    planted = clv.BGNBDParams(R, ALPHA, A, B)
    gain = clv.bgnbd_log_likelihood(fit, summary) - clv.bgnbd_log_likelihood(planted, summary)
    assert 0.0 <= gain < 18.47 / 2  # chi-square(4) 99.9% quantile


def test_prob_no_purchase_is_calibrated_on_the_simulated_future(simulated):
    summary, future, fit = simulated
    predicted = clv.prob_no_purchase(fit, summary, HORIZON)
    assert ((predicted >= 0) & (predicted <= 1)).all()
    assert predicted.mean() == pytest.approx(np.mean(future == 0), abs=0.03)
    # and per quintile of predicted probability, too (coarser: ~800 customers a bin)
    bins = pd.qcut(predicted, 5, labels=False, duplicates="drop")
    for b in np.unique(bins):
        realised = np.mean(future[bins == b] == 0)
        assert predicted[bins == b].mean() == pytest.approx(realised, abs=0.06)


def test_expected_purchases_match_the_simulated_future(simulated):
    summary, future, fit = simulated
    expected = clv.expected_purchases(fit, summary, HORIZON)
    assert expected.mean() == pytest.approx(future.mean(), rel=0.15)
    active = summary["frequency"].to_numpy() >= 3  # heavier buyers: a larger, steadier future
    assert expected[active].mean() == pytest.approx(future[active].mean(), rel=0.15)


@pytest.mark.parametrize("a", [0.6, 1.7])
def test_expected_purchases_closed_form_matches_quadrature(a):
    from scipy import integrate
    from scipy.special import betaln

    params = clv.BGNBDParams(r=0.4, alpha=3.0, a=a, b=2.2)
    summary = pd.DataFrame({"frequency": [0, 1, 4, 12], "recency": [0.0, 5.0, 20.0, 39.0],
                            "T": [10.0, 30.0, 40.0, 40.0]})
    t = 10.0
    closed = clv.expected_purchases(params, summary, t)
    alive = clv.prob_alive(params, summary)
    for i, row in enumerate(summary.itertuples()):
        shape, rate = params.r + row.frequency, params.alpha + row.T
        a_post, b_post = params.a, params.b + row.frequency
        # alive at T: E[(1 - exp(-lambda p t)) / p] over lambda ~ Gamma(shape, rate), p ~ Beta
        def integrand(p, shape=shape, rate=rate, a_post=a_post, b_post=b_post):
            density = np.exp((a_post - 1) * np.log(p) + (b_post - 1) * np.log1p(-p)
                             - betaln(a_post, b_post))
            return density * (1.0 - (rate / (rate + p * t)) ** shape) / p
        given_alive, _ = integrate.quad(integrand, 0.0, 1.0, limit=200)
        assert closed[i] == pytest.approx(alive[i] * given_alive, rel=1e-6)


def test_bgnbd_edge_cases():
    params = clv.BGNBDParams(r=0.3, alpha=5.0, a=0.9, b=3.0)
    summary = pd.DataFrame({"frequency": [0, 3], "recency": [0.0, 2.0], "T": [20.0, 20.0]})
    alive = clv.prob_alive(params, summary)
    assert alive[0] == 1.0 and 0.0 < alive[1] < 1.0  # no repeat purchase: cannot have dropped out
    assert clv.expected_purchases(params, summary, 0.0) == pytest.approx([0.0, 0.0])
    assert clv.prob_no_purchase(params, summary, 0.0) == pytest.approx([1.0, 1.0])
    longer = clv.prob_no_purchase(params, summary, 20.0)
    assert (longer < clv.prob_no_purchase(params, summary, 5.0)).all()
    assert (longer > 1.0 - alive).all()  # dropped-out customers never buy again
    with pytest.raises(ValueError, match="recency <= T"):
        clv.prob_alive(params, pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [4.0]}))


def test_fits_refuse_empty_input_and_too_few_repeat_buyers():
    few = pd.DataFrame({"frequency": [0] * 50 + [2] * 3, "recency": [0.0] * 50 + [3.0] * 3,
                        "T": [10.0] * 53, "monetary_value": [0.0] * 50 + [12.0] * 3})
    with pytest.raises(ValueError, match="at least 10 repeat buyers .* got 3"):
        clv.fit_bgnbd(few)
    with pytest.raises(ValueError, match="at least 10 repeat buyers .* got 3"):
        clv.fit_gamma_gamma(few)
    with pytest.raises(ValueError, match="empty"):
        clv.fit_bgnbd(few.iloc[:0])
    with pytest.raises(ValueError, match="rfm_summary"):
        clv.fit_bgnbd(pd.DataFrame({"frequency": [1]}))


# --- Gamma-Gamma ----------------------------------------------------------------------------


def test_gamma_gamma_recovers_population_mean_spend():
    p, q, v = 6.0, 4.0, 15.0  # population mean spend p v / (q - 1) = 30
    rng = np.random.default_rng(7)
    n = 3000
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / v, n)
    m = np.array([rng.gamma(p, 1.0 / nu[i], x[i]).mean() for i in range(n)])
    repeat = pd.DataFrame({"frequency": x, "recency": 1.0, "T": 2.0, "monetary_value": m})
    # sd of the estimated population mean over 30 seeds: 1.3%
    fit = clv.fit_gamma_gamma(repeat)
    assert fit.population_mean == pytest.approx(p * v / (q - 1), rel=0.10)

    summary = pd.concat([repeat, pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [2.0],
                                               "monetary_value": [0.0]})], ignore_index=True)
    spend = clv.expected_spend(fit, summary)
    assert spend[-1] == pytest.approx(fit.population_mean)  # no repeat purchase: population mean
    lo, hi = np.minimum(m, fit.population_mean), np.maximum(m, fit.population_mean)
    assert ((spend[:-1] >= lo - 1e-9) & (spend[:-1] <= hi + 1e-9)).all()  # shrunk toward it
    # customers without repeat purchases carry no spend information and do not change the fit
    assert clv.fit_gamma_gamma(summary).population_mean == pytest.approx(fit.population_mean,
                                                                           rel=1e-6)


def test_expected_gmv_is_purchases_times_spend(simulated):
    summary, _, bg = simulated
    rng = np.random.default_rng(3)
    summary = summary.assign(monetary_value=np.where(summary["frequency"] > 0,
                                                     rng.gamma(5.0, 6.0, len(summary)), 0.0))
    gg = clv.fit_gamma_gamma(summary)
    gmv = clv.expected_gmv(bg, gg, summary, HORIZON)
    assert gmv == pytest.approx(clv.expected_purchases(bg, summary, HORIZON)
                                * clv.expected_spend(gg, summary))


def test_importing_clv_and_window_loads_nothing_heavy(tmp_path):
    heavy = ("scipy", "mlflow", "xgboost", "sklearn", "matplotlib", "dagster")
    code = ("import json, sys\nimport ml.clv, ml.window\n"
            f"print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
