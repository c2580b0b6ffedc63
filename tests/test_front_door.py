"""One front door: the same log gives the same result through every helper that takes events,
whether its timestamps are strings, tz-naive or tz-aware (in any zone), or its events
categorical; and every helper names a missing column the same way."""

import warnings

import pandas as pd
import pytest

from retainkit.events import sessions, validate_events
from retainkit.features import activity_sequences, make_snapshot
from retainkit.retention import (
    active_users,
    bracket_retention,
    churn_rate,
    lifecycle,
    retention_table,
    stickiness,
)
from retainkit.simulate import simulate_app
from retainkit.survival import durations_from_events

AS_OF = "2026-03-01"
CUTOFF = "2026-02-01"


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    sim = simulate_app("social", n_users=300, days=60, seed=11)
    return sim.events[sim.events["timestamp"] < AS_OF].reset_index(drop=True)


def variants(log: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ts = log["timestamp"]
    return {
        "aware UTC": log,
        "aware New York": log.assign(timestamp=ts.dt.tz_convert("America/New_York")),
        "naive UTC": log.assign(timestamp=ts.dt.tz_localize(None)),
        "ISO strings with Z": log.assign(timestamp=ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        "naive strings": log.assign(timestamp=ts.dt.strftime("%Y-%m-%d %H:%M:%S.%f")),
        "categorical events": log.assign(event=log["event"].astype("category")),
    }


HELPERS = {
    "retention_table": lambda ev: retention_table(ev, as_of=AS_OF, max_periods=14),
    "bracket_retention": lambda ev: bracket_retention(ev, as_of=AS_OF),
    "retention_table by week, New York": lambda ev: retention_table(
        ev, period="week", as_of=AS_OF, tz="America/New_York", return_event="post"),
    "active_users": lambda ev: active_users(ev, "W", as_of=AS_OF),
    "stickiness": lambda ev: stickiness(ev, days=14, as_of=AS_OF).histogram,
    "lifecycle": lambda ev: lifecycle(ev, "week", as_of=AS_OF, activity_event="post"),
    "churn_rate": lambda ev: churn_rate(ev, "week", as_of=AS_OF),
    "durations_from_events": lambda ev: durations_from_events(ev, as_of=AS_OF),
    "make_snapshot": lambda ev: make_snapshot(ev, cutoff=CUTOFF, horizon="14D", as_of=AS_OF).X,
    "activity_sequences": lambda ev: pd.DataFrame(
        (seq := activity_sequences(ev, cutoff=CUTOFF, days=14)).reshape(len(seq), -1)),
    "sessions": lambda ev: sessions(validate_events(ev)).reset_index(drop=True),
}


def quietly(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # naive inputs warn that they were taken as UTC
        return fn(*args)


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_every_helper_gives_the_same_result_for_every_shape_of_the_same_log(log, helper):
    reference = HELPERS[helper](log)
    for name, variant in variants(log).items():
        got = quietly(HELPERS[helper], variant)
        if isinstance(reference, pd.DataFrame):
            pd.testing.assert_frame_equal(got, reference, check_categorical=False,
                                          obj=f"{helper} on {name}")
        else:
            pd.testing.assert_series_equal(got, reference, obj=f"{helper} on {name}")


def test_naive_timestamps_warn_in_every_helper(log):
    naive = variants(log)["naive UTC"]
    for fn in HELPERS.values():
        with pytest.warns(UserWarning, match="naive timestamps in column 'timestamp'"):
            fn(naive)


@pytest.mark.parametrize("helper", sorted(HELPERS))
def test_a_missing_column_is_named_with_its_argument(log, helper):
    renamed = log.rename(columns={"timestamp": "time"})
    with pytest.raises(ValueError, match=r"'timestamp' \(time_col\).*available columns: "
                                         r"\['user_id', 'time', 'event'\]"):
        HELPERS[helper](renamed)


def test_unparseable_times_are_reported_the_same_way_everywhere(log):
    bad = log.assign(timestamp=log["timestamp"].astype(str).where(log.index != 3, "soon"))
    for fn in HELPERS.values():
        with pytest.raises(ValueError, match=r"column 'timestamp': missing or unparseable "
                                             r"timestamp in 1 row"):
            fn(bad)
