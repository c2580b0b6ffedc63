"""retainkit.events: validate_events and sessions, against hand-written tables and properties."""

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retainkit.events import sessionize, sessions, validate_events

UTC = "UTC"


def raw_log() -> pd.DataFrame:
    """A small log with custom column names, unsorted, naive string times, an extra column."""
    return pd.DataFrame(
        {
            "uid": ["b", "a", "a", "b"],
            "when": ["2024-03-01 12:00", "2024-03-01 09:30:15", "2024-03-01 08:00", "2024-02-29"],
            "what": ["view", "like", "session_start", "session_start"],
            "platform": ["ios", "web", "web", "ios"],
        }
    )


def validate_raw(df: pd.DataFrame) -> pd.DataFrame:
    return validate_events(df, user_col="uid", time_col="when", event_col="what", tz=UTC)


# --- the clean output ---------------------------------------------------------------------


def test_custom_columns_are_renamed_sorted_and_kept():
    out = validate_raw(raw_log())
    expected = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "timestamp": pd.to_datetime(
                ["2024-03-01 08:00", "2024-03-01 09:30:15", "2024-02-29 00:00", "2024-03-01 12:00"],
                format="ISO8601",
            ).tz_localize(UTC),
            "event": ["session_start", "like", "session_start", "view"],
            "platform": ["web", "web", "ios", "ios"],
        }
    )
    pd.testing.assert_frame_equal(out, expected)
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_other_time_zones_are_converted_to_utc():
    # Paris is UTC+1 in January and UTC+2 in July; New York is UTC-5 in January.
    df = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "timestamp": [
                "2024-01-15T10:00:00+01:00",
                "2024-07-15T10:00:00+02:00",
                "2024-01-15T10:00:00-05:00",
            ],
            "event": ["a", "b", "c"],
        }
    )
    out = validate_events(df)
    hours = out["timestamp"].dt.hour.tolist()
    assert hours == [9, 8, 15]
    paris = pd.DataFrame(
        {
            "user_id": [1],
            "timestamp": pd.DatetimeIndex(["2024-01-15 10:00"]).tz_localize("Europe/Paris"),
            "event": ["a"],
        }
    )
    assert validate_events(paris)["timestamp"].iloc[0] == pd.Timestamp("2024-01-15 09:00", tz=UTC)


def test_naive_datetimes_and_datetime_objects_are_taken_as_utc():
    naive = pd.DataFrame(
        {"user_id": [1], "timestamp": pd.to_datetime(["2024-05-01 23:30"]), "event": ["a"]}
    )
    objects = naive.assign(timestamp=pd.Series([dt.datetime(2024, 5, 1, 23, 30)], dtype=object))
    for df in (naive, objects):
        with pytest.warns(UserWarning, match=r"naive timestamps in column 'timestamp' were taken "
                          r"as UTC.*tz='America/New_York'"):
            out = validate_events(df)
        assert out["timestamp"].iloc[0] == pd.Timestamp("2024-05-01 23:30", tz=UTC)
        assert validate_events(df, tz="UTC").equals(out)


