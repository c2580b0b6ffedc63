"""Cohort retention tables: N-period, on-or-after and bracket retention (private module).

The public names are re-exported by :mod:`retainkit.retention`; read its docstrings there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.retention._breakdown import by_segment
from retainkit.retention._cohorts import Activity
from retainkit.retention._input import (
    COHORTS,
    MODES,
    PERIODS,
    WINDOWS,
    check_choice,
    check_int,
    read_events,
)

_ATTRS_KEY = "retainkit"


def retention_table(
    events: pd.DataFrame,
    *,
    period: str = "day",
    mode: str = "on",
    cohort: str = "first",
    window: str = "calendar",
    start_event=None,
    return_event=None,
    max_periods: int | None = None,
    min_occurrences: int = 1,
    as_of=None,
    rates: bool = True,
    tz: str | None = None,
    week_start: str = "monday",
    by=None,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.DataFrame:
    """Cohort retention table: share (or count) of each cohort active k periods after its start.

    Introduced in notebook 02. One row per cohort (sorted by time, indexed by the start of the
    cohort's calendar period: local midnight in the reporting zone ``tz``), a column ``cohort_size``, then integer columns
    ``0, 1, ..., N`` for the periods since the start. The conventions, which differ between
    analytics products and are stated here once:

    - **Column 0 is 1.0 for every cohort** (the cohort itself). A return in the cohort's own
      period 0 never counts for a period ``k >= 1``.
    - **Incomplete cells are NaN, never 0.** Cell (cohort, k) is NaN while period k has not
      fully elapsed at ``as_of`` for *every* member of the cohort; a period that has fully
      elapsed with no returns is 0. (Counting unfinished periods as 0 is what drags the
      right end of many dashboards' curves down.)
    - **Columns** run through the last period that has fully elapsed for the earliest cohort
      (or exactly to ``max_periods``).
    - ``mode="on"``: active in exactly period k (Amplitude "Return On", Mixpanel "On").
      ``mode="on_or_after"``: active in period k or any later period up to ``as_of``
      (Amplitude "Unbounded", Mixpanel "On or After"); it is never below ``on`` and never
      increases with k. Such a cell is a **lower bound** until the data end: it is known once
      period k has finished, yet a return after ``as_of`` can still turn its 0 into a 1.
      Unbounded retention of recent cohorts has had less time to accumulate returns after
      period k; compare cohorts with care.
    - ``window="calendar"``: periods are calendar days, weeks (starting ``week_start``,
      00:00) or calendar months in the reporting zone ``tz`` (default UTC; local midnights,
      DST included, so a local day may last 23 or 25 hours), and period k is the k-th calendar period after the one holding the
      start. ``window="rolling"``: period k is ``[start + k L, start + (k + 1) L)`` measured
      from each user's own start moment, with L = 24 h, 7 d or 30 d (Amplitude's default).
      A sign-up at 23:00 returning at 08:00 the next morning is day 1 on the calendar but
      still day 0 on the rolling window.
    - ``cohort="first"``: each user belongs to the cohort of the period holding their first
      start event (the classic sign-up cohort). ``cohort="recurring"``: every period in
      which a user has a start event starts a cohort row for them, measured from their first
      start event in that period (PostHog's "recurring" retention type); the same user
      can then appear in several cohorts.
    - Cohort rows are the calendar periods (in ``tz``) holding the start, for both windows.
    - ``by``: one block of cohorts per segment (a first index level named after it); each
      user is in one segment, so cohort sizes are per segment.
    - What this table does *not* do like Amplitude: Amplitude rounds event times down to the
      hour for daily retention, and counts a cell's completeness per user rather than per
      cohort; its figures can differ from these near the right edge.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log (see :func:`retainkit.events.validate_events`): one row per
        event with a user id, a timestamp (tz-aware; tz-naive datetimes are read as UTC) and
        an event name. Activity is any event unless ``start_event``/``return_event`` say
        otherwise.
    period : {"day", "week", "month"}
        Length of a period (and of a cohort).
    mode : {"on", "on_or_after"}
        Active in exactly period k, or in period k or later.
    cohort : {"first", "recurring"}
        First-start cohorts or recurring cohorts (see above).
    window : {"calendar", "rolling"}
        Calendar periods in ``tz``, or 24 h / 7 d / 30 d steps from each user's start.
    start_event, return_event : str, list of str or None
        Event name(s) that put a user into a cohort, and that count as a return. ``None``
        means any event. A name that never occurs raises ``ValueError`` (usually a typo).
    max_periods : int or None
        Give exactly the columns ``0..max_periods`` (NaN where the data do not reach).
    min_occurrences : int, default 1
        A user is active in period k only with at least this many return events in that
        period (PostHog's "minimum occurrences"). For ``on_or_after`` the user must reach it
        within a single period k or later.
    as_of : timestamp-like or None
        The moment the data were taken (strings and tz-naive values are in ``tz``). A period is
        complete when it ends at or before ``as_of``. Default: the last event in the log,
        so the period holding it is incomplete; to treat the whole last day as seen, pass the
        next midnight. Events after ``as_of`` are ignored with a warning that counts them.
    rates : bool, default True
        Shares of the cohort (column 0 = 1.0), or ``False`` for counts of users (column 0 =
        ``cohort_size``). Both are float because incomplete cells are NaN.
    tz : str, optional
        Reporting time zone (IANA name, e.g. ``"America/New_York"``) for calendar periods and
        cohort labels; None means UTC. It is where periods are cut, not the clock of the log:
        naive timestamps in ``events`` are UTC (with a warning; convert a wall-clock log with
        ``validate_events(df, tz=...)`` first). Rolling windows stay exact 24-hour steps.
    week_start : {"monday", "sunday"}, default "monday"
        First day of a calendar week (Amplitude and PostHog offer both).
    by : str or pandas.Series, optional
        Breakdown by an ``events`` column (each user's value on their first event) or by a
        user property (a Series indexed by user id).
    user_col, time_col, event_col : str
        Column names in ``events``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cohort`` (local period starts in ``tz``; with ``by``, by segment then
        cohort). ``table.attrs["retainkit"]`` records the
        options, which :func:`retention_curve` and the plotting helpers read.

    Raises
    ------
    ValueError
        Unknown ``period``/``mode``/``cohort``/``window`` (the accepted values are listed),
        missing columns (named), non-datetime or missing timestamps, missing user ids, an
        event name that never occurs, bad ``max_periods``/``min_occurrences``/``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> retention_table(log, as_of="2025-03-05")
                               cohort_size    0    1    2    3
    cohort
    2025-03-01 00:00:00+00:00            2  1.0  0.5  0.5  0.0
    2025-03-02 00:00:00+00:00            1  1.0  0.0  0.0  NaN

    Ana came back on day 1 and Ben on day 2 (his 23:50 sign-up was late on day 0); Cy never
    did. Day 3 of the 2 March cohort (5 March) has not ended at ``as_of``, so it is NaN, not 0.
    """
    check_choice("mode", mode, MODES)
    if by is not None:
        return by_segment(retention_table, events, by, period=period, mode=mode,
                          cohort=cohort, window=window, start_event=start_event,
                          return_event=return_event, max_periods=max_periods,
                          min_occurrences=min_occurrences, as_of=as_of, rates=rates, tz=tz,
                          week_start=week_start, user_col=user_col, time_col=time_col,
                          event_col=event_col)
    act = _activity(events, period, cohort, window, start_event, return_event,
                    min_occurrences, as_of, tz, week_start, user_col, time_col, event_col)
    coh = act.cohorts
    if max_periods is None:
        n = max(int(coh.last_complete[0]), 0)
    else:
        n = check_int("max_periods", max_periods, 0)
    n_cohorts = len(coh.labels)
    counts = np.zeros((n_cohorts, n + 1))
    if n >= 1 and mode == "on":
        row, k = act.pairs(n)
        flat = coh.row_cohort[row] * (n + 1) + k
        counts = np.bincount(flat, minlength=n_cohorts * (n + 1)).reshape(n_cohorts, n + 1)
        counts = counts.astype(float)
    elif n >= 1:
        last = np.minimum(act.last_active(), n)
        flat = coh.row_cohort * (n + 1) + last
        hist = np.bincount(flat, minlength=n_cohorts * (n + 1)).reshape(n_cohorts, n + 1)
        # users whose last active period is >= k, i.e. a reversed cumulative sum over k
        counts[:, 1:] = hist[:, :0:-1].cumsum(axis=1)[:, ::-1]
    counts[:, 0] = coh.size
    ks = np.arange(n + 1)
    counts[(ks[None, :] > coh.last_complete[:, None]) & (ks[None, :] >= 1)] = np.nan
    values = counts / coh.size[:, None] if rates else counts
    table = _frame(coh, values, list(ks))
    table.attrs[_ATTRS_KEY] = dict(
        kind="retention_table", period=period, mode=mode, cohort=cohort, window=window,
        rates=bool(rates), start_event=start_event, return_event=return_event,
        min_occurrences=min_occurrences, as_of=str(pd.Timestamp(act.as_of, tz="UTC")),
        tz=act.calendar.tz, week_start=act.calendar.week_start,
    )
    return table


def bracket_retention(
    events: pd.DataFrame,
    brackets=((1, 1), (2, 7), (8, 30)),
    *,
    period: str = "day",
    cohort: str = "first",
    window: str = "calendar",
    start_event=None,
    return_event=None,
    min_occurrences: int = 1,
    as_of=None,
    rates: bool = True,
    tz: str | None = None,
    week_start: str = "monday",
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.DataFrame:
    """Bracket retention: share of each cohort active in at least one period of each bracket.

    Introduced in notebook 02. Amplitude's "custom brackets": bracket ``(a, b)`` counts a user
    once if they were active in any period ``k`` with ``a <= k <= b`` (default brackets: day 1,
    days 2-7, days 8-30). Periods, windows, cohorts, ``min_occurrences`` and ``as_of`` follow
    :func:`retention_table`; a cell is NaN until period ``b`` has fully elapsed for every
    member of the cohort, and 0 when the bracket is complete with no returns.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log.
    brackets : sequence of (int, int)
        Inclusive period ranges ``(a, b)`` with ``1 <= a <= b``; they may overlap.
    period, cohort, window, start_event, return_event, min_occurrences, as_of, rates, tz,
    week_start, user_col, time_col, event_col
        As in :func:`retention_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cohort``; columns ``cohort_size`` then one per bracket, labelled
        ``"a"`` or ``"a-b"`` (for example ``"1"``, ``"2-7"``, ``"8-30"``).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> bracket_retention(log, [(1, 1), (1, 2)], as_of="2025-03-05")
                               cohort_size    1  1-2
    cohort
    2025-03-01 00:00:00+00:00            2  0.5  1.0
    2025-03-02 00:00:00+00:00            1  0.0  0.0

    Ana came back on day 1 and Ben on day 2: half the 1 March cohort is retained on day 1,
    all of it somewhere in days 1-2.
    """
    brackets = _check_brackets(brackets)
    act = _activity(events, period, cohort, window, start_event, return_event,
                    min_occurrences, as_of, tz, week_start, user_col, time_col, event_col)
    coh = act.cohorts
    row, k = act.pairs(max(b for _, b in brackets))
    n_rows = len(coh.row_cohort)
    counts = np.zeros((len(coh.labels), len(brackets)))
    for j, (a, b) in enumerate(brackets):  # a handful of brackets, each one vectorised
        hit = np.zeros(n_rows, dtype=bool)
        hit[row[(k >= a) & (k <= b)]] = True
        counts[:, j] = np.bincount(coh.row_cohort[hit], minlength=len(coh.labels))
        counts[coh.last_complete < b, j] = np.nan
    values = counts / coh.size[:, None] if rates else counts
    labels = [str(a) if a == b else f"{a}-{b}" for a, b in brackets]
    table = _frame(coh, values, labels)
    table.attrs[_ATTRS_KEY] = dict(
        kind="bracket_retention", period=period, mode="bracket", cohort=cohort, window=window,
        rates=bool(rates), brackets=brackets, start_event=start_event,
        return_event=return_event, min_occurrences=min_occurrences,
        as_of=str(pd.Timestamp(act.as_of, tz="UTC")), tz=act.calendar.tz,
        week_start=act.calendar.week_start,
    )
    return table


def _activity(events, period, cohort, window, start_event, return_event, min_occurrences,
              as_of, tz, week_start, user_col, time_col, event_col) -> Activity:
    check_choice("period", period, PERIODS)
    check_choice("cohort", cohort, COHORTS)
    check_choice("window", window, WINDOWS)
    min_occurrences = check_int("min_occurrences", min_occurrences, 1)
    ev = read_events(
        events, user_col=user_col, time_col=time_col, event_col=event_col, as_of=as_of,
        select={"start_event": start_event, "return_event": return_event}, tz=tz,
        week_start=week_start,
    )
    return Activity(ev, period=period, window=window, cohort=cohort,
                    min_occurrences=min_occurrences)


def _frame(coh, values: np.ndarray, columns: list) -> pd.DataFrame:
    table = pd.DataFrame(values, index=pd.Index(coh.labels, name="cohort"), columns=columns)
    table.insert(0, "cohort_size", coh.size.astype(np.int64))
    return table


def _check_brackets(brackets) -> list[tuple[int, int]]:
    try:
        pairs = [(a, b) for a, b in brackets]
    except (TypeError, ValueError):
        raise ValueError(
            f"brackets must be a sequence of (first, last) period pairs, got {brackets!r}"
        ) from None
    whole = all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                for pair in pairs for v in pair)
    if not pairs or not whole or any(a < 1 or b < a for a, b in pairs):
        raise ValueError(f"every bracket (a, b) needs integers 1 <= a <= b; got {brackets!r}")
    return [(int(a), int(b)) for a, b in pairs]
