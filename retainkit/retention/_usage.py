"""Active users, stickiness, lifecycle and churn rate from an event log (private module).

The public names are re-exported by :mod:`retainkit.retention`; read its docstrings there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from retainkit.retention._breakdown import by_segment
from retainkit.retention._input import (
    PERIODS,
    check_choice,
    check_int,
    read_events,
    to_utc_ns,
)

ACTIVE_WINDOWS = {"D": 1, "W": 7, "M": 30}
_NAMES = {1: "dau", 7: "wau", 30: "mau"}


def active_users(
    events: pd.DataFrame,
    window="D",
    *,
    activity_event=None,
    as_of=None,
    observed_from=None,
    tz: str | None = None,
    by=None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.Series:
    """Rolling daily, weekly or monthly active users (DAU, WAU, MAU), one value per local day.

    Introduced in notebook 02. Days are calendar days in the reporting zone ``tz`` (default
    UTC; local midnights, so a DST day lasts 23 or 25 hours). For each day d the value is the number of distinct users
    with at least one activity event in the trailing window of ``w`` whole days ending with
    d, that is in ``[d - (w - 1) days, d + 1 day)``: w = 1 (DAU), 7 (WAU) or 30 (MAU). These
    are trailing windows, as in Amplitude and PostHog, not calendar weeks or months.

    A value is NaN when its window is not fully inside the observed span: the span starts at
    ``observed_from`` (default: local midnight of the first event's day, i.e. the log is
    taken to be complete from that day on) and ends at ``as_of`` (default: the last event,
    so that day is incomplete). Early MAU values would otherwise undercount users who were
    active before the log begins.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log.
    window : {"D", "W", "M"} or int
        Trailing window: 1, 7 or 30 days, or a number of days.
    activity_event : str, list of str or None
        Event name(s) that count as activity; None (default) means any event.
    as_of, observed_from : timestamp-like or None
        End and start of the observed span (strings and tz-naive values are in ``tz``).
    tz : str, optional
        Reporting time zone (IANA name) for the calendar days; None means UTC. Naive
        timestamps in ``events`` are UTC, with a warning (see :func:`retention_table`).
    by : str or pandas.Series, optional
        Breakdown: an ``events`` column (each user's value on their first event) or a Series
        of a user property indexed by user id. The result gets a first index level named
        after it, one block per segment.
    user_col, time_col, event_col : str
        Column names in ``events``.

    Returns
    -------
    pandas.Series
        Float, indexed by ``day`` (local midnight in ``tz``), named ``dau``/``wau``/``mau``
        (or ``active_<w>d``), from the first observed day through the day holding ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": [1, 1, 2], "event": "open",
    ...     "timestamp": pd.to_datetime(["2025-01-01 15:00", "2025-01-02 03:30",
    ...                                  "2025-01-02 15:00"], utc=True)})
    >>> active_users(log, "D", as_of="2025-01-03").tolist()  # UTC days
    [1.0, 2.0, nan]
    >>> active_users(log, "D", as_of="2025-01-03", tz="America/New_York").tolist()
    [1.0, 1.0, nan]

    In New York, user 1's 03:30 UTC visit is still the evening of 1 January.
    """
    if by is not None:
        return by_segment(active_users, events, by, window=window,
                          activity_event=activity_event, as_of=as_of,
                          observed_from=observed_from, tz=tz, user_col=user_col,
                          time_col=time_col, event_col=event_col)
    width = _window_days(window)
    ev, day, first_day, last_day = _daily(events, activity_event, as_of, observed_from, tz,
                                          user_col, time_col, event_col)
    n_days = last_day - first_day + 1
    user, day = _distinct_user_periods(ev.user, day - first_day, n_days)
    # Each active day keeps the user counted until the window has passed or until their
    # next active day takes over, so overlapping windows are never counted twice.
    same_user_next = np.r_[user[1:] == user[:-1], False]
    next_day = np.r_[day[1:], 0]
    end = np.where(same_user_next, np.minimum(day + width, next_day), day + width)
    change = np.bincount(day, minlength=n_days + width + 1) - np.bincount(
        end, minlength=n_days + width + 1)
    counts = np.cumsum(change)[:n_days].astype(float)
    days = np.arange(n_days)
    counts[days - (width - 1) < 0] = np.nan  # window starts before the observed span
    counts[first_day + days >= last_day] = np.nan  # the day holding as_of is not over
    name = _NAMES.get(width, f"active_{width}d")
    index = pd.Index(ev.calendar.start(first_day + days, "day"), name="day")
    return pd.Series(counts, index=index, name=name)


@dataclass(frozen=True)
class Stickiness:
    """Result of :func:`stickiness`: ``ratio`` (by day) and ``histogram`` (by active days)."""

    ratio: pd.DataFrame
    histogram: pd.Series


def stickiness(
    events: pd.DataFrame,
    *,
    days: int = 30,
    activity_event=None,
    as_of=None,
    observed_from=None,
    tz: str | None = None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> Stickiness:
    """Stickiness: the DAU/MAU ratio by day, and how many days each user was active.

    Introduced in notebook 02. ``ratio`` has, per day (calendar days in ``tz``), ``dau``, ``mau`` (trailing 30
    days, see :func:`active_users`) and ``dau_mau`` = dau / mau: the average share of a
    month's users who show up on a given day (1/30 if everybody visits once a month, 1 if
    everybody visits daily). NaN where the 30-day window is not fully observed.

    ``histogram`` is PostHog's stickiness chart: over the last ``days`` complete days
    before ``as_of``, the number of users (among those active at least once in that window)
    who were active on exactly n distinct days, for n = 1..``days``.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log.
    days : int, default 30
        Length of the histogram window in days.
    activity_event, as_of, observed_from, tz, user_col, time_col, event_col
        As in :func:`active_users`.

    Returns
    -------
    Stickiness
        ``.ratio`` (DataFrame indexed by ``day``) and ``.histogram`` (Series indexed by
        ``active_days`` 1..days, named ``users``).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> stickiness(log, days=3, as_of="2025-03-05").histogram
    active_days
    1    3
    2    0
    3    0
    Name: users, dtype: int64

    Over 2-4 March each of the three users was active on one day only.
    """
    days = check_int("days", days, 1)
    kwargs = dict(activity_event=activity_event, as_of=as_of, observed_from=observed_from,
                  tz=tz, user_col=user_col, time_col=time_col, event_col=event_col)
    dau = active_users(events, "D", **kwargs)
    mau = active_users(events, "M", **kwargs)
    ratio = pd.DataFrame({"dau": dau, "mau": mau, "dau_mau": dau / mau})

    ev, day, first_day, last_day = _daily(events, activity_event, as_of, observed_from, tz,
                                          user_col, time_col, event_col)
    window_end = last_day  # exclusive: the day holding as_of is not complete
    window_start = window_end - days
    if window_start < first_day:
        raise ValueError(
            f"days={days}: the log holds only {window_end - first_day} complete day(s) "
            f"before as_of={pd.Timestamp(ev.as_of, tz='UTC')}"
        )
    inside = (day >= window_start) & (day < window_end)
    user, _ = _distinct_user_periods(ev.user[inside], day[inside] - window_start, days)
    per_user = np.unique(user, return_counts=True)[1]  # distinct active days of each user
    hist = np.bincount(per_user, minlength=days + 1)[1:]
    histogram = pd.Series(hist, index=pd.RangeIndex(1, days + 1, name="active_days"),
                          name="users")
    return Stickiness(ratio=ratio, histogram=histogram)


def lifecycle(
    events: pd.DataFrame,
    period: str = "week",
    *,
    activity_event=None,
    as_of=None,
    tz: str | None = None,
    week_start: str = "monday",
    by=None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.DataFrame:
    """PostHog-style lifecycle: new, returning, resurrecting and dormant users per period.

    Introduced in notebook 02. For each calendar period p (local periods in ``tz``, default
    UTC; weeks start on ``week_start``), a user active in p is

    - ``new``: p is the first period in which the user is active at all;
    - ``returning``: also active in the previous period p - 1;
    - ``resurrecting``: not active in p - 1 but active in some earlier period;

    and a user active in p - 1 but not in p is ``dormant`` in p, reported as a **negative**
    count (as PostHog draws it below the axis). new + returning + resurrecting is the number
    of active users of p, and ``-dormant`` in p + 1 is the number of them lost. "New" means
    new *to this log's activity*: users active before the log starts also show up as new. This
    differs from PostHog, whose "new" means the person was *created* (signed up) in period p:
    there, a first activity in a later period counts as "resurrecting". With an activity event
    other than the sign-up (a first post weeks after joining), the two disagree.

    The last row is the period holding ``as_of`` (default: the last event). It has not
    finished, so its counts would still change: the row is NaN.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log.
    period : {"day", "week", "month"}
    activity_event : str, list of str or None
        Event name(s) that count as activity; None means any event.
    as_of : timestamp-like or None
    tz : str, optional
        Reporting time zone; None means UTC (see :func:`active_users`).
    week_start : {"monday", "sunday"}, default "monday"
    by : str or pandas.Series, optional
        Breakdown by an events column or a user property (see :func:`active_users`).
    user_col, time_col, event_col : str

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (local period starts) with float columns ``new``,
        ``returning``, ``resurrecting``, ``dormant`` (<= 0).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> lifecycle(log, "day", as_of="2025-03-05")
                               new  returning  resurrecting  dormant
    period
    2025-03-01 00:00:00+00:00  2.0        0.0           0.0      0.0
    2025-03-02 00:00:00+00:00  1.0        1.0           0.0     -1.0
    2025-03-03 00:00:00+00:00  0.0        0.0           1.0     -2.0
    2025-03-04 00:00:00+00:00  0.0        0.0           0.0     -1.0
    2025-03-05 00:00:00+00:00  NaN        NaN           NaN      NaN

    On 3 March Ben is back after a day away (resurrecting), while Ana and Cy go dormant.
    """
    check_choice("period", period, PERIODS)
    if by is not None:
        return by_segment(lifecycle, events, by, period=period,
                          activity_event=activity_event, as_of=as_of, tz=tz,
                          week_start=week_start, user_col=user_col, time_col=time_col,
                          event_col=event_col)
    ev = read_events(events, user_col=user_col, time_col=time_col, event_col=event_col,
                     as_of=as_of, select={"activity_event": activity_event}, tz=tz,
                     week_start=week_start)
    cal = ev.calendar
    first = int(cal.code(np.array([ev.time.min()]), period)[0])  # first event of any kind
    last = int(cal.code(np.array([ev.as_of]), period)[0])
    n = last - first + 1
    user, time = ev.select("activity_event")
    user, p = _distinct_user_periods(user, cal.code(time, period) - first, n)
    same_prev = np.r_[False, user[1:] == user[:-1]]
    prev = np.r_[-2, p[:-1]]
    same_next = np.r_[user[1:] == user[:-1], False]
    nxt = np.r_[p[1:], -2]
    new = ~same_prev
    returning = same_prev & (prev == p - 1)
    resurrecting = same_prev & (prev < p - 1)
    goes_dormant = ~(same_next & (nxt == p + 1)) & (p + 1 < n)  # dormant in period p + 1
    frame = pd.DataFrame(
        {
            "new": np.bincount(p[new], minlength=n),
            "returning": np.bincount(p[returning], minlength=n),
            "resurrecting": np.bincount(p[resurrecting], minlength=n),
            "dormant": -np.bincount(p[goes_dormant] + 1, minlength=n),
        },
        index=pd.Index(cal.start(np.arange(first, last + 1), period), name="period"),
    ).astype(float)
    frame.iloc[-1] = np.nan  # the period holding as_of has not finished, by definition
    frame.attrs["retainkit"] = dict(kind="lifecycle", period=period)
    return frame


def churn_rate(
    events: pd.DataFrame,
    period: str = "month",
    *,
    activity_event=None,
    as_of=None,
    tz: str | None = None,
    week_start: str = "monday",
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.DataFrame:
    """Period-over-period churn: the share of a period's active users not active in the next.

    Introduced in notebook 02. For calendar period p (local periods in ``tz``), ``active`` =
    users active in p, ``churned`` = those of them not active in p + 1, and ``churn_rate`` =
    churned / active. This is the activity-based churn rate of product analytics (in PostHog's
    lifecycle terms, |dormant in p + 1| / active in p; see :func:`lifecycle`). Skipping a single
    period counts as churn, and a churned user may come back later (resurrect): this is churn
    from one period to the next, not a permanent exit.

    It is **not** the period retention rate r of the shifted-beta-geometric model (notebook 03),
    although ``1 - churn_rate`` looks like one: the pooled rate mixes users of every tenure
    (the sBG's r rises with tenure), includes users acquired during period p, and counts as
    churned users who return later. Compare it with the sBG only for one cohort, with
    permanent churn.

    ``churned`` and ``churn_rate`` are NaN when period p + 1 has not finished at ``as_of``
    (everything is NaN for the unfinished period itself).

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log.
    period : {"day", "week", "month"}
    activity_event, as_of, tz, week_start, user_col, time_col, event_col
        As in :func:`lifecycle`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` with columns ``active``, ``churned``, ``churn_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> churn_rate(log, "day", as_of="2025-03-05").head(3)
                               active  churned  churn_rate
    period
    2025-03-01 00:00:00+00:00     2.0      1.0         0.5
    2025-03-02 00:00:00+00:00     2.0      2.0         1.0
    2025-03-03 00:00:00+00:00     1.0      1.0         1.0
    """
    life = lifecycle(events, period, activity_event=activity_event, as_of=as_of, tz=tz,
                     week_start=week_start, user_col=user_col, time_col=time_col,
                     event_col=event_col)
    active = life["new"] + life["returning"] + life["resurrecting"]
    churned = life["dormant"].abs().shift(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = churned / active
    out = pd.DataFrame({"active": active, "churned": churned, "churn_rate": rate})
    out.attrs["retainkit"] = dict(kind="churn_rate", period=period)
    return out


# ---- helpers --------------------------------------------------------------------------------
def _window_days(window) -> int:
    if isinstance(window, str) and window in ACTIVE_WINDOWS:
        return ACTIVE_WINDOWS[window]
    if isinstance(window, int | np.integer) and not isinstance(window, bool) and window >= 1:
        return int(window)
    raise ValueError(
        f"window={window!r} is not supported; accepted values: 'D' (1 day), 'W' (7 days), "
        "'M' (30 days) or a positive number of days"
    )


def _daily(events, activity_event, as_of, observed_from, tz, user_col, time_col, event_col):
    """Activity events, their local day codes, and the first and last day code to report."""
    ev = read_events(events, user_col=user_col, time_col=time_col, event_col=event_col,
                     as_of=as_of, select={"activity_event": activity_event}, tz=tz)
    cal = ev.calendar
    if observed_from is None:
        first_day = int(cal.code(np.array([ev.time.min()]), "day")[0])  # complete from day one
    else:
        start = to_utc_ns(observed_from, "observed_from", tz=tz)
        first_day = int(cal.code(np.array([start]), "day")[0])
        if cal.start_ns(np.array([first_day]), "day")[0] < start:
            first_day += 1  # the first whole day inside the observed span
    last_day = int(cal.code(np.array([ev.as_of]), "day")[0])
    if last_day < first_day:
        raise ValueError("observed_from is after as_of: no day is observed")
    user, time = ev.select("activity_event")
    day = cal.code(time, "day")
    keep = day >= first_day  # earlier events only feed windows reported as NaN
    arrays = replace(ev, user=user[keep], time=time[keep], masks={})
    return arrays, day[keep], first_day, last_day


def _distinct_user_periods(user: np.ndarray, period: np.ndarray, n_periods: int):
    """Distinct (user, period) pairs sorted by user then period; periods in [0, n_periods)."""
    stride = n_periods + 1
    keys = np.unique(user.astype(np.int64) * stride + period)
    return keys // stride, keys % stride
