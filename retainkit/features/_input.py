"""A snapshot's inputs, read through the events front door (private module).

The event log and the users' ``signup_time`` are read by
:func:`retainkit.events._reader.read_log`, with the rules of ``validate_events``: strings,
naive times (wall-clock ``tz``, or UTC with a warning) and aware times, one missing-column
message, every problem at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import Problems
from retainkit.events._reader import read_log
from retainkit.features._columns import name_list


def prepare_events(events, user_col, time_col, event_col, tz=None) -> pd.DataFrame:
    """The log as columns ``user``, ``timestamp`` (UTC), ``event`` (str), sorted by user, time."""
    log = read_log(events, user_col=user_col, time_col=time_col, event_col=event_col, tz=tz)
    out = pd.DataFrame({"user": log.user.to_numpy(), "timestamp": log.time,
                        "event": log.event.astype(str).to_numpy()})
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


def read_signups(users, user_col, tz=None) -> pd.Series:
    """``users["signup_time"]`` in UTC, indexed by user id; a missing sign-up time stays NaT.

    The times are read as the event log's are (naive ones are wall-clock ``tz``); the ids
    must be present and unique.
    """
    if not isinstance(users, pd.DataFrame):
        raise ValueError(f"users must be a pandas DataFrame, got {type(users).__name__}")
    absent = [f"{c!r} ({role})" for c, role in ((user_col, "user_col"),
                                                ("signup_time", "the sign-up time"))
              if c not in users.columns]
    if absent:
        raise ValueError(f"users has no column{'s' * (len(absent) > 1)} {', '.join(absent)}; "
                         f"available columns: {list(users.columns)}")
    df = users.reset_index(drop=True)
    ids = df[user_col]
    problems = Problems()
    problems.rows(df, ids.isna(), "missing user id", user_col)
    problems.rows(df, ids.duplicated(keep=False) & ids.notna(),
                  "duplicated user id (users needs one row per user)", user_col)
    problems.raise_if_any(what="users")
    signup = pd.Series(pd.NaT, index=pd.Index(ids, name=user_col), name="signup_time",
                       dtype="datetime64[ns, UTC]")
    known = df["signup_time"].notna().to_numpy()
    if known.any():
        log = read_log(df[known], user_col=user_col, time_col="signup_time", event_col=None,
                       tz=tz, argument="users")
        signup[known] = log.time.array
    return signup


def check_visit_event(visit_event, events: pd.DataFrame) -> None:
    """The visit event must occur in ``events`` (those at or before the cutoff)."""
    if len(events) and not (events["event"] == visit_event).any():
        counts = events["event"].value_counts()
        raise ValueError(
            f"visit_event={visit_event!r} does not occur in the log at or before the cutoff, "
            f"so every visit feature would be 0; the event names there are (most frequent "
            f"first) {name_list(counts.index)}: pass the one that marks a visit (an app "
            "open or session start), as visit_event=...")


def check_event_types(event_types, past: pd.DataFrame, ev: pd.DataFrame) -> list[str]:
    """The event types of the ``share_`` columns: given ones must occur in the log, once."""
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
                  f"{name_list(sorted(ev['event'].unique()))}"] if absent else [])
                + ([f"{twice} are listed more than once"] if twice else [])))
    return event_types
