"""Calendar periods in a reporting time zone, as the analytics tools compute them (private).

Amplitude, Mixpanel and PostHog cut days, weeks and months at the *project's* local midnight.
A :class:`Calendar` does the same for int64 nanosecond UTC timestamps: a moment's local
wall-clock time is its UTC time plus the zone's offset at that moment (DST included), and the
period code is computed on that wall-clock time, so a local day may last 23 or 25 hours. A
*period code* numbers periods: days since 1970-01-01, weeks since the week of 1970-01-01
(starting Monday or Sunday), months since January 1970. Subtracting two codes gives the
number of calendar periods between two moments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit._validation import check_choice, check_zone

NS_PER_DAY = 86_400 * 10**9
WEEK_STARTS = ("monday", "sunday")
# 1970-01-01 was a Thursday: day -3 (1969-12-29) was a Monday and day -4 a Sunday, so
# shifting day numbers by 3 (or 4) makes every Monday- (or Sunday-) week map to one integer.
_WEEK_SHIFT = {"monday": 3, "sunday": 4}


@dataclass(frozen=True)
class Calendar:
    """Day, week and month boundaries at local midnight in ``tz``; weeks start ``week_start``."""

    tz: str = "UTC"
    week_start: str = "monday"

    def __post_init__(self):
        check_choice("week_start", self.week_start, WEEK_STARTS)
        check_zone(self.tz)

    @property
    def is_utc(self) -> bool:
        return str(self.tz) == "UTC"

    def local_ns(self, ns) -> np.ndarray:
        """Wall-clock time in ``tz`` of UTC instants, as int64 ns on a naive clock."""
        ns = np.asarray(ns, dtype=np.int64)
        if self.is_utc:
            return ns
        utc = pd.DatetimeIndex(ns.ravel().view("M8[ns]")).tz_localize("UTC")
        return utc.tz_convert(self.tz).tz_localize(None).asi8.reshape(ns.shape)

    def code(self, ns, period: str) -> np.ndarray:
        """Calendar period code of UTC int64 ns timestamps (local periods in ``tz``)."""
        local = self.local_ns(ns)
        if period == "day":
            return local // NS_PER_DAY
        if period == "week":
            return (local // NS_PER_DAY + _WEEK_SHIFT[self.week_start]) // 7
        return local.view("M8[ns]").astype("M8[M]").view(np.int64)

    def start(self, code, period: str) -> pd.DatetimeIndex:
        """Local midnight opening each period code, tz-aware in ``tz`` (the cohort label)."""
        code = np.asarray(code, dtype=np.int64)
        if period == "day":
            ns = code * NS_PER_DAY
        elif period == "week":
            ns = (code * 7 - _WEEK_SHIFT[self.week_start]) * NS_PER_DAY
        else:
            ns = code.view("M8[M]").astype("M8[ns]").view(np.int64)
        # A zone that skips midnight (a DST change at 00:00) opens the day at the first
        # valid instant; a repeated midnight is taken at its first occurrence.
        return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize(
            self.tz, ambiguous=np.ones(len(ns), dtype=bool), nonexistent="shift_forward"
        )

    def start_ns(self, code, period: str) -> np.ndarray:
        """UTC int64 ns of the moment each period starts."""
        return self.start(code, period).tz_convert("UTC").asi8


UTC_CALENDAR = Calendar()
