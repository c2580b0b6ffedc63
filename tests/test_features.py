"""Tests for retainkit.features: hand-computed snapshot, labels, leakage guarantees, sequences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retainkit.features import (
    FEATURES,
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


def test_bad_events_raise():
    with pytest.raises(ValueError, match=r"no column\(s\) \['event'\]"):
        make_snapshot(EVENTS.drop(columns="event"), cutoff=CUTOFF, horizon="7D")
    broken = EVENTS.astype({"timestamp": object})
    broken.loc[3, "timestamp"] = None
    with pytest.raises(ValueError, match="'timestamp' has 1 missing"):
        make_snapshot(broken, cutoff=CUTOFF, horizon="7D")


def test_naive_times_are_utc():
    naive = EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_localize(None))
    X, y, _ = make_snapshot(naive, USERS, cutoff="2024-03-01", horizon="7D")
    pd.testing.assert_frame_equal(X, EXPECTED, check_exact=False, rtol=1e-12)


def test_short_lookback_keeps_fitting_windows_and_describes_them():
    X, _, info = make_snapshot(EVENTS, USERS, cutoff=CUTOFF, horizon="7D", lookback="14D")
    assert "visits_14d" in X.columns and "visits_28d" not in X.columns
    assert list(X.index) == [1, 2, 3]
    assert X.loc[1, "visits_14d"] == 2  # the 02-15 visit is 14.6 days back
    assert "14 days" in describe_feature("visits_14d")
    assert "{w}" in next(iter(k for k in FEATURES if k.startswith("visits_")))


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
    with pytest.raises(ValueError, match="accepted values"):
        activity_sequences(EVENTS, cutoff=CUTOFF, channels=("clicks",))


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


def test_log_counts_transforms_only_counts_and_durations():
    X = pd.DataFrame(
        {
            "visits_7d": [0.0, 9.0],
            "recency_days": [1.0, 0.0],
            "share_like": [0.5, 0.25],
            "trend_7d": [-0.3, 0.2],
            "channel_organic": [1.0, 0.0],
        },
        index=pd.Index([10, 11], name="user_id"),
    )
    assert count_columns(X) == ["visits_7d", "recency_days"]
    out = log_counts(X)
    np.testing.assert_allclose(out["visits_7d"], [0.0, math.log(10.0)])
    np.testing.assert_allclose(out["recency_days"], [math.log(2.0), 0.0])
    pd.testing.assert_frame_equal(out.drop(columns=["visits_7d", "recency_days"]),
                                  X.drop(columns=["visits_7d", "recency_days"]))
    assert X.loc[11, "visits_7d"] == 9.0  # the input is not modified
