"""The one home of argument checks shared by every topic (scikit-learn's ``utils.validation``).

Every message has one shape: it names the argument (or the column), says what is wrong, and
what is accepted, e.g. ``mode='x' is not supported; accepted values: 'on', 'on_or_after'``.
Problems with rows of a frame show up to ``MAX_SHOWN`` of them, and :class:`Problems` gathers
everything wrong with one input so that it is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

MAX_SHOWN = 5  # offending rows shown in an error message


def check_choice(name: str, value, accepted) -> None:
    """Raise ``ValueError`` naming the argument and listing the accepted values.

    >>> check_choice("mode", "on", ("on", "on_or_after"))
    >>> check_choice("mode", "x", ("on", "on_or_after"))
    Traceback (most recent call last):
    ...
    ValueError: mode='x' is not supported; accepted values: 'on', 'on_or_after'
    """
    accepted = tuple(accepted)
    if not isinstance(value, str | bool | int | float | type(None)) or value not in accepted:
        listed = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"{name}={value!r} is not supported; accepted values: {listed}")


def check_int(name: str, value, minimum: int) -> int:
    """An integer argument (bools refused) that must be at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_conf_level(conf_level, name: str = "conf_level") -> float:
    """``conf_level`` if it lies strictly between 0 and 1, else ``ValueError``."""
    if isinstance(conf_level, bool) or not isinstance(conf_level, int | float | np.number) or \
            not 0 < conf_level < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def to_utc(value, name: str, tz=None) -> pd.Timestamp:
    """A moment as a UTC Timestamp; strings and naive values are wall-clock ``tz`` (default UTC).

    >>> to_utc("2025-03-09 12:00", "cutoff", tz="America/New_York")
    Timestamp('2025-03-09 16:00:00+0000', tz='UTC')
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as a timestamp: {value!r}") from err
    if pd.isna(ts):
        raise ValueError(f"{name} is missing (NaT)")
    if ts.tz is not None:
        return ts.tz_convert("UTC")
    check_zone(tz)
    try:
        return ts.tz_localize(tz or "UTC").tz_convert("UTC")
    except Exception as err:  # a DST gap or repeat; pytz and zoneinfo raise different types
        raise ValueError(f"{name}={value!r} does not exist or occurs twice in {tz} (a DST "
                         "change): pass a tz-aware timestamp instead") from err


def check_zone(tz) -> None:
    """Raise ``ValueError`` naming ``tz`` unless it is None or a time zone pandas knows."""
    if tz is None:
        return
    try:
        pd.Timestamp("2024-01-01").tz_localize(tz)
    except Exception as err:  # pytz, zoneinfo and dateutil raise different types
        raise ValueError(f"tz={tz!r} is not a time zone: pass an IANA name such as "
                         "'America/New_York', 'Europe/Berlin' or 'UTC'") from err


def positive_duration(value, name: str) -> pd.Timedelta:
    """A strictly positive duration such as ``"28D"`` or ``"30min"``."""
    try:
        td = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as a duration (e.g. '28D'): {value!r}") from err
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ValueError(f"{name} must be a positive duration, got {value!r}")
    return td


def float_array(values, name: str) -> np.ndarray:
    """A non-empty one-dimensional float array (a Keras ``(n, 1)`` output is flattened)."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric, could not convert it: {err}") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def offending(df: pd.DataFrame, mask, problem: str, column: str) -> str:
    """Error text: the problem, the column, how many rows and the first few of them."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    shown = df.loc[mask].head(MAX_SHOWN).to_string()
    first = f"first {MAX_SHOWN}" if n > MAX_SHOWN else "all of them"
    return f"column {column!r}: {problem} in {n} row(s); {first}:\n{shown}"


class Problems(list):
    """Everything wrong with one input, raised together as one ``ValueError``."""

    def rows(self, df, mask, problem, column, hint=""):
        """Record a problem with the rows of ``df`` where ``mask`` is true (if any)."""
        if np.asarray(mask, dtype=bool).any():
            self.append(offending(df, mask, problem, column) + (f"\n{hint}" if hint else ""))

    def raise_if_any(self, what: str = "the event log"):
        if len(self) == 1:
            raise ValueError(self[0])
        if self:
            raise ValueError(
                f"{what} has {len(self)} problems:\n\n"
                + "\n\n".join(f"{i}. {p}" for i, p in enumerate(self, 1))
            )


# --- binary labels and churn probabilities (evaluation and its figures) ----------------------


def binary_labels(values, name: str = "y_true") -> np.ndarray:
    """A 0/1 float array (1 = churned); NaN or other values raise, naming ``name``.

    >>> binary_labels([True, False, True]).tolist()
    [1.0, 0.0, 1.0]
    """
    y = float_array(values, name)
    if np.isnan(y).any():
        raise ValueError(f"{name} contains {int(np.isnan(y).sum())} NaN values")
    bad = np.setdiff1d(np.unique(y), [0.0, 1.0])
    if bad.size:
        raise ValueError(
            f"{name} must be binary (0/1 or False/True, 1 = churned); found other values "
            f"{bad[:5].tolist()}"
        )
    return y


def probabilities(values, name: str = "p") -> np.ndarray:
    """A float array of probabilities in [0, 1]; NaN or values outside raise, naming ``name``."""
    p = float_array(values, name)
    n_nan = int(np.isnan(p).sum())
    if n_nan:
        raise ValueError(f"{name} contains {n_nan} NaN values")
    outside = (p < 0) | (p > 1)
    if outside.any():
        raise ValueError(
            f"{name} must be probabilities in [0, 1]; {int(outside.sum())} values are outside "
            f"(min {p.min():g}, max {p.max():g})"
        )
    return p


def same_lengths(**arrays) -> None:
    """Raise when the arrays, given by name, differ in length.

    >>> same_lengths(y_true=[0, 1, 1], p=[0.2, 0.4])
    Traceback (most recent call last):
    ...
    ValueError: lengths differ: {'y_true': 3, 'p': 2}
    """
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"lengths differ: {lengths}")


def same_index(a, b, names: tuple[str, str]) -> None:
    """Two Series must share their index, so rows are never paired by accident."""
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        raise ValueError(
            f"{names[0]} and {names[1]} are Series with different indexes; align them first, "
            f"e.g. {names[1]} = {names[1]}.reindex({names[0]}.index)"
        )


def labels_and_probabilities(y_true, p, p_name: str = "p") -> tuple[np.ndarray, np.ndarray]:
    """``y_true`` as 0/1 and ``p`` as probabilities, of equal length (aligned when Series)."""
    same_index(y_true, p, ("y_true", p_name))
    y = binary_labels(y_true)
    prob = probabilities(p, p_name)
    same_lengths(y_true=y, **{p_name: prob})
    return y, prob


def require_both_classes(y: np.ndarray, what: str) -> None:
    """Raise when the 0/1 labels ``y`` hold a single class; ``what`` names what needs both."""
    if y.min() == y.max():
        raise ValueError(
            f"y_true contains a single class (all {int(y[0])}); {what} needs churners and stayers"
        )


def score_mapping(scores) -> dict[str, object]:
    """``{model name: scores}`` from a mapping, or ``{"model": scores}`` from one array."""
    if isinstance(scores, Mapping):
        if not scores:
            raise ValueError("scores is an empty mapping; pass {name: probabilities}")
        return {str(name): p for name, p in scores.items()}
    return {"model": scores}


# --- retention tables (read by retention_curve and the retention figures) -----------------


def table_counts(table: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(cohort sizes, retained counts) of a retention or bracket table, rates or counts.

    Whether the table holds rates or counts is read from ``table.attrs["retainkit"]``; a
    table that lost its attrs is recognised by column 0 (1.0 for rates, the cohort size for
    counts).
    """
    if not isinstance(table, pd.DataFrame) or "cohort_size" not in table.columns:
        raise ValueError(
            "expected a table from retention_table or bracket_retention (a DataFrame with a "
            "'cohort_size' column)"
        )
    sizes = table["cohort_size"].to_numpy(dtype=float)
    values = table.drop(columns="cohort_size").astype(float)
    rates = table.attrs.get("retainkit", {}).get("rates")
    if rates is None and 0 in values.columns:
        first = values[0].to_numpy()
        if np.allclose(first, sizes):
            rates = False
        elif np.allclose(first, 1.0):
            rates = True
    if rates is None:
        raise ValueError(
            "cannot tell whether the table holds rates or counts: its attrs are gone and it "
            "has no column 0; recompute it with retention_table or bracket_retention"
        )
    counts = values.mul(sizes, axis=0).round() if rates else values
    return sizes, counts