def test_input_is_never_mutated():
    frames = [
        raw_log(),
        raw_log().set_index(pd.Index([7, 7, 3, 1])),  # repeated index labels
        raw_log().assign(when=pd.to_datetime(raw_log()["when"], format="mixed")),
        pd.concat([raw_log(), raw_log().iloc[:2]]),  # duplicates to drop
    ]
    for df in frames:
        before = df.copy(deep=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = validate_raw(df)
        pd.testing.assert_frame_equal(df, before)
        assert list(out.index) == list(range(len(out)))


def test_event_names_become_str_but_categoricals_stay():
    df = pd.DataFrame(
        {"user_id": [1, 1], "timestamp": ["2024-01-01", "2024-01-02"], "event": [3, 4]}
    )
    assert validate_events(df, tz=UTC)["event"].tolist() == ["3", "4"]
    cat = df.assign(event=pd.Categorical(["x", "y"]))
    assert isinstance(validate_events(cat, tz=UTC)["event"].dtype, pd.CategoricalDtype)


def test_simultaneous_events_keep_their_input_order():
    df = pd.DataFrame(
        {"user_id": [1, 1, 1], "timestamp": ["2024-01-01"] * 3, "event": ["c", "a", "b"]}
    )
    assert validate_events(df, tz=UTC)["event"].tolist() == ["c", "a", "b"]


def test_exact_duplicates_are_dropped_with_a_count():
    df = pd.concat([raw_log(), raw_log().iloc[[0, 0, 2]]])
    with pytest.warns(UserWarning, match=r"dropped 3 exact duplicate row"):
        out = validate_raw(df)
    assert len(out) == 4
    # the same instant written two ways is the same event once parsed
    two_ways = pd.DataFrame(
        {"user_id": [1, 1], "timestamp": ["2024-01-01T10:00Z", "2024-01-01 11:00+01:00"]}
    ).assign(event="a")
    with pytest.warns(UserWarning, match=r"dropped 1 exact duplicate"):
        assert len(validate_events(two_ways)) == 1


def test_rows_differing_in_an_extra_column_are_not_duplicates():
    df = raw_log().iloc[[0, 0]].assign(platform=["ios", "web"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(validate_raw(df)) == 2


# --- bad input ----------------------------------------------------------------------------


def shown_rows(message: str) -> int:
    """Number of table rows printed after the header line of an error message."""
    table = message.split(":\n", 1)[1].splitlines()
    return sum(1 for line in table[1:] if re.match(r"^\d+\s", line))


def test_empty_frame():
    with pytest.raises(ValueError, match="empty"):
        validate_raw(raw_log().iloc[:0])


def test_missing_column_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"'ts' \(time_col\) not found.*\['uid', 'when'"):
        validate_events(raw_log(), user_col="uid", time_col="ts", event_col="what")
    with pytest.raises(ValueError, match=r"columns 'user_id' \(user_col\), 'timestamp' "
                       r"\(time_col\), 'event' \(event_col\) not found"):
        validate_events(raw_log())


def test_unparseable_and_missing_timestamps_are_shown():
    df = raw_log()
    df.loc[1, "when"] = "last tuesday-ish"
    df.loc[3, "when"] = None
    with pytest.raises(ValueError, match=r"column 'when': missing or unparseable .* 2 row") as err:
        validate_raw(df)
    assert "last tuesday-ish" in str(err.value) and shown_rows(str(err.value)) == 2


def test_nat_in_a_datetime_column():
    df = pd.DataFrame(
        {"user_id": [1, 2], "timestamp": pd.to_datetime(["2024-01-01", None]), "event": "a"}
    )
    with pytest.raises(ValueError, match=r"'timestamp': missing or unparseable .* 1 row"):
        validate_events(df, tz=UTC)


def test_at_most_five_offending_rows_are_shown():
    df = pd.DataFrame({"user_id": range(8), "timestamp": ["nope"] * 8, "event": "a"})
    with pytest.raises(ValueError, match=r"in 8 row\(s\); first 5") as err:
        validate_events(df, tz=UTC)
    assert shown_rows(str(err.value)) == 5


def test_missing_user_ids():
    df = raw_log().astype({"uid": object})
    df.loc[[0, 2], "uid"] = [None, np.nan]
    with pytest.raises(ValueError, match=r"column 'uid': missing user id in 2 row") as err:
        validate_raw(df)
    assert shown_rows(str(err.value)) == 2


def test_missing_event_names():
    df = raw_log()
    df.loc[2, "what"] = None
    with pytest.raises(ValueError, match=r"column 'what': missing event name in 1 row"):
        validate_raw(df)


def test_user_ids_of_mixed_types():
    df = raw_log().assign(uid=[1, "1", 2, 3])
    with pytest.raises(ValueError, match=r"column 'uid': user ids of mixed types .* in 1 row"):
        validate_raw(df)


@pytest.mark.parametrize(
    "times",
    [
        ["2024-01-01 10:00", "2024-01-01 10:00+01:00", "2024-01-02", "2024-01-03"],
        ["2024-01-01T10:00Z", "2024-01-01 10:00", "2024-01-02T00:00:00+00:00", "2024-01-03 UTC"],
        [
            pd.Timestamp("2024-01-01", tz=UTC),
            dt.datetime(2024, 1, 2),
            pd.Timestamp("2024-01-03", tz="Asia/Tokyo"),
            dt.datetime(2024, 1, 4, tzinfo=dt.UTC),
        ],
    ],
)
def test_a_mix_of_naive_and_aware_timestamps(times):
    df = raw_log().assign(when=pd.Series(times, dtype=object))
    with pytest.raises(ValueError, match=r"column 'when': a mix of tz-naive and tz-aware"):
        validate_raw(df)


def test_numeric_timestamps_need_a_unit():
    df = raw_log().assign(when=[1.7e9, 1.7e9, 1.7e9, 1.7e9])
    with pytest.raises(ValueError, match=r"column 'when' is numeric .*unit='s'"):
        validate_raw(df)
    objects = raw_log().assign(when=pd.Series([1, "2024-01-01", "2024-01-02", "2024-01-03"]))
    with pytest.raises(ValueError, match=r"'when': value that is neither a string nor a datetime"):
        validate_raw(objects)


def test_a_column_clashing_with_a_canonical_name():
    df = raw_log().assign(event="stale copy")
    with pytest.raises(ValueError, match=r"'event' is already in the frame"):
        validate_raw(df)


def test_same_column_for_two_roles_and_non_frames():
    with pytest.raises(ValueError, match="must be different"):
        validate_events(raw_log(), user_col="uid", time_col="uid", event_col="what")
    with pytest.raises(TypeError, match="DataFrame"):
        validate_events(raw_log().to_dict())


# --- properties -----------------------------------------------------------------------------

base = pd.Timestamp("2024-01-01", tz=UTC)
rows = st.lists(
    st.tuples(
        st.integers(0, 4),  # user
        st.integers(0, 40),  # minutes after base: small, so duplicates happen
        st.sampled_from(["view", "like"]),
    ),
    min_size=1,
    max_size=60,
)


def frame(data: list[tuple[int, int, str]]) -> pd.DataFrame:
    users, minutes, events = zip(*data, strict=True)
    return pd.DataFrame(
        {
            "user_id": list(users),
            "timestamp": base + pd.to_timedelta(list(minutes), unit="min"),
            "event": list(events),
        }
    )


@settings(max_examples=60, deadline=None)
@given(rows)
def test_property_length_is_input_minus_duplicates_and_order(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = validate_events(frame(data))
    assert len(out) == len(set(data))  # oracle: distinct tuples
    key = list(zip(out["user_id"], out["timestamp"], strict=True))
    assert key == sorted(key)
    minutes = ((out["timestamp"] - base) / pd.Timedelta("1min")).astype(int)
    assert set(zip(out["user_id"], minutes, out["event"], strict=True)) == set(data)


# --- sessions -----------------------------------------------------------------------------


def tiny_log() -> pd.DataFrame:
    # gap 30 min. User 7: 0,10 | 45,50 | 130 -> 3 sessions. User 3: 0,30 (a gap of exactly
    # 30 min stays in the session) | 61 -> 2 sessions. Rows deliberately shuffled.
    minutes = {7: [50, 0, 130, 10, 45], 3: [61, 0, 30]}
    users = [u for u, ms in minutes.items() for _ in ms]
    offsets = [m for ms in minutes.values() for m in ms]
    return pd.DataFrame(
        {
            "user_id": users,
            "timestamp": base + pd.to_timedelta(offsets, unit="min"),
            "event": "view",
        }
    )


def test_sessionize_hand_checked():
    out = sessionize(tiny_log(), "30min")
    assert out["user_id"].tolist() == [3, 3, 3, 7, 7, 7, 7, 7]
    assert out["session_id"].tolist() == [0, 0, 1, 2, 2, 3, 3, 4]
    assert out["session_id"].dtype == np.int64
    assert out.groupby("user_id")["session_id"].nunique().to_dict() == {3: 2, 7: 3}
    # the original index travels with the rows
    assert out.index.tolist() == [6, 7, 5, 1, 3, 4, 0, 2]


def test_sessions_summary_hand_checked():
    out = sessions(tiny_log(), gap="30min")
    expected = pd.DataFrame(
        {
            "user_id": [3, 3, 7, 7, 7],
            "start": base + pd.to_timedelta([0, 61, 0, 45, 130], unit="min"),
            "end": base + pd.to_timedelta([30, 61, 10, 50, 130], unit="min"),
            "duration_s": [1800.0, 0.0, 600.0, 300.0, 0.0],
            "n_events": np.array([2, 1, 2, 2, 1], dtype=np.int64),
        },
        index=pd.Index(np.arange(5, dtype=np.int64), name="session_id"),
    )
    pd.testing.assert_frame_equal(out, expected)


def test_a_longer_gap_merges_sessions():
    assert sessions(tiny_log(), gap="80min")["n_events"].tolist() == [3, 5]


def test_sessionize_rejects_bad_gaps_and_columns():
    for gap in ["0min", "-5min", "soon", None]:
        with pytest.raises(ValueError, match="gap"):
            sessionize(tiny_log(), gap)
    with pytest.raises(ValueError, match=r"'timestamp' must hold datetimes"):
        sessionize(tiny_log().assign(timestamp="2024-01-01"))
    with pytest.raises(ValueError, match=r"'ts' \(time_col\) not found"):
        sessionize(tiny_log(), time_col="ts")


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(1, 15), st.randoms(use_true_random=False))
def test_property_session_gaps(data, gap_minutes, rnd):
    gap = pd.Timedelta(minutes=gap_minutes)
    df = frame(data)
    out = sessionize(df, gap)
    step = out.groupby("user_id")["timestamp"].diff()
    same_session = out["session_id"].eq(out["session_id"].shift())
    assert (step[same_session] <= gap).all()
    assert (step[~same_session].dropna() > gap).all()
    # unique across users, numbered 0..n-1 without holes
    assert (out.groupby("session_id")["user_id"].nunique() == 1).all()
    assert sorted(out["session_id"].unique()) == list(range(out["session_id"].nunique()))
    # deterministic: the row order of the input does not matter
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10**6))
    again = sessionize(shuffled, gap)
    pd.testing.assert_series_equal(
        again.set_index(["user_id", "timestamp"])["session_id"].groupby(level=[0, 1]).first(),
        out.set_index(["user_id", "timestamp"])["session_id"].groupby(level=[0, 1]).first(),
    )


