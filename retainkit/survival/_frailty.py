"""Gamma frailty: why a population's hazard falls when nobody's does (``retainkit.survival``).

Introduced in notebook 03.
"""

from __future__ import annotations

import numpy as np


def frailty_population_hazard(rate, variance, t):
    """Population hazard of users with constant individual hazards ``rate * Z``, Z ~ Gamma.

    Introduced in notebook 03. Each user churns at a constant **rate** ``λ Z`` per day
    (exponential lifetimes, a flat individual hazard); the frailty ``Z`` follows a gamma
    distribution with **mean 1 and variance v** (shape ``1/v``, scale ``v``). The
    population survival is the Laplace transform of Z,
    ``S(t) = E[exp(-λ Z t)] = (1 + v λ t) ** (-1/v)``, and the population hazard

        ``h(t) = -d log S / dt = λ / (1 + v λ t)``

    falls with t although no individual hazard does: the frail (large Z) leave first, and
    the survivors at t are those with ``E[Z | T > t] = 1 / (1 + v λ t)``. A falling
    Kaplan-Meier hazard is therefore no proof that a user's risk falls with tenure
    (compare a Weibull shape below 1). ``v = 0`` is the homogeneous population,
    ``h(t) = λ``.

    Parameters
    ----------
    rate : float
        Mean individual churn rate λ per day (> 0).
    variance : float
        Variance v of the frailty Z (>= 0; its mean is 1).
    t : float or array-like of float
        Tenures in days (>= 0).

    Returns
    -------
    float or numpy.ndarray
        The population hazard at ``t``, churns per user-day (a float for a scalar ``t``).

    Examples
    --------
    >>> frailty_population_hazard(0.1, 0.0, 30)  # no heterogeneity: flat
    0.1
    >>> frailty_population_hazard(0.1, 1.0, [0, 10, 30]).round(4).tolist()
    [0.1, 0.05, 0.025]
    """
    for name, value, low in (("rate", rate, "> 0"), ("variance", variance, ">= 0")):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer |
                                                     np.floating) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number {low}, got {value!r}")
    if rate <= 0:
        raise ValueError(f"rate must be a finite number > 0 (churns per day), got {rate!r}")
    if variance < 0:
        raise ValueError(f"variance must be a finite number >= 0, got {variance!r}")
    times = np.asarray(t, dtype=float)
    if np.isnan(times).any() or (times < 0).any():
        raise ValueError("t must be non-negative numbers of days")
    hazard = rate / (1.0 + variance * rate * times)
    return float(hazard) if times.ndim == 0 else hazard
