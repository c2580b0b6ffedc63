"""Expected outcomes of a user under one arm of an experiment, given the latent state (private).

Used by ``_experiment`` for ``true_effect`` and the RMST truth; the formulas are in the
docstring of ``retainkit.simulate``. Times are days since the simulation's start. A *config*
is what an arm does to a user during ``[e, e + D)``: a hazard multiplier ``r = exp(log_hr)``,
a visit-rate multiplier ``v`` and whether the extra pushes reach them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from retainkit.simulate._oracle import _lognormal_mean_min, _lognormal_sf
from retainkit.simulate._process import (
    MINUTES_PER_DAY,
    PUSH_LOOKBACK_DAYS,
    Calendar,
    boredom,
    prob_session_has_events,
)

PUSH_TRANSIENT_DELAYS = 30.0  # a push is opened within 30 mean delays but for e^-30 ~ 1e-13


class Config(NamedTuple):
    log_hr: np.ndarray  # per user; 0 = untouched
    visit_ratio: np.ndarray  # per user; 1 = untouched
    extra: np.ndarray  # per user bool: the extra pushes reach them


def cumulative_since_entry(g_x, g_e, g_end, n_inside, log_hr):
    """(H(x_j) - H(e)) / m per user and node, the multiplier r acting on [e, e + D).

    The first ``n_inside`` nodes lie in [e, e + D]; the others after it.
    """
    r = np.exp(log_hr)[:, None]
    out = np.empty_like(g_x)
    out[:, :n_inside] = r * (g_x[:, :n_inside] - g_e[:, None])
    out[:, n_inside:] = (r * (g_end - g_e)[:, None] - g_end[:, None]) + g_x[:, n_inside:]
    return out


def extra_push_times(hours: tuple[float, ...], first_day: float, last_day: float) -> np.ndarray:
    """Times of the daily extra pushes on days floor(first_day)..last_day, sorted."""
    days = np.arange(np.floor(first_day), np.ceil(last_day) + 1)
    return np.sort((days[:, None] + np.asarray(hours, float)[None, :] / 24).ravel())


def _push_increments(inc, tau, p, x, a_first, delta, delay):
    """Add the increments of log P(push ``tau`` not opened in (A, x_j]) to ``inc`` in place.

    The term is log(1 - p (G(x - tau) - G(A - tau))) with G the exponential delay CDF; it is 0
    up to the node before tau and constant once the delay has run out, so only the nodes of
    that transient are touched (unique (row, column) pairs per push).
    """
    n_nodes = x.shape[1]
    rows = np.flatnonzero((p > 0) & (tau > a_first - PUSH_TRANSIENT_DELAYS * delay)
                          & (tau <= x[:, -1]))  # fmt: skip
    if rows.size == 0:
        return
    n_t = int(np.ceil(PUSH_TRANSIENT_DELAYS * delay / delta)) + 1
    c0 = np.maximum(np.floor((tau - a_first[rows]) / delta).astype(np.int64), 0)
    cols = c0[:, None] + np.arange(n_t + 1)[None, :]
    valid = cols[:, 1:] < n_nodes
    cols = np.minimum(cols, n_nodes - 1)
    xs = np.take_along_axis(x[rows], cols, axis=1)
    g0 = -np.expm1(-np.maximum(a_first[rows] - tau, 0.0) / delay)
    g = -np.expm1(-np.maximum(xs - tau, 0.0) / delay)
    term = np.log1p(-p[rows, None] * (g - g0[:, None]))
    d_term = np.diff(term, axis=1)
    row_index = np.broadcast_to(rows[:, None], valid.shape)
    inc[row_index[valid], cols[:, 1:][valid]] += d_term[valid]


def _organic_spill(pop, params, cal, a, s):
    """log P(no event after A from an organic session that started before A), per user.

    As the oracle's spill term, with a per-user A: the visit rate just before A is taken as
    constant over the session (minutes long) and a churn cutting the session short is ignored.
    """
    tenure_min = (a - s) * MINUTES_PER_DAY
    w_before = cal.hourly_factor[np.ceil(a * 24).astype(np.int64) - 1]
    rate = pop["base_rate"] * w_before * boredom(a - s, params)
    mean_min = _lognormal_mean_min(tenure_min, pop["session_log_median"], float(params["session_sigma"]))
    return -rate * prob_session_has_events(params) * mean_min / MINUTES_PER_DAY


def _push_spill(out, tau, p, pop, params, a):
    """Add log P(no event after A from the session of push ``tau`` opened before A) to ``out``."""
    gap = (a - tau) * MINUTES_PER_DAY  # minutes between the push and A
    rows = np.flatnonzero((p > 0) & (gap > 0) & (gap <= PUSH_LOOKBACK_DAYS * MINUTES_PER_DAY))
    if rows.size == 0:
        return
    delay = float(params["push_delay_minutes"])
    d = gap[rows, None] * np.linspace(0.0, 1.0, 257)[None, :]  # opening delay
    dens = np.exp(-d / delay) / delay
    sf = _lognormal_sf(gap[rows, None] - d, pop["session_log_median"][rows, None],
                       float(params["session_sigma"]))  # fmt: skip
    spill = np.trapezoid(dens * sf, d, axis=1)
    out[rows] += np.log1p(-p[rows] * prob_session_has_events(params) * spill)


class _Visits(NamedTuple):
    """A chunk's visit terms: organic integrals per piece, push increments, spills at A."""

    organic: np.ndarray
    regular: np.ndarray
    extra: np.ndarray
    organic_spill: np.ndarray
    regular_spill: np.ndarray
    extra_spill: np.ndarray


