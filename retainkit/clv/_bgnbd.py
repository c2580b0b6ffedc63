"""The BG/NBD model of repeat buying (part of ``retainkit.clv``).

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting your customers' the easy
way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1

from retainkit.clv._fitting import (
    TransactionModel,
    check_parameters,
    maximise,
    summary_columns,
)

NAMES = ("r", "alpha", "a", "b")


def bgnbd_log_likelihood(params, x, recency, age) -> np.ndarray:
    """Per-customer log-likelihood, FHL (2005) eq. 6, as a log-sum of its two terms.

    L = B(a, b+x)/B(a, b) Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)).
    """
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    still_alive = betaln(a, b + x) - (r + x) * np.log(alpha + age)
    gone = np.full_like(still_alive, -np.inf)
    repeat = x > 0
    gone[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(
        alpha + recency[repeat]
    )
    return common + np.logaddexp(still_alive, gone)


@dataclass(frozen=True)
class BGNBDFit(TransactionModel):
    """BG/NBD model fitted by :func:`fit_bgnbd`; time is in the unit of the summary.

    Introduced in notebook 10. Parameterisation: each customer's purchase rate
    λ ~ Gamma(shape ``r``, **rate** ``alpha``) (so E[λ] = r/α per time unit), and after
    every repeat purchase they drop out with probability p ~ Beta(``a``, ``b``).
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n: int
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_parameters(self)
        if abs(self.a - 1) < 1e-6:  # (a+b-1)/(a-1) in eqs. 9-10: a removable 0/0 at a = 1
            raise ValueError(f"BGNBDFit: the BG/NBD expectations are 0/0 at a = 1 (a={self.a})")

    @property
    def params(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def expected_transactions(self, t):
        """E[X(t)]: expected repeat transactions of a new customer in their first ``t`` units.

        FHL (2005) eq. 9: (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))].
        """
        t = np.asarray(t, dtype=float)
        if not np.isfinite(t).all() or (t < 0).any():
            raise ValueError("t must be finite and non-negative")
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        tail = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
        values = (a + b - 1) / (a - 1) * (1 - tail)
        return float(values) if values.ndim == 0 else values

    def _odds_gone(self, x, recency, age) -> np.ndarray:
        """P(dropped out) / P(alive) given the history: FHL (2005) eq. 11's denominator - 1."""
        odds = np.zeros_like(x)
        repeat = x > 0
        xr = x[repeat]
        odds[repeat] = (
            self.a
            / (self.b + xr - 1)
            * np.exp(
                (self.r + xr) * np.log((self.alpha + age[repeat]) / (self.alpha + recency[repeat]))
            )
        )
        return odds

    def _probability_alive(self, x, recency, age):
        # A customer with no repeat purchase cannot have dropped out: in the BG/NBD model
        # drop-out happens only right after a repeat purchase, so P(alive) = 1 when x = 0.
        return 1.0 / (1.0 + self._odds_gone(x, recency, age))

    def _conditional_expected(self, t, x, recency, age):
        # FHL (2005) eq. 10.
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + age + t)
        tail = ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        alive_term = (a + b + x - 1) / (a - 1) * (1 - tail)
        return alive_term / (1.0 + self._odds_gone(x, recency, age))


def fit_bgnbd(summary) -> BGNBDFit:
    """Fit the BG/NBD model of Fader, Hardie & Lee (2005) by maximum likelihood.

    Introduced in notebook 10. A model for **non-contractual** settings, where nobody tells
    you they have left: while active, a customer buys as a Poisson process with rate λ;
    after each repeat purchase they become inactive for good with probability p. Across
    customers λ ~ Gamma(shape ``r``, **rate** ``alpha``) and p ~ Beta(``a``, ``b``). Time
    is in the unit of ``summary`` (weeks for CDNOW, as in the paper).

    The log-likelihood (FHL eq. 6) is maximised over the log-parameters by Nelder-Mead
    (see ``standard_errors`` for the Hessian-based errors). On the CDNOW sample (calibration
    through 1997-09-30, time in weeks) it reproduces the paper: r = 0.243, α = 4.414,
    a = 0.793, b = 2.426, LL = -9582.4.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency``, ``recency`` and ``T``, one row per customer, as returned by
        :func:`retainkit.clv.rfm_summary`.

    Returns
    -------
    BGNBDFit
        ``r``, ``alpha``, ``a``, ``b``, ``log_likelihood``, ``n`` (customers),
        ``standard_errors`` and the predictions ``expected_transactions(t)`` (a new
        customer), ``conditional_expected_transactions(t, summary)`` and
        ``probability_alive(summary)``.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({  # 30 customers, weeks
    ...     "frequency": [4, 3, 0, 1, 5, 2, 0, 2, 1, 0, 3, 1, 1, 0, 1,
    ...         0, 0, 1, 0, 1, 7, 1, 1, 1, 1, 5, 2, 0, 12, 1],
    ...     "recency": [5, 21, 0, 9, 27, 27, 0, 21, 2, 0, 18, 20, 7, 0, 19,
    ...         0, 0, 13, 0, 26, 32, 4, 1, 33, 14, 3, 22, 0, 26, 17],
    ...     "T": [37, 27, 28, 29, 28, 37, 38, 34, 26, 27, 30, 32, 34, 32, 29,
    ...         28, 35, 36, 26, 27, 32, 31, 38, 33, 31, 32, 35, 34, 28, 36],
    ... })
    >>> fit = fit_bgnbd(summary)
    >>> round(fit.r, 3), round(fit.alpha, 2), round(fit.a, 3), round(fit.b, 3)
    (0.556, 4.31, 0.509, 1.087)
    >>> fit.probability_alive(summary).round(3).head(3).tolist()
    [0.009, 0.74, 1.0]
    >>> fit.conditional_expected_transactions(10, summary).round(3).head(3).tolist()
    [0.009, 0.782, 0.161]
    """
    cols = summary_columns(summary, ("frequency", "recency", "T"), "fit_bgnbd")
    x, recency, age = cols["frequency"], cols["recency"], cols["T"]
    estimates, log_likelihood, errors = maximise(
        lambda p: float(bgnbd_log_likelihood(p, x, recency, age).sum()),
        NAMES,
        len(x),
        "fit_bgnbd",
        "e.g. too few repeat buyers, or no sign of drop-out",
    )
    return BGNBDFit(**estimates, log_likelihood=log_likelihood, n=len(x), standard_errors=errors)
