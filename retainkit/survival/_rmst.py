"""Restricted mean survival time: the area under the Kaplan-Meier curve up to a horizon.

Part of ``retainkit.survival`` (introduced in notebook 03; the A/B-test version,
``retainkit.experiments.rmst_difference``, in notebook 08 builds on :func:`rmst`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit._validation import check_conf_level
from retainkit.survival._checks import positive_days
from retainkit.survival._nonparametric import kaplan_meier


@dataclass(frozen=True, eq=False)  # eq=False: holds a DataFrame
class RMSTResult:
    """Result of :func:`rmst`: the RMST (days), its standard error and Wald interval.

    ``restricted_time_variance`` is the variance of ``min(T, tau)`` among users (what
    lifelines' ``return_variance=True`` returns), not the variance of the estimate, which
    is ``variance`` (``se`` squared). ``km`` is the Kaplan-Meier table it integrates.
    """

    rmst: float
    se: float
    ci_lower: float
    ci_upper: float
    variance: float
    restricted_time_variance: float
    tau: float
    conf_level: float
    n_subjects: int
    n_events: int
    km: pd.DataFrame


def rmst(durations, observed, tau, *, entry=None, conf_level: float = 0.95) -> RMSTResult:
    """Restricted mean survival time to ``tau``: the days, out of the first ``tau``, a user stays.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen.
    ``RMST(tau) = integral from 0 to tau of S(t) dt = E[min(T, tau)]``, with S the
    Kaplan-Meier curve (a step function, so the integral is an exact sum of rectangles).
    Unlike the mean lifetime it exists whatever the censoring, and unlike a hazard ratio it
    needs no proportional hazards and reads in days.

    The variance of the estimate is the Greenwood-type ``sum_j A_j**2 d_j / (n_j (n_j -
    d_j))`` over churn times ``t_j < tau``, with ``A_j`` the area under the curve from
    ``t_j`` to ``tau`` (Klein & Moeschberger 2003, section 4.5; R's survRM2); the interval
    is the Wald interval ``rmst +- z se``. ``rmst`` and ``restricted_time_variance`` equal
    lifelines' ``restricted_mean_survival_time(kmf, tau, return_variance=True)``; **note**
    that lifelines' "variance" is the spread of ``min(T, tau)`` across users, not the
    uncertainty of the estimate (without censoring ``variance`` equals
    ``restricted_time_variance / n``). With ``entry`` (delayed entry) S is the
    Kaplan-Meier curve of :func:`kaplan_meier` with ``entry`` and the same formulas apply
    to its risk sets.

    Parameters
    ----------
    durations, observed : array-like
        As in :func:`kaplan_meier` (days; True = churn seen).
    tau : float or timedelta
        Horizon in days. Beyond the longest follow-up the curve is unknown, so a ``tau``
        past the last duration raises unless the curve has reached 0 by then.
    entry : array-like, optional
        Tenure in days at which each user entered observation (0 <= entry <= duration).
    conf_level : float, default 0.95

    Returns
    -------
    RMSTResult
        ``rmst``, ``se``, ``ci_lower``, ``ci_upper``, ``variance``,
        ``restricted_time_variance``, ``tau``, ``conf_level``, ``n_subjects``, ``n_events``
        and the Kaplan-Meier table ``km``.

    Examples
    --------
    Churns at days 2 and 4, one user censored at 6, one churn at 8: S = 3/4 on [2, 4) and
    1/2 on [4, 8), so RMST(8) = 2 + 1.5 + 2 = 5.5 days; the variance is
    3.5**2 / (4 * 3) + 2**2 / (3 * 2) = 1.6875 (areas after days 2 and 4).

    >>> r = rmst([2, 4, 6, 8], [1, 1, 0, 1], tau=8)
    >>> round(r.rmst, 3), round(r.variance, 4), round(r.ci_lower, 3), round(r.ci_upper, 3)
    (5.5, 1.6875, 2.954, 8.046)
    """
    conf_level = check_conf_level(conf_level)
    tau = positive_days(tau, "tau")
    table = kaplan_meier(durations, observed, entry=entry, conf_level=conf_level)
    longest = float(table.index.max())
    if tau > longest and table["survival"].iloc[-1] > 0:
        raise ValueError(
            f"tau={tau:g} is beyond the longest follow-up ({longest:g} days), where the "
            f"survival curve is unknown; choose tau <= {longest:g}"
        )
    value, variance, spread = _rmst_of_km(table, tau)
    half_width = stats.norm.ppf(0.5 + conf_level / 2) * np.sqrt(variance)
    return RMSTResult(
        rmst=value,
        se=float(np.sqrt(variance)),
        ci_lower=float(value - half_width),
        ci_upper=float(value + half_width),
        variance=variance,
        restricted_time_variance=spread,
        tau=tau,
        conf_level=conf_level,
        n_subjects=int(table["entered"].sum() if "entered" in table else table["at_risk"].iloc[0]),
        n_events=int(table["observed"].sum()),
        km=table,
    )


def _rmst_of_km(table: pd.DataFrame, tau: float) -> tuple[float, float, float]:
    """RMST to ``tau``, its Greenwood-type variance, and the variance of min(T, tau)."""
    times = table.index.to_numpy(float)
    survival = table["survival"].to_numpy(float)
    keep = times < tau
    starts, level = times[keep], survival[keep]
    ends = np.minimum(np.append(starts[1:], np.inf), tau)
    pieces = level * (ends - starts)
    value = float(pieces.sum())
    second_moment = float(np.sum(level * (ends**2 - starts**2)))  # 2 * integral of t S(t)
    n = table["at_risk"].to_numpy(float)[keep]
    d = table["observed"].to_numpy(float)[keep]
    area_after = value - np.cumsum(pieces) + pieces  # integral of S from t_j to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where((d > 0) & (n > d), d / (n * (n - d)), 0.0)
    variance = float(np.sum(area_after**2 * weight))
    return value, variance, second_moment - value**2
