"""The activity features of a snapshot, computed on whole arrays (private module).

Every function takes the user's events at or before the cutoff (``past``) or inside the
lookback window (``recent``), as a frame with columns ``user``, ``timestamp`` (UTC) and
``event`` sorted by user then time, and returns one row per user that has events there.
Windows are 24-hour steps back from the cutoff, not calendar days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)


def column_order(windows) -> list[str]:
    """The built-in activity features, in the order of X."""
    return (["recency_days"] + [f"{kind}_{w}d" for kind in ("visits", "events", "active_days")
                                for w in windows]
            + ["sessions", "session_length_mean_min", "session_length_median_min", "trend_7d",
               "tenure_days", "gap_mean_days", "gap_std_days", "gap_max_days"])


def days_back(age: pd.Series) -> np.ndarray:
    """Index k of the 24-hour day (cutoff - (k+1) days, cutoff - k days] holding each age."""
    ns = age.to_numpy().astype("timedelta64[ns]").astype(np.int64)
    return np.maximum(-(-ns // DAY.value) - 1, 0)  # ceil(age / day) - 1; age 0 is day 0


def counting_features(recent, cutoff, windows, visit_event) -> pd.DataFrame:
    """Recency, visits / events / active days per window, and the 7-day visit trend."""
    age = cutoff - recent["timestamp"]
    day = days_back(age)
    is_visit = (recent["event"] == visit_event).to_numpy()
    cols = {"recency_days": (age / DAY).groupby(recent["user"]).min()}
    parts = {}
    for w in windows:
        inside = (day < w)
        parts[f"visits_{w}d"] = is_visit & inside
        parts[f"events_{w}d"] = inside
    counts = pd.DataFrame(parts, index=recent.index).groupby(recent["user"]).sum()
    first_of_day = ~pd.DataFrame({"u": recent["user"], "d": day}).duplicated().to_numpy()
    for w in windows:
        cols[f"visits_{w}d"] = counts[f"visits_{w}d"]
        cols[f"events_{w}d"] = counts[f"events_{w}d"]
    days = pd.DataFrame({f"active_days_{w}d": first_of_day & (day < w) for w in windows},
                        index=recent.index).groupby(recent["user"]).sum()
    cols.update({c: days[c] for c in days.columns})
    last7 = pd.Series(is_visit & (day < 7), index=recent.index).groupby(recent["user"]).sum()
    prev7 = pd.Series(is_visit & (day >= 7) & (day < 14), index=recent.index)
    prev7 = prev7.groupby(recent["user"]).sum()
    cols["trend_7d"] = np.log((last7 + 1.0) / (prev7 + 1.0))
    return pd.DataFrame(cols)


def session_features(recent, gap) -> pd.DataFrame:
    """Gap-based sessions: how many, and their mean and median length in minutes."""
    user, ts = recent["user"], recent["timestamp"]
    new = (user != user.shift()) | (ts - ts.shift() > gap)
    session = new.cumsum()
    bounds = ts.groupby(session).agg(["min", "max"])
    length = (bounds["max"] - bounds["min"]) / pd.Timedelta(minutes=1)
    owner = user.groupby(session).first()
    stats = length.groupby(owner).agg(["size", "mean", "median"])
    return pd.DataFrame({"sessions": stats["size"], "session_length_mean_min": stats["mean"],
                         "session_length_median_min": stats["median"]})


def gap_features(recent, visit_event, lookback) -> pd.DataFrame:
    """Mean, standard deviation and longest gap between consecutive visits (days)."""
    visits = recent[recent["event"] == visit_event]
    same_user = visits["user"] == visits["user"].shift()
    gaps = ((visits["timestamp"] - visits["timestamp"].shift()) / DAY)[same_user]
    stats = gaps.groupby(visits.loc[same_user, "user"]).agg(["mean", "max"])
    stats["std"] = gaps.groupby(visits.loc[same_user, "user"]).std(ddof=0)
    users = recent["user"].unique()
    stats = stats.reindex(users)
    none_seen = stats["mean"].isna()
    window_days = lookback / DAY
    return pd.DataFrame({
        "gap_mean_days": stats["mean"].where(~none_seen, window_days),
        "gap_std_days": stats["std"].where(~none_seen, 0.0),
        "gap_max_days": stats["max"].where(~none_seen, window_days),
    })


def tenure(past, signup, cutoff) -> pd.Series:
    """Days since sign-up (``signup``: UTC times by user id), else since the first event."""
    if signup is None:
        start = past.groupby("user")["timestamp"].min()
    else:
        start = signup[signup.index.isin(past["user"].unique())]
    return ((cutoff - start) / DAY).rename("tenure_days")


def shares(recent, event_types) -> pd.DataFrame:
    """The share of each user's events that are of each type in ``event_types``."""
    counts = recent.groupby(["user", "event"]).size().unstack(fill_value=0)
    total = counts.sum(axis=1)
    counts = counts.reindex(columns=list(event_types), fill_value=0)
    out = counts.div(total, axis=0)
    out.columns = [f"share_{e}" for e in out.columns]
    return out
