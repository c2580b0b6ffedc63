"""Planning an experiment: users needed for a rate, churns needed for a log-rank test.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from retainkit.experiments._inputs import check_probability

SAMPLE_SIZE_METHODS = ("pooled", "arcsine")


@dataclass(frozen=True)
class SampleSize:
    """Result of :func:`sample_size_proportions`: users per arm (rounded up) and exact."""

    n_control: int
    n_treatment: int
    total: int
    n_control_exact: float
    n_treatment_exact: float
    method: str


def sample_size_proportions(
    p_control: float,
    p_treatment: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    *,
    method: str = "pooled",
) -> SampleSize:
    """Users per arm for a two-sided test of two proportions to reach a given power.

    Introduced in notebook 08. ``ratio = n_treatment / n_control``. With ``z_a =
    z_{1 - alpha/2}``, ``z_b = z_{power}``, ``d = p_treatment - p_control`` and
    ``q = 1 - p``:

    * ``method="pooled"`` (default; the test of :func:`compare_proportions`): the variance
      under H0 uses the pooled rate ``pbar = (p_c + ratio p_t) / (1 + ratio)``, the one
      under H1 the two rates, ``n_control = (z_a sqrt(pbar qbar (1 + 1/ratio)) +
      z_b sqrt(p_c q_c + p_t q_t / ratio))**2 / d**2`` (Fleiss, no continuity correction);
      equals statsmodels' ``samplesize_proportions_2indep_onetail``;
    * ``method="arcsine"``: Cohen's effect size ``h = 2 asin sqrt(p_t) - 2 asin sqrt(p_c)``
      and ``n_control = (z_a + z_b)**2 (1 + 1/ratio) / h**2``; statsmodels'
      ``NormalIndPower`` with ``proportion_effectsize``.

    Both ignore the far tail of the two-sided test (negligible at useful power). Counts
    are rounded up; the exact values are returned too.

    Parameters
    ----------
    p_control, p_treatment : float
        The rates expected in each arm (strictly between 0 and 1, different).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
    ratio : float, default 1.0
        Treatment users per control user.
    method : {"pooled", "arcsine"}, default "pooled"

    Returns
    -------
    SampleSize

    Examples
    --------
    >>> s = sample_size_proportions(0.20, 0.22)
    >>> s.n_control, s.n_treatment, round(s.n_control_exact, 2)
    (6510, 6510, 6509.47)
    """
    p_c = check_probability(p_control, name="p_control")
    p_t = check_probability(p_treatment, name="p_treatment")
    alpha = check_probability(alpha, name="alpha")
    power = check_probability(power, name="power")
    if p_c == p_t:
        raise ValueError("p_control equals p_treatment: no difference to detect")
    if not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    if method not in SAMPLE_SIZE_METHODS:
        raise ValueError(f"method must be one of {SAMPLE_SIZE_METHODS}, got {method!r}")
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    if method == "pooled":
        pbar = (p_c + ratio * p_t) / (1 + ratio)
        null_sd = math.sqrt(pbar * (1 - pbar) * (1 + 1 / ratio))
        alternative_sd = math.sqrt(p_c * (1 - p_c) + p_t * (1 - p_t) / ratio)
        n_control = (z_a * null_sd + z_b * alternative_sd) ** 2 / (p_t - p_c) ** 2
    else:
        h = 2 * math.asin(math.sqrt(p_t)) - 2 * math.asin(math.sqrt(p_c))
        n_control = (z_a + z_b) ** 2 * (1 + 1 / ratio) / h**2
    n_treatment = ratio * n_control
    return SampleSize(
        n_control=math.ceil(n_control),
        n_treatment=math.ceil(n_treatment),
        total=math.ceil(n_control) + math.ceil(n_treatment),
        n_control_exact=float(n_control),
        n_treatment_exact=float(n_treatment),
        method=method,
    )


@dataclass(frozen=True)
class EventsNeeded:
    """Result of :func:`events_needed_logrank`: churns to observe, and users if known."""

    events: int
    events_exact: float
    users: int | None


def events_needed_logrank(
    hazard_ratio: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 0.5,
    *,
    churn_probability: float | None = None,
) -> EventsNeeded:
    """Churns that must be observed for a log-rank test to detect a hazard ratio.

    Introduced in notebook 08. Schoenfeld's (1981) formula, for a two-sided test at level
    ``alpha`` with a share ``allocation`` = p of users in the treatment arm:
    ``d = (z_{1 - alpha/2} + z_{power})**2 / (p (1 - p) log(HR)**2)``. Power depends on the
    number of churns seen, not on users: users needed = ``d / P(a user's churn is observed
    during the test)``, returned as ``users`` when ``churn_probability`` is given. Rounded
    up; ``events_exact`` is the unrounded value.

    Parameters
    ----------
    hazard_ratio : float
        Treatment hazard / control hazard under the alternative (0.8 = 20 % fewer churns per
        day); positive and not 1.
    alpha : float, default 0.05
    power : float, default 0.8
    allocation : float, default 0.5
        Share of users in the treatment arm.
    churn_probability : float, optional
        Probability that a user's churn is observed before the analysis (both arms pooled).

    Returns
    -------
    EventsNeeded

    Examples
    --------
    >>> r = events_needed_logrank(0.7)
    >>> r.events, round(r.events_exact, 2)
    (247, 246.79)
    >>> events_needed_logrank(0.7, churn_probability=0.4).users
    618
    """
    if not np.isfinite(hazard_ratio) or hazard_ratio <= 0 or hazard_ratio == 1:
        raise ValueError(f"hazard_ratio must be positive and not 1, got {hazard_ratio!r}")
    alpha = check_probability(alpha, name="alpha")
    power = check_probability(power, name="power")
    p = check_probability(allocation, name="allocation")
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    events = (z_a + z_b) ** 2 / (p * (1 - p) * math.log(hazard_ratio) ** 2)
    users = None
    if churn_probability is not None:
        share = check_probability(churn_probability, name="churn_probability")
        users = math.ceil(math.ceil(events) / share)
    return EventsNeeded(events=math.ceil(events), events_exact=float(events), users=users)
