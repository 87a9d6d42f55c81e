"""Customer lifetime value: BG/NBD purchase counts (Fader, Hardie & Lee 2005) and Gamma-Gamma spend.

Plain numpy/scipy: `lifetimes` is unmaintained since 2020 and pymc-marketing pulls in PyMC.

BG/NBD: while alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out for good with probability p ~ Beta(a, b). Gamma-Gamma: a customer's order
values are Gamma(p, nu) with nu ~ Gamma(q, v), independent of the purchase process. Inputs are the
per-customer `rfm_summary` (frequency = repeat purchases x, recency t_x, age T, mean repeat spend);
times are in `time_unit_days` units (weeks by default) throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_REPEAT_BUYERS = 10  # fewer customers with frequency > 0 cannot pin the parameters down
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


@dataclass(frozen=True)
class BGNBDParams:
    """Purchase rate lambda ~ Gamma(shape r, rate alpha); dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Order value ~ Gamma(shape p, rate nu) with nu ~ Gamma(shape q, rate v)."""

    p: float
    q: float
    v: float

    @property
    def population_mean(self) -> float:
        """E[average order value] = p v / (q - 1); infinite when q <= 1."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("inf")


def rfm_summary(customer_ids, order_times, amounts, *, observation_end,
                time_unit_days: float = 7.0) -> pd.DataFrame:
    """Per customer: frequency, recency, T (in units of `time_unit_days`) and monetary_value.

    Only orders strictly before `observation_end` count; orders on the same calendar day collapse
    into one purchase (their amounts add up). frequency = purchase days after the first one,
    recency = last minus first purchase day, T = observation_end minus first purchase day,
    monetary_value = mean spend of the repeat purchase days (0 without repeats).
    """
    if time_unit_days <= 0:
        raise ValueError(f"time_unit_days={time_unit_days} must be positive")
    orders = pd.DataFrame({"customer_id": np.asarray(customer_ids),
                           "time": pd.to_datetime(np.asarray(order_times)),
                           "amount": np.asarray(amounts, dtype=float)})
    end = pd.Timestamp(observation_end)
    orders = orders[orders["time"] < end]
    if orders.empty:
        raise ValueError(f"rfm_summary needs orders: none before observation_end={end}")
    orders = orders.assign(day=orders["time"].dt.normalize())
    days = orders.groupby(["customer_id", "day"], sort=True)["amount"].sum().reset_index()
    first_of = days.groupby("customer_id")["day"].transform("min")
    unit = pd.Timedelta(days=time_unit_days)
    days["is_repeat"] = days["day"] > first_of
    grouped = days.groupby("customer_id")
    summary = pd.DataFrame({
        "frequency": grouped["is_repeat"].sum().astype(int),
        "recency": (grouped["day"].max() - grouped["day"].min()) / unit,
        "T": (end - grouped["day"].min()) / unit,
    })
    repeat = days[days["is_repeat"]].groupby("customer_id")["amount"].mean()
    summary["monetary_value"] = repeat.reindex(summary.index).fillna(0.0)
    summary.index.name = "customer_id"
    return summary


