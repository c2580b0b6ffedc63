"""Cohort rows and their activity periods, vectorised (private module of retainkit.retention).

A *row* is one member of one cohort: a user (``cohort="first"``, one row per user) or a
(user, calendar period with a start event) pair (``cohort="recurring"``). Each row has a start
moment: the first start event of the user, or of the user in that period. For every row the
question is in which periods ``k >= 1`` after its start the user was *active*: had at least
``min_occurrences`` return events in period ``k``. Period ``k`` is

- ``window="calendar"``: the k-th calendar period (in the reporting zone) after the one
  holding the start;
- ``window="rolling"``: ``[start + k L, start + (k + 1) L)`` with ``L`` = 24 h, 7 d or 30 d.

Returns in period 0 (the cohort's own period) never count for ``k >= 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit.retention._input import Events, rolling_length

_NO_TIME = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Cohorts:
    """Cohorts in time order and the cohort of every row."""

    labels: pd.DatetimeIndex  # UTC start of each cohort's calendar period
    size: np.ndarray  # rows per cohort
    last_complete: np.ndarray  # last period k that has fully elapsed for every row (-1: none)
    row_cohort: np.ndarray  # position of each row's cohort in ``labels``


class Activity:
    """Rows of a retention analysis and the periods in which each row was active."""

    def __init__(self, ev: Events, *, period, window, cohort, min_occurrences):
        self.period, self.window, self.cohort = period, window, cohort
        self.min_occurrences = min_occurrences
        self.as_of = ev.as_of
        self.calendar = ev.calendar
        start_user, start_time = ev.select("start_event")
        if len(start_time) == 0:
            raise ValueError("no start events at or before as_of: every cohort would be empty")
        self._ret_user, self._ret_time = ev.select("return_event")
        self._n_users = ev.n_users
        if cohort == "first":
            first = np.full(ev.n_users, _NO_TIME)
            np.minimum.at(first, start_user, start_time)
            self.row_user = np.flatnonzero(first != _NO_TIME)
            self.row_start = first[self.row_user]
        else:
            self.row_user, self.row_start = _first_start_per_period(start_user, start_time,
                                                                    self.calendar.code(start_time, period))
        self.row_code = self.calendar.code(self.row_start, period)
        self.cohorts = self._cohorts()
        self._prepare_returns()

    # ----------------------------------------------------------------------------------
    def _cohorts(self) -> Cohorts:
        codes, row_cohort = np.unique(self.row_code, return_inverse=True)
        size = np.bincount(row_cohort, minlength=len(codes))
        if self.window == "calendar":
            # period k of cohort c ends where calendar period c + k + 1 starts
            last = self.calendar.code(np.array([self.as_of]), self.period)[0] - codes - 1
        else:
            latest = np.full(len(codes), np.iinfo(np.int64).min)
            np.maximum.at(latest, row_cohort, self.row_start)
            last = (self.as_of - latest) // rolling_length(self.period) - 1
        return Cohorts(
            labels=self.calendar.start(codes, self.period),
            size=size,
            last_complete=np.maximum(last, -1),
            row_cohort=row_cohort,
        )

    def _prepare_returns(self) -> None:
        """Per-path preprocessing of the return events."""
        user, time = self._ret_user, self._ret_time
        if self.cohort == "first":
            row_of_user = np.full(self._n_users, -1)
            row_of_user[self.row_user] = np.arange(len(self.row_user))
            row = row_of_user[user]
            known = row >= 0
            row, time = row[known], time[known]
            k = self._offset(time, row)
            later = k >= 1
            self._ev_row, self._ev_k = row[later], k[later]
        elif self.window == "calendar":
            self._prepare_recurring_calendar(user, time)
        else:
            order = np.lexsort((time, user))
            self._ret_user, self._ret_time = user[order], time[order]

    def _offset(self, time: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Period index of events at ``time`` relative to the start of ``row``."""
        if self.window == "calendar":
            return self.calendar.code(time, self.period) - self.row_code[row]
        return (time - self.row_start[row]) // rolling_length(self.period)

    # ----------------------------------------------------------------------------------
    def pairs(self, kmax: int) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (row, k) with ``1 <= k <= kmax`` where the row was active in period k."""
        if kmax < 1:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if self.cohort == "first":
            keep = self._ev_k <= kmax
            return _distinct_pairs(self._ev_row[keep], self._ev_k[keep], len(self.row_user),
                                   kmax, self.min_occurrences)
        if self.window == "calendar":
            return self._pairs_recurring_calendar(kmax)
        return self._pairs_recurring_rolling(kmax)

    def last_active(self) -> np.ndarray:
        """Per row, the last period ``k >= 1`` (up to as_of) with activity; 0 when none."""
        if self.cohort == "first":
            if self.min_occurrences == 1:  # every return counts: no need to pair them up
                last = np.zeros(len(self.row_user), np.int64)
                np.maximum.at(last, self._ev_row, self._ev_k)
                return last
            return self._last_of_pairs(int(self._ev_k.max()) if len(self._ev_k) else 0)
        if self.window == "calendar":
            return self._last_recurring_calendar()
        if self.min_occurrences == 1:
            return self._last_recurring_rolling()
        return self._last_of_pairs(self._kmax_rolling())

    def _last_of_pairs(self, kmax: int) -> np.ndarray:
        last = np.zeros(len(self.row_user), np.int64)
        row, k = self.pairs(kmax)
        np.maximum.at(last, row, k)
        return last

    # ---- recurring cohorts, calendar window: activity on a shared period grid --------------
    def _prepare_recurring_calendar(self, user, time) -> None:
        ret_code = self.calendar.code(time, self.period)
        lo = min(int(self.row_code.min()), int(ret_code.min()) if len(ret_code) else 0)
        hi = max(int(self.row_code.max()), int(ret_code.max()) if len(ret_code) else 0)
        self._span = hi - lo + 1
        self._base = lo
        self._stride = 2 * self._span + 2  # key = user * stride + (code - base); no overlap
        keys = user * self._stride + (ret_code - lo)
        self._active = _distinct_keys(keys, self._n_users * self._stride, self.min_occurrences)
        self._row_key = self.row_user * self._stride + (self.row_code - lo)

    def _pairs_recurring_calendar(self, kmax):
        kmax = min(kmax, self._span)
        lo = np.searchsorted(self._active, self._row_key + 1)
        hi = np.searchsorted(self._active, self._row_key + kmax + 1)
        row, idx = _expand(lo, hi)
        return row, self._active[idx] - self._row_key[row]

    def _last_recurring_calendar(self):
        last = np.zeros(len(self.row_user), np.int64)
        if len(self._active) == 0:
            return last
        users = self._active // self._stride
        ends = np.flatnonzero(np.r_[users[1:] != users[:-1], True])
        last_key = np.full(self._n_users, -1)
        last_key[users[ends]] = self._active[ends]
        k = last_key[self.row_user] - self._row_key
        return np.maximum(k, 0)

    # ---- recurring cohorts, rolling window: windows depend on each row's start -------------
    def _kmax_rolling(self) -> int:
        if len(self._ret_time) == 0:
            return 1
        span = int(self._ret_time.max()) - int(self.row_start.min())
        return max(span // rolling_length(self.period), 1)

    def _pairs_recurring_rolling(self, kmax):
        length = rolling_length(self.period)
        kmax = min(kmax, self._kmax_rolling())
        lo = _first_at_or_after(self._ret_user, self._ret_time, self.row_user,
                                self.row_start + length)
        hi = _first_at_or_after(self._ret_user, self._ret_time, self.row_user,
                                self.row_start + (kmax + 1) * length)
        row, idx = _expand(lo, hi)
        k = (self._ret_time[idx] - self.row_start[row]) // length
        return _distinct_pairs(row, k, len(self.row_user), kmax, self.min_occurrences)


    def _last_recurring_rolling(self):
        """Any return counts (min_occurrences 1): the user's last return gives the last k."""
        k = np.zeros(len(self.row_user), np.int64)
        if len(self._ret_time) == 0:
            return k
        last_time = np.full(self._n_users, np.iinfo(np.int64).min)
        np.maximum.at(last_time, self._ret_user, self._ret_time)
        last_time = last_time[self.row_user]
        seen = last_time >= self.row_start
        k[seen] = (last_time[seen] - self.row_start[seen]) // rolling_length(self.period)
        return k


