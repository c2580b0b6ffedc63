"""Sessions from inactivity gaps (private; see ``retainkit.events``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import offending, positive_duration


def sessionize(
    events: pd.DataFrame,
    gap: str | pd.Timedelta = "30min",
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
) -> pd.DataFrame:
    """Split each user's events into sessions separated by inactivity; add ``session_id``.

    Introduced in notebook 01. A new session starts at a user's first event and at every
    event that comes **more than** ``gap`` after that user's previous event; a gap of
    exactly ``gap`` stays inside the session (the web-analytics convention, 30 minutes).
    This is a definition from inactivity alone: it does not look at ``session_start``
    events, so it also works on logs that have none.

    ``session_id`` is an int64 numbering the sessions ``0, 1, 2, ...`` in order of
    (user, session start). It is unique across users and deterministic: it depends only
    on the users and timestamps, not on the input row order. Per-session start, end,
    duration and event count are in :func:`sessions`.

    Parameters
    ----------
    events : pandas.DataFrame
        An event log, e.g. the output of :func:`validate_events`; the time column must be
        a datetime column without missing values.
    gap : str or pandas.Timedelta, default "30min"
        The longest pause that still continues a session. Must be positive.
    user_col, time_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        A copy sorted by user then time (stable; the original index is kept), with a
        ``session_id`` column appended.

    Examples
    --------
    >>> import pandas as pd
    >>> clicks = pd.DataFrame({"user_id": [1, 1, 1, 2], "timestamp": pd.to_datetime(
    ...     ["2025-03-01 09:00", "2025-03-01 09:20", "2025-03-01 11:00", "2025-03-01 09:05"],
    ...     utc=True)})
    >>> sessionize(clicks)
       user_id                 timestamp  session_id
    0        1 2025-03-01 09:00:00+00:00           0
    1        1 2025-03-01 09:20:00+00:00           0
    2        1 2025-03-01 11:00:00+00:00           1
    3        2 2025-03-01 09:05:00+00:00           2
    """
    delta = positive_duration(gap, "gap")
    for arg, column in {"user_col": user_col, "time_col": time_col}.items():
        if column not in events.columns:
            raise ValueError(
                f"column {column!r} ({arg}) not found; available columns: {list(events.columns)}"
            )
    if not pd.api.types.is_datetime64_any_dtype(events[time_col].dtype):
        raise ValueError(
            f"column {time_col!r} must hold datetimes, got {events[time_col].dtype}; "
            "run validate_events first"
        )
    for column, what in [(user_col, "missing user id"), (time_col, "missing timestamp")]:
        missing = events[column].isna().to_numpy()
        if missing.any():
            raise ValueError(offending(events, missing, what, column))

    out = events.sort_values([user_col, time_col], kind="mergesort")
    users = out[user_col].to_numpy()
    new_user = np.ones(len(out), dtype=bool)
    new_user[1:] = users[1:] != users[:-1]
    new_session = new_user.copy()
    new_session |= (out[time_col].diff() > delta).to_numpy()
    out["session_id"] = np.cumsum(new_session, dtype=np.int64) - 1
    return out


def sessions(
    events: pd.DataFrame,
    gap: str | pd.Timedelta = "30min",
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
) -> pd.DataFrame:
    """One row per session: who, when it started and ended, how long, how many events.

    Introduced in notebook 01. Sessions are defined as in :func:`sessionize` (a pause of
    more than ``gap`` starts a new one). ``duration_s`` is the time from the first to the
    last event of the session, in seconds (float): a one-event session lasts 0 s, because
    the time spent after the last event is not in the log.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``session_id`` (sorted), with columns ``user_col``, ``start``, ``end``,
        ``duration_s`` and ``n_events``.

    Examples
    --------
    >>> import pandas as pd
    >>> clicks = pd.DataFrame({"user_id": [1, 1, 1, 2], "timestamp": pd.to_datetime(
    ...     ["2025-03-01 09:00", "2025-03-01 09:20", "2025-03-01 11:00", "2025-03-01 09:05"],
    ...     utc=True)})
    >>> sessions(clicks)[["user_id", "duration_s", "n_events"]]
                user_id  duration_s  n_events
    session_id
    0                 1      1200.0         2
    1                 1         0.0         1
    2                 2         0.0         1

    User 1's 09:00 and 09:20 clicks are one 20-minute session; 11:00 starts another.
    """
    tagged = sessionize(events, gap, user_col=user_col, time_col=time_col)
    summary = tagged.groupby("session_id", sort=True).agg(
        **{user_col: (user_col, "first")},
        start=(time_col, "min"),
        end=(time_col, "max"),
        n_events=(time_col, "size"),
    )
    summary.insert(3, "duration_s", (summary["end"] - summary["start"]).dt.total_seconds())
    summary["n_events"] = summary["n_events"].astype(np.int64)
    return summary
