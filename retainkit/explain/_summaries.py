"""Summaries of SHAP values for people: driver tables, reason codes, explainers side by side.

Introduced in notebook 07; an overview is in :mod:`retainkit.explain`. Tables and reason codes
show an explanation's display values (raw units) when it has them, see
:func:`with_display_data`.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import shap

from retainkit._validation import check_choice, check_int
from retainkit.explain._checks import display_array, explanation_arrays

REASON_DIRECTIONS = ("raises", "both")
RAISES, LOWERS, UNCLEAR = "higher → raises risk", "higher → lowers risk", "no clear direction"


def with_display_data(explanation: shap.Explanation, display_data) -> shap.Explanation:
    """A copy of ``explanation`` that shows ``display_data`` instead of the model's inputs.

    Introduced in notebook 07. For a model that sees transformed inputs (``log1p`` counts,
    standardised values), ``.data`` holds what the model saw; ``display_data`` holds what a
    person should read, usually the raw features. The SHAP values, base values, names and
    ``compute_time`` are copied unchanged and the original explanation is not modified
    (rebuilding an explanation by hand trips over shap's ``instance_names``, which has no
    setter; assigning ``.display_data`` directly would change the caller's object unchecked).

    With display values, :func:`driver_table` takes the *direction* from them ("higher" in
    raw units), :func:`reason_codes` prints them, the waterfall and one-user bar plots label
    the bars with them and the dependence plot puts them on its x axis and colour bar. The
    beeswarm plot still colours dots by ``.data``, as shap does: for an increasing transform
    such as ``log1p`` the high/low order of the colours is the same.

    Parameters
    ----------
    explanation : shap.Explanation
        A 2-D explanation (users x features) with ``.data`` and ``.feature_names``, such as
        the result of :func:`explain`.
    display_data : pandas.DataFrame, numpy.ndarray or None
        Numeric, finite values, one per user and feature. A DataFrame must have exactly the
        explanation's features as columns (any order) and the explained users as index (the
        index of the ``X`` given to :func:`explain`; any order when its labels are unique):
        it is aligned by label. An array must have the shape of ``explanation.values``, in
        the same row and column order. An explanation without ``instance_names`` takes the
        rows of a DataFrame in order. None returns a copy without display values.

    Returns
    -------
    shap.Explanation
        A new explanation whose ``.display_data`` is a float array aligned with ``.values``.

    Raises
    ------
    ValueError
        Naming ``display_data``: wrong shape; missing, unexpected or duplicated columns; an
        index that does not hold the explained users; non-numeric, missing or infinite values
        (all mismatches of shape, columns and index are reported together).

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1]]),
    ...                      data=np.log1p([[10.6, 1.0], [2.0, 0.0]]),
    ...                      feature_names=["recency_days", "Platform_web"],
    ...                      instance_names=["ann", "bob"])
    >>> reason_codes(e, top=1).reason_1.tolist()
    ['recency_days = 2.45 — raises risk', 'Platform_web = 0 — raises risk']
    >>> raw = pd.DataFrame({"Platform_web": [0, 1], "recency_days": [2.0, 10.6]},
    ...                    index=["bob", "ann"])
    >>> shown = with_display_data(e, raw)
    >>> reason_codes(shown, top=1).reason_1.tolist()
    ['recency_days = 10.6 — raises risk', 'Platform_web = 0 — raises risk']
    >>> bool(np.array_equal(shown.values, e.values)), e.display_data is None
    (True, True)
    """
    values, _, names = explanation_arrays(explanation)
    if display_data is not None:
        names_of_rows = explanation.instance_names
        if names_of_rows is not None and len(names_of_rows) != len(values):
            names_of_rows = None
        display_data = display_array(display_data, names, names_of_rows, values.shape)
    result = copy.copy(explanation)  # shap's copy rebuilds every field except compute_time
    result.display_data = display_data
    result.compute_time = explanation.compute_time
    return result


def driver_table(explanation: shap.Explanation) -> pd.DataFrame:
    """Rank features by mean |SHAP value|, with their share and direction.

    Introduced in notebook 07. ``mean_abs_shap`` is the average size of a feature's
    contribution over the explained users (on the explanation's scale), ``share`` its
    fraction of the sum over features, and ``direction`` the sign of the Pearson
    correlation between the feature's value and its SHAP value: "higher → raises risk"
    when larger values push the prediction up, "higher → lowers risk" when they push it
    down, "no clear direction" when the correlation is undefined or zero (a constant
    feature, or one the model ignores). A direction summarises a trend; a U-shaped effect
    needs a dependence plot. When the explanation has display values (``display_data`` of
    :func:`explain` or :func:`with_display_data`), the direction is computed from them, so
    "higher" means higher in raw units; ``mean_abs_shap`` and ``share`` do not depend on them.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``mean_abs_shap``, ``share``, ``direction``, sorted by
        ``mean_abs_shap`` (largest first), indexed by rank 1, 2, ...

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.5, 0.2], [0.1, 0.0]]),
    ...                      data=np.array([[12.0, 3.0], [5.0, 1.0], [40.0, 0.5]]),
    ...                      feature_names=["recency_days", "score"])
    >>> table = driver_table(e)
    >>> table.feature.tolist(), table.mean_abs_shap.round(3).tolist()
    (['recency_days', 'score'], [0.3, 0.1])
    >>> table.direction.tolist()
    ['higher → raises risk', 'higher → lowers risk']
    """
    values, data, names = explanation_arrays(explanation)
    mean_abs = np.abs(values).mean(axis=0)
    total = mean_abs.sum()
    share = mean_abs / total if total > 0 else np.full_like(mean_abs, np.nan)
    corr = _column_correlation(data, values)
    direction = np.where(corr > 0, RAISES, np.where(corr < 0, LOWERS, UNCLEAR))
    table = pd.DataFrame(
        {"feature": names, "mean_abs_shap": mean_abs, "share": share, "direction": direction}
    )
    table = table.sort_values("mean_abs_shap", ascending=False, kind="stable")
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def reason_codes(
    explanation: shap.Explanation,
    top: int = 3,
    *,
    templates: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    direction: str = "raises",
    min_shap: float = 0.0,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """The top drivers of each user's prediction, in plain words (for a CRM export).

    Introduced in notebook 07. By default (``direction="raises"``) only features that
    push this user's risk *up* (SHAP value > 0) are listed, largest first: a retention
    team acts on what makes a user likely to leave, and "tenure lowers risk" is no reason
    to contact anyone. A user with fewer than ``top`` such features gets ``None`` in the
    remaining columns (an empty cell in a CSV). ``direction="both"`` ranks by |SHAP value|
    and lists both kinds.

    Each reason reads ``"<feature> = <value> — raises risk"``, for instance
    ``"recency_days = 12 — raises risk"``; ``units={"recency_days": "days"}`` gives
    ``"recency_days = 12 days — raises risk"`` and
    ``templates={"recency_days": "no visit for {value:.0f} days"}`` gives
    ``"no visit for 12 days — raises risk"`` (a template may also use ``{feature}``).
    Values of integer-valued features print as integers, others with 3 significant digits.
    The values printed are the explanation's display values when it has them (``display_data``
    of :func:`explain` or :func:`with_display_data`: raw units for a model that sees
    ``log_counts``), otherwise ``.data``.

    Two options make reason codes steadier and more useful (notebook 07 measures how much):

    - ``min_shap``: a reason is listed only when its |SHAP value| exceeds this (in the
      explanation's units, e.g. 0.02 = 2 points of predicted churn probability). Small
      contributions change with the training seed and the background; a user whose reasons
      are all small gets empty cells rather than noise.
    - ``exclude``: features never listed, by name or ``fnmatch`` pattern
      (``["region_*", "device_*"]``): attributes nobody can act on, or placebos. They still
      count in the model and its SHAP values; they are only left out of the text, so the
      next feature moves up.

    Returns
    -------
    pandas.DataFrame
        One row per explained user (indexed by the explanation's ``instance_names``, that
        is the index of the ``X`` given to ``explain``), columns ``reason_1`` ...
        ``reason_<top>``.

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1, 0.2], [-0.5, 0.4, 0.0]]),
    ...                      data=np.array([[12.0, 3.14159, 2.0], [5.0, 0.5, 0.0]]),
    ...                      feature_names=["recency_days", "score", "n_sessions"],
    ...                      instance_names=["ann", "bob"])
    >>> reason_codes(e, top=2).loc["ann"].tolist()
    ['recency_days = 12 — raises risk', 'n_sessions = 2 — raises risk']
    >>> codes = reason_codes(e, top=1, templates={"recency_days": "no visit for {value:.0f} days"},
    ...                      direction="both")
    >>> codes.reason_1.tolist()
    ['no visit for 12 days — raises risk', 'no visit for 5 days — lowers risk']
    >>> reason_codes(e, top=2, min_shap=0.25, exclude=["n_*"]).loc["ann"].tolist()
    ['recency_days = 12 — raises risk', None]
    """
    values, data, names = explanation_arrays(explanation)
    top = check_int("top", top, 1)
    check_choice("direction", direction, REASON_DIRECTIONS)
    if isinstance(min_shap, bool) or not isinstance(min_shap, int | float | np.number) or \
            not np.isfinite(min_shap) or min_shap < 0:
        raise ValueError(f"min_shap must be a finite number >= 0, got {min_shap!r}")
    excluded = _excluded(names, exclude)
    templates, units = dict(templates or {}), dict(units or {})
    for argument, mapping in (("templates", templates), ("units", units)):
        unknown = sorted(set(mapping) - set(names))
        if unknown:
            raise ValueError(f"{argument} names features not in the explanation: {unknown}")

    phrases = np.empty(values.shape, dtype=object)
    for j, name in enumerate(names):
        phrases[:, j] = _describe(name, data[:, j], templates.get(name), units.get(name))
    effect = np.where(values > 0, " — raises risk", " — lowers risk").astype(object)
    sentences = phrases + effect

    score = values if direction == "raises" else np.abs(values)
    score = np.where(excluded, -np.inf, score)  # never chosen
    k = min(int(top), values.shape[1])
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(sentences, order, axis=1)
    keep = np.take_along_axis(score, order, axis=1) > max(float(min_shap), 0.0)
    chosen[~keep] = None
    if k < top:  # fewer features than requested reasons: pad with empty reasons
        chosen = np.hstack([chosen, np.full((len(chosen), top - k), None, dtype=object)])
    index = _instance_index(explanation, len(values))
    return pd.DataFrame(chosen, index=index, columns=[f"reason_{i}" for i in range(1, top + 1)])


def importance_by_method(explanations: Mapping[str, shap.Explanation]) -> pd.DataFrame:
    """Mean |SHAP value| per feature for several explanations of the same model, side by side.

    Introduced in notebook 07. Pass ``{"deep": e1, "kernel": e2, ...}``; the result has one
    row per feature and one column per method, sorted by the first method (largest first).
    ``.rank(ascending=False)`` turns it into importance ranks, and ``.corr("spearman")``
    measures how far the explainers agree on the ordering.

    Examples
    --------
    >>> a = shap.Explanation(values=np.array([[0.4, -0.1], [-0.2, 0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> b = shap.Explanation(values=np.array([[0.2, 0.3], [0.2, -0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> table = importance_by_method({"deep": a, "kernel": b})
    >>> table.columns.tolist(), table.index.tolist()
    (['deep', 'kernel'], ['recency_days', 'score'])
    >>> table.round(3).to_numpy().tolist()
    [[0.3, 0.2], [0.1, 0.2]]
    """
    if not explanations:
        raise ValueError("explanations is empty: pass a dict {method name: shap.Explanation}")
    columns, reference = {}, None
    for method, explanation in explanations.items():
        values, _, names = explanation_arrays(explanation)
        if reference is None:
            reference = names
        elif names != reference:
            raise ValueError(
                f"explanation {method!r} has features {names}, expected {reference} "
                "(explain the same X with every method)"
            )
        columns[method] = np.abs(values).mean(axis=0)
    table = pd.DataFrame(columns, index=pd.Index(reference, name="feature"))
    return table.sort_values(table.columns[0], ascending=False, kind="stable")


def _excluded(names, exclude):
    """Boolean mask of the features matched by ``exclude`` (names or fnmatch patterns)."""
    if isinstance(exclude, str):
        exclude = [exclude]
    mask = np.zeros(len(names), dtype=bool)
    unmatched = []
    for pattern in exclude:
        hits = np.array([fnmatch.fnmatchcase(n, str(pattern)) for n in names], dtype=bool)
        if not hits.any():
            unmatched.append(pattern)
        mask |= hits
    if unmatched:
        raise ValueError(f"exclude matches no feature of the explanation: {unmatched}")
    return mask


def _column_correlation(a, b):
    """Pearson correlation of each column of ``a`` with the same column of ``b`` (NaN if flat)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    denominator = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=0) / denominator, np.nan)


def _instance_index(explanation, n):
    names = explanation.instance_names
    if names is None or len(names) != n:
        return pd.RangeIndex(n)
    return pd.Index(list(names))


def _describe(name, column, template, unit):
    """The "<feature> = <value>" part of a reason, for every user at once."""
    if template is not None:
        return np.array([template.format(value=v, feature=name) for v in column], dtype=object)
    if np.all(column == np.round(column)):
        text = column.astype(np.int64).astype(str)
    else:  # 3 significant digits, but no exponent notation for large values
        text = np.where(
            np.abs(column) >= 1000, np.char.mod("%.0f", column), np.char.mod("%.3g", column)
        )
    suffix = f" {unit}" if unit else ""
    return (f"{name} = " + text.astype(object) + suffix).astype(object)
