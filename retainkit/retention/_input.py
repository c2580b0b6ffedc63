"""Input checks and period arithmetic shared by the retention helpers (private module).

Timestamps are handled as int64 nanoseconds since 1970-01-01 UTC. A *period code* is an
integer that numbers calendar periods in UTC: days since 1970-01-01, ISO weeks (Monday
start) since the week of 1970-01-01, months since January 1970. Subtracting two codes
gives the number of calendar periods between two moments.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit._validation import to_utc

PERIODS = ("day", "week", "month")
MODES = ("on", "on_or_after")
COHORTS = ("first", "recurring")
WINDOWS = ("calendar", "rolling")

NS_PER_DAY = 86_400 * 10**9
ROLLING_DAYS = {"day": 1, "week": 7, "month": 30}
# 1970-01-01 was a Thursday, so day -3 (1969-12-29) was a Monday: shifting day numbers by 3
# makes every ISO week (Monday to Sunday) map to one integer.
_MONDAY_SHIFT = 3
_NAT = np.iinfo(np.int64).min


def check_choice(name: str, value, accepted: tuple) -> None:
    """Raise ValueError naming the argument and listing the accepted values."""
    if not isinstance(value, str) or value not in accepted:
        listed = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"{name}={value!r} is not supported; accepted values: {listed}")


def check_int(name: str, value, minimum: int) -> int:
    """An integer argument (bools refused) that must be at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def period_code(ns: np.ndarray, period: str) -> np.ndarray:
    """Calendar period code (UTC) of int64 nanosecond timestamps."""
    ns = np.asarray(ns, dtype=np.int64)
    if period == "day":
        return ns // NS_PER_DAY
    if period == "week":
        return (ns // NS_PER_DAY + _MONDAY_SHIFT) // 7
    return ns.view("M8[ns]").astype("M8[M]").view(np.int64)


def period_start(code: np.ndarray, period: str) -> pd.DatetimeIndex:
    """UTC start of each calendar period code (midnight; Monday for weeks; the 1st for months)."""
    code = np.asarray(code, dtype=np.int64)
    if period == "day":
        ns = code * NS_PER_DAY
    elif period == "week":
        ns = (code * 7 - _MONDAY_SHIFT) * NS_PER_DAY
    else:
        ns = code.view("M8[M]").astype("M8[ns]").view(np.int64)
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")


def rolling_length(period: str) -> int:
    """Length in nanoseconds of one rolling period: 24 h, 7 d or 30 d."""
    return ROLLING_DAYS[period] * NS_PER_DAY


def to_utc_ns(value, name: str) -> int:
    """A moment as int64 ns UTC; strings and tz-naive values are read as UTC."""
    return int(to_utc(value, name).as_unit("ns").value)


def format_ns(ns: int) -> str:
    return str(pd.Timestamp(ns, tz="UTC"))


@dataclass(frozen=True)
class Events:
    """An event log reduced to integer arrays.

    ``user`` holds codes ``0..n_users-1`` (not every code needs events), ``time`` int64 ns
    UTC, ``masks`` one boolean array (or None for "every event") per event selection.
    """

    user: np.ndarray
    time: np.ndarray
    n_users: int
    as_of: int
    masks: dict

    def select(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(user, time) of the events chosen by selection ``name``."""
        mask = self.masks.get(name)
        if mask is None:
            return self.user, self.time
        return self.user[mask], self.time[mask]


def read_events(
    events: pd.DataFrame,
    *,
    user_col: str,
    time_col: str,
    event_col: str,
    as_of=None,
    select: dict | None = None,
) -> Events:
    """Check an event log and reduce it to integer arrays.

    ``select`` maps an argument name (``"start_event"``) to event names (a str, an iterable
    of str, or None for every event). Events after ``as_of`` are dropped with a warning
    that counts them; ``as_of`` defaults to the last event.
    """
    select = select or {}
    if not isinstance(events, pd.DataFrame):
        raise ValueError(f"events must be a pandas DataFrame, got {type(events).__name__}")
    needed = [user_col, time_col]
    if any(names is not None for names in select.values()):
        needed.append(event_col)
    missing = [c for c in needed if c not in events.columns]
    if missing:
        raise ValueError(
            f"missing column(s) {missing} in the event log; columns present: "
            f"{list(events.columns)} (rename them or pass user_col=, time_col=, event_col=)"
        )
    if len(events) == 0:
        raise ValueError("the event log is empty")
    time = _time_ns(events[time_col], time_col)
    user, n_users = _user_codes(events[user_col], user_col)
    masks = {name: _event_mask(events[event_col], names, name, event_col)
             for name, names in select.items()}

    last = int(time.max())
    cutoff = last if as_of is None else to_utc_ns(as_of, "as_of")
    if cutoff < last:
        keep = time <= cutoff
        n_late = int((~keep).sum())
        warnings.warn(
            f"{n_late} event(s) after as_of={format_ns(cutoff)} were ignored",
            stacklevel=3,
        )
        user, time = user[keep], time[keep]
        masks = {name: None if m is None else m[keep] for name, m in masks.items()}
        if len(time) == 0:
            raise ValueError(f"as_of={format_ns(cutoff)} is before the first event")
    return Events(user=user, time=time, n_users=n_users, as_of=cutoff, masks=masks)


def _time_ns(col: pd.Series, name: str) -> np.ndarray:
    """int64 ns UTC of a datetime column; tz-naive datetimes are taken to be UTC."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        arr = col.array.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        arr = col.array  # tz-naive: UTC by the workbook's convention (as validate_events)
    else:
        raise ValueError(
            f"column {name!r} has dtype {col.dtype}, expected datetimes (datetime64[ns, UTC]); "
            "parse it first with retainkit.events.validate_events"
        )
    ns = np.asarray(arr.as_unit("ns").asi8)
    n_missing = int((ns == _NAT).sum())
    if n_missing:
        raise ValueError(f"column {name!r} has {n_missing} missing timestamp(s) (NaT)")
    return ns


def _user_codes(col: pd.Series, name: str) -> tuple[np.ndarray, int]:
    """Integer codes 0..n-1 for user ids (ids themselves when they are compact integers)."""
    values = col.to_numpy()
    if np.issubdtype(values.dtype, np.signedinteger):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 4 * len(values) + 1024:  # dense enough to index arrays directly
            return values.astype(np.int64) - lo, hi - lo + 1
    n_missing = int(col.isna().sum())
    if n_missing:
        raise ValueError(f"column {name!r} has {n_missing} missing user id(s)")
    codes, uniques = pd.factorize(col)
    return codes.astype(np.int64), len(uniques)


def _event_mask(col: pd.Series, names, arg: str, event_col: str) -> np.ndarray | None:
    """Boolean mask of the events named in ``names`` (None: every event)."""
    if names is None:
        return None
    wanted = [names] if isinstance(names, str) else list(names) if isinstance(
        names, Iterable) else [names]
    if not wanted:
        raise ValueError(f"{arg} is empty; pass an event name, a list of names, or None")
    mask = col.isin(wanted).to_numpy(dtype=bool)
    found = set(pd.unique(col[mask]))
    absent = [w for w in wanted if w not in found]
    if absent:
        present = sorted(map(str, pd.unique(col)))[:12]
        raise ValueError(
            f"{arg}={absent!r} never occurs in column {event_col!r}; "
            f"event names present include {present}"
        )
    return mask
