"""Tests for retainkit.retention and its plots.

Oracles: tables computed by hand (written out literally below, with the reasoning in
comments), an independent brute-force implementation that walks users one by one with
pandas Timestamps (no integer period codes), brute-force sets for active users, and
statsmodels for the Wilson interval.
"""

from __future__ import annotations

import warnings
from collections import Counter

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retainkit.retention import (
    active_users,
    bracket_retention,
    churn_rate,
    lifecycle,
    retention_curve,
    retention_table,
    stickiness,
    wilson_interval,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAN = np.nan


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def log(rows) -> pd.DataFrame:
    """Event log from (user, time[, event]) tuples."""
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "timestamp": pd.DatetimeIndex([utc(r[1]) for r in rows]),
            "event": [r[2] if len(r) > 2 else "visit" for r in rows],
        }
    )


def expected(rows, period="day") -> pd.DataFrame:
    """Expected table from rows (cohort date, cohort size, value for k = 0, 1, ...)."""
    n = len(rows[0]) - 2
    frame = pd.DataFrame(
        [r[2:] for r in rows],
        index=pd.Index([utc(r[0]) for r in rows], name="cohort"),
        columns=list(range(n)),
        dtype=float,
    )
    frame.insert(0, "cohort_size", np.array([r[1] for r in rows], dtype=np.int64))
    return frame


def check(table, want):
    pd.testing.assert_frame_equal(table, want, check_freq=False, atol=1e-12)


# ---- the hand-made log -------------------------------------------------------------------
# A signs up Jan 1 10:00; B at 23:00 the same night (the late-night sign-up); C on Jan 2,
# D on Jan 3. Data taken at as_of = Jan 6 00:00, so Jan 1..5 are complete days.
TINY = log(
    [
        ("A", "2024-01-01 10:00"), ("A", "2024-01-02 09:00"), ("A", "2024-01-04 12:00"),
        ("B", "2024-01-01 23:00"), ("B", "2024-01-02 08:00"), ("B", "2024-01-03 22:00"),
        ("C", "2024-01-02 12:00"), ("C", "2024-01-02 18:00"), ("C", "2024-01-05 08:00"),
        ("D", "2024-01-03 12:00"),
    ]
)
AS_OF = "2024-01-06"

