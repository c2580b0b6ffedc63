"""Calibration of churn probabilities: reliability table and expected calibration error.

Introduced in notebook 06; conventions in :mod:`retainkit.evaluation`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from retainkit._validation import check_choice, check_int, labels_and_probabilities

STRATEGIES = ("uniform", "quantile")


def _bin_edges(prob: np.ndarray, bins: int, strategy: str) -> np.ndarray:
    check_choice("strategy", strategy, STRATEGIES)
    bins = check_int("bins", bins, 1)
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, bins + 1)
    edges = np.percentile(prob, np.linspace(0, 100, bins + 1))
    unique_edges = np.unique(edges)
    if len(unique_edges) < len(edges):
        warnings.warn(
            f"calibration_table: tied scores merged quantile edges; {len(unique_edges) - 1} "
            f"bins instead of {bins}",
            stacklevel=3,
        )
    return unique_edges


def calibration_table(y_true, p, bins: int = 10, strategy: str = "uniform") -> pd.DataFrame:
    """Observed churn rate against mean predicted probability, by probability bin.

    Introduced in notebook 06. With ``strategy="uniform"`` the bins split [0, 1] into
    ``bins`` equal widths; with ``"quantile"`` they hold (about) equally many users. Bins are
    closed on the right, ``(lower, upper]``, the first one also contains its lower edge: the
    binning of scikit-learn's ``calibration_curve``, whose ``prob_true``/``prob_pred`` equal
    this table's ``observed_rate``/``mean_predicted`` on the non-empty bins. Empty bins are
    kept (``n = 0``, rates NaN) so you can see where the model never predicts.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed label, 1 = churned.
    p : array-like of float in [0, 1]
        Predicted churn probability.
    bins : int, default 10
        Number of bins (fewer when quantile edges coincide; a warning says so).
    strategy : {"uniform", "quantile"}, default "uniform"

    Returns
    -------
    pandas.DataFrame
        One row per bin with ``lower``, ``upper``, ``n``, ``share`` (n / total),
        ``mean_predicted``, ``observed_rate`` and ``gap`` = observed_rate - mean_predicted
        (positive: the model under-predicts churn there).

    See Also
    --------
    expected_calibration_error : the share-weighted mean of ``|gap|``.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> table = calibration_table(y, p, bins=2)
    >>> table[["n", "mean_predicted", "observed_rate", "gap"]].round(4).to_numpy().tolist()
    [[4.0, 0.2625, 0.25, -0.0125], [2.0, 0.85, 1.0, 0.15]]
    """
    y, prob = labels_and_probabilities(y_true, p)
    edges = _bin_edges(prob, bins, strategy)
    bin_index = np.searchsorted(edges[1:-1], prob)  # right-closed, as calibration_curve
    n_bins = len(edges) - 1
    counts = np.bincount(bin_index, minlength=n_bins)
    sum_p = np.bincount(bin_index, weights=prob, minlength=n_bins)
    sum_y = np.bincount(bin_index, weights=y, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.where(counts > 0, sum_p / counts, np.nan)
        observed_rate = np.where(counts > 0, sum_y / counts, np.nan)
    table = pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "n": counts,
            "share": counts / len(y),
            "mean_predicted": mean_predicted,
            "observed_rate": observed_rate,
        },
        index=pd.RangeIndex(n_bins, name="bin"),
    )
    table["gap"] = table["observed_rate"] - table["mean_predicted"]
    return table


def expected_calibration_error(y_true, p, bins: int = 10, strategy: str = "uniform") -> float:
    """Expected calibration error: the share-weighted mean gap between observed and predicted.

    Introduced in notebook 06. With the bins of :func:`calibration_table`,
    ``ECE = sum over bins b of (n_b / n) * |observed_rate_b - mean_predicted_b|``; empty bins
    weigh 0. It lies in [0, 1]; 0 means every bin's churn rate equals its mean prediction.
    It depends on the binning, so compare models with the same ``bins`` and ``strategy``.

    Examples
    --------
    With the two bins of :func:`calibration_table`'s example, ECE = 4/6 * 0.0125 + 2/6 * 0.15:

    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> round(expected_calibration_error(y, p, bins=2), 4)
    0.0583
    """
    table = calibration_table(y_true, p, bins=bins, strategy=strategy)
    filled = table[table["n"] > 0]
    return float(np.sum(filled["share"] * filled["gap"].abs()))
