"""Input checks shared by the experiment helpers (private to ``retainkit.experiments``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ARMS = ("control", "treatment")
MAX_SHOWN = 5


def positions(mask: np.ndarray) -> str:
    """The first few positions (or labels) where ``mask`` is true, for an error message."""
    rows = np.flatnonzero(mask)
    shown = ", ".join(map(str, rows[:MAX_SHOWN])) + (", ..." if len(rows) > MAX_SHOWN else "")
    return f"{len(rows)} at positions {shown}"


def as_float_array(values, *, name: str, allow_empty: bool = False) -> np.ndarray:
    """A 1-d float array without NaN or infinity, or ``ValueError`` naming ``name``."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if len(array) == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if array.dtype == bool:
        array = array.astype(float)
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    array = array.astype(float)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} has missing or infinite values: {positions(bad)}")
    return array


def as_binary(values, *, name: str, n: int | None = None) -> np.ndarray:
    """A 0/1 integer array (accepts bool or 0/1 numbers), or ``ValueError`` naming ``name``."""
    array = as_float_array(values, name=name)
    if n is not None and len(array) != n:
        raise ValueError(f"{name} has length {len(array)}, expected {n}")
    bad = (array != 0) & (array != 1)
    if bad.any():
        raise ValueError(f"{name} must be 0/1 (or False/True); other values: {positions(bad)}")
    return array.astype(np.int64)


def as_treatment(values, *, name: str = "treatment", n: int | None = None) -> np.ndarray:
    """Arm labels as a 0/1 array: 1 = ``"treatment"``, 0 = ``"control"``.

    Accepts the strings ``"control"``/``"treatment"`` or 0/1 / ``False``/``True``. Both
    arms must be present. Anything else raises ``ValueError`` naming ``name`` and rows.
    """
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if n is not None and len(array) != n:
        raise ValueError(f"{name} has length {len(array)}, expected {n}")
    if array.dtype.kind in "OUS":
        text = array.astype(str)
        bad = ~np.isin(text, ARMS)
        if bad.any():
            odd = sorted(set(text[bad]))[:MAX_SHOWN]
            raise ValueError(
                f"{name} must hold 'control' or 'treatment' (or 0/1); other values {odd} in "
                f"{positions(bad)}"
            )
        codes = (text == "treatment").astype(np.int64)
    else:
        codes = as_binary(array, name=name)
    if len(codes) and (codes.min() == codes.max()):
        present = ARMS[int(codes[0])]
        raise ValueError(f"{name} holds only the {present!r} arm; both arms are needed")
    return codes


def check_probability(value: float, *, name: str, open_interval: bool = True) -> float:
    """``value`` as a float in (0, 1) (or [0, 1]), or ``ValueError`` naming ``name``."""
    value = float(value)
    inside = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not inside:
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return value


def check_positive_int(value, *, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not float(value).is_integer() or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
