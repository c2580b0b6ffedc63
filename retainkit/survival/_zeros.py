"""Zero durations as interval-censored churns, for the parametric fits (private).

Part of ``retainkit.survival`` (introduced in notebook 03): ``fit_exponential`` and
``fit_weibull`` call these when ``zero_resolution=r`` is passed. A user who never came back
after the first visit, in data recorded to the day, has duration 0. An exact churn at t = 0
has no Weibull likelihood (log t enters the density), so an observed zero is read as a churn
somewhere in ``[0, r]`` days (interval censoring, contribution ``log F(r)``), while a
censored zero contributes ``log S(0) = 0``, i.e. nothing. Positive durations stay exact.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def exponential_with_zeros(
    exact: int, exposure: float, zeros: int, r: float
) -> tuple[float, float, float]:
    """Rate λ (per day), its standard error and the log-likelihood with ``zeros`` in [0, r].

    ``exact`` churns at positive times, total exposure ``T`` (days): the log-likelihood is
    ``exact log λ - λ T + zeros log(1 - exp(-λ r))`` and the standard error comes from the
    information ``exact/λ² + zeros r² exp(λ r) / (exp(λ r) - 1)²``.
    """
    rate = _exponential_interval_rate(exact, exposure, zeros, r)
    a = 1 / np.expm1(rate * r)  # 1 / (exp(λ r) - 1)
    information = exact / rate**2 + zeros * r**2 * a * (1 + a)
    log_likelihood = exact * np.log(rate) - rate * exposure + zeros * np.log(-np.expm1(-rate * r))
    return rate, 1 / np.sqrt(information), log_likelihood


def _exponential_interval_rate(exact: int, exposure: float, zeros: int, r: float) -> float:
    """Root of the score ``exact/λ - T + zeros r / (exp(λ r) - 1)`` (decreasing in λ)."""
    if exact == 0:
        return float(np.log1p(zeros * r / exposure) / r)

    def score(log_rate: float) -> float:
        rate = np.exp(log_rate)
        return exact / rate - exposure + zeros * r / np.expm1(rate * r)

    low = high = np.log((exact + zeros) / (exposure + zeros * r))
    while score(low) <= 0:
        low -= 1.0
    while score(high) >= 0:
        high += 1.0
    return float(np.exp(optimize.brentq(score, low, high, xtol=1e-14, rtol=1e-15)))


def weibull_zero_terms(scale, shape, zeros: int, r: float):
    """``zeros log(1 - exp(-(r/scale)**shape))``, its gradient and Hessian in (scale, shape)."""
    log_r = np.log(r / scale)
    w = np.exp(shape * log_r)  # H(r): an observed zero contributes log(1 - exp(-w))
    a = 1 / np.expm1(w)  # d/dw log(1 - exp(-w)); its derivative is -a (1 + a)
    w_grad = np.array([-shape * w / scale, w * log_r])
    cross = -w * (1 + shape * log_r) / scale
    w_hess = np.array([[shape * (shape + 1) * w / scale**2, cross], [cross, w * log_r**2]])
    value = zeros * np.log(-np.expm1(-w))
    gradient = zeros * a * w_grad
    hessian = zeros * (a * w_hess - a * (1 + a) * np.outer(w_grad, w_grad))
    return value, gradient, hessian


def weibull_mle_with_zeros(terms, t, e, zeros: int, r: float, n: int) -> tuple[float, float]:
    """Maximise the interval-censored likelihood over (log scale, log shape) by Newton.

    ``terms(scale, shape, t, e, zeros, r)`` returns the log-likelihood, its gradient and its
    Hessian in (scale, shape); ``t``, ``e`` hold the positive durations, ``n`` all subjects.
    """
    start = np.array([np.log((t.sum() + zeros * r / 2) / (e.sum() + zeros)), 0.0])

    def objective(theta):  # -loglik / n and its derivatives, by the chain rule
        scale, shape = np.exp(theta)
        if abs(theta[0] - start[0]) > 25 or not 1e-3 <= shape <= 1e4:  # no maximum in sight
            return np.inf, np.zeros(2), np.eye(2)
        with np.errstate(all="ignore"):
            value, gradient, hessian = terms(scale, shape, t, e, zeros, r)
        jacobian = np.array([scale, shape])
        hessian_theta = np.outer(jacobian, jacobian) * hessian + np.diag(gradient * jacobian)
        return -value / n, -gradient * jacobian / n, -hessian_theta / n

    theta, converged = _newton_minimise(objective, start)
    scale, shape = (float(v) for v in np.exp(theta))
    if not converged:
        raise ValueError(
            "fit_weibull with zero_resolution found no maximum of the likelihood (shape "
            f"reached {shape:.3g}); the data may not identify both parameters, e.g. too few "
            "churns at positive durations"
        )
    return scale, shape


def _newton_minimise(objective, theta, max_iter: int = 200):
    """Damped Newton: ``objective`` returns (value, gradient, Hessian); True if converged."""
    for _ in range(max_iter):
        value, gradient, hessian = objective(theta)
        try:
            np.linalg.cholesky(hessian)
            step = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:  # not convex here: go downhill instead
            step = -gradient
        step *= min(1.0, 2.0 / np.abs(step).max()) if np.abs(step).max() > 0 else 1.0
        if np.abs(step).max() < 1e-12:
            return theta, True
        # accept a step that does not go uphill beyond rounding noise, else halve it
        alpha, tolerance = 1.0, 1e-13 * max(1.0, abs(value))
        while alpha > 1e-10:
            candidate = theta + alpha * step
            if objective(candidate)[0] <= value + tolerance:
                break
            alpha /= 2
        else:
            return theta, False
        theta = candidate
    return theta, False
