"""RFM summaries: one row per customer from a transaction log (part of ``retainkit.clv``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

MAX_SHOWN = 5  # offending rows shown in an error message
UNIT_DAYS = {"D": 1.0, "W": 7.0}


def _rows(df: pd.DataFrame, mask, column: str, problem: str) -> str:
    """One problem: the column, how many rows and the first few of them."""
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    first = f"first {MAX_SHOWN}" if n > MAX_SHOWN else "all of them"
    shown = df.loc[mask].head(MAX_SHOWN).to_string()
    return f"column {column!r}: {problem} in {n} row(s); {first}:\n{shown}"


def _local_days(values: pd.Series) -> pd.Series:
    """Calendar days (naive midnights) in the zone of the values, or as given if naive."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # local wall-clock time, so a day is 24 h
    return values.dt.normalize()


def _parse_times(df: pd.DataFrame, column: str, problems: list[str]) -> pd.Series | None:
    values = df[column]
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
    elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        problems.append(
            f"column {column!r} is numeric ({values.dtype}) and a number has no unit: convert "
            f"it first, e.g. pd.to_datetime(df[{column!r}], format='%Y%m%d')"
        )
        return None
    else:
        try:
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        except (TypeError, ValueError) as err:  # e.g. a mix of tz-aware and naive values
            problems.append(f"column {column!r} cannot be read as datetimes: {err}")
            return None
    bad = parsed.isna().to_numpy()
    if bad.any():
        problems.append(_rows(df, bad, column, "missing or unparseable time"))
    return parsed


def _boundary(value, name: str, tz) -> pd.Timestamp:
    """A calibration/observation end as a naive local calendar day (the whole day counts)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} cannot be read as a date: {value!r}") from err
    if pd.isna(ts):
        raise ValueError(f"{name} is missing (NaT)")
    if ts.tz is not None and tz is None:
        raise ValueError(
            f"{name}={value!r} is tz-aware but the transaction times are tz-naive: pass a "
            "naive date, or make the times tz-aware"
        )
    if ts.tz is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    return ts.normalize()


def _check_input(df, customer_col, time_col, value_col, unit) -> pd.Series:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"transactions must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise ValueError("transactions has no rows")
    if unit not in UNIT_DAYS:
        raise ValueError(f"unit must be one of {sorted(UNIT_DAYS)} (days, weeks), got {unit!r}")
    wanted = {"customer_col": customer_col, "time_col": time_col}
    if value_col is not None:
        wanted["value_col"] = value_col
    missing = [f"{arg}={col!r}" for arg, col in wanted.items() if col not in df.columns]
    if missing:
        raise ValueError(
            f"transactions has no column {', '.join(missing)}; its columns are {list(df.columns)}"
        )
    problems: list[str] = []
    no_id = df[customer_col].isna().to_numpy()
    if no_id.any():
        problems.append(_rows(df, no_id, customer_col, "missing customer id"))
    times = _parse_times(df, time_col, problems)
    if value_col is not None:
        values = df[value_col]
        if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
            values.dtype
        ):
            problems.append(f"column {value_col!r} must be numeric, got dtype {values.dtype}")
        else:
            number = values.to_numpy(dtype=float)
            if np.isnan(number).any():
                problems.append(_rows(df, np.isnan(number), value_col, "missing value"))
            if np.isinf(number).any():
                problems.append(_rows(df, np.isinf(number), value_col, "infinite value"))
            if (number < 0).any():
                problems.append(_rows(df, number < 0, value_col, "negative value"))
    if problems:
        raise ValueError("bad transactions\n" + "\n".join(problems))
    return times


def _repeat_days(day: pd.DataFrame, first: pd.Series, start, end) -> pd.DataFrame:
    """Purchase days after each customer's first day within (start, end]; start=None: none."""
    later = day["day"] > day["customer"].map(first)
    within = day["day"] <= end
    if start is not None:
        within &= day["day"] > start
    return day[later & within]


