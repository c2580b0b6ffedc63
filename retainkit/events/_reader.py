"""The one reader of event logs that every topic uses (private; the front door's back room).

``validate_events`` is for you: it returns a clean, sorted, de-duplicated copy. Helpers that
take events (retention tables, survival durations, snapshots, sessions, experiments) do not
need a copy, only the columns they use, read with exactly the same rules. :func:`read_log`
gives them that: one missing-column message that names the argument and lists the columns,
the same timestamp parsing (strings, naive times in ``tz`` or UTC with a warning, aware times,
DST), and every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit._validation import Problems, check_zone
from retainkit.events._timestamps import parse_times


@dataclass(frozen=True)
class Log:
    """The columns of an event log a helper needs, positionally aligned with its rows."""

    user: pd.Series  # user ids as given (index reset)
    time: pd.Series  # datetime64[ns, UTC] (index reset)
    event: pd.Series | None  # event names (index reset), None when not asked for

    @property
    def time_ns(self) -> np.ndarray:
        """Timestamps as int64 nanoseconds since 1970-01-01 UTC."""
        return self.time.array.asi8

    def frame(self, user_col: str = "user_id", time_col: str = "timestamp",
              event_col: str = "event") -> pd.DataFrame:
        """The columns read, as a new frame under the given names."""
        cols = {user_col: self.user, time_col: self.time}
        if self.event is not None:
            cols[event_col] = self.event
        return pd.DataFrame(cols)


def read_log(
    events,
    *,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str | None = "event",
    tz=None,
    argument: str = "events",
) -> Log:
    """Read the user, time and (if ``event_col`` is not None) event columns of ``events``.

    Raises one ``ValueError`` for everything wrong: missing columns (named with the argument
    that asked for them, the available columns listed), missing user ids, missing event names,
    and every timestamp problem of :func:`retainkit.events.validate_events`.
    """
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"{argument} must be a pandas DataFrame, got {type(events).__name__}")
    check_zone(tz)
    roles = {"user_col": user_col, "time_col": time_col}
    if event_col is not None:
        roles["event_col"] = event_col
    absent = [f"{column!r} ({arg})" for arg, column in roles.items()
              if column not in events.columns]
    if absent:
        raise ValueError(
            f"{argument} has no column{'s' * (len(absent) > 1)} {', '.join(absent)}; available "
            f"columns: {list(events.columns)} (rename them or pass "
            + ", ".join(f"{arg}=" for arg in roles) + ")"
        )
    if len(events) == 0:
        raise ValueError(f"{argument} is empty (0 rows)")
    problems = Problems()
    df = events[list(dict.fromkeys(roles.values()))].reset_index(drop=True)  # only what is read
    problems.rows(df, df[user_col].isna(), "missing user id", user_col)
    if event_col is not None:
        problems.rows(df, df[event_col].isna(), "missing event name", event_col)
    times = parse_times(df[time_col], df, time_col, problems, tz=tz)
    problems.raise_if_any(what=argument)
    return Log(
        user=df[user_col],
        time=pd.Series(times.array, name=time_col),
        event=None if event_col is None else df[event_col],
    )
