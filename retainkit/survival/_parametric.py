"""Parametric lifetime models fitted by maximum likelihood: the exponential, and the shared base.

Part of ``retainkit.survival`` (introduced in notebook 03); import them from there; the
Weibull model is in ``_weibull.py``. For right-censored data the log-likelihood is ``sum over
churns of log f(t_i)`` plus ``sum over censored users of log S(t_i)``, i.e. ``sum d_i log
h(t_i) - H(t_i)``; with delayed entry at ``a_i`` each user adds ``+ H(a_i)`` (the likelihood
is conditional on having survived to ``a_i``).

Zero durations (a user who never came back after the first visit, in data recorded to the
day) are handled only when asked, with ``zero_resolution=r`` (days): an observed zero is a
churn somewhere in ``[0, r]`` (interval censoring, contribution ``log F(r)``) and a censored
zero contributes ``log S(0) = 0``, i.e. nothing. That code lives in ``_zeros.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from retainkit._validation import check_conf_level
from retainkit.survival._checks import as_truncated_data, positive_days
from retainkit.survival._zeros import exponential_with_zeros


def _as_times(t) -> tuple[np.ndarray, bool]:
    """Evaluation times in days as a float array; the flag says whether ``t`` was a scalar."""
    array = np.asarray(t, dtype=float)
    if np.isnan(array).any() or (array < 0).any():
        raise ValueError("t must be non-negative numbers of days")
    return array, array.ndim == 0


def _out(values: np.ndarray, scalar: bool):
    return float(values) if scalar else values


class _LifetimeModel:
    """Shared derived functions: f = h S, F = 1 - S, S = exp(-H)."""

    def cumulative_hazard(self, t):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def hazard(self, t):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def survival(self, t):
        """S(t) = P(T > t) = exp(-H(t))."""
        return np.exp(-self.cumulative_hazard(t))

    def cdf(self, t):
        """F(t) = P(T <= t) = 1 - S(t), the probability of having churned by day t."""
        return -np.expm1(-self.cumulative_hazard(t))

    def pdf(self, t):
        """Density f(t) = F'(t) = h(t) S(t) (per day); f is not the hazard."""
        return self.hazard(t) * self.survival(t)


@dataclass(frozen=True)
class ExponentialFit(_LifetimeModel):
    """Exponential model fitted by :func:`fit_exponential`; ``rate`` is churns per day."""

    rate: float
    rate_se: float
    rate_ci: tuple[float, float]
    conf_level: float
    log_likelihood: float
    n_subjects: int
    n_events: int
    exposure: float
    zero_resolution: float | None = None
    n_interval_censored: int = 0

    @property
    def scale(self) -> float:
        """Mean lifetime 1 / rate in days (what lifelines' ExponentialFitter calls lambda_)."""
        return 1.0 / self.rate

    @property
    def scale_se(self) -> float:
        """Standard error of the scale by the delta method: rate_se / rate**2.

        Without interval-censored zeros this is scale / sqrt(events).
        """
        return self.rate_se / self.rate**2

    @property
    def median(self) -> float:
        """Median lifetime log(2) / rate, in days."""
        return float(np.log(2) / self.rate)

    def hazard(self, t):
        """h(t) = rate, the same at every age (memorylessness)."""
        t, scalar = _as_times(t)
        return _out(np.full_like(t, self.rate), scalar)

    def cumulative_hazard(self, t):
        """H(t) = rate * t."""
        t, scalar = _as_times(t)
        return _out(self.rate * t, scalar)


