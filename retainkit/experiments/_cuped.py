"""CUPED: less noisy experiment metrics using pre-experiment activity as a covariate.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retainkit.experiments._inputs import as_float_array, as_treatment


@dataclass(frozen=True)
class CupedResult:
    """Result of :func:`cuped`.

    ``adjusted`` is the CUPED-adjusted metric (same length and index as ``y``); ``theta``
    the coefficient; ``correlation`` the (within-arm, when ``groups`` is given) correlation
    of ``y`` and ``x``; ``variance_reduction`` the share of the metric's variance removed.
    With ``groups``: ``effect`` and ``adjusted_effect`` (treatment minus control means of
    ``y`` and of ``adjusted``) and their standard errors; otherwise those are NaN.
    """

    adjusted: np.ndarray | pd.Series
    theta: float
    correlation: float
    variance_reduction: float
    effect: float
    effect_se: float
    adjusted_effect: float
    adjusted_effect_se: float


def _difference_in_means(values: np.ndarray, arm: np.ndarray) -> tuple[float, float]:
    treated, control = values[arm == 1], values[arm == 0]
    if min(len(treated), len(control)) < 2:
        raise ValueError("groups needs at least two users in each arm for a standard error")
    se = np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control))
    return float(treated.mean() - control.mean()), float(se)


def cuped(y, x, groups=None) -> CupedResult:
    """Adjust an experiment metric for pre-experiment activity (CUPED, Deng et al. 2013).

    Introduced in notebook 08. With ``x`` a covariate measured **before** assignment (say
    visits in the 28 days before the experiment; it cannot be affected by the treatment),
    the adjusted metric is ``y - theta (x - mean(x))`` with ``theta = cov(y, x) / var(x)``.
    When ``groups`` is given, the covariances are pooled over the arms after centring each
    arm on its own means, so that the treatment effect does not leak into ``theta``; theta
    is then exactly the coefficient of ``x`` in the OLS regression ``y ~ 1 + treatment +
    x``, and ``adjusted_effect`` its treatment coefficient. Because ``x`` is independent of
    the arm, the adjusted difference in means estimates the same effect, unbiased, with
    its variance multiplied by about ``1 - rho**2`` (``rho`` the correlation of ``y`` and
    ``x``): ``variance_reduction`` equals ``rho**2`` in the sample.

    Parameters
    ----------
    y : array-like of float
        The metric measured during the experiment, one value per user.
    x : array-like of float
        The pre-period covariate, same users and order.
    groups : array-like, optional
        ``"control"``/``"treatment"`` (or 0/1) per user.

    Returns
    -------
    CupedResult

    Examples
    --------
    Control users have ``y = 3, 5, 4`` and ``x = 1, 3, 2``; treated ``y = 8, 6, 10`` and
    ``x = 4, 3, 5``. Centred within arms, ``sum xy = 2 + 4`` and ``sum xx = 2 + 2``, so
    theta = 1.5; the raw effect 8 - 4 = 4 loses 1.5 x (4 - 2) for the treated users'
    higher pre-period activity:

    >>> r = cuped([3.0, 5, 4, 8, 6, 10], [1.0, 3, 2, 4, 3, 5],
    ...           ["control"] * 3 + ["treatment"] * 3)
    >>> round(r.theta, 3), round(r.effect, 3), round(r.adjusted_effect, 3)
    (1.5, 4.0, 1.0)
    >>> round(r.variance_reduction, 3)
    0.9
    """
    y_values = as_float_array(y, name="y")
    x_values = as_float_array(x, name="x")
    if len(x_values) != len(y_values):
        raise ValueError(f"x has length {len(x_values)} but y has length {len(y_values)}")
    if groups is None:
        arm = None
        y_centred, x_centred = y_values - y_values.mean(), x_values - x_values.mean()
    else:
        arm = as_treatment(groups, name="groups", n=len(y_values))
        y_centred, x_centred = y_values.copy(), x_values.copy()
        for code in (0, 1):
            mine = arm == code
            y_centred[mine] -= y_values[mine].mean()
            x_centred[mine] -= x_values[mine].mean()
    sxx, syy = float(x_centred @ x_centred), float(y_centred @ y_centred)
    if sxx == 0:
        raise ValueError("x is constant (within each arm): it cannot explain any of y's variance")
    theta = float(x_centred @ y_centred) / sxx
    adjusted = y_values - theta * (x_values - x_values.mean())
    correlation = float(x_centred @ y_centred) / np.sqrt(sxx * syy) if syy > 0 else 0.0
    residual = y_centred - theta * x_centred
    variance_reduction = 1 - float(residual @ residual) / syy if syy > 0 else 0.0

    nan = float("nan")
    effect = effect_se = adjusted_effect = adjusted_effect_se = nan
    if arm is not None:
        effect, effect_se = _difference_in_means(y_values, arm)
        adjusted_effect, adjusted_effect_se = _difference_in_means(adjusted, arm)
    if isinstance(y, pd.Series):
        adjusted = pd.Series(adjusted, index=y.index, name=y.name)
    return CupedResult(
        adjusted=adjusted,
        theta=theta,
        correlation=correlation,
        variance_reduction=variance_reduction,
        effect=effect,
        effect_se=effect_se,
        adjusted_effect=adjusted_effect,
        adjusted_effect_se=adjusted_effect_se,
    )