# ---- array helpers -------------------------------------------------------------------------
def _first_start_per_period(user, time, code):
    """Recurring cohorts: one row per (user, calendar period with a start), at its first start."""
    order = np.lexsort((time, code, user))
    u, c = user[order], code[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (c[1:] != c[:-1])]
    return u[first], time[order][first]


def _distinct_keys(keys: np.ndarray, n_keys: int, min_count: int) -> np.ndarray:
    """Sorted distinct values of ``keys`` (in ``[0, n_keys)``) occurring >= min_count times."""
    if min_count == 1 and n_keys <= 8 * len(keys) + (1 << 22):
        seen = np.zeros(n_keys, dtype=bool)  # a bitmap beats sorting when it is this small
        seen[keys] = True
        return np.flatnonzero(seen)
    if min_count > 1 and n_keys <= len(keys) + (1 << 22):
        return np.flatnonzero(np.bincount(keys, minlength=n_keys) >= min_count)
    values, counts = np.unique(keys, return_counts=True)
    return values[counts >= min_count]


def _distinct_pairs(row, k, n_rows, kmax, min_count):
    """Distinct (row, k), 1 <= k <= kmax, seen at least ``min_count`` times."""
    keys = _distinct_keys(row * kmax + (k - 1), n_rows * kmax, min_count)
    return keys // kmax, keys % kmax + 1


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[lo[i], hi[i])``: (i, j) for every j in range i, without a Python loop."""
    lengths = np.maximum(hi - lo, 0)
    row = np.repeat(np.arange(len(lo)), lengths)
    first = np.cumsum(lengths) - lengths
    idx = np.arange(int(lengths.sum())) - np.repeat(first - lo, lengths)
    return row, idx


def _first_at_or_after(data_user, data_time, q_user, q_time) -> np.ndarray:
    """Index of the first (user, time) >= (q_user, q_time) in data sorted by (user, time).

    A segmented searchsorted: queries and data are sorted together (queries first on ties),
    and the number of data points before each query is its answer.
    """
    n = len(data_user)
    user = np.concatenate([data_user, q_user])
    time = np.concatenate([data_time, q_time])
    is_data = np.concatenate([np.ones(n, np.int8), np.zeros(len(q_user), np.int8)])
    order = np.lexsort((is_data, time, user))
    data_sorted = is_data[order].astype(np.int64)
    before = np.cumsum(data_sorted) - data_sorted
    result = np.empty(len(q_user), np.int64)
    queries = data_sorted == 0
    result[order[queries] - n] = before[queries]
    return result
