"""The gamma-gamma model of spend per transaction (part of ``retainkit.clv``).

Colombo, R. & Jiang, W. (1999), "A stochastic RFM model", Journal of Interactive Marketing
13(3); Fader, P. S. & Hardie, B. G. S. (2013), "The gamma-gamma model of monetary value".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln

from retainkit.clv._fitting import _rows, check_parameters, maximise, summary_columns
from retainkit.clv._value import customer_lifetime_value

NAMES = ("p", "q", "gamma")


def gamma_gamma_log_likelihood(params, x, mean_value) -> np.ndarray:
    """log f(m | x) for a customer with x transactions of mean value m (FH 2013, eq. 3).

    f(m | x) = Γ(px+q) / (Γ(px) Γ(q)) γ^q m^(px-1) x^(px) / (γ + m x)^(px+q).
    """
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(mean_value)
        + px * np.log(x)
        - (px + q) * np.log(gamma + mean_value * x)
    )


@dataclass(frozen=True)
class GammaGammaFit:
    """Gamma-gamma spend model fitted by :func:`fit_gamma_gamma`.

    Introduced in notebook 10. Parameterisation: a customer's transaction values are
    Gamma(shape ``p``, **rate** ν), so their mean spend is p/ν, and across customers
    ν ~ Gamma(shape ``q``, **rate** ``gamma``). The population mean spend per transaction
    is p γ / (q - 1) (for q > 1).
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n: int
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_parameters(self)

    @property
    def params(self) -> dict[str, float]:
        """The three parameters by name."""
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean_value(self) -> float:
        """E[M] = p γ / (q - 1): expected spend per transaction of a customer yet unseen."""
        if self.q <= 1:
            raise ValueError(f"the mean spend is infinite when q <= 1 (q = {self.q:.3g})")
        return self.p * self.gamma / (self.q - 1)

    def conditional_expected_average_value(self, summary: pd.DataFrame) -> pd.Series:
        """E[M | x, m_x]: each customer's expected spend per transaction (FH 2013, eq. 5).

        Introduced in notebook 10. (γ + m_x x) p / (p x + q - 1): a weighted average of
        the population mean p γ / (q - 1) (weight (q - 1) / (p x + q - 1)) and the
        customer's own mean m_x (the rest), so customers with more transactions are
        trusted more. ``summary`` has ``frequency`` and ``monetary_value``; customers with
        ``frequency`` 0 get the population mean.
        """
        cols = summary_columns(
            summary, ("frequency", "monetary_value"), "conditional_expected_average_value"
        )
        x, m = cols["frequency"], cols["monetary_value"]
        if self.q <= 1:
            raise ValueError(f"the expected spend is infinite when q <= 1 (q = {self.q:.3g})")
        values = (self.gamma + m * x) * self.p / (self.p * x + self.q - 1)
        return pd.Series(values, index=summary.index, name="expected_average_value")

    def customer_lifetime_value(self, transaction_fit, summary, **kwargs) -> pd.Series:
        """Discounted CLV with this spend model: :func:`retainkit.clv.customer_lifetime_value`.

        Introduced in notebook 10. Takes the same keyword arguments (``periods``,
        ``period_length``, ``discount_rate``).
        """
        return customer_lifetime_value(transaction_fit, self, summary, **kwargs)


def fit_gamma_gamma(summary) -> GammaGammaFit:
    """Fit the gamma-gamma model of spend per transaction by maximum likelihood.

    Introduced in notebook 10. Each customer's transaction values are Gamma(shape ``p``,
    **rate** ν) draws, so their own mean spend is p/ν; across customers ν ~ Gamma(shape
    ``q``, **rate** ``gamma``). Only customers with at least one repeat transaction
    (``frequency`` > 0) carry information, so only they are used (their number is ``n``);
    ``monetary_value`` is their mean repeat-transaction value, as ``rfm_summary`` makes it.
    The model assumes spend is independent of purchase frequency: check the correlation of
    ``frequency`` and ``monetary_value`` first (Fader & Hardie report 0.11 on CDNOW).

    On the CDNOW sample (946 customers with repeat purchases through 1997-09-30, the mean
    value of their repeat purchase days) it gives Fader & Hardie's p = 6.25, q = 3.74,
    γ = 15.44.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency`` and ``monetary_value`` (positive where ``frequency`` > 0).

    Returns
    -------
    GammaGammaFit
        ``p``, ``q``, ``gamma``, ``log_likelihood``, ``n``, ``standard_errors``,
        ``mean_value``, ``conditional_expected_average_value(summary)`` and
        ``customer_lifetime_value(transaction_fit, summary, ...)``.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({
    ...     "frequency": [6, 7, 7, 4, 7, 7, 7, 1, 4, 5, 2, 3, 5, 6, 5, 2, 5, 7, 2, 4, 3, 7,
    ...                   1, 4, 7, 0],
    ...     "monetary_value": [21.89, 16.83, 34.74, 47.56, 27.99, 76.7, 44.97, 65.19, 19.84,
    ...                        13.95, 21.24, 45.72, 23.07, 17.48, 31.54, 28.12, 30.36, 35.71,
    ...                        23.59, 42.24, 25.81, 15.14, 8.64, 34.01, 21.17, 0.0],
    ... })
    >>> fit = fit_gamma_gamma(summary)  # the customer with frequency 0 is not used
    >>> fit.n
    25
    >>> round(fit.p, 2), round(fit.q, 2), round(fit.gamma, 1), round(fit.mean_value, 2)
    (3.85, 7.69, 53.6, 30.84)
    >>> fit.conditional_expected_average_value(summary).round(2).tolist()[-3:]
    [33.05, 23.09, 30.84]
    """
    cols = summary_columns(summary, ("frequency", "monetary_value"), "fit_gamma_gamma")
    repeat = cols["frequency"] > 0
    if not repeat.any():
        raise ValueError("fit_gamma_gamma: no customer has frequency > 0, so no spend to model")
    free = repeat & (cols["monetary_value"] <= 0)
    if free.any():
        raise ValueError(
            "fit_gamma_gamma: column 'monetary_value': the gamma-gamma model needs positive "
            "spend, but it is 0 for customers with repeat purchases; exclude them explicitly "
            "(e.g. summary[summary['monetary_value'] > 0]) or correct the values. "
            + _rows(summary, free, "zero spend")
        )
    x, m = cols["frequency"][repeat], cols["monetary_value"][repeat]
    estimates, log_likelihood, errors = maximise(
        lambda p: float(gamma_gamma_log_likelihood(p, x, m).sum()),
        NAMES,
        len(x),
        "fit_gamma_gamma",
        "e.g. spend that hardly varies within or between customers",
    )
    return GammaGammaFit(
        **estimates, log_likelihood=log_likelihood, n=len(x), standard_errors=errors
    )