# Calendar days since the first day: A {1, 3}, B {1, 2}, C {3}, D {}.
# Columns run to day 4, the last complete day of the Jan 1 cohort (Jan 5). The Jan 2
# cohort's day 4 is Jan 6 (unfinished) -> NaN; the Jan 3 cohort's days 3, 4 -> NaN.
FIRST_CALENDAR = {
    "on": [
        ("2024-01-01", 2, 1, 1, 0.5, 0.5, 0),  # day 4 complete, nobody came: 0, not NaN
        ("2024-01-02", 1, 1, 0, 0, 1, NAN),
        ("2024-01-03", 1, 1, 0, 0, NAN, NAN),
    ],
    "on_or_after": [  # last active day: A 3, B 2, C 3, D none
        ("2024-01-01", 2, 1, 1, 1, 0.5, 0),
        ("2024-01-02", 1, 1, 1, 1, 1, NAN),
        ("2024-01-03", 1, 1, 0, 0, NAN, NAN),
    ],
}
# Rolling 24 h windows from each sign-up: A (10:00) returns after 23 h (day 0!) and 74 h
# (day 3); B (23:00) after 9 h (day 0) and 47 h (day 1); C after 6 h (day 0) and 68 h
# (day 2). The Jan 1 cohort's latest member is B: day k ends Jan 1 23:00 + (k+1) * 24 h, so
# day 3 (ends Jan 5 23:00) is its last complete day. C's day 2 ends Jan 5 12:00 (complete),
# day 3 would end Jan 6 12:00 (NaN). D's day 1 ends Jan 5 12:00, day 2 Jan 6 12:00 (NaN).
FIRST_ROLLING = {
    "on": [
        ("2024-01-01", 2, 1, 0.5, 0, 0.5),  # calendar says day-1 = 100 %, rolling 50 %
        ("2024-01-02", 1, 1, 0, 1, NAN),
        ("2024-01-03", 1, 1, 0, NAN, NAN),
    ],
    "on_or_after": [  # last active: A 3, B 1, C 2
        ("2024-01-01", 2, 1, 1, 0.5, 0.5),
        ("2024-01-02", 1, 1, 1, 1, NAN),
        ("2024-01-03", 1, 1, 0, NAN, NAN),
    ],
}
# Recurring calendar: a row for every (user, day with an event). Jan 1: A, B; Jan 2: A, B,
# C; Jan 3: B, D; Jan 4: A; Jan 5: C. Jan 2 cohort: A next Jan 4 (k 2), B Jan 3 (k 1), C
# Jan 5 (k 3).
RECURRING_CALENDAR = {
    "on": [
        ("2024-01-01", 2, 1, 1, 0.5, 0.5, 0),
        ("2024-01-02", 3, 1, 1 / 3, 1 / 3, 1 / 3, NAN),
        ("2024-01-03", 2, 1, 0, 0, NAN, NAN),
        ("2024-01-04", 1, 1, 0, NAN, NAN, NAN),
        ("2024-01-05", 1, 1, NAN, NAN, NAN, NAN),
    ],
    "on_or_after": [
        ("2024-01-01", 2, 1, 1, 1, 0.5, 0),
        ("2024-01-02", 3, 1, 1, 2 / 3, 1 / 3, NAN),
        ("2024-01-03", 2, 1, 0, 0, NAN, NAN),
        ("2024-01-04", 1, 1, 0, NAN, NAN, NAN),
        ("2024-01-05", 1, 1, NAN, NAN, NAN, NAN),
    ],
}
# Recurring rolling: each row starts at the user's first event of that day. Jan 2 rows:
# A 09:00 -> Jan 4 12:00 is 51 h (k 2); B 08:00 -> Jan 3 22:00 is 38 h (k 1); C 12:00 ->
# Jan 5 08:00 is 68 h (k 2). Latest starts: Jan 1 23:00, Jan 2 12:00, Jan 3 22:00 (B),
# Jan 4 12:00, Jan 5 08:00, so the last complete k is 3, 2, 1, 0 and -1 (column 0 stays 1).
RECURRING_ROLLING = {
    "on": [
        ("2024-01-01", 2, 1, 0.5, 0, 0.5),
        ("2024-01-02", 3, 1, 1 / 3, 2 / 3, NAN),
        ("2024-01-03", 2, 1, 0, NAN, NAN),
        ("2024-01-04", 1, 1, NAN, NAN, NAN),
        ("2024-01-05", 1, 1, NAN, NAN, NAN),
    ],
    "on_or_after": [
        ("2024-01-01", 2, 1, 1, 0.5, 0.5),
        ("2024-01-02", 3, 1, 1, 2 / 3, NAN),
        ("2024-01-03", 2, 1, 0, NAN, NAN),
        ("2024-01-04", 1, 1, NAN, NAN, NAN),
        ("2024-01-05", 1, 1, NAN, NAN, NAN),
    ],
}
HAND_TABLES = {
    ("first", "calendar"): FIRST_CALENDAR,
    ("first", "rolling"): FIRST_ROLLING,
    ("recurring", "calendar"): RECURRING_CALENDAR,
    ("recurring", "rolling"): RECURRING_ROLLING,
}


@pytest.mark.parametrize("cohort", ["first", "recurring"])
@pytest.mark.parametrize("window", ["calendar", "rolling"])
@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_hand_computed_tables(cohort, window, mode):
    table = retention_table(TINY, mode=mode, cohort=cohort, window=window, as_of=AS_OF)
    check(table, expected(HAND_TABLES[cohort, window][mode]))


def test_counts_instead_of_rates():
    table = retention_table(TINY, cohort="recurring", as_of=AS_OF, rates=False)
    want = expected(
        [
            ("2024-01-01", 2, 2, 2, 1, 1, 0),
            ("2024-01-02", 3, 3, 1, 1, 1, NAN),
            ("2024-01-03", 2, 2, 0, 0, NAN, NAN),
            ("2024-01-04", 1, 1, 0, NAN, NAN, NAN),
            ("2024-01-05", 1, 1, NAN, NAN, NAN, NAN),
        ]
    )
    check(table, want)


def test_default_as_of_is_last_event_so_its_day_is_incomplete():
    # last event Jan 5 08:00: Jan 5 has not finished, so the Jan 1 cohort ends at day 3,
    # and every cell landing on Jan 5 is NaN
    table = retention_table(TINY)
    check(table, expected([
        ("2024-01-01", 2, 1, 1, 0.5, 0.5),
        ("2024-01-02", 1, 1, 0, 0, NAN),
        ("2024-01-03", 1, 1, 0, NAN, NAN),
    ]))


def test_as_of_accepts_strings_naive_and_other_time_zones():
    want = retention_table(TINY, as_of=utc("2024-01-06"))
    for as_of in ["2024-01-06", "2024-01-06T01:00+01:00", pd.Timestamp("2024-01-06"),
                  pd.Timestamp("2024-01-05 19:00", tz="America/New_York")]:
        check(retention_table(TINY, as_of=as_of), want)


