"""Reading timestamps: strings, naive and aware datetimes, local zones and DST (private).

One set of parsing rules for every helper that takes events: :func:`parse_times` is what
``validate_events`` and the shared reader (``_reader.read_log``) both call.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd

from retainkit._validation import Problems

CANONICAL = ("user_id", "timestamp", "event")

# A time string is tz-aware when a clock time is followed by "Z", a UTC offset (+01:00, -0500,
# +09) or the words UTC/GMT -- the ISO 8601 forms pandas itself recognises.
_AWARE_STRING = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?|UTC|GMT)$"
)


NONEXISTENT = ("raise", "shift_forward", "shift_backward")
AMBIGUOUS = ("raise", "infer", "earliest", "latest")


def parse_times(
    values: pd.Series,
    df: pd.DataFrame,
    column: str,
    problems: Problems,
    *,
    tz=None,
    format: str | None = None,
    nonexistent: str = "raise",
    ambiguous="raise",
    warn_unused_tz: bool = False,
) -> pd.Series | None:
    """Parse one timestamp column to datetime64[ns, UTC]; naive values are wall-clock ``tz``.

    Problems go into ``problems``; the result is None when the column cannot be used at all.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        if tz is not None and warn_unused_tz:
            warnings.warn(
                f"tz={tz!r} was not used: column {column!r} is already tz-aware "
                f"({values.dtype.tz}); tz only applies to naive timestamps",
                stacklevel=3,
            )
        parsed, naive = values.dt.tz_convert("UTC"), False
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed, naive = values, True
    elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        problems.append(
            f"column {column!r} is numeric ({values.dtype}), and a number has no unit: convert "
            f"it first, e.g. pd.to_datetime(df[{column!r}], unit='s', utc=True) for epoch seconds"
        )
        return None
    else:
        found = _parse_objects(values.astype(object), df, column, problems, format)
        if found is None:
            return None
        parsed, naive = found
    if naive:
        parsed = _localize(parsed, df, column, problems, tz, nonexistent, ambiguous)
    problems.rows(df, parsed.isna(), "missing or unparseable timestamp", column,
                  f"(parsed with format={format!r})" if format else "")
    return parsed.dt.as_unit("ns")


def _parse_objects(values, df, column, problems, format):
    """Strings and datetime objects -> (parsed, naive?); refuse naive/aware mixes."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "string":  # the common case, checked in C: skip the per-element type tests
        present = values.notna().to_numpy()
        is_str, is_time = present, np.zeros(len(values), dtype=bool)
    else:
        present = values.notna().to_numpy()
        is_str = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        is_time = values.map(lambda v: isinstance(v, dt.date | np.datetime64)).to_numpy(
            dtype=bool
        )
        other = present & ~is_str & ~is_time  # numbers, lists, ...: pandas would misread them
        if other.any():
            problems.rows(df, other, "value that is neither a string nor a datetime", column)
            return None
    if format is not None:
        if is_time.any():
            problems.rows(df, is_time, f"datetime object where format={format!r} expects a string",
                          column)
            return None
        aware_format = "%z" in format or "%Z" in format
        parsed = pd.to_datetime(values, format=format, errors="coerce", utc=aware_format)
        return parsed, not aware_format
    aware = np.zeros(len(values), dtype=bool)
    aware[is_str] = values[is_str].str.strip().str.contains(_AWARE_STRING).to_numpy(dtype=bool)
    aware[is_time] = values[is_time].map(lambda v: getattr(v, "tzinfo", None) is not None)
    # A string without a digit ("soon", "") is no time at all: reported as unparseable below,
    # not counted on the naive side of a naive/aware mix.
    naive = present & ~aware
    if aware.any() and naive.any():
        naive[is_str] &= values[is_str].str.contains(r"\d", regex=True).to_numpy(dtype=bool)
    if aware.any() and naive.any():
        minority = naive if naive.sum() <= aware.sum() else aware
        kind = "tz-naive" if minority is naive else "tz-aware"
        problems.rows(df, minority, f"a mix of tz-naive and tz-aware values ({kind} shown)",
                      column, "Make them consistent first, e.g. add the missing UTC offset.")
        return None
    if aware.any():
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    else:
        parsed = pd.to_datetime(values, errors="coerce", format=_guess_format(values[is_str]))
    retry = (parsed.isna() & values.notna()).to_numpy()
    if retry.any():  # the slow per-element parser only for what the fast one could not read
        again = pd.to_datetime(values[retry], utc=aware.any(), errors="coerce", format="mixed")
        parsed[retry] = again
    return parsed, not aware.any()


def _guess_format(strings: pd.Series) -> str:
    """One strftime format read off the first string (month first when ambiguous), else ISO."""
    from pandas.tseries.api import guess_datetime_format

    first = strings.iloc[0].strip() if len(strings) else ""
    return guess_datetime_format(first, dayfirst=False) or "ISO8601"


_NAIVE_WARNING = (
    "naive timestamps in column {column!r} were taken as UTC; if they are local wall-clock "
    "times, read the log with their zone first, e.g. validate_events(df, tz='America/New_York')"
)


def _localize(parsed, df, column, problems, tz, nonexistent, ambiguous) -> pd.Series:
    """Naive wall-clock times in ``tz`` -> UTC, with DST gaps and repeats reported by row."""
    if tz is None:
        warnings.warn(_NAIVE_WARNING.format(column=column), stacklevel=4)
        return parsed.dt.tz_localize("UTC")
    known = parsed.notna().to_numpy()
    gap = known & parsed.dt.tz_localize(tz, ambiguous=True, nonexistent="NaT").isna().to_numpy()
    repeat = known & parsed.dt.tz_localize(
        tz, ambiguous="NaT", nonexistent="shift_forward"
    ).isna().to_numpy()
    if nonexistent == "raise":
        problems.rows(
            df, gap, f"local time that does not exist in {tz} (skipped by a DST change)", column,
            "Pass nonexistent='shift_forward' (or 'shift_backward') to move them to the "
            "nearest valid time.",
        )
    if isinstance(ambiguous, str) and ambiguous == "raise":
        problems.rows(
            df, repeat, f"local time that occurs twice in {tz} (repeated by a DST change)",
            column, "Pass ambiguous='earliest' (the first, daylight-saving occurrence), "
            "'latest', 'infer' (from the order of the rows) or a boolean array as in pandas.",
        )
    if isinstance(ambiguous, str) and ambiguous in ("earliest", "latest", "raise"):
        flags = np.full(len(parsed), ambiguous != "latest")
    else:
        flags = ambiguous
    shift = "shift_forward" if nonexistent == "raise" else nonexistent
    try:
        local = parsed.dt.tz_localize(tz, ambiguous=flags, nonexistent=shift)
    except Exception as err:  # ambiguous="infer" on rows out of time order
        problems.append(f"column {column!r}: ambiguous={ambiguous!r} failed: {err}")
        return parsed.dt.tz_localize("UTC")
    return local.dt.tz_convert("UTC")
