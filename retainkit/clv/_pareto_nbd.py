"""The Pareto/NBD model of repeat buying (part of ``retainkit.clv``).

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting your customers: who are
they and what will they do next?", Management Science 33(1), 1-24; the expressions follow
Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from retainkit.clv._fitting import (
    TransactionModel,
    check_parameters,
    maximise,
    summary_columns,
)

NAMES = ("r", "alpha", "s", "beta")


def _log_hyp2f1_1bc(b, c, z) -> np.ndarray:
    """log 2F1(1, b; c; z) for c > 1, 0 <= z < 1, elementwise.

    scipy's ``hyp2f1`` agrees with quadrature to 1e-9 here, except within about 1e-6 of
    z = 1, where it may be off by 1e-5 or return inf or nan, and for huge b and c. Its
    answer is kept when finite and inside the bounds every such series obeys,
    1 <= 2F1 <= 1/(1-z) (all terms are positive and shrink at least as fast as z^k); the
    rest are computed by quadrature.
    """
    b, c, z = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in (b, c, z)))
    with np.errstate(all="ignore"):
        values = hyp2f1(1.0, b, c, z)
        upper = 1.0 / (1.0 - z)
        good = np.isfinite(values) & (values >= 1.0 - 1e-12) & (values <= upper * (1 + 1e-12))
        out = np.log(np.where(good, values, 1.0))
    if not good.all():
        out[~good] = _log_hyp2f1_1bc_quadrature(b[~good], c[~good], z[~good])
    return out


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_PIECES = 2.0 ** np.arange(40)  # piece k spans (2^k - 1, 2^(k+1) - 1) widths from the peak


def _log_hyp2f1_1bc_quadrature(b, c, z) -> np.ndarray:
    """log 2F1(1, b; c; z) from Euler's integral (c-1) ∫ u^(c-2) (1-z+zu)^(-b) du over (0, 1).

    In y = log u the log-integrand g(y) = (c-1) y - b log(1-z + z e^y) is concave, so the
    integrand is a single smooth bump. It is integrated as exp(g - max g) by 20-point
    Gauss-Legendre on pieces that double in length away from the peak (50 pieces on each
    side reach 2^40 widths), vectorised over the elements.
    """
    eps = 1.0 - z
    with np.errstate(divide="ignore", invalid="ignore"):
        interior = np.log((c - 1) * eps / (z * (b - c + 1)))
    peak = np.where((b > c - 1) & (z > 0), np.minimum(interior, 0.0), 0.0)

    def g(y):
        return (c - 1)[..., None, None] * y - b[..., None, None] * np.log(
            eps[..., None, None] + z[..., None, None] * np.exp(y)
        )

    share = z * np.exp(peak) / (eps + z * np.exp(peak))
    slope = (c - 1) - b * share
    curvature = b * share * (1 - share)
    # The smallest length scale of the bump: its peak, the knee at e^y = (1-z)/z (which
    # has width about 1) and the decay rate c-1 of the far-left tail.
    width = 1.0 / np.maximum.reduce([slope, np.sqrt(curvature), c - 1, np.ones_like(c)])
    top = g(peak[:, None, None])[:, 0, 0]
    total = np.zeros_like(peak)
    for side in (-1.0, 1.0):
        start = width[:, None] * (_PIECES - 1)
        stop = width[:, None] * (2 * _PIECES - 1)
        if side > 0:  # to the right the range ends at y = 0 (u = 1)
            start, stop = np.minimum(start, -peak[:, None]), np.minimum(stop, -peak[:, None])
        half = (stop - start) / 2
        offsets = start[..., None] + half[..., None] * (_NODES + 1)
        y = peak[:, None, None] + side * offsets
        total += (np.exp(g(y) - top[:, None, None]) * half[..., None] * _WEIGHTS).sum(axis=(1, 2))
    return np.log(c - 1) + top + np.log(total)


def _log_primitive(params, x, t) -> np.ndarray:
    """log G(t), where A0 = G(t_x) - G(T) and -G'(t) = (r+s+x) (α+t)^-(r+x) (β+t)^-(s+1).

    The usual expression, 2F1(r+s+x, s+1; r+s+x+1; z) / (α+t)^(r+s+x) with
    z = (α-β)/(α+t) for α >= β, has a hypergeometric factor that grows like (1-z)^-s near
    z = 1. Euler's transformation 2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) turns
    it into 2F1(1, r+x; r+s+x+1; z) / ((α+t)^(r+x) (β+t)^s), whose series has positive
    terms shrinking at least as fast as z^k, so it lies between 1 and 1/(1-z) and never
    overflows. The case α < β is the same with (α, r+x) and (β, s+1) swapped.
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        log_series = _log_hyp2f1_1bc(r + x, rsx + 1.0, z)
        return log_series - (r + x) * np.log(alpha + t) - s * np.log(beta + t)
    z = (beta - alpha) / (beta + t)
    log_series = _log_hyp2f1_1bc(s + 1.0, rsx + 1.0, z)
    return log_series - (r + x - 1) * np.log(alpha + t) - (s + 1) * np.log(beta + t)


def _log_a0(params, x, recency, age) -> np.ndarray:
    """log A0 = log(G(t_x) - G(T)); -inf when t_x = T (no time left to have dropped out)."""
    at_recency = _log_primitive(params, x, recency)
    at_age = _log_primitive(params, x, age)
    with np.errstate(divide="ignore"):
        return at_recency + np.log(-np.expm1(np.minimum(at_age - at_recency, 0.0)))


