"""Tests for retainkit.features: hand-computed snapshot, labels, leakage guarantees, sequences."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retainkit.features import (
    COLUMN_KINDS,
    FEATURES,
    SEQUENCE_CHANNELS,
    activity_sequences,
    count_columns,
    describe_feature,
    log_counts,
    make_snapshot,
    temporal_split,
)

CUTOFF = pd.Timestamp("2024-03-01", tz="UTC")


def _log(rows):
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df


# Three users in the population, one lapsed user, one who signs up after the cutoff.
# Deliberately unsorted. Cutoff 2024-03-01 00:00 UTC (2024 is a leap year: Feb has 29 days).
EVENTS = _log([
    (1, "2024-02-29 10:50", "like"),
    (1, "2024-02-15 09:00", "session_start"),
    (1, "2024-02-25 12:00", "session_start"),
    (1, "2024-02-25 12:05", "view"),
    (1, "2024-02-29 10:00", "session_start"),
    (1, "2024-02-29 10:10", "view"),
    (1, "2024-03-03 08:00", "session_start"),   # in the horizon: not churned
    (2, "2024-02-20 00:00", "session_start"),
    (2, "2024-02-20 00:20", "view"),
    (2, "2024-02-20 00:50", "share"),     # gap of exactly 30 min: same session
    (2, "2024-03-20 00:00", "session_start"),   # after cutoff + 7 days: churned
    (3, "2023-12-20 12:00", "session_start"),   # before the lookback
    (3, "2024-03-01 00:00", "session_start"),   # exactly at the cutoff: a feature
    (3, "2024-03-08 00:00", "view"),            # exactly at cutoff + horizon: in the label
    (4, "2023-12-10 00:00", "session_start"),
    (4, "2024-01-05 00:00", "session_start"),   # exactly cutoff - 56 days: outside the lookback
    (4, "2024-03-05 00:00", "session_start"),
    (5, "2024-03-02 00:00", "session_start"),
])
USERS = pd.DataFrame({
    "user_id": [1, 2, 3, 4, 5],
    "signup_time": pd.to_datetime(["2024-01-01", "2024-02-20", "2023-12-01", "2023-12-01",
                                   "2024-03-02"], utc=True),
    "channel": ["organic", "paid_social", "referral", "organic", "search_ads"],
    "device": ["ios", "android", "web", "ios", "web"],
    "region": ["na", "eu", "eu", "apac", "latam"],
    "true_interest": [0.9, 0.1, 0.5, 0.2, 0.3],
    "true_hazard_multiplier": [1.0, 2.0, 0.5, 1.0, 1.0],
})

# Written out by hand (see the comments for the arithmetic); columns in make_snapshot's order.
EXPECTED = pd.DataFrame(
    {
        # user 1: last event 02-29 10:50 is 13 h 10 min before the cutoff = 790/1440 days;
        # user 2: 02-20 00:50 is 9 days 23 h 10 min before; user 3: at the cutoff.
        "recency_days": [790 / 1440, 9 + 1390 / 1440, 0.0],
        # user 1 visits at ages 14.625, 4.5 and 0.583 days; user 2 at 10 days; user 3 at 0.
        "visits_7d": [2, 0, 1], "visits_14d": [2, 1, 1], "visits_28d": [3, 1, 1],
        "visits_56d": [3, 1, 1],
        "events_7d": [5, 0, 1], "events_14d": [5, 3, 1], "events_28d": [6, 3, 1],
        "events_56d": [6, 3, 1],
        # user 1 is active on days back 0, 4 and 14; user 2 on day back 9 (age 10 days exactly
        # is ceil(10) - 1 = 9); user 3 on day 0.
        "active_days_7d": [2, 0, 1], "active_days_14d": [2, 1, 1],
        "active_days_28d": [3, 1, 1], "active_days_56d": [3, 1, 1],
        # user 1 sessions: [09:00], [12:00-12:05], [10:00-10:10], [10:50] (40 min gap > 30);
        # user 2: one session 00:00-00:50 (gaps of 20 and exactly 30 min do not split)
        "sessions": [4, 1, 1],
        "session_length_mean_min": [(0 + 5 + 10 + 0) / 4, 50.0, 0.0],
        "session_length_median_min": [2.5, 50.0, 0.0],
        # visits in the last 7 days vs days 7-13 back: 2 vs 0, 0 vs 1, 1 vs 0
        "trend_7d": [math.log(3 / 1), math.log(1 / 2), math.log(2 / 1)],
        # from signup: Jan 1 -> Mar 1 = 31 + 29; Feb 20 -> Mar 1 = 10; Dec 1 -> Mar 1 = 31+31+29
        "tenure_days": [60.0, 10.0, 91.0],
        # user 1 gaps: 02-15 09:00 -> 02-25 12:00 = 10.125 d; -> 02-29 10:00 = 3 d 22 h
        "gap_mean_days": [(10.125 + 94 / 24) / 2, 56.0, 56.0],
        "gap_std_days": [(10.125 - 94 / 24) / 2, 0.0, 0.0],
        "gap_max_days": [10.125, 56.0, 56.0],
        "share_like": [1 / 6, 0, 0], "share_session_start": [3 / 6, 1 / 3, 1.0],
        "share_share": [0, 1 / 3, 0], "share_view": [2 / 6, 1 / 3, 0],
        "channel_organic": [1, 0, 0], "channel_paid_social": [0, 1, 0],
        "channel_referral": [0, 0, 1], "channel_search_ads": [0, 0, 0],
        "device_android": [0, 1, 0], "device_ios": [1, 0, 0], "device_web": [0, 0, 1],
        "region_apac": [0, 0, 0], "region_eu": [0, 1, 1], "region_latam": [0, 0, 0],
        "region_na": [1, 0, 0],
    },
    index=pd.Index([1, 2, 3], name="user_id"),
).astype(float)


def test_hand_computed_snapshot():
    X, y, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    pd.testing.assert_frame_equal(X, EXPECTED, check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(
        y, pd.Series([0, 1, 0], index=EXPECTED.index, name="churned"), check_dtype=False)
    assert y.dtype.kind == "i"
    assert info["population"] == 3
    assert info["base_rate"] == pytest.approx(1 / 3)
    assert info["excluded"] == {"no_activity_in_lookback": 1, "signed_up_after_cutoff": 0,
                                "not_in_users": 0}
    assert info["n_excluded"] == 1
    assert info["horizon_complete"] and info["lookback_complete"]
    assert info["as_of"] == pd.Timestamp("2024-03-20", tz="UTC")
    assert info["features"] == list(EXPECTED.columns)
    assert set(info["descriptions"]) == set(EXPECTED.columns)


def test_without_users_tenure_comes_from_the_log():
    X, y, info = make_snapshot(EVENTS, cutoff=CUTOFF, horizon="7D")
    # first event in the log: user 1 02-15 09:00, user 2 02-20, user 3 2023-12-20 12:00
    np.testing.assert_allclose(X["tenure_days"], [14.625, 10.0, 11.5 + 31 + 29])
    assert not any(c.startswith(("channel_", "device_", "region_")) for c in X.columns)
    assert info["excluded"] == {"no_activity_in_lookback": 1}
    assert list(y) == [0, 1, 0]


def test_no_true_columns_ever():
    X, _, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    assert not [c for c in X.columns if "true" in c]
    assert not [c for c in info["features"] if "true" in c]
    with pytest.raises(ValueError, match="true_"):
        make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D", attributes=("true_interest",))


def test_features_do_not_see_the_future():
    full = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    past = EVENTS[EVENTS["timestamp"] <= CUTOFF]
    cut = make_snapshot(past, USERS, cutoff=CUTOFF, horizon="7D", allow_incomplete=True)
    pd.testing.assert_frame_equal(full.X, cut.X)
    assert not cut.info["horizon_complete"]


def test_labels_do_not_see_past_the_horizon():
    full = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    early = EVENTS[EVENTS["timestamp"] <= CUTOFF + pd.Timedelta("7D")]
    cut = make_snapshot(early, USERS, cutoff=CUTOFF, horizon="7D")
    pd.testing.assert_series_equal(full.y, cut.y)


def test_unobserved_horizon_raises_and_names_the_problem():
    with pytest.raises(ValueError, match="horizon not fully observed"):
        make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="28D")
    X, y, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="28D",
                               allow_incomplete=True)
    assert not info["horizon_complete"]
    # as_of extends observation: then the horizon counts as observed
    _, _, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="28D", as_of="2024-04-01")
    assert info["horizon_complete"]


def test_exclusions_are_counted_and_warned():
    users = USERS[USERS["user_id"] != 2]
    with pytest.warns(UserWarning, match="missing from users"):
        X, _, info = make_snapshot(EVENTS, users, cutoff=CUTOFF, horizon="7D")
    assert list(X.index) == [1, 3] and info["excluded"]["not_in_users"] == 1
    late = USERS.assign(signup_time=USERS["signup_time"].where(USERS["user_id"] != 3,
                                                               pd.Timestamp("2024-06-01", tz="UTC")))
    with pytest.warns(UserWarning, match="signup_time after the cutoff"):
        X, _, info = make_snapshot(EVENTS, late, cutoff=CUTOFF, horizon="7D")
    assert list(X.index) == [1, 2] and info["excluded"]["signed_up_after_cutoff"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": "-1D"}, "horizon must be a positive"),
        ({"lookback": "soon"}, "lookback cannot be read"),
        ({"windows": (7, 90)}, "longer than lookback"),
        ({"cutoff": "not a date"}, "cutoff cannot be read"),
        ({"attributes": ("colour",)}, "no attribute column"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    args = {"cutoff": CUTOFF, "horizon": "7D", **kwargs}
    with pytest.raises(ValueError, match=message):
        make_snapshot(EVENTS, USERS, **args)


def test_bad_events_raise_one_message_naming_the_argument_and_every_problem():
    # the front door's message: the argument, the column asked for, the columns available
    for helper in (lambda ev: make_snapshot(ev, cutoff=CUTOFF, horizon="7D"),
                   lambda ev: activity_sequences(ev, cutoff=CUTOFF),
                   lambda ev: temporal_split(ev, train_cutoff=CUTOFF - pd.Timedelta("7D"),
                                             test_cutoff=CUTOFF, horizon="7D")):
        with pytest.raises(ValueError, match=r"events has no column 'event' \(event_col\); "
                                             r"available columns: \['user_id', 'timestamp'\]"):
            helper(EVENTS.drop(columns="event"))
    with pytest.raises(ValueError, match=r"'Action' \(event_col\).*'user_id', 'timestamp', "
                                         "'event'"):
        make_snapshot(EVENTS, cutoff=CUTOFF, horizon="7D", event_col="Action")
    # a missing id, an unparseable time and a missing event name: all three in one message
    broken = EVENTS.assign(timestamp=EVENTS["timestamp"].dt.strftime("%Y-%m-%d %H:%M"))
    broken = broken.astype({"user_id": object})
    broken.loc[3, "timestamp"] = "not a time"
    broken.loc[5, "user_id"] = None
    broken.loc[7, "event"] = None
    with pytest.raises(ValueError, match="3 problems") as err:
        make_snapshot(broken, cutoff=CUTOFF, horizon="7D", tz="UTC")
    for part in ("column 'user_id': missing user id in 1 row",
                 "column 'event': missing event name in 1 row",
                 "column 'timestamp': missing or unparseable timestamp in 1 row"):
        assert part in str(err.value)
    # numbers are not timestamps (no unit): the front door says how to convert them
    epoch = EVENTS.assign(timestamp=EVENTS["timestamp"].astype("int64") // 10**9)
    with pytest.raises(ValueError, match="unit='s'"):
        make_snapshot(epoch, cutoff=CUTOFF, horizon="7D")


def test_bad_users_raise_every_problem_at_once():
    with pytest.raises(ValueError, match=r"users has no column 'signup_time' \(the sign-up "
                                         r"time\); available columns: \['user_id', 'channel'"):
        make_snapshot(EVENTS, USERS.drop(columns="signup_time"), cutoff=CUTOFF, horizon="7D")
    twice = pd.concat([USERS, USERS.iloc[[1]]], ignore_index=True).astype({"user_id": object})
    twice.loc[4, "user_id"] = None
    with pytest.raises(ValueError, match="users has 2 problems") as err:
        make_snapshot(EVENTS, twice, cutoff=CUTOFF, horizon="7D")
    assert "missing user id in 1 row" in str(err.value)
    assert "duplicated user id (users needs one row per user) in 2 row" in str(err.value)
    unreadable = USERS.assign(signup_time=USERS["signup_time"].dt.strftime("%Y-%m-%d"))
    unreadable.loc[2, "signup_time"] = "soon"
    with pytest.raises(ValueError, match="'signup_time': missing or unparseable timestamp"):
        make_snapshot(EVENTS, unreadable, cutoff=CUTOFF, horizon="7D", tz="UTC")
    # a missing sign-up time is no error: that user is excluded and counted, as one signed up late
    unknown = USERS.assign(signup_time=USERS["signup_time"].where(USERS["user_id"] != 3))
    with pytest.warns(UserWarning, match=r"signup_time after the cutoff \(or none\).*\[3\]"):
        X, _, info = make_snapshot(EVENTS, unknown, cutoff=CUTOFF, horizon="7D")
    assert list(X.index) == [1, 2] and info["excluded"]["signed_up_after_cutoff"] == 1


def test_naive_times_are_utc_with_a_warning_unless_tz_says_so():
    naive = EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_localize(None))
    with pytest.warns(UserWarning, match="naive timestamps in column 'timestamp' were taken as "
                                         "UTC.*tz="):
        X, y, _ = make_snapshot(naive, USERS, cutoff="2024-03-01", horizon="7D")
    pd.testing.assert_frame_equal(X, EXPECTED, check_exact=False, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _, info = make_snapshot(naive, USERS, cutoff="2024-03-01", horizon="7D", tz="UTC")
    pd.testing.assert_frame_equal(X, EXPECTED, check_exact=False, rtol=1e-12)
    assert info["cutoff"] == CUTOFF
    with pytest.raises(ValueError, match="tz='Mars/Olympus' is not a time zone"):
        make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="tz='Mars/Olympus' is not a time zone"):
        temporal_split(EVENTS, train_cutoff="2024-02-20", test_cutoff=CUTOFF, horizon="7D",
                       tz="Mars/Olympus")


def test_short_lookback_keeps_fitting_windows_and_describes_them():
    X, _, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D", lookback="14D")
    assert "visits_14d" in X.columns and "visits_28d" not in X.columns
    assert list(X.index) == [1, 2, 3]
    assert X.loc[1, "visits_14d"] == 2  # the 02-15 visit is 14.6 days back
    assert "14 days" in describe_feature("visits_14d")
    assert "{w}" in next(iter(k for k in FEATURES if k.startswith("visits_")))


# --- one front door: the same log in any shape gives the same result; tz= for naive times ------

NY = "America/New_York"


def _wall_clock(ts: pd.Series, zone: str) -> pd.Series:
    return ts.dt.tz_convert(zone).dt.tz_localize(None)


# Each shape: (events, tz); every one holds the instants of EVENTS.
SHAPES = {
    "aware UTC": lambda: (EVENTS, None),
    "aware Tokyo": lambda: (EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_convert(
        "Asia/Tokyo")), None),
    "naive UTC, tz='UTC'": lambda: (EVENTS.assign(timestamp=_wall_clock(EVENTS["timestamp"],
                                                                        "UTC")), "UTC"),
    "naive New York wall clock": lambda: (EVENTS.assign(timestamp=_wall_clock(
        EVENTS["timestamp"], NY)), NY),
    "ISO strings": lambda: (EVENTS.assign(timestamp=EVENTS["timestamp"].dt.strftime(
        "%Y-%m-%d %H:%M:%S")), "UTC"),
    "US-format local strings": lambda: (EVENTS.assign(timestamp=_wall_clock(
        EVENTS["timestamp"], NY).dt.strftime("%m/%d/%Y %I:%M:%S %p")), NY),
    "strings with an offset": lambda: (EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_convert(
        "Asia/Kolkata").map(pd.Timestamp.isoformat)), None),
    "categorical events, sorted": lambda: (EVENTS.sort_values(["user_id", "timestamp"]).astype(
        {"event": "category"}), None),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_same_log_gives_the_same_result_in_any_shape(shape):
    events, tz = SHAPES[shape]()
    assert events is EVENTS or not events["timestamp"].equals(EVENTS["timestamp"]) or \
        shape.startswith("categorical")
    users = USERS.assign(signup_time=_wall_clock(USERS["signup_time"], tz)) if tz else USERS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with tz given, nothing to warn about
        X, y, info = make_snapshot(events, users, cutoff=CUTOFF, horizon="7D", tz=tz)
        seq = activity_sequences(events, cutoff=CUTOFF, tz=tz, channels=SEQUENCE_CHANNELS)
        train, test = temporal_split(events, users, train_cutoff=CUTOFF - pd.Timedelta("7D"),
                                     test_cutoff=CUTOFF, horizon="7D", tz=tz)
    pd.testing.assert_frame_equal(X, EXPECTED, check_exact=False, rtol=1e-12)
    assert list(y) == [0, 1, 0]
    assert info["as_of"] == pd.Timestamp("2024-03-20", tz="UTC")
    np.testing.assert_array_equal(
        seq, activity_sequences(EVENTS, cutoff=CUTOFF, channels=SEQUENCE_CHANNELS))
    reference = temporal_split(EVENTS, USERS, train_cutoff=CUTOFF - pd.Timedelta("7D"),
                               test_cutoff=CUTOFF, horizon="7D")
    for mine, theirs in zip((train, test), reference, strict=True):
        pd.testing.assert_frame_equal(mine.X, theirs.X)
        pd.testing.assert_series_equal(mine.y, theirs.y)


# A hand-made log in New York wall-clock time across the spring-forward night of 2025-03-09:
# at 02:00 EST the clocks jump to 03:00 EDT, so 23:30 (EST, 04:30 UTC) to 03:30 (EDT, 07:30 UTC)
# is 3 hours of real time, not the 4 the wall clock suggests.
DST_EVENTS = pd.DataFrame({
    "user_id": [1, 1, 1, 2],
    "timestamp": pd.to_datetime(["2025-03-08 23:30", "2025-03-09 03:30", "2025-03-10 09:00",
                                 "2025-03-09 01:00"]),
    "event": ["session_start"] * 4,
})
DST_USERS = pd.DataFrame({"user_id": [1, 2], "signup_time": pd.to_datetime(
    ["2025-03-08 22:00", "2025-03-01 00:00"]), "plan": ["free", "pro"]})


@pytest.mark.filterwarnings("ignore:lookback starts")
def test_naive_local_times_and_cutoffs_are_read_in_tz_across_a_dst_change():
    cutoff = "2025-03-09 12:00"  # EDT: 16:00 UTC
    end = "2025-03-10 12:00"  # EDT: 16:00 UTC
    X, y, info = make_snapshot(DST_EVENTS, cutoff=cutoff, horizon="1D", lookback="2D", tz=NY,
                               as_of=end)
    assert info["cutoff"] == pd.Timestamp("2025-03-09 16:00", tz="UTC")
    assert info["as_of"] == pd.Timestamp("2025-03-10 16:00", tz="UTC")
    # by hand, in real (UTC) time: user 1's visits at 04:30 and 07:30 UTC, user 2's at 06:00
    np.testing.assert_allclose(X.loc[1, ["gap_mean_days", "gap_max_days"]], [3 / 24, 3 / 24],
                               rtol=1e-12)  # read as UTC wall clock it would be 4 / 24
    np.testing.assert_allclose(X["recency_days"], [8.5 / 24, 10 / 24], rtol=1e-12)
    np.testing.assert_allclose(X["tenure_days"], [11.5 / 24, 10 / 24], rtol=1e-12)  # not 12.5
    # user 1 returns at 09:00 EDT on the 10th = 13:00 UTC, inside (16:00 UTC, +24 h]
    assert list(y) == [0, 1]
    # the oracle: the same log converted to UTC by pandas, then read as aware times
    utc = DST_EVENTS.assign(timestamp=DST_EVENTS["timestamp"].dt.tz_localize(NY)
                            .dt.tz_convert("UTC"))
    users_utc = DST_USERS.assign(signup_time=DST_USERS["signup_time"].dt.tz_localize(NY))
    aware = make_snapshot(utc, users_utc, cutoff=info["cutoff"], horizon="1D", lookback="2D",
                          as_of=info["as_of"])
    local = make_snapshot(DST_EVENTS, DST_USERS, cutoff=cutoff, horizon="1D", lookback="2D",
                          tz=NY, as_of=end)
    pd.testing.assert_frame_equal(local.X, aware.X)
    pd.testing.assert_series_equal(local.y, aware.y)
    assert local.X.loc[1, "tenure_days"] == pytest.approx(13 / 24)  # signup 03:00 UTC, not 02:00
    assert local.X.loc[1, "plan_free"] == 1.0
    # the days of a sequence are 24-hour steps back from the cutoff, in any zone
    seq = activity_sequences(DST_EVENTS, cutoff=cutoff, days=2, tz=NY)
    assert seq[:, :, 0].tolist() == [[0.0, 2.0], [0.0, 1.0]]
    np.testing.assert_array_equal(seq, activity_sequences(utc, cutoff=info["cutoff"], days=2))
    # midnight EST (05:00 UTC) + 11 h of real time is exactly noon EDT (16:00 UTC)
    train, test = temporal_split(DST_EVENTS, DST_USERS, train_cutoff="2025-03-09 00:00",
                                 test_cutoff=cutoff, horizon="11h", lookback="2D", tz=NY,
                                 as_of=end)
    assert train.info["cutoff"] == pd.Timestamp("2025-03-09 05:00", tz="UTC")
    assert test.info["cutoff"] == info["cutoff"] and list(train.X.index) == [1]
    with pytest.raises(ValueError, match="after test_cutoff"):
        temporal_split(DST_EVENTS, DST_USERS, train_cutoff="2025-03-09 00:00",
                       test_cutoff=cutoff, horizon="11h1min", lookback="2D", tz=NY, as_of=end)


def test_dst_gaps_and_repeats_in_a_naive_log_are_reported_by_row():
    gap = DST_EVENTS.assign(timestamp=DST_EVENTS["timestamp"].replace(
        pd.Timestamp("2025-03-09 01:00"), pd.Timestamp("2025-03-09 02:30")))
    with pytest.raises(ValueError, match="does not exist in America/New_York"):
        make_snapshot(gap, cutoff="2025-03-09 12:00", horizon="1D", lookback="2D", tz=NY)
    repeat = DST_EVENTS.assign(timestamp=DST_EVENTS["timestamp"] + pd.Timedelta("238D"))
    assert pd.Timestamp("2025-11-02 01:00") in set(repeat["timestamp"])  # in the repeated hour
    with pytest.raises(ValueError, match="occurs twice in America/New_York"):
        activity_sequences(repeat, cutoff="2025-11-03", tz=NY)


# --- sequences and temporal split ---------------------------------------------------------------

def test_activity_sequences_hand_checked():
    seq = activity_sequences(EVENTS, cutoff=CUTOFF, days=56, index=[1, 2, 3, 99],
                             channels=("visits", "events", "active"))
    assert seq.shape == (4, 56, 3) and seq.dtype == np.float32
    expected = np.zeros((4, 56, 3), np.float32)
    # day index = 55 - days back; user 1: days back 14, 4, 0
    expected[0, 41] = [1, 1, 1]
    expected[0, 51] = [1, 2, 1]
    expected[0, 55] = [1, 3, 1]
    expected[1, 46] = [1, 3, 1]  # user 2: 10 days back exactly is day back 9
    expected[2, 55] = [1, 1, 1]
    np.testing.assert_array_equal(seq, expected)
    default = activity_sequences(EVENTS, cutoff=CUTOFF, days=56)
    np.testing.assert_array_equal(default, seq[:3, :, :2])  # default index: users 1, 2, 3
    with pytest.raises(ValueError, match="channels='clicks' is not supported; accepted "
                                         "values: 'visits', 'events', 'active'"):
        activity_sequences(EVENTS, cutoff=CUTOFF, channels=("events", "clicks"))
    with pytest.raises(ValueError, match="non-empty tuple"):
        activity_sequences(EVENTS, cutoff=CUTOFF, channels="visits")
    for days in (0, 2.5, True):
        with pytest.raises(ValueError, match=r"days must be an integer >= 1"):
            activity_sequences(EVENTS, cutoff=CUTOFF, days=days)


def test_temporal_split_guarantee_and_alignment():
    events = _random_log(np.random.default_rng(3), n_users=40, days=200)
    start = events["timestamp"].min().normalize()
    train, test = temporal_split(events, train_cutoff=start + pd.Timedelta("80D"),
                                 test_cutoff=start + pd.Timedelta("120D"), horizon="28D")
    assert list(train.X.columns) == list(test.X.columns)
    assert train.info["cutoff"] + pd.Timedelta("28D") <= test.info["cutoff"]
    # the whole training set is reproducible from events at or before the test cutoff
    seen = events[events["timestamp"] <= test.info["cutoff"]]
    again, _ = temporal_split(seen, train_cutoff=start + pd.Timedelta("80D"),
                              test_cutoff=start + pd.Timedelta("120D"), horizon="28D",
                              allow_incomplete=True)
    pd.testing.assert_frame_equal(train.X, again.X)
    pd.testing.assert_series_equal(train.y, again.y)
    with pytest.raises(ValueError, match="after test_cutoff"):
        temporal_split(events, train_cutoff=start + pd.Timedelta("100D"),
                       test_cutoff=start + pd.Timedelta("120D"), horizon="28D")


# --- properties on random logs -------------------------------------------------------------------

EVENT_TYPES = np.array(["session_start", "view", "like", "share"])


def _random_log(rng, n_users, days):
    n = n_users * 30
    start = pd.Timestamp("2024-01-01", tz="UTC")
    offsets = rng.uniform(0, days * 86400, n).round()
    return pd.DataFrame({
        "user_id": rng.integers(0, n_users, n),
        "timestamp": start + pd.to_timedelta(offsets, unit="s"),
        "event": rng.choice(EVENT_TYPES, n, p=[0.4, 0.3, 0.2, 0.1]),
    })


def _naive_sessions(ts: list[pd.Timestamp], gap: pd.Timedelta) -> list[float]:
    """Session lengths in minutes, by a plain loop (the oracle)."""
    lengths, first, last = [], ts[0], ts[0]
    for t in ts[1:]:
        if t - last > gap:
            lengths.append((last - first) / pd.Timedelta(minutes=1))
            first = t
        last = t
    lengths.append((last - first) / pd.Timedelta(minutes=1))
    return lengths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cutoff_day=st.integers(20, 70),
       horizon_days=st.integers(1, 20))
def test_leakage_properties_on_random_logs(seed, cutoff_day, horizon_days):
    rng = np.random.default_rng(seed)
    events = _random_log(rng, n_users=12, days=100)
    cutoff = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=cutoff_day, hours=7)
    horizon = pd.Timedelta(days=horizon_days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # truncated lookback on early cutoffs
        full = make_snapshot(events, cutoff=cutoff, horizon=horizon)
        no_future = make_snapshot(events[events["timestamp"] <= cutoff], cutoff=cutoff,
                                  horizon=horizon, allow_incomplete=True)
        no_late = make_snapshot(events[events["timestamp"] <= cutoff + horizon], cutoff=cutoff,
                                horizon=horizon, as_of=full.info["as_of"])
    pd.testing.assert_frame_equal(full.X, no_future.X)
    pd.testing.assert_series_equal(full.y, no_late.y)

    # oracles: label, population and sessions recomputed by brute force for each user
    for user, row in full.X.iterrows():
        mine = events[events["user_id"] == user].sort_values("timestamp")["timestamp"]
        window = mine[(mine > cutoff - pd.Timedelta("56D")) & (mine <= cutoff)]
        assert len(window) == row["events_56d"] > 0
        future = mine[(mine > cutoff) & (mine <= cutoff + horizon)]
        assert full.y[user] == int(len(future) == 0)
        lengths = _naive_sessions(list(window), pd.Timedelta("30min"))
        assert row["sessions"] == len(lengths)
        assert row["session_length_mean_min"] == pytest.approx(np.mean(lengths))
        assert row["recency_days"] == pytest.approx((cutoff - window.max()) / pd.Timedelta("1D"))
    active = {u for u, t in zip(events["user_id"], events["timestamp"], strict=True)
              if cutoff - pd.Timedelta("56D") < t <= cutoff}
    assert set(full.X.index) == active

    # sequences agree with the window counts
    seq = activity_sequences(events, cutoff=cutoff, index=full.X.index)
    np.testing.assert_array_equal(seq[:, -7:, 0].sum(axis=1), full.X["visits_7d"])
    np.testing.assert_array_equal(seq[:, :, 1].sum(axis=1), full.X["events_56d"])
    np.testing.assert_array_equal((seq[:, -28:, 1] > 0).sum(axis=1), full.X["active_days_28d"])


# --- on the simulator, whose truth is known -------------------------------------------------------

def test_snapshot_on_simulated_app_agrees_with_the_truth():
    from retainkit.simulate import simulate_app

    sim = simulate_app("social", n_users=600, days=90, seed=7)
    cutoff = sim.end - pd.Timedelta("28D")
    X, y, info = make_snapshot(sim.events, sim.users, cutoff=cutoff, as_of=sim.end)
    assert any(c.startswith("true_") for c in sim.users.columns)
    assert not [c for c in X.columns if c.startswith("true_") or "interest" in c]
    assert info["horizon_complete"] and info["population"] == len(X) > 100
    assert np.isfinite(X.to_numpy()).all()
    # nobody comes back after their true churn: churned by the cutoff implies y = 1
    churn_time = sim.truth["churn_time"].reindex(X.index)
    dead = churn_time.notna() & (churn_time <= cutoff)
    assert dead.any() and (y[dead] == 1).all()
    # the oracle gives probability 1 exactly to the dead
    oracle = sim.oracle_churn_probability(cutoff, "28D").reindex(X.index)
    assert (oracle[dead] == 1).all()
    # leakage: the same features from a log that ends at the cutoff
    past = sim.events[sim.events["timestamp"] <= cutoff]
    again = make_snapshot(past, sim.users, cutoff=cutoff, allow_incomplete=True)
    pd.testing.assert_frame_equal(X, again.X)
    seq = activity_sequences(sim.events, cutoff=cutoff, index=X.index)
    np.testing.assert_array_equal(seq[:, -28:, 0].sum(axis=1), X["visits_28d"])


@pytest.mark.filterwarnings("ignore:lookback starts")
def test_active_within_narrows_the_population_but_not_the_features():
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "timestamp": [t0, t0 + pd.Timedelta("50D"), t0, t0 + pd.Timedelta("10D"),
                          t0 + pd.Timedelta("90D")],
            "event": ["session_start"] * 5,
        }
    )
    cutoff = t0 + pd.Timedelta("55D")
    X_all, _, info_all = make_snapshot(events, cutoff=cutoff, lookback="56D")
    X_recent, _, info = make_snapshot(events, cutoff=cutoff, lookback="56D", active_within="14D")
    assert list(X_all.index) == [1, 2] and list(X_recent.index) == [1]
    pd.testing.assert_series_equal(X_all.loc[1], X_recent.loc[1])
    assert info["active_within"] == pd.Timedelta("14D")
    assert info_all["active_within"] == pd.Timedelta("56D")
    with pytest.raises(ValueError, match="active_within"):
        make_snapshot(events, cutoff=cutoff, lookback="28D", active_within="30D")


# --- issue 11: no silent defaults (a foreign log: other event names, other user columns) ---------

EXPECTED_KINDS = {
    **{c: "duration" for c in ("recency_days", "session_length_mean_min",
                               "session_length_median_min", "tenure_days", "gap_mean_days",
                               "gap_std_days", "gap_max_days")},
    **{f"{k}_{w}d": "count" for k in ("visits", "events", "active_days") for w in (7, 14, 28, 56)},
    "sessions": "count", "trend_7d": "log_ratio",
    **{c: "ratio" for c in EXPECTED.columns if c.startswith("share_")},
    **{c: "one_hot" for c in EXPECTED.columns if c.startswith(("channel_", "device_", "region_"))},
}


def test_column_kinds_are_in_info_and_on_X():
    X, _, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    assert info["column_kinds"] == EXPECTED_KINDS  # written out above, column by column
    assert list(info["column_kinds"]) == list(X.columns)
    assert X.attrs["column_kinds"] == info["column_kinds"]
    assert set(info["column_kinds"].values()) <= set(COLUMN_KINDS)
    assert info["visit_event"] == "session_start" and info["windows"] == (7, 14, 28, 56)
    assert info["attributes"] == ("channel", "device", "region")
    assert info["event_types"] == ["like", "session_start", "share", "view"]


def test_absent_visit_event_raises_and_lists_the_event_names():
    # Before issue 11 this log gave visits_* = 0, trend_7d = 0 and gap_mean_days = 56 for all.
    renamed = EVENTS.assign(event=EVENTS["event"].replace({"session_start": "app_open"}))
    with pytest.raises(ValueError, match="visit_event") as err:
        make_snapshot(renamed, USERS, cutoff=CUTOFF, horizon="7D")
    for name in ("'session_start'", "'app_open'", "'view'", "'like'", "'share'"):
        assert name in str(err.value)
    with pytest.raises(ValueError, match="visit_event='session_start' does not occur"):
        activity_sequences(renamed, cutoff=CUTOFF)
    # events-only channels need no visit event
    assert activity_sequences(renamed, cutoff=CUTOFF, channels=("events",)).shape == (3, 56, 1)
    # naming the visit event gives exactly the hand-computed features (share column renamed)
    X, _, info = make_snapshot(renamed, USERS, cutoff=CUTOFF, horizon="7D",
                               visit_event="app_open")
    expected = EXPECTED.rename(columns={"share_session_start": "share_app_open"})
    expected = expected[["share_app_open" if c == "share_session_start" else c
                         for c in _order_shares(EXPECTED.columns, "share_app_open")]]
    pd.testing.assert_frame_equal(X, expected, check_exact=False, rtol=1e-12)
    np.testing.assert_array_equal(
        activity_sequences(renamed, cutoff=CUTOFF, visit_event="app_open"),
        activity_sequences(EVENTS, cutoff=CUTOFF))
    # a visit event seen only after the cutoff is no visit event for the features either
    late = renamed.assign(event=renamed["event"].where(renamed["timestamp"] <= CUTOFF, "late"))
    with pytest.raises(ValueError, match="at or before the cutoff"):
        make_snapshot(late, USERS, cutoff=CUTOFF, horizon="7D", visit_event="late")


def _order_shares(columns, new):
    """EXPECTED's columns with the share columns re-sorted once one is renamed to ``new``."""
    shares = sorted([c for c in columns if c.startswith("share_") and c != "share_session_start"]
                    + [new])
    first = next(i for i, c in enumerate(columns) if c.startswith("share_"))
    rest = [c for c in columns[first:] if not c.startswith("share_")]
    out = list(columns[:first]) + shares + rest
    return ["share_session_start" if c == new else c for c in out]


