"""Peeking at a running A/B test: how it inflates false positives, and a valid fix.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from retainkit.experiments._inputs import check_positive_int, check_probability

SPENDING = ("lan_demets", "classic")
GRID_POINTS = 401  # Simpson nodes per look (odd)


@dataclass(frozen=True)
class SequentialBoundaries:
    """Result of :func:`obrien_fleming_boundaries`.

    ``z`` holds the two-sided critical values ``|Z_k| >= z[k]`` per look, ``information``
    the information fractions ``t_k``, ``alpha_spent`` the cumulative probability of a
    false stop by each look under H0, ``nominal_p`` the two-sided p-value each look's
    boundary corresponds to.
    """

    information: np.ndarray
    z: np.ndarray
    alpha_spent: np.ndarray
    nominal_p: np.ndarray
    alpha: float
    spending: str


def _simpson_weights(m: int, width: float) -> np.ndarray:
    weights = np.ones(m)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return weights * width / (3 * (m - 1))


class _ContinuationDensity:
    """Sub-density of B(t_k) among paths that have not crossed a boundary yet, under H0.

    ``B`` is standard Brownian motion on the information scale (``B(t_k) = Z_k sqrt(t_k)``,
    bounds ``b_k = z_k sqrt(t_k)``). The density is carried from look to look on a Simpson
    grid (Armitage, McPherson & Rowe 1969); ``escape`` is the chance of crossing at the
    next look, which is all a boundary search needs.
    """

    def __init__(self, t_first: float, bound: float):
        self.t = t_first
        self.grid = np.linspace(-bound, bound, GRID_POINTS)
        density = stats.norm.pdf(self.grid, scale=np.sqrt(t_first))
        self.mass = density * _simpson_weights(GRID_POINTS, 2 * bound)

    def escape(self, t_next: float, bound: float) -> float:
        sd = np.sqrt(t_next - self.t)
        beyond = stats.norm.sf((bound - self.grid) / sd) + stats.norm.cdf((-bound - self.grid) / sd)
        return float(self.mass @ beyond)

    def advance(self, t_next: float, bound: float) -> None:
        sd = np.sqrt(t_next - self.t)
        grid = np.linspace(-bound, bound, GRID_POINTS)
        density = stats.norm.pdf(grid[:, None], loc=self.grid[None, :], scale=sd) @ self.mass
        self.t, self.grid = t_next, grid
        self.mass = density * _simpson_weights(GRID_POINTS, 2 * bound)


def _crossing_probabilities(information: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """P(the first crossing of ``|B(t_k)| >= bounds[k]`` is at look k) under H0, per look."""
    probabilities = [2 * stats.norm.sf(bounds[0] / np.sqrt(information[0]))]
    state = _ContinuationDensity(information[0], bounds[0])
    for k in range(1, len(bounds)):
        probabilities.append(state.escape(information[k], bounds[k]))
        if k < len(bounds) - 1:
            state.advance(information[k], bounds[k])
    return np.array(probabilities)


def obrien_fleming_boundaries(
    looks: int,
    alpha: float = 0.05,
    *,
    information=None,
    spending: str = "lan_demets",
) -> SequentialBoundaries:
    """Two-sided O'Brien-Fleming group-sequential boundaries: a valid way to peek.

    Introduced in notebook 08. At look k the z-statistic of the comparison (say
    :func:`compare_proportions`' ``statistic`` on the data so far) is compared with
    ``z[k]``; stop and reject H0 the first time ``|Z_k| >= z[k]``. Under H0 the chance of
    ever rejecting is ``alpha``, however many looks. Early boundaries are very strict and
    the last one is close to the fixed-sample 1.96, so little power is lost.

    * ``spending="lan_demets"`` (default): the Lan-DeMets (1983) O'Brien-Fleming-type
      alpha-spending function, applied to each side with half the level:
      ``a(t) = 2 - 2 Phi(z_{1 - alpha/4} / sqrt(t))`` per side, ``2 a(t)`` in all, so
      look k's boundary spends ``2 a(t_k) - 2 a(t_{k-1})``. This is the symmetric design
      of gsDesign (``sfLDOF`` with one-sided ``alpha/2``, ``test.type=2``) and rpact
      (``"asOF"``). It works for unequal, unplanned looks.
    * ``spending="classic"``: O'Brien & Fleming (1979), ``z[k] = C / sqrt(t_k)`` with the
      constant C chosen so that the overall level is ``alpha`` (C = 2.040 for 5 equal looks
      at 5 %, Jennison & Turnbull 2000, Table 2.3).

    The probabilities are computed by numerical integration of the joint normal law of
    ``Z_1..Z_K`` (``corr(Z_j, Z_k) = sqrt(t_j / t_k)``), not by simulation.

    Parameters
    ----------
    looks : int
        Number of analyses K, including the final one.
    alpha : float, default 0.05
        Overall two-sided type-I error.
    information : array-like of float, optional
        Information fractions ``0 < t_1 < ... < t_K = 1`` (share of the planned users
        analysed at each look); default equally spaced ``k / K``.
    spending : {"lan_demets", "classic"}, default "lan_demets"

    Returns
    -------
    SequentialBoundaries

    Examples
    --------
    >>> b = obrien_fleming_boundaries(5)
    >>> b.z.round(3).tolist()
    [4.877, 3.357, 2.68, 2.29, 2.031]
    >>> round(float(b.alpha_spent[-1]), 6)
    0.05
    """
    looks = check_positive_int(looks, name="looks")
    alpha = check_probability(alpha, name="alpha")
    if spending not in SPENDING:
        raise ValueError(f"spending must be one of {SPENDING}, got {spending!r}")
    if information is None:
        t = np.arange(1, looks + 1) / looks
    else:
        t = np.asarray(information, dtype=float).reshape(-1)
        if len(t) != looks:
            raise ValueError(f"information has {len(t)} values for looks={looks}")
        if not (np.all(np.diff(t) > 0) and t[0] > 0 and abs(t[-1] - 1) < 1e-12):
            raise ValueError(
                f"information must increase strictly from above 0 to exactly 1, got {list(t)}"
            )
    z_half = stats.norm.ppf(1 - alpha / 2)
    if spending == "classic":

        def excess(constant: float) -> float:  # on the B scale every bound is the constant
            return _crossing_probabilities(t, np.full(looks, constant)).sum() - alpha

        constant = optimize.brentq(excess, z_half, z_half * np.sqrt(looks) + 1, xtol=1e-12)
        z = constant / np.sqrt(t)
    else:
        # each side spends alpha/2 by the O'Brien-Fleming-type function (gsDesign's sfLDOF)
        per_side = 2 * stats.norm.sf(stats.norm.isf(alpha / 4) / np.sqrt(t))
        increments = np.diff(2 * per_side, prepend=0.0)
        z = np.empty(looks)
        z[0] = stats.norm.isf(per_side[0])
        state = _ContinuationDensity(t[0], z[0] * np.sqrt(t[0]))
        for k in range(1, looks):
            root_t = np.sqrt(t[k])

            def excess(candidate: float, k: int = k, root_t: float = root_t) -> float:
                return state.escape(t[k], candidate * root_t) - increments[k]

            z[k] = optimize.brentq(excess, 0.1, 40.0, xtol=1e-12)
            if k < looks - 1:
                state.advance(t[k], z[k] * root_t)
    crossing = _crossing_probabilities(t, z * np.sqrt(t))
    return SequentialBoundaries(
        information=t,
        z=z,
        alpha_spent=np.cumsum(crossing),
        nominal_p=2 * stats.norm.sf(z),
        alpha=alpha,
        spending=spending,
    )


@dataclass(frozen=True)
class PeekingResult:
    """Result of :func:`peeking_type_one_error`: false-positive rates of A/A tests.

    ``single_look_rate``: one test at the end. ``naive_rate``: stop at the first look with
    p < alpha. ``sequential_rate``: stop at the first look beyond the O'Brien-Fleming
    boundary. ``naive_rate_by_looks[k - 1]``: the naive rate had the test stopped after
    look k. ``*_se`` are Monte-Carlo standard errors.
    """

    n_sims: int
    looks: int
    n_per_look: int
    alpha: float
    single_look_rate: float
    naive_rate: float
    sequential_rate: float
    naive_rate_by_looks: np.ndarray
    boundaries: SequentialBoundaries
    single_look_se: float
    naive_se: float
    sequential_se: float


def peeking_type_one_error(
    n_sims: int = 10_000,
    looks: int = 10,
    n_per_look: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
    *,
    base_rate: float = 0.3,
) -> PeekingResult:
    """Simulate A/A tests on a retention rate to show what peeking does to false positives.

    Introduced in notebook 08. Each simulated test has no true effect: both arms retain
    users with probability ``base_rate``. At each of ``looks`` analyses, ``n_per_look``
    more users per arm have their outcome, and the pooled two-proportion z-statistic of
    everyone so far is computed (as :func:`compare_proportions`). The type-I error is
    the share of tests that ever declare a difference:

    * checking once at the end keeps it at ``alpha``;
    * stopping at the first look with ``|Z| >= z_{1 - alpha/2}`` (naive peeking) inflates
      it, more with every look (about 19 % for 10 looks at 5 %);
    * stopping at the first look beyond :func:`obrien_fleming_boundaries` keeps it at
      ``alpha``.

    The per-look counts are drawn as binomials, the exact law of the sum of 0/1 outcomes,
    so the simulation is fast.

    Parameters
    ----------
    n_sims : int, default 10_000
        Simulated A/A tests.
    looks : int, default 10
    n_per_look : int, default 200
        New users per arm between looks.
    alpha : float, default 0.05
    seed : int, default 0
    base_rate : float, default 0.3
        The retention rate of both arms.

    Returns
    -------
    PeekingResult

    Examples
    --------
    >>> r = peeking_type_one_error(n_sims=2_000, looks=5, seed=1)
    >>> r.naive_rate > r.single_look_rate, r.sequential_rate < 0.06
    (True, True)
    """
    n_sims = check_positive_int(n_sims, name="n_sims")
    looks = check_positive_int(looks, name="looks")
    n_per_look = check_positive_int(n_per_look, name="n_per_look")
    alpha = check_probability(alpha, name="alpha")
    base_rate = check_probability(base_rate, name="base_rate")
    rng = np.random.default_rng(seed)
    successes = rng.binomial(n_per_look, base_rate, size=(2, n_sims, looks)).cumsum(axis=2)
    n = n_per_look * np.arange(1, looks + 1)
    pooled = successes.sum(axis=0) / (2 * n)
    se = np.sqrt(pooled * (1 - pooled) * 2 / n)
    difference = (successes[1] - successes[0]) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, difference / se, 0.0)

    z_fixed = stats.norm.ppf(1 - alpha / 2)
    boundaries = obrien_fleming_boundaries(looks, alpha)
    beyond_fixed = np.abs(z) >= z_fixed
    naive_by_looks = np.logical_or.accumulate(beyond_fixed, axis=1).mean(axis=0)
    single = float(beyond_fixed[:, -1].mean())
    naive = float(naive_by_looks[-1])
    sequential = float((np.abs(z) >= boundaries.z).any(axis=1).mean())

    def mc_se(rate: float) -> float:
        return float(np.sqrt(rate * (1 - rate) / n_sims))

    return PeekingResult(
        n_sims=n_sims,
        looks=looks,
        n_per_look=n_per_look,
        alpha=alpha,
        single_look_rate=single,
        naive_rate=naive,
        sequential_rate=sequential,
        naive_rate_by_looks=naive_by_looks,
        boundaries=boundaries,
        single_look_se=mc_se(single),
        naive_se=mc_se(naive),
        sequential_se=mc_se(sequential),
    )