def test_events_after_as_of_are_ignored_with_a_count():
    with pytest.warns(UserWarning, match="2 event"):
        table = retention_table(TINY, as_of="2024-01-04 00:00")
    # A's Jan 4 12:00 and C's Jan 5 08:00 are unseen; Jan 1..3 complete.
    check(table, expected([
        ("2024-01-01", 2, 1, 1, 0.5),
        ("2024-01-02", 1, 1, 0, NAN),
        ("2024-01-03", 1, 1, NAN, NAN),
    ]))


def test_max_periods_cuts_or_pads_with_nan():
    short = retention_table(TINY, as_of=AS_OF, max_periods=2)
    assert list(short.columns) == ["cohort_size", 0, 1, 2]
    long = retention_table(TINY, as_of=AS_OF, max_periods=6)
    assert list(long.columns) == ["cohort_size", *range(7)]
    assert long[[5, 6]].isna().all().all()
    check(long.iloc[:, :6], expected(FIRST_CALENDAR["on"]))


def test_rolling_boundaries_are_exact():
    # day k of a rolling window is [start + k * 24 h, start + (k + 1) * 24 h)
    events = log([("u", "2024-03-10 15:00:00"), ("u", "2024-03-11 14:59:59"),
                  ("v", "2024-03-10 15:00:00"), ("v", "2024-03-11 15:00:00")])
    table = retention_table(events, window="rolling", as_of="2024-03-12 15:00")
    check(table, expected([("2024-03-10", 2, 1, 0.5)]))
    # ... and day 1 of this cohort ends at 15:00 on the 12th: one second earlier it is NaN
    early = retention_table(events, window="rolling", as_of="2024-03-12 14:59:59")
    check(early, expected([("2024-03-10", 2, 1)]))
    recurring = retention_table(events, window="rolling", cohort="recurring",
                                as_of="2024-03-12 15:00")
    check(recurring, expected([("2024-03-10", 2, 1, 0.5), ("2024-03-11", 2, 1, NAN)]))


def test_late_night_signup_calendar_vs_rolling_day_one():
    # Signs up at 23:30 and comes back at 07:30 the next morning, then never again.
    events = log([("u", "2024-03-10 23:30"), ("u", "2024-03-11 07:30")])
    calendar = retention_table(events, as_of="2024-03-13")
    rolling = retention_table(events, window="rolling", as_of="2024-03-13")
    assert calendar.loc[utc("2024-03-10"), 1] == 1.0  # a different calendar day
    assert rolling.loc[utc("2024-03-10"), 1] == 0.0  # only 8 h later: still day 0


def test_weeks_start_on_monday_and_months_are_calendar_months():
    # 2024-01-07 is a Sunday. Sunday 23:00 -> Monday 01:00 is the next ISO week on the
    # calendar but the same 7-day rolling week.
    events = log([("s", "2024-01-07 23:00"), ("s", "2024-01-08 01:00")])
    weekly = retention_table(events, period="week", as_of="2024-01-29")
    check(weekly, expected([("2024-01-01", 1, 1, 1, 0, 0)]))  # cohort = Monday Jan 1
    rolling = retention_table(events, period="week", window="rolling", as_of="2024-01-29")
    # rolling weeks end Jan 14 23:00, Jan 21 23:00, Jan 28 23:00: columns 0..2
    check(rolling, expected([("2024-01-01", 1, 1, 0, 0)]))
    # Jan 31 -> Feb 1: next calendar month; 30-day rolling month: still month 0
    events = log([("m", "2024-01-31 12:00"), ("m", "2024-02-01 12:00")])
    monthly = retention_table(events, period="month", as_of="2024-03-01")
    check(monthly, expected([("2024-01-01", 1, 1, 1)]))
    rolling = retention_table(events, period="month", window="rolling", as_of="2024-03-31")
    # month 0 = [Jan 31 12:00, Mar 1 12:00), month 1 ends Mar 31 12:00 > as_of
    check(rolling, expected([("2024-01-01", 1, 1)]))


def test_start_and_return_event_filters():
    events = log(
        [
            ("a", "2024-05-01 09:00", "view"),  # before sign-up: no cohort from this
            ("a", "2024-05-02 09:00", "signup"),
            ("a", "2024-05-03 09:00", "view"),  # not a return: only purchases count
            ("a", "2024-05-04 09:00", "purchase"),
            ("b", "2024-05-02 10:00", "signup"),
            ("b", "2024-05-03 10:00", "purchase"),
            ("c", "2024-05-03 10:00", "view"),  # never signs up: in no cohort
        ]
    )
    table = retention_table(events, start_event="signup", return_event="purchase",
                            as_of="2024-05-05")
    check(table, expected([("2024-05-02", 2, 1, 0.5, 0.5)]))
    # Without filters a's first event (May 1) defines the cohort.
    plain = retention_table(events, as_of="2024-05-05")
    check(plain, expected([
        ("2024-05-01", 1, 1, 1, 1, 1),
        ("2024-05-02", 1, 1, 1, 0, NAN),
        ("2024-05-03", 1, 1, 0, NAN, NAN),
    ]))
    both = retention_table(events, start_event="signup", return_event=["purchase", "view"],
                           as_of="2024-05-05")
    check(both, expected([("2024-05-02", 2, 1, 1, 0.5)]))