def test_describe_feature_follows_the_snapshot():
    renamed = EVENTS.assign(event=EVENTS["event"].replace({"session_start": "app_open",
                                                           "like": "Sign Up"}))
    _, _, info = make_snapshot(renamed, USERS, cutoff=CUTOFF, horizon="7D",
                               visit_event="app_open", lookback="28D")
    assert describe_feature("visits_7d", info=info) == (
        "visits (app_open events) in the last 7 days (count)")
    assert "session_start" not in " ".join(info["descriptions"].values())
    assert "'app_open'" in describe_feature("gap_mean_days", info=info)
    assert "'Sign Up'" in describe_feature("share_sign_up", info=info)
    assert describe_feature("channel_referral", info=info) == (
        "1.0 when the user's 'channel' is 'referral', else 0.0 (indicator)")
    assert info["descriptions"] == {c: describe_feature(c, info=info) for c in info["features"]}
    with pytest.raises(ValueError, match="not a column of this snapshot"):
        describe_feature("visits_56d", info=info)  # lookback 28 days: no 56-day window
    # without info: the documented defaults, as before
    assert describe_feature("visits_7d") == "visits (session_start events) in the last 7 days (count)"
    assert describe_feature("channel_referral") == FEATURES["<attribute>_<value>"]


# A users export with its own column names and types.
FOREIGN_USERS = pd.DataFrame({
    "Member ID": [1, 2, 3, 4, 5],
    "signup_time": USERS["signup_time"],
    "Platform": ["web", "iOS", "web", "Android", "iOS"],
    "Country": pd.Categorical(["US", "DE", "DE", "FR", "US"]),
    "Push On": [True, False, True, True, False],
    "Email": [f"user{i}@example.org" for i in range(5)],
    "Age": [34, 27, 51, 40, 22],
    "Last Seen": pd.to_datetime(["2024-02-29"] * 5, utc=True),
    "true_interest": [0.9, 0.1, 0.5, 0.2, 0.3],
})
FOREIGN_EVENTS = EVENTS.rename(columns={"user_id": "Member ID"})


