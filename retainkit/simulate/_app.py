"""``Simulation`` and ``simulate_app`` (private; read the formulas in ``retainkit.simulate``)."""


from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retainkit.simulate import _catalogue as sc
from retainkit.simulate import _oracle as so
from retainkit.simulate import _process as sp
from retainkit.simulate._catalogue_views import CatalogueViews, item_column
from retainkit.simulate._interventions import Interventions
from retainkit.simulate._presets import CHANNELS, DEVICES, REGIONS, preset_params

_CHUNK_USERS = 4096  # users simulated per block: bounds memory, drives the progress bar
_AUTO_PROGRESS_USERS = 20_000


@dataclass
class Simulation(CatalogueViews, Interventions):
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
    catalogue : Catalogue or None
        The content catalogue's parameters (notebook 09); None without a catalogue.
    items : pandas.DataFrame or None
        With a catalogue, one row per item: ``item_id`` (1..n), ``topic`` (the main topic,
        0..n_topics - 1), ``popularity`` (share of the default feed's weight), latent
        ``true_quality`` and ``true_clickbait``. Then ``events`` has a fourth column
        ``item_id`` (Int64, NA for events without an item).
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
    _tails: dict[str, np.ndarray] = field(repr=False)
    _stamp: tuple[int, int] = field(repr=False)  # (seed, number of events generated)
    catalogue: sc.Catalogue | None = None
    items: pd.DataFrame | None = None
    _world: sc.CatalogueWorld | None = field(default=None, repr=False)
    _default_feed: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        items = "" if self.items is None else f", items={len(self.items):,}"
        return (
            f"Simulation(preset={self.preset!r}, users={len(self.users):,}, "
            f"events={len(self.events):,}{items}, start={self.start.date()}, "
            f"end={self.end.date()})"
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
        user, at any horizon from a few minutes on. Vectorised; about a millisecond per user
        alive at the cutoff.

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
        p_alive, _ = so.oracle_no_activity(sub, self.params, self._cal, c, h)
        p[alive[signed_up]] = p_alive
        index = self.truth.index[signed_up]
        return pd.Series(p, index=index, name="oracle_p_churn")

    def alive_at(self, cutoff) -> pd.Series:
        """Whether each user is alive at ``cutoff``, from the truth: the users a decision can reach.

        Introduced in notebook 04. True when the user signed up at or before ``cutoff`` (naive
        values are UTC; in [start, end]) and their churn time (``truth.churn_time``, NaT = not
        churned by the end) is after it. Returns a boolean Series named ``"alive"`` indexed by
        ``user_id`` (every user; False for those gone or not yet signed up).

        Examples
        --------
        >>> sim = simulate_app("social", n_users=300, days=30, seed=2)
        >>> alive = sim.alive_at("2026-01-20")
        >>> bool(alive.dtype == bool), len(alive) == len(sim.users)
        (True, True)
        """
        c_time = _utc(cutoff, "cutoff")
        if not self.start <= c_time <= self.end:
            raise ValueError(
                f"cutoff must lie within the simulated window [{self.start}, {self.end}], "
                f"got {c_time}"
            )
        c_ns = c_time.value
        signed_up = self.users["signup_time"].array.asi8 <= c_ns
        churn = self.truth["churn_time"]
        after = churn.isna().to_numpy() | (churn.array.asi8 > c_ns)
        return pd.Series(signed_up & after, index=self.truth.index, name="alive")


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
    catalogue=None,
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
    catalogue : bool, Catalogue, dict or None, default None
        A content catalogue (notebook 09): ``True`` for the defaults of :class:`Catalogue`,
        or a ``Catalogue`` (or a dict of its fields). Sessions then show feeds of items
        (events ``impression``, ``view``, ``like``, ``share`` with an ``item_id``; the
        preset's own ``view``/``like``/``share`` give way to them); visits and churn are those
        of the simulation without a catalogue, drawn from the same streams. None (the
        default): no catalogue, and nothing changes.
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

    spec = sc.as_catalogue(catalogue)
    cal_seq, pop_seq, churn_seq, event_seq = np.random.SeedSequence(int(seed)).spawn(4)
    cal = sp.make_calendar(params, start_ts, days + sp.ORACLE_MARGIN_DAYS,
                           np.random.default_rng(cal_seq))  # fmt: skip
    pop = sp.draw_population(params, n_users, days, np.random.default_rng(pop_seq))
    churn = sp.draw_churn_times(pop, params, np.random.default_rng(churn_seq))

    n_chunks = math.ceil(n_users / _CHUNK_USERS)
    world = default_feed = None
    base_names = sp.event_names(params)
    if spec is not None:  # the catalogue's own streams: the draws above are untouched
        items_seq, interest_seq, feed_seq = sc.streams(seed)
        world = sc.draw_items(spec, np.random.default_rng(items_seq))
        pop["topic_interest"] = sc.draw_topic_interest(spec, pop["interest"],
                                                       np.random.default_rng(interest_seq))
        default_feed = sc.default_inclusion(world)
        feed_seqs = feed_seq.spawn(n_chunks)
    show = n_users > _AUTO_PROGRESS_USERS if progress is None else bool(progress)
    parts, tails, item_parts = [], [], []
    with _progress_bar(show, n_users, preset) as bar:
        for i, chunk_seq in enumerate(event_seq.spawn(n_chunks)):
            sl = slice(i * _CHUNK_USERS, (i + 1) * _CHUNK_USERS)
            sub = {key: value[sl] for key, value in pop.items()}
            feed = None if spec is None else sc.Feed(
                world, world.affinity(sub["topic_interest"]), default_feed, base_names,
                np.random.default_rng(feed_seqs[i]))  # fmt: skip
            user, us, code, cut, *item = sp.simulate_events(
                sub, churn[sl], cal, params, float(days), np.random.default_rng(chunk_seq),
                tails=True, feed=feed)  # fmt: skip
            parts.append((user.astype(np.int32) + sl.start, us, code.astype(np.uint8)))
            tails.append((cut[0] + sl.start, cut[1], cut[2]))
            item_parts.extend(item)
            bar.update(sub["signup"].size)
    # Build each column once, freeing the pieces as we go (tens of millions of rows fit).
    user_id_col = np.concatenate([p[0] for p in parts]).astype(np.int64) + 1
    timestamp_col = _utc_times(start_ts, np.concatenate([p[1] for p in parts]))
    code = np.concatenate([p[2] for p in parts])
    del parts
    names = np.array(base_names if spec is None else sc.event_names(base_names), dtype=object)
    columns = {"user_id": user_id_col, "timestamp": timestamp_col, "event": names[code]}
    if spec is not None:
        columns["item_id"] = item_column(np.concatenate(item_parts))
    events = pd.DataFrame(columns, copy=False)
    del user_id_col, timestamp_col, code, columns
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
    # What churn cut short (kept for experiments that postpone a churn), user index 0-based.
    cut = {key: np.concatenate([t[i] for t in tails]) for i, key in enumerate(["user", "us", "code"])}
    items = None if spec is None else pd.DataFrame({
        "item_id": np.arange(1, world.n_items + 1, dtype=np.int64),
        "topic": world.topics.argmax(axis=1),
        "popularity": world.popularity,
        "true_quality": world.quality,
        "true_clickbait": world.clickbait,
    })  # fmt: skip
    return Simulation(events, users, truth, start_ts, end_ts, preset, params, calendar,
                      pop, cal, churn, cut, (int(seed), len(events)), spec, items, world,
                      default_feed)  # fmt: skip



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
