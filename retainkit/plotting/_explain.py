"""Figures for SHAP explanations of the churn model (notebook 07).

Thin wrappers over shap's own plots (beeswarm, bar, waterfall, scatter) that draw on
``ax`` (the current axis, ``plt.gca()``, when None), give every figure a title and axis
labels that name the explanation's scale (probability or log-odds, from
``explanation.output_names`` as set by :func:`retainkit.explain.explain`), and return the
axis instead of showing it.
``plot_explainer_agreement`` compares the feature rankings of several explainers.

An explanation with display values (``explain(..., display_data=raw)`` or
``with_display_data``) is shown in raw units: the waterfall and one-user bar plots label the
bars with the display values and the dependence plot puts them on its x axis and colour bar.
The beeswarm colours dots by the model's inputs (``.data``), as shap does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import shap

from retainkit._validation import check_choice
from retainkit.explain import importance_by_method
from retainkit.plotting._base import PALETTE, current_axes, decorate

_SCALES = {  # explanation.output_names -> what the model output is
    "probability": "predicted churn probability",
    "logit": "predicted log-odds of churn",
}
AGREEMENT_KINDS = ("rank", "share")


def plot_shap_beeswarm(explanation: shap.Explanation, *, max_display: int = 10, title=None,
                       ax=None):
    """One dot per user and feature: SHAP value (x) coloured by the feature's value.

    Introduced in notebook 07. Features are ordered by mean |SHAP value|, largest on top;
    beyond ``max_display`` the rest are summed into one row. Red dots are high feature
    values, blue low ones: red dots right of zero mean "higher values raise predicted risk".
    The colours come from the values the model saw (``.data``) even when the explanation has
    display values; for an increasing transform such as ``log1p`` high and low are the same.

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1], [0.1, 0.0]]),
    ...                      data=np.array([[12.0, 1.0], [2.0, 0.0], [5.0, 1.0]]),
    ...                      feature_names=["recency_days", "Platform_web"])
    >>> ax = plot_shap_beeswarm(e)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Platform_web', 'recency_days']
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    with _interactive_kept():
        shap.plots.beeswarm(explanation, max_display=max_display, ax=ax, show=False,
                            plot_size=None)
    return decorate(ax, title=title or "What drives predicted churn (each dot is a user)",
                    xlabel=_shap_label(explanation), legend=False)


