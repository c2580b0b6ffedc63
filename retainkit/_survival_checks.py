"""Input checks shared by the survival helpers (see ``retainkit.survival``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_durations(durations, *, name: str = "durations") -> np.ndarray:
    """Return ``durations`` as a 1-d float array of days, or raise ``ValueError``.

    Accepts numbers (days) or timedeltas (converted to days). Rejects empty input, missing
    values, infinities and negative values, naming the argument and the first offending rows.
    """
    values = pd.Series(durations) if not isinstance(durations, pd.Series) else durations
    if values.ndim != 1 or np.ndim(durations) > 1:
        raise ValueError(f"{name} must be one-dimensional")
    if len(values) == 0:
        raise ValueError(f"{name} is empty: at least one subject is needed")
    if pd.api.types.is_timedelta64_dtype(values):
        values = values / pd.Timedelta(days=1)
    elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"{name} must be numbers of days (or timedeltas), got dtype {values.dtype}"
        )
    array = values.to_numpy(dtype=float, na_value=np.nan)
    _reject(np.isnan(array), name, "missing (NaN) values")
    _reject(np.isinf(array), name, "infinite values")
    _reject(array < 0, name, "negative values")
    return array


def as_observed(observed, n: int, *, name: str = "observed") -> np.ndarray:
    """Return ``observed`` as a boolean array of length ``n``, or raise ``ValueError``.

    Accepted: booleans, or numbers equal to 0 or 1 (``True``/1 = churn seen, ``False``/0 =
    censored). Anything else (2, "yes", missing values) is rejected.
    """
    values = pd.Series(observed) if not isinstance(observed, pd.Series) else observed
    if values.ndim != 1 or np.ndim(observed) > 1:
        raise ValueError(f"{name} must be one-dimensional")
    if len(values) != n:
        raise ValueError(f"{name} has length {len(values)} but durations has length {n}")
    accepted = "accepted values: True/False or 1/0"
    if values.dtype == object:
        values = values.infer_objects()
    if values.isna().any():
        _reject(values.isna().to_numpy(), name, f"missing values ({accepted})")
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(values):
        raise ValueError(f"{name} must be boolean-like ({accepted}), got dtype {values.dtype}")
    array = values.to_numpy(dtype=float)
    _reject((array != 0) & (array != 1), name, f"values other than 0/1 ({accepted})")
    return array == 1


def as_survival_data(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    """Check a ``(durations, observed)`` pair together; return float and bool arrays."""
    t = as_durations(durations)
    return t, as_observed(observed, len(t))


def check_conf_level(conf_level: float) -> float:
    """Return ``conf_level`` if it lies strictly between 0 and 1, else raise ``ValueError``."""
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be strictly between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def _reject(bad: np.ndarray, name: str, problem: str) -> None:
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
        raise ValueError(f"{name} has {len(rows)} {problem} at positions {shown}")
