"""Classification metrics of a churn model: threshold, ranking and probability scores.

Introduced in notebook 06; conventions in :mod:`retainkit.evaluation`. The ranking building
blocks here (ROC AUC as a Mann-Whitney statistic, average precision, counts by threshold) are
shared with the decision and comparison files of this package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import labels_and_probabilities, require_both_classes


def _counts_by_threshold(y: np.ndarray, p: np.ndarray):
    """True and false positives when targeting ``p >= s`` for each distinct score ``s``.

    Returns the distinct scores in decreasing order with the cumulative counts.
    """
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    end_of_tie_group = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    tp = np.cumsum(y_sorted)[end_of_tie_group]
    fp = np.cumsum(1 - y_sorted)[end_of_tie_group]
    return p_sorted[end_of_tie_group], tp, fp


def _roc_auc(y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None):
    """ROC AUC as the Mann-Whitney statistic: P(score of a churner > score of a stayer).

    Pairs with tied scores count 1/2, as in scikit-learn. ``weights`` (shape (n,) or
    (replicates, n)) are row multiplicities: a bootstrap resample is the original rows
    repeated, so its AUC is the weighted statistic on the original, sorted once.
    """
    order = np.argsort(p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    w = np.ones((1, len(p))) if weights is None else np.atleast_2d(weights)[:, order]
    # First and last sorted position of the group of scores tied with each churner.
    new_score = np.r_[True, p_sorted[1:] != p_sorted[:-1]]
    group_start = np.flatnonzero(new_score)
    group_end = np.r_[group_start[1:], len(p)] - 1
    churner = np.flatnonzero(y_sorted == 1)
    tie_group = np.cumsum(new_score)[churner] - 1
    first, last = group_start[tie_group], group_end[tie_group]
    stayers_upto = np.cumsum(w * (1 - y_sorted), axis=1)  # stayer weight at or below
    stayers_below = stayers_upto[:, np.maximum(first - 1, 0)] * (first > 0)
    stayers_tied = stayers_upto[:, last] - stayers_below
    w_churner = w[:, churner]
    wins = np.sum(w_churner * (stayers_below + stayers_tied / 2), axis=1)
    auc = wins / (w_churner.sum(axis=1) * stayers_upto[:, -1])
    return float(auc[0]) if weights is None or np.ndim(weights) == 1 else auc


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    _, tp, fp = _counts_by_threshold(y, p)
    precision = tp / (tp + fp)
    recall = tp / y.sum()
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))



def classification_summary(y_true, p, threshold: float = 0.5) -> pd.Series:
    """Threshold, ranking and probability metrics of a churn model in one Series.

    Introduced in notebook 06. Users with ``p >= threshold`` are predicted churners. The
    values equal scikit-learn's: ``accuracy``, ``precision``, ``recall`` and ``f1`` at the
    threshold (``precision`` is NaN when nobody is predicted to churn; scikit-learn returns
    0 with a warning there, or NaN with ``zero_division=np.nan``); ``roc_auc``; ``pr_auc``,
    the area under the precision-recall curve computed as **average precision**
    (``average_precision_score``: sum over thresholds of precision x recall increase, no
    interpolation); ``brier`` = mean (p - y)^2; ``log_loss`` = mean negative log-likelihood
    with p clipped to [eps, 1 - eps], eps the float64 machine epsilon; ``base_rate`` = share of
    churners, i.e. the precision of targeting everyone and the PR curve of a random model.
    ``n`` and ``threshold`` are included so a row of a comparison table is self-describing.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed label, 1 = churned. Must contain both classes.
    p : array-like of float in [0, 1]
        Predicted churn probability.
    threshold : float, default 0.5
        Decision threshold in [0, 1].

    Returns
    -------
    pandas.Series
        Index ``n, base_rate, threshold, accuracy, precision, recall, f1, roc_auc, pr_auc,
        brier, log_loss``; use it like a dict (``summary["roc_auc"]``).

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> summary = classification_summary(y, p)
    >>> summary[["accuracy", "precision", "recall", "roc_auc", "pr_auc"]].round(3).tolist()
    [0.833, 1.0, 0.667, 0.889, 0.917]
    """
    y, prob = labels_and_probabilities(y_true, p)
    require_both_classes(y, "ROC AUC")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    predicted = prob >= threshold
    tp = float(np.sum(predicted & (y == 1)))
    fp = float(np.sum(predicted & (y == 0)))
    fn = float(np.sum(~predicted & (y == 1)))
    eps = np.finfo(float).eps
    clipped = np.clip(prob, eps, 1 - eps)
    return pd.Series(
        {
            "n": len(y),
            "base_rate": y.mean(),
            "threshold": float(threshold),
            "accuracy": np.mean(predicted == (y == 1)),
            "precision": tp / (tp + fp) if tp + fp > 0 else np.nan,
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
            "roc_auc": _roc_auc(y, prob),
            "pr_auc": _average_precision(y, prob),
            "brier": np.mean((prob - y) ** 2),
            "log_loss": -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)),
        },
        name="metrics",
    )
