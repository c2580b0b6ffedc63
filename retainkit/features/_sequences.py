"""activity_sequences: daily activity before a cutoff, for sequence models (private module)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import check_choice, check_int, to_utc
from retainkit.features._activity import DAY, days_back
from retainkit.features._columns import DEFAULT_VISIT_EVENT
from retainkit.features._input import check_visit_event, prepare_events, read_signups

SEQUENCE_CHANNELS = ("visits", "events", "active", "signed_up")


def activity_sequences(
    events: pd.DataFrame,
    users: pd.DataFrame | None = None,
    *,
    cutoff,
    days: int = 56,
    channels: tuple[str, ...] = ("visits", "events"),
    index=None,
    visit_event: str = DEFAULT_VISIT_EVENT,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    event_col: str = "event",
    tz=None,
) -> np.ndarray:
    """Daily activity counts before the cutoff as a (users, days, channels) float32 array.

    Introduced in notebook 05 (the sequence model). Day ``d`` (0-based) covers the 24 hours
    ``(cutoff - (days - d) days, cutoff - (days - d - 1) days]``: day 0 is the oldest and the last
    day ends at the cutoff. Only events at or before the cutoff are used. Channels:
    ``"visits"`` (``visit_event`` count), ``"events"`` (all events), ``"active"`` (1.0 when the
    user has any event that day) and ``"signed_up"``, the mask channel: 1.0 on the days that
    end at or after the user's sign-up, 0.0 on the days wholly before it. Without the mask a
    day before sign-up looks exactly like a day the user was signed up and stayed away (both
    are all zeros); with it, a sequence model can tell "not here yet" from "here and silent"
    (issue 15). The sign-up time is ``users["signup_time"]`` when ``users`` is given (a user
    absent from ``users`` or with a missing sign-up time gets 0.0 throughout), else the user's
    first event in the log at or before the cutoff (however old). With the ``"visits"``
    channel, a ``visit_event`` that does not occur in the log at or before the cutoff raises
    ``ValueError`` listing the event names.

    Parameters
    ----------
    events : DataFrame
        Event log, read as ``make_snapshot`` reads it.
    users : DataFrame, optional
        One row per user with ``user_col`` and ``signup_time`` (as for ``make_snapshot``); used
        only by the ``"signed_up"`` channel.
    cutoff : str or Timestamp
        End of the last day (naive: wall-clock time in ``tz``).
    days : int, default 56
        Number of days.
    channels : tuple of str, default ("visits", "events")
        Any of ``"visits"``, ``"events"``, ``"active"``, ``"signed_up"``, in the order wanted.
    index : array-like, optional
        User ids, one row each in this order (pass ``X.index`` from ``make_snapshot``); users with
        no events get zeros. Default: users with an event in the ``days`` window, sorted.
    visit_event : str, default "session_start"
        The event that marks a visit (as in ``make_snapshot``).
    user_col, time_col, event_col : str
        Column names in ``events``.
    tz : str, optional
        Zone of naive timestamps and of a naive ``cutoff`` (as in ``make_snapshot``); the days
        stay 24-hour steps back from the cutoff.

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(len(index), days, len(channels))``.

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 2], "event": ["app_open", "like", "app_open"],
    ...                     "timestamp": t0 + pd.to_timedelta(["1h", "2h", "2D 1h"])})
    >>> seq = activity_sequences(log, cutoff=t0 + pd.Timedelta("3D"), days=3,
    ...                          visit_event="app_open")
    >>> seq[:, :, 0].tolist(), seq[:, :, 1].tolist()
    ([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

    User 2 signed up on day 2: the mask tells its two empty days from user 1's.

    >>> users = pd.DataFrame({"user_id": [1, 2],
    ...                       "signup_time": t0 + pd.to_timedelta(["0h", "2D 1h"])})
    >>> activity_sequences(log, users, cutoff=t0 + pd.Timedelta("3D"), days=3,
    ...                    channels=("signed_up",))[:, :, 0].tolist()
    [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    """
    if isinstance(channels, str) or not len(channels):
        raise ValueError(f"channels must be a non-empty tuple of channel names, got "
                         f"{channels!r}; e.g. channels=('visits',)")
    for channel in channels:
        check_choice("channels", channel, SEQUENCE_CHANNELS)
    days = check_int("days", days, 1)
    ev = prepare_events(events, user_col, time_col, event_col, tz)
    cutoff = to_utc(cutoff, "cutoff", tz=tz)
    age = cutoff - ev["timestamp"]
    if "visits" in channels:
        check_visit_event(visit_event, ev[ev["timestamp"] <= cutoff])
    past = ev[ev["timestamp"] <= cutoff]
    ev = ev[(ev["timestamp"] <= cutoff) & (age < days * DAY)]
    if index is None:
        index = np.sort(ev["user"].unique())
    index = pd.Index(index)
    if index.has_duplicates:
        raise ValueError("index has duplicated user ids")
    if "signed_up" in channels:
        if users is None:
            signup = past.groupby("user")["timestamp"].min()
        else:
            signup = read_signups(users, user_col, tz)
        signup = signup.reindex(index).astype("datetime64[ns, UTC]")
    rows = index.get_indexer(ev["user"])
    ev = ev[rows >= 0]
    rows = rows[rows >= 0]
    col = days - 1 - days_back(cutoff - ev["timestamp"])

    out = np.zeros((len(index), days, len(channels)), dtype=np.float32)
    for k, channel in enumerate(channels):
        if channel == "signed_up":
            day_end = cutoff.value - (days - 1 - np.arange(days)) * DAY.value  # ns since epoch
            known = signup.notna().to_numpy()
            ns = np.where(known, signup.array.asi8, 0)
            out[:, :, k] = known[:, None] & (ns[:, None] <= day_end[None, :])
            continue
        weight = (ev["event"] == visit_event).to_numpy(float) if channel == "visits" else 1.0
        np.add.at(out[:, :, k], (rows, col), weight)
        if channel == "active":
            out[:, :, k] = np.minimum(out[:, :, k], 1.0)
    return out
