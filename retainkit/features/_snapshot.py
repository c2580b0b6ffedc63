"""make_snapshot: features at a cutoff and the churn label over a horizon (private module)."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from retainkit._validation import positive_duration, to_utc
from retainkit.features._activity import (
    DAY,
    column_order,
    counting_features,
    gap_features,
    session_features,
    shares,
    tenure,
)
from retainkit.features._attributes import attribute_block
from retainkit.features._columns import (
    DEFAULT_VISIT_EVENT,
    Column,
    activity_kind,
    check_names,
    clean_name,
    describe,
)
from retainkit.features._input import (
    check_event_types,
    check_visit_event,
    prepare_events,
    read_signups,
)

DEFAULT_WINDOWS = (7, 14, 28, 56)


class Snapshot(NamedTuple):
    """What ``make_snapshot`` returns; unpack it as ``X, y, info = make_snapshot(...)``.

    Introduced in notebook 04. ``X`` holds the features (one row per user), ``y`` the churn
    label on the same index and ``info`` the settings and counts (see ``make_snapshot``).
    """

    X: pd.DataFrame
    y: pd.Series
    info: dict[str, Any]


def make_snapshot(
    events: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    cutoff,
    horizon="28D",
    lookback="56D",
    active_within=None,
    session_gap="30min",
    windows: tuple[int, ...] | None = None,
    attributes: tuple[str, ...] | None = None,
    event_types: list[str] | None = None,
    visit_event: str = DEFAULT_VISIT_EVENT,
    as_of=None,
    allow_incomplete: bool = False,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    tz=None,
) -> Snapshot:
    """Build a leakage-free churn snapshot: features at ``cutoff``, label over the horizon.

    Introduced in notebook 04. The population is every user with at least one event in
    ``(cutoff - lookback, cutoff]`` (and, when ``users`` is given, signed up at or before the
    cutoff and present in ``users``). ``X`` is computed only from events at or before the
    cutoff, so deleting every later event leaves it unchanged; ``y`` only looks at events in
    ``(cutoff, cutoff + horizon]``, so deleting events after ``cutoff + horizon`` leaves it
    unchanged (pass the same ``as_of`` when you do, see below).

    Features (all float, one row per user, columns in this order; see ``FEATURES``; the kind
    of each, from ``COLUMN_KINDS``, is in brackets):

    - ``recency_days`` [duration]: days from the last event to the cutoff.
    - ``visits_{w}d``, ``events_{w}d``, ``active_days_{w}d`` [count] for each window ``w``
      (days): visits are ``visit_event`` events; active days are 24-hour steps back from the
      cutoff, day 0 being ``(cutoff - 1 day, cutoff]``.
    - ``sessions`` [count], ``session_length_mean_min``, ``session_length_median_min``
      [duration]: gap-based sessions over the lookback window (a new session starts after a
      silence longer than ``session_gap``); a session's length runs from its first to its last
      event, so a one-event session lasts 0 minutes (a gap of exactly ``session_gap`` stays
      inside the session, as in ``retainkit.events.sessionize``). Sessions crossing the window
      edges are cut there.
    - ``trend_7d`` [log_ratio]: ``log((v7 + 1) / (v7_14 + 1))`` with ``v7`` the visits in the
      last 7 days and ``v7_14`` those in the 7 days before; > 0 means the user is speeding up.
    - ``tenure_days`` [duration]: days since ``signup_time`` when ``users`` is given; otherwise
      since the user's first event in the log, which is truncated at the start of the log (a
      user who signed up before the log began looks younger than they are).
    - ``gap_mean_days``, ``gap_std_days`` (ddof=0), ``gap_max_days`` [duration]: gaps between
      consecutive visits in the lookback. With fewer than two visits no gap is seen: mean and
      max are set to the lookback length (the gap is at least that long, as far as the window
      can tell) and the standard deviation to 0.
    - ``share_<event>`` [ratio]: the user's lookback events of each type divided by all their
      lookback events. The types are ``event_types`` (default: every type in the log at or
      before the cutoff, sorted).
    - ``<attribute>_<value>`` [one_hot]: one-hot categorical user attributes, with the
      categories taken from the whole ``users`` frame so that snapshots at different cutoffs
      have the same columns. All levels are kept (no reference level is dropped). A missing
      value gives all zeros.
    - ``<attribute>`` [numeric]: a numeric ``users`` column named in ``attributes``, as given
      (not logged, not scaled; a missing value raises).

    Column names are cleaned: lowercase, every run of characters other than letters and digits
    becomes one ``_``, and leading or trailing ``_`` are stripped, so the event ``"Sign Up"``
    gives ``share_sign_up`` and the ``Platform`` value ``"web"`` gives ``platform_web`` (names
    that are already clean, such as ``channel_organic``, are unchanged). Two originals that give
    the same name raise ``ValueError`` naming both. ``info["descriptions"]`` says which original
    event or value each column comes from.

    Latent simulator columns (prefix ``true_``) are never used.

    Parameters
    ----------
    events : DataFrame
        Event log with ``user_col``, ``time_col`` and ``event_col``, read as
        :func:`retainkit.events.validate_events` reads it: datetimes or strings, tz-aware or
        naive (see ``tz``); a missing id, event name or timestamp raises, every problem in one
        ``ValueError``. It need not be sorted.
    users : DataFrame, optional
        One row per user with ``user_col``, ``signup_time`` (read as the event times are; a
        missing one excludes the user, counted in ``excluded``) and the attribute columns.
    cutoff : str or Timestamp
        The snapshot time (naive: wall-clock time in ``tz``).
    horizon, lookback : str or Timedelta, default "28D", "56D"
        Label window after the cutoff, and the activity window that defines the population.
    active_within : str or Timedelta, optional
        Narrow the population to users with an event in ``(cutoff - active_within, cutoff]``
        (at most ``lookback``; default: the whole lookback, which assumes nothing about how
        often your users visit). Features still use the whole lookback, so the result is the
        default snapshot filtered on ``recency_days < active_within``. A short window leaves
        out users who have most likely already left, whose "churn" is no longer preventable
        and is trivially easy to predict. Choose it from your app's visit cadence (a few
        typical gaps between visits): on three simulations of the daily ``social`` preset with
        the 28-day horizon, notebook 04 measures that ``"14D"`` keeps 97 % of the users who
        truly leave during the horizon and lowers the share of positives already gone at the
        cutoff from 0.975 to 0.918 (``"7D"``: 0.868, keeping 93 %). No window removes them
        all, so score models on the users still alive at the cutoff as well
        (``Simulation.alive_at``). The workbook's notebooks pass ``"14D"``.
    session_gap : str or Timedelta, default "30min"
        Silence that ends a session.
    windows : tuple of int, optional
        Window lengths in days for the counting features; default ``(7, 14, 28, 56)``, keeping
        those no longer than the lookback. Every window must fit in the lookback.
    attributes : tuple of str, optional
        ``users`` columns to use as features: categorical columns (object, string, category or
        bool) are one-hot encoded, numeric ones enter as they are (kind ``"numeric"``). Default:
        every categorical column with at most 50 distinct values other than ``user_col``,
        ``signup_time`` and the ``true_`` columns; a warning names the columns this leaves out
        (numeric, high-cardinality, dates), so pass ``attributes`` explicitly to choose (``()``
        for none). Names starting with ``true_``, absent columns and columns of another type
        raise ``ValueError``.
    event_types : list of str, optional
        Event types for the ``share_`` features (fix them to align columns across snapshots,
        e.g. ``event_types=other.info["event_types"]``). A type absent from the log raises.
    visit_event : str, default "session_start"
        The event that marks a visit. It must occur in the log at or before the cutoff, else
        ``ValueError`` lists the event names there (your log may call it ``"app_open"``).
    as_of : str or Timestamp, optional
        When observation of the log ends (naive: in ``tz``); default the last event in
        ``events``. The label needs ``cutoff + horizon <= as_of``.
    allow_incomplete : bool, default False
        When the horizon is not fully observed, return the labels anyway (they overstate churn:
        a user who has not come back *yet* counts as churned) instead of raising ``ValueError``.
    user_col, time_col, event_col : str
        Column names in ``events`` (and ``user_col`` in ``users``).
    tz : str, optional
        IANA zone (e.g. ``"America/New_York"``) of naive timestamps in ``events`` and
        ``users`` and of a naive ``cutoff`` or ``as_of``; DST gaps and repeats in the log
        raise, listing the rows. Default: naive times are UTC, with a warning for naive
        timestamps in the data. It changes what the times mean, not the windows: those stay
        24-hour steps back from the cutoff, and every time in ``info`` is UTC.

    Returns
    -------
    Snapshot
        ``(X, y, info)``: ``X`` float DataFrame indexed by user id (sorted), carrying
        ``X.attrs["column_kinds"]``; ``y`` int Series named ``"churned"`` on the same index
        (1 = no activity in the horizon); ``info`` dict with ``population``, ``base_rate``,
        ``cutoff``, ``horizon``, ``lookback``, ``active_within``, ``session_gap``,
        ``windows``, ``visit_event``, ``event_types`` and ``attributes`` (the originals used),
        ``as_of``, ``horizon_complete``, ``lookback_complete``, ``features`` (column list),
        ``column_kinds`` (column -> kind), ``descriptions`` (column -> description, see
        :func:`describe_feature`), ``excluded`` (reason -> number of users) and
        ``n_excluded``. ``excluded["no_activity_in_lookback"]`` counts users with no event in
        the population window, which is ``active_within`` when that is given.

    Examples
    --------
    The simulator drops events at ``sim.end``, so its last event comes a little before the end
    of observation: say so with ``as_of``.

    >>> from retainkit.simulate import simulate_app
    >>> sim = simulate_app("social", n_users=500, days=90, seed=1)
    >>> X, y, info = make_snapshot(sim.events, sim.users, as_of=sim.end,
    ...                            cutoff=sim.end - pd.Timedelta("28D"))
    >>> bool(X.index.equals(y.index)), info["horizon_complete"]
    (True, True)
    >>> info["column_kinds"]["visits_7d"], info["column_kinds"]["channel_organic"]
    ('count', 'one_hot')

    A log exported in local wall-clock time: name its zone with ``tz`` (the cutoff and
    ``as_of`` are then local too). Clocks in New York jump from 02:00 to 03:00 on 2025-03-09,
    so the visits at 23:30 and 03:30 are 3 hours apart, a gap of 0.125 days:

    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "event": ["view"] + ["session_start"] * 2,
    ...                     "timestamp": ["2025-03-08 09:00", "2025-03-08 23:30",
    ...                                   "2025-03-09 03:30"]})
    >>> X, y, info = make_snapshot(log, cutoff="2025-03-09 12:00", horizon="1D", lookback="1D",
    ...                            as_of="2025-03-10 12:00", tz="America/New_York")
    >>> str(info["cutoff"]), float(X.loc[1, "gap_mean_days"]), int(y.loc[1])
    ('2025-03-09 16:00:00+00:00', 0.125, 1)
    """
    ev = prepare_events(events, user_col, time_col, event_col, tz)
    signup = None if users is None else read_signups(users, user_col, tz)
    cutoff = to_utc(cutoff, "cutoff", tz=tz)
    horizon = positive_duration(horizon, "horizon")
    lookback = positive_duration(lookback, "lookback")
    session_gap = positive_duration(session_gap, "session_gap")
    windows = _check_windows(windows, lookback)
    active_within = lookback if active_within is None else positive_duration(
        active_within, "active_within"
    )
    if active_within > lookback:
        raise ValueError(f"active_within = {active_within} is longer than lookback = {lookback}")
    as_of = ev["timestamp"].max() if as_of is None else to_utc(as_of, "as_of", tz=tz)

    horizon_complete = bool(cutoff + horizon <= as_of)
    if not horizon_complete and not allow_incomplete:
        raise ValueError(
            f"horizon not fully observed: cutoff + horizon = {cutoff + horizon} is after "
            f"as_of = {as_of} (the end of the log), so users who come back later would be "
            "labelled churned; use an earlier cutoff, a shorter horizon, or "
            "allow_incomplete=True"
        )
    lookback_complete = bool(cutoff - lookback >= ev["timestamp"].min())
    if not lookback_complete:
        warnings.warn(
            f"lookback starts at {cutoff - lookback}, before the first event in the log "
            f"({ev['timestamp'].min()}): window features of this snapshot are truncated",
            stacklevel=2,
        )

    past = ev[ev["timestamp"] <= cutoff]
    check_visit_event(visit_event, past)
    event_types = check_event_types(event_types, past, ev)
    population, excluded = _population(past, signup, cutoff, active_within)
    past = past[past["user"].isin(population)]
    age = cutoff - past["timestamp"]
    recent = past[age < lookback]

    X = pd.concat(
        [
            counting_features(recent, cutoff, windows, visit_event),
            session_features(recent, session_gap),
            gap_features(recent, visit_event, lookback),
            tenure(past, signup, cutoff),
            shares(recent, event_types),
        ],
        axis=1,
    ).reindex(population)
    X = X[column_order(windows) + [f"share_{e}" for e in event_types]].fillna(0.0)
    attrs, used, attribute_columns = attribute_block(users, population, attributes, user_col)
    columns = ([Column(c, activity_kind(c), ("feature", c)) for c in column_order(windows)]
               + [Column(f"share_{clean_name(e)}", "ratio", ("event", e)) for e in event_types]
               + attribute_columns)
    check_names(columns)
    X = pd.concat([X, attrs], axis=1).astype(float)
    X.columns = [col.name for col in columns]
    X.index.name = user_col
    kinds = {col.name: col.kind for col in columns}
    X.attrs["column_kinds"] = dict(kinds)

    future = ev[(ev["timestamp"] > cutoff) & (ev["timestamp"] <= cutoff + horizon)]
    y = pd.Series((~X.index.isin(future["user"].unique())).astype(int), index=X.index,
                  name="churned")

    info = {
        "population": len(X),
        "base_rate": float(y.mean()) if len(y) else float("nan"),
        "cutoff": cutoff,
        "horizon": horizon,
        "lookback": lookback,
        "active_within": active_within,
        "session_gap": session_gap,
        "windows": windows,
        "visit_event": visit_event,
        "event_types": list(event_types),
        "attributes": used,
        "as_of": as_of,
        "horizon_complete": horizon_complete,
        "lookback_complete": lookback_complete,
        "features": list(X.columns),
        "column_kinds": kinds,
        "descriptions": {col.name: describe(col.name, col.source, visit_event)
                         for col in columns},
        "excluded": excluded,
        "n_excluded": int(sum(excluded.values())),
    }
    return Snapshot(X, y, info)


def _check_windows(windows, lookback) -> tuple[int, ...]:
    if windows is None:
        kept = tuple(w for w in DEFAULT_WINDOWS if w * DAY <= lookback)
        return kept or (int(lookback / DAY) or 1,)
    windows = tuple(windows)
    bad = [w for w in windows if not isinstance(w, int | np.integer) or w < 1]
    if bad or not windows:
        raise ValueError(f"windows must be positive integers (days), got {windows!r}")
    too_long = [w for w in windows if w * DAY > lookback]
    if too_long:
        raise ValueError(f"windows {too_long} (days) are longer than lookback = {lookback}")
    return tuple(int(w) for w in windows)


def _population(past, signup, cutoff, window):
    """Sorted ids of users with an event in the ``window`` before the cutoff (and, when the
    sign-up times are given, known and signed up by the cutoff), and the exclusion counts."""
    active = pd.Index(past.loc[cutoff - past["timestamp"] < window, "user"].unique())
    seen = pd.Index(past["user"].unique())
    excluded = {}
    if signup is None:
        excluded["no_activity_in_lookback"] = len(seen.difference(active))
    else:
        signed_up = signup.index[signup <= cutoff]
        unknown = active.difference(signup.index)
        late = active.intersection(signup.index[~(signup <= cutoff)])
        excluded["no_activity_in_lookback"] = len(signed_up.union(seen).difference(active))
        excluded["signed_up_after_cutoff"] = len(late)
        excluded["not_in_users"] = len(unknown)
        if len(unknown):
            warnings.warn(f"{len(unknown)} active user(s) are missing from users and were "
                          f"excluded, e.g. {list(unknown[:5])}", stacklevel=3)
        if len(late):
            warnings.warn(f"{len(late)} active user(s) have a signup_time after the cutoff "
                          f"(or none) and were excluded, e.g. {list(late[:5])}", stacklevel=3)
        active = active.difference(unknown).difference(late)
    return active.sort_values(), excluded