def _columns(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in ("frequency", "recency", "T") if c not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks columns {missing}; build it with rfm_summary")
    if len(summary) == 0:
        raise ValueError("summary is empty: no customers")
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    big_t = summary["T"].to_numpy(dtype=float)
    if (x < 0).any() or (t_x < 0).any() or (big_t < t_x).any() or (big_t <= 0).any():
        raise ValueError("summary needs frequency >= 0 and 0 <= recency <= T with T > 0")
    return x, t_x, big_t


def _repeat_buyers(x: np.ndarray, what: str) -> None:
    n = int((x > 0).sum())
    if n < MIN_REPEAT_BUYERS:
        raise ValueError(f"{what} needs at least {MIN_REPEAT_BUYERS} repeat buyers "
                         f"(frequency > 0), got {n}")


def _bgnbd_loglik(r, alpha, a, b, x, t_x, big_t) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005, eq. 6), computed in logs for stability."""
    from scipy.special import betaln, gammaln

    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
    repeat = x > 0
    dropped = np.full_like(x, -np.inf)
    xr = x[repeat]
    dropped[repeat] = (betaln(a + 1, b + xr - 1) - betaln(a, b)
                       - (r + xr) * np.log(alpha + t_x[repeat]))
    return base + np.logaddexp(alive, dropped)


def bgnbd_log_likelihood(params: BGNBDParams, summary: pd.DataFrame) -> float:
    """Total BG/NBD log-likelihood of the summary under `params` (for likelihood-ratio checks)."""
    x, t_x, big_t = _columns(summary)
    return float(_bgnbd_loglik(params.r, params.alpha, params.a, params.b, x, t_x, big_t).sum())


def fit_bgnbd(summary: pd.DataFrame, *, penalizer: float = 0.0) -> BGNBDParams:
    """Maximum-likelihood BG/NBD fit (L-BFGS-B on log-parameters; optional L2 penalty)."""
    from scipy.optimize import minimize

    x, t_x, big_t = _columns(summary)
    _repeat_buyers(x, "fit_bgnbd")
    # customers sharing (x, t_x, T) share a likelihood term: fit on the distinct rows
    rows, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
    x, t_x, big_t = rows.T
    weights = counts / counts.sum()

    def objective(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        ll = _bgnbd_loglik(r, alpha, a, b, x, t_x, big_t)
        return float(-(weights * ll).sum() + penalizer * np.sum(np.exp(2 * theta)))

    start = np.log([1.0, float(np.mean(big_t)), 1.0, 1.0])
    best = None
    for method in ("L-BFGS-B", "Nelder-Mead"):
        result = minimize(objective, start, method=method, bounds=[(-15.0, 15.0)] * 4,
                          options={"maxiter": 5000})
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
        if result.success:
            break
        start = result.x
    if best is None or not np.isfinite(best.fun):
        raise RuntimeError("BG/NBD fit failed: the log-likelihood is not finite")
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    return BGNBDParams(r=r, alpha=alpha, a=a, b=b)


def prob_alive(params: BGNBDParams, summary: pd.DataFrame) -> np.ndarray:
    """P(still alive at T | x, t_x, T); 1 for customers without repeat purchases."""
    x, t_x, big_t = _columns(summary)
    return _prob_alive(params, x, t_x, big_t)


def _prob_alive(params: BGNBDParams, x, t_x, big_t) -> np.ndarray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    log_odds = np.full_like(x, -np.inf)  # log of P(dropped out) / P(alive)
    xr = x[repeat]
    log_odds[repeat] = (np.log(a) - np.log(b + xr - 1)
                        + (r + xr) * (np.log(alpha + big_t[repeat]) - np.log(alpha + t_x[repeat])))
    return 1.0 / (1.0 + np.exp(log_odds))


def expected_purchases(params: BGNBDParams, summary: pd.DataFrame, t: float) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, eq. 10)."""
    from scipy.special import hyp2f1

    x, t_x, big_t = _columns(summary)
    if t < 0:
        raise ValueError(f"t={t} must not be negative")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-8:  # the closed form is 0/0 at a = 1; the limit is continuous
        a = 1.0 + 1e-8
    z = t / (alpha + big_t + t)
    # Euler's transformation of eq. 10's 2F1(r+x, b+x; a+b+x-1; z) * (1-z)^(r+x): small parameters
    tail = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
    given_alive = (a + b + x - 1.0) / (a - 1.0) * (1.0 - tail)
    return given_alive * _prob_alive(params, x, t_x, big_t)


def expected_purchases_if_alive(params: BGNBDParams, summary: pd.DataFrame,
                                t: float) -> np.ndarray:
    """E[purchases in (T, T + t] | alive at T, x, t_x, T]: eq. 10 without the P(alive) factor,
    the value of a customer who is (or is brought back) active."""
    alive = prob_alive(params, summary)
    return expected_purchases(params, summary, t) / np.maximum(alive, 1e-12)


