"""Competing risks: the Aalen-Johansen cumulative incidence (part of ``retainkit.survival``).

Introduced in notebook 03. A user can leave in several ways (uninstall, or go dormant); the
probability of leaving *by one way* by day t is not ``1 - KM`` of that way with the others
censored (that treats the others as if they could still happen later, and overstates it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from retainkit._validation import check_conf_level
from retainkit.survival._checks import (
    _as_series,
    _describe,
    durations_problems,
    entry_problems,
    raise_problems,
)
from retainkit.survival._nonparametric import event_table


def aalen_johansen(
    durations,
    event_type,
    *,
    event_of_interest,
    censored=0,
    entry=None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cumulative incidence of one way of churning when there are others (Aalen-Johansen).

    Introduced in notebook 03. Time is in days. ``event_type`` says how each user left:
    ``censored`` (default 0) when no churn was seen, else a label such as ``"uninstall"``
    or ``"dormant"``. The **cumulative incidence** ``F_k(t) = P(T <= t, way = k)`` is

        ``F_k(t) = sum over t_j <= t of S(t_j-) d_kj / n_j``

    with ``S`` the Kaplan-Meier curve of churn of *any* kind, ``d_kj`` the churns of kind
    k at ``t_j`` and ``n_j`` the users at risk. The incidences of all kinds add up to
    ``1 - S``; ``1 - KM`` of kind k with the other kinds censored is larger, and wrong
    when the others preclude k. The variance is the Greenwood-type formula of Collett
    (2015, p. 411), the interval the log(-log) transform of it, both as lifelines.

    Ties: all churns at one time are processed together, the exact estimator for tied
    times. lifelines' ``AalenJohansenFitter`` instead breaks ties between churns of
    different kinds at one time by random jitter (with a warning), so it agrees with this
    function (to 1e-9, tested) only when such ties are absent; round or day-granular data
    have them, and there this function is the one to use. Where a step has ``n_j = d_j``
    (everyone left), the Greenwood term is taken as 0, where lifelines gives NaN from then
    on.

    Parameters
    ----------
    durations : array-like of float or timedelta
        Days from start to churn (of any kind) or censoring.
    event_type : array-like
        One label per user: ``censored`` or the kind of churn. Missing labels raise.
    event_of_interest : label
        The kind of churn whose incidence is estimated; it must occur in ``event_type``.
    censored : label, default 0
        The label of users whose churn was not seen.
    entry : array-like, optional
        Delayed entry in days, as in ``kaplan_meier``.
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time`` (0 and every distinct duration) with columns ``at_risk``,
        ``observed`` (churns of the kind of interest), ``competing`` (churns of other
        kinds), ``censored`` (and ``entered``), ``cumulative_incidence``, ``variance``,
        ``ci_lower``, ``ci_upper``.

    Examples
    --------
    >>> cif = aalen_johansen([1, 2, 3, 4, 5, 6], ["uninstall", "dormant", 0, "uninstall",
    ...                      "dormant", 0], event_of_interest="uninstall")
    >>> cif[["at_risk", "observed", "competing", "cumulative_incidence"]].round(3)
          at_risk  observed  competing  cumulative_incidence
    time
    0.0         6         0          0                 0.000
    1.0         6         1          0                 0.167
    2.0         5         0          1                 0.167
    3.0         4         0          0                 0.167
    4.0         3         1          0                 0.389
    5.0         2         0          1                 0.389
    6.0         1         0          0                 0.389
    """
    conf_level = check_conf_level(conf_level)
    t, problems = durations_problems(durations)
    labels = _as_series(event_type)
    if labels is None:
        problems.append("event_type must be one-dimensional")
    elif t is not None and len(labels) != len(t):
        problems.append(f"event_type has length {len(labels)} but durations has length {len(t)}")
        labels = None
    elif labels.isna().any():
        problems.append(_describe(labels.isna().to_numpy(), "event_type", "missing labels"))
        labels = None
    a, more = entry_problems(entry, t)
    problems += more
    if labels is not None:
        values = labels.astype(object).to_numpy()
        kinds = sorted({v for v in values if v != censored}, key=str)
        if event_of_interest == censored or event_of_interest not in kinds:
            problems.append(
                f"event_of_interest={event_of_interest!r} does not occur in event_type; kinds "
                f"of churn present: {kinds} (censored={censored!r} marks no churn)"
            )
    raise_problems(problems)

    any_churn = values != censored
    table = event_table(t, any_churn, a)
    position = np.searchsorted(table.index.to_numpy(float), t)
    of_interest = np.bincount(position, weights=values == event_of_interest, minlength=len(table))
    table.insert(2, "competing", table["observed"].to_numpy() - of_interest.astype(np.int64))
    table["observed"] = of_interest.astype(np.int64)
    n = table["at_risk"].to_numpy(float)
    d_all = (table["observed"] + table["competing"]).to_numpy(float)
    d_k = of_interest
    safe_n = np.where(n > 0, n, 1.0)
    survival = np.cumprod(1.0 - d_all / safe_n)
    lagged = np.concatenate(([1.0], survival[:-1]))
    incidence = np.cumsum(lagged * d_k / safe_n)
    table["cumulative_incidence"] = incidence
    table["variance"] = _collett_variance(incidence, lagged, n, d_all, d_k)
    table[["ci_lower", "ci_upper"]] = _loglog_bounds(incidence, table["variance"], conf_level)
    return table


def _collett_variance(incidence, lagged, n, d_all, d_k) -> np.ndarray:
    """Var F(t_j) = sum_i<=j (F_j - F_i)**2 a_i + b_i - 2 (F_j - F_i) c_i, by prefix sums."""
    safe_n = np.where(n > 0, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > d_all, d_all / (safe_n * (n - d_all)), 0.0)  # Greenwood term
    b = lagged**2 * d_k * (n - d_k) / safe_n**3
    c = lagged * d_k / safe_n**2
    f = incidence
    quadratic = f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
    linear = f * np.cumsum(c) - np.cumsum(c * f)
    return np.maximum(quadratic + np.cumsum(b) - 2 * linear, 0.0)


def _loglog_bounds(incidence, variance, conf_level) -> np.ndarray:
    """Interval from the delta method on log(-log F); 0 where F is 0."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    inside = (incidence > 0) & (incidence < 1)
    f = np.where(inside, incidence, 0.5)
    spread = z * np.sqrt(np.asarray(variance)) / (f * np.abs(np.log(f)))
    lower = np.exp(-np.exp(np.log(-np.log(f)) + spread))
    upper = np.exp(-np.exp(np.log(-np.log(f)) - spread))
    return np.column_stack([np.where(inside, lower, incidence), np.where(inside, upper, incidence)])