def test_min_occurrences():
    events = log(
        [
            ("a", "2024-02-01 08:00"),
            ("a", "2024-02-02 08:00"),  # one event on day 1
            ("a", "2024-02-03 08:00"), ("a", "2024-02-03 09:00"),  # two on day 2
            ("b", "2024-02-01 08:00"),
            ("b", "2024-02-02 08:00"), ("b", "2024-02-02 20:00"),  # two on day 1
        ]
    )
    on = retention_table(events, min_occurrences=2, as_of="2024-02-04")
    check(on, expected([("2024-02-01", 2, 1, 0.5, 0.5)]))
    after = retention_table(events, mode="on_or_after", min_occurrences=2, as_of="2024-02-04")
    check(after, expected([("2024-02-01", 2, 1, 1, 0.5)]))
    three = retention_table(events, min_occurrences=3, as_of="2024-02-04")
    check(three, expected([("2024-02-01", 2, 1, 0, 0)]))  # complete zeros, not NaN


def test_bracket_retention_by_hand():
    # Calendar days since sign-up: A {1, 3}, B {1, 2}, C {3}, D {}; brackets 1, 2-3, 4-5.
    table = bracket_retention(TINY, [(1, 1), (2, 3), (4, 5)], as_of=AS_OF)
    want = pd.DataFrame(
        {"cohort_size": np.array([2, 1, 1], dtype=np.int64), "1": [1.0, 0.0, 0.0],
         "2-3": [1.0, 1.0, NAN], "4-5": [NAN, NAN, NAN]},
        index=pd.Index([utc("2024-01-01"), utc("2024-01-02"), utc("2024-01-03")],
                       name="cohort"),
    )
    check(table, want)
    with pytest.raises(ValueError, match="1 <= a <= b"):
        bracket_retention(TINY, [(0, 2)])
    with pytest.raises(ValueError, match="1 <= a <= b"):
        bracket_retention(TINY, [(3, 2)])
    with pytest.raises(ValueError, match="integers"):
        bracket_retention(TINY, [(1, 2.5)])


# ---- retention curve ---------------------------------------------------------------------
def test_retention_curve_weights_complete_cells_only():
    table = retention_table(TINY, as_of=AS_OF)  # FIRST_CALENDAR["on"]
    curve = retention_curve(table)
    # day 1: (2 + 0 + 0) / (2 + 1 + 1); day 3: (1 + 1) / (2 + 1), Jan 3 is NaN there
    # day 4: 0 / 2, only the Jan 1 cohort is complete
    np.testing.assert_allclose(curve["retention"], [1, 0.5, 0.25, 2 / 3, 0])
    np.testing.assert_array_equal(curve["users"], [4, 4, 4, 3, 2])
    np.testing.assert_array_equal(curve["cohorts"], [3, 3, 3, 2, 1])
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint([2, 1, 2, 0], [4, 4, 3, 2], alpha=0.05, method="wilson")
    np.testing.assert_allclose(curve["ci_lower"].iloc[1:], lo, atol=1e-12)
    np.testing.assert_allclose(curve["ci_upper"].iloc[1:], hi, atol=1e-12)
    assert curve.loc[0, "ci_lower"] == curve.loc[0, "ci_upper"] == 1.0
    counts = retention_table(TINY, as_of=AS_OF, rates=False)
    pd.testing.assert_frame_equal(retention_curve(counts), curve)
    lo90, _ = wilson_interval(np.array([2]), np.array([4]), 0.90)
    lo_sm, _ = proportion_confint(2, 4, alpha=0.10, method="wilson")
    assert lo90[0] == pytest.approx(lo_sm)


def test_retention_curve_bootstrap_and_bad_input():
    table = retention_table(TINY, cohort="recurring", as_of=AS_OF)
    curve = retention_curve(table, interval="bootstrap", n_boot=500)
    inside = curve.dropna()
    assert ((inside["ci_lower"] <= inside["retention"] + 1e-12)
            & (inside["retention"] <= inside["ci_upper"] + 1e-12)).all()
    # the Jan 1 cohort alone is complete at day 4: resampling it gives a point
    assert curve.loc[4, "ci_lower"] == curve.loc[4, "ci_upper"] == 0.0
    with pytest.raises(ValueError, match="'wilson', 'bootstrap', 'none'"):
        retention_curve(table, interval="exact")
    with pytest.raises(ValueError, match="cohort_size"):
        retention_curve(pd.DataFrame({"a": [1]}))


