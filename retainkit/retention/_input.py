"""The event reader and period arithmetic shared by the retention helpers (private module).

Timestamps are handled as int64 nanoseconds since 1970-01-01 UTC; calendar periods come from
a :class:`~retainkit.retention._calendar.Calendar` in the reporting zone ``tz``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit._validation import check_choice, check_int, to_utc
from retainkit.events._reader import read_log
from retainkit.retention._calendar import NS_PER_DAY, Calendar

__all__ = ["check_choice", "check_int"]  # re-exported for the retention modules

PERIODS = ("day", "week", "month")
MODES = ("on", "on_or_after")
COHORTS = ("first", "recurring")
WINDOWS = ("calendar", "rolling")

ROLLING_DAYS = {"day": 1, "week": 7, "month": 30}


def rolling_length(period: str) -> int:
    """Length in nanoseconds of one rolling period: 24 h, 7 d or 30 d."""
    return ROLLING_DAYS[period] * NS_PER_DAY


def to_utc_ns(value, name: str, tz=None) -> int:
    """A moment as int64 ns UTC; strings and tz-naive values are wall-clock ``tz`` (or UTC)."""
    return int(to_utc(value, name, tz=tz).as_unit("ns").value)


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
    calendar: Calendar = Calendar()

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
    tz: str | None = None,
    week_start: str = "monday",
) -> Events:
    """Check an event log and reduce it to integer arrays.

    The log is read by the events front door (:func:`retainkit.events._reader.read_log`):
    naive timestamps are UTC, with a warning, as in ``validate_events`` (the reporting zone
    ``tz`` is where periods are cut, not the clock of the log: convert a wall-clock log with
    ``validate_events(df, tz=...)``); a naive ``as_of`` is a moment in the reporting zone.
    ``select`` maps an argument name (``"start_event"``) to event names (a str, an iterable
    of str, or None for every event). Events after ``as_of`` are dropped with a warning
    that counts them; ``as_of`` defaults to the last event.
    """
    calendar = Calendar(tz or "UTC", week_start)
    select = select or {}
    need_event = any(names is not None for names in select.values())
    log = read_log(events, user_col=user_col, time_col=time_col,
                   event_col=event_col if need_event else None)
    time = np.asarray(log.time_ns, dtype=np.int64)
    user, n_users = _user_codes(log.user, user_col)
    masks = {name: _event_mask(log.event, names, name, event_col)
             for name, names in select.items()}

    last = int(time.max())
    cutoff = last if as_of is None else to_utc_ns(as_of, "as_of", tz=tz)
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
    return Events(user=user, time=time, n_users=n_users, as_of=cutoff, masks=masks,
                  calendar=calendar)


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
