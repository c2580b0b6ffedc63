"""From an event log to a modelling table: snapshots, churn labels, sequences, temporal splits.

Introduced in notebook 04. A *snapshot* freezes time at a ``cutoff``: features are computed
only from events at or before the cutoff, and the label looks forward over a ``horizon``::

    ---- lookback ----]---- horizon ----]
                   cutoff        cutoff + horizon
    features: events in (cutoff - lookback, cutoff]   (recency and tenure look further back)
    label:    churned = 1 when the user has no activity in (cutoff, cutoff + horizon]

All windows are half-open on the left and closed on the right, measured in 24-hour steps back
from the cutoff (not calendar days), and every time is in UTC (naive times are read as UTC).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from retainkit._checks import positive_duration, to_utc

DAY = pd.Timedelta(days=1)
DEFAULT_WINDOWS = (7, 14, 28, 56)
DEFAULT_VISIT_EVENT = "session_start"
MAX_LEVELS = 50  # the default attributes: categorical users columns with at most this many values
SEQUENCE_CHANNELS = ("visits", "events", "active")

#: The kinds of snapshot column, as in ``info["column_kinds"]`` and ``X.attrs["column_kinds"]``.
#: ``log_counts`` transforms the ``"count"`` and ``"duration"`` columns and no others.
COLUMN_KINDS: dict[str, str] = {
    "count": "a number of events, visits, days or sessions (heavy-tailed, >= 0)",
    "duration": "a time span in days or minutes (heavy-tailed, >= 0)",
    "log_ratio": "the log of a ratio of counts, already on a log scale",
    "ratio": "a share of the user's events, in [0, 1]",
    "one_hot": "1.0 or 0.0: the user's categorical attribute has this value",
    "numeric": "a numeric users column, as given",
}
HEAVY_KINDS = ("count", "duration")

#: Every feature ``make_snapshot`` can produce, with its unit. ``{w}`` stands for a window
#: length in days (7, 14, 28, 56 by default), ``<event>`` for an event type and
#: ``<attribute>_<value>`` for a one-hot user attribute.
FEATURES: dict[str, str] = {
    "recency_days": "days from the user's last event to the cutoff (days, >= 0)",
    "visits_{w}d": "visits (session_start events) in the last {w} days (count)",
    "events_{w}d": "events of any type in the last {w} days (count)",
    "active_days_{w}d": "24-hour days with any event among the last {w} (count, 0..{w})",
    "sessions": "sessions in the lookback window, a new one after a gap > session_gap (count)",
    "session_length_mean_min": "mean session length, first to last event (minutes)",
    "session_length_median_min": "median session length, first to last event (minutes)",
    "trend_7d": "log((visits last 7 days + 1) / (visits the 7 days before + 1)) (log ratio)",
    "tenure_days": "days from sign-up (or the user's first event in the log) to the cutoff (days)",
    "gap_mean_days": "mean gap between consecutive visits in the lookback (days)",
    "gap_std_days": "standard deviation (ddof=0) of those gaps (days)",
    "gap_max_days": "longest gap between consecutive visits in the lookback (days)",
    "share_<event>": "share of the user's lookback events that are of this type (0..1)",
    "<attribute>_<value>": "1.0 when the user's attribute has this value, else 0.0 (indicator)",
}


def __getattr__(name: str):
    if name == "DEFAULT_ATTRIBUTES":  # removed public name: warn, keep the old value
        warnings.warn("retainkit.features.DEFAULT_ATTRIBUTES is deprecated: the default "
                      "attributes are now every categorical users column with at most "
                      "MAX_LEVELS distinct values (see make_snapshot)", DeprecationWarning,
                      stacklevel=2)
        return ("channel", "device", "region")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Snapshot(NamedTuple):
    """What ``make_snapshot`` returns; unpack it as ``X, y, info = make_snapshot(...)``."""

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
        Event log with ``user_col``, ``time_col`` (tz-aware or naive UTC) and ``event_col``.
    users : DataFrame, optional
        One row per user with ``user_col``, ``signup_time`` and the attribute columns.
    cutoff : str or Timestamp
        The snapshot time (naive times are UTC).
    horizon, lookback : str or Timedelta, default "28D", "56D"
        Label window after the cutoff, and the activity window that defines the population.
    active_within : str or Timedelta, optional
        Narrow the population to users with an event in ``(cutoff - active_within, cutoff]``
        (at most ``lookback``; default: the whole lookback). Features still use the whole
        lookback. A short window (e.g. ``"14D"``) leaves out users who have most likely already
        left, whose "churn" is no longer preventable and is trivially easy to predict;
        notebook 04 measures how many of them a 56-day population holds.
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
        When observation of the log ends; default the last event in ``events``. The label needs
        ``cutoff + horizon <= as_of``.
    allow_incomplete : bool, default False
        When the horizon is not fully observed, return the labels anyway (they overstate churn:
        a user who has not come back *yet* counts as churned) instead of raising ``ValueError``.
    user_col, time_col, event_col : str
        Column names in ``events`` (and ``user_col`` in ``users``).

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
    """
    ev = _prepare_events(events, user_col, time_col, event_col)
    cutoff = to_utc(cutoff, "cutoff")
    horizon = positive_duration(horizon, "horizon")
    lookback = positive_duration(lookback, "lookback")
    session_gap = positive_duration(session_gap, "session_gap")
    windows = _check_windows(windows, lookback)
    active_within = lookback if active_within is None else positive_duration(
        active_within, "active_within"
    )
    if active_within > lookback:
        raise ValueError(f"active_within = {active_within} is longer than lookback = {lookback}")
    as_of = ev["timestamp"].max() if as_of is None else to_utc(as_of, "as_of")
    if pd.isna(as_of):
        raise ValueError("events is empty: no event to build a snapshot from")

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
    _check_visit_event(visit_event, past)
    event_types = _check_event_types(event_types, past, ev)
    population, excluded = _population(past, users, cutoff, active_within, user_col)
    past = past[past["user"].isin(population)]
    age = cutoff - past["timestamp"]
    recent = past[age < lookback]

    X = pd.concat(
        [
            _counting_features(recent, cutoff, windows, visit_event),
            _session_features(recent, session_gap),
            _gap_features(recent, visit_event, lookback),
            _tenure(past, users, cutoff, user_col),
            _shares(recent, event_types),
        ],
        axis=1,
    ).reindex(population)
    X = X[_column_order(windows) + [f"share_{e}" for e in event_types]].fillna(0.0)
    attrs, used, attribute_columns = _attributes(users, population, attributes, user_col)
    columns = ([_Column(c, _activity_kind(c), ("feature", c)) for c in _column_order(windows)]
               + [_Column(f"share_{_clean(e)}", "ratio", ("event", e)) for e in event_types]
               + attribute_columns)
    _check_names(columns)
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
        "descriptions": {col.name: _describe(col.name, col.source, visit_event)
                         for col in columns},
        "excluded": excluded,
        "n_excluded": int(sum(excluded.values())),
    }
    return Snapshot(X, y, info)