# ---- brute-force oracle and properties ---------------------------------------------------
STEP = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7),
        "month": pd.Timedelta(days=30)}


def floor_period(t: pd.Timestamp, period: str) -> pd.Timestamp:
    day = t.normalize()
    if period == "week":
        return day - pd.Timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def nth_period(label: pd.Timestamp, k: int, period: str) -> pd.Timestamp:
    if period == "month":
        return label + pd.DateOffset(months=k)
    return label + k * STEP[period]


def brute_force(df, *, period, mode, cohort, window, as_of=None, min_occurrences=1):
    """Retention table one user at a time, with Timestamps only."""
    as_of = df["timestamp"].max() if as_of is None else pd.Timestamp(as_of)
    df = df[df["timestamp"] <= as_of]
    rows = []  # (cohort label, start, times of returns)
    for _, g in df.groupby("user_id"):
        times = sorted(g["timestamp"])
        starts = {}
        for t in times:
            starts.setdefault(floor_period(t, period), t)  # first start in each period
        if cohort == "first":
            starts = dict([min(starts.items())])
        rows += [(label, s, times) for label, s in starts.items()]

    def period_index(label, s, t):
        if window == "rolling":
            return (t - s) // STEP[period]
        if t < label:
            return -1
        k = 0
        while nth_period(label, k + 1, period) <= t:
            k += 1
        return k

    def elapsed(label, s, k):
        end = nth_period(label, k + 1, period) if window == "calendar" else s + (k + 1) * STEP[
            period]
        return end <= as_of

    members = {}
    for label, s, times in rows:
        counts = Counter(period_index(label, s, t) for t in times)
        active = {k for k, c in counts.items() if k >= 1 and c >= min_occurrences}
        members.setdefault(label, []).append((s, active))
    labels = sorted(members)

    def complete(label, k):
        return all(elapsed(label, s, k) for s, _ in members[label])

    n = 0
    while complete(labels[0], n + 1):
        n += 1
    out = []
    for label in labels:
        group = members[label]
        values = [1.0]
        for k in range(1, n + 1):
            if not complete(label, k):
                values.append(NAN)
            elif mode == "on":
                values.append(sum(k in a for _, a in group) / len(group))
            else:
                values.append(sum(bool(a) and max(a) >= k for _, a in group) / len(group))
        out.append((label, len(group), *values))
    return out


BASE = utc("2024-01-27 00:00")  # near a month end, a Saturday
# Span of the random logs and of the gap to as_of, per period: dense enough that returns
# land in the last columns, where off-by-one errors hide.
SPAN_DAYS = {"day": 12, "week": 60, "month": 200}
EXTRA_DAYS = {"day": 2, "week": 10, "month": 40}


def random_logs(period):
    return st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, SPAN_DAYS[period] * 86_400 - 1)),
        min_size=1, max_size=30,
    )


cases = st.sampled_from(["day", "week", "month"]).flatmap(
    lambda period: st.fixed_dictionaries(
        {
            "period": st.just(period),
            "pairs": random_logs(period),
            "extra": st.one_of(st.none(), st.integers(0, EXTRA_DAYS[period] * 86_400)),
            "cohort": st.sampled_from(["first", "recurring"]),
            "window": st.sampled_from(["calendar", "rolling"]),
            "min_occurrences": st.sampled_from([1, 1, 2]),
        }
    )
)
logs = random_logs("week")


def unpack(case):
    opts = dict(case)
    df = random_log(opts.pop("pairs"))
    extra = opts.pop("extra")
    as_of = None if extra is None else df["timestamp"].max() + pd.Timedelta(seconds=extra)
    return df, as_of, opts


def random_log(pairs) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in pairs],
            "timestamp": BASE + pd.to_timedelta([s for _, s in pairs], unit="s"),
            "event": "visit",
        }
    )


def as_frame(rows) -> pd.DataFrame:
    return expected([(str(r[0].date()), *r[1:]) for r in rows])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases, mode=st.sampled_from(["on", "on_or_after"]))
