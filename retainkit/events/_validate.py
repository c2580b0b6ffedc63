"""Event logs: validation into the canonical shape, and sessions (introduced in notebook 01).

The canonical event log has one row per event and the columns ``user_id``, ``timestamp``
(tz-aware, UTC) and ``event`` (str), plus any others you bring along. Every retainkit helper
that takes events expects this shape; ``validate_events`` produces it from your own data.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd

from retainkit._validation import Problems, offending, positive_duration

__all__ = ["validate_events", "sessionize", "sessions"]

CANONICAL = ("user_id", "timestamp", "event")

# A time string is tz-aware when a clock time is followed by "Z", a UTC offset (+01:00, -0500,
# +09) or the words UTC/GMT -- the ISO 8601 forms pandas itself recognises.
_AWARE_STRING = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$"
)


NONEXISTENT = ("raise", "shift_forward", "shift_backward")
AMBIGUOUS = ("raise", "infer", "earliest", "latest")


def _check_zone(tz) -> None:
    if tz is None:
        return
    try:
        pd.Timestamp("2024-01-01").tz_localize(tz)
    except Exception as err:  # pytz, zoneinfo and dateutil raise different types
        raise ValueError(
            f"tz={tz!r} is not a time zone: pass an IANA name such as 'America/New_York', "
            "'Europe/Berlin' or 'UTC'"
        ) from err


def _to_utc(
    values: pd.Series,
    df: pd.DataFrame,
    column: str,
    problems: Problems,
    *,
    tz=None,
    format: str | None = None,
    nonexistent: str = "raise",
    ambiguous="raise",
) -> pd.Series | None:
    """Parse one timestamp column to datetime64[ns, UTC]; naive values are wall-clock ``tz``.

    Problems go into ``problems``; the result is None when the column cannot be used at all.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        if tz is not None:
            warnings.warn(
                f"tz={tz!r} was not used: column {column!r} is already tz-aware "
                f"({values.dtype.tz}); tz only applies to naive timestamps",
                stacklevel=3,
            )
        parsed, naive = values.dt.tz_convert("UTC"), False
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed, naive = values, True
    elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        problems.append(
            f"column {column!r} is numeric ({values.dtype}), and a number has no unit: convert "
            f"it first, e.g. pd.to_datetime(df[{column!r}], unit='s', utc=True) for epoch seconds"
        )
        return None
    else:
        found = _parse_objects(values.astype(object), df, column, problems, format)
        if found is None:
            return None
        parsed, naive = found
    if naive:
        parsed = _localize(parsed, df, column, problems, tz, nonexistent, ambiguous)
    problems.rows(df, parsed.isna(), "missing or unparseable timestamp", column,
                  f"(parsed with format={format!r})" if format else "")
    return parsed.dt.as_unit("ns")


