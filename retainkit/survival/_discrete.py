"""Discrete-time hazard by logistic regression on person-period data (``retainkit.survival``).

Introduced in notebook 03; it is the bridge to notebook 05's discrete-time survival network,
which fits the same likelihood with a neural network in place of the linear predictor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from retainkit._validation import Problems, check_conf_level
from retainkit.survival._checks import as_survival_data


def _check_cuts(cuts) -> np.ndarray:
    edges = np.asarray(cuts, dtype=float)
    if edges.ndim != 1 or len(edges) < 2:
        raise ValueError(f"cuts must be at least two interval edges in days, got {cuts!r}")
    if not np.isfinite(edges).all() or edges[0] != 0 or (np.diff(edges) <= 0).any():
        raise ValueError(
            f"cuts must start at 0 and increase strictly (finite days), got {edges.tolist()}"
        )
    return edges


def person_period(durations, observed, cuts) -> pd.DataFrame:
    """Expand survival data to one row per user and interval at risk (person-period data).

    Introduced in notebook 03. Time is in days; ``observed=True`` means the churn was seen.
    ``cuts`` are the interval edges ``0 = c_0 < c_1 < ... < c_J``; interval j is
    ``[c_j, c_{j+1})``. A user with duration t has a row for every interval with
    ``c_j <= t`` (at risk at its start), with ``churned = 1`` in the interval holding t if
    the churn was seen and 0 elsewhere. A censored user counts as having survived the
    interval in which they were censored (exact when the cuts are at the resolution of the
    data, e.g. whole days for day-granular durations; otherwise it slightly overstates
    survival, as the life table without its half-interval correction). Users still there at
    ``c_J`` have rows for every interval and no churn: follow-up is cut at ``c_J``.

    Returns
    -------
    pandas.DataFrame
        Columns ``subject`` (position of the user in the input), ``interval`` (0..J-1),
        ``start``, ``end`` (days) and ``churned`` (0/1), sorted by subject and interval.

    Examples
    --------
    >>> person_period([0.5, 2.0, 2.5], [1, 0, 1], cuts=[0, 1, 2, 3])
       subject  interval  start  end  churned
    0        0         0    0.0  1.0        1
    1        1         0    0.0  1.0        0
    2        1         1    1.0  2.0        0
    3        1         2    2.0  3.0        0
    4        2         0    0.0  1.0        0
    5        2         1    1.0  2.0        0
    6        2         2    2.0  3.0        1
    """
    t, e = as_survival_data(durations, observed)
    edges = _check_cuts(cuts)
    # the interval holding t (J when t >= c_J: beyond the last interval)
    last = np.searchsorted(edges, t, side="right") - 1
    rows = np.minimum(last, len(edges) - 2) + 1  # intervals at risk: 0..min(last, J-1)
    subject = np.repeat(np.arange(len(t)), rows)
    interval = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows)
    churned = (e[subject] & (interval == last[subject])).astype(np.int64)
    return pd.DataFrame({
        "subject": subject,
        "interval": interval,
        "start": edges[interval],
        "end": edges[interval + 1],
        "churned": churned,
    })


@dataclass(frozen=True, eq=False)  # eq=False: holds pandas and statsmodels objects
class DiscreteHazardFit:
    """Result of :func:`fit_discrete_hazard`.

    ``hazard``: per interval ``start``, ``end``, ``at_risk``, ``churned``, the baseline
    ``hazard`` P(churn in the interval | at risk at its start; covariates 0) with
    ``ci_lower``/``ci_upper``, and ``survival`` at the interval's end. ``coefficients``:
    per covariate the log odds ratio ``coef``, ``se``, ``odds_ratio`` and its interval,
    ``p_value``. ``result`` is the statsmodels GLM result.
    """

    hazard: pd.DataFrame
    coefficients: pd.DataFrame
    log_likelihood: float
    n_subjects: int
    n_rows: int
    conf_level: float
    result: object


def fit_discrete_hazard(
    durations, observed, cuts, *, covariates=None, conf_level: float = 0.95
) -> DiscreteHazardFit:
    """Fit a discrete-time hazard model: logistic regression on person-period data.

    Introduced in notebook 03. Time is cut into intervals by ``cuts`` (days; see
    :func:`person_period`); the **discrete hazard** ``h_j(x) = P(churn in interval j |
    at risk at its start, x)`` is modelled on the logit scale,
    ``logit h_j(x) = alpha_j + beta' x``, with one indicator per interval (``alpha_j``, the
    baseline) and the covariates ``x``. The person-period rows are independent Bernoulli
    trials in the likelihood (censoring is handled by having no rows after it), so the fit
    is a binomial GLM (statsmodels ``GLM(..., family=Binomial())``, logit link). Without
    covariates the indicators make it saturated and ``h_j = d_j / n_j`` exactly: the
    life-table hazard. For durations in whole days and a cut at every day, each interval
    holds one time, ``h_j`` is the Kaplan-Meier hazard of that day and ``survival`` the
    Kaplan-Meier curve (tested to 1e-6). ``exp(beta)`` is an odds ratio
    per interval, close to a hazard ratio when hazards are small.

    Parameters
    ----------
    durations, observed : array-like
        As in ``kaplan_meier`` (days; True = churn seen).
    cuts : array-like of float
        Interval edges in days, starting at 0 and increasing.
    covariates : pandas.DataFrame or 2-D array, optional
        Numeric covariates, one row per user in the order of ``durations``.
    conf_level : float, default 0.95

    Returns
    -------
    DiscreteHazardFit

    Raises
    ------
    ValueError
        For an interval where nobody or everybody at risk churns (its indicator's estimate
        is infinite: merge it with a neighbour) or nobody is at risk, and for missing or
        non-numeric covariates; every problem at once.

    Examples
    --------
    >>> fit = fit_discrete_hazard([0, 0, 1, 1, 1, 2, 3, 3], [1, 0, 1, 1, 0, 1, 1, 0],
    ...                           cuts=[0, 1, 2, 4])
    >>> fit.hazard[["at_risk", "churned", "hazard", "survival"]].round(3)  # 1/8, 2/6, 2/3
              at_risk  churned  hazard  survival
    interval
    0               8        1   0.125     0.875
    1               6        2   0.333     0.583
    2               3        2   0.667     0.194
    """
    try:
        import statsmodels.api as sm
    except ImportError as err:  # a dev dependency of retainkit
        raise ImportError("fit_discrete_hazard needs statsmodels: pip install statsmodels") \
            from err
    conf_level = check_conf_level(conf_level)
    rows = person_period(durations, observed, cuts)
    n_subjects = len(as_survival_data(durations, observed)[0])
    x, names = _covariate_matrix(covariates, n_subjects)
    edges = _check_cuts(cuts)
    per_interval = rows.groupby("interval")["churned"].agg(["size", "sum"]).reindex(
        range(len(edges) - 1), fill_value=0)
    problems = Problems()
    for j, (n_j, d_j) in per_interval.iterrows():
        where = f"interval {j} [{edges[j]:g}, {edges[j + 1]:g}) days"
        if n_j == 0:
            problems.append(f"cuts: nobody is at risk in {where}; drop the cuts beyond the data")
        elif d_j in (0, n_j):
            problems.append(
                f"cuts: {'no' if d_j == 0 else 'every'} user at risk churns in {where} "
                f"({d_j} of {n_j}): its hazard is {d_j // n_j} and its logit infinite; merge it "
                "with a neighbouring interval"
            )
    problems.raise_if_any(what="the intervals")

    indicators = np.eye(len(edges) - 1)[rows["interval"].to_numpy()]
    design = np.hstack([indicators, x[rows["subject"].to_numpy()]])
    result = sm.GLM(rows["churned"].to_numpy(float), design,
                    family=sm.families.Binomial()).fit(tol=1e-12)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    coef, se = np.asarray(result.params), np.asarray(result.bse)
    k = len(edges) - 1
    hazard = special.expit(coef[:k])
    table = pd.DataFrame({
        "start": edges[:-1],
        "end": edges[1:],
        "at_risk": per_interval["size"].to_numpy(),
        "churned": per_interval["sum"].to_numpy(),
        "hazard": hazard,
        "ci_lower": special.expit(coef[:k] - z * se[:k]),
        "ci_upper": special.expit(coef[:k] + z * se[:k]),
        "survival": np.cumprod(1 - hazard),
    }, index=pd.Index(range(k), name="interval"))
    b, b_se = coef[k:], se[k:]
    coefficients = pd.DataFrame({
        "coef": b,
        "se": b_se,
        "odds_ratio": np.exp(b),
        "or_ci_lower": np.exp(b - z * b_se),
        "or_ci_upper": np.exp(b + z * b_se),
        "p_value": 2 * stats.norm.sf(np.abs(b / b_se)) if len(b) else b,
    }, index=pd.Index(names, name="covariate"))
    return DiscreteHazardFit(
        hazard=table,
        coefficients=coefficients,
        log_likelihood=float(result.llf),
        n_subjects=n_subjects,
        n_rows=len(rows),
        conf_level=conf_level,
        result=result,
    )


def _covariate_matrix(covariates, n: int) -> tuple[np.ndarray, list[str]]:
    """Covariates as an (n, p) float matrix and their names; problems raise at once."""
    if covariates is None:
        return np.empty((n, 0)), []
    frame = covariates if isinstance(covariates, pd.DataFrame) else pd.DataFrame(
        np.asarray(covariates)).add_prefix("x")
    if len(frame) != n:
        raise ValueError(f"covariates has {len(frame)} rows but durations has length {n}")
    problems = Problems()
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            problems.append(f"column {column!r} (covariates) is not numeric (dtype "
                            f"{values.dtype}); encode it as 0/1 columns (pd.get_dummies)")
        else:
            problems.rows(frame, values.isna().to_numpy(), "missing value", str(column))
    problems.raise_if_any(what="covariates")
    return frame.to_numpy(dtype=float), [str(c) for c in frame.columns]
