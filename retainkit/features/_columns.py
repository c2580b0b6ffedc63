"""Snapshot columns: their kinds, clean names and descriptions; the log step (private module).

``make_snapshot`` records a kind (``COLUMN_KINDS``) for every column it builds, so that
:func:`count_columns` and :func:`log_counts` never have to guess from a column's name, and a
description (:func:`describe_feature`) that names the original event or attribute value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from retainkit._validation import check_choice

DEFAULT_VISIT_EVENT = "session_start"

#: The kinds of snapshot column, as in ``info["column_kinds"]`` and ``X.attrs["column_kinds"]``.
#: ``log_counts`` transforms the ``"count"`` and ``"duration"`` columns and no others.
COLUMN_KINDS: dict[str, str] = {
    "count": "a number of events, visits, days or sessions (heavy-tailed, >= 0)",
    "duration": "a time span in days or minutes (heavy-tailed, >= 0)",
    "log_ratio": "the log of a ratio of counts, already on a log scale",
    "ratio": "a share of the user's events, in [0, 1]",
    "one_hot": "1.0 or 0.0: the user's categorical attribute has this value",
    "numeric": "a numeric users column, as given",
}
HEAVY_KINDS = ("count", "duration")

#: Every feature ``make_snapshot`` can produce, with its unit. ``{w}`` stands for a window
#: length in days (7, 14, 28, 56 by default), ``<event>`` for an event type and
#: ``<attribute>_<value>`` for a one-hot user attribute.
FEATURES: dict[str, str] = {
    "recency_days": "days from the user's last event to the cutoff (days, >= 0)",
    "visits_{w}d": "visits (session_start events) in the last {w} days (count)",
    "events_{w}d": "events of any type in the last {w} days (count)",
    "active_days_{w}d": "24-hour days with any event among the last {w} (count, 0..{w})",
    "sessions": "sessions in the lookback window, a new one after a gap > session_gap (count)",
    "session_length_mean_min": "mean session length, first to last event (minutes)",
    "session_length_median_min": "median session length, first to last event (minutes)",
    "trend_7d": "log((visits last 7 days + 1) / (visits the 7 days before + 1)) (log ratio)",
    "tenure_days": "days from sign-up (or the user's first event in the log) to the cutoff (days)",
    "gap_mean_days": "mean gap between consecutive visits in the lookback (days)",
    "gap_std_days": "standard deviation (ddof=0) of those gaps (days)",
    "gap_max_days": "longest gap between consecutive visits in the lookback (days)",
    "share_<event>": "share of the user's lookback events that are of this type (0..1)",
    "<attribute>_<value>": "1.0 when the user's attribute has this value, else 0.0 (indicator)",
}


def describe_feature(name: str, *, info: dict[str, Any] | None = None) -> str:
    """Description and unit of a ``make_snapshot`` column.

    Introduced in notebook 04. Without ``info`` the description assumes the defaults
    (``visit_event="session_start"``) and can only say that an unknown name is a one-hot
    attribute. Pass the snapshot's ``info`` to describe *that* snapshot's column: its visit
    event, and the original event name or attribute value behind a cleaned name; a name that
    is not one of its columns then raises ``ValueError``.

    Examples
    --------
    >>> from retainkit.features import make_snapshot
    >>> describe_feature("visits_14d")
    'visits (session_start events) in the last 14 days (count)'
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> log = pd.DataFrame({"user_id": [1, 1, 1], "event": ["app_open", "Sign Up", "app_open"],
    ...                     "timestamp": [t0, t0 + pd.Timedelta("1h"), t0 + pd.Timedelta("2D")]})
    >>> _, _, info = make_snapshot(log, cutoff=t0 + pd.Timedelta("3D"), horizon="1D",
    ...                            lookback="3D", visit_event="app_open", allow_incomplete=True)
    >>> describe_feature("visits_3d", info=info)
    'visits (app_open events) in the last 3 days (count)'
    >>> describe_feature("share_sign_up", info=info)
    "share of the user's lookback events that are of type 'Sign Up' (0..1)"
    """
    if info is None:
        return describe(name, None, DEFAULT_VISIT_EVENT)
    descriptions = info.get("descriptions", {})
    if name not in descriptions:
        raise ValueError(f"{name!r} is not a column of this snapshot; its columns are "
                         f"{list(descriptions)}")
    return descriptions[name]


def count_columns(X: pd.DataFrame, kinds: dict[str, str] | None = None) -> list[str]:
    """The heavy-tailed count and duration columns of a ``make_snapshot`` frame.

    Introduced in notebook 05. The columns whose kind (see ``COLUMN_KINDS``) is ``"count"`` or
    ``"duration"``: never a share (``"ratio"``), a one-hot attribute, ``trend_7d`` (already a
    log ratio) or a numeric attribute. The kinds come from ``kinds`` or else from
    ``X.attrs["column_kinds"]``, which ``make_snapshot`` sets and pandas keeps through ``.loc``,
    ``.iloc``, ``[]``, ``.assign``, ``.copy`` and ``pd.concat`` of frames with the same kinds,
    never from the column names. Without kinds, or with a column they do not cover, it raises
    ``ValueError``: pass ``kinds=snapshot.info["column_kinds"]``.

    Examples
    --------
    >>> X = pd.DataFrame({"visits_7d": [0.0, 9.0], "share_like": [0.5, 0.25],
    ...                   "platform_web": [1.0, 0.0]})
    >>> count_columns(X, kinds={"visits_7d": "count", "share_like": "ratio",
    ...                         "platform_web": "one_hot"})
    ['visits_7d']
    """
    kinds = _kinds_of(X, kinds)
    return [c for c in X.columns if kinds[c] in HEAVY_KINDS]


def log_counts(X: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """``log(1 + x)`` of the count and duration columns (:func:`count_columns`); a copy.

    Introduced in notebook 05. Counts such as ``events_56d`` span several orders of magnitude,
    so a few heavy users dominate a network's first layer even after standardisation; the
    log compresses the tail while keeping 0 at 0. Other columns (shares, one-hots, log ratios,
    numeric attributes) are returned unchanged. The kinds come from ``kinds`` or
    ``X.attrs["column_kinds"]`` as in :func:`count_columns`. The result keeps them and records
    the logged columns in ``attrs["log1p_columns"]``, so logging it again raises ``ValueError``.

    Examples
    --------
    >>> X = pd.DataFrame({"visits_7d": [0.0, 9.0], "platform_web": [1.0, 0.0]})
    >>> out = log_counts(X, kinds={"visits_7d": "count", "platform_web": "one_hot"})
    >>> out.round(3).to_dict("list")
    {'visits_7d': [0.0, 2.303], 'platform_web': [1.0, 0.0]}
    """
    done = X.attrs.get("log1p_columns")
    if done:
        raise ValueError(f"X is already log-transformed (log1p of {name_list(done, 5)}); call "
                         "log_counts on the snapshot's X itself")
    heavy = count_columns(X, kinds)
    out = X.assign(**{c: np.log1p(X[c]) for c in heavy})
    out.attrs["column_kinds"] = _kinds_of(X, kinds)
    out.attrs["log1p_columns"] = heavy
    return out


def _kinds_of(X: pd.DataFrame, kinds) -> dict[str, str]:
    """Every column's kind, from ``kinds`` or ``X.attrs``; raise when any is unknown."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    kinds = X.attrs.get("column_kinds") if kinds is None else kinds
    if kinds is not None and not isinstance(kinds, Mapping):
        raise ValueError(f"kinds must be a dict of column -> kind, got {type(kinds).__name__}")
    if not kinds:
        raise ValueError(
            "X carries no column kinds (X.attrs['column_kinds'], set by make_snapshot), so the "
            "count columns cannot be told from one-hots and shares: it was built by hand, or "
            "pandas dropped its attrs (pd.concat of frames whose attrs differ does); pass "
            "kinds=snapshot.info['column_kinds']")
    unknown = [c for c in X.columns if c not in kinds]
    if unknown:
        raise ValueError(f"kinds has no entry for the column(s) {unknown} of X; add them, e.g. "
                         f"kinds={{**snapshot.info['column_kinds'], {unknown[0]!r}: 'numeric'}}")
    for c in X.columns:
        check_choice(f"kinds[{c!r}]", kinds[c], COLUMN_KINDS)
    return {c: kinds[c] for c in X.columns}


