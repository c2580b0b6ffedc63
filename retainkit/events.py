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

from retainkit._checks import positive_duration

__all__ = ["validate_events", "sessionize", "sessions"]

CANONICAL = ("user_id", "timestamp", "event")
MAX_SHOWN = 5  # offending rows shown in an error message

# A time string is tz-aware when a clock time is followed by "Z", a UTC offset (+01:00, -0500,
# +09) or the words UTC/GMT -- the ISO 8601 forms pandas itself recognises.
_AWARE_STRING = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$"
)


def _offending(df: pd.DataFrame, mask: pd.Series | np.ndarray, problem: str, column: str) -> str:
    """Error text: the problem, the column, how many rows and the first few of them."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    shown = df.loc[mask].head(MAX_SHOWN).to_string()
    first = f"first {MAX_SHOWN}" if n > MAX_SHOWN else "all of them"
    return f"column {column!r}: {problem} in {n} row(s); {first}:\n{shown}"


def _to_utc(values: pd.Series, df: pd.DataFrame, column: str) -> pd.Series:
    """Parse one timestamp column to datetime64[ns, UTC]; naive values are taken as UTC."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(values.dtype):
        raise ValueError(
            f"column {column!r} is numeric ({values.dtype}), and a number has no unit: convert "
            f"it first, e.g. pd.to_datetime(df[{column!r}], unit='s', utc=True) for epoch seconds"
        )
    else:
        parsed = _parse_objects(values.astype(object), df, column)
    missing = parsed.isna().to_numpy()
    if missing.any():
        raise ValueError(_offending(df, missing, "missing or unparseable timestamp", column))
    return parsed.dt.as_unit("ns")


def _parse_objects(values: pd.Series, df: pd.DataFrame, column: str) -> pd.Series:
    """Strings, datetimes and Timestamps in an object column -> UTC; refuse naive/aware mixes."""
    present = values.notna().to_numpy()
    is_str = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_time = values.map(lambda v: isinstance(v, dt.date | np.datetime64)).to_numpy(dtype=bool)
    other = present & ~is_str & ~is_time  # numbers, lists, ...: pandas would misread them
    if other.any():
        raise ValueError(
            _offending(df, other, "value that is neither a string nor a datetime", column)
        )
    aware = np.zeros(len(values), dtype=bool)
    aware[is_str] = values[is_str].str.strip().str.contains(_AWARE_STRING).to_numpy(dtype=bool)
    aware[is_time] = values[is_time].map(lambda v: getattr(v, "tzinfo", None) is not None)
    naive = present & ~aware
    if aware.any() and naive.any():
        minority = naive if naive.sum() <= aware.sum() else aware
        kind = "tz-naive" if minority is naive else "tz-aware"
        raise ValueError(
            _offending(
                df, minority, f"a mix of tz-naive and tz-aware values ({kind} shown)", column
            )
            + "\nMake them consistent first, e.g. add the missing UTC offset."
        )
    # Fast ISO 8601 parser first; the slower per-element parser only for what it cannot read.
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    retry = parsed.isna() & values.notna()
    if retry.any():
        parsed[retry] = pd.to_datetime(values[retry], utc=True, errors="coerce", format="mixed")
    return parsed


def validate_events(
    df: pd.DataFrame,
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
) -> pd.DataFrame:
    """Check an event log and return a clean copy in the canonical shape.

    Introduced in notebook 01. The result has the columns ``user_id``, ``timestamp``
    (``datetime64[ns, UTC]``) and ``event`` first, then your other columns in their
    original order. Timestamps are parsed as follows: tz-aware values are converted to UTC;
    **tz-naive values are taken to be UTC already**; strings are parsed (ISO 8601 first,
    then any format pandas understands, month first when ambiguous: ``01/02/2024`` is
    2 January), and a string counts as tz-aware when its clock time ends in ``Z``, a UTC
    offset (``+01:00``) or ``UTC``/``GMT``. Event names become ``str`` (a categorical column
    stays categorical). Rows are sorted by user, then time (a stable sort, so simultaneous
    events keep their input order), and the index is reset to ``0..n-1``. The input frame
    is never modified.

    Rows identical in every column (after parsing the timestamps) are exact duplicates:
    all but the first are dropped, and a warning gives the count. Nothing else is dropped:
    every other problem raises.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event.
    user_col, time_col, event_col : str
        Names of the user id, timestamp and event-name columns in ``df``. They are renamed
        to ``user_id``, ``timestamp`` and ``event``.

    Returns
    -------
    pandas.DataFrame
        The clean event log.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        Naming the column and showing up to five offending rows, for: an empty frame; a
        missing column (the available ones are listed); missing or unparseable
        timestamps; a mix of tz-naive and tz-aware timestamps; numeric timestamps (no
        unit); missing user ids or event names; user ids of mixed Python types; a column
        that would clash with a canonical name.
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
    for arg, column in roles.items():
        if column not in df.columns:
            raise ValueError(
                f"column {column!r} ({arg}) not found; available columns: {list(df.columns)}"
            )
    renames = {user_col: "user_id", time_col: "timestamp", event_col: "event"}
    for column in CANONICAL:
        if column in df.columns and column not in renames:
            raise ValueError(
                f"column {column!r} is already in the frame but is not the one named by "
                f"{list(roles)[CANONICAL.index(column)]}; rename or drop it first"
            )

    missing_user = df[user_col].isna().to_numpy()
    if missing_user.any():
        raise ValueError(_offending(df, missing_user, "missing user id", user_col))
    if df[user_col].dtype == object:
        kinds = df[user_col].map(type)
        if kinds.nunique() > 1:
            odd = (kinds != kinds.mode().iloc[0]).to_numpy()
            raise ValueError(
                _offending(
                    df, odd, "user ids of mixed types (1 and '1' would be two users)", user_col
                )
            )
    missing_event = df[event_col].isna().to_numpy()
    if missing_event.any():
        raise ValueError(_offending(df, missing_event, "missing event name", event_col))
    timestamps = _to_utc(df[time_col], df, time_col)

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
            raise ValueError(_offending(events, missing, what, column))

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
