"""Vectorised internals of ``retainkit.simulate``: calendar, population, churn, events, oracle.

Time inside the simulator is a float number of days since ``Simulation.start`` (a UTC
midnight), so day ``d`` is the interval [d, d + 1) and hour ``j`` of the run is [j/24, (j+1)/24).
The formulas are written out in the docstring of ``retainkit.simulate``; this module only
implements them. Nothing here loops over users in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from retainkit.simulate._presets import CHANNELS, DEVICES, REGIONS

DAY_US = 86_400 * 10**6  # event times are kept in whole microseconds
MINUTES_PER_DAY = 1440.0
ORACLE_MARGIN_DAYS = 366  # the calendar runs this far past the end so the oracle can look ahead
PUSH_LOOKBACK_DAYS = 2.0  # pushes older than this cannot matter at a cutoff (delay, session)


@dataclass(frozen=True)
class Calendar:
    """Global (shared by all users) time-varying factors, one entry per day or per hour."""

    weekday: np.ndarray  # 0 = Monday, per day
    weekday_factor: np.ndarray  # per day, mean 1 over a week
    content_quality: np.ndarray  # per day, E = 1
    hourly_factor: np.ndarray  # W(t) per hour of the run = weekday x hour-of-day x quality
    push_times: np.ndarray  # days since start, sorted


def make_calendar(params: dict[str, Any], start: pd.Timestamp, n_days: int, rng) -> Calendar:
    day = np.arange(n_days)
    weekday = (start.dayofweek + day) % 7
    week = np.asarray(params["weekday_factors"], float)
    week = week / week.mean()
    hours = np.asarray(params["hourly_profile"], float)
    hours = hours / hours.mean()
    # Stationary AR(1) on the log scale, shifted so that E[quality] = 1.
    phi, sd = float(params["quality_ar"]), float(params["quality_sd"])
    innovation = rng.standard_normal(n_days)
    log_q = np.empty(n_days)
    log_q[0] = sd * innovation[0]
    for d in range(1, n_days):  # a loop over calendar days, not users
        log_q[d] = phi * log_q[d - 1] + sd * np.sqrt(1 - phi**2) * innovation[d]
    quality = np.exp(log_q - sd**2 / 2)
    hourly = ((week[weekday] * quality)[:, None] * hours[None, :]).ravel()
    push_days = day[np.isin(weekday, np.asarray(params["push_weekdays"], int))]
    push_hours = np.sort(np.asarray(params["push_hours"], float))
    push_times = (push_days[:, None] + push_hours[None, :] / 24).ravel()
    return Calendar(weekday, week[weekday], quality, hourly, push_times)


def boredom(tenure_days, params):
    """B(a) = floor + (1 - floor) exp(-a / timescale): 1 at sign-up, decaying to the floor."""
    floor = float(params["boredom_floor"])
    return floor + (1 - floor) * np.exp(-tenure_days / float(params["boredom_timescale_days"]))


def _draw_levels(rng, mix: dict[str, float], levels: tuple[str, ...], n: int) -> np.ndarray:
    weights = np.array([mix[level] for level in levels], float)
    return rng.choice(len(levels), size=n, p=weights / weights.sum())


def signup_day_weights(params: dict[str, Any], days: int) -> np.ndarray:
    """Probability of each sign-up day: linear growth, then a lower late level."""
    t = np.arange(days) + 0.5
    main = float(params["acquisition_fraction"]) * days
    growth = float(params["signup_growth"])
    rate = np.where(
        t < main, 1 + growth * t / main, float(params["late_signup_level"]) * (1 + growth)
    )
    return rate / rate.sum()


def draw_population(params: dict[str, Any], n_users: int, days: int, rng) -> dict[str, np.ndarray]:
    """Sign-up times, observable attributes and latent traits (arrays, users in sign-up order)."""
    hours = np.asarray(params["hourly_profile"], float)
    day = rng.choice(days, size=n_users, p=signup_day_weights(params, days))
    hour = rng.choice(24, size=n_users, p=hours / hours.sum())
    signup_us = np.rint((day + (hour + rng.random(n_users)) / 24) * DAY_US).astype(np.int64)
    signup_us.sort()
    pop = {
        "signup_us": signup_us,
        "signup": signup_us / DAY_US,
        "channel": _draw_levels(rng, params["channel_mix"], CHANNELS, n_users),
        "device": _draw_levels(rng, params["device_mix"], DEVICES, n_users),
        "region": _draw_levels(rng, params["region_mix"], REGIONS, n_users),
        "interest": rng.standard_normal(n_users),
        "attention": rng.standard_normal(n_users),
        "sensitivity": rng.beta(*params["sensitivity_beta"], size=n_users),
    }
    opt_in = np.array([params["push_opt_in"][d] for d in DEVICES])[pop["device"]]
    pop["push_enabled"] = rng.random(n_users) < opt_in
    shape = float(params["rate_gamma_shape"])
    pop["frailty"] = rng.gamma(shape, 1 / shape, size=n_users)
    pop["base_rate"] = (
        float(params["base_rate"])
        * np.exp(
            params["rate_interest"] * pop["interest"]
            + params["rate_attention"] * pop["attention"]
            + np.array([params["rate_channel"][c] for c in CHANNELS])[pop["channel"]]
        )
        * pop["frailty"]
    )
    pop["log_hazard_multiplier"] = hazard_intercept(params) + hazard_design(pop) @ (
        hazard_coefficients(params).to_numpy()
    )
    pop["hazard_multiplier"] = np.exp(pop["log_hazard_multiplier"])
    pop["session_log_median"] = (
        np.log(float(params["session_median_minutes"]))
        + float(params["session_attention"]) * pop["attention"]
    )
    pop["push_response"] = float(params["push_open_max"]) * pop["sensitivity"] * pop["push_enabled"]
    return pop


def hazard_coefficients(params: dict[str, Any]) -> pd.Series:
    """True log-hazard coefficients, named like the columns of ``hazard_design``."""
    coef = {
        "true_interest": params["hazard_interest"],
        "true_attention_budget": params["hazard_attention"],
        "true_notification_sensitivity": params["hazard_sensitivity"],
    }
    coef |= {f"channel_{c}": params["hazard_channel"][c] - params["hazard_channel"]["organic"]
             for c in CHANNELS[1:]}  # fmt: skip
    coef |= {f"device_{d}": params["hazard_device"][d] - params["hazard_device"]["ios"]
             for d in DEVICES[1:]}  # fmt: skip
    return pd.Series(coef, dtype=float, name="log_hazard_coefficient")


def hazard_intercept(params: dict[str, Any]) -> float:
    """Log-hazard of the reference user (organic, ios) beyond the coefficients: usually 0."""
    return float(params["hazard_channel"]["organic"] + params["hazard_device"]["ios"])


def hazard_design(pop: dict[str, np.ndarray]) -> np.ndarray:
    """Covariates of the log-hazard, in the order of ``hazard_coefficients`` (dummy-coded)."""
    columns = [pop["interest"], pop["attention"], pop["sensitivity"]]
    columns += [(pop["channel"] == i).astype(float) for i in range(1, len(CHANNELS))]
    columns += [(pop["device"] == i).astype(float) for i in range(1, len(DEVICES))]
    return np.column_stack(columns)


def draw_churn_times(pop: dict[str, np.ndarray], params: dict[str, Any], rng) -> np.ndarray:
    """T = s + scale * (E / m)^(1/shape), E ~ Exp(1): inverse of H(a) = m (a / scale)^shape."""
    m = pop["hazard_multiplier"]
    e = rng.standard_exponential(m.size)
    return pop["signup"] + float(params["weibull_scale_days"]) * (e / m) ** (
        1 / float(params["weibull_shape"])
    )


def event_names(params: dict[str, Any]) -> list[str]:
    """Event codes: 0 = notification_open, 1 = session_start, 2.. = engagement events."""
    return ["notification_open", "session_start", *params["event_mix"]]


def prob_session_has_events(params: dict[str, Any]) -> float:
    """P(K >= 1) for K ~ NegBin(shape r, mean mu): 1 - (r / (r + mu))^r."""
    r, mu = float(params["events_dispersion"]), float(params["events_per_session"])
    return 1 - (r / (r + mu)) ** r


def _sorted_fractions(counts: np.ndarray, rng, *, last_at_one: bool) -> np.ndarray:
    """Per group of size n, n sorted U(0, 1) points (or n - 1 of them and 1.0 at the end).

    Uses the spacings of a Poisson process: with S_j the cumulative sums of iid Exp(1),
    (S_1, ..., S_n) / S_{n+1} are the order statistics of n uniforms, and
    (S_1, ..., S_n) / S_n are those of n - 1 uniforms followed by exactly 1.
    Groups come out sorted without a sort.
    """
    extra = 0 if last_at_one else 1
    sizes = counts[counts > 0] + extra
    gaps = rng.standard_exponential(int(sizes.sum()))
    if gaps.size == 0:
        return gaps
    cum = np.cumsum(gaps)
    ends = np.cumsum(sizes)
    before = np.concatenate([[0.0], cum[ends[:-1] - 1]])
    group = np.repeat(np.arange(sizes.size), sizes)
    fractions = (cum - before[group]) / (cum[ends - 1] - before)[group]
    if extra:  # drop S_{n+1}, used only to normalise
        keep = np.ones(gaps.size, bool)
        keep[ends - 1] = False
        fractions = fractions[keep]
    return fractions


def simulate_events(
    pop: dict[str, np.ndarray],
    churn: np.ndarray,
    cal: Calendar,
    params: dict[str, Any],
    t_end: float,
    rng,
    *,
    tails: bool = False,
    feed=None,
):
    """Events of the users in ``pop`` as (user index, microseconds since start, event code).

    Visits while alive and before ``t_end``: the sign-up visit, organic visits (a Poisson
    process drawn by thinning) and push opens (one Bernoulli trial per push). Each visit gets a
    session of K engagement events spread over a log-normal session length; events at or after
    min(churn, t_end) are dropped. Sorted by user, time and code (notification_open before
    session_start at the same time).

    With ``tails=True`` a fourth item holds the events dropped only because of churn (at or
    after churn, before ``t_end``): the rest of the sessions a churn cut short, which a
    treatment that postpones the churn brings back (``_future``). The draws are the same.

    With a catalogue, ``feed(visit_user, visit_t, length)`` returns the feed events of the
    visits (visit index, offset in days, code, item index) from the catalogue's own stream;
    the generic events with codes in ``feed.drop_codes`` give way to them, and a last item
    holds the item index of every event (-1 for none). The other draws are the same.
    """
    n = pop["signup"].size
    s = pop["signup"]
    stop = np.minimum(churn, t_end)
    users = np.arange(n)

    # Organic visits: candidates at the constant rate b * W_max, kept with prob W(t) B(a) / W_max
    # (thinning, exact for a non-homogeneous Poisson process); candidates come out time-sorted.
    w_max = cal.hourly_factor[: int(np.ceil(t_end * 24))].max()
    n_cand = rng.poisson(pop["base_rate"] * w_max * np.maximum(stop - s, 0))
    cand_user = np.repeat(users, n_cand)
    cand_t = s[cand_user] + _sorted_fractions(n_cand, rng, last_at_one=False) * (stop - s)[cand_user]
    rate_ratio = cal.hourly_factor[(cand_t * 24).astype(np.int64)] / w_max
    keep = rng.random(cand_user.size) < rate_ratio * boredom(cand_t - s[cand_user], params)
    organic_user, organic_t = cand_user[keep], cand_t[keep]

    # Push opens: every push sent after sign-up and before churn is opened with prob
    # p = push_open_max * sensitivity * B(a) (0 without push opt-in), after an exponential delay.
    push = cal.push_times
    first = np.searchsorted(push, s, side="right")
    n_push = np.where(pop["push_enabled"], np.maximum(np.searchsorted(push, stop) - first, 0), 0)
    push_user = np.repeat(users, n_push)
    offsets = np.arange(push_user.size) - np.repeat(np.cumsum(n_push) - n_push, n_push)
    tau = push[first[push_user] + offsets]
    p_open = pop["push_response"][push_user] * boredom(tau - s[push_user], params)
    opened = rng.random(tau.size) < p_open
    open_user = push_user[opened]
    delay = rng.exponential(params["push_delay_minutes"] / MINUTES_PER_DAY, size=open_user.size)
    open_t = tau[opened] + delay

    # Sessions: K engagement events over a session of length L, the last one at exactly L.
    visit_user = np.concatenate([users, organic_user, open_user])
    visit_t = np.concatenate([s, organic_t, open_t])
    sessions = draw_sessions(visit_user, pop, params, rng, return_length=feed is not None)
    eng_visit, eng_offset, eng_code = sessions[:3]

    ev_user, ev_us, ev_code = visit_events(visit_user, visit_t, open_user, open_t, eng_visit,
                                           eng_offset, eng_code)
    ev_us[:n] = pop["signup_us"]  # the sign-up visit sits exactly on signup_time
    if feed is not None:
        ev_user, ev_us, ev_code, ev_item = add_feed(feed, visit_user, visit_t, sessions[3],
                                                    ev_user, ev_us, ev_code, pop["signup_us"])
    limit_us = np.rint(stop * DAY_US).astype(np.int64)
    alive = ev_us < limit_us[ev_user]
    if tails:
        cut = ~alive & (ev_us < np.rint(t_end * DAY_US).astype(np.int64))
        cut_parts = (ev_user[cut], ev_us[cut], ev_code[cut])
    ev_user, ev_us, ev_code = ev_user[alive], ev_us[alive], ev_code[alive]
    order = _sort_order(ev_user, ev_us, ev_code, n, t_end)
    out = (ev_user[order], ev_us[order], ev_code[order])
    if tails:
        out += (cut_parts,)
    if feed is not None:
        out += (ev_item[alive][order],)
    return out


def add_feed(feed, visit_user, visit_t, length, ev_user, ev_us, ev_code, signup_us):
    """Drop the generic events the feed replaces and append the feed events (with items).

    The first ``signup_us.size`` visits are the sign-up visits (their time is ``signup_us``).
    Returns user, microseconds, code and item index (-1 for events without an item).
    """
    visit_us = np.rint(visit_t * DAY_US).astype(np.int64)
    visit_us[: signup_us.size] = signup_us
    f_visit, f_offset, f_code, f_item = feed(visit_user, visit_t, length)
    keep = ~np.isin(ev_code, np.asarray(feed.drop_codes, np.int64))
    return (
        np.concatenate([ev_user[keep], visit_user[f_visit]]),
        np.concatenate([ev_us[keep], visit_us[f_visit] + np.rint(f_offset * DAY_US).astype(np.int64)]),
        np.concatenate([ev_code[keep], f_code]),
        np.concatenate([np.full(int(keep.sum()), -1, np.int64), f_item.astype(np.int64)]),
    )


def draw_sessions(visit_user: np.ndarray, pop: dict[str, np.ndarray], params: dict[str, Any], rng,
                  *, return_length: bool = False):
    """Sessions of the given visits: (visit index, offset in days from the visit, event code).

    K ~ NegBin(shape r, mean mu) engagement events per visit, spread uniformly over a
    log-normal session length L with the last one at exactly L; types drawn from event_mix.
    With ``return_length`` a fourth item holds each visit's L in days (same draws).
    """
    r, mu = float(params["events_dispersion"]), float(params["events_per_session"])
    k = rng.negative_binomial(r, r / (r + mu), size=visit_user.size)
    log_length = pop["session_log_median"][visit_user] + params["session_sigma"] * (
        rng.standard_normal(visit_user.size)
    )
    length = np.exp(log_length) / MINUTES_PER_DAY
    eng_visit = np.repeat(np.arange(visit_user.size), k)
    position = _sorted_fractions(k, rng, last_at_one=True)
    mix = np.array(list(params["event_mix"].values()), float)
    draw = np.searchsorted(np.cumsum(mix / mix.sum()), rng.random(eng_visit.size), side="right")
    eng_code = 2 + np.minimum(draw, mix.size - 1)
    if return_length:
        return eng_visit, position * length[eng_visit], eng_code, length
    return eng_visit, position * length[eng_visit], eng_code


def _sort_order(user, us, code, n_users, t_end):
    """Order by (user, time, min(code, 2)) via one int64 key when it fits, else lexsort.

    The inputs are a handful of runs that are already sorted (or nearly), which the stable
    sort (timsort) merges in close to linear time.
    """
    rank = np.minimum(code, 2)
    time_bits = int(np.ceil(t_end * DAY_US)).bit_length()
    user_bits = max(int(n_users - 1).bit_length(), 1)
    if user_bits + time_bits + 2 <= 62:
        key = (user << (time_bits + 2)) | (us << 2) | rank
        return np.argsort(key, kind="stable")
    return np.lexsort((rank, us, user))


def visit_events(visit_user, visit_t, open_user, open_t, eng_visit, eng_offset, eng_code):
    """(user, microseconds, code) of every event of the visits: one code-1 event per visit
    (organic and push-opened), one code-0 event per push open, then the sessions' engagement
    events (codes from ``draw_sessions``). Shared by the plain, treated and regenerated worlds."""
    ev_user = np.concatenate([visit_user, open_user, visit_user[eng_visit]])
    ev_t = np.concatenate([visit_t, open_t, visit_t[eng_visit] + eng_offset])
    ev_code = np.concatenate([
        np.ones(visit_user.size, np.int64),
        np.zeros(open_user.size, np.int64),
        eng_code,
    ])
    return ev_user, np.rint(ev_t * DAY_US).astype(np.int64), ev_code
