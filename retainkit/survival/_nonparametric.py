"""Non-parametric survival estimators: Kaplan-Meier, Nelson-Aalen, smoothed hazard.

Part of ``retainkit.survival`` (introduced in notebook 03); import them from there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from retainkit._validation import check_choice, check_conf_level
from retainkit.survival._checks import as_truncated_data, positive_days

TIES = ("smooth", "discrete")


def event_table(durations, observed, entry=None) -> pd.DataFrame:
    """Count subjects at risk, churns seen and censorings at every distinct duration.

    Introduced in notebook 03. Time is in days; ``observed`` is ``True`` when the churn was
    seen and ``False`` when the subject was censored. The table is indexed by ``time``: 0
    and every distinct duration (and entry time), sorted. ``at_risk`` counts the subjects
    with ``entry <= time <= duration`` (entry 0 without ``entry``): a subject censored at
    ``t`` is still at risk at ``t`` (churns are counted before censorings, the usual
    convention) and one entering at ``t`` is already at risk at ``t``, as in lifelines'
    ``event_table``. (lifelines' *estimates* and R's counting-process
    ``Surv(entry, duration)`` use ``entry < time`` instead; the two differ only when an
    entry time equals a churn time, which happens in day-granular data, and there ``<=``
    is the one that keeps churns ``d`` within the risk set ``n``: a user first seen on day
    60 can churn on day 60.)

    With ``entry`` the table has a column ``entered`` too, and a risk set that empties
    while later subjects still enter raises ``ValueError``: the estimate across that gap is
    not identified (Kaplan-Meier would stay at 0 after a step with ``d == n``).

    Returns
    -------
    pandas.DataFrame
        Columns ``at_risk``, ``observed``, ``censored`` (and ``entered``), int64, indexed by
        ``time`` (float).
    """
    t, e, start = as_truncated_data(durations, observed, entry)
    times, position = np.unique(t if start is None else np.concatenate([t, start]),
                                return_inverse=True)
    position, entry_position = position[: len(t)], position[len(t):]
    removed = np.bincount(position, minlength=len(times))
    churned = np.bincount(position, weights=e, minlength=len(times)).astype(np.int64)
    entered = np.bincount(entry_position, minlength=len(times)) if start is not None else None
    if entered is None:
        at_risk = len(t) - np.concatenate(([0], np.cumsum(removed)[:-1]))
    else:
        at_risk = np.cumsum(entered) - np.concatenate(([0], np.cumsum(removed)[:-1]))
        _check_risk_set_stays_filled(times, np.cumsum(entered) - np.cumsum(removed), start)
    columns = {"at_risk": at_risk, "observed": churned, "censored": removed - churned}
    if entered is not None:
        columns["entered"] = entered
    table = pd.DataFrame(columns, index=pd.Index(times, name="time"))
    if times[0] > 0:  # every curve starts at time 0 with the whole group at risk
        first = {"at_risk": [len(t) if start is None else 0]}
        start_row = pd.DataFrame({**{c: [0] for c in columns}, **first},
                                 index=pd.Index([0.0], name="time"))
        table = pd.concat([start_row, table])
    return table.astype("int64")


def _check_risk_set_stays_filled(times, left_after, start) -> None:
    """Raise when nobody is at risk after some time at which later subjects still enter."""
    later = (times >= start.min()) & (left_after == 0) & (times < start.max())
    if later.any():
        gap = times[np.flatnonzero(later)[0]]
        raise ValueError(
            f"entry: nobody is at risk just after t={gap:g} days, yet {int((start > gap).sum())} "
            "subject(s) enter later; survival across that gap is not identified by delayed "
            f"entry (Kaplan-Meier would stay at 0). Estimate from a later origin (keep the "
            f"subjects with durations > {gap:g}) or enter more subjects earlier"
        )


def kaplan_meier(
    durations, observed, *, entry=None, conf_level: float = 0.95
) -> pd.DataFrame:
    """Kaplan-Meier estimate of the survival function S(t) = P(T > t), with its interval.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen,
    ``False`` that the subject was censored. S(t) is the product over churn times
    ``t_j <= t`` of ``1 - d_j / n_j`` (``d_j`` churns among the ``n_j`` still at risk), a
    right-continuous step function starting at 1.

    The pointwise interval is the exponential Greenwood ("log-log") interval used by
    lifelines and R's ``conf.type="log-log"``: with ``V = sum d_j / (n_j (n_j - d_j))``
    and ``c = z sqrt(V) / |log S|``, the bounds are ``S ** exp(c)`` and ``S ** exp(-c)``.
    They stay inside [0, 1]; where S = 1 both are 1 and where S = 0 both are 0. The result
    equals lifelines' ``KaplanMeierFitter`` (``event_table``, ``survival_function_``,
    ``confidence_interval_``) to 1e-9, with ``entry`` too (``fit(..., entry=)``) as long as
    no entry time after the first equals a churn time (see ``event_table`` for why they
    differ then).

    **Delayed entry (left truncation).** A user first seen at tenure ``entry`` (say, the
    log starts after they signed up) can only be in the data because they survived to
    ``entry``; counting them at risk from 0 inflates S(t). With ``entry`` each user is at
    risk from ``entry`` to ``duration`` (``entry <= t <= duration``, lifelines'
    convention), and S(t) is the product of conditional survivals. Early risk sets can be
    small, so the early curve is noisy; a risk set that empties while later users still
    enter raises ``ValueError`` (see ``event_table``).

    Parameters
    ----------
    durations : array-like of float or timedelta
        Time from start to churn or censoring, in days (timedeltas are converted to days).
    observed : array-like of bool or 0/1
        ``True`` (1) when the churn was seen, ``False`` (0) when censored.
    entry : array-like of float or timedelta, optional
        Tenure in days at which each user entered observation (0 <= entry <= duration).
        Default: everyone is watched from 0.
    conf_level : float, default 0.95
        Coverage of the pointwise interval.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time`` (0 and every distinct duration and entry) with columns
        ``at_risk``, ``observed``, ``censored`` (and ``entered`` with ``entry``),
        ``survival``, ``ci_lower``, ``ci_upper``;
        ``attrs["conf_level"]`` records the coverage. Read the median with
        :func:`median_survival`.

    See Also
    --------
    median_survival, nelson_aalen, retainkit.plotting.plot_km

    Examples
    --------
    Six users, worked by hand in notebook 03 (days; 1 = churn seen, 0 = censored):

    >>> km = kaplan_meier([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1])
    >>> km.round(3)
          at_risk  observed  censored  survival  ci_lower  ci_upper
    time
    0.0         6         0         0     1.000     1.000     1.000
    2.0         6         1         0     0.833     0.273     0.975
    3.0         5         1         1     0.667     0.195     0.904
    5.0         3         1         0     0.444     0.066     0.785
    6.0         2         0         1     0.444     0.066     0.785
    8.0         1         1         0     0.000     0.000     0.000

    The same users, but the last three were first seen at tenures 1, 4 and 4 (entry): they
    are not at risk before then.

    >>> late = kaplan_meier([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1], entry=[0, 0, 0, 1, 4, 4])
    >>> late[["at_risk", "entered", "survival"]].round(3)
          at_risk  entered  survival
    time
    0.0         3        3     1.000
    1.0         4        1     1.000
    2.0         4        0     0.750
    3.0         3        0     0.500
    4.0         3        2     0.500
    5.0         3        0     0.333
    6.0         2        0     0.333
    8.0         1        0     0.000
    """
    conf_level = check_conf_level(conf_level)
    table = event_table(durations, observed, entry)
    n, d = table["at_risk"].to_numpy(float), table["observed"].to_numpy(float)
    hazard = np.divide(d, n, out=np.zeros_like(d), where=n > 0)  # nobody at risk: no step
    survival = np.cumprod(1.0 - hazard)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood's sum; a step with n == d takes S to 0, where the bounds are 0 anyway.
        greenwood = np.cumsum(np.where(n > d, d / (n * (n - d)), 0.0))
        z = stats.norm.ppf(0.5 + conf_level / 2)
        c = z * np.sqrt(greenwood) / np.abs(np.log(survival))
        lower, upper = survival ** np.exp(c), survival ** np.exp(-c)
    inside = (survival > 0) & (survival < 1)
    table["survival"] = survival
    table["ci_lower"] = np.where(inside, lower, survival)
    table["ci_upper"] = np.where(inside, upper, survival)
    table.attrs["conf_level"] = conf_level
    return table


class MedianSurvival(NamedTuple):
    """Median survival time (days) and its interval; ``inf`` when never reached."""

    median: float
    lower: float
    upper: float


def median_survival(km_table: pd.DataFrame) -> MedianSurvival:
    """Median survival time of a Kaplan-Meier table, with its confidence interval.

    Introduced in notebook 03. The median is the first time at which ``survival`` drops to
    0.5 or below; the interval runs from the first time ``ci_lower`` does so to the first
    time ``ci_upper`` does so (Brookmeyer-Crowley style inversion of the pointwise band).
    ``inf`` means the curve (or bound) never reaches 0.5 within the data. The three numbers
    equal lifelines' ``median_survival_time_`` and
    ``median_survival_times(kmf.confidence_interval_)``.

    Parameters
    ----------
    km_table : pandas.DataFrame
        The output of :func:`kaplan_meier`.

    Returns
    -------
    MedianSurvival
        A named tuple ``(median, lower, upper)`` in days.

    Examples
    --------
    >>> km = kaplan_meier([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1])
    >>> median_survival(km)
    MedianSurvival(median=5.0, lower=2.0, upper=8.0)
    >>> median_survival(kaplan_meier([2, 4, 6], [1, 0, 0])).median  # S never reaches 0.5
    inf
    """
    missing = {"survival", "ci_lower", "ci_upper"} - set(km_table.columns)
    if missing:
        raise ValueError(f"km_table lacks column(s) {sorted(missing)}: pass kaplan_meier(...)")
    times = km_table.index.to_numpy(float)

    def first_time_at_or_below_half(curve: pd.Series) -> float:
        below = np.flatnonzero(curve.to_numpy() <= 0.5)
        return float(times[below[0]]) if len(below) else float("inf")

    return MedianSurvival(
        *(first_time_at_or_below_half(km_table[c]) for c in ("survival", "ci_lower", "ci_upper"))
    )


def _nelson_aalen_steps(n: np.ndarray, d: np.ndarray, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Increments of the cumulative hazard and of its variance at each table row."""
    if ties == "discrete":
        safe = np.where(n > 0, n, 1.0)  # a row with nobody at risk has d = 0: no step
        return d / safe, (n - d) * d / safe**3
    # "smooth": d tied churns at risk set n count as d churns one after the other, adding
    # 1/n + 1/(n-1) + ... + 1/(n-d+1) (Aalen, Borgan & Gjessing 2008, p. 84).
    k = np.arange(1, int(n.max()) + 1, dtype=float)
    harmonic, harmonic_sq = (
        np.concatenate(([0.0], np.cumsum(1 / k))),
        np.concatenate(([0.0], np.cumsum(1 / k**2))),
    )
    n_int, after = n.astype(int), (n - d).astype(int)
    return harmonic[n_int] - harmonic[after], harmonic_sq[n_int] - harmonic_sq[after]