# --- local times, formats, and every problem at once ------------------------------------------

NY = "America/New_York"  # DST 2025: clocks jump 02:00 -> 03:00 on 9 March, 02:00 -> 01:00 on 2 Nov


def local_log(times: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"user_id": range(len(times)), "timestamp": times, "event": "open"})


def test_naive_local_times_are_converted_with_the_zone_s_dst_rules():
    out = validate_events(local_log(["2025-03-08 12:00", "2025-03-10 12:00", "2025-11-03 12:00"]),
                          tz=NY)
    assert out["timestamp"].dt.hour.tolist() == [17, 16, 17]  # EST = UTC-5, EDT = UTC-4


def test_nonexistent_local_times_raise_unless_shifted():
    log = local_log(["2025-03-09 01:59", "2025-03-09 02:30", "2025-03-09 02:45", "2025-03-09 03:00"])
    with pytest.raises(ValueError, match=r"does not exist in America/New_York .* in 2 row") as err:
        validate_events(log, tz=NY)
    assert "02:30" in str(err.value) and "shift_forward" in str(err.value)
    forward = validate_events(log, tz=NY, nonexistent="shift_forward")["timestamp"]
    assert forward.tolist() == [pd.Timestamp(t, tz=UTC) for t in
                                ["2025-03-09 06:59", "2025-03-09 07:00", "2025-03-09 07:00",
                                 "2025-03-09 07:00"]]


