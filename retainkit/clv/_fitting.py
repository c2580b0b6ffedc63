"""What the customer-base models share: reading an RFM summary, and maximum likelihood."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize

MAX_SHOWN = 5
LOG_BOX = np.log(1e7)  # the search stays within 1e-7 < parameter < 1e7 ...
LOG_RUNAWAY = np.log(1e6)  # ... and stops with an error once one passes 1e-6 or 1e6


def _rows(summary: pd.DataFrame, mask: np.ndarray, problem: str) -> str:
    n = int(mask.sum())
    first = f"first {MAX_SHOWN}" if n > MAX_SHOWN else "all of them"
    return f"{problem} in {n} row(s); {first}:\n{summary.loc[mask].head(MAX_SHOWN).to_string()}"


def summary_columns(summary, columns: tuple[str, ...], caller: str) -> dict[str, np.ndarray]:
    """The named columns of an RFM summary as float arrays, after checking them all.

    Checks, all reported in one ``ValueError``: the columns exist and are numeric and
    finite; ``frequency`` is a non-negative whole number; ``0 <= recency <= T``; recency is 0
    when frequency is 0; durations are non-negative.
    """
    if not isinstance(summary, pd.DataFrame):
        raise ValueError(
            f"{caller}: summary must be a DataFrame such as rfm_summary() returns, "
            f"got {type(summary).__name__}"
        )
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ValueError(
            f"{caller}: summary has no column {missing} (it has {list(summary.columns)}); "
            "make it with retainkit.clv.rfm_summary"
        )
    if len(summary) == 0:
        raise ValueError(f"{caller}: summary has no rows")
    problems: list[str] = []
    arrays: dict[str, np.ndarray] = {}
    for col in columns:
        dtype = summary[col].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            problems.append(f"column {col!r} must be numeric, got dtype {dtype}")
            continue
        values = summary[col].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            problems.append(_rows(summary, bad, f"column {col!r}: missing or infinite value"))
        elif (values < 0).any():
            problems.append(_rows(summary, values < 0, f"column {col!r}: negative value"))
        else:
            arrays[col] = values
    for col in ("frequency", "frequency_holdout"):
        if col in arrays and (arrays[col] != np.round(arrays[col])).any():
            mask = arrays[col] != np.round(arrays[col])
            problems.append(_rows(summary, mask, f"column {col!r}: not a whole number"))
    if {"frequency", "recency", "T"} <= arrays.keys():
        x, recency, age = arrays["frequency"], arrays["recency"], arrays["T"]
        after = recency > age * (1 + 1e-12)
        if after.any():
            problems.append(_rows(summary, after, "column 'recency': larger than 'T'"))
        lonely = (x == 0) & (recency != 0)
        if lonely.any():
            problems.append(
                _rows(summary, lonely, "column 'recency': not 0 although 'frequency' is 0")
            )
    if problems:
        raise ValueError(f"{caller}: bad summary\n" + "\n".join(problems))
    return arrays


def check_parameters(fit) -> None:
    """Every model parameter must be a positive finite number (called by the fits' classes)."""
    bad = {k: v for k, v in fit.params.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise ValueError(f"{type(fit).__name__}: parameters must be positive numbers, got {bad}")


def horizon(t, n: int, name: str = "t") -> np.ndarray:
    """A future period length: a non-negative scalar, or one value per customer."""
    values = np.asarray(t, dtype=float)
    if values.ndim == 0:
        values = np.full(n, float(values))
    if values.shape != (n,):
        raise ValueError(
            f"{name} must be a number or one value per customer ({n}), got shape {values.shape}"
        )
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError(f"{name} must be finite and non-negative")
    return values


def maximise(
    log_likelihood: Callable[[np.ndarray], float],
    names: tuple[str, ...],
    n: int,
    caller: str,
    runaway_hint: str,
) -> tuple[dict[str, float], float, dict[str, float]]:
    """Maximise a log-likelihood of positive parameters; their estimates, LL and standard errors.

    The search runs over the log-parameters (so every step stays positive) on the mean
    log-likelihood per customer (so the tolerances mean the same for 100 or 100,000
    customers): Nelder-Mead from all parameters = 1, restarted once from its own answer
    (a cheap guard against a collapsed simplex), within 1e-7 < θ < 1e7; an estimate
    beyond 1e-6 or 1e6 raises, as the data then do not identify it. Standard errors come
    from the inverse of a central-difference Hessian on the log scale, mapped back by the
    delta method (se(θ) = θ se(log θ)).
    """

    def mean_negative(log_params: np.ndarray) -> float:
        if np.abs(log_params).max() > LOG_BOX:  # far past the runaway check below
            return np.inf
        value = log_likelihood(np.exp(log_params)) / n
        return -value if np.isfinite(value) else np.inf

    def stop_when_running_away(intermediate_result) -> None:
        # Along a ridge to infinity the search would crawl for thousands of evaluations.
        if np.abs(intermediate_result.x).max() > LOG_RUNAWAY:
            raise StopIteration

    options = {"xatol": 1e-8, "fatol": 1e-12, "maxiter": 5_000, "maxfev": 5_000}
    start = np.zeros(len(names))
    for _ in range(2):
        result = optimize.minimize(
            mean_negative,
            start,
            method="Nelder-Mead",
            options=options,
            callback=stop_when_running_away,
        )
        start = result.x
    params = np.exp(result.x)
    runaway = [
        f"{k}={v:.3g}" for k, v in zip(names, params, strict=True) if abs(np.log(v)) >= LOG_RUNAWAY
    ]
    if runaway:
        raise ValueError(
            f"{caller}: parameter(s) {', '.join(runaway)} ran off towards 0 or infinity, so "
            f"the data do not identify the model ({runaway_hint})"
        )
    if not result.success or not np.isfinite(result.fun):
        raise ValueError(f"{caller} did not converge: {result.message}")
    hessian = _hessian(lambda p: n * mean_negative(p), result.x)
    try:
        covariance = np.linalg.inv(hessian)
        se_log = np.sqrt(np.diag(covariance))
    except np.linalg.LinAlgError:
        se_log = np.full(len(names), np.nan)
    estimates = {k: float(v) for k, v in zip(names, params, strict=True)}
    errors = {k: float(v * s) for k, v, s in zip(names, params, se_log, strict=True)}
    return estimates, float(log_likelihood(params)), errors


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    k = len(x)
    h = np.empty((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            h[i, j] = h[j, i] = (
                f(x + eye[i] + eye[j])
                - f(x + eye[i] - eye[j])
                - f(x - eye[i] + eye[j])
                + f(x - eye[i] - eye[j])
            ) / (4 * step * step)
    return h


class TransactionModel:
    """Predictions shared by the BG/NBD and Pareto/NBD fits (each supplies the formulas)."""

    def _probability_alive(self, x, recency, age):  # pragma: no cover - subclasses
        raise NotImplementedError

    def _conditional_expected(self, t, x, recency, age):  # pragma: no cover - subclasses
        raise NotImplementedError

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """P(alive at T | frequency, recency, T), one value per row of ``summary``.

        Introduced in notebook 10. ``summary`` has the columns ``frequency``, ``recency``
        and ``T`` of :func:`retainkit.clv.rfm_summary`, in the time unit of the fit.
        """
        name = f"{type(self).__name__}.probability_alive"
        cols = summary_columns(summary, ("frequency", "recency", "T"), name)
        values = self._probability_alive(cols["frequency"], cols["recency"], cols["T"])
        return pd.Series(values, index=summary.index, name="p_alive")

    def conditional_expected_transactions(self, t, summary: pd.DataFrame) -> pd.Series:
        """E[Y(t) | frequency, recency, T]: expected transactions in the next ``t`` time units.

        Introduced in notebook 10. ``t`` is a period length in the fit's time unit (a number,
        or one per row of ``summary``), starting at each customer's ``T``. ``summary`` has
        the columns ``frequency``, ``recency`` and ``T`` of
        :func:`retainkit.clv.rfm_summary`.
        """
        name = f"{type(self).__name__}.conditional_expected_transactions"
        cols = summary_columns(summary, ("frequency", "recency", "T"), name)
        t = horizon(t, len(summary))
        values = self._conditional_expected(t, cols["frequency"], cols["recency"], cols["T"])
        return pd.Series(values, index=summary.index, name="expected_transactions")