def plot_shap_bar(explanation: shap.Explanation, *, max_display: int = 10, title=None, ax=None):
    """Global importance: mean |SHAP value| per feature, largest on top.

    Introduced in notebook 07. Given a single user's explanation (one row), the bars are that
    user's signed SHAP values instead, labelled "<value> = <feature>" with the display values
    when the explanation has them.

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1], [0.1, 0.0]]),
    ...                      data=np.zeros((3, 2)), feature_names=["recency_days", "Platform_web"])
    >>> ax = plot_shap_bar(e)
    >>> ax.get_title(), len(ax.patches)
    ('Global feature importance', 2)
    >>> any(text.get_text().startswith("+") for text in ax.texts)
    False
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    with _interactive_kept():
        shap.plots.bar(explanation, max_display=max_display, ax=ax, show=False)
    label = _shap_label(explanation)
    if np.ndim(explanation.values) == 2:
        label = "mean |SHAP value| (" + label.split("(", 1)[1]
        for text in ax.texts:  # a mean |SHAP| is a size, not a push: drop shap's "+" sign
            text.set_text(text.get_text().lstrip("+"))
    return decorate(ax, title=title or "Global feature importance", xlabel=label, legend=False)


def plot_shap_waterfall(explanation: shap.Explanation, row: int | None = None, *, user=None,
                        max_display: int = 10, title=None, ax=None):
    """How one user's prediction is built from the average prediction, feature by feature.

    Introduced in notebook 07. Pick the user by position (``row``) or by label (``user``, a
    value of the index of the ``X`` that was explained); a one-row explanation needs
    neither. The bottom tick is E[f(X)], the base value (the average prediction over the
    background); each bar adds one feature's SHAP value; the top tick is f(x), this user's
    prediction. shap sizes the figure to the number of features; the size of a figure you
    pass in through ``ax`` is restored afterwards (with ``ax=None`` the current figure is
    resized). Bars are labelled "<value> = <feature>",
    with the display values when the explanation has them (raw units for a model that sees
    ``log_counts``).

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1]]),
    ...                      base_values=np.full(2, 0.2), data=np.log1p([[10.6, 1.0], [2.0, 0.0]]),
    ...                      display_data=np.array([[10.6, 1.0], [2.0, 0.0]]),
    ...                      feature_names=["recency_days", "Platform_web"],
    ...                      instance_names=["ann", "bob"])
    >>> ax = plot_shap_waterfall(e, user="ann")
    >>> ax.get_title()
    'Why user ann: prediction 0.4 vs average 0.2'
    >>> sorted(t.get_text() for t in ax.get_yticklabels() if " = " in t.get_text())
    ['1 = Platform_web', '10.6 = recency_days']
    >>> plt.close("all")
    """
    single, name = _select_row(explanation, row, user)
    caller_axis = ax is not None
    ax = current_axes(ax)
    fig = ax.figure
    size = fig.get_size_inches().copy()
    plt.sca(ax)
    with _interactive_kept():
        shap.plots.waterfall(single, max_display=max_display, show=False)
    fig.sca(ax)  # shap's twin axes for the E[f(X)] and f(x) ticks became current
    if caller_axis:
        fig.set_size_inches(size)
    prediction = float(single.base_values + np.sum(single.values))
    heading = f"user {name}: " if name is not None else ""
    default = f"Why {heading}prediction {prediction:.3g} vs average {float(single.base_values):.3g}"
    ax.set_title(title or default, pad=28)  # room for shap's E[f(X)] and f(x) labels on top
    # labelpad clears shap's E[f(X)] tick label, drawn under the axis by a twin axis
    ax.set_xlabel(_SCALES.get(explanation.output_names, "model output"), labelpad=16)
    return ax


def plot_shap_dependence(explanation: shap.Explanation, feature: str, *, color=None, title=None,
                         ax=None):
    """SHAP value of one feature against its value: the shape of its effect in the model.

    Introduced in notebook 07. ``color=None`` draws every user in one colour;
    ``color="auto"`` lets shap colour by the feature that seems to interact most with this
    one; ``color="<feature name>"`` colours by that feature. The grey histogram at the
    bottom shows where the data are: far from them the model extrapolates. When the
    explanation has display values, the x axis, histogram and colour bar use them (raw
    units) and the x label says "raw value"; the SHAP values are the same.

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1], [0.1, 0.0]]),
    ...                      data=np.log1p([[12.0, 1.0], [2.0, 0.0], [5.0, 1.0]]),
    ...                      display_data=np.array([[12.0, 1.0], [2.0, 0.0], [5.0, 1.0]]),
    ...                      feature_names=["recency_days", "Platform_web"])
    >>> ax = plot_shap_dependence(e, "recency_days")
    >>> ax.get_xlabel(), sorted(ax.collections[0].get_offsets()[:, 0].tolist())
    ('recency_days (raw value)', [2.0, 5.0, 12.0])
    >>> plt.close("all")
    """
    names = [str(n) for n in explanation.feature_names]
    check_choice("feature", feature, names)
    check_choice("color", color, (None, "auto", *names))
    shown_as = "feature value" if explanation.display_data is None else "raw value"
    explanation = _display_as_data(explanation)
    if color is None:
        colour = PALETTE[0]
    elif color == "auto":
        colour = explanation
    else:
        colour = explanation[:, color]
    ax = current_axes(ax)
    before = set(ax.figure.axes)
    with _interactive_kept():
        shap.plots.scatter(explanation[:, feature], color=colour, ax=ax, show=False)
    for twin in set(ax.figure.axes) - before:  # shap's histogram: all users at 10 % opacity
        if twin.patches:  # too faint and too flat to read: a third of the height, 25 % opacity
            twin.set_ylim(0, 3 * max(bar.get_height() for bar in twin.patches))
            for bar in twin.patches:
                bar.set_alpha(0.25)
    return decorate(ax, title=title or f"How {feature} moves predicted churn",
                    xlabel=f"{feature} ({shown_as})",
                    ylabel=f"SHAP value for {feature}\n({_scale_words(explanation)})", legend=False)


def plot_explainer_agreement(explanations: Mapping[str, shap.Explanation], *, kind: str = "rank",
                             ax=None):
    """Do several explainers rank the features alike? One row per feature, one dot per method.

    Introduced in notebook 07. Pass ``{"deep": e1, "kernel": e2, ...}`` computed on the same
    users. ``kind="rank"`` plots each feature's importance rank (1 = largest mean |SHAP
    value|); ``kind="share"`` its share of the total mean |SHAP value|, which also shows
    magnitudes. Features are ordered by the first method. The title gives the lowest
    Spearman rank correlation between any two methods (1 = identical order).

    Examples
    --------
    >>> a = shap.Explanation(values=np.array([[0.4, -0.1], [-0.2, 0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> b = shap.Explanation(values=np.array([[0.2, 0.3], [0.2, -0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> ax = plot_explainer_agreement({"deep": a, "kernel": b})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['recency_days', 'score']
    >>> plt.close("all")
    """
    check_choice("kind", kind, AGREEMENT_KINDS)
    table = importance_by_method(explanations)
    shown = table.rank(ascending=False) if kind == "rank" else table / table.sum()
    ax = current_axes(ax)
    y = np.arange(len(shown))
    ax.hlines(y, shown.min(axis=1), shown.max(axis=1), color="0.8", linewidth=3, zorder=1)
    offsets = np.linspace(-0.2, 0.2, len(shown.columns)) if len(shown.columns) > 1 else [0.0]
    for i, (method, offset) in enumerate(zip(shown.columns, offsets, strict=True)):
        ax.scatter(shown[method], y + offset, color=PALETTE[i % len(PALETTE)], label=method,
                   zorder=2)
    ax.set_yticks(y, shown.index)
    ax.invert_yaxis()
    title = "Explainer agreement on feature importance"
    if len(table.columns) > 1:
        title += f"\n(lowest pairwise Spearman ρ = {table.corr('spearman').min().min():.2f})"
    xlabel = ("importance rank (1 = largest mean |SHAP value|)" if kind == "rank"
              else "share of total mean |SHAP value|")
    return decorate(ax, title=title, xlabel=xlabel, ylabel="feature", loc="best")


@contextlib.contextmanager
def _interactive_kept():
    """shap's ``show=False`` switches matplotlib's interactive mode off (``plt.ioff()``),
    which stops Jupyter from displaying the figures of later cells: switch it back."""
    interactive = plt.isinteractive()
    try:
        yield
    finally:
        if interactive:
            plt.ion()


def _display_as_data(explanation):
    """The explanation with its display values as ``.data``: shap's scatter plot places the
    points (and colours them) by ``.data`` and reads ``.display_data`` only for text labels."""
    if explanation.display_data is None:
        return explanation
    return shap.Explanation(
        values=explanation.values,
        base_values=explanation.base_values,
        data=explanation.display_data,
        feature_names=explanation.feature_names,
        instance_names=explanation.instance_names,
        output_names=explanation.output_names,
    )


def _scale_words(explanation):
    return "change in " + _SCALES.get(explanation.output_names, "model output")


def _shap_label(explanation):
    return f"SHAP value ({_scale_words(explanation)})"


def _select_row(explanation, row, user):
    if np.ndim(explanation.values) == 1:
        names = explanation.instance_names
        return explanation, names if np.ndim(names) == 0 else None
    if (row is None) == (user is None):
        raise ValueError("give exactly one of row (a position) or user (an index label)")
    names = explanation.instance_names
    if user is not None:
        if names is None or user not in list(names):
            raise ValueError(f"user {user!r} is not among the explained users (instance_names)")
        row = list(names).index(user)
    n = len(explanation.values)
    if not isinstance(row, int | np.integer) or not -n <= row < n:
        raise ValueError(f"row must be an integer position in [0, {n}), got {row!r}")
    label = names[row] if names is not None else None
    # Not explanation[row]: shap reads an integer as an instance name when one matches, so
    # with integer user ids it would pick another user. Build the one-row view by position.
    base = np.asarray(explanation.base_values)
    data, display = explanation.data, explanation.display_data
    single = shap.Explanation(
        values=np.asarray(explanation.values)[row],
        base_values=base[row] if base.ndim else base,
        data=None if data is None else np.asarray(data)[row],
        display_data=None if display is None else np.asarray(display)[row],
        feature_names=explanation.feature_names,
    )
    return single, label