def _more_users(users, n, **columns):
    """``users`` plus n users (ids 100, 101, ...) with no events, columns set by position."""
    extra = pd.concat([users.iloc[[0]]] * n, ignore_index=True)
    extra["Member ID"] = range(100, 100 + n)
    return pd.concat([users, extra], ignore_index=True).assign(**{
        k: [v(i) for i in range(len(users) + n)] for k, v in columns.items()})


def test_default_attributes_are_every_categorical_column_and_the_rest_is_reported():
    # Before issue 11 the default kept only channel/device/region: Platform and Country vanished.
    users = _more_users(FOREIGN_USERS, 50, Email=lambda i: f"user{i}@example.org")
    with pytest.warns(UserWarning, match="attributes") as caught:
        X, _, info = make_snapshot(FOREIGN_EVENTS, users, cutoff=CUTOFF, horizon="7D",
                                   user_col="Member ID")
    assert len(caught) == 1
    left_out = str(caught[0].message).split("not used:")[1]
    assert left_out.count("'") == 6  # exactly three columns named, each of them here
    for column in ("'Email' (55 distinct values)", "'Age' (numeric)", "'Last Seen' (datetime"):
        assert column in left_out
    assert info["attributes"] == ("Platform", "Country", "Push On")
    one_hots = [c for c, k in info["column_kinds"].items() if k == "one_hot"]
    assert one_hots == ["platform_android", "platform_ios", "platform_web", "country_de",
                        "country_fr", "country_us", "push_on_false", "push_on_true"]
    # oracle: pandas' own one-hot encoding of users 1, 2, 3
    dummies = pd.get_dummies(FOREIGN_USERS.set_index("Member ID").loc[[1, 2, 3],
                                                                      ["Platform", "Country"]])
    dummies = dummies.reindex(columns=["Platform_Android", "Platform_iOS", "Platform_web",
                                       "Country_DE", "Country_FR", "Country_US"], fill_value=False)
    np.testing.assert_array_equal(X[one_hots[:6]].to_numpy(), dummies.to_numpy(float))
    assert list(X["push_on_true"]) == [1.0, 0.0, 1.0]
    assert not [c for c in X.columns if "true_interest" in c or "email" in c]
    # at most 50 distinct values: 50 is kept, 51 is left out (and said so)
    for n_values, used in ((50, True), (51, False)):
        wide = _more_users(FOREIGN_USERS, 46, Platform=lambda i, n=n_values: f"v{i % n}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, _, info = make_snapshot(FOREIGN_EVENTS, wide, cutoff=CUTOFF, horizon="7D",
                                       user_col="Member ID")
        assert ("Platform" in info["attributes"]) is used
        assert (f"'Platform' ({n_values} distinct values)" in str(caught[0].message)) is not used
    # choosing the attributes explicitly: no warning, numeric columns as they are
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _, info = make_snapshot(FOREIGN_EVENTS, FOREIGN_USERS, cutoff=CUTOFF, horizon="7D",
                                   user_col="Member ID", attributes=("Age", "Platform"))
    assert info["column_kinds"]["age"] == "numeric"
    assert list(X["age"]) == [34.0, 27.0, 51.0]
    assert list(X.columns[-4:]) == ["age", "platform_android", "platform_ios", "platform_web"]
    assert "'Age'" in info["descriptions"]["age"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _, _ = make_snapshot(FOREIGN_EVENTS, FOREIGN_USERS, cutoff=CUTOFF, horizon="7D",
                                user_col="Member ID", attributes=())
    assert list(X.columns) == [c for c in EXPECTED.columns if EXPECTED_KINDS[c] != "one_hot"]


def test_requested_attributes_are_checked_all_at_once():
    with pytest.raises(ValueError) as err:
        make_snapshot(FOREIGN_EVENTS, FOREIGN_USERS, cutoff=CUTOFF, horizon="7D",
                      user_col="Member ID",
                      attributes=("Platfrom", "true_interest", "Last Seen", "signup_time",
                                  "Country", "Country"))
    text = str(err.value)
    for part in ("'Platfrom'", "true_", "'Last Seen'", "signup_time", "['Country'] are listed"):
        assert part in text
    with pytest.raises(ValueError, match=r"tuple of column names.*\('Platform',\)"):
        make_snapshot(FOREIGN_EVENTS, FOREIGN_USERS, cutoff=CUTOFF, horizon="7D",
                      user_col="Member ID", attributes="Platform")
    gappy = FOREIGN_USERS.assign(Age=[34.0, np.nan, 51.0, np.nan, 22.0])
    with pytest.raises(ValueError, match=r"'Age' is missing for 1 user\(s\).*\[2\]"):
        make_snapshot(FOREIGN_EVENTS, gappy, cutoff=CUTOFF, horizon="7D", user_col="Member ID",
                      attributes=("Age",))  # user 4 is missing too, but not in the population
    with pytest.raises(ValueError, match="need a users frame"):
        make_snapshot(EVENTS, cutoff=CUTOFF, horizon="7D", attributes=("channel",))


def test_feature_names_are_cleaned_and_collisions_raise():
    odd = EVENTS.assign(event=EVENTS["event"].replace({"like": "Sign Up", "share": "Share!!"}))
    X, _, info = make_snapshot(odd, USERS, cutoff=CUTOFF, horizon="7D")
    shares = [c for c in X.columns if c.startswith("share_")]
    assert shares == ["share_share", "share_sign_up", "share_session_start", "share_view"]  # sorted originals
    np.testing.assert_allclose(X["share_sign_up"], EXPECTED["share_like"], rtol=1e-12)
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", c) for c in X.columns)
    # the originals are accepted (and needed) to fix the types across snapshots
    again, _, _ = make_snapshot(odd, USERS, cutoff=CUTOFF, horizon="7D",
                                event_types=info["event_types"])
    pd.testing.assert_frame_equal(X, again)
    with pytest.raises(ValueError, match=r"\['sign_up'\] do not occur in the log"):
        make_snapshot(odd, USERS, cutoff=CUTOFF, horizon="7D", event_types=["sign_up"])
    # two events that clean to the same name
    clash = odd.assign(event=odd["event"].replace({"view": "sign-up"}))
    with pytest.raises(ValueError, match="'share_sign_up' from event 'Sign Up' and event "
                                         "'sign-up'"):
        make_snapshot(clash, USERS, cutoff=CUTOFF, horizon="7D")
    # two attribute values, and an attribute against an event share
    web = FOREIGN_USERS.assign(Platform=["web", "Web", "web", "Android", "iOS"])
    with pytest.raises(ValueError, match="'Platform' = 'Web' and users column 'Platform' = "
                                         "'web'"):
        make_snapshot(FOREIGN_EVENTS, web, cutoff=CUTOFF, horizon="7D", user_col="Member ID",
                      attributes=("Platform",))
    shady = FOREIGN_USERS.assign(Share=["like"] * 5)
    with pytest.raises(ValueError, match="'share_like' from event 'like' and users column "
                                         "'Share' = 'like'"):
        make_snapshot(FOREIGN_EVENTS, shady, cutoff=CUTOFF, horizon="7D", user_col="Member ID",
                      attributes=("Share",))
    with pytest.raises(ValueError, match="empty name: event '!!'"):
        make_snapshot(odd.assign(event=odd["event"].replace({"view": "!!"})), USERS,
                      cutoff=CUTOFF, horizon="7D")


def test_log_counts_uses_the_kinds_never_the_names():
    # Before issue 11, log_counts logged any column outside channel_/device_/region_: the
    # one-hot platform_* columns went from 1 to 0.693.
    with pytest.warns(UserWarning, match="attributes"):
        snap = make_snapshot(FOREIGN_EVENTS, FOREIGN_USERS, cutoff=CUTOFF, horizon="7D",
                             user_col="Member ID")
    X = snap.X
    heavy = [c for c in X.columns if EXPECTED_KINDS.get(c) in ("count", "duration")]
    assert len(heavy) == 20
    assert count_columns(X) == heavy
    out = log_counts(X)
    np.testing.assert_allclose(out[heavy], np.log(1.0 + X[heavy].to_numpy()), rtol=1e-12)
    others = [c for c in X.columns if c not in heavy]
    assert any(c.startswith("platform_") for c in others)
    pd.testing.assert_frame_equal(out[others], X[others])
    assert set(np.unique(out.filter(like="platform_"))) == {0.0, 1.0}
    assert X.loc[1, "visits_7d"] == 2.0  # the input is not modified
    with pytest.raises(ValueError, match="already log-transformed"):
        log_counts(out)
    # the subsets notebooks 05 and 06 take keep the kinds
    for part in (X.iloc[[0, 2]], X.loc[[3, 1]], X[heavy[:3] + others[-2:]], X.copy(),
                 X.assign(recency_days=0.0), pd.concat([X.iloc[:1], X.iloc[1:]]),
                 pd.concat({"a": X, "b": X})):
        expected = X.loc[part.index.get_level_values(-1), part.columns]
        kept = [c for c in part.columns if c in heavy]
        np.testing.assert_allclose(log_counts(part)[kept], np.log1p(part[kept]))
        assert count_columns(part) == kept and len(expected) == len(part)


def test_frames_without_kinds_raise_and_say_what_to_pass():
    snap = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D")
    by_hand = pd.DataFrame(snap.X.to_dict())  # no attrs
    mixed = pd.concat([snap.X, by_hand])  # attrs differ: pandas drops them
    for frame in (by_hand, mixed):
        with pytest.raises(ValueError, match=r"kinds=snapshot.info\['column_kinds'\]"):
            log_counts(frame)
        with pytest.raises(ValueError, match="no column kinds"):
            count_columns(frame)
        out = log_counts(frame, kinds=snap.info["column_kinds"])
        np.testing.assert_allclose(out["events_56d"], np.log1p(frame["events_56d"]))
        assert (out["channel_organic"] == frame["channel_organic"]).all()
    with pytest.raises(ValueError, match=r"no entry for the column\(s\) \['extra'\]"):
        count_columns(snap.X.assign(extra=1.0))
    with pytest.raises(ValueError, match=r"kinds\['visits_7d'\]='counts' is not supported; "
                                         "accepted values: 'count', 'duration'"):
        count_columns(snap.X[["visits_7d"]], kinds={"visits_7d": "counts"})
    assert count_columns(snap.X.assign(extra=1.0),
                         kinds={**snap.info["column_kinds"], "extra": "count"})[-1] == "extra"


def test_temporal_split_keeps_kinds_and_reports_left_out_columns_once():
    events = _random_log(np.random.default_rng(5), n_users=30, days=200)
    users = pd.DataFrame({"user_id": range(30),
                          "signup_time": pd.Timestamp("2023-12-01", tz="UTC"),
                          "plan": ["free", "Pro plan"] * 15, "score": np.arange(30.0)})
    start = events["timestamp"].min().normalize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train, test = temporal_split(events, users, train_cutoff=start + pd.Timedelta("80D"),
                                     test_cutoff=start + pd.Timedelta("120D"))
    assert [str(w.message).count("'score' (numeric)") for w in caught] == [1]
    assert train.info["column_kinds"] == test.info["column_kinds"] == test.X.attrs[
        "column_kinds"]
    assert "plan_pro_plan" in train.X.columns
    both = pd.concat([train.X, test.X])
    assert count_columns(both) == count_columns(train.X)
    assert "plan_pro_plan" not in count_columns(both)


@pytest.mark.filterwarnings("ignore:lookback starts")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True))
def test_any_event_names_give_clean_distinct_columns_or_a_clear_error(names):
    rng = np.random.default_rng(len(names))
    events = _random_log(rng, n_users=5, days=60)
    events["event"] = [(["session_start"] + names)[i % (len(names) + 1)]
                       for i in range(len(events))]
    cutoff = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta("56D")
    try:
        X, _, info = make_snapshot(events, cutoff=cutoff, allow_incomplete=True)
    except ValueError as err:
        assert "same name" in str(err) or "empty name" in str(err)
        return
    assert X.columns.is_unique
    assert all(c == c.lower() and not re.search(r"\W|__|^_|_$", c) for c in X.columns)
    shares = [c for c, k in info["column_kinds"].items() if k == "ratio"]
    np.testing.assert_allclose(X[shares].sum(axis=1), 1.0, rtol=1e-12)


