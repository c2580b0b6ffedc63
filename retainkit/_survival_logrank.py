"""The log-rank test comparing two survival curves (part of ``retainkit.survival``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from retainkit._survival_checks import as_durations, as_observed


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


def _group(durations, observed, name: str) -> tuple[np.ndarray, np.ndarray]:
    t = as_durations(durations, name=f"durations_{name}")
    return t, as_observed(observed, len(t), name=f"observed_{name}")


def logrank_test(durations_a, observed_a, durations_b, observed_b) -> LogRankResult:
    """Log-rank test of H0: groups a and b have the same survival (hazard) function.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen.
    At every churn time ``t_j`` with ``n_j`` users at risk (``n_aj`` of them in group a)
    and ``d_j`` churns, H0 expects ``E_aj = d_j n_aj / n_j`` of them in group a, with
    hypergeometric variance ``V_j = d_j (n_aj / n_j) (1 - n_aj / n_j) (n_j - d_j) /
    (n_j - 1)``. The statistic ``(O_a - E_a)**2 / sum V_j`` is compared with a chi-squared
    distribution on 1 degree of freedom. It weights all times equally, so it is most
    powerful when one group's hazard is a constant multiple of the other's (proportional
    hazards) and can miss curves that cross. Equal to ``lifelines.statistics.logrank_test``.

    Parameters
    ----------
    durations_a, observed_a, durations_b, observed_b : array-like
        Durations in days and churn indicators of each group (as in ``kaplan_meier``).

    Returns
    -------
    LogRankResult
        ``statistic``, ``p_value``, ``degrees_of_freedom`` (1), observed and expected churns
        per group, and the variance of ``O_a - E_a``.
    """
    t_a, e_a = _group(durations_a, observed_a, "a")
    t_b, e_b = _group(durations_b, observed_b, "b")
    times = np.unique(np.concatenate([t_a[e_a], t_b[e_b]]))
    if len(times) == 0:
        raise ValueError("logrank_test needs at least one observed churn; none in either group")

    def at_risk_and_churns(t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at_risk = len(t) - np.searchsorted(np.sort(t), times, side="left")
        churn_times = np.sort(t[e])
        churns = np.searchsorted(churn_times, times, side="right") - np.searchsorted(
            churn_times, times, side="left"
        )
        return at_risk.astype(float), churns.astype(float)

    n_a, d_a = at_risk_and_churns(t_a, e_a)
    n_b, d_b = at_risk_and_churns(t_b, e_b)
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