def nelson_aalen(
    durations, observed, *, entry=None, conf_level: float = 0.95, ties: str = "smooth"
) -> pd.DataFrame:
    """Nelson-Aalen estimate of the cumulative hazard H(t) = -log S(t), with its interval.

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen.
    At each churn time ``t_j`` with ``d_j`` churns among ``n_j`` at risk, H(t) adds a
    hazard increment; two formulas are in use and they differ when churns are tied:

    * ``ties="discrete"``: ``d_j / n_j`` (variance ``(n_j - d_j) d_j / n_j**3``), the
      textbook ``H(t) = sum d_j / n_j``. Use it when time is **naturally discrete** (whole
      days, billing periods), where ``d_j / n_j`` is the probability of churning on day
      ``t_j``; it is lifelines' ``nelson_aalen_smoothing=False``.
    * ``ties="smooth"`` (default, lifelines' default ``nelson_aalen_smoothing=True``):
      ``1/n_j + 1/(n_j - 1) + ... + 1/(n_j - d_j + 1)`` (variance ``sum 1/(n_j - i)**2``),
      i.e. the tied churns counted one after the other. Use it when time is **continuous
      but recorded coarsely**, so the ties are an accident of rounding.

    Without ties the two agree (their variances differ slightly); with many ties per step
    they do not, and smooth is always the larger (its increment is about
    ``log(n / (n - d))``, the discrete one ``d / n``): for ``simulate_app("social",
    n_users=4000, days=120, seed=7)`` with lifetimes rounded up to whole days, ``H(7)`` is
    0.891 discrete and 1.046 smooth. ``exp(-H)`` is close to, and never below, the Kaplan-Meier curve. The
    interval is log-transformed, ``H exp(+-z se / H)``, as lifelines. With ``entry``
    (delayed entry) the risk sets are those of :func:`kaplan_meier`; the result equals
    lifelines' ``NelsonAalenFitter(...).fit(..., entry=)`` to 1e-9 (with the same proviso
    about entry times equal to churn times).

    Parameters
    ----------
    durations, observed : array-like
        As in :func:`kaplan_meier`.
    entry : array-like, optional
        Tenure in days at which each subject entered observation, as in
        :func:`kaplan_meier`.
    conf_level : float, default 0.95
        Coverage of the pointwise interval.
    ties : {"smooth", "discrete"}, default "smooth"
        How tied churn times are counted (see above).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time`` (0 and every distinct duration and entry) with columns
        ``at_risk``, ``observed``, ``censored`` (and ``entered``), ``cumulative_hazard``,
        ``variance``, ``ci_lower``, ``ci_upper``.

    Examples
    --------
    >>> na = nelson_aalen([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1])
    >>> na[["at_risk", "observed", "cumulative_hazard"]].round(4)  # 1/6, + 1/5, + 1/3, + 1
          at_risk  observed  cumulative_hazard
    time
    0.0         6         0             0.0000
    2.0         6         1             0.1667
    3.0         5         1             0.3667
    5.0         3         1             0.7000
    6.0         2         0             0.7000
    8.0         1         1             1.7000

    Two churns tied on day 1 among 4 users: 2/4 with ``"discrete"``, 1/4 + 1/3 smoothed.

    >>> [round(float(nelson_aalen([1, 1, 3, 4], [1, 1, 0, 1], ties=ties).loc[1.0,
    ...     "cumulative_hazard"]), 4) for ties in ("discrete", "smooth")]
    [0.5, 0.5833]
    """
    conf_level = check_conf_level(conf_level)
    check_choice("ties", ties, TIES)
    table = event_table(durations, observed, entry)
    n, d = table["at_risk"].to_numpy(float), table["observed"].to_numpy(float)
    step, step_variance = _nelson_aalen_steps(n, d, ties)
    cumulative, variance = np.cumsum(step), np.cumsum(step_variance)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    spread = np.exp(z * np.sqrt(variance) / np.where(cumulative > 0, cumulative, 1.0))
    table["cumulative_hazard"] = cumulative
    table["variance"] = variance
    table["ci_lower"] = cumulative / spread
    table["ci_upper"] = cumulative * spread
    table.attrs["conf_level"] = conf_level
    return table