def _log_q(v: _Visits, c: Config, sl: slice, pieces_inside: int, k_end: int) -> np.ndarray:
    """log Q at the nodes under config ``c`` (the rows ``sl`` of the chunk)."""
    ratio, has_extra = c.visit_ratio[sl], c.extra[sl]
    inc = v.regular.copy()
    if has_extra.any():
        inc += has_extra[:, None] * v.extra
    inc[:, 1:] -= v.organic
    if (ratio != 1).any() and pieces_inside:
        inc[:, 1 : pieces_inside + 1] -= (ratio - 1)[:, None] * v.organic[:, :pieces_inside]
    # Sessions in progress at A: the visit rate just before A has the ratio if A <= e + D.
    ratio_at_a = ratio if k_end >= 0 else 1.0
    inc[:, 1] += ratio_at_a * v.organic_spill + v.regular_spill + has_extra * v.extra_spill
    return np.cumsum(inc, axis=1)


def _quiet_after(log_q: np.ndarray, surv: np.ndarray) -> np.ndarray:
    """sum_j (S_j - S_j+1) mean(Q on piece j) + S_K Q_K: churn in the window or none, and no
    visit before it. The mean is the logarithmic mean Q_j (1 - e^-d) / d, d = log Q_j -
    log Q_j+1 >= 0 (expm1 keeps it exact as d -> 0; the floor guards d = 0 and rounding)."""
    q = np.exp(log_q)
    d_log = np.maximum(log_q[:, :-1] - log_q[:, 1:], 1e-300)
    q_mean = -q[:, :-1] * np.expm1(-d_log) / d_log
    return ((surv[:, :-1] - surv[:, 1:]) * q_mean).sum(axis=1) + surv[:, -1] * q[:, -1]