# --- the committed simulated datasets: the same columns and values as computed independently ----

@pytest.mark.parametrize("preset", ["social", "game", "shop"])
def test_simulated_presets_keep_their_names_and_values(preset):
    from sklearn.preprocessing import OneHotEncoder

    from retainkit.datasets import load_app_events, load_app_users

    events, users = load_app_events(preset), load_app_users(preset)
    end = events["timestamp"].max().ceil("D")
    cutoff = end - pd.Timedelta("56D")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to report on the simulator's users
        X, y, info = make_snapshot(events, users, cutoff=cutoff, active_within="14D", as_of=end)
    # one-hots: scikit-learn's encoder on the whole users frame, names and values
    observable = ["channel", "device", "region"]
    encoder = OneHotEncoder(sparse_output=False).fit(users[observable])
    names = list(encoder.get_feature_names_out())
    assert [c for c in X.columns if info["column_kinds"][c] == "one_hot"] == names
    assert "channel_organic" in names and "device_ios" in names and "region_eu" in names
    mine = users.set_index("user_id").loc[X.index, observable]
    np.testing.assert_array_equal(X[names].to_numpy(), encoder.transform(mine))
    # counts and shares: recomputed with plain pandas from the raw log
    seen = events[(events["timestamp"] <= cutoff)
                  & (events["timestamp"] > cutoff - pd.Timedelta("56D"))]
    for w in (7, 28):
        window = seen[seen["timestamp"] > cutoff - pd.Timedelta(days=w)]
        visits = window[window["event"] == "session_start"].groupby("user_id").size()
        np.testing.assert_array_equal(X[f"visits_{w}d"],
                                      visits.reindex(X.index, fill_value=0))
    shares = pd.crosstab(seen["user_id"], seen["event"], normalize="index").loc[X.index]
    np.testing.assert_allclose(X[[f"share_{e}" for e in shares.columns]], shares, rtol=1e-12)
    assert y.index.equals(X.index) and np.isfinite(X.to_numpy()).all()
    # the heavy columns are exactly those the old name rule picked on these names
    old_rule = [c for c in X.columns
                if not c.startswith(("share_", "channel_", "device_", "region_", "trend_"))]
    assert count_columns(X) == old_rule
    np.testing.assert_allclose(log_counts(X)[old_rule], np.log1p(X[old_rule]), rtol=1e-12)