def test_matches_brute_force(case, mode):
    df, as_of, opts = unpack(case)
    table = retention_table(df, mode=mode, as_of=as_of, **opts)
    check(table, as_frame(brute_force(df, mode=mode, as_of=as_of, **opts)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases)
def test_properties(case):
    df, as_of, opts = unpack(case)
    as_of = df["timestamp"].max() if as_of is None else as_of
    on = retention_table(df, mode="on", as_of=as_of, **opts)
    after = retention_table(df, mode="on_or_after", as_of=as_of, **opts)
    counts = retention_table(df, mode="on_or_after", as_of=as_of, rates=False, **opts)
    a, b = on.drop(columns="cohort_size"), after.drop(columns="cohort_size")
    assert (a[0] == 1).all() and (b[0] == 1).all()
    assert a.isna().equals(b.isna())
    done = a.notna().to_numpy()
    av, bv = a.to_numpy(), b.to_numpy()
    assert (av[done] >= 0).all() and (av[done] <= bv[done] + 1e-12).all()
    assert (bv[done] <= 1).all()
    assert (np.diff(bv, axis=1)[done[:, 1:]] <= 1e-12).all()  # NaNs sit at the right end
    c = counts.drop(columns="cohort_size").to_numpy()
    assert (c[done] <= counts["cohort_size"].to_numpy()[:, None].repeat(c.shape[1], 1)[done]).all()
    # NaN exactly where some member's period k ends after as_of (computed independently)
    firsts = df.groupby("user_id")["timestamp"].min()
    if opts["cohort"] == "first":
        for label, row in a.iterrows():
            starts = firsts[firsts.map(lambda t: floor_period(t, opts["period"])) == label]
            for k in row.index[1:]:
                if opts["window"] == "calendar":
                    ends = [nth_period(label, k + 1, opts["period"])]
                else:
                    ends = [s + (k + 1) * STEP[opts["period"]] for s in starts]
                assert np.isnan(row[k]) == (max(ends) > as_of)


def test_no_python_loop_needed_for_a_larger_log():
    rng = np.random.default_rng(3)
    n = 200_000
    df = pd.DataFrame({
        "user_id": rng.integers(0, 20_000, n),
        "timestamp": pd.to_datetime(1.7e18 + rng.integers(0, 60 * 86_400, n) * 1e9, utc=True),
        "event": "visit",
    })
    for cohort in ("first", "recurring"):
        for window in ("calendar", "rolling"):
            table = retention_table(df, cohort=cohort, window=window, mode="on_or_after")
            assert table[0].eq(1).all() and table.shape[1] > 50


# ---- active users, stickiness, lifecycle, churn ------------------------------------------
@settings(max_examples=40, deadline=None)
@given(pairs=logs, window=st.sampled_from(["D", "W", "M", 3]),
       extra=st.integers(0, 3 * 86_400))
def test_active_users_matches_sets(pairs, window, extra):
    df = random_log(pairs)
    as_of = df["timestamp"].max() + pd.Timedelta(seconds=extra)
    got = active_users(df, window, as_of=as_of)
    width = {"D": 1, "W": 7, "M": 30}.get(window, window)
    first = df["timestamp"].min().normalize()
    days = pd.date_range(first, as_of.normalize(), freq="D")
    assert got.index.equals(pd.Index(days, name="day"))
    for day, value in got.items():
        lo, hi = day - pd.Timedelta(days=width - 1), day + pd.Timedelta(days=1)
        if lo < first or hi > as_of:
            assert np.isnan(value)
        else:
            inside = (df["timestamp"] >= lo) & (df["timestamp"] < hi)
            assert value == len(set(df.loc[inside, "user_id"]))


def test_active_users_by_hand_and_observed_from():
    dau = active_users(TINY, "D", as_of=AS_OF)
    assert dau.tolist()[:5] == [2, 3, 2, 1, 1] and np.isnan(dau.iloc[5])
    assert dau.name == "dau"
    wau = active_users(TINY, 3, as_of=AS_OF, observed_from="2023-12-01")
    # trailing 3 days: Jan 1 {A,B}, Jan 2 {A,B,C}, Jan 3 {A,B,C,D}, Jan 4 {A,B,C,D},
    # Jan 5 {A,B,C,D}; the log is declared complete since Dec 1
    assert wau.loc[utc("2024-01-01"):utc("2024-01-05")].tolist() == [2, 3, 4, 4, 4]
    with pytest.raises(ValueError, match="'D'"):
        active_users(TINY, "Q")


def test_stickiness_ratio_and_histogram():
    result = stickiness(TINY, days=4, as_of=AS_OF)
    # last 4 complete days Jan 2..5: A {2, 4}, B {2, 3}, C {2, 5}, D {3}
    assert result.histogram.tolist() == [1, 3, 0, 0]
    assert result.histogram.index.tolist() == [1, 2, 3, 4]
    ratio = stickiness(TINY, as_of=AS_OF, observed_from="2023-12-01").ratio
    # MAU on Jan 3 counts A, B, C, D; DAU B, D
    assert ratio.loc[utc("2024-01-03"), "dau_mau"] == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="complete day"):
        stickiness(TINY, days=30, as_of=AS_OF)


