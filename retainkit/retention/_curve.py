"""Average retention curve of a cohort table, with confidence intervals (private module)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from retainkit._validation import check_choice, check_conf_level, table_counts

INTERVALS = ("wilson", "bootstrap", "none")


def retention_curve(
    table: pd.DataFrame,
    *,
    interval: str = "wilson",
    conf_level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    by: str | None = None,
) -> pd.DataFrame:
    """The average retention curve of a cohort table: complete cells only, weighted by size.

    Introduced in notebook 02. For each period k, the curve is the number of retained users
    summed over the cohorts whose cell k is complete, divided by the summed sizes of those
    same cohorts: a cohort-size-weighted (pooled) average. Analytics tools' "average" rows
    are weighted averages too, but their documented formulas differ in detail (Mixpanel's,
    for one, weights differently), so check before comparing numbers. Incomplete (NaN)
    cells are left out, never read as 0, so the right end of the curve rests on fewer,
    older cohorts (the ``cohorts`` and ``users`` columns say how many).

    Intervals:

    - ``"wilson"``: the Wilson score interval for a binomial proportion with ``users``
      trials. It treats users as independent, which fails for ``cohort="recurring"`` tables
      (one user sits in several rows); use the bootstrap there.
    - ``"bootstrap"``: percentile interval from resampling the complete cohorts with
      replacement (``n_boot`` resamples, ``seed``); it reflects cohort-to-cohort variation
      and collapses to a point when a single cohort is complete.
    - ``"none"``: no interval (the bounds are NaN).

    Column 0 is 1.0 by definition, so its interval is [1, 1].

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`retention_table` or :func:`bracket_retention` (rates or counts).
    interval : {"wilson", "bootstrap", "none"}
    conf_level : float, default 0.95
    n_boot : int, default 2000
    seed : int, default 0
    by : str, optional
        For a table broken down with ``retention_table(..., by=...)``: the segment level's
        name; the result then has one curve per segment (a first index level). Such a table
        without ``by`` raises rather than pooling the segments silently.

    Returns
    -------
    pandas.DataFrame
        Indexed by the table's period columns (name ``period``), with columns
        ``retention``, ``ci_lower``, ``ci_upper``, ``retained`` (users), ``users`` (summed
        size of the contributing cohorts) and ``cohorts`` (how many contributed).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"user_id": ["ana", "ana", "ben", "ben", "cy"], "event": "visit",
    ...     "timestamp": pd.to_datetime(["2025-03-01 09:00", "2025-03-02 10:00",
    ...         "2025-03-01 23:50", "2025-03-03 08:00", "2025-03-02 12:00"], utc=True)})
    >>> from retainkit.retention import retention_table
    >>> table = retention_table(log, as_of="2025-03-05")
    >>> retention_curve(table).round(3)
            retention  ci_lower  ci_upper  retained  users  cohorts
    period
    0           1.000     1.000     1.000       3.0    3.0        2
    1           0.333     0.061     0.792       1.0    3.0        2
    2           0.333     0.061     0.792       1.0    3.0        2
    3           0.000     0.000     0.658       0.0    2.0        1

    Day 3 rests on the 1 March cohort only (2 users): the 2 March cohort's day 3 is not over.
    """
    check_choice("interval", interval, INTERVALS)
    conf_level = check_conf_level(conf_level)
    multi = isinstance(getattr(table, "index", None), pd.MultiIndex)
    levels = [name for name in table.index.names if name != "cohort"] if multi else []
    if by is not None:
        if by not in levels:
            raise ValueError(f"by={by!r} is not an index level of the table; its levels are "
                             f"{list(table.index.names)}")
        parts = {value: retention_curve(part.droplevel(by), interval=interval,
                                        conf_level=conf_level, n_boot=n_boot, seed=seed)
                 for value, part in table.groupby(level=by, sort=False)}
        return pd.concat(parts, names=[by])
    if levels:
        raise ValueError(f"the table is broken down by {levels}: pass by={levels[0]!r} for one "
                         "curve per segment (pooling segments would hide the breakdown)")
    sizes, counts = table_counts(table)
    complete = counts.notna().to_numpy()
    x = np.where(complete, counts.to_numpy(), 0.0)
    n = complete * sizes[:, None]
    retained, users = x.sum(axis=0), n.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        retention = retained / users
    if interval == "wilson":
        lower, upper = wilson_interval(retained, users, conf_level)
    elif interval == "bootstrap":
        lower, upper = _bootstrap(x, n, complete, conf_level, n_boot, seed)
    else:
        lower = upper = np.full(len(retention), np.nan)
    curve = pd.DataFrame(
        {
            "retention": retention,
            "ci_lower": lower,
            "ci_upper": upper,
            "retained": retained,
            "users": users,
            "cohorts": complete.sum(axis=0),
        },
        index=pd.Index(counts.columns.to_list(), name="period"),  # int64 for day-N tables
    )
    if 0 in curve.index and interval != "none":
        curve.loc[0, ["ci_lower", "ci_upper"]] = 1.0
    curve.attrs["retainkit"] = dict(table.attrs.get("retainkit", {}), kind="retention_curve",
                                    interval=interval, conf_level=conf_level)
    return curve


def wilson_interval(successes, trials, conf_level: float = 0.95):
    """Wilson score interval for ``successes`` out of ``trials`` (NaN where trials == 0).

    Introduced in notebook 02. With p = x / n and z the standard-normal quantile for
    ``conf_level``: centre (p + z^2 / 2n) / (1 + z^2 / n), half-width
    z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2). Unlike the Wald interval it stays
    inside [0, 1] and does not collapse to a point at p = 0 or 1.

    Examples
    --------
    >>> lower, upper = wilson_interval(3, 10)
    >>> round(float(lower), 3), round(float(upper), 3)
    (0.108, 0.603)
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def _bootstrap(x, n, complete, conf_level, n_boot, seed):
    rng = np.random.default_rng(seed)
    n_periods = x.shape[1]
    lower, upper = np.full(n_periods, np.nan), np.full(n_periods, np.nan)
    alpha = (1 - conf_level) / 2
    for k in range(n_periods):  # one vectorised resampling per period
        rows = np.flatnonzero(complete[:, k])
        if len(rows) == 0:
            continue
        picks = rng.integers(0, len(rows), size=(n_boot, len(rows)))
        num = x[rows, k][picks].sum(axis=1)
        den = n[rows, k][picks].sum(axis=1)
        estimates = num / den
        lower[k], upper[k] = np.quantile(estimates, [alpha, 1 - alpha])
    return lower, upper
