r"""An attention-economy app with known truth: ``simulate_app`` (introduced in notebook 01).

Every later notebook checks its estimators against this simulator, so the whole model is
written out here. Time ``t`` is measured in **days** since ``start`` (a UTC midnight); a user's
**tenure** is ``a = t - s`` where ``s`` is their sign-up time. Rates are in **visits per day**
and hazards **per day** (rate parameterisation: an exponential with rate λ has mean 1/λ).
All clock times are UTC and the app is treated as living in one time zone.

Sign-ups
    Sign-up days are drawn with probability proportional to ``1 + g d / D_a`` for days
    ``d < D_a = acquisition_fraction * days`` (growth ``g = signup_growth``) and to
    ``late_signup_level * (1 + g)`` after, so there are many cohorts and most users are
    watched for more than 30 days. The hour of sign-up follows ``hourly_profile`` (busy
    evenings and some late-night sign-ups), uniform within the hour. User ids are 1..n in
    sign-up order. Channel, device and region are drawn independently from their mixes.

Latent traits (columns ``true_*`` of ``Simulation.users``; never model features)
    interest ``z_I ~ N(0, 1)`` and attention budget ``z_A ~ N(0, 1)`` (standardised scores),
    notification sensitivity ``ν ~ Beta(2, 3)`` (mean 0.4) in [0, 1], push opt-in ``π`` (Bernoulli with
    probability ``push_opt_in[device]``; web users get no pushes), engagement frailty
    ``G ~ Gamma(shape k_G, scale 1/k_G)`` with mean 1 (``rate_gamma_shape``). ``ν`` follows
    ``Beta(*sensitivity_beta)``; all traits are independent of each other and of the
    observable attributes (so a model on observables alone cannot recover them).

Visits: a user-specific non-homogeneous Poisson process (visits/day), while alive
    ``λ_i(t) = b_i · B(a) · W(t)`` with

    - base rate ``b_i = base_rate · exp(α_I z_I + α_A z_A + δ_channel) · G_i`` (``α`` =
      ``rate_interest``, ``rate_attention``; ``δ`` = ``rate_channel``, referred users visit
      more); ``Simulation.truth.base_visit_rate`` is this rate at sign-up, averaged over the
      week and the day, pushes excluded;
      the gamma frailty makes pooled visit counts over-dispersed (a gamma–Poisson mixture:
      variance > mean) and, with the log-normal part, gives heavy-tailed engagement;
    - boredom ``B(a) = f + (1 - f) exp(-a / τ_B)`` (``boredom_floor`` f, timescale τ_B days):
      novelty at sign-up wears off;
    - calendar ``W(t) = weekday_factor[day] · hourly_profile[hour] · q[day]``, piecewise
      constant per hour, each factor with mean 1; ``q`` is the daily content quality, a log-AR(1)
      series shared by all users (``quality_ar``, ``quality_sd``), ``E[q] = 1``.

    Pushes are sent at ``push_hours`` on ``push_weekdays`` to every user who signed up before.
    A user opens each push with probability ``p = push_open_max · ν · π · B(a)`` (notification
    fatigue follows boredom), after an exponential delay with mean ``push_delay_minutes``.
    Each user also has a visit exactly at sign-up.

Sessions and events
    Every visit emits ``session_start``; a push-triggered visit emits ``notification_open``
    **and** ``session_start`` at the same timestamp (``notification_open`` first). Then
    ``K ~ NegBin(shape r, mean μ_K)`` engagement events (``events_dispersion``,
    ``events_per_session``; K = 0 is a bounce) with types drawn from ``event_mix`` are spread
    uniformly over a session of length ``L``, the last one at exactly ``L``; ``log L ~
    N(log session_median_minutes + session_attention · z_A, session_sigma²)`` with L in
    minutes (log-normal: heavy-tailed). Sessions may overlap a later visit. Activity = any
    event. Events are dropped at or after churn and at or after ``end``; timestamps are whole
    microseconds.

Churn: proportional hazards in continuous time, Weibull baseline with shape < 1
    ``h_i(a) = m_i · (k / λ) (a / λ)^(k - 1)``, cumulative ``H_i(a) = m_i (a / λ)^k``,
    survival ``S_i(a) = exp(-H_i(a))`` (``weibull_shape`` k, ``weibull_scale_days`` λ; k < 1
    means a decreasing hazard: infant mortality). The hazard multiplier is

    ``log m_i = β_I z_I + β_A z_A + β_ν ν + γ_channel + γ_device``

    with ``β`` = ``hazard_interest``, ``hazard_attention``, ``hazard_sensitivity`` and the
    ``hazard_channel`` / ``hazard_device`` levels. ``Simulation.true_log_hazard_coefficients``
    lists them against the columns of ``Simulation.hazard_covariates()`` (dummies against
    organic and ios), so a Cox model on those columns with ``truth.lifetime_days`` and
    ``truth.churned`` should recover them (notebook 03). Churn time ``T = s + λ (E / m)^(1/k)``,
    ``E ~ Exp(1)``, the exact inverse of ``H``.

Presets (``Simulation.params``; any of them can be overridden by keyword)
    The main parameters (all are listed, with comments, in ``retainkit.simulate._presets``):

    ====================================  ==========  ==========  ==========
    parameter                             social      game        shop
    ====================================  ==========  ==========  ==========
    base_rate (visits/day)                1.6         0.9         0.5
    rate_interest, rate_attention         0.6, 0.4    0.6, 0.4    0.4, 0.2
    rate_gamma_shape (frailty)            0.8         1.0         2.0
    boredom_floor, timescale (days)       0.55, 14    0.3, 7      0.22, 5
    push schedule (UTC)                   daily 19h   daily 17h   Thu+Sun 10h
    push_open_max                         0.35        0.25        0.25
    session median (min), events/session  6, 4        10, 3       4, 3
    weibull_shape k, scale λ (days)       0.38, 5     0.4, 4      0.4, 150
    hazard_interest, _attention, _sens.   -0.7, -0.3, -0.6, -0.3, -0.6, -0.2,
                                          -0.6        -0.5        -0.4
    ====================================  ==========  ==========  ==========

    Shared by all presets: channel mix organic 40 % / paid_social 30 % / referral 12 % /
    search_ads 18 %; ``hazard_channel`` 0 / +0.45 / −0.5 / +0.15 and ``rate_channel``
    0 / −0.25 / +0.25 / −0.05; devices ios 45 % / android 45 % / web 10 % with
    ``hazard_device`` 0 / +0.1 / +0.3 and push opt-in 55 % / 80 % / 0 %; region has **no**
    effect on anything (a placebo covariate). So ``social`` has many short daily visits and
    slow boredom; ``game`` (casual) fewer, longer sessions, quick boredom and strong infant
    mortality; ``shop`` rare visits and slow churn (shoppers keep the app but seldom open it).

    Realism targets (design.md §4; bands taken from public app-analytics benchmark reports of
    2025–26, wide enough to cover the medians of several sources) for classic N-day retention
    D1/D7/D30 (share of the sign-up cohorts with an event on exactly **calendar UTC day** k
    after the sign-up day, among users whose day k lies in the window) and DAU/MAU (over the
    last 30 days of the window: mean daily active users / users active at least once in those
    30 days). Measured with ``n_users=5000, days=120, seed=0``:

    ======  ======================  ======================  =============  ==============
    preset  D1 band / measured      D7 band / measured      D30 band / m.  DAU/MAU band/m.
    ======  ======================  ======================  =============  ==============
    social  30–48 % / 38.5 %        15–28 % / 23.7 %        8–18 % / 13.0  0.30–0.55/0.38
    game    25–42 % / 31.7 %        10–18 % / 15.3 %        3–10 % / 6.7   0.12–0.30/0.23
    shop    20–40 % / 29.2 %        8–22 % / 14.6 %         4–12 % / 7.0   0.05–0.18/0.13
    ======  ======================  ======================  =============  ==============

    ``tests/test_simulate.py`` asserts every preset lands inside its bands (and that the
    curves fall fast then flatten, social > game > shop on DAU/MAU, visit counts are
    over-dispersed, and referral > organic > paid_social on D7).

Oracle
    ``Simulation.oracle_churn_probability`` gives, per user, P(no event in (c, c + h] | true
    latent state, the calendar, and whether the user is alive at c). It is exactly 1 when the
    user churned at or before c. Otherwise, with ``S_c(u) = P(T > u | T > c)`` (Weibull) and
    ``Q(u) = P(no event in (c, u] | alive through u)``, the method computes
    ``P = S_c(c+h) Q(c+h) + ∫ Q(u) dF_c(u)`` over ``(c, c+h]``, ``F_c = 1 - S_c``. ``Q`` is the
    product of ``exp(-∫ λ)`` (integrated in closed form piece by piece), the exact no-open
    probabilities of the pushes (delay included), the exact probability that the sign-up
    session (if still running) has no further event (Gauss–Legendre over its length), and the
    probability that no organic or push session in progress at c has an event after c. The
    integral over the churn time takes the logarithmic mean of ``Q`` on pieces of a quarter
    hour (1 minute and finer right after c): against a grid 4 times finer it moves by less than
    1e-4 per user (2e-6 on average) in the presets. One approximation remains: for sessions
    other than the sign-up one that are in progress at c (minutes long), the visit rate is taken
    as constant over that session and a churn cutting it short is ignored; its effect is below
    1e-3 per user. The tests check the oracle against simulated labels and against the futures
    of the same users re-simulated hundreds of times.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retainkit.simulate import _process as sp
from retainkit.simulate._presets import CHANNELS, DEVICES, PRESETS, REGIONS, preset_params

__all__ = ["Simulation", "simulate_app", "PRESETS"]

_CHUNK_USERS = 4096  # users simulated per block: bounds memory, drives the progress bar
_AUTO_PROGRESS_USERS = 20_000


@dataclass
class Simulation:
    """The output of :func:`simulate_app`: event log, users, ground truth and an oracle.

    Introduced in notebook 01. See the module docstring of ``retainkit.simulate`` for the
    model, its units and the meaning of every parameter.

    Attributes
    ----------
    events : pandas.DataFrame
        ``user_id`` (int64), ``timestamp`` (datetime64[ns, UTC]), ``event`` (str), sorted by
        user then time. ``session_start`` marks a visit.
    users : pandas.DataFrame
        One row per user: observable ``user_id``, ``signup_time``, ``channel``, ``device``,
        ``region``; latent ``true_interest``, ``true_attention_budget``,
        ``true_notification_sensitivity``, ``true_push_enabled``, ``true_engagement_frailty``,
        ``true_hazard_multiplier``.
    truth : pandas.DataFrame
        Indexed by ``user_id``: ``churn_time`` (NaT when not churned by ``end``), ``churned``,
        ``lifetime_days`` (days from sign-up to churn or ``end``), ``hazard_multiplier``,
        ``base_visit_rate`` (visits/day at sign-up).
    start, end : pandas.Timestamp
        The simulated window [start, end) in UTC; ``end = start + days``.
    preset : str
    params : dict
        The preset's parameters after overrides.
    calendar : pandas.DataFrame
        Per day of the window: ``date``, ``weekday_factor``, ``content_quality``, ``pushes``.
    """

    events: pd.DataFrame
    users: pd.DataFrame
    truth: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    preset: str
    params: dict[str, Any]
    calendar: pd.DataFrame
    _pop: dict[str, np.ndarray] = field(repr=False)
    _cal: sp.Calendar = field(repr=False)
    _churn: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Simulation(preset={self.preset!r}, users={len(self.users):,}, "
            f"events={len(self.events):,}, start={self.start.date()}, end={self.end.date()})"
        )

    @property
    def true_log_hazard_coefficients(self) -> pd.Series:
        """True log-hazard ratios per covariate of :meth:`hazard_covariates`.

        Introduced in notebook 03. Reference levels: organic channel, ios device; ``exp`` of
        a coefficient is the true Cox hazard ratio for one unit of that covariate (for the
        0/1 dummies: that level against the reference), all else equal.
        """
        return sp.hazard_coefficients(self.params)

    def hazard_covariates(self) -> pd.DataFrame:
        """The covariates of the true log-hazard, indexed by ``user_id``.

        Introduced in notebook 03. Columns ``true_interest``, ``true_attention_budget``, ``true_notification_sensitivity``
        and 0/1 dummies ``channel_<level>`` (against organic) and ``device_<level>`` (against
        ios), such that ``log(true_hazard_multiplier) = covariates @
        true_log_hazard_coefficients`` (plus the organic and ios levels, 0 in every preset).
        """
        coef = self.true_log_hazard_coefficients
        return pd.DataFrame(
            sp.hazard_design(self._pop), index=self.truth.index, columns=coef.index
        )

    def oracle_churn_probability(self, cutoff, horizon="28D") -> pd.Series:
        """P(no activity in (cutoff, cutoff + horizon]) given each user's true state at cutoff.

        Introduced in notebook 06 (the ceiling no model can beat). This is the probability of
        the snapshot label of ``retainkit.features.make_snapshot`` (y = 1: no event in the
        horizon) given the latent traits, the calendar and whether the user is still alive at
        ``cutoff``: 1 for users who churned at or before the cutoff. The computation is
        numerical integration (see the module docstring): quadrature error below 1e-4 per user
        and one approximation about sessions in progress at the cutoff worth below 1e-3 per
        user. Vectorised; about a millisecond per user alive at the cutoff.

        Parameters
        ----------
        cutoff : str or pandas.Timestamp
            The snapshot time; naive values are taken as UTC. Must lie in [start, end].
        horizon : str or pandas.Timedelta, default "28D"
            Length of the label window, positive.

        Returns
        -------
        pandas.Series
            Named ``"oracle_p_churn"``, indexed by ``user_id``, for every user who signed up at
            or before ``cutoff``; values in [0, 1].
        """
        c_time = _utc(cutoff, "cutoff")
        try:
            h_delta = pd.Timedelta(horizon)
        except (TypeError, ValueError) as err:
            raise ValueError(f"horizon must be a duration such as '28D', got {horizon!r}") from err
        if h_delta <= pd.Timedelta(0):
            raise ValueError(f"horizon must be positive, got {horizon!r}")
        if not self.start <= c_time <= self.end:
            raise ValueError(
                f"cutoff must lie within the simulated window [{self.start}, {self.end}], "
                f"got {c_time}"
            )
        if c_time + h_delta > self.end:
            warnings.warn(
                f"cutoff + horizon ({c_time + h_delta}) is after the end of the simulation "
                f"({self.end}): the oracle describes the process, but labels computed from "
                ".events would be censored at the end",
                stacklevel=2,
            )
        c = (c_time - self.start) / pd.Timedelta(days=1)
        h = h_delta / pd.Timedelta(days=1)
        if c + h > self._cal.hourly_factor.size / 24:
            raise ValueError("cutoff + horizon reaches past the simulated calendar")
        signed_up = self._pop["signup_us"] * 1000 <= (c_time - self.start).value
        alive = signed_up & (self._churn > c)
        p = np.ones(int(signed_up.sum()))
        sub = {key: value[alive] for key, value in self._pop.items()}
        p_alive, _ = sp.oracle_no_activity(sub, self.params, self._cal, c, h)
        p[alive[signed_up]] = p_alive
        index = self.truth.index[signed_up]
        return pd.Series(p, index=index, name="oracle_p_churn")


def _utc(value, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a timestamp, got {value!r}") from err
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a timestamp, got {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def simulate_app(
    preset: str = "social",
    n_users: int = 5000,
    days: int = 120,
    seed: int = 0,
    *,
    start="2026-01-05",
    progress: bool | None = None,
    **overrides,
) -> Simulation:
    """Simulate an attention-economy app whose true user behaviour is known.

    Introduced in notebook 01. Users sign up over the window, visit according to a
    user-specific Poisson process (rate in visits per day) driven by latent interest,
    attention budget and notification sensitivity, with boredom, weekly and daily
    seasonality and content quality, and churn with a Weibull (shape < 1) proportional
    hazard (per day). The full model, its formulas and the presets' realism targets are in
    the docstring of ``retainkit.simulate``.

    Parameters
    ----------
    preset : {"social", "game", "shop"}, default "social"
    n_users : int, default 5000
        Number of users who sign up during the window.
    days : int, default 120
        Length of the window in days; ``end = start + days``.
    seed : int, default 0
        Same seed (and arguments) give identical frames. The calendar (content quality) is
        drawn from its own stream, so it does not change with ``n_users``.
    start : str or pandas.Timestamp, default "2026-01-05"
        First day of the window, a UTC midnight (naive values are taken as UTC).
    progress : bool or None, default None
        Show a tqdm progress bar; ``None`` shows it only for more than 20,000 users.
    **overrides
        Any preset parameter (see ``Simulation.params``), e.g. ``weibull_shape=0.6``.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> sim = simulate_app("social", n_users=500, days=60, seed=1)
    >>> sorted(sim.events["event"].unique())[:3]
    ['like', 'notification_open', 'post']
    """
    params = preset_params(preset, overrides)
    if not isinstance(n_users, int | np.integer) or isinstance(n_users, bool) or n_users < 1:
        raise ValueError(f"n_users must be a positive integer, got {n_users!r}")
    if not isinstance(days, int | np.integer) or isinstance(days, bool) or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    start_ts = _utc(start, "start")
    if start_ts != start_ts.normalize():
        raise ValueError(f"start must be a UTC midnight, got {start_ts}")
    n_users, days = int(n_users), int(days)
    end_ts = start_ts + pd.Timedelta(days=days)

    cal_seq, pop_seq, churn_seq, event_seq = np.random.SeedSequence(int(seed)).spawn(4)
    cal = sp.make_calendar(params, start_ts, days + sp.ORACLE_MARGIN_DAYS,
                           np.random.default_rng(cal_seq))  # fmt: skip
    pop = sp.draw_population(params, n_users, days, np.random.default_rng(pop_seq))
    churn = sp.draw_churn_times(pop, params, np.random.default_rng(churn_seq))

    n_chunks = math.ceil(n_users / _CHUNK_USERS)
    show = n_users > _AUTO_PROGRESS_USERS if progress is None else bool(progress)
    parts = []
    with _progress_bar(show, n_users, preset) as bar:
        for i, chunk_seq in enumerate(event_seq.spawn(n_chunks)):
            sl = slice(i * _CHUNK_USERS, (i + 1) * _CHUNK_USERS)
            sub = {key: value[sl] for key, value in pop.items()}
            user, us, code = sp.simulate_events(sub, churn[sl], cal, params, float(days),
                                                np.random.default_rng(chunk_seq))  # fmt: skip
            parts.append((user.astype(np.int32) + sl.start, us, code.astype(np.uint8)))
            bar.update(sub["signup"].size)
    # Build each column once, freeing the pieces as we go (tens of millions of rows fit).
    user_id_col = np.concatenate([p[0] for p in parts]).astype(np.int64) + 1
    timestamp_col = _utc_times(start_ts, np.concatenate([p[1] for p in parts]))
    code = np.concatenate([p[2] for p in parts])
    del parts
    names = np.array(sp.event_names(params), dtype=object)
    events = pd.DataFrame(
        {"user_id": user_id_col, "timestamp": timestamp_col, "event": names[code]}, copy=False
    )
    del user_id_col, timestamp_col, code
    user_id = pd.Index(np.arange(1, n_users + 1, dtype=np.int64), name="user_id")
    signup_time = _utc_times(start_ts, pop["signup_us"])
    users = pd.DataFrame({
        "user_id": user_id.to_numpy(),
        "signup_time": signup_time,
        "channel": np.array(CHANNELS, dtype=object)[pop["channel"]],
        "device": np.array(DEVICES, dtype=object)[pop["device"]],
        "region": np.array(REGIONS, dtype=object)[pop["region"]],
        "true_interest": pop["interest"],
        "true_attention_budget": pop["attention"],
        "true_notification_sensitivity": pop["sensitivity"],
        "true_push_enabled": pop["push_enabled"],
        "true_engagement_frailty": pop["frailty"],
        "true_hazard_multiplier": pop["hazard_multiplier"],
    })
    churned = churn <= days
    churn_us = np.rint(np.minimum(churn, days) * sp.DAY_US).astype(np.int64)
    churn_time = pd.Series(_utc_times(start_ts, churn_us), index=user_id).where(churned)
    truth = pd.DataFrame(
        {
            "churn_time": churn_time,
            "churned": churned,
            "lifetime_days": np.minimum(churn, days) - pop["signup"],
            "hazard_multiplier": pop["hazard_multiplier"],
            "base_visit_rate": pop["base_rate"],
        },
        index=user_id,
    )
    n_cal = days
    calendar = pd.DataFrame({
        "date": pd.date_range(start_ts, periods=n_cal, freq="D"),
        "weekday_factor": cal.weekday_factor[:n_cal],
        "content_quality": cal.content_quality[:n_cal],
        "pushes": np.bincount(cal.push_times[cal.push_times < n_cal].astype(np.int64),
                              minlength=n_cal),
    })  # fmt: skip
    return Simulation(events, users, truth, start_ts, end_ts, preset, params, calendar,
                      pop, cal, churn)  # fmt: skip


def _utc_times(start: pd.Timestamp, microseconds: np.ndarray) -> pd.DatetimeIndex:
    """start + microseconds as datetime64[ns, UTC] (localising naive UTC values is cheap)."""
    ns = microseconds * 1000
    ns += start.tz_convert(None).value
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress_bar(show: bool, total: int, preset: str):
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="user", desc=f"simulate_app({preset!r})")
