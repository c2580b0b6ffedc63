"""temporal_split: an earlier snapshot to train on, a later one to test on (private module)."""

from __future__ import annotations

import pandas as pd

from retainkit._validation import positive_duration, to_utc
from retainkit.features._attributes import default_attributes
from retainkit.features._input import prepare_events
from retainkit.features._snapshot import Snapshot, make_snapshot


def temporal_split(
    events: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    train_cutoff,
    test_cutoff,
    horizon="28D",
    lookback="56D",
    tz=None,
    **snapshot_kwargs,
) -> tuple[Snapshot, Snapshot]:
    """Train on an earlier snapshot, test on a later one, without the label windows leaking.

    Introduced in notebook 04. Returns ``(train, test)``, two ``make_snapshot`` results at
    ``train_cutoff`` and ``test_cutoff``. Requires ``train_cutoff + horizon <= test_cutoff``, which
    guarantees exactly this: everything in the training set, features *and* labels, is computed
    from events at or before ``test_cutoff``, so a model fitted on it could really have been
    fitted at the test cutoff; and the test labels look only at ``(test_cutoff, test_cutoff +
    horizon]``, which no training feature or label sees. The same user may appear in both sets
    (with different snapshot dates): that is the deployment situation, not a leak. (A random
    split of the pooled snapshots answers another question, how a model does on rows like its
    training rows; notebook 04 compares the two on the same test rows.) Both sets
    have the same columns in the same order (event types fixed from the log at or before the
    test cutoff, attribute categories from the whole ``users`` frame).

    ``tz`` is the zone of naive timestamps and of naive cutoffs, as in ``make_snapshot``; the
    condition above is checked in real (UTC) time. Other keyword arguments are passed to
    ``make_snapshot`` for both snapshots (with the default ``attributes``, the users columns
    left out are reported once).

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 1, 2, 2],
    ...                     "event": ["session_start", "like", "session_start"] * 1
    ...                              + ["session_start"] * 2,
    ...                     "timestamp": t0 + pd.to_timedelta([0, 1, 20, 3, 40], unit="D")})
    >>> train, test = temporal_split(log, train_cutoff=t0 + pd.Timedelta("10D"),
    ...                              test_cutoff=t0 + pd.Timedelta("20D"), horizon="10D",
    ...                              lookback="10D")
    >>> list(train.y.items()), list(test.y.items())
    ([(1, 0), (2, 1)], [(1, 1)])
    >>> train.X.columns.equals(test.X.columns)
    True
    """
    ev = prepare_events(events, snapshot_kwargs.get("user_col", "user_id"),
                        snapshot_kwargs.get("time_col", "timestamp"),
                        snapshot_kwargs.get("event_col", "event"), tz)
    train_cutoff = to_utc(train_cutoff, "train_cutoff", tz=tz)
    test_cutoff = to_utc(test_cutoff, "test_cutoff", tz=tz)
    horizon_td = positive_duration(horizon, "horizon")
    if train_cutoff + horizon_td > test_cutoff:
        raise ValueError(
            f"train_cutoff + horizon = {train_cutoff + horizon_td} is after test_cutoff = "
            f"{test_cutoff}: the training labels would look at events the test features also "
            "use; move train_cutoff back or shorten the horizon"
        )
    if snapshot_kwargs.get("event_types") is None:
        snapshot_kwargs["event_types"] = sorted(ev.loc[ev["timestamp"] <= test_cutoff,
                                                       "event"].unique())
    if isinstance(users, pd.DataFrame) and snapshot_kwargs.get("attributes") is None:
        snapshot_kwargs["attributes"] = default_attributes(
            users, snapshot_kwargs.get("user_col", "user_id"), stacklevel=3)
    common = dict(horizon=horizon, lookback=lookback, tz=tz, **snapshot_kwargs)
    train = make_snapshot(events, users, cutoff=train_cutoff, **common)
    test = make_snapshot(events, users, cutoff=test_cutoff, **common)
    return train, test