def _parse_objects(values, df, column, problems, format):
    """Strings and datetime objects -> (parsed, naive?); refuse naive/aware mixes."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":  # the common case, checked in C: skip the per-element type tests
        present = values.notna().to_numpy()
        is_str, is_time = present, np.zeros(len(values), dtype=bool)
    else:
        present = values.notna().to_numpy()
        is_str = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        is_time = values.map(lambda v: isinstance(v, dt.date | np.datetime64)).to_numpy(
            dtype=bool
        )
        other = present & ~is_str & ~is_time  # numbers, lists, ...: pandas would misread them
        if other.any():
            problems.rows(df, other, "value that is neither a string nor a datetime", column)
            return None
    if format is not None:
        if is_time.any():
            problems.rows(df, is_time, f"datetime object where format={format!r} expects a string",
                          column)
            return None
        aware_format = "%z" in format or "%Z" in format
        parsed = pd.to_datetime(values, format=format, errors="coerce", utc=aware_format)
        return parsed, not aware_format
    aware = np.zeros(len(values), dtype=bool)
    aware[is_str] = values[is_str].str.strip().str.contains(_AWARE_STRING).to_numpy(dtype=bool)
    aware[is_time] = values[is_time].map(lambda v: getattr(v, "tzinfo", None) is not None)
    naive = present & ~aware
    if aware.any() and naive.any():
        minority = naive if naive.sum() <= aware.sum() else aware
        kind = "tz-naive" if minority is naive else "tz-aware"
        problems.rows(df, minority, f"a mix of tz-naive and tz-aware values ({kind} shown)",
                      column, "Make them consistent first, e.g. add the missing UTC offset.")
        return None
    if aware.any():
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    else:
        parsed = pd.to_datetime(values, errors="coerce", format=_guess_format(values[is_str]))
    retry = (parsed.isna() & values.notna()).to_numpy()
    if retry.any():  # the slow per-element parser only for what the fast one could not read
        again = pd.to_datetime(values[retry], utc=aware.any(), errors="coerce", format="mixed")
        parsed[retry] = again
    return parsed, not aware.any()


def _guess_format(strings: pd.Series) -> str:
    """One strftime format read off the first string (month first when ambiguous), else ISO."""
    from pandas.tseries.api import guess_datetime_format

    first = strings.iloc[0].strip() if len(strings) else ""
    return guess_datetime_format(first, dayfirst=False) or "ISO8601"


_NAIVE_WARNING = (
    "naive timestamps in column {column!r} were taken as UTC; if they are local wall-clock "
    "times, pass their zone, e.g. validate_events(df, tz='America/New_York')"
)


def _localize(parsed, df, column, problems, tz, nonexistent, ambiguous) -> pd.Series:
    """Naive wall-clock times in ``tz`` -> UTC, with DST gaps and repeats reported by row."""
    if tz is None:
        warnings.warn(_NAIVE_WARNING.format(column=column), stacklevel=4)
        return parsed.dt.tz_localize("UTC")
    known = parsed.notna().to_numpy()
    gap = known & parsed.dt.tz_localize(tz, ambiguous=True, nonexistent="NaT").isna().to_numpy()
    repeat = known & parsed.dt.tz_localize(
        tz, ambiguous="NaT", nonexistent="shift_forward"
    ).isna().to_numpy()
    if nonexistent == "raise":
        problems.rows(
            df, gap, f"local time that does not exist in {tz} (skipped by a DST change)", column,
            "Pass nonexistent='shift_forward' (or 'shift_backward') to move them to the "
            "nearest valid time.",
        )
    if isinstance(ambiguous, str) and ambiguous == "raise":
        problems.rows(
            df, repeat, f"local time that occurs twice in {tz} (repeated by a DST change)",
            column, "Pass ambiguous='earliest' (the first, daylight-saving occurrence), "
            "'latest', 'infer' (from the order of the rows) or a boolean array as in pandas.",
        )
    if isinstance(ambiguous, str) and ambiguous in ("earliest", "latest", "raise"):
        flags = np.full(len(parsed), ambiguous != "latest")
    else:
        flags = ambiguous
    shift = "shift_forward" if nonexistent == "raise" else nonexistent
    try:
        local = parsed.dt.tz_localize(tz, ambiguous=flags, nonexistent=shift)
    except Exception as err:  # ambiguous="infer" on rows out of time order
        problems.append(f"column {column!r}: ambiguous={ambiguous!r} failed: {err}")
        return parsed.dt.tz_localize("UTC")
    return local.dt.tz_convert("UTC")


def validate_events(
    df: pd.DataFrame,
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    tz: str | None = None,
    format: str | None = None,
    nonexistent: str = "raise",
    ambiguous="raise",
) -> pd.DataFrame:
    """Check an event log and return a clean copy in the canonical shape.

    Introduced in notebook 01; the front door of every helper that takes events. The result
    has the columns ``user_id``, ``timestamp`` (``datetime64[ns, UTC]``) and ``event`` first,
    then your other columns in their original order.

    Timestamps: tz-aware values are converted to UTC. **Naive values are wall-clock times in
    ``tz``** (an IANA zone such as ``"America/New_York"``), converted to UTC with the zone's
    daylight-saving rules; without ``tz`` they are taken as UTC and a warning says how to pass
    the zone. Local times skipped by a DST change (02:30 on the spring-forward night) raise
    unless ``nonexistent="shift_forward"`` or ``"shift_backward"``; local times that occur twice
    (01:30 on the fall-back night) raise unless ``ambiguous`` is ``"earliest"`` (the first,
    daylight-saving occurrence), ``"latest"``, ``"infer"`` (from the row order) or a boolean
    array (True = daylight saving), as in pandas. Strings are parsed with ``format`` (a
    strftime format such as ``"%m/%d/%Y %I:%M %p"``: fast and exact) when given; otherwise the
    format is guessed from the first string, month first when ambiguous (``01/02/2024`` is
    2 January), and what that misses is parsed one by one. A string counts as tz-aware when its
    clock time ends in ``Z``, a UTC offset (``+01:00``) or ``UTC``/``GMT``.

    Event names become ``str`` (a categorical column stays categorical). Rows are sorted by
    user, then time (a stable sort, so simultaneous events keep their input order), and the
    index is reset to ``0..n-1``. The input frame is never modified. Rows identical in every
    column (after parsing the timestamps) are exact duplicates: all but the first are dropped,
    and a warning gives the count. Nothing else is dropped: every other problem raises, and
    **all problems are reported at once**, each naming its column and showing up to five rows.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event.
    user_col, time_col, event_col : str
        Names of the user id, timestamp and event-name columns in ``df``. They are renamed
        to ``user_id``, ``timestamp`` and ``event``.
    tz : str, optional
        The zone of naive timestamps (default: UTC, with a warning).
    format : str, optional
        strftime format of string timestamps, handed to :func:`pandas.to_datetime`.
    nonexistent : {"raise", "shift_forward", "shift_backward"}, default "raise"
        What to do with local times that a DST change skips.
    ambiguous : {"raise", "earliest", "latest", "infer"} or array of bool, default "raise"
        What to do with local times that a DST change repeats.

    Returns
    -------
    pandas.DataFrame
        The clean event log.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        For an empty frame or missing columns (the available ones are listed), and, all in
        one message: missing or unparseable timestamps; a mix of tz-naive and tz-aware
        timestamps; numeric timestamps (no unit); nonexistent or ambiguous local times;
        missing user ids or event names; user ids of mixed Python types; a column that would
        clash with a canonical name.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({
    ...     "Member ID": [7, 7, 3],
    ...     "Event Time (local)": ["03/09/2025 03:30 AM", "03/08/2025 11:00 PM",
    ...                            "11/02/2025 09:15 AM"],
    ...     "Action": ["app_open", "sign_up", "app_open"]})
    >>> log = validate_events(raw, user_col="Member ID", time_col="Event Time (local)",
    ...                       event_col="Action", tz="America/New_York",
    ...                       format="%m/%d/%Y %I:%M %p")
    >>> log
       user_id                 timestamp     event
    0        3 2025-11-02 14:15:00+00:00  app_open
    1        7 2025-03-09 04:00:00+00:00   sign_up
    2        7 2025-03-09 07:30:00+00:00  app_open
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"validate_events expects a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise ValueError(f"the event log is empty (0 rows; columns: {list(df.columns)})")
    if df.columns.duplicated().any():
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"duplicated column name(s) {dupes}: every column needs its own name")
    roles = {"user_col": user_col, "time_col": time_col, "event_col": event_col}
    if len(set(roles.values())) < 3:
        raise ValueError(f"user_col, time_col and event_col must be different columns, got {roles}")
    _check_zone(tz)
    if nonexistent not in NONEXISTENT:
        raise ValueError(f"nonexistent={nonexistent!r} is not supported; accepted values: "
                         + ", ".join(map(repr, NONEXISTENT)))
    if isinstance(ambiguous, str) and ambiguous not in AMBIGUOUS:
        raise ValueError(f"ambiguous={ambiguous!r} is not supported; accepted values: "
                         + ", ".join(map(repr, AMBIGUOUS)) + ", or an array of bool")
    absent = [f"{column!r} ({arg})" for arg, column in roles.items() if column not in df.columns]
    if absent:
        raise ValueError(
            f"column{'s' * (len(absent) > 1)} {', '.join(absent)} not found; "
            f"available columns: {list(df.columns)}"
        )
    renames = {user_col: "user_id", time_col: "timestamp", event_col: "event"}
    problems = Problems()
    for column in CANONICAL:
        if column in df.columns and column not in renames:
            problems.append(
                f"column {column!r} is already in the frame but is not the one named by "
                f"{list(roles)[CANONICAL.index(column)]}; rename or drop it first"
            )
    problems.rows(df, df[user_col].isna(), "missing user id", user_col)
    if df[user_col].dtype == object:
        kinds = df[user_col].map(type).where(df[user_col].notna())
        if kinds.nunique() > 1:
            problems.rows(df, kinds.notna() & (kinds != kinds.mode().iloc[0]),
                          "user ids of mixed types (1 and '1' would be two users)", user_col)
    problems.rows(df, df[event_col].isna(), "missing event name", event_col)
    timestamps = _to_utc(df[time_col], df, time_col, problems, tz=tz, format=format,
                         nonexistent=nonexistent, ambiguous=ambiguous)
    problems.raise_if_any()

    others = [c for c in df.columns if c not in renames]
    out = df[[user_col, time_col, event_col, *others]].rename(columns=renames)  # a new frame
    out["timestamp"] = timestamps.array  # positional: the index may repeat labels
    if not isinstance(out["event"].dtype, pd.CategoricalDtype):
        out["event"] = out["event"].astype(str)

    duplicated = out.duplicated().to_numpy()
    if duplicated.any():
        warnings.warn(
            f"validate_events dropped {int(duplicated.sum())} exact duplicate row(s) "
            "(identical in every column after parsing the timestamps)",
            stacklevel=2,
        )
        out = out.loc[~duplicated]
    out = out.sort_values(["user_id", "timestamp"], kind="mergesort")
    return out.reset_index(drop=True)


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
