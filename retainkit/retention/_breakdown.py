"""Breakdowns (``by=``): one block of a result per segment, as the analytics tools offer.

A segment is either a user property (a Series indexed by user id, e.g. ``users["platform"]``)
or a column of the event log, in which case each user's segment is the value on their first
event (the property "at sign-up"; Amplitude and Mixpanel segment by a property's value at the
start event too). A user belongs to exactly one segment, so cohort sizes are per segment and
add up to the unsegmented ones.
"""

from __future__ import annotations

import pandas as pd

from retainkit._validation import offending
from retainkit.events._reader import read_log

MAX_SEGMENTS = 50


def user_segments(events: pd.DataFrame, by, user_col: str, time_col: str) -> pd.Series:
    """The segment of every user of ``events``, indexed by user id, named after ``by``."""
    if isinstance(by, pd.Series):
        name = by.name if by.name is not None else "segment"
        users = pd.Index(pd.unique(events[user_col]))
        missing = users.difference(by.index)
        if len(missing):
            raise ValueError(
                f"by: {len(missing)} user(s) of the event log have no value in the Series "
                f"{name!r} (first {list(missing[:5])}); every user needs a segment"
            )
        segment = by.reindex(users)
    elif isinstance(by, str):
        if by not in events.columns:
            raise ValueError(f"by={by!r} is not a column of events; available columns: "
                             f"{list(events.columns)}")
        log = read_log(events, user_col=user_col, time_col=time_col, event_col=None)
        first = (pd.DataFrame({"user": log.user, "time": log.time, "value": events[by].array})
                 .sort_values(["user", "time"], kind="mergesort").groupby("user").head(1))
        segment, name = first.set_index("user")["value"], by
    else:
        raise ValueError("by must be an events column name or a pandas Series of a user "
                         f"property indexed by user id, got {type(by).__name__}")
    if segment.isna().any():
        frame = segment.rename(name).to_frame()
        raise ValueError(offending(frame, segment.isna().to_numpy(), "missing segment value",
                                   str(name)) + "\nFill them (e.g. with 'unknown') first.")
    if segment.nunique() > MAX_SEGMENTS:
        raise ValueError(f"by={name!r} has {segment.nunique()} distinct values; a breakdown "
                         f"takes at most {MAX_SEGMENTS} (group the rare ones first)")
    return segment.rename(name)


def by_segment(func, events: pd.DataFrame, by, **kwargs):
    """``func(events of segment s, **kwargs)`` for every segment, stacked under a new level."""
    user_col, time_col = kwargs.get("user_col", "user_id"), kwargs.get("time_col", "timestamp")
    segment = user_segments(events, by, user_col, time_col)
    # Every segment is seen as of the same moment (and from the same first day), not as of its
    # own last event: otherwise a small segment's last period would be cut short.
    log = read_log(events, user_col=user_col, time_col=time_col, event_col=None)
    if kwargs.get("as_of") is None:
        kwargs["as_of"] = log.time.max()
    if "observed_from" in kwargs and kwargs["observed_from"] is None:
        kwargs["observed_from"] = log.time.min().tz_convert(kwargs.get("tz") or "UTC").normalize()
    of_row = events[user_col].map(segment)
    parts = {value: func(events[(of_row == value).to_numpy()], **kwargs)
             for value in sorted(segment.unique(), key=str)}
    stacked = pd.concat(parts, names=[segment.name])
    first = next(iter(parts.values()))
    stacked.attrs = dict(first.attrs)
    if isinstance(first.attrs.get("retainkit"), dict):
        stacked.attrs["retainkit"] = dict(first.attrs["retainkit"], by=str(segment.name))
    return stacked
