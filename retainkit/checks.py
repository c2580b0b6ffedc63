"""Self-checks for the workbook's exercises: helpful failures that do not give the answer away.

Introduced in notebook 00. Every exercise in the workbook has a solution cell (your code) and
then a *check cell* that stays in the student copy. A check cell is two to six lines built from
these helpers:

- ``expect(globals(), "share", "the fraction of ...")`` returns the variable, or fails with
  ``define `share` — the fraction of ...`` when you have not defined it yet (never a bare
  ``NameError``);
- ``check(condition, message)`` fails with ``message`` when ``condition`` is false (shapes,
  ranges, orderings: properties that any right answer has);
- ``check_close(value, target, name, rtol=..., atol=...)`` compares with a tolerance against a
  number the notebook already shows (a formula, a helper's result);
- ``check_hash(value, digest, name, decimals=...)`` compares the *rounded* value with a stored
  digest (``answer_hash``), for a number whose printed value would give the answer away.

Every failure is an ``AssertionError`` whose message names the variable and what went wrong.

Examples
--------
>>> from retainkit.checks import answer_hash, check_hash, expect
>>> expect({}, "share", "the fraction of users who came back")
Traceback (most recent call last):
...
AssertionError: define `share` — the fraction of users who came back
>>> digest = answer_hash(0.25, decimals=2)
>>> check_hash(0.2501, digest, "share", decimals=2)
>>> check_hash(0.3, digest, "share", decimals=2)
Traceback (most recent call last):
...
AssertionError: `share` is not the expected value (compared after rounding to 2 decimals)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd

__all__ = ["answer_hash", "check", "check_close", "check_hash", "expect", "matches_hash"]

DIGEST_LENGTH = 16  # hex characters of sha256 kept: enough to tell answers apart


def expect(namespace: Mapping, name: str, what: str, *, kind: type | tuple | None = None):
    """Return ``namespace[name]``, or fail with ``define `name` — what`` when it is missing.

    Introduced in notebook 00. Call it as ``expect(globals(), "share", "the fraction of ...")``
    at the top of a check cell, once per variable the exercise asks for.

    Parameters
    ----------
    namespace : mapping
        Where to look, usually ``globals()`` of the notebook.
    name : str
        The variable the exercise asks you to define.
    what : str
        What the variable should hold, in words (shown in the failure message).
    kind : type or tuple of types, optional
        The type(s) the value must have, e.g. ``pd.Series`` or ``(int, float)``.

    Returns
    -------
    object
        The value of the variable.

    Raises
    ------
    AssertionError
        When the variable is missing or of the wrong type; the message names it.

    Examples
    --------
    >>> expect({"share": 0.25}, "share", "a fraction", kind=float)
    0.25
    >>> expect({"share": "25 %"}, "share", "a fraction", kind=float)
    Traceback (most recent call last):
    ...
    AssertionError: `share` should be a float (a fraction), got a str
    """
    if name not in namespace:
        raise AssertionError(f"define `{name}` — {what}")
    value = namespace[name]
    if kind is not None and not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(k.__name__ for k in kinds)
        raise AssertionError(
            f"`{name}` should be a {wanted} ({what}), got a {type(value).__name__}"
        )
    return value


def check(condition, message: str) -> None:
    """Fail with ``message`` unless ``condition`` is true.

    Introduced in notebook 00. Use it for properties every right answer has (a shape, a range,
    an ordering), phrased so the message says what to look at, not what the answer is.

    Parameters
    ----------
    condition : bool-like
        The property that must hold (a NumPy boolean is fine; an array is not).
    message : str
        What is wrong when it does not hold.

    Examples
    --------
    >>> check(3 > 2, "should be larger")
    >>> check(1 > 2, "`gap` should be positive")
    Traceback (most recent call last):
    ...
    AssertionError: `gap` should be positive
    """
    if not bool(condition):
        raise AssertionError(message)


def check_close(value, target, name: str, *, rtol: float = 0.0, atol: float = 0.0) -> None:
    """Fail unless ``|value - target| <= atol + rtol * |target|`` (elementwise).

    Introduced in notebook 01. ``rtol`` is relative to the target, ``atol`` absolute; give at
    least one. NaN matches NaN (an unfinished cell is unknown in both).

    Parameters
    ----------
    value, target : number or array-like of the same shape
        Your result and what it should be close to.
    name : str
        The variable's name, for the message.
    rtol, atol : float
        Relative and absolute tolerance.

    Examples
    --------
    >>> check_close(0.101, 0.1, "rate", rtol=0.02)
    >>> check_close([1.0, 2.5], [1.0, 2.0], "curve", atol=0.1)
    Traceback (most recent call last):
    ...
    AssertionError: `curve` is off by up to 0.5 (tolerance: atol 0.1, rtol 0)
    """
    if rtol <= 0 and atol <= 0:
        raise ValueError("check_close: give a positive rtol or atol")
    got = np.asarray(value, dtype=float)
    want = np.asarray(target, dtype=float)
    if got.shape != want.shape:
        raise AssertionError(f"`{name}` has shape {got.shape}, expected {want.shape}")
    both_nan = np.isnan(got) & np.isnan(want)
    error = np.where(both_nan, 0.0, np.abs(got - want))
    allowed = atol + rtol * np.abs(np.where(both_nan, 0.0, want))
    if not np.all(error <= allowed):  # NaN against a number gives a NaN error: fails
        worst = float(np.nanmax(error)) if np.any(~np.isnan(error)) else math.nan
        raise AssertionError(
            f"`{name}` is off by up to {worst:.3g} (tolerance: atol {atol:g}, rtol {rtol:g})"
        )


def _canonical(value, decimals: int | None) -> str:
    """A text form of ``value`` that is the same for equal answers on any machine."""
    if isinstance(value, pd.DataFrame):
        return _canonical({str(c): value[c] for c in value.columns}, decimals)
    if isinstance(value, pd.Series):
        return _canonical(dict(zip(map(str, value.index), value.to_numpy(), strict=True)),
                          decimals)
    if isinstance(value, Mapping):
        items = sorted((str(k), _canonical(v, decimals)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ",".join(_canonical(v, decimals) for v in np.asarray(value).ravel()) + "]"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        x = float(value)
        if math.isnan(x):
            return "nan"
        if decimals is None:
            if not x.is_integer():
                raise ValueError(f"answer_hash: give decimals= to hash the float {x!r}")
            return str(int(x))
        text = f"{round(x, decimals):.{decimals}f}"
        return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text
    if isinstance(value, str):
        return repr(value)
    raise TypeError(f"answer_hash: cannot hash a {type(value).__name__}")


def answer_hash(value, decimals: int | None = None) -> str:
    """A short digest of an answer, rounded to ``decimals``, to store in a check cell.

    Introduced in notebook 00. Numbers are rounded half-to-even to ``decimals`` and written
    with exactly that many digits (``-0.00`` counts as ``0.00``); Series and mappings are
    hashed by sorted key, so the order of rows does not matter; lists and arrays keep their
    order. Floats need ``decimals``; whole numbers and strings do not.

    Parameters
    ----------
    value : number, str, sequence, array, mapping, Series or DataFrame
        The answer.
    decimals : int, optional
        Decimals to round floats to before hashing.

    Returns
    -------
    str
        The first 16 hexadecimal characters of the SHA-256 of the canonical text.

    Examples
    --------
    >>> answer_hash({"ana": 4, "ben": 2}) == answer_hash(pd.Series({"ben": 2, "ana": 4}))
    True
    >>> answer_hash(0.1234, decimals=2) == answer_hash(0.12, decimals=2)
    True
    >>> len(answer_hash("recency_days"))
    16
    """
    text = _canonical(value, decimals)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def matches_hash(value, digest: str, decimals: int | None = None) -> bool:
    """Whether ``answer_hash(value, decimals)`` equals ``digest``.

    Introduced in notebook 00.

    Examples
    --------
    >>> matches_hash(7, answer_hash(7))
    True
    >>> matches_hash(7.2, answer_hash(7.0, decimals=0), decimals=0)
    True
    """
    return answer_hash(value, decimals) == digest


def check_hash(value, digest: str, name: str, *, decimals: int | None = None) -> None:
    """Fail unless ``value``, rounded to ``decimals``, hashes to ``digest``.

    Introduced in notebook 00. The message says what was compared but not the answer.

    Examples
    --------
    >>> check_hash({"ana": 3}, answer_hash({"ana": 3}), "active_days")
    >>> check_hash({"ana": 2}, answer_hash({"ana": 3}), "active_days")
    Traceback (most recent call last):
    ...
    AssertionError: `active_days` is not the expected value
    """
    try:
        ok = matches_hash(value, digest, decimals)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"`{name}` cannot be compared: {exc}") from None
    if not ok:
        how = "" if decimals is None else f" (compared after rounding to {decimals} decimals)"
        raise AssertionError(f"`{name}` is not the expected value{how}")