# --- issue 15: the population designs of notebook 04 -------------------------------------------

def test_active_within_equals_the_recency_filter_and_gone_users_are_positives():
    """Notebook 04 tabulates populations by filtering one snapshot on recency_days < w; that
    must equal make_snapshot(active_within=w), features and labels. A user gone at the cutoff
    by the truth (Simulation.alive_at) cannot be active in the horizon, so is labelled 1."""
    from retainkit.simulate import simulate_app

    sim = simulate_app("social", n_users=800, days=120, seed=3)
    cutoff = sim.end - pd.Timedelta("56D")
    X, y, _ = make_snapshot(sim.events, sim.users, cutoff=cutoff, as_of=sim.end)
    gone = ~sim.alive_at(cutoff).reindex(X.index)
    assert gone.any() and (y[gone] == 1).all()
    shares = {}
    for w in (28, 14, 7):
        Xw, yw, info = make_snapshot(sim.events, sim.users, cutoff=cutoff, as_of=sim.end,
                                     active_within=f"{w}D")
        keep = X["recency_days"] < w
        pd.testing.assert_frame_equal(Xw, X[keep])
        pd.testing.assert_series_equal(yw, y[keep])
        assert info["excluded"]["no_activity_in_lookback"] > 0
        shares[w] = gone[keep & (y == 1)].mean()
    # fewer days of silence allowed, fewer of the positives already gone (notebook 04's table)
    assert shares[28] > shares[14] > shares[7]
