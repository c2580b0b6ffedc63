"""Figures for evaluating churn models: ROC, PR, calibration, lift, gain, cost (notebook 06).

Every function draws on ``ax`` (the current axis, ``plt.gca()``, when None) and returns the
axis. ``scores`` is either one array of predicted churn probabilities or a mapping
``{model name: probabilities}`` to draw several models on the same axis; all are aligned with
``y`` (1 = churned). Each model is drawn in its colour from :func:`model_color`, so a model
keeps its colour from one figure to the next.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from mpl_toolkits.axes_grid1 import make_axes_locatable
from sklearn.metrics import precision_recall_curve, roc_curve

from retainkit._validation import labels_and_probabilities, require_both_classes, score_mapping
from retainkit.evaluation import (
    ThresholdResult,
    calibration_table,
    classification_summary,
    lift_table,
)
from retainkit.plotting._base import current_axes, decorate
from retainkit.plotting._palette import model_color, model_colors

_REFERENCE_STYLE = {"color": "0.5", "linestyle": "--", "linewidth": 1}


def _checked_scores(y, scores) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    checked = {}
    for name, p in score_mapping(scores).items():
        y_arr, checked[name] = labels_and_probabilities(y, p, p_name=f"scores[{name!r}]")
    return y_arr, checked


def plot_roc(y, scores, *, ax=None):
    """ROC curves of one or several models, with the chance diagonal.

    Introduced in notebook 06. x: false positive rate (share of stayers targeted), y: true
    positive rate (recall, share of churners caught), as the threshold falls from 1 to 0.
    The legend gives each model's ROC AUC. Under heavy class imbalance a ROC curve can look
    good while precision is poor: read it next to :func:`plot_pr`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> ax = plot_roc(y, {"MLP": p, "boosting": [0.3, 0.1, 0.2, 0.9, 0.5, 0.6]})
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['MLP (AUC = 0.889)', 'boosting (AUC = 0.778)', 'chance (AUC = 0.5)']
    >>> ax.get_lines()[1].get_color() == model_color("boosting")  # its colour in every figure
    True
    >>> plt.close("all")
    """
    y_arr, checked = _checked_scores(y, scores)
    require_both_classes(y_arr, "a ROC curve")
    ax = current_axes(ax)
    colors = model_colors(checked)
    for name, p in checked.items():
        fpr, tpr, _ = roc_curve(y_arr, p)
        auc = classification_summary(y_arr, p)["roc_auc"]
        ax.plot(fpr, tpr, color=colors[name], label=f"{name} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], label="chance (AUC = 0.5)", **_REFERENCE_STYLE)
    return decorate(
        ax,
        title="ROC curve",
        xlabel="False positive rate (share of stayers targeted)",
        ylabel="True positive rate (share of churners caught)",
        xlim=(0, 1),
        ylim=(0, 1.01),
        loc="lower right",
    )


def plot_pr(y, scores, *, ax=None):
    """Precision-recall curves of one or several models, with the base rate drawn.

    Introduced in notebook 06. x: recall (share of churners caught), y: precision (share of
    targeted users who churn). A random ranking has precision equal to the base rate at every
    recall, the dashed horizontal line. The legend gives each model's average precision (AP),
    the area summary that :func:`retainkit.evaluation.classification_summary` calls
    ``pr_auc``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> ax = plot_pr(y, {"MLP": p})
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['MLP (AP = 0.917)', 'base rate = 0.500 (random)']
    >>> plt.close("all")
    """
    y_arr, checked = _checked_scores(y, scores)
    require_both_classes(y_arr, "a precision-recall curve")
    ax = current_axes(ax)
    colors = model_colors(checked)
    for name, p in checked.items():
        precision, recall, _ = precision_recall_curve(y_arr, p)
        ap = classification_summary(y_arr, p)["pr_auc"]
        ax.step(recall, precision, where="post", color=colors[name],
                label=f"{name} (AP = {ap:.3f})")
    base_rate = y_arr.mean()
    ax.axhline(base_rate, label=f"base rate = {base_rate:.3f} (random)", **_REFERENCE_STYLE)
    return decorate(
        ax,
        title="Precision-recall curve",
        xlabel="Recall (share of churners caught)",
        ylabel="Precision (share of targeted users who churn)",
        xlim=(0, 1),
        ylim=(0, 1.01),
        loc="upper right",
    )


def _calibration_tables(y, scores, bins, strategy) -> dict[str, pd.DataFrame]:
    if isinstance(y, pd.DataFrame):
        return {"model": y}
    if isinstance(y, Mapping) and all(isinstance(t, pd.DataFrame) for t in y.values()):
        return dict(y)
    if scores is None:
        raise ValueError(
            "plot_calibration needs y and scores, or a calibration_table (or a mapping of "
            "them) as the only argument"
        )
    return {
        name: calibration_table(y, p, bins=bins, strategy=strategy)
        for name, p in score_mapping(scores).items()
    }


def plot_calibration(y, scores=None, *, bins=10, strategy="uniform", counts=True, ax=None):
    """Reliability diagram: observed churn rate against mean predicted probability per bin.

    Introduced in notebook 06. Pass ``y`` and ``scores``, or a table from
    :func:`retainkit.evaluation.calibration_table` (or ``{name: table}``) as the only
    argument. Points on the dashed diagonal are perfectly calibrated; above it the model
    under-predicts churn. With ``counts=True`` a panel below shows how many users fall in
    each bin (a log scale, because the top bins are often nearly empty): judge a point by
    the number of users behind it. The panel is the figure's axis just created below ``ax``
    (``ax.figure.axes[-1]``); the diagram stays the current axis.

    Returns
    -------
    matplotlib.axes.Axes
        The reliability-diagram axis (not the panel), so the function returns one axis like
        every other figure function.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> ax = plot_calibration(y, {"MLP": p}, bins=2)
    >>> ax.get_lines()[1].get_ydata().tolist(), len(ax.figure.axes)  # observed rates; + panel
    ([0.25, 1.0], 2)
    >>> plt.close("all")
    """
    tables = _calibration_tables(y, scores, bins, strategy)
    ax = current_axes(ax)
    ax.plot([0, 1], [0, 1], label="perfectly calibrated", **_REFERENCE_STYLE)
    filled = {name: table[table["n"] > 0] for name, table in tables.items()}
    colors = model_colors(filled)
    for name, table in filled.items():
        ax.plot(table["mean_predicted"], table["observed_rate"], marker="o", color=colors[name],
                label=name)
    decorate(
        ax,
        title="Calibration (reliability diagram)",
        xlabel="Mean predicted churn probability in bin",
        ylabel="Observed churn rate in bin",
        xlim=(0, 1),
        ylim=(0, 1),
        loc="upper left",
    )
    if counts:
        count_ax = make_axes_locatable(ax).append_axes("bottom", size="35%", pad=0.5, sharex=ax)
        width = 1 / (len(filled) + 1)
        for k, (name, table) in enumerate(filled.items()):
            bin_width = (table["upper"] - table["lower"]).to_numpy()
            left = table["lower"].to_numpy() + (k + 0.5) * width * bin_width
            count_ax.bar(left, table["n"], width=width * bin_width, align="edge",
                         color=colors[name], label=name)
        count_ax.set_yscale("log")
        count_ax.set(xlabel="Predicted churn probability", ylabel="Users in bin")
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
        ax.figure.sca(ax)  # adding the panel made it current; the diagram is what was asked for
    return ax


def plot_lift(y, scores, *, bins=10, ax=None):
    """Lift by score bin (deciles by default), best-scored users first, for one or more models.

    Introduced in notebook 06. Lift = churn rate in the bin / overall churn rate; the dashed
    line at 1 is random targeting. The top-decile lift is the number a retention team acts
    on: "the 10 % we would contact churn k times more often than average".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> ax = plot_lift(y, {"MLP": p}, bins=3)
    >>> ax.get_lines()[0].get_ydata().tolist()  # lift of the top, middle and bottom third
    [2.0, 1.0, 0.0]
    >>> plt.close("all")
    """
    y_arr, checked = _checked_scores(y, scores)
    ax = current_axes(ax)
    colors = model_colors(checked)
    for name, p in checked.items():
        table = lift_table(y_arr, p, bins=bins)
        ax.plot(table.index, table["lift"], marker="o", color=colors[name], label=name)
    ax.axhline(1.0, label="random targeting (lift = 1)", **_REFERENCE_STYLE)
    ax.set_xticks(range(1, bins + 1))
    return decorate(
        ax,
        title="Lift by score bin",
        xlabel=f"Score bin (1 = highest {100 / bins:g} % of predicted churn)",
        ylabel="Lift (bin churn rate / overall churn rate)",
        ylim=(0, None),
        loc="upper right",
    )


def plot_gain(y, scores, *, bins=10, ax=None):
    """Cumulative gain: share of all churners caught when targeting the top k % of users.

    Introduced in notebook 06. Drawn at the bin boundaries of
    :func:`retainkit.evaluation.lift_table`, from (0, 0) to (1, 1). The dashed diagonal is
    random targeting; the dotted line is a perfect ranking, which catches every churner once
    the targeted share reaches the base rate.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> ax = plot_gain(y, {"MLP": p}, bins=3)
    >>> ax.get_lines()[0].get_ydata().round(3).tolist()  # at 0, 1/3, 2/3 and all users
    [0.0, 0.667, 1.0, 1.0]
    >>> plt.close("all")
    """
    y_arr, checked = _checked_scores(y, scores)
    ax = current_axes(ax)
    colors = model_colors(checked)
    for name, p in checked.items():
        table = lift_table(y_arr, p, bins=bins)
        x = np.r_[0.0, table["population_share"]]
        ax.plot(x, np.r_[0.0, table["cumulative_gain"]], marker="o", color=colors[name],
                label=name)
    ax.plot([0, 1], [0, 1], label="random targeting", **_REFERENCE_STYLE)
    base_rate = y_arr.mean()
    ax.plot([0, base_rate, 1], [0, 1, 1], color="0.3", linestyle=":", label="perfect ranking")
    return decorate(
        ax,
        title="Cumulative gain",
        xlabel="Share of users targeted (highest scores first)",
        ylabel="Share of all churners caught",
        xlim=(0, 1),
        ylim=(0, 1.01),
        loc="lower right",
    )


def plot_cost_curve(result: ThresholdResult, *, ax=None, currency: str = "cost units",
                    model: str | None = None):
    """Total campaign cost against the threshold, with the chosen threshold marked.

    Introduced in notebook 06. ``result`` comes from
    :func:`retainkit.evaluation.threshold_for_cost` or ``threshold_for_value``. The solid
    vertical line is the cost-minimising threshold read from the data; the dotted one is
    ``cost_fp / (cost_fp + cost_fn)``, the optimum if the probabilities were calibrated. The
    legend says which is which: the solid line is chosen with hindsight on the labels passed
    (on test labels it flatters the campaign), the dotted break-even needs no labels.
    The "target nobody" point (threshold ``inf``) is shown as a horizontal reference. The
    step at a score s holds the cost of targeting every user with p >= s. Name the ``model``
    whose scores gave ``result`` to draw its curve in that model's colour (:func:`model_color`)
    and to name it in the legend.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> from retainkit.evaluation import threshold_for_cost
    >>> result = threshold_for_cost(y, p, cost_fp=1.0, cost_fn=4.0)
    >>> ax = plot_cost_curve(result, model="MLP")
    >>> [text.get_text() for text in ax.get_legend().get_texts()]  # doctest: +NORMALIZE_WHITESPACE
    ['total cost (MLP)', 'target nobody (12)',
     'hindsight best on these labels = 0.350 (cost 1, 4 targeted)',
     'break-even, no labels needed = 0.200']
    >>> plt.close("all")
    """
    if not isinstance(result, ThresholdResult):
        raise ValueError("result must be a ThresholdResult from threshold_for_cost")
    ax = current_axes(ax)
    curve = result.curve
    finite = curve[np.isfinite(curve["threshold"])]
    style = {} if model is None else {"color": model_color(model)}
    label = "total cost" if model is None else f"total cost ({model})"
    ax.step(finite["threshold"], finite["cost"], where="pre", label=label, **style)
    nobody = curve.loc[~np.isfinite(curve["threshold"]), "cost"].iloc[0]
    targets_nobody = not np.isfinite(result.threshold)
    label = f"target nobody ({nobody:,.0f})" + (" = chosen" if targets_nobody else "")
    ax.axhline(nobody, label=label, **_REFERENCE_STYLE)
    if not targets_nobody:
        ax.axvline(
            result.threshold,
            color="C3",
            label=f"hindsight best on these labels = {result.threshold:.3f} (cost {result.cost:,.0f}, "
            f"{result.targeted:,} targeted)",
        )
    ax.axvline(
        result.bayes_threshold,
        color="C2",
        linestyle=":",
        label=f"break-even, no labels needed = {result.bayes_threshold:.3f}",
    )
    return decorate(
        ax,
        title="Campaign cost by threshold",
        xlabel="Threshold (target users with predicted churn probability ≥ threshold)",
        ylabel=f"Total expected cost ({currency})",
        xlim=(0, 1),
        loc="best",
    )
