"""Customer lifetime value from a transaction model and a spend model (``retainkit.clv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.clv._fitting import TransactionModel


def check_transaction_fit(fit, caller: str) -> None:
    if not isinstance(fit, TransactionModel):
        raise ValueError(
            f"{caller}: transaction_fit must come from fit_bgnbd or fit_pareto_nbd, "
            f"got {type(fit).__name__}"
        )


def customer_lifetime_value(
    transaction_fit,
    spend_fit,
    summary: pd.DataFrame,
    *,
    periods: int,
    period_length: float,
    discount_rate: float,
) -> pd.Series:
    """Discounted expected value of each customer's future purchases.

    Introduced in notebook 10. With a transaction model (``fit_bgnbd`` or
    ``fit_pareto_nbd``) and the gamma-gamma spend model (``fit_gamma_gamma``)::

        CLV_i = E[M_i] * sum_{k=1..K} (E[Y_i(k Δ)] - E[Y_i((k-1) Δ)]) / (1 + d)^k

    where E[M_i] is the customer's expected spend per transaction
    (``conditional_expected_average_value``), E[Y_i(t)] their expected transactions in the
    next t time units (``conditional_expected_transactions``), Δ = ``period_length`` in the
    summary's time unit, K = ``periods`` and d = ``discount_rate`` **per period**.
    Discounting convention: the purchases expected during period k are discounted as if
    paid at its end, by (1 + d)^k (as in lifetimes). For an annual rate of 10 % and monthly
    periods, d = 1.10 ** (1 / 12) - 1; with weeks as the time unit, a month is Δ = 365.25 /
    12 / 7 weeks. The value is revenue (spend); multiply by a margin for profit. Only future
    purchases count: the past ones are already paid.

    Parameters
    ----------
    transaction_fit : BGNBDFit or ParetoNBDFit
    spend_fit : GammaGammaFit
    summary : pandas.DataFrame
        ``frequency``, ``recency``, ``T`` and ``monetary_value`` per customer.
    periods : int
        Number of periods K of the horizon (positive).
    period_length : float
        Length Δ of one period, in the time unit of the summary (positive).
    discount_rate : float
        Discount rate d per period (>= 0).

    Returns
    -------
    pandas.Series
        CLV per customer, index as ``summary``, name ``"clv"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from retainkit.clv import BGNBDFit, GammaGammaFit
    >>> bgnbd = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n=0)
    >>> spend = GammaGammaFit(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, n=0)
    >>> customers = pd.DataFrame({"frequency": [0, 2, 7], "recency": [0.0, 30.0, 35.0],
    ...                           "T": [38.0, 38.0, 38.0], "monetary_value": [0.0, 25.0, 40.0]})
    >>> clv = customer_lifetime_value(bgnbd, spend, customers, periods=12,
    ...                               period_length=365.25 / 12 / 7, discount_rate=0.01)
    >>> clv.round(1).tolist()
    [8.5, 40.4, 215.1]
    """
    check_transaction_fit(transaction_fit, "customer_lifetime_value")
    if not hasattr(spend_fit, "conditional_expected_average_value"):
        raise ValueError(
            "customer_lifetime_value: spend_fit must come from fit_gamma_gamma, "
            f"got {type(spend_fit).__name__}"
        )
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        raise ValueError(f"periods must be a positive whole number, got {periods!r}")
    if not (np.isfinite(period_length) and period_length > 0):
        raise ValueError(f"period_length must be a positive number, got {period_length!r}")
    if not (np.isfinite(discount_rate) and discount_rate >= 0):
        raise ValueError(f"discount_rate must be a non-negative number, got {discount_rate!r}")
    spend = spend_fit.conditional_expected_average_value(summary)
    cumulative = np.column_stack(
        [np.zeros(len(summary))]
        + [
            transaction_fit.conditional_expected_transactions(k * period_length, summary)
            for k in range(1, periods + 1)
        ]
    )
    per_period = np.diff(cumulative, axis=1)
    discount = (1.0 + discount_rate) ** -np.arange(1, periods + 1)
    return pd.Series(spend.to_numpy() * (per_period @ discount), index=summary.index, name="clv")
