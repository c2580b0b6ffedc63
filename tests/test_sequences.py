"""activity_sequences' sign-up mask channel (issue 15 item 10): not here yet != here and silent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retainkit.features import SEQUENCE_CHANNELS, activity_sequences

T0 = pd.Timestamp("2024-01-01", tz="UTC")
CUTOFF = T0 + pd.Timedelta("10D")
# user 1 signed up on day 0 and was silent for days 3-9; user 2 signed up 7.5 days before the
# cutoff; user 3 signed up without ever visiting; user 4 is not in the users table
LOG = pd.DataFrame({
    "user_id": [1, 1, 2, 2, 4],
    "event": ["session_start", "like", "session_start", "session_start", "session_start"],
    "timestamp": T0 + pd.to_timedelta(["1h", "2D 2h", "2D 13h", "9D 5h", "5D"]),
})
USERS = pd.DataFrame({"user_id": [1, 2, 3],
                      "signup_time": T0 + pd.to_timedelta(["0h", "2D 12h", "6D"])})


def test_days_before_sign_up_differ_from_inactive_days():
    seq = activity_sequences(LOG, USERS, cutoff=CUTOFF, days=10, index=[1, 2, 3, 4],
                             channels=("visits", "signed_up"))
    visits, mask = seq[:, :, 0], seq[:, :, 1]
    # day d covers (T0 + d days, T0 + (d + 1) days]
    assert mask[0].tolist() == [1.0] * 10
    assert mask[1].tolist() == [0.0, 0.0] + [1.0] * 8   # signed up inside day 2
    assert mask[2].tolist() == [0.0] * 5 + [1.0] * 5    # sign-up at 6D exactly ends day 5
    assert mask[3].tolist() == [0.0] * 10                # unknown to users: never signed up
    # user 1 on day 5 (signed up, silent) and user 2 on day 0 (not signed up yet): the visit
    # channel cannot tell them apart, the mask can
    assert visits[0, 5] == visits[1, 0] == 0.0
    assert mask[0, 5] != mask[1, 0]
    assert set(np.unique(seq[:, :, 1])) <= {0.0, 1.0} and seq.dtype == np.float32


def test_without_users_the_first_event_stands_in_for_the_sign_up():
    seq = activity_sequences(LOG, cutoff=CUTOFF, days=10, index=[1, 2, 3, 4],
                             channels=("signed_up",))[:, :, 0]
    first = LOG.groupby("user_id")["timestamp"].min()
    day_end = T0 + pd.to_timedelta(np.arange(1, 11), unit="D")
    for row, user in enumerate([1, 2, 3, 4]):
        expected = (day_end >= first[user]) if user in first else np.zeros(10, bool)
        assert seq[row].tolist() == list(np.asarray(expected, float)), user
    # user 2's sign-up (2D 12h) precedes the first visit (2D 13h) within the same day: same mask
    with_users = activity_sequences(LOG, USERS, cutoff=CUTOFF, days=10, index=[1, 2],
                                    channels=("signed_up",))
    np.testing.assert_array_equal(with_users[:, :, 0], seq[:2])


def test_mask_on_a_simulation_is_monotone_and_no_activity_precedes_it():
    from retainkit.simulate import simulate_app

    sim = simulate_app("social", n_users=400, days=60, seed=1)
    cutoff = sim.end - pd.Timedelta("20D")
    seq = activity_sequences(sim.events, sim.users, cutoff=cutoff, days=28,
                             channels=SEQUENCE_CHANNELS, index=sim.users["user_id"])
    mask = seq[:, :, SEQUENCE_CHANNELS.index("signed_up")]
    events = seq[:, :, SEQUENCE_CHANNELS.index("events")]
    assert (np.diff(mask, axis=1) >= 0).all()            # once signed up, always signed up
    assert (events[mask == 0] == 0).all()                # nobody acts before signing up
    signup = sim.users.set_index("user_id")["signup_time"]
    expected = ((cutoff - signup) / pd.Timedelta("1D")).clip(lower=-1)
    n_days = np.clip(np.floor(expected.to_numpy()) + 1, 0, 28)  # days ending at or after it
    np.testing.assert_array_equal(mask.sum(axis=1), n_days)
    assert (mask.sum(axis=1) < 28).any() and (mask.sum(axis=1) == 28).any()  # both kinds


def test_mask_input_errors_name_the_argument():
    with pytest.raises(ValueError, match="users has no column 'signup_time'"):
        activity_sequences(LOG, USERS.drop(columns="signup_time"), cutoff=CUTOFF,
                           channels=("signed_up",))
    with pytest.raises(ValueError, match="channels='mask' is not supported; accepted values: "
                                         "'visits', 'events', 'active', 'signed_up'"):
        activity_sequences(LOG, cutoff=CUTOFF, channels=("mask",))