def p_active(
    pop: dict[str, np.ndarray],
    params: dict[str, Any],
    cal: Calendar,
    entry: np.ndarray,
    window: tuple[float, float],
    duration: float,
    extra_hours: tuple[float, ...],
    configs: list[Config],
    *,
    n_sub: int = 1,
    chunk: int = 2048,
) -> list[np.ndarray]:
    """P(any event in (e + w0, e + w1] | latent state, alive at e), one array per config.

    On pieces of 1/n_sub hour (each cut where it crosses a calendar hour) with nodes x_j:
    Q(x_j) = P(no visit starts in (A, x_j]) = exp(-integral of the visit rate) times the
    no-open probabilities of the pushes (exact integrals); S the survival since e; then
    P(no event) = 1 - S(A) + sum (S_j - S_j+1) mean(Q on piece j) + S(B) Q(B), the mean being
    the logarithmic mean (Q exponential on the piece). Q also holds the probability that no
    session in progress at A (organic or push) has an event after A, as in the oracle.
    """
    w0, w1 = window
    delta = 1 / (24 * n_sub)
    n_pieces = int(round((w1 - w0) / delta))
    k_end = int(round((duration - w0) / delta))  # node j lies in [e, e + D] iff j <= k_end
    node = np.arange(n_pieces + 1)
    n_inside = int(np.clip(k_end + 1, 0, n_pieces + 1))  # nodes j <= k_end
    pieces_inside = int(np.clip(k_end, 0, n_pieces))  # pieces ending at a node j <= k_end
    floor, timescale = float(params["boredom_floor"]), float(params["boredom_timescale_days"])
    shape, scale = float(params["weibull_shape"]), float(params["weibull_scale_days"])
    delay = float(params["push_delay_minutes"]) / MINUTES_PER_DAY
    push = cal.push_times
    first, last = entry.min() + w0, entry.max() + w1
    lookback = max(PUSH_TRANSIENT_DELAYS * delay, PUSH_LOOKBACK_DAYS)  # opens and sessions
    pushes = push[(push > first - lookback) & (push <= last)]
    extras = extra_push_times(extra_hours, entry.min(), entry.max() + duration)
    extras = extras[(extras > first - lookback) & (extras <= last)]
    out = [np.empty(entry.size) for _ in configs]
    for begin in range(0, entry.size, chunk):
        sl = slice(begin, begin + chunk)
        s, e = pop["signup"][sl], entry[sl]
        a_first = e + w0
        x = a_first[:, None] + node[None, :] * delta
        hour = np.floor(x[:, :-1] * 24).astype(np.int64)
        split = np.minimum((hour + 1) / 24, x[:, 1:])
        decay_x = np.exp(-(x - s[:, None]) / timescale)
        if np.array_equal(split, x[:, 1:]):  # nodes on hour boundaries: no piece is cut
            decay_split = decay_x[:, 1:]
        else:
            decay_split = np.exp(-(split - s[:, None]) / timescale)
        first_part = floor * (split - x[:, :-1]) + (1 - floor) * timescale * (
            decay_x[:, :-1] - decay_split
        )
        second_part = floor * (x[:, 1:] - split) + (1 - floor) * timescale * (
            decay_split - decay_x[:, 1:]
        )
        w = cal.hourly_factor
        organic = pop["base_rate"][sl, None] * (w[hour] * first_part + w[hour + 1] * second_part)
        response = pop["push_response"][sl]
        sub = {key: pop[key][sl] for key in ("base_rate", "session_log_median")}
        organic_spill = _organic_spill(sub, params, cal, a_first, s)
        regular, regular_spill = np.zeros_like(x), np.zeros(s.size)
        for tau in pushes:
            p = response * boredom(tau - s, params) * (tau > s)
            _push_increments(regular, tau, p, x, a_first, delta, delay)
            _push_spill(regular_spill, tau, p, sub, params, a_first)
        extra, extra_spill = np.zeros_like(x), np.zeros(s.size)
        if any(c.extra[sl].any() for c in configs):
            for tau in extras:
                when = (tau > s) & (tau >= e) & (tau < e + duration)
                p = response * boredom(tau - s, params) * when
                _push_increments(extra, tau, p, x, a_first, delta, delay)
                _push_spill(extra_spill, tau, p, sub, params, a_first)
        m = pop["hazard_multiplier"][sl]
        g_x = ((x - s[:, None]) / scale) ** shape
        g_e = ((e - s) / scale) ** shape
        g_end = ((e + duration - s) / scale) ** shape

        parts = _Visits(organic, regular, extra, organic_spill, regular_spill, extra_spill)
        if k_end <= 0:
            # The period is over by A: in the window the hazard is the plain one, so the
            # survival is S_config(A) x S(x | alive at A), and the window part is shared by
            # every config with the same visit process (the plain one unless the visit ratio
            # acts on the sessions in progress at A or the extra pushes reach the user).
            surv_a = np.exp(-m[:, None] * (g_x - g_x[:, :1]))
            plain = None
            for c, result in zip(configs, out, strict=True):
                same = not c.extra[sl].any() and (k_end < 0 or (c.visit_ratio[sl] == 1).all())
                if same and plain is not None:
                    window_quiet = plain
                else:
                    window_quiet = _quiet_after(_log_q(parts, c, sl, pieces_inside, k_end), surv_a)
                    plain = window_quiet if same else plain
                cum_a = cumulative_since_entry(g_x[:, :1], g_e, g_end, min(n_inside, 1), c.log_hr[sl])
                result[sl] = np.clip(np.exp(-m * cum_a[:, 0]) * (1 - window_quiet), 0.0, 1.0)
            continue
        for c, result in zip(configs, out, strict=True):
            cum = cumulative_since_entry(g_x, g_e, g_end, n_inside, c.log_hr[sl])
            surv = np.exp(-m[:, None] * cum)
            quiet = 1 - surv[:, 0] + _quiet_after(_log_q(parts, c, sl, pieces_inside, k_end), surv)
            result[sl] = np.clip(1 - quiet, 0.0, 1.0)
    return out