def describe_feature(name: str, *, info: dict[str, Any] | None = None) -> str:
    """Description and unit of a ``make_snapshot`` column.

    Introduced in notebook 04. Without ``info`` the description assumes the defaults
    (``visit_event="session_start"``) and can only say that an unknown name is a one-hot
    attribute. Pass the snapshot's ``info`` to describe *that* snapshot's column: its visit
    event, and the original event name or attribute value behind a cleaned name; a name that
    is not one of its columns then raises ``ValueError``.

    Examples
    --------
    >>> describe_feature("visits_14d")
    'visits (session_start events) in the last 14 days (count)'
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "event": ["app_open", "Sign Up", "app_open"],
    ...                     "timestamp": [t0, t0 + pd.Timedelta("1h"), t0 + pd.Timedelta("2D")]})
    >>> _, _, info = make_snapshot(log, cutoff=t0 + pd.Timedelta("3D"), horizon="1D",
    ...                            lookback="3D", visit_event="app_open", allow_incomplete=True)
    >>> describe_feature("visits_3d", info=info)
    'visits (app_open events) in the last 3 days (count)'
    >>> describe_feature("share_sign_up", info=info)
    "share of the user's lookback events that are of type 'Sign Up' (0..1)"
    """
    if info is None:
        return _describe(name, None, DEFAULT_VISIT_EVENT)
    descriptions = info.get("descriptions", {})
    if name not in descriptions:
        raise ValueError(f"{name!r} is not a column of this snapshot; its columns are "
                         f"{list(descriptions)}")
    return descriptions[name]


