"""Restricted mean survival time (RMST) per arm and the difference between arms.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit.experiments._inputs import (
    ARMS,
    as_binary,
    as_float_array,
    as_treatment,
    check_probability,
    positions,
)
from retainkit.survival import LogRankResult, kaplan_meier, logrank_test, rmst


@dataclass(frozen=True)
class RMSTDifference:
    """Result of :func:`rmst_difference`.

    ``arms`` has one row per arm: ``n``, ``churns``, ``rmst`` (days), ``variance`` and
    ``se`` of the RMST estimate, ``ci_lower``, ``ci_upper`` and
    ``restricted_time_variance`` (the spread of ``min(T, tau)`` among users, what lifelines
    returns). ``difference`` is treatment minus control, in days. ``km`` holds the
    Kaplan-Meier table of each arm and ``logrank`` the log-rank test (group a = treatment).
    """

    tau: float
    arms: pd.DataFrame
    difference: float
    difference_se: float
    difference_ci: tuple[float, float]
    statistic: float
    p_value: float
    conf_level: float
    km: dict[str, pd.DataFrame]
    logrank: LogRankResult


def rmst_difference(
    durations, observed, groups, tau: float, conf_level: float = 0.95
) -> RMSTDifference:
    """Restricted mean survival time to ``tau`` per arm, and treatment minus control.

    Introduced in notebook 08. Time is in days; ``observed=True`` means the churn was seen.
    ``RMST(tau)`` is the area under the Kaplan-Meier curve from 0 to ``tau``: the expected
    number of days, out of the first ``tau``, that a user stays. Unlike a hazard ratio it
    needs no proportional hazards and reads in days.

    The variance of each arm's estimate is the Greenwood-type formula
    ``sum_j A_j**2 d_j / (n_j (n_j - d_j))`` over churn times ``t_j < tau``, with
    ``A_j`` the area under the curve from ``t_j`` to ``tau`` (Klein & Moeschberger 2003,
    4.5; R's survRM2). The arms are independent, so the difference has variance
    ``var_t + var_c``; the interval and two-sided p-value are normal (Wald). Per arm,
    ``rmst`` and ``restricted_time_variance`` equal lifelines'
    ``restricted_mean_survival_time(kmf, tau, return_variance=True)``. **Note** that
    lifelines' "variance" is the variance of ``min(T, tau)`` across users, not of the
    estimate: use ``variance``/``se`` for intervals. Without censoring ``variance`` equals
    ``restricted_time_variance / n``.

    Parameters
    ----------
    durations : array-like of float or timedelta
        Days from the user's start to churn or censoring (timedeltas are converted).
    observed : array-like of bool or 0/1
    groups : array-like
        ``"control"``/``"treatment"`` (or 0/1, 1 = treatment) per user.
    tau : float
        Horizon in days; at most the longest follow-up in each arm (the curve is unknown
        beyond it).
    conf_level : float, default 0.95

    Returns
    -------
    RMSTDifference
        Also carries ``km`` (Kaplan-Meier per arm) and ``logrank`` (log-rank test).

    Examples
    --------
    >>> r = rmst_difference([2, 4, 6, 8, 3, 6, 9, 10], [1, 1, 0, 1, 1, 0, 1, 0],
    ...                     ["control"] * 4 + ["treatment"] * 4, tau=8)
    >>> r.arms["rmst"].round(3).tolist(), round(r.difference, 3)
    ([5.5, 6.75], 1.25)
    """
    conf_level = check_probability(conf_level, name="conf_level")
    if pd.api.types.is_timedelta64_dtype(np.asarray(durations)):
        durations = pd.to_timedelta(np.asarray(durations)) / pd.Timedelta(days=1)
    t = as_float_array(durations, name="durations")
    negative = t < 0
    if negative.any():
        raise ValueError(f"durations must be >= 0; negative values: {positions(negative)}")
    e = as_binary(observed, name="observed", n=len(t)).astype(bool)
    arm = as_treatment(groups, name="groups", n=len(t))
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be a positive number of days, got {tau!r}")

    rows, km = {}, {}
    for code, name in enumerate(ARMS):
        mine = arm == code
        longest = t[mine].max()
        table = kaplan_meier(t[mine], e[mine], conf_level=conf_level)
        if tau > longest and table["survival"].iloc[-1] > 0:
            raise ValueError(
                f"tau={tau:g} is beyond the longest follow-up in the {name} arm "
                f"({longest:g} days), where its survival curve is unknown; choose tau <= "
                f"{min(t[arm == 0].max(), t[arm == 1].max()):g}"
            )
        arm_rmst = rmst(t[mine], e[mine], tau, conf_level=conf_level)
        km[name] = table
        rows[name] = {
            "n": int(mine.sum()),
            "churns": int(e[mine].sum()),
            "rmst": arm_rmst.rmst,
            "variance": arm_rmst.variance,
            "se": arm_rmst.se,
            "restricted_time_variance": arm_rmst.restricted_time_variance,
        }
    arms = pd.DataFrame.from_dict(rows, orient="index")
    arms.index.name = "arm"
    z = stats.norm.ppf(0.5 + conf_level / 2)
    arms.insert(5, "ci_lower", arms["rmst"] - z * arms["se"])
    arms.insert(6, "ci_upper", arms["rmst"] + z * arms["se"])

    difference = float(arms.loc["treatment", "rmst"] - arms.loc["control", "rmst"])
    se = float(np.sqrt(arms["variance"].sum()))
    statistic = difference / se if se > 0 else float("nan")
    treated, control = arm == 1, arm == 0
    return RMSTDifference(
        tau=tau,
        arms=arms,
        difference=difference,
        difference_se=se,
        difference_ci=(difference - z * se, difference + z * se),
        statistic=float(statistic),
        p_value=float(2 * stats.norm.sf(abs(statistic))) if se > 0 else float("nan"),
        conf_level=conf_level,
        km=km,
        logrank=logrank_test(t[treated], e[treated], t[control], e[control]),
    )
