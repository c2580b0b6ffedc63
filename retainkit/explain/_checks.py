"""Input checks of the explain package: feature frames, background, display values, models.

Every message names the argument at fault (``X``, ``background``, ``display_data``,
``model``, ``explanation``) and, for rows, shows the first few labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap


def check_model_inputs(model, n_features):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            "model has no defined input: build it with keras.Input(shape=(n_features,)) "
            "or call it once on data before explaining it"
        )
    if len(inputs) != 1 or len(inputs[0].shape) != 2:
        raise ValueError(
            f"model must take one 2-D input (rows x features), got input shapes "
            f"{[tuple(t.shape) for t in inputs]}"
        )
    expected = inputs[0].shape[-1]
    if expected is not None and expected != n_features:
        raise ValueError(
            f"feature count mismatch: X has {n_features} columns, the model expects {expected}"
        )
    outputs = model.outputs
    if len(outputs) != 1 or tuple(outputs[0].shape[1:]) != (1,):
        raise ValueError(
            f"model must have one output of shape (None, 1) (one churn score per row), got "
            f"{[tuple(t.shape) for t in outputs]}"
        )


def feature_array(frame, argument, dtype=np.float32):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{argument} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{argument} has no rows or no columns")
    non_numeric = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_complex_dtype(frame[c])
    ]
    if non_numeric:
        raise ValueError(
            f"{argument} has non-numeric columns {non_numeric}: encode them as numbers first"
        )
    array = frame.to_numpy(dtype=dtype)
    bad = ~np.isfinite(array)
    if bad.any():
        columns = [str(c) for c in frame.columns[bad.any(axis=0)]]
        rows = frame.index[bad.any(axis=1)]
        raise ValueError(
            f"{argument} has {len(rows)} rows with missing or infinite values, in columns "
            f"{columns} (rows {_some(rows)})"
        )
    return array


def _some(labels, k=5):
    """The first ``k`` labels for an error message, with "..." when there are more."""
    labels = list(labels)
    return "[" + ", ".join(map(repr, labels[:k])) + (", ...]" if len(labels) > k else "]")


def display_array(display_data, feature_names, instance_names, shape):
    """``display_data`` as a float64 array aligned with the explained rows and features.

    ``instance_names`` (the explained users' labels, or None when unknown) is used to align a
    DataFrame by label; every mismatch of shape, columns and index is reported at once.
    """
    n_rows, n_features = shape
    if not isinstance(display_data, pd.DataFrame):
        array = np.asarray(display_data)
        if array.shape != (n_rows, n_features):
            raise ValueError(
                f"display_data has shape {array.shape}, expected {(n_rows, n_features)} (one row "
                "per explained user, one column per feature, in the order of X); pass a "
                "DataFrame to align rows and columns by label"
            )
        index = pd.RangeIndex(n_rows) if instance_names is None else pd.Index(instance_names)
        frame = pd.DataFrame(array, columns=feature_names, index=index)
        return feature_array(frame, "display_data", dtype=np.float64)

    problems = []
    columns = pd.Index([str(c) for c in display_data.columns])
    missing = [f for f in feature_names if f not in columns]
    unexpected = [c for c in columns if c not in feature_names]
    if missing or unexpected:
        problems.append(
            f"columns must be the explained features: missing {missing}, unexpected {unexpected}"
        )
    if columns.has_duplicates:
        problems.append(f"duplicated columns {sorted(set(columns[columns.duplicated()]))}")
    rows, index = None, display_data.index
    if instance_names is None:
        if len(index) != n_rows:
            problems.append(f"has {len(index)} rows, the explanation has {n_rows}")
    else:
        expected = pd.Index(instance_names)
        if not index.equals(expected):
            absent, extra = expected.difference(index), index.difference(expected)
            if absent.empty and extra.empty and expected.is_unique and index.is_unique:
                rows = expected  # the same users in another order: align by label
            else:
                detail = [f"{len(absent)} missing {_some(absent)}"] if len(absent) else []
                if len(extra):
                    detail.append(f"{len(extra)} unexpected {_some(extra)}")
                if index.has_duplicates:
                    detail.append(f"duplicated {_some(index[index.duplicated()].unique())}")
                if not detail:  # same labels, other order, but duplicates make it ambiguous
                    detail.append("the explained users have duplicated labels, so it must be "
                                  "their index in the same order")
                problems.append(
                    "index must hold the explained users (the index of X): " + ", ".join(detail)
                )
    if problems:
        raise ValueError("display_data " + "; ".join(problems))
    frame = display_data.set_axis(columns, axis=1)[feature_names]
    if rows is not None:
        frame = frame.loc[rows]
    return feature_array(frame, "display_data", dtype=np.float64)


def background_array(background, X, dtype=np.float32):
    if isinstance(background, pd.DataFrame):
        missing = [c for c in X.columns if c not in background.columns]
        if missing:
            raise ValueError(f"background lacks feature columns of X: {missing}")
        return feature_array(background[list(X.columns)], "background", dtype)
    array = np.asarray(background)
    if array.ndim != 2 or array.shape[1] != X.shape[1]:
        raise ValueError(
            f"feature count mismatch: background has shape {array.shape}, X has "
            f"{X.shape[1]} columns"
        )
    return feature_array(pd.DataFrame(array, columns=X.columns), "background", dtype)


def explanation_arrays(explanation):
    if not isinstance(explanation, shap.Explanation):
        raise ValueError(
            f"explanation must be a shap.Explanation, got {type(explanation).__name__}"
        )
    values = np.asarray(explanation.values, dtype=float)
    if values.ndim != 2:
        raise ValueError(
            f"explanation.values must be 2-D (users x features), got shape {values.shape}: "
            "pass the explanation of several users, not one row"
        )
    if explanation.data is None or explanation.feature_names is None:
        raise ValueError("explanation needs .data and .feature_names (use retainkit.explain)")
    shown = explanation.data if explanation.display_data is None else explanation.display_data
    data = np.asarray(shown, dtype=float)
    return values, data, [str(n) for n in explanation.feature_names]