# Weeks (Monday start): W1 Jan 1, W2 Jan 8, W3 Jan 15, W4 Jan 22, W5 Jan 29 (as_of: its
# first instant, so W5 has not finished). U1 W1 W2 W4; U2 W1 W3 (Sunday 23:30); U3 W2 W3
# W4; U4 W4; U5 W1 only.
LIFE = log(
    [
        ("U1", "2024-01-01 09:00"), ("U1", "2024-01-09 09:00"), ("U1", "2024-01-22 00:00"),
        ("U2", "2024-01-02 09:00"), ("U2", "2024-01-21 23:30"),
        ("U3", "2024-01-10 09:00"), ("U3", "2024-01-16 09:00"), ("U3", "2024-01-24 09:00"),
        ("U4", "2024-01-25 09:00"),
        ("U5", "2024-01-03 09:00"), ("U5", "2024-01-03 10:00"),
    ]
)


def test_lifecycle_by_hand():
    frame = lifecycle(LIFE, "week", as_of="2024-01-29")
    want = pd.DataFrame(
        {
            # W1: U1 U2 U5 new. W2: U1 returning, U3 new, U2 U5 dormant.
            # W3: U3 returning, U2 resurrecting, U1 dormant.
            # W4: U3 returning, U1 resurrecting, U4 new, U2 dormant. W5: unfinished.
            "new": [3, 1, 0, 1, NAN],
            "returning": [0, 1, 1, 1, NAN],
            "resurrecting": [0, 0, 1, 1, NAN],
            "dormant": [0, -2, -1, -1, NAN],
        },
        index=pd.Index(pd.date_range("2024-01-01", periods=5, freq="7D", tz="UTC"),
                       name="period"),
    )
    pd.testing.assert_frame_equal(frame, want, check_freq=False)


def test_churn_rate_by_hand():
    churn = churn_rate(LIFE, "week", as_of="2024-01-29")
    # W1: 3 active, U2 and U5 gone in W2; W2: U1 U3 active, U1 gone; W3: U2 U3, U2 gone;
    # W4: W5 not finished -> NaN
    np.testing.assert_array_equal(churn["active"], [3, 2, 2, 3, NAN])
    np.testing.assert_array_equal(churn["churned"], [2, 1, 1, NAN, NAN])
    np.testing.assert_allclose(churn["churn_rate"], [2 / 3, 0.5, 0.5, NAN, NAN])