# --- names and descriptions -------------------------------------------------------------------

class Column(NamedTuple):
    """One column of a snapshot's X, as ``make_snapshot`` builds it."""

    name: str  # the cleaned column name
    kind: str  # a key of COLUMN_KINDS
    source: tuple  # ("feature", name) | ("event", e) | ("one_hot", attr, value) | ("numeric", attr)


def clean_name(text) -> str:
    """Lowercase; every run of non-alphanumerics (underscore included) -> one '_'; strip '_'."""
    return re.sub(r"[\W_]+", "_", str(text).lower()).strip("_")


def _source_text(source: tuple) -> str:
    if source[0] == "event":
        return f"event {source[1]!r}"
    if source[0] == "one_hot":
        return f"users column {source[1]!r} = {source[2]!r}"
    if source[0] == "numeric":
        return f"users column {source[1]!r}"
    return f"the built-in feature {source[1]!r}"


def check_names(columns: list[Column]) -> None:
    """Raise, naming the originals, when a name part cleans to nothing or two sources clash."""
    by_name: dict[str, list[str]] = {}
    for col in columns:
        by_name.setdefault(col.name, []).append(_source_text(col.source))
    clashes = [f"{name!r} from {' and '.join(sources)}" for name, sources in by_name.items()
               if len(sources) > 1]
    empty = [_source_text(col.source) for col in columns
             if col.source[0] != "feature" and not all(map(clean_name, col.source[1:]))]
    problems = [f"these originals give the same name: {'; '.join(clashes)}"] if clashes else []
    if empty:
        problems.append(f"these originals give an empty name: {', '.join(empty)}")
    if problems:
        raise ValueError("feature names are cleaned (lowercase, each run of characters other "
                         "than letters and digits to one '_') and " + "; ".join(problems)
                         + "; rename them in the data")