def test_ambiguous_local_times_raise_unless_resolved():
    log = local_log(["2025-11-02 00:59", "2025-11-02 01:30", "2025-11-02 02:00"])
    with pytest.raises(ValueError, match=r"occurs twice in America/New_York .* in 1 row"):
        validate_events(log, tz=NY)
    earliest = validate_events(log, tz=NY, ambiguous="earliest")["timestamp"].dt.strftime("%H:%M")
    latest = validate_events(log, tz=NY, ambiguous="latest")["timestamp"].dt.strftime("%H:%M")
    assert earliest.tolist() == ["04:59", "05:30", "07:00"]  # 01:30 EDT
    assert latest.tolist() == ["04:59", "06:30", "07:00"]  # 01:30 EST
    flags = validate_events(log, tz=NY, ambiguous=np.array([True, False, True]))["timestamp"]
    assert flags.dt.strftime("%H:%M").tolist() == latest.tolist()


@settings(max_examples=80, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31)),
       st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"]))
def test_property_local_times_match_zoneinfo(local, zone):
    from zoneinfo import ZoneInfo

    local = local.replace(microsecond=0)
    aware = local.replace(tzinfo=ZoneInfo(zone))  # fold=0: the earliest of a repeated time
    if aware.astimezone(dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != local:
        return  # skipped by a DST change: no such local time
    out = validate_events(local_log([local.strftime("%Y-%m-%d %H:%M:%S")]), tz=zone,
                          ambiguous="earliest")
    assert out["timestamp"].iloc[0] == pd.Timestamp(aware.astimezone(dt.UTC))


def test_format_parses_fast_and_reports_what_does_not_match():
    us = ["03/09/2025 01:30:00 PM", "12/31/2025 11:59:59 PM", "01/02/2025 12:00:00 AM"]
    fmt = "%m/%d/%Y %I:%M:%S %p"
    given_format = validate_events(local_log(us), tz=NY, format=fmt)
    guessed = validate_events(local_log(us), tz=NY)  # the format is guessed from the first string
    pd.testing.assert_frame_equal(given_format, guessed)
    assert given_format["timestamp"].iloc[0] == pd.Timestamp("2025-03-09 17:30", tz=UTC)
    with pytest.raises(ValueError, match=r"(?s)unparseable timestamp in 1 row.*format='%m/%d/%Y"):
        validate_events(local_log([*us, "2025-01-02 10:00"]), tz=NY, format=fmt)
    aware = validate_events(local_log(["2025-03-09 13:30 +0100"]), format="%Y-%m-%d %H:%M %z")
    assert aware["timestamp"].iloc[0] == pd.Timestamp("2025-03-09 12:30", tz=UTC)


def test_tz_on_aware_input_is_ignored_with_a_warning():
    log = local_log(["2025-01-01T10:00Z"]).assign(
        timestamp=lambda d: pd.to_datetime(d["timestamp"], utc=True))
    with pytest.warns(UserWarning, match=r"tz='America/New_York' was not used.*already tz-aware"):
        out = validate_events(log, tz=NY)
    assert out["timestamp"].iloc[0] == pd.Timestamp("2025-01-01 10:00", tz=UTC)


def test_every_problem_is_reported_at_once():
    df = raw_log().astype({"uid": object})
    df.loc[0, "uid"] = None
    df.loc[1, "when"] = "not a time"
    df.loc[2, "what"] = None
    with pytest.raises(ValueError, match=r"the event log has 3 problems") as err:
        validate_raw(df)
    message = str(err.value)
    for expected in ["1. column 'uid': missing user id in 1 row",
                     "2. column 'what': missing event name in 1 row",
                     "3. column 'when': missing or unparseable timestamp in 1 row"]:
        assert expected in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus_Mons"}, r"tz='Mars/Olympus_Mons' is not a time zone"),
        ({"tz": NY, "nonexistent": "skip"}, r"nonexistent='skip' is not supported; accepted "
                                            r"values: 'raise', 'shift_forward'"),
        ({"tz": NY, "ambiguous": "first"}, r"ambiguous='first' is not supported"),
    ],
)
def test_bad_zone_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        validate_events(local_log(["2025-01-01 10:00"]), **kwargs)