def _gauss_legendre(n: int):
    x, w = np.polynomial.legendre.leggauss(n)
    return (x + 1) / 2, w / 2


_Z_MAX = 40.0  # e^-40 ~ 4e-18: the survival has run out
_Z_BREAKS = np.array([0.0, 1e-6, 1e-4, 1e-2, 0.1, 0.4, 1.0])  # finer near z = 0 (a^k cusp)


def _integral_of_survival(a0, a1, c, shape):
    """integral over tenure a in [a0, a1] of exp(-c (a^k - a0^k)), per user (a0 <= a1).

    With z = c (a^k - a0^k): a = (a0^k + z / c)^(1/k), da = (a0^k + z / c)^(1/k - 1) dz / (k c),
    and the integrand e^-z times that power is integrated by composite Gauss-Legendre on
    [0, min(Z, 40)], Z = c (a1^k - a0^k), with breaks finer near 0 (where a0 = 0 makes the
    power a cusp z^(1/k - 1)).
    """
    y0 = a0**shape
    z_top = np.minimum(c * (a1**shape - y0), _Z_MAX)
    x, w = _gauss_legendre(24)
    total = np.zeros_like(a0)
    for lo, hi in zip(_Z_BREAKS[:-1], _Z_BREAKS[1:], strict=True):
        width = (hi - lo) * z_top
        z = (lo * z_top)[:, None] + width[:, None] * x[None, :]
        power = (y0[:, None] + z / c[:, None]) ** (1 / shape - 1)
        total += width * (w[None, :] * np.exp(-z) * power).sum(axis=1) / (shape * c)
    return total


def expected_rmst(pop, params, entry, horizon: float, duration: float, log_hr) -> np.ndarray:
    """E[min(T - e, horizon) | latent state, alive at e] in days, multiplier exp(log_hr) on
    [e, e + D) (Weibull proportional hazards; closed-form pieces, quadrature per piece)."""
    shape, scale = float(params["weibull_shape"]), float(params["weibull_scale_days"])
    s, m = pop["signup"], pop["hazard_multiplier"]
    a_e = entry - s
    c = m / scale**shape
    r = np.exp(np.asarray(log_hr, float))
    first = _integral_of_survival(a_e, a_e + min(duration, horizon), r * c, shape)
    if horizon <= duration:
        return first
    a_d = a_e + duration
    surv_d = np.exp(-r * c * (a_d**shape - a_e**shape))
    return first + surv_d * _integral_of_survival(a_d, a_e + horizon, c, shape)
