"""The oracle at horizons as short as a session (issue 16, finding 8), by Monte Carlo.

For horizons of minutes, what decides P(no event in (c, c + h]) is whether a session already in
progress at c has a further event within h. The oracle used to count every later event of
such a session as if it fell inside the horizon (right for h much longer than a session, too
pessimistic for h = 10 minutes: -0.005 on P in the social preset). Here the same users are
re-simulated from sign-up hundreds of times with fresh randomness, and the oracle must match
the share of replicates alive at c with no event in (c, c + h] within the Monte-Carlo
standard error; the old formula (the session's limit at every horizon) must fail the same test.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from retainkit.simulate import _oracle as so
from retainkit.simulate import _process as sp
from retainkit.simulate import simulate_app

HORIZONS_MIN = (10.0, 60.0)


def resimulate(sim, pop, c, reps, seed, batch=100):
    """Per user: replicates alive at c, and for each horizon the replicates alive at c with no
    event in (c, c + h]. Events are simulated from sign-up to c + max(h) with the simulator's
    own functions and fresh random numbers, in batches of ``batch`` replicates."""
    h_days = np.array(HORIZONS_MIN) / sp.MINUTES_PER_DAY
    n_alive = np.zeros(pop["signup"].size)
    n_quiet = np.zeros((h_days.size, pop["signup"].size))
    for b in range(reps // batch):
        rng = np.random.default_rng([seed, b])
        stacked = {key: np.tile(value, batch) for key, value in pop.items()}
        churn = sp.draw_churn_times(stacked, sim.params, rng)
        user, us, _ = sp.simulate_events(
            stacked, churn, sim._cal, sim.params, c + h_days.max(), rng
        )
        alive = (churn > c).reshape(batch, -1)
        n_alive += alive.sum(axis=0)
        after = us > np.rint(c * sp.DAY_US)
        for j, h in enumerate(h_days):
            active = np.zeros(churn.size, bool)
            active[user[after & (us <= np.rint((c + h) * sp.DAY_US))]] = True
            n_quiet[j] += (alive & ~active.reshape(batch, -1)).sum(axis=0)
    return n_alive, n_quiet


def bias_and_se(oracle, n_alive, n_quiet):
    """Mean of oracle - observed over user-replicates alive at c, and its Monte-Carlo se."""
    ok = n_alive > 0
    weight, p = n_alive[ok], oracle[ok]
    bias = (weight * p - n_quiet[ok]).sum() / weight.sum()
    se = np.sqrt((weight * p * (1 - p)).sum()) / weight.sum()
    return bias, se


def limit_only(real):
    """The old spill term: the no-later-event limit at every node after c."""

    def spill(*args, **kwargs):
        near, limit = real(*args, **kwargs)
        old = np.broadcast_to(limit[:, None], near.shape).copy()
        old[:, 0] = 0.0
        return old, limit

    return spill


@pytest.fixture(scope="module", params=["social", "game"])
def replicated(request):
    """A cutoff at 20:24 UTC, in the evening peak and shortly after the day's push, where
    sessions in progress matter most; 250 users alive there, 400 replicates each."""
    sim = simulate_app(request.param, n_users=1500, days=35, seed=3)
    c = 30.85
    alive = np.flatnonzero((sim._pop["signup"] <= c) & (sim._churn > c))
    chosen = np.sort(
        np.random.default_rng(5).choice(alive, size=min(250, alive.size), replace=False)
    )
    pop = {key: value[chosen] for key, value in sim._pop.items()}
    n_alive, n_quiet = resimulate(sim, pop, c, reps=400, seed=17)
    return sim, pop, c, n_alive, n_quiet


@pytest.mark.parametrize("j", range(len(HORIZONS_MIN)), ids=[f"{h:g}min" for h in HORIZONS_MIN])
def test_oracle_matches_resimulated_futures_at_short_horizons(replicated, j):
    sim, pop, c, n_alive, n_quiet = replicated
    h = HORIZONS_MIN[j] / sp.MINUTES_PER_DAY
    oracle, bound = so.oracle_no_activity(pop, sim.params, sim._cal, c, h)
    assert bound.max() < 0.01
    bias, se = bias_and_se(oracle, n_alive, n_quiet[j])
    assert abs(bias) < 3.5 * se, (bias, se)
    # per user as well: no user far off beyond binomial noise
    ok = n_alive >= 25
    observed = n_quiet[j][ok] / n_alive[ok]
    z = (observed - oracle[ok]) / np.sqrt(oracle[ok] * (1 - oracle[ok]) / n_alive[ok] + 1e-6)
    assert (z**2).sum() < stats.chi2.ppf(0.999, df=ok.sum())


def test_the_old_spill_term_fails_the_same_check(replicated, monkeypatch):
    """The test has teeth: the formula used before the fix is biased low by several se."""
    sim, pop, c, n_alive, n_quiet = replicated
    monkeypatch.setattr(so, "_log_spill", limit_only(so._log_spill))
    old, _ = so.oracle_no_activity(
        pop, sim.params, sim._cal, c, HORIZONS_MIN[0] / sp.MINUTES_PER_DAY
    )
    bias, se = bias_and_se(old, n_alive, n_quiet[0])
    assert bias < -3.5 * se, (bias, se)


def test_long_horizons_are_unchanged_by_the_fix(replicated, monkeypatch):
    """For a 28-day horizon the wait-dependent term and its limit agree to 1e-4 per user."""
    sim, pop, c, _, _ = replicated
    new, _ = so.oracle_no_activity(pop, sim.params, sim._cal, c, 28.0)
    monkeypatch.setattr(so, "_log_spill", limit_only(so._log_spill))
    old, _ = so.oracle_no_activity(pop, sim.params, sim._cal, c, 28.0)
    assert np.abs(new - old).max() < 1e-3
    assert np.abs(new - old).mean() < 1e-4
