"""The sample-ratio-mismatch (SRM) check on assignment counts.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit.experiments._inputs import check_probability


@dataclass(frozen=True)
class SRMResult:
    """Result of :func:`srm_test`: chi-square statistic, p-value, observed and expected."""

    statistic: float
    p_value: float
    degrees_of_freedom: int
    observed: pd.Series
    expected: pd.Series
    mismatch: bool
    alpha: float


def srm_test(counts, expected_shares=None, *, alpha: float = 0.001) -> SRMResult:
    """Sample-ratio-mismatch test: were users assigned in the planned proportions?

    Introduced in notebook 08. Pearson's chi-square goodness-of-fit test of the assignment
    counts against the planned shares: ``statistic = sum (O - E)**2 / E`` with ``E =
    share * total``, on ``k - 1`` degrees of freedom. A small p-value means the split is
    not what was planned (a bug in assignment, logging or eligibility) and the experiment's
    comparison cannot be trusted. ``mismatch`` is ``p_value < alpha``; the conventional
    ``alpha=0.001`` keeps false alarms rare when every experiment is checked. The p-value
    equals ``scipy.stats.chisquare``.

    Parameters
    ----------
    counts : mapping, pandas.Series or sequence of int
        Users per arm, e.g. ``assignment.value_counts()``.
    expected_shares : mapping, pandas.Series or sequence of float, optional
        Planned share of each arm (summing to 1), matched by arm name when ``counts`` has
        names; default equal shares.
    alpha : float, default 0.001

    Returns
    -------
    SRMResult

    Examples
    --------
    >>> r = srm_test({"control": 5_000, "treatment": 5_200})
    >>> round(r.statistic, 3), round(r.p_value, 4), r.mismatch
    (3.922, 0.0477, False)
    >>> round(srm_test([900, 100], [0.9, 0.1]).p_value, 3)
    1.0
    """
    alpha = check_probability(alpha, name="alpha")
    if isinstance(counts, Mapping | pd.Series):
        observed = pd.Series(counts, dtype=float)
    else:
        observed = pd.Series(np.asarray(counts, dtype=float))
    if len(observed) < 2:
        raise ValueError(f"counts needs at least two arms, got {len(observed)}")
    values = observed.to_numpy()
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        raise ValueError(f"counts must be non-negative whole numbers; bad: {dict(observed[bad])}")
    if values.sum() == 0:
        raise ValueError("counts are all 0: nobody was assigned")
    if expected_shares is None:
        shares = pd.Series(1.0 / len(observed), index=observed.index)
    elif isinstance(expected_shares, Mapping | pd.Series):
        shares = pd.Series(expected_shares, dtype=float)
        if set(shares.index) != set(observed.index):
            raise ValueError(
                f"expected_shares names {sorted(map(str, shares.index))} do not match the "
                f"arms in counts {sorted(map(str, observed.index))}"
            )
        shares = shares.loc[observed.index]
    else:
        planned = np.asarray(expected_shares, dtype=float).reshape(-1)
        if len(planned) != len(observed):
            raise ValueError(
                f"expected_shares has {len(planned)} values for {len(observed)} arms in counts"
            )
        shares = pd.Series(planned, index=observed.index)
    if not np.all(np.isfinite(shares)) or (shares <= 0).any() or abs(shares.sum() - 1) > 1e-9:
        raise ValueError(
            f"expected_shares must be positive and sum to 1, got {list(shares)} "
            f"(sum {shares.sum():g})"
        )
    expected = shares * values.sum()
    statistic = float(((observed - expected) ** 2 / expected).sum())
    dof = len(observed) - 1
    p_value = float(stats.chi2.sf(statistic, dof))
    return SRMResult(
        statistic=statistic,
        p_value=p_value,
        degrees_of_freedom=dof,
        observed=observed,
        expected=expected,
        mismatch=p_value < alpha,
        alpha=alpha,
    )
