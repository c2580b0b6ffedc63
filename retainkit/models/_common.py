"""Building blocks shared by the networks in ``retainkit.models`` (internal)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd


def as_float_array(data, name: str) -> np.ndarray:
    """A finite float32 array from a DataFrame, Series or array; ValueError names the problem."""
    if isinstance(data, pd.DataFrame):
        bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise ValueError(f"{name} has non-numeric column(s) {bad}; encode them first")
    arr = np.asarray(data, dtype="float32")
    if not np.all(np.isfinite(arr)):
        where = ""
        if isinstance(data, pd.DataFrame):
            where = f" in column(s) {list(data.columns[~np.isfinite(arr).all(axis=0)])}"
        raise ValueError(f"{name} contains missing or infinite values{where}; impute them first")
    return arr


def normalization(X_train, name: str = "X_train") -> tuple[keras.layers.Normalization, int]:
    """A Normalization layer adapted to the columns of ``X_train`` (2-D), and the column count."""
    arr = as_float_array(X_train, name)
    if arr.ndim != 2 or len(arr) == 0:
        raise ValueError(f"{name} must be a non-empty 2-D table, got shape {arr.shape}")
    norm = keras.layers.Normalization(axis=-1, name="normalization")
    norm.adapt(arr)
    return norm, arr.shape[1]


def dense_stack(x, hidden, dropout: float, l2: float):
    """Dense(relu) layers of the given widths, each followed by Dropout when dropout > 0."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    for units in hidden:
        regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
        x = keras.layers.Dense(int(units), activation="relu", kernel_regularizer=regularizer)(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout)(x)
    return x


def churn_metrics() -> list:
    """ROC AUC and PR AUC, named ``auc`` and ``pr_auc`` in the History."""
    return [keras.metrics.AUC(name="auc"), keras.metrics.AUC(curve="PR", name="pr_auc")]