def smoothed_hazard(
    durations,
    observed,
    *,
    bandwidth: float,
    times=None,
    conf_level: float = 0.95,
    ties: str = "smooth",
) -> pd.DataFrame:
    """Kernel-smoothed hazard h(t) (churns per day among those still active), with interval.

    Introduced in notebook 03. The hazard is h = f / S, the churn rate among users still
    active at t (not the density f = F'). It is estimated by spreading each Nelson-Aalen
    increment over a window of half-width ``bandwidth`` days with the Epanechnikov kernel
    ``K(u) = 0.75 (1 - u**2)`` for ``|u| < 1``: ``h(t) = sum K((t - t_j) / b) dH_j / b``,
    ``var h(t) = sum K((t - t_j) / b)**2 dVar_j / b**2``. The interval is
    ``h exp(+-z se / h)``. Within ``bandwidth`` of 0 the estimate is biased down, because
    the kernel's left half falls before time 0. The values equal lifelines'
    ``NelsonAalenFitter.smoothed_hazard_`` (whose interval columns are labelled the other
    way round: its "lower" column is the upper bound).

    Parameters
    ----------
    durations, observed : array-like
        As in :func:`kaplan_meier`.
    bandwidth : float or timedelta
        Kernel half-width in days. Larger is smoother and more biased.
    times : array-like of float, optional
        Where to evaluate h, in days; default 201 points from 0 to the longest duration.
    conf_level : float, default 0.95
    ties : {"smooth", "discrete"}, default "smooth"
        Passed to :func:`nelson_aalen`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time`` with columns ``hazard``, ``ci_lower``, ``ci_upper`` (per day).

    Examples
    --------
    >>> h = smoothed_hazard([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1], bandwidth=2.0,
    ...                     times=[3, 5])
    >>> h.round(3)
          hazard  ci_lower  ci_upper
    time
    3.0    0.122     0.029     0.505
    5.0    0.125     0.018     0.887
    """
    bandwidth = positive_days(bandwidth, "bandwidth")
    table = nelson_aalen(durations, observed, conf_level=conf_level, ties=ties)
    jumps = table[table["observed"] > 0]
    step = np.diff(table["cumulative_hazard"].to_numpy(), prepend=0.0)[table["observed"] > 0]
    step_variance = np.diff(table["variance"].to_numpy(), prepend=0.0)[table["observed"] > 0]
    if times is None:
        times = np.linspace(0.0, table.index.max(), 201)
    times = np.asarray(times, dtype=float).reshape(-1)
    u = (times[:, None] - jumps.index.to_numpy(float)[None, :]) / bandwidth
    kernel = np.where(np.abs(u) < 1, 0.75 * (1 - u**2), 0.0)
    hazard = kernel @ step / bandwidth
    se = np.sqrt(kernel**2 @ step_variance) / bandwidth
    z = stats.norm.ppf(0.5 + table.attrs["conf_level"] / 2)
    spread = np.exp(z * se / np.where(hazard > 0, hazard, 1.0))
    return pd.DataFrame(
        {"hazard": hazard, "ci_lower": hazard / spread, "ci_upper": hazard * spread},
        index=pd.Index(times, name="time"),
    )
