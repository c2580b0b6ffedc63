"""Checks of a transaction model on data it was not fitted to (part of ``retainkit.clv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.clv._fitting import summary_columns
from retainkit.clv._rfm import UNIT_DAYS, purchase_days
from retainkit.clv._value import check_transaction_fit


def holdout_by_frequency(transaction_fit, summary: pd.DataFrame, *, max_frequency: int = 7):
    """Actual and expected holdout transactions by calibration frequency (FHL 2005, Figure 4).

    Introduced in notebook 10. Customers are grouped by ``frequency`` (the repeat
    transactions in the calibration period), with every value from ``max_frequency`` up in
    one group ("7+"). For each group: ``customers``, ``actual`` = the mean of
    ``frequency_holdout`` and ``expected`` = the mean of
    ``conditional_expected_transactions(duration_holdout)``. The model was fitted on the
    calibration period only, so this is a test on data it has not seen. Multiply a mean by
    ``customers`` for a group's total.

    Parameters
    ----------
    transaction_fit : BGNBDFit or ParetoNBDFit
    summary : pandas.DataFrame
        From :func:`retainkit.clv.rfm_summary` with ``observation_end``: ``frequency``,
        ``recency``, ``T``, ``frequency_holdout`` and ``duration_holdout``.
    max_frequency : int
        The last group holds every frequency >= this.

    Returns
    -------
    pandas.DataFrame
        Columns ``x`` (the group's lowest frequency), ``label`` ("0", "1", ..., "7+"),
        ``customers``, ``actual`` and ``expected``, one row per non-empty group.

    Examples
    --------
    >>> import pandas as pd
    >>> from retainkit.clv import BGNBDFit
    >>> fit = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n=0)
    >>> summary = pd.DataFrame({"frequency": [0, 1, 1, 3], "recency": [0.0, 20.0, 5.0, 30.0],
    ...                         "T": [38.0, 38.0, 30.0, 38.0], "frequency_holdout": [0, 2, 0, 1],
    ...                         "duration_holdout": 39.0})
    >>> holdout_by_frequency(fit, summary, max_frequency=2).round(3)
       x label  customers  actual  expected
    0  0     0          1     0.0     0.199
    1  1     1          2     1.0     0.517
    2  2    2+          1     1.0     1.805
    """
    check_transaction_fit(transaction_fit, "holdout_by_frequency")
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 1:
        raise ValueError(f"max_frequency must be a positive whole number, got {max_frequency!r}")
    cols = summary_columns(
        summary,
        ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"),
        "holdout_by_frequency",
    )
    expected = transaction_fit.conditional_expected_transactions(cols["duration_holdout"], summary)
    group = np.minimum(cols["frequency"], max_frequency).astype(np.int64)
    frame = pd.DataFrame(
        {"x": group, "actual": cols["frequency_holdout"], "expected": expected.to_numpy()}
    )
    table = frame.groupby("x").agg(
        customers=("actual", "size"), actual=("actual", "mean"), expected=("expected", "mean")
    )
    table = table.reset_index()
    table.insert(
        1,
        "label",
        [f"{x}+" if x == max_frequency else str(x) for x in table["x"]],
    )
    return table


def cumulative_tracking(
    transaction_fit,
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    calibration_end,
    observation_end,
    unit: str = "W",
) -> pd.DataFrame:
    """Actual and expected cumulative repeat transactions of the whole cohort over time.

    Introduced in notebook 10 (the tracking plot of Fader, Hardie & Lee 2005). Time is cut
    into periods of one ``unit`` from the earliest first purchase; for the last day of each
    period, ``actual`` counts the repeat purchase days so far (as in
    :func:`retainkit.clv.rfm_summary`: one per customer and day, the first purchase not
    counted) and ``expected`` = sum over customers of E[X(age)], the model's expected
    repeat transactions of a customer of that age (``transaction_fit.expected_transactions``;
    age = whole days since their first purchase, in ``unit``; customers not yet acquired
    count 0). The fit must use the same time unit, and only customers whose first purchase
    is on or before ``calibration_end`` are counted, as in the fit. Periods ending after
    ``calibration_end`` are a forecast; the last period ends at ``observation_end`` and may
    be shorter.

    Parameters
    ----------
    transaction_fit : BGNBDFit or ParetoNBDFit
    transactions : pandas.DataFrame
        One row per purchase, as for :func:`retainkit.clv.rfm_summary`.
    customer_col, time_col, calibration_end, observation_end, unit
        As for :func:`retainkit.clv.rfm_summary`; ``observation_end`` is required.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (1, 2, ...), ``end`` (its last day), ``calibration`` (True when
        the period ends on or before ``calibration_end``), ``actual`` and ``expected``.

    Examples
    --------
    >>> import pandas as pd
    >>> from retainkit.clv import BGNBDFit
    >>> fit = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n=0)
    >>> log = pd.DataFrame({"id": [1, 1, 1, 2, 2],
    ...                     "day": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-20",
    ...                                            "2024-01-03", "2024-01-17"])})
    >>> cumulative_tracking(fit, log, customer_col="id", time_col="day",
    ...                     calibration_end="2024-01-14", observation_end="2024-01-21").round(3)
       period        end  calibration  actual  expected
    0       1 2024-01-07         True       0     0.077
    1       2 2024-01-14         True       1     0.179
    2       3 2024-01-21        False       3     0.275
    """
    check_transaction_fit(transaction_fit, "cumulative_tracking")
    if observation_end is None:
        raise ValueError("cumulative_tracking needs observation_end, the last day to track")
    day, cal_end, obs_end = purchase_days(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        value_col=None,
        calibration_end=calibration_end,
        observation_end=observation_end,
        unit=unit,
        caller="cumulative_tracking",
    )
    first = day.groupby("customer")["day"].min()
    start = first.min()
    step = int(UNIT_DAYS[unit])
    n_periods = -(-((obs_end - start).days + 1) // step)  # ceiling division
    ends = start + pd.to_timedelta(np.arange(1, n_periods + 1) * step - 1, unit="D")
    ends = ends.where(ends <= obs_end, obs_end)
    repeat_days = np.sort(day.loc[day["day"] > day["customer"].map(first), "day"].to_numpy())
    actual = np.searchsorted(repeat_days, ends.to_numpy(), side="right")
    first_days = first.to_numpy()
    expected = np.empty(n_periods)
    for k, end in enumerate(ends):
        age = (end.to_datetime64() - first_days) / np.timedelta64(step, "D")
        expected[k] = transaction_fit.expected_transactions(np.maximum(age, 0.0)).sum()
    return pd.DataFrame(
        {
            "period": np.arange(1, n_periods + 1),
            "end": ends,
            "calibration": np.asarray(ends <= cal_end),
            "actual": actual.astype(np.int64),
            "expected": expected,
        }
    )