def prob_no_purchase(params: BGNBDParams, summary: pd.DataFrame, t: float) -> np.ndarray:
    """P(no purchase in (T, T + t] | x, t_x, T).

    Dropout happens only right after a purchase, so an alive customer who buys nothing in the
    window stays alive through it: P(0 | alive) = E[exp(-lambda t)] with lambda's posterior
    Gamma(r + x, alpha + T), i.e. ((alpha + T) / (alpha + T + t))^(r + x). A dropped-out customer
    buys nothing for sure: P = 1 - P(alive) + P(alive) * P(0 | alive).
    """
    x, t_x, big_t = _columns(summary)
    if t < 0:
        raise ValueError(f"t={t} must not be negative")
    alive = _prob_alive(params, x, t_x, big_t)
    silent = np.exp((params.r + x) * (np.log(params.alpha + big_t)
                                      - np.log(params.alpha + big_t + t)))
    return 1.0 - alive + alive * silent


def _gamma_gamma_loglik(p, q, v, x, m) -> np.ndarray:
    """Log density of a customer's mean order value m over x orders (Fader & Hardie 2013)."""
    from scipy.special import gammaln

    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
            + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m))


def _spend_columns(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "frequency" not in summary.columns or "monetary_value" not in summary.columns:
        raise ValueError("summary lacks frequency/monetary_value; build it with rfm_summary")
    if len(summary) == 0:
        raise ValueError("summary is empty: no customers")
    x = summary["frequency"].to_numpy(dtype=float)
    m = summary["monetary_value"].to_numpy(dtype=float)
    if ((x > 0) & (m <= 0)).any():
        raise ValueError("Gamma-Gamma needs positive monetary_value for every repeat buyer")
    return x, m


def fit_gamma_gamma(summary: pd.DataFrame, *, penalizer: float = 0.0) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma fit on the customers with frequency > 0."""
    from scipy.optimize import minimize

    x, m = _spend_columns(summary)
    _repeat_buyers(x, "fit_gamma_gamma")
    x, m = x[x > 0], m[x > 0]

    def objective(theta: np.ndarray) -> float:
        p, q, v = np.exp(theta)
        ll = _gamma_gamma_loglik(p, q, v, x, m)
        return float(-ll.mean() + penalizer * np.sum(np.exp(2 * theta)))

    start = np.log([2.0, 2.0, float(np.mean(m))])
    result = minimize(objective, start, method="L-BFGS-B", bounds=[(-15.0, 15.0)] * 3)
    if not result.success:
        result = minimize(objective, result.x, method="Nelder-Mead", options={"maxiter": 5000})
    if not np.isfinite(result.fun):
        raise RuntimeError("Gamma-Gamma fit failed: the log-likelihood is not finite")
    p, q, v = (float(val) for val in np.exp(result.x))
    return GammaGammaParams(p=p, q=q, v=v)


def expected_spend(params: GammaGammaParams, summary: pd.DataFrame) -> np.ndarray:
    """E[average order value | x, m]: p (v + x m) / (p x + q - 1), a shrinkage of m toward the
    population mean p v / (q - 1); customers with frequency 0 get the population mean."""
    x, m = _spend_columns(summary)
    p, q, v = params.p, params.q, params.v
    if q <= 1.0 and (x == 0).any():
        raise ValueError(f"q={q:.3g} <= 1: the population mean spend is infinite, so customers "
                         "without repeat purchases have no expected spend")
    return p * (v + x * m) / (p * x + q - 1.0)


def expected_gmv(bg: BGNBDParams, gg: GammaGammaParams, summary: pd.DataFrame,
                 t: float) -> np.ndarray:
    """Expected spend in the next t units: expected purchases x expected average order value."""
    return expected_purchases(bg, summary, t) * expected_spend(gg, summary)
