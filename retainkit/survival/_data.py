"""From an event log to one (duration, observed) pair per user (part of ``retainkit.survival``)."""

from __future__ import annotations

import warnings

import pandas as pd

DAY = pd.Timedelta(days=1)


def _utc(values, name: str) -> pd.Series | pd.Timestamp:
    """Parse times as UTC (naive times and strings are taken to be UTC already)."""
    try:
        return pd.to_datetime(values, utc=True)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name} could not be parsed as timestamps: {error}") from None


def durations_from_events(
    events: pd.DataFrame,
    *,
    inactivity="28D",
    as_of=None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
) -> pd.DataFrame:
    """Turn an event log into survival data: one duration and churn flag per user.

    Introduced in notebook 03. A user **starts** at their first event and is **last seen**
    at their last event at or before ``as_of``. Churn is declared when the user has been
    inactive for at least ``inactivity``: if ``last_seen + inactivity <= as_of`` the churn
    is observed (``observed=True``) and dated at the last visit, ``duration = last_seen -
    start``; otherwise the user is censored (``observed=False``) at ``duration = as_of -
    start``, the time we have watched them. Durations are in days (float); times are UTC
    (strings and naive times are taken as UTC).

    This definition has known biases, which notebook 03 discusses:

    * Churn is dated at the last visit, a lower bound of the true leaving time (the user
      left somewhere between that visit and the visit they would have made next), so
      observed durations are too short and S(t) is underestimated.
    * Every user whose last visit is within ``inactivity`` of ``as_of`` is censored, even
      those who have in fact already left; their censoring time ``as_of - start`` then
      overstates how long they stayed, which pushes S(t) up. Users who started less than
      ``inactivity`` before ``as_of`` can only be censored.
    * A dormant user who is away longer than ``inactivity`` and comes back after ``as_of``
      is counted as churned (a false churn); a longer ``inactivity`` makes fewer such
      errors but censors more users.

    Parameters
    ----------
    events : pandas.DataFrame
        Event log with at least ``user_col`` and ``time_col`` (any event counts as
        activity).
    inactivity : str or pandas.Timedelta, default "28D"
        Inactivity after which a user counts as churned. Must be positive.
    as_of : str or pandas.Timestamp, optional
        The moment the data are looked at; default the last event in the log. Events after
        ``as_of`` are ignored (counted in a warning), as they were not yet known.
    user_col, time_col : str
        Column names of the user id and the event time.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_col`` (sorted) with columns ``start``, ``last_seen``
        (datetime64[ns, UTC]), ``duration`` (float, days) and ``observed`` (bool).
    """
    for column in (user_col, time_col):
        if column not in events.columns:
            raise ValueError(f"events has no column {column!r} (columns: {list(events.columns)})")
    if len(events) == 0:
        raise ValueError("events is empty: no user to compute a duration for")
    if events[user_col].isna().any():
        rows = list(events.index[events[user_col].isna()][:5])
        raise ValueError(f"column {user_col!r} has missing user ids (rows {rows})")
    times = _utc(events[time_col], f"column {time_col!r}")
    if times.isna().any():
        rows = list(events.index[times.isna()][:5])
        raise ValueError(f"column {time_col!r} has missing timestamps (rows {rows})")
    try:
        gap = pd.Timedelta(inactivity)
    except (ValueError, TypeError):
        raise ValueError(
            f"inactivity must be a duration such as '28D', got {inactivity!r}"
        ) from None
    if pd.isna(gap) or gap <= pd.Timedelta(0):
        raise ValueError(f"inactivity must be a positive duration, got {inactivity!r}")
    as_of = times.max() if as_of is None else _utc(as_of, "as_of")

    log = pd.DataFrame(
        {user_col: events[user_col].to_numpy(), "time": times.reset_index(drop=True)}
    )
    known = log["time"] <= as_of
    if not known.all():
        warnings.warn(
            f"durations_from_events ignored {int((~known).sum())} events after as_of={as_of}",
            stacklevel=2,
        )
    if not known.any():
        raise ValueError(f"events has no event at or before as_of={as_of}")
    seen = log[known].groupby(user_col, observed=True)["time"]
    table = pd.DataFrame({"start": seen.min(), "last_seen": seen.max()})
    table.index.name = user_col
    table["observed"] = table["last_seen"] + gap <= as_of
    end = table["last_seen"].where(table["observed"], as_of)
    table["duration"] = (end - table["start"]) / DAY
    return table[["start", "last_seen", "duration", "observed"]]
