"""Decisions from churn scores: the cost- or value-optimal threshold, lift and gain.

Introduced in notebook 06; conventions in :mod:`retainkit.evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from retainkit._validation import check_int, labels_and_probabilities
from retainkit.evaluation._classification import _counts_by_threshold


@dataclass(frozen=True)
class ThresholdResult:
    """The cost-minimising threshold and the cost curve it was read from.

    Attributes
    ----------
    threshold : float
        Target users with ``p >= threshold``. It is the lowest score still targeted (every
        threshold between it and the next lower score gives the same decisions); ``inf``
        when targeting nobody is cheapest.
    cost : float
        Total expected cost at that threshold, ``cost_fp * fp + cost_fn * fn``.
    targeted : int
        Number of users targeted at that threshold.
    cost_fp, cost_fn : float
        Cost of one false positive (an offer to a user who would have stayed) and of one
        false negative (a churner missed).
    bayes_threshold : float
        ``cost_fp / (cost_fp + cost_fn)``: the optimal threshold *if p is calibrated*. A large
        gap between it and ``threshold`` is a sign of miscalibration (or a small sample).
    curve : pandas.DataFrame
        One row per candidate threshold (ascending, ``inf`` last = target nobody) with
        ``threshold, targeted, tp, fp, fn, tn, cost`` (and ``net_value`` for
        :func:`threshold_for_value`).
    """

    threshold: float
    cost: float
    targeted: int
    cost_fp: float
    cost_fn: float
    bayes_threshold: float
    curve: pd.DataFrame


def threshold_for_cost(y_true, p, *, cost_fp: float, cost_fn: float) -> ThresholdResult:
    """Choose the threshold that minimises the total cost of a retention campaign.

    Introduced in notebook 06. Targeting users with ``p >= threshold`` costs ``cost_fp`` per
    false positive (an offer wasted on a user who would have stayed) and ``cost_fn`` per
    false negative (a churner who got no offer); correct decisions cost 0. Every distinct
    score is tried as a threshold, plus ``inf`` (target nobody), so the minimum is exact on
    these data. Among equal-cost thresholds the highest one (smallest campaign) wins.

    For calibrated probabilities, targeting a user is worth it when
    ``(1 - p) * cost_fp < p * cost_fn``, i.e. ``p > cost_fp / (cost_fp + cost_fn)``; this
    theoretical value is returned as ``bayes_threshold`` for comparison.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed label, 1 = churned.
    p : array-like of float in [0, 1]
        Predicted churn probability.
    cost_fp, cost_fn : float
        Non-negative costs (same currency unit), not both zero.

    Returns
    -------
    ThresholdResult
        ``.threshold``, ``.cost``, ``.targeted``, ``.bayes_threshold`` and the ``.curve``.

    Examples
    --------
    Missing a churner costs four times a wasted offer: targeting the four users with
    ``p >= 0.35`` catches all three churners for one wasted offer.

    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> result = threshold_for_cost(y, p, cost_fp=1.0, cost_fn=4.0)
    >>> result.threshold, result.cost, result.targeted, result.bayes_threshold
    (0.35, 1.0, 4, 0.2)
    >>> result.curve["cost"].tolist()  # thresholds 0.1, 0.2, 0.35, 0.4, 0.8, 0.9, inf
    [3.0, 2.0, 1.0, 5.0, 4.0, 8.0, 12.0]
    """
    y, prob = labels_and_probabilities(y_true, p)
    for name, value in (("cost_fp", cost_fp), ("cost_fn", cost_fn)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    if cost_fp + cost_fn == 0:
        raise ValueError("cost_fp and cost_fn are both 0: every threshold costs nothing")
    scores, tp, fp = _counts_by_threshold(y, prob)
    n_pos = y.sum()
    curve = pd.DataFrame(
        {
            "threshold": np.r_[scores[::-1], np.inf],
            "tp": np.r_[tp[::-1], 0].astype(int),
            "fp": np.r_[fp[::-1], 0].astype(int),
        }
    )
    curve["targeted"] = curve["tp"] + curve["fp"]
    curve["fn"] = int(n_pos) - curve["tp"]
    curve["tn"] = len(y) - int(n_pos) - curve["fp"]
    curve["cost"] = cost_fp * curve["fp"] + cost_fn * curve["fn"]
    curve = curve[["threshold", "targeted", "tp", "fp", "fn", "tn", "cost"]]
    # Highest threshold among the (numerically) cheapest ones.
    tolerance = 1e-12 * max(1.0, float(curve["cost"].abs().max()))
    best = curve.index[curve["cost"] <= curve["cost"].min() + tolerance][-1]
    return ThresholdResult(
        threshold=float(curve.at[best, "threshold"]),
        cost=float(curve.at[best, "cost"]),
        targeted=int(curve.at[best, "targeted"]),
        cost_fp=float(cost_fp),
        cost_fn=float(cost_fn),
        bayes_threshold=cost_fp / (cost_fp + cost_fn),
        curve=curve,
    )


def threshold_for_value(
    y_true, p, *, offer_cost: float, saved_value: float, acceptance_rate: float
) -> ThresholdResult:
    """Choose the campaign threshold from its economics: offer cost, value saved, take-up.

    Introduced in notebook 06. Each targeted user costs ``offer_cost``; a targeted churner
    stays with probability ``acceptance_rate`` and is then worth ``saved_value``; users who
    would have stayed anyway bring nothing extra. Relative to doing nothing, the net cost of
    each outcome is::

        targeted churner (TP)  offer_cost - acceptance_rate * saved_value
        targeted stayer  (FP)  offer_cost
        missed churner   (FN)  0
        ignored stayer   (TN)  0

    Only differences between the two decisions for the same user matter, so this is the
    same problem as :func:`threshold_for_cost` with

    - ``cost_fp = offer_cost`` (targeting a stayer instead of ignoring them), and
    - ``cost_fn = acceptance_rate * saved_value - offer_cost`` (ignoring a churner instead of
      targeting them: the expected saving forgone, net of the offer).

    The two total costs differ by the constant ``cost_fn * n_churners``:
    ``net campaign cost = cost_fp * FP + cost_fn * FN - cost_fn * P``. The curve therefore
    also has ``net_value = acceptance_rate * saved_value * TP - offer_cost * targeted`` (the
    campaign's expected profit), which is maximal exactly where ``cost`` is minimal. For
    calibrated p the break-even threshold is
    ``offer_cost / (acceptance_rate * saved_value)``.

    Parameters
    ----------
    y_true, p : array-like
        Observed labels (1 = churned) and predicted churn probabilities.
    offer_cost : float
        Cost of one offer, >= 0.
    saved_value : float
        Value of a churner who accepts the offer and stays (same currency), > 0.
    acceptance_rate : float
        Probability that a targeted churner is saved, in (0, 1].

    Returns
    -------
    ThresholdResult
        As :func:`threshold_for_cost`, its ``curve`` with an extra ``net_value`` column.

    Examples
    --------
    A $4 offer that keeps 30 % of targeted churners, each worth $50 (so a saved churner nets
    $15 - $4 = $11 in expectation):

    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> result = threshold_for_value(y, p, offer_cost=4, saved_value=50, acceptance_rate=0.3)
    >>> result.threshold, result.targeted, float(result.curve["net_value"].max())
    (0.35, 4, 29.0)
    """
    if not 0 < acceptance_rate <= 1:
        raise ValueError(f"acceptance_rate must be in (0, 1], got {acceptance_rate!r}")
    if not np.isfinite(offer_cost) or offer_cost < 0:
        raise ValueError(f"offer_cost must be a finite non-negative number, got {offer_cost!r}")
    if not np.isfinite(saved_value) or saved_value <= 0:
        raise ValueError(f"saved_value must be a finite positive number, got {saved_value!r}")
    expected_saving = acceptance_rate * saved_value
    if expected_saving <= offer_cost:
        raise ValueError(
            f"acceptance_rate * saved_value = {expected_saving:g} does not exceed offer_cost = "
            f"{offer_cost:g}: even a certain churner is not worth an offer; target nobody"
        )
    result = threshold_for_cost(y_true, p, cost_fp=offer_cost, cost_fn=expected_saving - offer_cost)
    curve = result.curve.assign(
        net_value=expected_saving * result.curve["tp"] - offer_cost * result.curve["targeted"]
    )
    return replace(result, curve=curve)


def lift_table(y_true, p, bins: int = 10) -> pd.DataFrame:
    """Lift and cumulative gain by score bin (deciles by default), highest scores first.

    Introduced in notebook 06. Users are sorted by decreasing ``p`` and cut into ``bins``
    groups of (almost) equal size: bin 1 holds the top 10 % for deciles. Bin sizes differ by
    at most one; users with tied scores are split by their original order (stable sort), so
    heavy ties make the bins arbitrary.

    Columns: ``n``, ``min_score``, ``max_score``, ``positives`` (churners), ``rate`` (churn
    rate in the bin), ``lift`` = rate / overall base rate (1 = no better than random
    targeting), ``capture_rate`` = share of all churners that fall in the bin,
    ``population_share`` = share of users in bins 1..k, ``cumulative_gain`` = share of all
    churners in bins 1..k (reaches 1 at the last bin), ``cumulative_lift`` =
    cumulative_gain / population_share.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed label, 1 = churned; at least one churner.
    p : array-like of float in [0, 1]
        Predicted churn probability (any score that ranks users works too, if in [0, 1]).
    bins : int, default 10
        Number of groups, between 1 and the number of users.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``bin`` (1 = highest scores).

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> p = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]
    >>> table = lift_table(y, p, bins=3)
    >>> table[["n", "positives", "lift", "cumulative_gain"]].round(3).to_numpy().tolist()
    [[2.0, 2.0, 2.0, 0.667], [2.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 1.0]]
    """
    y, prob = labels_and_probabilities(y_true, p)
    n = len(y)
    bins = check_int("bins", bins, 1)
    if bins > n:
        raise ValueError(f"bins must be at most the number of users, {n}, got {bins}")
    if y.sum() == 0:
        raise ValueError("y_true has no churners (all 0): lift and gain are undefined")
    order = np.argsort(-prob, kind="mergesort")
    bin_of_rank = np.arange(n) * bins // n + 1  # sizes differ by at most one
    frame = pd.DataFrame({"bin": bin_of_rank, "p": prob[order], "y": y[order]})
    table = frame.groupby("bin").agg(
        n=("y", "size"), min_score=("p", "min"), max_score=("p", "max"), positives=("y", "sum")
    )
    table["positives"] = table["positives"].astype(int)
    base_rate = y.mean()
    table["rate"] = table["positives"] / table["n"]
    table["lift"] = table["rate"] / base_rate
    table["capture_rate"] = table["positives"] / y.sum()
    table["population_share"] = table["n"].cumsum() / n
    table["cumulative_gain"] = table["positives"].cumsum() / y.sum()
    table["cumulative_lift"] = table["cumulative_gain"] / table["population_share"]
    return table