def pareto_nbd_log_likelihood(params, x, recency, age) -> np.ndarray:
    """Per-customer log-likelihood (Fader & Hardie 2005 note, eq. 19).

    L = Γ(r+x) α^r β^s / Γ(r) [ 1 / ((α+T)^(r+x) (β+T)^s) + s/(r+s+x) A0 ].
    """
    r, alpha, s, beta = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    gone = np.log(s) - np.log(r + s + x) + _log_a0(params, x, recency, age)
    return common + np.logaddexp(alive, gone)


@dataclass(frozen=True)
class ParetoNBDFit(TransactionModel):
    """Pareto/NBD model fitted by :func:`fit_pareto_nbd`; time is in the unit of the summary.

    Introduced in notebook 10. Parameterisation: purchase rate λ ~ Gamma(shape ``r``,
    **rate** ``alpha``) and drop-out rate μ ~ Gamma(shape ``s``, **rate** ``beta``), so
    E[λ] = r/α and E[μ] = s/β per time unit; a customer's lifetime is exponential with
    rate μ.
    """

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    n: int
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_parameters(self)

    @property
    def params(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    def _tuple(self):
        return self.r, self.alpha, self.s, self.beta

    def expected_transactions(self, t):
        """E[X(t)]: expected repeat transactions of a new customer in their first ``t`` units.

        r β / (α (s-1)) [1 - (β/(β+t))^(s-1)] (the limit r/α β log(1 + t/β) when s = 1).
        """
        t = np.asarray(t, dtype=float)
        if not np.isfinite(t).all() or (t < 0).any():
            raise ValueError("t must be finite and non-negative")
        values = self.r / self.alpha * self.beta * _lifetime_factor(self.s, self.beta, t)
        return float(values) if values.ndim == 0 else values

    def _log_odds_gone(self, x, recency, age) -> np.ndarray:
        r, alpha, s, beta = self._tuple()
        return (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + age)
            + s * np.log(beta + age)
            + _log_a0(self._tuple(), x, recency, age)
        )

    def _probability_alive(self, x, recency, age):
        # P(alive) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A0), computed as a logistic.
        return expit(-self._log_odds_gone(x, recency, age))

    def _conditional_expected(self, t, x, recency, age):
        # E[Y(t) | alive] = (r+x)/(α+T) (β+T) [1 - ((β+T)/(β+T+t))^(s-1)] / (s-1)
        r, alpha, s, beta = self._tuple()
        rate = (r + x) / (alpha + age)
        return (
            self._probability_alive(x, recency, age)
            * rate
            * (beta + age)
            * _lifetime_factor(s, beta + age, t)
        )


def _lifetime_factor(s: float, scale, t) -> np.ndarray:
    """[1 - (scale/(scale+t))^(s-1)] / (s-1), continuous at s = 1 (where it is log(1+t/scale))."""
    log_ratio = np.log1p(t / scale)  # -log(scale/(scale+t))
    if abs(s - 1) < 1e-9:
        return log_ratio
    return -np.expm1(-(s - 1) * log_ratio) / (s - 1)


def fit_pareto_nbd(summary) -> ParetoNBDFit:
    """Fit the Pareto/NBD model of Schmittlein, Morrison & Colombo (1987) by maximum likelihood.

    Introduced in notebook 10. While alive, a customer buys as a Poisson process with rate
    λ; they stay alive for an exponential lifetime with rate μ, unobserved. Across
    customers λ ~ Gamma(shape ``r``, **rate** ``alpha``) and μ ~ Gamma(shape ``s``, **rate**
    ``beta``), independent. Time is in the unit of ``summary``. Unlike the BG/NBD model, a
    customer can drop out before making any repeat purchase.

    The likelihood (Fader & Hardie's 2005 note, eq. 19) needs a difference of Gauss
    hypergeometric functions; it is evaluated in a numerically stable form (Euler's
    transformation, see the module) and maximised over the log-parameters by Nelder-Mead.
    On the CDNOW sample (through 1997-09-30, weeks) it gives the published r = 0.553,
    α = 10.578, s = 0.606, β = 11.669, LL = -9595.0.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``frequency``, ``recency`` and ``T``, one row per customer, as returned by
        :func:`retainkit.clv.rfm_summary`.

    Returns
    -------
    ParetoNBDFit
        ``r``, ``alpha``, ``s``, ``beta``, ``log_likelihood``, ``n``, ``standard_errors``
        and the same predictions as :class:`BGNBDFit`.

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
    >>> fit = fit_pareto_nbd(summary)
    >>> round(fit.r, 3), round(fit.alpha, 2), round(fit.s, 3), round(fit.beta, 1)
    (0.898, 9.23, 0.613, 23.3)
    >>> fit.probability_alive(summary).round(3).head(3).tolist()
    [0.03, 0.895, 0.449]
    """
    cols = summary_columns(summary, ("frequency", "recency", "T"), "fit_pareto_nbd")
    x, recency, age = cols["frequency"], cols["recency"], cols["T"]
    estimates, log_likelihood, errors = maximise(
        lambda p: float(pareto_nbd_log_likelihood(p, x, recency, age).sum()),
        NAMES,
        len(x),
        "fit_pareto_nbd",
        "e.g. too few repeat buyers, or drop-out rates that do not vary between customers",
    )
    return ParetoNBDFit(
        **estimates, log_likelihood=log_likelihood, n=len(x), standard_errors=errors
    )
