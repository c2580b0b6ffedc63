"""From an event log to one (duration, observed) pair per user (part of ``retainkit.survival``).

The log is read by the events front door (``retainkit.events._reader.read_log``), so it is
parsed exactly as :func:`retainkit.events.validate_events` parses it.
"""

from __future__ import annotations

import warnings

import pandas as pd

from retainkit._validation import Problems, positive_duration, to_utc
from retainkit.events._reader import read_log

DAY = pd.Timedelta(days=1)


def durations_from_events(
    events: pd.DataFrame,
    *,
    inactivity="28D",
    as_of=None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    tz: str | None = None,
) -> pd.DataFrame:
    """Turn an event log into survival data: one duration and churn flag per user.

    Introduced in notebook 03. A user **starts** at their first event and is **last seen**
    at their last event at or before ``as_of``. A churn is declared after ``inactivity``
    without activity, so it can only be seen for last visits at or before the **end of
    follow-up** ``as_of - inactivity``:

    * ``last_seen <= as_of - inactivity``: the churn is observed (``observed=True``) and
      dated at the last visit, ``duration = last_seen - start``;
    * otherwise the user is censored (``observed=False``) at the end of follow-up,
      ``duration = (as_of - inactivity) - start``: they were still active after it;
    * users who start after ``as_of - inactivity`` are left out (counted in a warning):
      no churn of theirs could be seen, so they are not at risk yet.

    Censoring at ``as_of - start`` instead would give every censored user ``inactivity``
    days of churn-free follow-up by construction (immortal time) and push S(t) up. Durations
    are in days (float); ``inactivity`` is an exact duration (``"28D"`` is 28 x 24 hours,
    not 28 calendar days).

    The log is read as :func:`retainkit.events.validate_events` reads it: tz-aware times
    are converted to UTC, strings are parsed by the same rules, and **naive times (and a
    naive ``as_of``) are wall-clock times in** ``tz``; without ``tz`` they are taken as UTC,
    with a warning for naive timestamps. Everything wrong with the log (missing columns,
    user ids or timestamps, unparseable times) is reported in one ``ValueError``.

    Biases that remain, which notebook 03 discusses:

    * Churn is dated at the last visit, a lower bound of the true leaving time (the user
      left somewhere between that visit and the visit they would have made next), so
      observed durations are too short and S(t) is underestimated.
    * A dormant user who is away longer than ``inactivity`` and comes back after ``as_of``
      is counted as churned (a false churn), which also pushes S(t) down; a longer
      ``inactivity`` makes fewer such errors but ends follow-up earlier.

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
    tz : str, optional
        IANA zone (e.g. ``"America/New_York"``) of naive timestamps and of a naive
        ``as_of``; default UTC (with a warning for naive timestamps).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_col`` (sorted) with columns ``start``, ``last_seen``
        (datetime64[ns, UTC]), ``duration`` (float, days) and ``observed`` (bool), one row
        per user who started at or before ``as_of - inactivity``.
        ``attrs["follow_up_end"]`` is ``as_of - inactivity`` and ``attrs["left_out"]`` the
        number of users left out.

    Raises
    ------
    ValueError
        When nobody started at or before ``as_of - inactivity``, besides the problems of
        the log and of the arguments (all reported at once).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "b", "c"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 00:00", "2024-01-03 12:00",
    ...                                  "2024-01-02 00:00", "2024-01-20 00:00",
    ...                                  "2024-01-25 06:00"], utc=True),
    ...     "event": "app_open"})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:  # c started too late
    ...     warnings.simplefilter("always")
    ...     table = durations_from_events(log, inactivity="7D")  # as_of: the last event
    >>> table[["duration", "observed"]]  # b: censored at 01-18 06:00, not at as_of
             duration  observed
    user_id
    a            2.50      True
    b           16.25     False
    >>> table.attrs["left_out"], "left out 1 user(s)" in str(caught[0].message)
    (1, True)
    """
    read = read_log(events, user_col=user_col, time_col=time_col, event_col=None, tz=tz)
    problems = Problems()  # the other arguments, reported together
    try:
        gap = positive_duration(inactivity, "inactivity")
    except ValueError as error:
        problems.append(str(error))
    try:
        as_of = read.time.max() if as_of is None else to_utc(as_of, "as_of", tz=tz)
    except ValueError as error:
        problems.append(str(error))
    problems.raise_if_any(what="the call to durations_from_events")

    # plain values, not the Series: a categorical id would group in category order
    log = pd.DataFrame({user_col: read.user.to_numpy(), "time": read.time})
    known = log["time"] <= as_of
    if not known.any():
        raise ValueError(f"events has no event at or before as_of={as_of}")
    if not known.all():
        warnings.warn(
            f"durations_from_events ignored {int((~known).sum())} events after as_of={as_of}",
            stacklevel=2,
        )
    seen = log[known].groupby(user_col, observed=True)["time"]
    table = pd.DataFrame({"start": seen.min(), "last_seen": seen.max()})
    table.index.name = user_col
    follow_up_end = as_of - gap
    late = table["start"] > follow_up_end
    if late.all():
        raise ValueError(
            f"nobody started at or before as_of - inactivity = {follow_up_end} (as_of={as_of}, "
            f"inactivity={gap}): no churn can be seen by as_of; pass a later as_of or a "
            "shorter inactivity"
        )
    if late.any():
        warnings.warn(
            f"durations_from_events left out {int(late.sum())} user(s) who started after "
            f"as_of - inactivity = {follow_up_end}: no churn of theirs can be seen by as_of",
            UserWarning,
            stacklevel=2,
        )
        table = table[~late]
    table["observed"] = table["last_seen"] <= follow_up_end
    end = table["last_seen"].where(table["observed"], follow_up_end)
    table["duration"] = (end - table["start"]) / DAY
    table = table[["start", "last_seen", "duration", "observed"]]
    table.attrs.update(follow_up_end=follow_up_end, left_out=int(late.sum()))
    return table
