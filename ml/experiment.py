"""Statistics of recall experiments (treatment vs randomized holdout), standard library only.

Rates are proportions (e.g. conversion); effects are absolute differences (treatment - control,
in proportion points: 0.02 = 2 points). Tests are two-sided at level alpha.

Sample size and minimum detectable effect use the two-proportion z-test with the pooled
variance under the null and the unpooled one under the alternative (Fleiss, without continuity
correction), for any treatment/control split:

    z_{1-alpha/2} * sqrt(pbar*(1-pbar)*(1/n_t + 1/n_c)) + z_{power} * sqrt(p_t*q_t/n_t + p_c*q_c/n_c)
        = |p_t - p_c|,   pbar = (n_t*p_t + n_c*p_c) / (n_t + n_c).

This is the one definition of the minimum detectable effect: the dbt macro
`minimum_detectable_effects` (dbt_project/macros/recall_stats.sql, recall_segments'
layer_minimum_detectable_effect) runs the same bisection in SQL, and
tests/dbt/test_experiment_stats.py keeps the two equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


def _z(q: float) -> float:
    return _NORMAL.inv_cdf(q)


def _check_rate(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name}={value} must lie strictly between 0 and 1")


def _required_gap(p_c: float, p_t: float, n_t: float, n_c: float, alpha: float, power: float) -> float:
    pbar = (n_t * p_t + n_c * p_c) / (n_t + n_c)
    sd_null = math.sqrt(pbar * (1 - pbar) * (1 / n_t + 1 / n_c))
    sd_alt = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    return _z(1 - alpha / 2) * sd_null + _z(power) * sd_alt


@dataclass(frozen=True)
class SampleSize:
    n_treatment: int
    n_control: int

    @property
    def n_total(self) -> int:
        return self.n_treatment + self.n_control


def sample_size_per_arm(base_rate: float, mde: float, alpha: float = 0.05, power: float = 0.8,
                        control_share: float = 0.1) -> SampleSize:
    """Customers needed in each arm to detect an absolute lift `mde` over `base_rate`.

    control_share is the holdout's share of the wave (0.5 = equal arms). Both arms are rounded
    up, so the realized share may differ slightly from control_share.
    """
    _check_rate("base_rate", base_rate)
    _check_rate("alpha", alpha)
    _check_rate("power", power)
    _check_rate("control_share", control_share)
    if mde == 0 or not 0.0 < base_rate + mde < 1.0:
        raise ValueError(f"mde={mde} must be non-zero and keep base_rate + mde inside (0, 1)")
    p_c, p_t = base_rate, base_rate + mde
    ratio = (1 - control_share) / control_share  # n_t / n_c
    # With n_c = m and n_t = ratio * m, the required gap scales as 1/sqrt(m).
    m = (_required_gap(p_c, p_t, ratio, 1.0, alpha, power) / abs(mde)) ** 2
    return SampleSize(n_treatment=math.ceil(ratio * m - 1e-9), n_control=math.ceil(m - 1e-9))


def minimum_detectable_effect(n_treatment: int, n_control: int, base_rate: float,
                              alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest absolute lift over base_rate detectable with these arm sizes (increase only).

    The inverse of `sample_size_per_arm`, solved by bisection; NaN when even the largest
    possible lift (to a rate of 1) cannot be detected, and so at a base_rate of 1 (a small
    control arm that all converted leaves no room for a lift). A base_rate of 0 (no control
    conversion observed yet) is allowed: the variance under the alternative keeps the effect
    positive.
    """
    if not 0.0 <= base_rate <= 1.0:
        raise ValueError(f"base_rate={base_rate} must lie in [0, 1]")
    _check_rate("alpha", alpha)
    _check_rate("power", power)
    if n_treatment < 1 or n_control < 1:
        raise ValueError("both arms need at least one customer")

    def slack(delta: float) -> float:
        return delta - _required_gap(base_rate, base_rate + delta, n_treatment, n_control, alpha, power)

    lo, hi = 0.0, 1.0 - base_rate - 1e-12
    if hi <= 0 or slack(hi) < 0:
        return float("nan")
    for _ in range(200):
        mid = (lo + hi) / 2
        if slack(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class Uplift:
    rate_treatment: float
    rate_control: float
    uplift: float  # rate_treatment - rate_control
    lower: float
    upper: float
    p_value: float  # two-sided, pooled two-proportion z-test
    method: str
    alpha: float


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of one proportion."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n and n >= 1")
    z = _z(1 - alpha / 2)
    p = successes / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def uplift_interval(conv_t: int, n_t: int, conv_c: int, n_c: int, alpha: float = 0.05,
                    method: str = "newcombe") -> Uplift:
    """Difference of conversion rates (treatment - control) with a 1 - alpha interval.

    method: `newcombe` (hybrid score interval from Wilson intervals, Newcombe 1998 method 10;
    good coverage for small counts and rates near 0 or 1) or `wald` (normal approximation).
    """
    if n_t < 1 or n_c < 1 or not 0 <= conv_t <= n_t or not 0 <= conv_c <= n_c:
        raise ValueError("need 0 <= conversions <= n and n >= 1 in both arms")
    p_t, p_c = conv_t / n_t, conv_c / n_c
    diff = p_t - p_c
    z = _z(1 - alpha / 2)
    if method == "wald":
        half = z * math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        lower, upper = diff - half, diff + half
    elif method == "newcombe":
        l_t, u_t = wilson_interval(conv_t, n_t, alpha)
        l_c, u_c = wilson_interval(conv_c, n_c, alpha)
        lower = diff - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
        upper = diff + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    else:
        raise ValueError(f"unknown method {method!r}; use 'newcombe' or 'wald'")
    pooled = (conv_t + conv_c) / (n_t + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    p_value = 2 * (1 - _NORMAL.cdf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return Uplift(rate_treatment=p_t, rate_control=p_c, uplift=diff, lower=max(-1.0, lower),
                  upper=min(1.0, upper), p_value=p_value, method=method, alpha=alpha)


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (family-wise error at alpha when
    a hypothesis is rejected for adjusted p < alpha).

    With the p-values sorted p(1) <= ... <= p(m): adjusted p(i) = min(1, max over j <= i of
    (m - j + 1) p(j)). The dbt mart recall_effect_variants adjusts the variants of a campaign
    the same way (tests/dbt/test_variant_effects.py).
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        if not 0.0 <= p_values[i] <= 1.0:
            raise ValueError(f"p-value {p_values[i]} must lie in [0, 1]")
        running = max(running, (m - rank) * p_values[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def mean_difference_interval(mean_t: float, sd_t: float, n_t: int, mean_c: float, sd_c: float,
                             n_c: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Difference of two means (treatment - control) with a Welch normal 1 - alpha interval:
    diff -+ z_{1-alpha/2} * sqrt(sd_t^2 / n_t + sd_c^2 / n_c), unequal variances (the interval
    of incremental GMV per targeted customer; macros/recall_stats.sql mean_diff_halfwidth)."""
    if n_t < 1 or n_c < 1:
        raise ValueError("both arms need at least one customer")
    _check_rate("alpha", alpha)
    diff = mean_t - mean_c
    half = _z(1 - alpha / 2) * math.sqrt(sd_t * sd_t / n_t + sd_c * sd_c / n_c)
    return diff, diff - half, diff + half