# ---- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "n_day"}, "mode='n_day'.*'on', 'on_or_after'"),
        ({"period": "hour"}, "period='hour'.*'day', 'week', 'month'"),
        ({"window": "24h"}, "window='24h'.*'calendar', 'rolling'"),
        ({"cohort": "all"}, "cohort='all'.*'first', 'recurring'"),
        ({"min_occurrences": 0}, "min_occurrences"),
        ({"max_periods": -1}, "max_periods"),
        ({"as_of": "not a date"}, "as_of"),
        ({"start_event": "signup"}, "start_event=\\['signup'\\] never occurs.*visit"),
        ({"return_event": ["visit", "buy"]}, "return_event=\\['buy'\\]"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        retention_table(TINY, **kwargs)


def test_bad_frames():
    with pytest.raises(ValueError, match=r"events has no columns 'user_id' \(user_col\), "
                       r"'timestamp' \(time_col\); available columns: \['uid', 'ts'"):
        retention_table(TINY.rename(columns={"user_id": "uid", "timestamp": "ts"}))
    with pytest.raises(ValueError, match="'event'"):
        retention_table(TINY.drop(columns="event"), start_event="visit")
    renamed = TINY.rename(columns={"user_id": "uid", "timestamp": "ts"})
    check(retention_table(renamed, user_col="uid", time_col="ts", as_of=AS_OF),
          expected(FIRST_CALENDAR["on"]))
    as_text = TINY.assign(timestamp=TINY["timestamp"].astype(str))  # the front door's rules
    check(retention_table(as_text, as_of=AS_OF), expected(FIRST_CALENDAR["on"]))
    naive = TINY.assign(timestamp=TINY["timestamp"].dt.tz_localize(None))
    with pytest.warns(UserWarning, match="naive timestamps in column 'timestamp' were taken"):
        check(retention_table(naive, as_of=AS_OF), expected(FIRST_CALENDAR["on"]))
    check(retention_table(naive, as_of=AS_OF, tz="UTC"), expected(FIRST_CALENDAR["on"]))
    with pytest.raises(ValueError, match="missing or unparseable timestamp in 1 row"):
        retention_table(TINY.assign(timestamp=TINY["timestamp"].where(TINY.index > 0)))
    with pytest.raises(ValueError, match="missing user id"):
        retention_table(TINY.assign(user_id=TINY["user_id"].where(TINY.index > 0)))
    with pytest.raises(ValueError, match="before the first event"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            retention_table(TINY, as_of="2023-01-01")
    with pytest.raises(ValueError, match="period='year'"):
        lifecycle(TINY, "year")


# ---- plots -------------------------------------------------------------------------------
def test_heatmap_leaves_nan_cells_empty_and_shows_sizes():
    from retainkit.plotting._retention import plot_retention_heatmap

    table = retention_table(TINY, cohort="recurring", as_of=AS_OF)
    fig, ax = plt.subplots()
    plot_retention_heatmap(table, ax=ax)
    values = table.drop(columns="cohort_size").to_numpy()
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == np.isfinite(values).sum()  # no "0%" or "nan" in empty cells
    assert "33%" in texts and "nan" not in " ".join(texts)
    image = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(image), np.isnan(values))
    right = [a for a in ax.child_axes if a.get_ylabel() == "Cohort size (users)"][0]
    assert [t.get_text() for t in right.get_yticklabels()] == ["2", "3", "2", "1", "1"]
    assert ax.get_title() and "Days since start" in ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_curves_and_lifecycle_plots():
    from retainkit.plotting._retention import plot_lifecycle, plot_retention_curves

    table = retention_table(TINY, as_of=AS_OF)
    fig, axes = plt.subplots(1, 4)
    plot_retention_curves(table, ax=axes[0])
    assert len(axes[0].lines) == 1 and len(axes[0].collections) == 1  # line + band
    rolling = retention_table(TINY, window="rolling", as_of=AS_OF)
    plot_retention_curves({"calendar": table, "rolling": rolling}, by="window", ax=axes[1])
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["calendar", "rolling"]
    plot_retention_curves(table, by="cohort", ax=axes[2])
    assert len(axes[2].lines) == 3
    frame = lifecycle(LIFE, "week", as_of="2024-01-29")
    plot_lifecycle(frame, ax=axes[3])
    dormant = [p.get_height() for p in axes[3].containers[3].patches]
    assert dormant == [0, -2, -1, -1]  # drawn below zero; the unfinished week is left out
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close(fig)


def test_heatmap_tick_labels_match_periods_on_wide_tables():
    from retainkit.plotting._retention import plot_retention_heatmap

    events = log([("w", "2024-01-01 10:00"), ("w", "2024-02-20 10:00")])
    table = retention_table(events, as_of="2024-03-01")  # 60 day columns
    fig, ax = plt.subplots()
    plot_retention_heatmap(table, ax=ax)
    fig.canvas.draw()
    for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True):
        if 0 <= tick < table.shape[1] - 1:
            assert label.get_text().replace("−", "-") == str(int(tick))
    brackets = bracket_retention(TINY, [(1, 1), (2, 3)], as_of=AS_OF)
    fig2, ax2 = plt.subplots()
    plot_retention_heatmap(brackets, ax=ax2)
    assert [t.get_text() for t in ax2.get_xticklabels()] == ["1", "2-3"]
    plt.close(fig)
    plt.close(fig2)


def test_retention_curve_index_is_integer_periods():
    t0 = pd.Timestamp("2026-03-02", tz="UTC")
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2],
            "timestamp": [t0, t0 + pd.Timedelta("1D"), t0, t0 + pd.Timedelta("3D")],
            "event": ["session_start"] * 4,
        }
    )
    curve = retention_curve(retention_table(events, as_of=t0 + pd.Timedelta("5D")))
    assert curve.index.dtype == "int64"
    assert list(curve.index) == [0, 1, 2, 3, 4]


def test_heatmap_vmax_sets_the_colour_scale():
    import matplotlib.pyplot as plt

    from retainkit.plotting import plot_retention_heatmap

    t0 = pd.Timestamp("2026-03-02", tz="UTC")
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3, 4],
            "timestamp": [t0, t0 + pd.Timedelta("1D"), t0, t0, t0],
            "event": ["session_start"] * 5,
        }
    )
    table = retention_table(events, as_of=t0 + pd.Timedelta("3D"))
    fig, ax = plt.subplots()
    plot_retention_heatmap(table, ax=ax, vmax=None)
    assert ax.images[0].get_clim() == (0.0, 0.25)  # the largest rate after column 0
    plot_retention_heatmap(table, ax=ax)
    assert ax.images[-1].get_clim() == (0.0, 1.0)
    plt.close(fig)
