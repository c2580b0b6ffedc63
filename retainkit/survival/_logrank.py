"""Log-rank tests comparing survival curves (part of ``retainkit.survival``).

``logrank_test`` compares two groups; ``multivariate_logrank_test`` compares k >= 2 groups at
once (H0: all share one hazard) and equals the two-group test when k = 2. Both take delayed
entry: a subject is in the risk set at ``t`` when ``entry <= t <= duration``, as in
``kaplan_meier``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit.survival._checks import (
    durations_problems,
    entry_problems,
    groups_problems,
    observed_problems,
    raise_problems,
)


@dataclass(frozen=True)
class LogRankResult:
    """Result of :func:`logrank_test`: chi-squared statistic, p-value and its ingredients."""

    statistic: float
    p_value: float
    degrees_of_freedom: int
    observed_a: float
    expected_a: float
    observed_b: float
    expected_b: float
    variance: float


def _group(durations, observed, entry, name: str):
    """Checked arrays of one group, and the problems found (reported by the caller)."""
    t, problems = durations_problems(durations, name=f"durations_{name}")
    e, more = observed_problems(
        observed,
        None if t is None else len(t),
        name=f"observed_{name}",
        against=f"durations_{name}",
    )
    a, even_more = entry_problems(entry, t, name=f"entry_{name}", against=f"durations_{name}")
    return t, e, a, problems + more + even_more


def logrank_test(
    durations_a, observed_a, durations_b, observed_b, *, entry_a=None, entry_b=None
) -> LogRankResult:
    """Log-rank test of H0: groups a and b have the same survival (hazard) function.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen.
    At every churn time ``t_j`` with ``n_j`` users at risk (``n_aj`` of them in group a)
    and ``d_j`` churns, H0 expects ``E_aj = d_j n_aj / n_j`` of them in group a, with
    hypergeometric variance ``V_j = d_j (n_aj / n_j) (1 - n_aj / n_j) (n_j - d_j) /
    (n_j - 1)``. The statistic ``(O_a - E_a)**2 / sum V_j`` is compared with a chi-squared
    distribution on 1 degree of freedom. It weights all times equally, so it is most
    powerful when one group's hazard is a constant multiple of the other's (proportional
    hazards) and can miss curves that cross. Equal to ``lifelines.statistics.logrank_test``.

    With delayed entry (``entry_a``, ``entry_b``: the tenure at which each user entered
    observation) the risk sets ``n_aj``, ``n_bj`` count only users with ``entry <= t_j <=
    duration``, as in ``kaplan_meier(entry=)``. lifelines' ``logrank_test`` takes no entry;
    the tests check this against a table worked by hand and against the score test of a Cox
    model with delayed entry (statsmodels ``PHReg(entry=)``), which equals the log-rank
    statistic when no churns are tied.

    Parameters
    ----------
    durations_a, observed_a, durations_b, observed_b : array-like
        Durations in days and churn indicators of each group (as in ``kaplan_meier``).
    entry_a, entry_b : array-like, optional
        Entry tenures in days of each group (0 <= entry <= duration); default 0.

    Returns
    -------
    LogRankResult
        ``statistic``, ``p_value``, ``degrees_of_freedom`` (1), observed and expected churns
        per group, and the variance of ``O_a - E_a``.

    Examples
    --------
    >>> result = logrank_test([1, 2], [1, 1], [3, 4], [1, 1])
    >>> round(result.statistic, 4), round(result.p_value, 4), result.degrees_of_freedom
    (2.8824, 0.0896, 1)

    Group b was first seen at tenure 2.5: at days 1 and 2 nobody of b is at risk, so those
    churns add as much to ``expected_a`` as to ``observed_a`` and carry no information
    (counting b at risk from 0 would give a statistic of 3.46 instead of 1.0).

    >>> late = logrank_test([1, 2, 3], [1, 1, 1], [3, 4, 5], [1, 1, 1], entry_b=[2.5] * 3)
    >>> round(late.expected_a, 4), round(late.variance, 4), round(late.statistic, 4)
    (2.5, 0.25, 1.0)
    >>> round(logrank_test([1, 2, 3], [1, 1, 1], [3, 4, 5], [1, 1, 1]).statistic, 2)
    3.46
    """
    t_a, e_a, a_a, problems = _group(durations_a, observed_a, entry_a, "a")
    t_b, e_b, a_b, more = _group(durations_b, observed_b, entry_b, "b")
    raise_problems(problems + more)
    times = np.unique(np.concatenate([t_a[e_a], t_b[e_b]]))
    if len(times) == 0:
        raise ValueError("logrank_test needs at least one observed churn; none in either group")
    n_a, d_a = _at_risk_and_churns(t_a, e_a, times, a_a)
    n_b, d_b = _at_risk_and_churns(t_b, e_b, times, a_b)
    n, d = n_a + n_b, d_a + d_b
    expected_a = float(np.sum(d * n_a / n))
    tie_factor = np.where(n > 1, (n - d) / np.maximum(n - 1, 1), 1.0)
    variance = float(np.sum(d * (n_a / n) * (n_b / n) * tie_factor))
    if variance <= 0:
        raise ValueError(
            "logrank_test is undefined here: no churn happens while both groups are at risk"
        )
    observed_a_total = float(d_a.sum())
    statistic = (observed_a_total - expected_a) ** 2 / variance
    return LogRankResult(
        statistic=float(statistic),
        p_value=float(stats.chi2.sf(statistic, df=1)),
        degrees_of_freedom=1,
        observed_a=observed_a_total,
        expected_a=expected_a,
        observed_b=float(d_b.sum()),
        expected_b=float(d.sum() - expected_a),
        variance=variance,
    )


@dataclass(frozen=True, eq=False)  # eq=False: holds pandas objects
class MultivariateLogRankResult:
    """Result of :func:`multivariate_logrank_test` (k groups, k - 1 degrees of freedom).

    ``observed`` and ``expected`` are churn counts per group (a Series indexed by the group
    labels); ``covariance`` is the k x k null covariance of ``observed - expected`` (singular:
    its rows sum to 0).
    """

    statistic: float
    p_value: float
    degrees_of_freedom: int
    n_subjects: pd.Series
    observed: pd.Series
    expected: pd.Series
    covariance: pd.DataFrame

    @property
    def groups(self) -> list:
        """The group labels, in the order of the other fields."""
        return self.observed.index.tolist()


def multivariate_logrank_test(
    durations, observed, groups, *, entry=None
) -> MultivariateLogRankResult:
    """Log-rank test of H0: all k >= 2 groups have the same survival (hazard) function.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen;
    the three arguments are matched by position (note: lifelines' order is durations,
    groups, observed). At every churn time ``t`` with ``n`` users at risk (``n_g`` in group
    g, share ``p_g = n_g / n``) and ``d`` churns, H0 expects ``d p_g`` churns in group g, and
    the churn counts are multivariate hypergeometric with covariance ``d (n - d) / (n - 1)
    (diag(p) - p p')``. Summing over churn times gives the vectors ``O`` and ``E`` and the
    covariance ``V``; the statistic ``(O - E)' V⁻¹ (O - E)``, over the first k - 1 groups
    (the last is determined, since ``sum O = sum E``), is compared with a chi-squared
    distribution on k - 1 degrees of freedom. With two groups it is exactly
    :func:`logrank_test`. Equal to ``lifelines.statistics.multivariate_logrank_test``.
    A small p-value says that at least one group differs, not which: compare pairs next.
    With ``entry`` (delayed entry) the risk sets count only users with ``entry <= t <=
    duration``, as in :func:`logrank_test`.

    Parameters
    ----------
    durations, observed : array-like
        Durations in days and churn indicators of every user (as in ``kaplan_meier``).
    groups : array-like
        One label per user (strings, numbers, booleans, categories); at least two distinct
        labels. Missing labels raise. Labels are sorted when they can be compared.
    entry : array-like, optional
        Entry tenure in days of every user (0 <= entry <= duration); default 0.

    Returns
    -------
    MultivariateLogRankResult
        ``statistic``, ``p_value``, ``degrees_of_freedom`` (k - 1), and per group
        ``n_subjects``, ``observed`` and ``expected`` churns, and ``covariance``.

    Raises
    ------
    ValueError
        Listing every problem at once: lengths that differ, missing or negative durations,
        missing group labels (with their positions), fewer than two groups, no observed
        churn, or a group that is never at risk at a churn time shared with another group.

    Examples
    --------
    >>> result = multivariate_logrank_test(
    ...     durations=[5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7],
    ...     observed=[1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0],
    ...     groups=["a", "a", "a", "a", "b", "b", "b", "b", "b", "c", "c", "c"],
    ... )
    >>> round(result.statistic, 4), round(result.p_value, 4), result.degrees_of_freedom
    (1.08, 0.5827, 2)
    >>> result.observed.tolist(), result.expected.round(3).tolist()
    ([4.0, 3.0, 2.0], [4.787, 1.849, 2.363])
    """
    t, problems = durations_problems(durations)
    n = None if t is None else len(t)
    e, more = observed_problems(observed, n)
    codes, labels, even_more = groups_problems(groups, n)
    a, entry_more = entry_problems(entry, t)
    problems += more + even_more + entry_more
    if labels is not None and len(labels) < 2:
        problems.append(f"groups needs at least 2 distinct labels, got {len(labels)}: {labels}")
    raise_problems(problems)
    times = np.unique(t[e])
    if len(times) == 0:
        raise ValueError("multivariate_logrank_test needs at least one observed churn; none seen")

    k = len(labels)
    at_risk = np.empty((len(times), k))
    churns = np.empty((len(times), k))
    for g in range(k):
        in_g = codes == g
        at_risk[:, g], churns[:, g] = _at_risk_and_churns(
            t[in_g], e[in_g], times, None if a is None else a[in_g]
        )
    n_t, d_t = at_risk.sum(axis=1), churns.sum(axis=1)
    share = at_risk / n_t[:, None]
    expected = d_t @ share
    # d (n - d) / (n - 1); a lone user at risk (n = 1) gives diag(p) - p p' = 0 anyway
    tie_factor = d_t * np.where(n_t > 1, (n_t - d_t) / np.maximum(n_t - 1, 1), 0.0)
    weighted = share * np.sqrt(tie_factor)[:, None]
    covariance = np.diag(tie_factor @ share) - weighted.T @ weighted
    information = tie_factor @ (share * (1 - share))  # the diagonal of V, computed safely
    uninformative = [labels[g] for g in range(k) if information[g] <= 0]
    if uninformative:
        raise ValueError(
            "multivariate_logrank_test is undefined here: no churn happens while group(s) "
            f"{uninformative} are at risk together with another group"
        )
    difference = churns.sum(axis=0) - expected
    statistic = float(difference[:-1] @ np.linalg.solve(covariance[:-1, :-1], difference[:-1]))
    index = pd.Index(labels, name="group")
    return MultivariateLogRankResult(
        statistic=statistic,
        p_value=float(stats.chi2.sf(statistic, df=k - 1)),
        degrees_of_freedom=k - 1,
        n_subjects=pd.Series(np.bincount(codes, minlength=k), index=index, name="n_subjects"),
        observed=pd.Series(churns.sum(axis=0), index=index, name="observed"),
        expected=pd.Series(expected, index=index, name="expected"),
        covariance=pd.DataFrame(covariance, index=index, columns=index),
    )


def _at_risk_and_churns(t: np.ndarray, e: np.ndarray, times: np.ndarray, entry=None):
    """Users with entry <= time <= duration at each time, and churns exactly then, as floats."""
    at_risk = len(t) - np.searchsorted(np.sort(t), times, side="left")
    if entry is not None:  # minus those who enter later (their durations are later too)
        at_risk -= len(entry) - np.searchsorted(np.sort(entry), times, side="right")
    churn_times = np.sort(t[e])
    churns = np.searchsorted(churn_times, times, side="right") - np.searchsorted(
        churn_times, times, side="left"
    )
    return at_risk.astype(float), churns.astype(float)
