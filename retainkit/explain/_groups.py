"""Credit of groups of features, and how far two sets of reason codes agree.

Introduced in notebook 07; an overview is in :mod:`retainkit.explain`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import shap

from retainkit.explain._checks import explanation_arrays


def group_importance(explanation: shap.Explanation, groups) -> pd.DataFrame:
    """Importance of groups of features: mean over users of |sum of the group's SHAP values|.

    Introduced in notebook 07. SHAP values are additive *per user*: the credit of a group of
    columns G for user i is ``phi_iG = sum_{j in G} phi_ij`` (the Shapley value of the
    group played as one player, for the interventional explainers). The group's importance
    is ``mean_i |phi_iG|``, on the explanation's scale. Summing the columns' mean |SHAP|
    instead, ``sum_j mean_i |phi_ij|``, is **not** the group's importance: by the triangle
    inequality it is at least as large, and much larger when the columns' values cancel
    (correlated features that trade credit, one-hot columns of one attribute). That sum is
    returned too, as ``sum_of_columns``, to show the difference.

    Parameters
    ----------
    explanation : shap.Explanation
        A 2-D explanation (users x features), such as the result of :func:`explain`.
    groups : mapping or callable
        ``{"visits": ["visits_7d", "visits_28d"], ...}`` (group name -> feature names), or a
        function from a feature name to its group name. With a mapping, features that are in
        no group form a group of their own, named after the feature.

    Returns
    -------
    pandas.DataFrame
        Indexed by rank 1, 2, ... (largest ``mean_abs_shap`` first), columns ``group``,
        ``mean_abs_shap`` (the group's importance), ``share`` (its fraction of the sum over
        groups), ``sum_of_columns`` (the sum of its columns' mean |SHAP|) and ``n_features``.

    Raises
    ------
    ValueError
        ``groups`` names features the explanation does not have, puts a feature in two
        groups, has an empty group, or is neither a mapping nor a callable.

    Examples
    --------
    Two visit windows that trade credit: each column moves predictions by 0.2 on average,
    the pair by only 0.05.

    >>> e = shap.Explanation(values=np.array([[0.3, -0.2, 0.1], [-0.1, 0.2, 0.0]]),
    ...                      data=np.zeros((2, 3)),
    ...                      feature_names=["visits_7d", "visits_28d", "tenure_days"])
    >>> table = group_importance(e, {"visits": ["visits_7d", "visits_28d"]})
    >>> table.group.tolist(), table.mean_abs_shap.round(3).tolist()
    (['visits', 'tenure_days'], [0.1, 0.05])
    >>> table.sum_of_columns.round(3).tolist()
    [0.4, 0.05]
    """
    values, _, names = explanation_arrays(explanation)
    label = _group_labels(groups, names)
    members = pd.Series(label, index=names)
    sums = pd.DataFrame(values, columns=names).T.groupby(members.values, sort=False).sum().T
    column_mean_abs = pd.Series(np.abs(values).mean(axis=0), index=names)
    table = pd.DataFrame({
        "group": sums.columns,
        "mean_abs_shap": sums.abs().mean(axis=0).to_numpy(),
        "sum_of_columns": column_mean_abs.groupby(members.values, sort=False).sum()
        .reindex(sums.columns).to_numpy(),
        "n_features": members.value_counts().reindex(sums.columns).to_numpy(),
    })
    total = table["mean_abs_shap"].sum()
    table.insert(2, "share", table["mean_abs_shap"] / total if total > 0 else np.nan)
    table = table.sort_values("mean_abs_shap", ascending=False, kind="stable")
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def reason_code_agreement(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """How often two sets of reason codes for the same users say the same thing.

    Introduced in notebook 07. ``a`` and ``b`` are results of :func:`reason_codes` for the
    same users (for instance from two models trained with different seeds, or two
    backgrounds), with the same ``reason_*`` columns. Two empty reasons (None) agree.

    Returns
    -------
    pandas.Series
        ``reason_1_changed``: share of users whose first reason differs;
        ``reasons_changed``: share whose *set* of listed reasons differs (order ignored);
        ``mean_overlap``: mean over users of |A ∩ B| / |A ∪ B| for their sets of listed
        reasons (1 when both are empty); ``users``: how many users were compared.

    Raises
    ------
    ValueError
        Different columns or different users (index) in ``a`` and ``b``.

    Examples
    --------
    >>> a = pd.DataFrame({"reason_1": ["r", "s", None], "reason_2": ["s", None, None]})
    >>> b = pd.DataFrame({"reason_1": ["s", "s", None], "reason_2": ["r", "t", None]})
    >>> reason_code_agreement(a, b).round(3).to_dict()
    {'reason_1_changed': 0.333, 'reasons_changed': 0.333, 'mean_overlap': 0.833, 'users': 3.0}
    """
    for name, frame in (("a", a), ("b", b)):
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"{name} must be a DataFrame of reason_codes, got "
                             f"{type(frame).__name__}")
    if list(a.columns) != list(b.columns) or "reason_1" not in a.columns:
        raise ValueError(
            f"a and b must have the same reason columns (from reason_codes with the same top), "
            f"got {list(a.columns)} and {list(b.columns)}"
        )
    if not a.index.equals(b.index):
        raise ValueError("a and b must describe the same users in the same order (same index)")
    first_a, first_b = a["reason_1"].to_numpy(object), b["reason_1"].to_numpy(object)
    changed_first = np.array([x != y for x, y in zip(first_a, first_b, strict=True)])
    sets_a, sets_b = _reason_sets(a), _reason_sets(b)
    overlap = np.array([len(x & y) / len(x | y) if x | y else 1.0
                        for x, y in zip(sets_a, sets_b, strict=True)])
    changed_sets = np.array([x != y for x, y in zip(sets_a, sets_b, strict=True)])
    return pd.Series({
        "reason_1_changed": changed_first.mean(),
        "reasons_changed": changed_sets.mean(),
        "mean_overlap": overlap.mean(),
        "users": float(len(a)),
    }, name="agreement")


def _reason_sets(frame):
    return [frozenset(r for r in row if r is not None and r == r) for row in
            frame.to_numpy(object)]


def _group_labels(groups, names):
    """The group name of every feature, in the explanation's order."""
    if callable(groups) and not isinstance(groups, Mapping):
        return [str(groups(n)) for n in names]
    if not isinstance(groups, Mapping):
        raise ValueError(
            f"groups must be a mapping {{group: [features]}} or a function feature -> group, "
            f"got {type(groups).__name__}"
        )
    owner: dict[str, str] = {}
    unknown, twice, empty = [], [], []
    for group, features in groups.items():
        if isinstance(features, str) or not isinstance(features, Iterable):
            features = [features]
        features = [str(f) for f in features]
        if not features:
            empty.append(group)
        for f in features:
            if f not in names:
                unknown.append(f)
            elif f in owner and owner[f] != group:
                twice.append(f)
            owner[f] = str(group)
    problems = []
    if unknown:
        problems.append(f"names features not in the explanation: {sorted(set(unknown))}")
    if twice:
        problems.append(f"puts features in two groups: {sorted(set(twice))}")
    if empty:
        problems.append(f"has empty groups: {empty}")
    if problems:
        raise ValueError("groups " + "; ".join(problems))
    return [owner.get(n, n) for n in names]

