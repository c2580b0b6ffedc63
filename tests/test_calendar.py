"""Calendar helpers in a reporting time zone, against a brute force on local dates.

A log in America/New_York spans both 2025 DST changes (9 March: 23-hour day; 2 November:
25-hour day), with visits clustered around local midnight, where UTC and local dates differ.
Every calendar helper must agree with a brute force that converts each event to its local
date with pandas and counts users per date, the way a person would check it by hand.
"""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from retainkit.retention import (
    active_users,
    bracket_retention,
    churn_rate,
    lifecycle,
    retention_curve,
    retention_table,
    stickiness,
)

NY = "America/New_York"
AS_OF = pd.Timestamp("2025-11-20 00:00", tz=NY)


def dst_log(seed: int = 0) -> pd.DataFrame:
    """120 users in two sign-up waves (around each DST change), visits near local midnight."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(120):
        wave = pd.Timestamp("2025-03-05" if user < 60 else "2025-10-28", tz=NY)
        start = wave + pd.Timedelta(days=float(rng.uniform(0, 8)))
        for _ in range(int(rng.integers(1, 9))):
            day = int(rng.integers(0, 12))
            minute = int(rng.choice([-40, -15, -5, 5, 20, 50, 600]))  # around local midnight
            moment = (start.normalize() + pd.Timedelta(days=day)).tz_localize(None)
            local = (moment + pd.Timedelta(minutes=minute)).tz_localize(
                NY, nonexistent="shift_forward", ambiguous=True)
            rows.append((user, max(local, start)))
        rows.append((user, start))
    log = pd.DataFrame(rows, columns=["user_id", "timestamp"])
    log["timestamp"] = pd.to_datetime(log["timestamp"], utc=True)
    log["event"] = "visit"
    log["platform"] = np.where(log["user_id"] % 3 == 0, "web", "ios")
    return log.sort_values(["user_id", "timestamp"], kind="mergesort").reset_index(drop=True)


def local_dates(log: pd.DataFrame, tz: str = NY) -> pd.Series:
    return log["timestamp"].dt.tz_convert(tz).dt.date


def local_midnight(date: dt.date, tz: str = NY) -> pd.Timestamp:
    return pd.Timestamp(date).tz_localize(tz)


def brute_day_table(log: pd.DataFrame, as_of: pd.Timestamp, n: int, tz: str = NY):
    """Day-N retention counts by hand: cohorts and returns on local dates."""
    days = pd.DataFrame({"user": log["user_id"], "date": local_dates(log, tz)}).drop_duplicates()
    first = days.groupby("user")["date"].min()
    rows = {}
    for cohort, members in first.groupby(first):
        cells = []
        for k in range(n + 1):
            target = cohort + dt.timedelta(days=k)
            if local_midnight(target + dt.timedelta(days=1), tz) > as_of:
                cells.append(np.nan)
                continue
            hit = days[(days["date"] == target) & days["user"].isin(members.index)]
            cells.append(float(hit["user"].nunique()))
        rows[local_midnight(cohort, tz)] = [len(members), *cells]
    return pd.DataFrame.from_dict(rows, orient="index", columns=["cohort_size", *range(n + 1)])


def test_day_n_table_equals_the_brute_force_on_local_dates():
    log = dst_log()
    got = retention_table(log, max_periods=14, as_of=AS_OF, rates=False, tz=NY)
    want = brute_day_table(log, AS_OF, 14)
    assert list(got.index) == list(want.index)
    assert str(got.index.dtype) == f"datetime64[ns, {NY}]"
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    # The same log read in UTC has different cohorts: the zone matters for this log.
    utc = retention_table(log, max_periods=14, as_of=AS_OF, rates=False)
    assert not np.array_equal(utc["cohort_size"].to_numpy(), got["cohort_size"].to_numpy())


def test_a_dst_day_lasts_23_or_25_hours():
    log = dst_log()
    table = retention_table(log, max_periods=1, as_of=AS_OF, tz=NY)
    labels = table.index
    spring = labels.get_loc(pd.Timestamp("2025-03-09", tz=NY))
    fall = labels.get_loc(pd.Timestamp("2025-11-02", tz=NY))
    assert labels[spring + 1] - labels[spring] == pd.Timedelta(hours=23)
    assert labels[fall + 1] - labels[fall] == pd.Timedelta(hours=25)


def test_the_reporting_zone_is_not_the_clock_of_the_log():
    log = dst_log()
    wall = log.assign(timestamp=log["timestamp"].dt.tz_convert(NY).dt.tz_localize(None))
    # 01:00-02:00 on 2 November happens twice: a naive copy cannot say which, so drop those
    # few rows from both logs before comparing.
    repeated = (wall["timestamp"] >= "2025-11-02 01:00") & (wall["timestamp"] < "2025-11-02 02:00")
    aware = retention_table(log[~repeated], max_periods=10, as_of=AS_OF, tz=NY)
    with pytest.warns(UserWarning, match=r"taken as UTC.*validate_events\(df, tz="):
        misread = retention_table(wall[~repeated], max_periods=10, as_of=AS_OF, tz=NY)
    assert not misread.equals(aware)  # wall-clock times read as UTC: shifted by 4-5 hours
    from retainkit.events import validate_events
    converted = validate_events(wall[~repeated], tz=NY)
    pd.testing.assert_frame_equal(
        retention_table(converted, max_periods=10, as_of="2025-11-20 00:00", tz=NY), aware)


def test_active_users_stickiness_lifecycle_and_churn_follow_local_dates():
    log = dst_log()
    dates = local_dates(log)
    dau = active_users(log, "D", as_of=AS_OF, tz=NY)
    by_hand = pd.Series(log["user_id"].groupby(dates).nunique())
    for label, value in dau.dropna().items():
        assert value == by_hand.get(label.date(), 0), label
    assert np.isnan(dau.iloc[-1]) and dau.index[-1] == AS_OF

    sticky = stickiness(log, days=20, as_of=AS_OF, tz=NY).histogram
    window = [AS_OF.date() - dt.timedelta(days=d) for d in range(1, 21)]
    per_user = pd.DataFrame({"u": log["user_id"], "d": dates})
    per_user = per_user[per_user["d"].isin(window)].drop_duplicates().groupby("u").size()
    expected = per_user.value_counts().reindex(range(1, 21), fill_value=0)
    np.testing.assert_array_equal(sticky.to_numpy(), expected.to_numpy())

    life = lifecycle(log, "day", as_of=AS_OF, tz=NY)
    active = life["new"] + life["returning"] + life["resurrecting"]
    for label, value in active.dropna().items():
        assert value == by_hand.get(label.date(), 0), label
    first_day = dates.groupby(log["user_id"]).min().value_counts()
    for label, value in life["new"].dropna().items():
        assert value == first_day.get(label.date(), 0), label

    churn = churn_rate(log, "day", as_of=AS_OF, tz=NY)
    day_sets = per_user_dates = pd.DataFrame({"u": log["user_id"], "d": dates}).drop_duplicates()
    users_on = day_sets.groupby("d")["u"].apply(set)
    for label, lost in churn["churned"].dropna().items():
        today = users_on.get(label.date(), set())
        tomorrow = users_on.get(label.date() + dt.timedelta(days=1), set())
        assert lost == len(today - tomorrow), label
    del per_user_dates


def test_sunday_weeks_give_sunday_cohort_labels():
    log = dst_log()
    sunday = retention_table(log, period="week", as_of=AS_OF, tz=NY, week_start="sunday")
    monday = retention_table(log, period="week", as_of=AS_OF, tz=NY)
    assert set(sunday.index.day_name()) == {"Sunday"}
    assert set(monday.index.day_name()) == {"Monday"}
    assert (sunday.index.hour == 0).all() and (sunday.index.minute == 0).all()
    dates = local_dates(log)
    week = pd.to_datetime(dates) - pd.to_timedelta((pd.to_datetime(dates).dt.weekday + 1) % 7,
                                                   unit="D")
    first_week = week.groupby(log["user_id"]).min().value_counts().sort_index()
    assert sunday["cohort_size"].tolist() == first_week.tolist()
    life = lifecycle(log, "week", as_of=AS_OF, tz=NY, week_start="sunday")
    assert set(life.index.day_name()) == {"Sunday"}


def test_bracket_retention_uses_the_same_local_calendar():
    log = dst_log()
    brackets = bracket_retention(log, ((1, 1), (2, 7)), as_of=AS_OF, rates=False, tz=NY)
    table = retention_table(log, max_periods=7, as_of=AS_OF, rates=False, tz=NY)
    pd.testing.assert_series_equal(brackets["1"], table[1], check_names=False)
    assert list(brackets.index) == list(table.index)


def test_breakdowns_split_cohorts_by_segment():
    log = dst_log()
    whole = retention_table(log, max_periods=7, as_of=AS_OF, rates=False, tz=NY)
    split = retention_table(log, max_periods=7, as_of=AS_OF, rates=False, tz=NY, by="platform")
    assert split.index.names == ["platform", "cohort"]
    summed = split.groupby(level="cohort").sum(min_count=1)
    pd.testing.assert_frame_equal(summed, whole, check_dtype=False)
    web = retention_table(log[log["user_id"] % 3 == 0], max_periods=7, as_of=AS_OF,
                          rates=False, tz=NY)
    pd.testing.assert_frame_equal(split.loc["web"], web)

    users = log.groupby("user_id")["platform"].first().rename("device")
    by_series = retention_table(log, max_periods=7, as_of=AS_OF, rates=False, tz=NY, by=users)
    assert by_series.index.names == ["device", "cohort"]
    np.testing.assert_array_equal(by_series.to_numpy(), split.to_numpy())

    curves = retention_curve(retention_table(log, max_periods=7, as_of=AS_OF, tz=NY,
                                             by="platform"), by="platform")
    assert set(curves.index.get_level_values("platform")) == {"ios", "web"}
    with pytest.raises(ValueError, match="broken down by"):
        retention_curve(split)

    dau = active_users(log, "D", as_of=AS_OF, tz=NY, by="platform")
    total = active_users(log, "D", as_of=AS_OF, tz=NY)
    pd.testing.assert_series_equal(dau.groupby(level="day").sum(min_count=1), total,
                                   check_names=False)
    life = lifecycle(log, "week", as_of=AS_OF, tz=NY, by="platform")
    assert life.index.names == ["platform", "period"]


def test_breakdown_problems_are_named():
    log = dst_log()
    with pytest.raises(ValueError, match="by='plan' is not a column"):
        retention_table(log, by="plan")
    partial = pd.Series({0: "a"}, name="plan")
    with pytest.raises(ValueError, match="user\\(s\\) of the event log have no value"):
        retention_table(log, by=partial)
    gaps = log.assign(platform=log["platform"].where(log["user_id"] != 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="missing segment value"):
            retention_table(gaps.sort_values("timestamp"), by="platform")


def test_bad_zone_and_week_start_name_the_argument():
    log = dst_log()
    with pytest.raises(ValueError, match="tz='Atlantis' is not a time zone"):
        retention_table(log, tz="Atlantis")
    with pytest.raises(ValueError, match="week_start='friday' is not supported; accepted "
                                         "values: 'monday', 'sunday'"):
        lifecycle(log, week_start="friday")