def fit_exponential(
    durations,
    observed,
    *,
    entry=None,
    conf_level: float = 0.95,
    zero_resolution: float | None = None,
) -> ExponentialFit:
    """Fit the exponential lifetime model by maximum likelihood.

    Introduced in notebook 03. Parameterised by the **rate** λ (churns per day of exposure):
    h(t) = λ, S(t) = exp(-λ t), f(t) = λ exp(-λ t). ``.scale`` is the mean lifetime 1/λ in
    days: lifelines' ``ExponentialFitter.lambda_`` is this SCALE, not the rate. With
    ``D`` observed churns and total exposure ``T = sum of all durations`` (churned and
    censored alike; ``sum (duration - entry)`` with delayed ``entry``, since a user is only
    watched from entry), the log-likelihood is ``D log λ - λ T``, maximised exactly at
    **λ̂ = D / T** (no optimiser). The standard error is ``λ̂ / sqrt(D)`` (from the observed
    information ``D / λ²``); the interval is the Wald interval on log λ,
    ``λ̂ exp(±z se / λ̂)``, which stays positive and is better behaved than ``λ̂ ± z se``
    when ``D`` is small.

    **Zero durations.** By default a duration of 0 is taken as exact: an observed zero is a
    churn at t = 0 (density λ, no exposure), which is right only if times are continuous; a
    ``UserWarning`` names the count. For rounded times (e.g. whole days) pass
    ``zero_resolution=r``: each observed zero is then a churn somewhere in ``[0, r]`` and
    contributes ``log F(r) = log(1 - exp(-λ r))``; a censored zero contributes
    ``log S(0) = 0``, nothing. With ``D₊`` churns at positive times and ``n₀`` observed
    zeros the log-likelihood is ``D₊ log λ - λ T + n₀ log(1 - exp(-λ r))``; its score
    ``D₊/λ - T + n₀ r / (exp(λ r) - 1)`` falls with λ and is solved by Brent's method (closed
    form ``log(1 + n₀ r / T) / r`` when ``D₊ = 0``). The standard error then comes from the
    information ``D₊/λ² + n₀ r² exp(λ r) / (exp(λ r) - 1)²``. Without zeros the option
    changes nothing.

    Parameters
    ----------
    durations, observed : array-like
        Durations in days and churn indicators (``True``/1 = churn seen, ``False``/0 =
        censored), as in ``kaplan_meier``.
    entry : array-like of float or timedelta, optional
        Tenure in days at which each user entered observation (0 <= entry <= duration);
        equal to lifelines' ``ExponentialFitter().fit(..., entry=)``.
    conf_level : float, default 0.95
    zero_resolution : float or timedelta, optional
        The time resolution r of the durations in days (1.0 for day-granular data): observed
        zero durations are churns in ``[0, r]``. Default: zeros are exact times.

    Returns
    -------
    ExponentialFit
        ``rate``, ``rate_se``, ``rate_ci``, ``scale``, ``scale_se``, ``median``,
        ``log_likelihood``, ``n_events`` (zeros included), ``exposure``,
        ``zero_resolution``, ``n_interval_censored`` (observed zeros treated as intervals)
        and the methods ``pdf``, ``cdf``, ``survival``, ``hazard``, ``cumulative_hazard``
        (of ``t`` in days).

    Examples
    --------
    >>> fit = fit_exponential([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1])
    >>> round(fit.rate, 4), round(fit.scale, 2), fit.n_events  # 4 churns / 27 days
    (0.1481, 6.75, 4)
    >>> late = fit_exponential([2, 3, 3, 5, 6, 8], [1, 1, 0, 1, 0, 1], entry=[0, 0, 0, 1, 4, 4])
    >>> round(late.rate, 4), late.exposure  # 4 churns / (27 - 9) days watched
    (0.2222, 18.0)
    >>> day_data = fit_exponential([0, 0, 2, 3, 5], [1, 0, 1, 1, 0], zero_resolution=1.0)
    >>> round(day_data.rate, 4), day_data.n_interval_censored
    (0.2864, 1)
    """
    conf_level = check_conf_level(conf_level)
    t, e, entered = as_truncated_data(durations, observed, entry)
    resolution = None if zero_resolution is None else positive_days(
        zero_resolution, "zero_resolution"
    )
    events = int(e.sum())
    exposure = float(t.sum() if entered is None else (t - entered).sum())
    if events == 0:
        raise ValueError(
            "fit_exponential needs at least one observed churn (observed is all False)"
        )
    if exposure <= 0 or not np.isfinite(events / exposure):
        raise ValueError(
            f"fit_exponential needs a positive total exposure, got {exposure:g} days (every "
            "duration is 0 or equals its entry, or they are too small for a finite rate)"
        )
    zero_churns = int((e & (t == 0)).sum())
    z = stats.norm.ppf(0.5 + conf_level / 2)
    if resolution is None or zero_churns == 0:
        if zero_churns:
            warnings.warn(
                f"fit_exponential: {zero_churns} of the observed churns have duration 0, taken "
                "as exact churns at t = 0; if durations are rounded (e.g. to whole days), pass "
                "zero_resolution=1.0 to treat them as churns somewhere in [0, 1] day",
                UserWarning,
                stacklevel=2,
            )
        rate = events / exposure
        rate_se = rate / np.sqrt(events)
        half_width = z / np.sqrt(events)  # of the interval on log λ
        log_likelihood = events * np.log(rate) - rate * exposure
        zero_churns = 0
    else:
        rate, rate_se, log_likelihood = exponential_with_zeros(
            events - zero_churns, exposure, zero_churns, resolution
        )
        half_width = z * rate_se / rate
    return ExponentialFit(
        rate=rate,
        rate_se=rate_se,
        rate_ci=(rate * np.exp(-half_width), rate * np.exp(half_width)),
        conf_level=conf_level,
        log_likelihood=log_likelihood,
        n_subjects=len(t),
        n_events=events,
        exposure=exposure,
        zero_resolution=resolution,
        n_interval_censored=zero_churns,
    )
