"""The true probability of churning in the label window, from the generative model itself.

For a customer alive at snapshot day s (last interaction L >= s - 30), interactions can happen on
days s .. e-1 with e = min(s + W, L + 31); after e the customer is churned and only a natural
return brings an interaction. Visits are a renewal process in visit time (the visit rate summed
over days: constant while settled, fading once drifting starts) with Gamma(k, 1/k) gaps; drifting
starts with the day's hazard. With A the visit time already elapsed since the last visit and M
the visit time the next days add, P(no visit) = S(A + M) / S(A), S the Gamma survival. So

    P(no interaction in [s, s+W)) = P(no visit on s..e-1) * (1 - return hazard)^(s+W-e)

where the first factor sums over the day drifting starts (or never). Future service incidents
are not simulated forward (their decay is), which is the one approximation.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincc

from sources.simulator import config as C


def _gap_survival(x):
    """P(a gap between visits is longer than x units of visit time)."""
    k = C.VISIT_REGULARITY
    return gammaincc(k, k * np.maximum(x, 0.0))


def _fade_sum(floor, tau, k):
    """Sum over the first k days of drifting of the visit-rate multiplier."""
    q = np.exp(-1.0 / tau)
    return floor * k + (1 - floor) * (1 - q ** k) / (1 - q)


def true_churn_probability(sim, rows: np.ndarray, s: int, window: int) -> np.ndarray:
    p = sim.p
    e = np.minimum(s + window, sim.last_int[rows] + C.CHURN_DAYS + 1)
    span = (e - s).astype(int)                       # days with a possible visit, 1..window
    lam = p.visit_rate[rows] * sim.scale[rows]
    floor, tau = p.floor[rows], p.decay_days[rows]
    age = sim.visit_age[rows]
    alive = np.maximum(_gap_survival(age), 1e-300)

    def quiet(mass):
        """P(no visit while `mass` more visit time passes), given the visit time elapsed."""
        shape = (-1,) + (1,) * (np.ndim(mass) - 1)
        return _gap_survival(age.reshape(shape) + mass) / alive.reshape(shape)

    drifting = sim.drifting[rows]
    since = s - sim.drift_start[rows]
    drift_mass = lam * (_fade_sum(floor, tau, since + span) - _fade_sum(floor, tau, since))
    p_quiet_drifting = quiet(drift_mass)

    # Settled: drifting may start on any of the span days, with that day's hazard.
    n, w = rows.size, int(span.max())
    days = np.arange(w)
    haz = np.empty((n, w))
    incident = sim.incident[rows].copy()
    for j in range(w):
        full = np.zeros(p.size)
        full[rows] = incident
        haz[:, j] = sim.hazard(s + j, full)[rows]
        incident = incident * C.INCIDENT_DECAY
    inside = days[None, :] < span[:, None]
    haz = np.where(inside, haz, 0.0)
    survive_before = np.cumprod(np.hstack([np.ones((n, 1)), 1 - haz[:, :-1]]), axis=1)
    start_prob = survive_before * haz
    never = np.prod(1 - haz, axis=1)
    rest = np.maximum(span[:, None] - days[None, :], 0)
    quiet_if_start = quiet(lam[:, None] * days[None, :]
                           + lam[:, None] * _fade_sum(floor[:, None], tau[:, None], rest))
    p_quiet_settled = (start_prob * quiet_if_start).sum(axis=1) + never * quiet(lam * span)

    p_quiet = np.where(drifting, p_quiet_drifting, p_quiet_settled)
    # a lapsed customer (visited after a contact without coming back) has no habitual visits:
    # only a natural return brings an interaction, on any day of the window
    no_return = (1 - C.RETURN_HAZARD) ** np.where(sim.lapsed[rows], window, s + window - e)
    return np.clip(p_quiet * no_return, 0.0, 1.0)
