"""The shifted-beta-geometric (sBG) retention model (part of ``retainkit.survival``).

Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1), 76-90.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import betaln

from retainkit._validation import float_array


def _periods(t) -> tuple[np.ndarray, bool]:
    array = np.asarray(t, dtype=float)
    if np.isnan(array).any() or (array < 0).any():
        raise ValueError("t must be non-negative numbers of periods")
    return array, array.ndim == 0


def sbg_survival(t, alpha: float, beta: float):
    """Share of a cohort still retained after ``t`` periods under the sBG model.

    Introduced in notebook 03. Each customer churns at the end of any period with their
    own probability θ (a geometric lifetime, "shifted" to start at period 1), and θ varies
    across customers as Beta(α, β). Then S(t) = P(T > t) = B(α, β + t) / B(α, β), with B
    the beta function; S(0) = 1. Periods are whatever the data use (years in Fader &
    Hardie 2007); ``t`` may be an array.

    Examples
    --------
    With the paper's estimates for its "regular" segment (α = 0.704, β = 1.182):

    >>> sbg_survival([0, 1, 2, 3], alpha=0.704, beta=1.182).round(3)
    array([1.   , 0.627, 0.474, 0.388])
    >>> round(sbg_survival(3, alpha=0.704, beta=1.182), 3)
    0.388
    """
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"alpha and beta must be positive, got alpha={alpha!r}, beta={beta!r}")
    t, scalar = _periods(t)
    values = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    return float(values) if scalar else values


def _churn_probability(t: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """P(T = t) = B(α + 1, β + t - 1) / B(α, β) for t = 1, 2, ..."""
    return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))


@dataclass(frozen=True, eq=False)  # eq=False: holds an array
class SBGFit:
    """sBG model fitted by :func:`fit_sbg`; periods are those of the input counts."""

    alpha: float
    beta: float
    log_likelihood: float
    alive: np.ndarray

    @property
    def mean_churn_probability(self) -> float:
        """E[θ] = α / (α + β), the average per-period churn probability at acquisition."""
        return self.alpha / (self.alpha + self.beta)

    def survival(self, t):
        """S(t): share of the original cohort retained after ``t`` periods."""
        return sbg_survival(t, self.alpha, self.beta)

    def retention_rate(self, t):
        """r_t = S(t) / S(t-1) = (β + t - 1) / (α + β + t - 1), for t >= 1.

        It rises with t: the customers with high churn probability leave first, so the
        survivors are ever more loyal, even though no individual's θ changes.
        """
        t, scalar = _periods(t)
        if (t < 1).any():
            raise ValueError("retention_rate is defined for periods t >= 1")
        values = (self.beta + t - 1) / (self.alpha + self.beta + t - 1)
        return float(values) if scalar else values

    def churn_probability(self, t):
        """P(T = t) = S(t-1) - S(t): share of the original cohort lost in period t (t >= 1).

        This is unconditional; the conditional churn rate among those still there at the
        start of period t is ``1 - retention_rate(t)``.
        """
        t, scalar = _periods(t)
        if (t < 1).any():
            raise ValueError("churn_probability is defined for periods t >= 1")
        values = _churn_probability(t, self.alpha, self.beta)
        return float(values) if scalar else values

    def expected_alive(self, t):
        """Projected number (or share) still alive after ``t`` periods: alive[0] * S(t)."""
        return self.alive[0] * self.survival(t)


def _check_alive(alive_counts) -> np.ndarray:
    alive = float_array(alive_counts, "alive_counts")
    if len(alive) < 3:
        raise ValueError(
            "alive_counts must be one-dimensional with at least 3 values (the initial cohort "
            "and two periods): two parameters need two observed periods"
        )
    if not np.isfinite(alive).all() or (alive < 0).any():
        raise ValueError("alive_counts must be finite and non-negative")
    if alive[0] <= 0 or alive[0] < alive.max():
        raise ValueError(
            "alive_counts must start with the initial cohort, the largest value "
            f"(got {alive[0]!r} first but {alive.max()!r} later)"
        )
    rises = np.flatnonzero(np.diff(alive) > 0)
    if len(rises):
        raise ValueError(
            f"alive_counts must be non-increasing: it rises from position {rises[0]} to "
            f"{rises[0] + 1} ({alive[rises[0]]!r} -> {alive[rises[0] + 1]!r})"
        )
    if alive[-1] == alive[0]:
        raise ValueError("alive_counts never decreases: with no churn the sBG MLE does not exist")
    return alive


def _sbg_log_likelihood(alpha: float, beta: float, alive: np.ndarray) -> float:
    periods = np.arange(1, len(alive))
    lost = alive[:-1] - alive[1:]
    return float(
        lost @ np.log(_churn_probability(periods, alpha, beta))
        + alive[-1] * np.log(sbg_survival(len(alive) - 1, alpha, beta))
    )


def fit_sbg(alive_counts) -> SBGFit:
    """Fit the shifted-beta-geometric model to one cohort's survivor counts by MLE.

    Introduced in notebook 03 (Fader & Hardie 2007, "How to project customer retention").
    Each customer has a per-period churn probability θ ~ Beta(α, β); see
    :func:`sbg_survival`. ``alive_counts[t]`` is the number still customers after ``t``
    periods, starting with the initial cohort at ``t = 0`` (for example
    ``[1000, 631, 468, 382, 326, 289, 262, 241]``); shares (``[1.0, 0.631, ...]``) work
    too. The log-likelihood is ``sum_t (n_{t-1} - n_t) log P(T = t) + n_last log
    S(last)`` with the customers still there at the end treated as censored. The MLE of
    (α, β) depends only on the shares, but ``log_likelihood`` is computed with the values
    as given, so shares give it per initial customer. It is maximised over (log α,
    log β) by Nelder-Mead to 1e-10. The fit reproduces the paper's estimates (regular
    α = 0.704, β = 1.182; high end α = 0.668, β = 3.806).

    Returns
    -------
    SBGFit
        ``alpha``, ``beta``, ``log_likelihood``, ``alive`` and the methods ``survival(t)``,
        ``retention_rate(t)``, ``churn_probability(t)``, ``expected_alive(t)``.

    Examples
    --------
    Fader & Hardie's (2007) "regular" customers, still active at the start of years 0..7:

    >>> fit = fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(fit.alpha, 3), round(fit.beta, 3)
    (0.704, 1.182)
    >>> fit.retention_rate([1, 2, 3]).round(3)  # survivors are ever more loyal
    array([0.627, 0.756, 0.819])
    >>> round(float(fit.expected_alive(12)), 1)  # projected customers left after 12 years
    170.0
    """
    alive = _check_alive(alive_counts)
    # Optimise per initial customer: the MLE is the same, and the tolerance then means the
    # same thing for a cohort of 1,000 or 1,000,000 (an absolute tolerance on a log-likelihood
    # in the thousands can never be met).
    shares = alive / alive[0]
    result = optimize.minimize(
        lambda p: -_sbg_log_likelihood(np.exp(p[0]), np.exp(p[1]), shares),
        x0=np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 10_000},
    )
    alpha, beta = (float(v) for v in np.exp(result.x))
    if max(alpha, beta) > 1e6:
        raise ValueError(
            "fit_sbg: the counts show no heterogeneity in churn probability "
            f"(alpha={alpha:.3g}, beta={beta:.3g} run off to infinity); a plain geometric "
            "model fits them"
        )
    if not result.success:
        raise ValueError(f"fit_sbg did not converge: {result.message}")
    log_likelihood = _sbg_log_likelihood(alpha, beta, alive)
    return SBGFit(alpha=alpha, beta=beta, log_likelihood=log_likelihood, alive=alive)
