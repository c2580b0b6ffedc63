"""``validate_events``: an event log checked and brought into the canonical shape (private)."""

from __future__ import annotations

import warnings

import pandas as pd

from retainkit._validation import Problems, check_zone
from retainkit.events._timestamps import AMBIGUOUS, CANONICAL, NONEXISTENT, parse_times


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
    check_zone(tz)
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
    timestamps = parse_times(df[time_col], df, time_col, problems, tz=tz, format=format,
                         nonexistent=nonexistent, ambiguous=ambiguous, warn_unused_tz=True)
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