def activity_kind(name: str) -> str:
    """The kind of a built-in activity feature."""
    if name == "trend_7d":
        return "log_ratio"
    if name.startswith(("visits_", "events_", "active_days_")) or name == "sessions":
        return "count"
    return "duration"  # recency, session lengths, tenure and the gaps


_VISIT_BASED = ("trend_7d", "gap_mean_days", "gap_std_days", "gap_max_days")


def describe(name: str, source: tuple | None, visit_event: str) -> str:
    """The description of a column; ``source`` as in ``Column``, None to infer it from name."""
    kind = None if source is None else source[0]
    if kind == "event":
        return FEATURES["share_<event>"].replace("this type", f"type {source[1]!r}")
    if kind == "one_hot":
        return f"1.0 when the user's {source[1]!r} is {source[2]!r}, else 0.0 (indicator)"
    if kind == "numeric":
        return f"the users column {source[1]!r}, as given (numeric)"
    if name in FEATURES:
        text = FEATURES[name]
        if name in _VISIT_BASED and visit_event != DEFAULT_VISIT_EVENT:
            text += f"; visits are {visit_event!r} events"
        return text
    for prefix in ("visits_", "events_", "active_days_"):
        rest = name.removeprefix(prefix)
        if rest != name and rest.endswith("d") and rest[:-1].isdigit():
            text = FEATURES[prefix + "{w}d"].replace("{w}", rest[:-1])
            return text.replace(DEFAULT_VISIT_EVENT, visit_event)
    if name.startswith("share_"):
        return FEATURES["share_<event>"].replace("this type", f"type {name[6:]!r}")
    return FEATURES["<attribute>_<value>"]


def name_list(names, limit: int = 20) -> str:
    """At most ``limit`` names, then how many there are in all."""
    names = list(names)
    more = f" ... ({len(names)} in all)" if len(names) > limit else ""
    return f"{names[:limit]}{more}"
