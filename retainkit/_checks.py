"""Argument checks shared by the modules: moments and durations with clear errors."""

from __future__ import annotations

import pandas as pd


def to_utc(value, name: str) -> pd.Timestamp:
    """A moment as a UTC Timestamp; strings and tz-naive values are read as UTC."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as a timestamp: {value!r}") from err
    if pd.isna(ts):
        raise ValueError(f"{name} is missing (NaT)")
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def positive_duration(value, name: str) -> pd.Timedelta:
    """A strictly positive duration such as ``"28D"`` or ``"30min"``."""
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as a duration (e.g. '28D'): {value!r}") from err
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive duration, got {value!r}")
    return td
