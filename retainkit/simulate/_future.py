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

from retainkit.simulate._process import (
    DAY_US,
    MINUTES_PER_DAY,
    Calendar,
    boredom,
    draw_sessions,
    visit_events,
)


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
    ev_user, ev_us, ev_code = visit_events(visit_user, visit_t, open_user, open_t, eng_visit,
                                           eng_offset, eng_code)
    limit = np.zeros(pop["signup"].size, np.int64)
    limit[user] = np.rint(stop * DAY_US).astype(np.int64)
    alive = ev_us < limit[ev_user]
    return ev_user[alive], ev_us[alive], ev_code[alive]


def regenerated_future(
    pop: dict[str, np.ndarray],
    params: dict[str, Any],
    cal: Calendar,
    world,
    default_feed: np.ndarray,
    *,
    user: np.ndarray,
    entry: np.ndarray,
    churn_treated: np.ndarray,
    taken: np.ndarray,
    visit_ratio: np.ndarray,
    duration: float,
    extra_times: np.ndarray,
    feeds: np.ndarray | None,
    t_end: float,
    rng,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """With a catalogue: a fresh draw of treated users' events on [entry, churn_treated).

    Organic visits at rate ``v b W(t) B(a)`` on ``[e, e + D)`` (v = ``visit_ratio`` for
    takers, 1 otherwise) and ``b W(t) B(a)`` after, the regular pushes (and the extra ones on
    ``[e, e + D)`` for takers), the sign-up visit when the entry is the sign-up, sessions as in
    ``simulate_app`` and feeds: ``feeds`` (rows: one shared, or one per treated user; None =
    the default feed) for takers' visits in ``[e, e + D)``, the default feed otherwise.
    Returns (user index into ``pop``, microseconds since start, code, item index or -1).
    """
    from retainkit.simulate import _catalogue as sc
    from retainkit.simulate._process import _sort_order, add_feed, event_names

    n_t = user.size
    local = np.arange(n_t)
    sub = {key: value[user] for key, value in pop.items()}
    stop = np.minimum(churn_treated, t_end)
    w_max = cal.hourly_factor[: int(np.ceil(t_end * 24))].max()
    period_end = np.minimum(entry + duration, stop)
    ratio = np.where(taken, visit_ratio, 1.0)
    org_user = np.concatenate([local, local])
    org_lo = np.concatenate([entry, period_end])
    org_hi = np.concatenate([period_end, stop])
    scale = np.concatenate([ratio, np.ones(n_t)])
    organic_user, organic_t = _organic(sub, params, cal, org_user, org_lo, org_hi, scale, w_max, rng)
    reg_user, reg_t = _push_opens(sub, params, cal.push_times, local, entry, stop, rng)
    extra = taken if extra_times.size else np.zeros_like(taken)
    ext_user, ext_t = _push_opens(sub, params, extra_times, local[extra], entry[extra],
                                  period_end[extra], rng)  # fmt: skip
    signup_visit = (sub["signup"] >= entry) & (sub["signup"] < stop)  # entry at sign-up
    first_user = local[signup_visit]
    open_user = np.concatenate([reg_user, ext_user])
    open_t = np.concatenate([reg_t, ext_t])
    visit_user = np.concatenate([first_user, organic_user, open_user])
    visit_t = np.concatenate([sub["signup"][first_user], organic_t, open_t])
    eng_visit, eng_offset, eng_code, length = draw_sessions(visit_user, sub, params, rng,
                                                            return_length=True)  # fmt: skip
    ev_user, ev_us, ev_code = visit_events(visit_user, visit_t, open_user, open_t, eng_visit,
                                           eng_offset, eng_code)
    ev_us[: first_user.size] = sub["signup_us"][first_user]
    p = default_feed if feeds is None else np.vstack([default_feed, feeds])

    def row_of(v_user, v_t):
        if feeds is None:
            return np.zeros(v_user.size, np.int64)
        inside = taken[v_user] & (v_t >= entry[v_user]) & (v_t < entry[v_user] + duration)
        own = 1 + (v_user if feeds.shape[0] > 1 else np.zeros_like(v_user))
        return np.where(inside, own, 0)

    feed = sc.Feed(world, world.affinity(sub["topic_interest"]), p, event_names(params), rng,
                   row_of=row_of)  # fmt: skip
    ev_user, ev_us, ev_code, ev_item = add_feed(feed, visit_user, visit_t, length, ev_user, ev_us,
                                                ev_code, sub["signup_us"][first_user])  # fmt: skip
    limit = np.rint(stop * DAY_US).astype(np.int64)
    alive = ev_us < limit[ev_user]
    ev_user, ev_us, ev_code, ev_item = ev_user[alive], ev_us[alive], ev_code[alive], ev_item[alive]
    order = _sort_order(ev_user, ev_us, ev_code, max(n_t, 1), t_end)
    return user[ev_user[order]], ev_us[order], ev_code[order], ev_item[order]