def purchase_days(
    transactions,
    *,
    customer_col,
    time_col,
    value_col,
    calibration_end,
    observation_end,
    unit,
    caller: str,
) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp | None]:
    """Checked purchase days (customer, day, value summed over the day) and the two ends.

    Drops, with a warning giving the counts, the customers whose first purchase is after
    ``calibration_end`` and the transactions after the last day used.
    """
    times = _check_input(transactions, customer_col, time_col, value_col, unit)
    tz = getattr(times.dtype, "tz", None)
    cal_end = _boundary(calibration_end, "calibration_end", tz)
    obs_end = None
    if observation_end is not None:
        obs_end = _boundary(observation_end, "observation_end", tz)
        if obs_end <= cal_end:
            raise ValueError(
                f"observation_end ({obs_end.date()}) must be after calibration_end "
                f"({cal_end.date()})"
            )
    log = pd.DataFrame(
        {"customer": transactions[customer_col].to_numpy(), "day": _local_days(times).to_numpy()}
    )
    log["value"] = 0.0 if value_col is None else transactions[value_col].to_numpy(dtype=float)
    first = log.groupby("customer")["day"].transform("min")
    late = (first > cal_end).to_numpy()
    if late.all():
        raise ValueError(
            f"{caller}: no customer made a first purchase on or before "
            f"calibration_end={cal_end.date()} (the first purchase is on {first.min().date()})"
        )
    end = obs_end if obs_end is not None else cal_end
    after = (log["day"] > end).to_numpy() & ~late
    if late.any():
        warnings.warn(
            f"{caller} excluded {log.loc[late, 'customer'].nunique()} customer(s) whose first "
            f"purchase is after calibration_end={cal_end.date()} ({int(late.sum())} "
            "transaction(s))",
            stacklevel=3,
        )
    if after.any():
        name = "observation_end" if obs_end is not None else "calibration_end"
        hint = "" if obs_end is not None else " (pass observation_end to use them as a holdout)"
        warnings.warn(
            f"{caller} ignored {int(after.sum())} transaction(s) after {name}={end.date()}{hint}",
            stacklevel=3,
        )
    log = log[~late & ~after]
    day = log.groupby(["customer", "day"], as_index=False, sort=True)["value"].sum()
    return day, cal_end, obs_end


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    value_col: str | None = None,
    calibration_end,
    observation_end=None,
    unit: str = "W",
) -> pd.DataFrame:
    """Frequency, recency and age of each customer: the input of the customer-base models.

    Introduced in notebook 10. Time is counted in **whole calendar days** and reported in
    ``unit``: ``"D"`` (days) or ``"W"`` (weeks = whole days / 7, the unit of Fader, Hardie &
    Lee 2005 on CDNOW). Several purchases by one customer on one day are **one
    transaction** (their values are summed), and the first purchase day starts the clock:
    it is not a repeat transaction. A day is a calendar day in the zone of the times (tz-aware
    times: their own zone; convert with ``.dt.tz_convert`` first to choose another).
    ``calibration_end`` and ``observation_end`` are **inclusive**: the whole day counts.

    Columns of the result (index: the customer id, named ``customer_col``, sorted):

    * ``frequency``: number of repeat purchase days in the calibration period (int);
    * ``recency``: time from the first to the last purchase day in the calibration period
      (0 when ``frequency`` is 0);
    * ``T``: the customer's age at ``calibration_end``, time since the first purchase day;
    * ``monetary_value`` (with ``value_col``): mean value of the repeat purchase days in the
      calibration period, 0 when ``frequency`` is 0 (the first purchase is left out, as in
      the gamma-gamma model);
    * ``frequency_holdout`` and ``duration_holdout`` (with ``observation_end``): the repeat
      purchase days in (calibration_end, observation_end] and that period's length.

    Customers whose first purchase is after ``calibration_end`` are excluded, and a warning
    gives their count; so are transactions after ``observation_end`` (or after
    ``calibration_end`` when there is no ``observation_end``). A missing column, a missing
    customer id or time, and a missing or negative value raise one ``ValueError`` that lists
    every problem with the rows at fault.

    Notes
    -----
    A pandas gotcha: ``summary.T`` is the **transpose** of the frame, not the column named
    ``T``. Always write ``summary["T"]``.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase.
    customer_col, time_col : str
        Columns with the customer id and the purchase time (datetimes, or strings pandas can
        parse).
    value_col : str, optional
        Column with the purchase value (non-negative numbers).
    calibration_end : date-like
        Last day of the calibration (estimation) period.
    observation_end : date-like, optional
        Last day of the holdout period; must be after ``calibration_end``.
    unit : {"W", "D"}
        Time unit of ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    pandas.DataFrame
        One row per customer, as described above.

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({
    ...     "id": ["a", "a", "a", "a", "b"],
    ...     "day": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-15",
    ...                            "2024-01-10"]),
    ...     "spend": [10.0, 4.0, 6.0, 20.0, 5.0],
    ... })
    >>> rfm_summary(log, customer_col="id", time_col="day", value_col="spend",
    ...             calibration_end="2024-01-29").round(3)  # doctest: +NORMALIZE_WHITESPACE
        frequency  recency      T  monetary_value
    id
    a           2      2.0  4.000            15.0
    b           0      0.0  2.714             0.0
    """
    day, cal_end, obs_end = purchase_days(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        value_col=value_col,
        calibration_end=calibration_end,
        observation_end=observation_end,
        unit=unit,
        caller="rfm_summary",
    )
    first = day.groupby("customer")["day"].min()
    scale = UNIT_DAYS[unit]
    repeat = _repeat_days(day, first, None, cal_end).groupby("customer")
    out = pd.DataFrame(index=first.index)
    out["frequency"] = repeat.size().reindex(out.index, fill_value=0).astype(np.int64)
    last = repeat["day"].max().reindex(out.index).fillna(first)
    out["recency"] = (last - first).dt.days / scale
    out["T"] = (cal_end - first).dt.days / scale
    if value_col is not None:
        out["monetary_value"] = repeat["value"].mean().reindex(out.index, fill_value=0.0)
    if obs_end is not None:
        holdout = _repeat_days(day, first, cal_end, obs_end).groupby("customer").size()
        out["frequency_holdout"] = holdout.reindex(out.index, fill_value=0).astype(np.int64)
        out["duration_holdout"] = (obs_end - cal_end).days / scale
    out.index.name = customer_col
    return out
