"""Events of treated users that the control world does not have (private; see ``_experiment``).

The treated world of a user is the control world (the plain simulation) truncated at the
treated churn time, plus: the parts of sessions that the control churn cut short (kept by
``simulate_app``), extra organic visits at rate ``(v - 1) lambda(t)`` on ``[e, e + D)``, the extra
pushes, and, when the treated churn comes later, the visits and push opens of
``[T_control, T_treated)``. The Poisson process has independent increments, so these extra
pieces are drawn with fresh random numbers and the superposition is exactly the treated
process. Times are days since the simulation's start.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retainkit.simulate._process import DAY_US, MINUTES_PER_DAY, Calendar, boredom, draw_sessions


def _organic(pop, params, cal, user, lo, hi, scale, w_max, rng):
    """Visit times of a Poisson process with rate scale * b * W(t) * B(t - s) on [lo, hi)."""
    length = np.maximum(hi - lo, 0.0)
    n_cand = rng.poisson(pop["base_rate"][user] * scale * w_max * length)
    cand_user = np.repeat(user, n_cand)
    cand_t = np.repeat(lo, n_cand) + rng.random(cand_user.size) * np.repeat(length, n_cand)
    ratio = cal.hourly_factor[(cand_t * 24).astype(np.int64)] / w_max
    keep = rng.random(cand_user.size) < ratio * boredom(cand_t - pop["signup"][cand_user], params)
    return cand_user[keep], cand_t[keep]


def _push_opens(pop, params, push_times, user, lo, hi, rng):
    """Opens (user, time) of the pushes sent in [lo, hi) after sign-up, with their delays."""
    first = np.searchsorted(push_times, np.maximum(lo, 0.0), side="left")
    n_push = np.maximum(np.searchsorted(push_times, hi, side="left") - first, 0)
    push_user = np.repeat(user, n_push)
    offsets = np.arange(push_user.size) - np.repeat(np.cumsum(n_push) - n_push, n_push)
    tau = push_times[np.repeat(first, n_push) + offsets]
    s = pop["signup"][push_user]
    p_open = pop["push_response"][push_user] * boredom(tau - s, params) * (tau > s)
    opened = rng.random(tau.size) < p_open
    delay = rng.exponential(params["push_delay_minutes"] / MINUTES_PER_DAY, size=int(opened.sum()))
    return push_user[opened], tau[opened] + delay


def treated_future(
    pop: dict[str, np.ndarray],
    params: dict[str, Any],
    cal: Calendar,
    *,
    user: np.ndarray,
    entry: np.ndarray,
    churn_control: np.ndarray,
    churn_treated: np.ndarray,
    taken: np.ndarray,
    visit_ratio: float,
    duration: float,
    extra_times: np.ndarray,
    t_end: float,
    rng,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New events (user index, microseconds since start, code) of treated users alive at entry.

    ``user`` indexes ``pop``; the other arrays are per treated user. Events at or after
    min(churn_treated, t_end) are dropped, as in the plain simulation.
    """
    stop = np.minimum(churn_treated, t_end)
    w_max = cal.hourly_factor[: int(np.ceil(t_end * 24))].max()
    later = churn_treated > churn_control
    boost = taken & (visit_ratio > 1)
    period_end = np.minimum(entry + duration, stop)
    org_user = np.concatenate([user[boost], user[later]])
    org_lo = np.concatenate([entry[boost], churn_control[later]])
    org_hi = np.concatenate([period_end[boost], stop[later]])
    scale = np.concatenate([np.full(int(boost.sum()), visit_ratio - 1.0), np.ones(int(later.sum()))])
    organic_user, organic_t = _organic(pop, params, cal, org_user, org_lo, org_hi, scale, w_max, rng)
    reg_user, reg_t = _push_opens(pop, params, cal.push_times, user[later], churn_control[later],
                                  stop[later], rng)  # fmt: skip
    extra = taken if extra_times.size else np.zeros_like(taken)
    ext_user, ext_t = _push_opens(pop, params, extra_times, user[extra], entry[extra],
                                  period_end[extra], rng)  # fmt: skip
    open_user = np.concatenate([reg_user, ext_user])
    open_t = np.concatenate([reg_t, ext_t])
    visit_user = np.concatenate([organic_user, open_user])
    visit_t = np.concatenate([organic_t, open_t])
    eng_visit, eng_offset, eng_code = draw_sessions(visit_user, pop, params, rng)
    ev_user = np.concatenate([visit_user, open_user, visit_user[eng_visit]])
    ev_t = np.concatenate([visit_t, open_t, visit_t[eng_visit] + eng_offset])
    ev_code = np.concatenate([
        np.ones(visit_user.size, np.int64),
        np.zeros(open_user.size, np.int64),
        eng_code,
    ])
    ev_us = np.rint(ev_t * DAY_US).astype(np.int64)
    limit = np.zeros(pop["signup"].size, np.int64)
    limit[user] = np.rint(stop * DAY_US).astype(np.int64)
    alive = ev_us < limit[ev_user]
    return ev_user[alive], ev_us[alive], ev_code[alive]
