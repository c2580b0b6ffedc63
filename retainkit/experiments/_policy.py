"""The true value of a targeting policy under a budget, from the potential outcomes.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit.experiments._inputs import as_float_array

RANDOM, ORACLE = "random", "oracle uplift"


@dataclass(frozen=True)
class PolicyValue:
    """Result of :func:`policy_value`, one entry per budget in ``k``.

    ``extra_retained``: true expected number of extra users retained (sum of the true
    effects of those contacted); ``cost``: total cost of the contacts; ``net_value``:
    ``value x effect - cost`` summed over those contacted.
    """

    k: np.ndarray
    extra_retained: np.ndarray
    cost: np.ndarray
    net_value: np.ndarray


def _per_user(value, n: int, name: str) -> np.ndarray:
    array = np.atleast_1d(as_float_array(np.atleast_1d(value), name=name))
    if len(array) == 1:
        return np.full(n, array[0])
    if len(array) != n:
        raise ValueError(f"{name} has {len(array)} values for {n} users; give one or one per user")
    return array


def _budgets(k, n: int) -> np.ndarray:
    budgets = np.arange(n + 1) if k is None else np.atleast_1d(np.asarray(k))
    bad = (budgets < 0) | (budgets > n) | (budgets != np.round(budgets))
    if budgets.dtype == bool or bad.any():
        raise ValueError(f"k must be whole numbers of contacts in 0..{n}, got {k!r}")
    return budgets.astype(np.int64)


def _expected_cumulative(scores: np.ndarray, per_user: np.ndarray) -> np.ndarray:
    """E[sum of per_user over the top k by score], k = 0..n, ties broken at random."""
    order = np.argsort(-scores, kind="mergesort")
    ranked_scores, ranked = scores[order], per_user[order]
    block = np.r_[0, np.cumsum(np.diff(ranked_scores) != 0)]
    block_mean = np.bincount(block, weights=ranked) / np.bincount(block)
    return np.r_[0.0, np.cumsum(block_mean[block])]


def policy_value(
    scores,
    true_effect,
    k=None,
    *,
    value_per_retained=1.0,
    cost_per_contact=0.0,
) -> PolicyValue:
    """True value of contacting the ``k`` users with the highest ``scores``.

    Introduced in notebook 08. ``true_effect`` is each user's true uplift from the
    simulator's potential outcomes (P(retained | treated) - P(retained | control)), so
    the result is the truth, not an estimate. For the top ``k`` users by score:
    ``extra_retained = sum effect``, ``cost = sum cost_per_contact`` and ``net_value =
    sum (value_per_retained x effect - cost_per_contact)``. Tied scores at the cut are
    averaged (the expected value when ties are broken at random), so a coarse score
    gains nothing from the order of the rows.

    Parameters
    ----------
    scores : array-like of float
        Higher = contact first: churn risk, predicted uplift, anything.
    true_effect : array-like of float
        True effect per user, same order.
    k : int or array-like of int, optional
        Budgets (numbers of contacts); default every budget 0..n.
    value_per_retained : float or array-like, default 1.0
        Value of one extra retained user (or per user, say their CLV).
    cost_per_contact : float or array-like, default 0.0
        Expected cost of contacting a user (or per user: contact plus expected redemption).

    Returns
    -------
    PolicyValue

    Examples
    --------
    >>> r = policy_value([0.9, 0.8, 0.1], [-0.1, 0.3, 0.2], k=[1, 2],
    ...                  value_per_retained=100, cost_per_contact=5)
    >>> r.extra_retained.round(3).tolist(), r.net_value.round(3).tolist()
    ([-0.1, 0.2], [-15.0, 10.0])
    """
    effect = as_float_array(true_effect, name="true_effect")
    score = as_float_array(scores, name="scores")
    if len(score) != len(effect):
        raise ValueError(f"scores has {len(score)} values but true_effect has {len(effect)}")
    n = len(effect)
    value = _per_user(value_per_retained, n, "value_per_retained")
    cost = _per_user(cost_per_contact, n, "cost_per_contact")
    budgets = _budgets(k, n)
    return PolicyValue(
        k=budgets,
        extra_retained=_expected_cumulative(score, effect)[budgets],
        cost=_expected_cumulative(score, cost)[budgets],
        net_value=_expected_cumulative(score, value * effect - cost)[budgets],
    )


def compare_policies(
    policies: Mapping[str, object],
    true_effect,
    k,
    *,
    value_per_retained=1.0,
    cost_per_contact=0.0,
) -> pd.DataFrame:
    """Compare targeting rules under a budget of ``k`` contacts, by their true value.

    Introduced in notebook 08. Each entry of ``policies`` maps a name (say ``"churn
    risk"``, ``"predicted uplift"``) to its scores; :func:`policy_value` gives its true
    extra users retained and net value. Two reference rows are added: ``"random"``
    (contact ``k`` users at random: exactly ``k / n`` of the totals, in expectation) and
    ``"oracle uplift"`` (contact the users with the highest true net gain
    ``value x effect - cost``, which is ranking by true effect when value and cost are
    the same for everyone: the best any policy can do). ``rank_correlation`` is the
    Spearman correlation between a policy's scores and the true effect (NaN for random).

    Parameters
    ----------
    policies : mapping of str to array-like
    true_effect, value_per_retained, cost_per_contact
        As in :func:`policy_value`.
    k : int or array-like of int
        Budgets; one row per policy and budget.

    Returns
    -------
    pandas.DataFrame
        Columns ``policy``, ``k``, ``extra_retained``, ``cost``, ``net_value``,
        ``rank_correlation``.

    Examples
    --------
    >>> table = compare_policies({"risk": [0.9, 0.8, 0.1]}, [-0.1, 0.3, 0.2], k=1,
    ...                          value_per_retained=100, cost_per_contact=5)
    >>> table[["policy", "extra_retained", "net_value"]].round(3)
              policy  extra_retained  net_value
    0           risk          -0.100    -15.000
    1         random           0.133      8.333
    2  oracle uplift           0.300     25.000
    """
    effect = as_float_array(true_effect, name="true_effect")
    n = len(effect)
    if not isinstance(policies, Mapping) or not policies:
        raise ValueError("policies must be a non-empty mapping of name -> scores")
    clash = {RANDOM, ORACLE} & set(policies)
    if clash:
        raise ValueError(f"policy names {sorted(clash)} are reserved for the reference rows")
    value = _per_user(value_per_retained, n, "value_per_retained")
    cost = _per_user(cost_per_contact, n, "cost_per_contact")
    budgets = _budgets(k, n)
    rows = []

    def add(name: str, result: PolicyValue, correlation: float) -> None:
        for i, budget in enumerate(result.k):
            rows.append(
                {
                    "policy": name,
                    "k": int(budget),
                    "extra_retained": result.extra_retained[i],
                    "cost": result.cost[i],
                    "net_value": result.net_value[i],
                    "rank_correlation": correlation,
                }
            )

    for name, scores in policies.items():
        score = as_float_array(scores, name=f"policies[{name!r}]")
        result = policy_value(
            score, effect, budgets, value_per_retained=value, cost_per_contact=cost
        )
        add(name, result, float(stats.spearmanr(score, effect).statistic))
    share = budgets / n
    gain = value * effect - cost
    random = PolicyValue(budgets, share * effect.sum(), share * cost.sum(), share * gain.sum())
    add(RANDOM, random, float("nan"))
    oracle = policy_value(gain, effect, budgets, value_per_retained=value, cost_per_contact=cost)
    add(ORACLE, oracle, float(stats.spearmanr(gain, effect).statistic))
    return pd.DataFrame(rows)
