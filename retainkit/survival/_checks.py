"""Input checks specific to the survival helpers (see ``retainkit.survival``).

Checks shared with other topics (``conf_level``, choices, timestamps, durations such as
``"28D"``, gathering problems) live in :mod:`retainkit._validation`; this file holds only what
is about survival data: durations in days, churn flags, group labels, day resolutions.

Each ``*_problems`` function returns the converted array (or ``None`` when the input cannot be
read at all) and a list of problems, so that a caller checking several arguments can report
everything that is wrong in one ``ValueError`` (raised by :func:`raise_problems`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from retainkit._validation import MAX_SHOWN, Problems

_OBSERVED_VALUES = "accepted values: True/False or 1/0"


def as_survival_data(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    """Check a ``(durations, observed)`` pair together; return float and bool arrays.

    Problems in both arguments are reported in one ``ValueError``.
    """
    t, problems = durations_problems(durations)
    e, more = observed_problems(observed, None if t is None else len(t))
    raise_problems(problems + more)
    return t, e


def as_truncated_data(durations, observed, entry):
    """Like :func:`as_survival_data`, with the entry times (``None`` when ``entry`` is None)."""
    t, problems = durations_problems(durations)
    e, more = observed_problems(observed, None if t is None else len(t))
    entered, even_more = entry_problems(entry, t)
    raise_problems(problems + more + even_more)
    return t, e, entered


def entry_problems(entry, t: np.ndarray | None, *, name: str = "entry", against="durations"):
    """Entry (delayed-entry) times in days, ``None`` when not given, and the problems.

    Entry times are checked like durations (numbers of days or timedeltas, no NaN, not
    negative) and must not exceed the durations they belong to.
    """
    if entry is None:
        return None, []
    values, problems = durations_problems(entry, name=name)
    if values is None or t is None:
        return None, problems
    if len(values) != len(t):
        return None, [f"{name} has length {len(values)} but {against} has length {len(t)}"]
    with np.errstate(invalid="ignore"):  # a bad duration is reported once, as a duration
        after_exit = (values > t) & (t >= 0) & np.isfinite(t)
    late = _describe(after_exit, name, f"values larger than {against} (entry after exit)")
    return values, problems + ([late] if late else [])


def positive_days(value, name: str) -> float:
    """A positive, finite number of days (a timedelta is converted), else ``ValueError``."""
    if isinstance(value, dt.timedelta | np.timedelta64):
        value = pd.Timedelta(value) / pd.Timedelta(days=1)
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a positive number of days, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite number of days, got {value!r}")
    return float(value)


def durations_problems(durations, *, name: str = "durations") -> tuple[np.ndarray | None, list]:
    """``durations`` as float days and the list of what is wrong with them."""
    values = _as_series(durations)
    if values is None:
        return None, [f"{name} must be one-dimensional"]
    if len(values) == 0:
        return None, [f"{name} is empty: at least one subject is needed"]
    if pd.api.types.is_timedelta64_dtype(values):
        values = values / pd.Timedelta(days=1)
    elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None, [f"{name} must be numbers of days (or timedeltas), got dtype {values.dtype}"]
    array = values.to_numpy(dtype=float, na_value=np.nan)
    problems = [
        _describe(np.isnan(array), name, "missing (NaN) values"),
        _describe(np.isinf(array), name, "infinite values"),
        _describe(array < 0, name, "negative values"),
    ]
    return array, [p for p in problems if p]


def observed_problems(observed, n: int | None, *, name: str = "observed", against="durations"):
    """``observed`` as booleans and the list of problems; ``n=None`` skips the length check."""
    values = _as_series(observed)
    if values is None:
        return None, [f"{name} must be one-dimensional"]
    if n is not None and len(values) != n:
        return None, [f"{name} has length {len(values)} but {against} has length {n}"]
    if values.dtype == object:
        values = values.infer_objects()
    missing = values.isna().to_numpy()
    if missing.any():
        return None, [_describe(missing, name, f"missing values ({_OBSERVED_VALUES})")]
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool), []
    if not pd.api.types.is_numeric_dtype(values):
        return None, [f"{name} must be boolean-like ({_OBSERVED_VALUES}), got dtype {values.dtype}"]
    array = values.to_numpy(dtype=float)
    bad = (array != 0) & (array != 1)
    if bad.any():
        return None, [_describe(bad, name, f"values other than 0/1 ({_OBSERVED_VALUES})")]
    return array == 1, []


def groups_problems(groups, n: int | None, *, name: str = "groups"):
    """Integer codes for ``groups``, their labels, and the list of problems.

    Labels are sorted when they can be compared (as lifelines does), else kept in order of
    first appearance. Only labels that occur are groups (unused categories are not).
    """
    values = _as_series(groups)
    if values is None:
        return None, None, [f"{name} must be one-dimensional"]
    if n is not None and len(values) != n:
        return None, None, [f"{name} has length {len(values)} but durations has length {n}"]
    missing = values.isna().to_numpy()
    if missing.any():
        return None, None, [_describe(missing, name, "missing (NaN/None) labels")]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    try:
        codes, labels = pd.factorize(values, sort=True)
    except TypeError:  # labels of mixed types that cannot be ordered
        codes, labels = pd.factorize(values, sort=False)
    return codes, list(labels), []


def raise_problems(problems: list[str]) -> None:
    """Raise one ``ValueError`` listing every problem, if there is any (see ``Problems``)."""
    Problems(problems).raise_if_any(what="the survival data")


def _as_series(values) -> pd.Series | None:
    if np.ndim(values) > 1 or (isinstance(values, pd.DataFrame)):
        return None
    return values if isinstance(values, pd.Series) else pd.Series(values)


def _describe(bad: np.ndarray, name: str, problem: str) -> str:
    if not bad.any():
        return ""
    rows = np.flatnonzero(bad)
    shown = ", ".join(map(str, rows[:MAX_SHOWN])) + (", ..." if len(rows) > MAX_SHOWN else "")
    return f"{name} has {len(rows)} {problem} at positions {shown}"