def count_columns(X: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[str]:
    """The heavy-tailed count and duration columns of a ``make_snapshot`` frame.

    Introduced in notebook 05. The columns whose kind (see ``COLUMN_KINDS``) is ``"count"`` or
    ``"duration"``: never a share (``"ratio"``), a one-hot attribute, ``trend_7d`` (already a
    log ratio) or a numeric attribute. The kinds come from ``kinds`` or else from
    ``X.attrs["column_kinds"]``, which ``make_snapshot`` sets and pandas keeps through ``.loc``,
    ``.iloc``, ``[]``, ``.assign``, ``.copy`` and ``pd.concat`` of frames with the same kinds,
    never from the column names. Without kinds, or with a column they do not cover, it raises
    ``ValueError``: pass ``kinds=snapshot.info["column_kinds"]``.

    Examples
    --------
    >>> X = pd.DataFrame({"visits_7d": [0.0, 9.0], "share_like": [0.5, 0.25],
    ...                   "platform_web": [1.0, 0.0]})
    >>> count_columns(X, kinds={"visits_7d": "count", "share_like": "ratio",
    ...                         "platform_web": "one_hot"})
    ['visits_7d']
    """
    kinds = _kinds_of(X, kinds)
    return [c for c in X.columns if kinds[c] in HEAVY_KINDS]


def log_counts(X: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """``log(1 + x)`` of the count and duration columns (:func:`count_columns`); a copy.

    Introduced in notebook 05. Counts such as ``events_56d`` span several orders of magnitude,
    so a few heavy users dominate a network's first layer even after standardisation; the
    log compresses the tail while keeping 0 at 0. Other columns (shares, one-hots, log ratios,
    numeric attributes) are returned unchanged. The kinds come from ``kinds`` or
    ``X.attrs["column_kinds"]`` as in :func:`count_columns`. The result keeps them and records
    the logged columns in ``attrs["log1p_columns"]``, so logging it again raises ``ValueError``.

    Examples
    --------
    >>> X = pd.DataFrame({"visits_7d": [0.0, 9.0], "platform_web": [1.0, 0.0]})
    >>> out = log_counts(X, kinds={"visits_7d": "count", "platform_web": "one_hot"})
    >>> out.round(3).to_dict("list")
    {'visits_7d': [0.0, 2.303], 'platform_web': [1.0, 0.0]}
    """
    done = X.attrs.get("log1p_columns")
    if done:
        raise ValueError(f"X is already log-transformed (log1p of {_name_list(done, 5)}); call "
                         "log_counts on the snapshot's X itself")
    heavy = count_columns(X, kinds)
    out = X.assign(**{c: np.log1p(X[c]) for c in heavy})
    out.attrs["column_kinds"] = _kinds_of(X, kinds)
    out.attrs["log1p_columns"] = heavy
    return out


def activity_sequences(
    events: pd.DataFrame,
    *,
    cutoff,
    days: int = 56,
    channels: tuple[str, ...] = ("visits", "events"),
    index=None,
    visit_event: str = DEFAULT_VISIT_EVENT,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> np.ndarray:
    """Daily activity counts before the cutoff as a (users, days, channels) float32 array.

    Introduced in notebook 05 (the sequence model). Day ``d`` (0-based) covers the 24 hours
    ``(cutoff - (days - d) days, cutoff - (days - d - 1) days]``: day 0 is the oldest and the last
    day ends at the cutoff. Only events at or before the cutoff are used. Channels:
    ``"visits"`` (``visit_event`` count), ``"events"`` (all events), ``"active"`` (1.0 when the
    user has any event that day). With the ``"visits"`` channel, a ``visit_event`` that does
    not occur in the log at or before the cutoff raises ``ValueError`` listing the event names.

    Parameters
    ----------
    events : DataFrame
        Event log (see ``make_snapshot``).
    cutoff : str or Timestamp
        End of the last day.
    days : int, default 56
        Number of days.
    channels : tuple of str, default ("visits", "events")
        Any of ``"visits"``, ``"events"``, ``"active"``, in the order wanted.
    index : array-like, optional
        User ids, one row each in this order (pass ``X.index`` from ``make_snapshot``); users with
        no events get zeros. Default: users with an event in the ``days`` window, sorted.

    visit_event : str, default "session_start"
        The event that marks a visit (as in ``make_snapshot``).

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(len(index), days, len(channels))``.

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 2], "event": ["app_open", "like", "app_open"],
    ...                     "timestamp": t0 + pd.to_timedelta(["1h", "2h", "2D 1h"])})
    >>> seq = activity_sequences(log, cutoff=t0 + pd.Timedelta("3D"), days=3,
    ...                          visit_event="app_open")
    >>> seq[:, :, 0].tolist(), seq[:, :, 1].tolist()
    ([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    """
    unknown = [c for c in channels if c not in SEQUENCE_CHANNELS]
    if unknown or not channels:
        raise ValueError(f"channels {unknown or channels!r} not understood; "
                         f"accepted values: {SEQUENCE_CHANNELS}")
    if not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    ev = _prepare_events(events, user_col, time_col, event_col)
    cutoff = to_utc(cutoff, "cutoff")
    age = cutoff - ev["timestamp"]
    if "visits" in channels:
        _check_visit_event(visit_event, ev[ev["timestamp"] <= cutoff])
    ev = ev[(ev["timestamp"] <= cutoff) & (age < days * DAY)]
    if index is None:
        index = np.sort(ev["user"].unique())
    index = pd.Index(index)
    if index.has_duplicates:
        raise ValueError("index has duplicated user ids")
    rows = index.get_indexer(ev["user"])
    ev = ev[rows >= 0]
    rows = rows[rows >= 0]
    col = days - 1 - _days_back(cutoff - ev["timestamp"])

    out = np.zeros((len(index), days, len(channels)), dtype=np.float32)
    for k, channel in enumerate(channels):
        weight = (ev["event"] == visit_event).to_numpy(float) if channel == "visits" else 1.0
        np.add.at(out[:, :, k], (rows, col), weight)
        if channel == "active":
            out[:, :, k] = np.minimum(out[:, :, k], 1.0)
    return out


def temporal_split(
    events: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    train_cutoff,
    test_cutoff,
    horizon="28D",
    lookback="56D",
    **snapshot_kwargs,
) -> tuple[Snapshot, Snapshot]:
    """Train on an earlier snapshot, test on a later one, without the label windows leaking.

    Introduced in notebook 04. Returns ``(train, test)``, two ``make_snapshot`` results at
    ``train_cutoff`` and ``test_cutoff``. Requires ``train_cutoff + horizon <= test_cutoff``, which
    guarantees exactly this: everything in the training set, features *and* labels, is computed
    from events at or before ``test_cutoff``, so a model fitted on it could really have been
    fitted at the test cutoff; and the test labels look only at ``(test_cutoff, test_cutoff +
    horizon]``, which no training feature or label sees. The same user may appear in both sets
    (with different snapshot dates): that is the deployment situation, not a leak. Both sets
    have the same columns in the same order (event types fixed from the log at or before the
    test cutoff, attribute categories from the whole ``users`` frame).

    Other keyword arguments are passed to ``make_snapshot`` for both snapshots (with the
    default ``attributes``, the users columns left out are reported once).

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 1, 2, 2],
    ...                     "event": ["session_start", "like", "session_start"] * 1
    ...                              + ["session_start"] * 2,
    ...                     "timestamp": t0 + pd.to_timedelta([0, 1, 20, 3, 40], unit="D")})
    >>> train, test = temporal_split(log, train_cutoff=t0 + pd.Timedelta("10D"),
    ...                              test_cutoff=t0 + pd.Timedelta("20D"), horizon="10D",
    ...                              lookback="10D")
    >>> list(train.y.items()), list(test.y.items())
    ([(1, 0), (2, 1)], [(1, 1)])
    >>> train.X.columns.equals(test.X.columns)
    True
    """
    train_cutoff = to_utc(train_cutoff, "train_cutoff")
    test_cutoff = to_utc(test_cutoff, "test_cutoff")
    horizon_td = positive_duration(horizon, "horizon")
    if train_cutoff + horizon_td > test_cutoff:
        raise ValueError(
            f"train_cutoff + horizon = {train_cutoff + horizon_td} is after test_cutoff = "
            f"{test_cutoff}: the training labels would look at events the test features also "
            "use; move train_cutoff back or shorten the horizon"
        )
    if snapshot_kwargs.get("event_types") is None:
        ev = _prepare_events(events, snapshot_kwargs.get("user_col", "user_id"),
                             snapshot_kwargs.get("time_col", "timestamp"),
                             snapshot_kwargs.get("event_col", "event"))
        snapshot_kwargs["event_types"] = sorted(ev.loc[ev["timestamp"] <= test_cutoff,
                                                       "event"].unique())
    if isinstance(users, pd.DataFrame) and snapshot_kwargs.get("attributes") is None:
        snapshot_kwargs["attributes"] = _default_attributes(
            users, snapshot_kwargs.get("user_col", "user_id"), stacklevel=3)
    common = dict(horizon=horizon, lookback=lookback, **snapshot_kwargs)
    train = make_snapshot(events, users, cutoff=train_cutoff, **common)
    test = make_snapshot(events, users, cutoff=test_cutoff, **common)
    return train, test


# --- input checking ---------------------------------------------------------------------------

def _prepare_events(events, user_col, time_col, event_col) -> pd.DataFrame:
    """A copy with columns user, timestamp (UTC), event (str), sorted by user then time."""
    if not isinstance(events, pd.DataFrame):
        raise ValueError(f"events must be a pandas DataFrame, got {type(events).__name__}")
    missing = [c for c in (user_col, time_col, event_col) if c not in events.columns]
    if missing:
        raise ValueError(f"events has no column(s) {missing}; columns are {list(events.columns)}")
    try:
        ts = pd.to_datetime(events[time_col], utc=True)
    except (ValueError, TypeError) as err:
        raise ValueError(f"column {time_col!r} cannot be read as timestamps: {err}") from err
    for name, bad in ((time_col, ts.isna()), (user_col, events[user_col].isna())):
        if bad.any():
            raise ValueError(f"column {name!r} has {int(bad.sum())} missing value(s), e.g. at "
                             f"rows {list(events.index[bad][:5])}")
    out = pd.DataFrame({"user": events[user_col].to_numpy(),
                        "timestamp": ts.reset_index(drop=True),
                        "event": events[event_col].astype(str).to_numpy()})
    if _is_sorted(out):  # the simulator's and validate_events' output: skip a costly sort
        return out
    return out.sort_values(["user", "timestamp"], kind="stable", ignore_index=True)


def _is_sorted(df: pd.DataFrame) -> bool:
    try:
        user_step = df["user"].to_numpy()[1:] >= df["user"].to_numpy()[:-1]
        same_user = df["user"].to_numpy()[1:] == df["user"].to_numpy()[:-1]
    except TypeError:  # ids that cannot be ordered by NumPy: let pandas sort them
        return False
    ts = df["timestamp"].values  # datetime64 in UTC (to_numpy would box Timestamps)
    return bool(np.all(user_step) and np.all(~same_user | (ts[1:] >= ts[:-1])))


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


def _check_users(users, user_col) -> pd.DataFrame:
    if not isinstance(users, pd.DataFrame):
        raise ValueError(f"users must be a pandas DataFrame, got {type(users).__name__}")
    missing = [c for c in (user_col, "signup_time") if c not in users.columns]
    if missing:
        raise ValueError(f"users has no column(s) {missing}")
    if users[user_col].duplicated().any():
        raise ValueError(f"users has duplicated {user_col!r} values, e.g. "
                         f"{list(users.loc[users[user_col].duplicated(), user_col][:5])}")
    return users.set_index(user_col)


# --- population and features ------------------------------------------------------------------

def _population(past, users, cutoff, lookback, user_col):
    """Sorted ids of users active in the window ``lookback`` before the cutoff (and known,
    signed up by the cutoff); called with ``active_within``."""
    active = pd.Index(past.loc[cutoff - past["timestamp"] < lookback, "user"].unique())
    seen = pd.Index(past["user"].unique())
    excluded = {}
    if users is None:
        excluded["no_activity_in_lookback"] = len(seen.difference(active))
    else:
        u = _check_users(users, user_col)
        signup = pd.to_datetime(u["signup_time"], utc=True)
        signed_up = u.index[signup <= cutoff]
        unknown = active.difference(u.index)
        late = active.intersection(u.index[~(signup <= cutoff)])
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


def _column_order(windows) -> list[str]:
    return (["recency_days"] + [f"{kind}_{w}d" for kind in ("visits", "events", "active_days")
                                for w in windows]
            + ["sessions", "session_length_mean_min", "session_length_median_min", "trend_7d",
               "tenure_days", "gap_mean_days", "gap_std_days", "gap_max_days"])


def _days_back(age: pd.Series) -> np.ndarray:
    """Index k of the 24-hour day (cutoff - (k+1) days, cutoff - k days] holding each age."""
    ns = age.to_numpy().astype("timedelta64[ns]").astype(np.int64)
    return np.maximum(-(-ns // DAY.value) - 1, 0)  # ceil(age / day) - 1; age 0 is day 0


def _counting_features(recent, cutoff, windows, visit_event) -> pd.DataFrame:
    age = cutoff - recent["timestamp"]
    day = _days_back(age)
    is_visit = (recent["event"] == visit_event).to_numpy()
    cols = {"recency_days": (age / DAY).groupby(recent["user"]).min()}
    parts = {}
    for w in windows:
        inside = (day < w)
        parts[f"visits_{w}d"] = is_visit & inside
        parts[f"events_{w}d"] = inside
    counts = pd.DataFrame(parts, index=recent.index).groupby(recent["user"]).sum()
    first_of_day = ~pd.DataFrame({"u": recent["user"], "d": day}).duplicated().to_numpy()
    for w in windows:
        cols[f"visits_{w}d"] = counts[f"visits_{w}d"]
        cols[f"events_{w}d"] = counts[f"events_{w}d"]
    days = pd.DataFrame({f"active_days_{w}d": first_of_day & (day < w) for w in windows},
                        index=recent.index).groupby(recent["user"]).sum()
    cols.update({c: days[c] for c in days.columns})
    last7 = pd.Series(is_visit & (day < 7), index=recent.index).groupby(recent["user"]).sum()
    prev7 = pd.Series(is_visit & (day >= 7) & (day < 14), index=recent.index)
    prev7 = prev7.groupby(recent["user"]).sum()
    cols["trend_7d"] = np.log((last7 + 1.0) / (prev7 + 1.0))
    return pd.DataFrame(cols)


def _session_features(recent, gap) -> pd.DataFrame:
    user, ts = recent["user"], recent["timestamp"]
    new = (user != user.shift()) | (ts - ts.shift() > gap)
    session = new.cumsum()
    bounds = ts.groupby(session).agg(["min", "max"])
    length = (bounds["max"] - bounds["min"]) / pd.Timedelta(minutes=1)
    owner = user.groupby(session).first()
    stats = length.groupby(owner).agg(["size", "mean", "median"])
    return pd.DataFrame({"sessions": stats["size"], "session_length_mean_min": stats["mean"],
                         "session_length_median_min": stats["median"]})


def _gap_features(recent, visit_event, lookback) -> pd.DataFrame:
    visits = recent[recent["event"] == visit_event]
    same_user = visits["user"] == visits["user"].shift()
    gaps = ((visits["timestamp"] - visits["timestamp"].shift()) / DAY)[same_user]
    stats = gaps.groupby(visits.loc[same_user, "user"]).agg(["mean", "max"])
    stats["std"] = gaps.groupby(visits.loc[same_user, "user"]).std(ddof=0)
    users = recent["user"].unique()
    stats = stats.reindex(users)
    none_seen = stats["mean"].isna()
    window_days = lookback / DAY
    return pd.DataFrame({
        "gap_mean_days": stats["mean"].where(~none_seen, window_days),
        "gap_std_days": stats["std"].where(~none_seen, 0.0),
        "gap_max_days": stats["max"].where(~none_seen, window_days),
    })


def _tenure(past, users, cutoff, user_col) -> pd.Series:
    if users is None:
        start = past.groupby("user")["timestamp"].min()
    else:
        u = users.set_index(user_col)
        start = pd.to_datetime(u["signup_time"], utc=True)
        start = start[start.index.isin(past["user"].unique())]
    return ((cutoff - start) / DAY).rename("tenure_days")


def _shares(recent, event_types) -> pd.DataFrame:
    counts = recent.groupby(["user", "event"]).size().unstack(fill_value=0)
    total = counts.sum(axis=1)
    counts = counts.reindex(columns=list(event_types), fill_value=0)
    shares = counts.div(total, axis=0)
    shares.columns = [f"share_{e}" for e in shares.columns]
    return shares


def _attributes(users, population, attributes, user_col):
    """The attribute block of X (columns in order, positional labels), the users columns used,
    and a ``_Column`` for each column of the block."""
    if users is None:
        if attributes:
            raise ValueError(f"attributes {list(attributes)} need a users frame")
        return pd.DataFrame(index=population), (), []
    if attributes is None:
        attributes = _default_attributes(users, user_col)
    else:
        attributes = _check_attributes(users, attributes, user_col)
    u = users.set_index(user_col).reindex(population)
    values, columns, gaps = [], [], []
    for attr in attributes:
        if _is_categorical(users[attr]):
            for level in _levels(users[attr]):
                values.append((u[attr] == level).to_numpy(float))
                columns.append(_Column(f"{_clean(attr)}_{_clean(level)}", "one_hot",
                                       ("one_hot", attr, level)))
        else:
            missing = u.index[u[attr].isna()]
            if len(missing):
                gaps.append(f"numeric column {attr!r} is missing for {len(missing)} user(s) of "
                            f"the population, e.g. {list(missing[:5])}")
            values.append(u[attr].to_numpy(float, na_value=np.nan))
            columns.append(_Column(_clean(attr), "numeric", ("numeric", attr)))
    if gaps:
        raise ValueError("attributes: " + "; ".join(gaps) + " (fill or drop them first)")
    block = pd.DataFrame(dict(enumerate(values)), index=population)
    return block, tuple(attributes), columns


def _default_attributes(users, user_col, stacklevel: int = 4) -> tuple:
    """Categorical users columns with at most MAX_LEVELS values; warn about the others."""
    used, left_out = [], []
    for col in users.columns:
        if col in (user_col, "signup_time") or str(col).startswith("true_"):
            continue
        s = users[col]
        if _is_categorical(s):
            n = s.nunique()
            if 0 < n <= MAX_LEVELS:
                used.append(col)
            else:
                left_out.append(f"{col!r} ({n} distinct values)")
        elif _is_numeric(s):
            left_out.append(f"{col!r} (numeric)")
        else:
            left_out.append(f"{col!r} ({s.dtype})")
    if left_out:
        warnings.warn(
            f"attributes: the default uses the categorical users columns with 1 to {MAX_LEVELS} "
            f"distinct values, {used}; these users columns are not used: "
            f"{', '.join(left_out)}. Name the columns you want in attributes=(...) (numeric "
            "columns then enter as they are), or pass attributes explicitly to silence this "
            "warning",
            stacklevel=stacklevel,
        )
    return tuple(used)


def _check_attributes(users, attributes, user_col) -> tuple:
    if isinstance(attributes, str):
        raise ValueError(f"attributes must be a tuple of column names, got the string "
                         f"{attributes!r}; write ({attributes!r},)")
    attributes = tuple(attributes)
    problems = []
    latent = [a for a in attributes if str(a).startswith("true_")]
    if latent:
        problems.append(f"{latent} are latent simulator columns (prefix 'true_') and must "
                        "never be features")
    missing = [a for a in attributes if a not in users.columns and a not in latent]
    if missing:
        problems.append(f"users has no attribute column(s) {missing}; its columns are "
                        f"{list(users.columns)}")
    reserved = [a for a in attributes if a in (user_col, "signup_time")]
    twice = sorted({str(a) for a in attributes if attributes.count(a) > 1})
    if reserved:
        problems.append(f"{reserved} cannot be attributes (the id and sign-up time are not "
                        "features)")
    if twice:
        problems.append(f"{twice} are listed more than once")
    wrong_type = [f"{a!r} ({users[a].dtype})" for a in attributes
                  if a in users.columns and a not in latent + reserved
                  and not (_is_categorical(users[a]) or _is_numeric(users[a]))]
    if wrong_type:
        problems.append(f"columns {', '.join(wrong_type)} are neither categorical (object, "
                        "string, category, bool) nor numeric")
    if problems:
        raise ValueError("attributes: " + "; ".join(problems))
    return attributes


def _is_categorical(s: pd.Series) -> bool:
    return (s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype | pd.StringDtype)
            or pd.api.types.is_bool_dtype(s))


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _levels(s: pd.Series) -> list:
    levels = list(s.dropna().unique())
    try:
        return sorted(levels)
    except TypeError:  # mixed types in an object column
        return sorted(levels, key=str)


# --- names, kinds and descriptions ------------------------------------------------------------

class _Column(NamedTuple):
    name: str  # the cleaned column name
    kind: str  # a key of COLUMN_KINDS
    source: tuple  # ("feature", name) | ("event", e) | ("one_hot", attr, value) | ("numeric", attr)


def _clean(text) -> str:
    """Lowercase; every run of non-alphanumerics (underscore included) -> one '_'; strip '_'."""
    return re.sub(r"[\W_]+", "_", str(text).lower()).strip("_")


def _source_text(source: tuple) -> str:
    if source[0] == "event":
        return f"event {source[1]!r}"
    if source[0] == "one_hot":
        return f"users column {source[1]!r} = {source[2]!r}"
    if source[0] == "numeric":
        return f"users column {source[1]!r}"
    return f"the built-in feature {source[1]!r}"


def _check_names(columns: list[_Column]) -> None:
    """Raise, naming the originals, when a name part cleans to nothing or two sources clash."""
    by_name: dict[str, list[str]] = {}
    for col in columns:
        by_name.setdefault(col.name, []).append(_source_text(col.source))
    clashes = [f"{name!r} from {' and '.join(sources)}" for name, sources in by_name.items()
               if len(sources) > 1]
    empty = [_source_text(col.source) for col in columns
             if col.source[0] != "feature" and not all(map(_clean, col.source[1:]))]
    problems = [f"these originals give the same name: {'; '.join(clashes)}"] if clashes else []
    if empty:
        problems.append(f"these originals give an empty name: {', '.join(empty)}")
    if problems:
        raise ValueError("feature names are cleaned (lowercase, each run of characters other "
                         "than letters and digits to one '_') and " + "; ".join(problems)
                         + "; rename them in the data")


def _activity_kind(name: str) -> str:
    if name == "trend_7d":
        return "log_ratio"
    if name.startswith(("visits_", "events_", "active_days_")) or name == "sessions":
        return "count"
    return "duration"  # recency, session lengths, tenure and the gaps


_VISIT_BASED = ("trend_7d", "gap_mean_days", "gap_std_days", "gap_max_days")


def _describe(name: str, source: tuple | None, visit_event: str) -> str:
    """The description of a column; ``source`` as in ``_Column``, None to infer it from name."""
    kind = None if source is None else source[0]
    if kind == "event":
        return FEATURES["share_<event>"].replace("this type", f"type {source[1]!r}")
    if kind == "one_hot":
        return f"1.0 when the user's {source[1]!r} is {source[2]!r}, else 0.0 (indicator)"
    if kind == "numeric":
        return f"the users column {source[1]!r}, as given (numeric)"
    if name in FEATURES:
        text = FEATURES[name]
        if name in _VISIT_BASED and visit_event != DEFAULT_VISIT_EVENT:
            text += f"; visits are {visit_event!r} events"
        return text
    for prefix in ("visits_", "events_", "active_days_"):
        rest = name.removeprefix(prefix)
        if rest != name and rest.endswith("d") and rest[:-1].isdigit():
            text = FEATURES[prefix + "{w}d"].replace("{w}", rest[:-1])
            return text.replace(DEFAULT_VISIT_EVENT, visit_event)
    if name.startswith("share_"):
        return FEATURES["share_<event>"].replace("this type", f"type {name[6:]!r}")
    return FEATURES["<attribute>_<value>"]


def _kinds_of(X: pd.DataFrame, kinds) -> dict[str, str]:
    """Every column's kind, from ``kinds`` or ``X.attrs``; raise when any is unknown."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    kinds = X.attrs.get("column_kinds") if kinds is None else kinds
    if kinds is not None and not isinstance(kinds, Mapping):
        raise ValueError(f"kinds must be a dict of column -> kind, got {type(kinds).__name__}")
    if not kinds:
        raise ValueError(
            "X carries no column kinds (X.attrs['column_kinds'], set by make_snapshot), so the "
            "count columns cannot be told from one-hots and shares: it was built by hand, or "
            "pandas dropped its attrs (pd.concat of frames whose attrs differ does); pass "
            "kinds=snapshot.info['column_kinds']")
    unknown = [c for c in X.columns if c not in kinds]
    if unknown:
        raise ValueError(f"kinds has no entry for the column(s) {unknown} of X; add them, e.g. "
                         f"kinds={{**snapshot.info['column_kinds'], {unknown[0]!r}: 'numeric'}}")
    bad = {c: kinds[c] for c in X.columns if kinds[c] not in COLUMN_KINDS}
    if bad:
        raise ValueError(f"kinds {bad} not understood; accepted kinds: {list(COLUMN_KINDS)}")
    return {c: kinds[c] for c in X.columns}


def _name_list(names, limit: int = 20) -> str:
    names = list(names)
    more = f" ... ({len(names)} in all)" if len(names) > limit else ""
    return f"{names[:limit]}{more}"


def _check_visit_event(visit_event, events: pd.DataFrame) -> None:
    """The visit event must occur in ``events`` (those at or before the cutoff)."""
    if len(events) and not (events["event"] == visit_event).any():
        counts = events["event"].value_counts()
        raise ValueError(
            f"visit_event = {visit_event!r} does not occur in the log at or before the cutoff, "
            f"so every visit feature would be 0; the event names there are (most frequent "
            f"first) {_name_list(counts.index)}: pass the one that marks a visit (an app "
            "open or session start), as visit_event=...")


def _check_event_types(event_types, past: pd.DataFrame, ev: pd.DataFrame) -> list[str]:
    if event_types is None:
        return sorted(past["event"].unique())
    if isinstance(event_types, str):
        raise ValueError(f"event_types must be a list of event names, got the string "
                         f"{event_types!r}; write [{event_types!r}]")
    event_types = [str(e) for e in event_types]
    logged = set(ev["event"].unique())
    absent = [e for e in event_types if e not in logged]
    twice = sorted({e for e in event_types if event_types.count(e) > 1})
    if absent or twice:
        raise ValueError(
            "event_types: " + "; ".join(
                ([f"{absent} do not occur in the log, whose event names are "
                  f"{_name_list(sorted(ev['event'].unique()))}"] if absent else [])
                + ([f"{twice} are listed more than once"] if twice else [])))
    return event_types
