"""Tests for the simulator's experiments: alive_at, Treatment, run_experiment and Experiment.

The invariants of issue 13 (the control world is the plain simulation, the history before
entry is unchanged, true_effect is exactly 0 for lost causes with both signs elsewhere, the
observed log holds only the assigned arm) are checked directly. The numbers are checked
against independent code: the outcome probabilities against the simulator's oracle (itself
checked against re-simulated futures in test_simulate.py), the treated churn times against a
root finder on the hazard integrated by scipy, the RMST against scipy quadrature, and the
treated world's events against those probabilities and against integrated visit rates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

import retainkit.simulate as rs
from retainkit.simulate import TREATMENTS, Experiment, Treatment, simulate_app
from retainkit.simulate import _oracle as so
from retainkit.simulate import _outcome as oc
from retainkit.simulate import _process as sp

DAY = pd.Timedelta(days=1)
START = "2026-03-01"  # day 55 of a 120-day window starting 2026-01-05
CASES = [(preset, name) for preset in ("social", "game", "shop") for name in TREATMENTS]
# A treatment whose period covers its whole window, so the visit ratio, the extra pushes and
# the hazard ratio all act inside it: the strongest test of the treated world.
STRONG = Treatment(
    name="strong", description="test only", duration_days=16.0, window_days=(3.0, 10.0),
    hazard_log_ratio={"intercept": -0.4, "sensitivity": 1.5}, visit_rate_ratio=2.0,
    extra_push_hours=(9.0, 14.5),
)  # fmt: skip


@pytest.fixture(scope="module")
def sims():
    return {preset: simulate_app(preset, n_users=6000, days=120, seed=i)
            for i, preset in enumerate(("social", "game", "shop"))}  # fmt: skip


@pytest.fixture(scope="module")
def experiments(sims):
    cache = {}

    def get(preset, name):
        if (preset, name) not in cache:
            cache[preset, name] = sims[preset].run_experiment(name, start=START, seed=5)
        return cache[preset, name]

    return get


def ns(times) -> np.ndarray:
    return pd.Series(times).array.asi8


def entry_ns(exp: Experiment, n_users: int, arm: str | None = "treatment") -> np.ndarray:
    """Entry time (ns) per user id 1..n of the users in ``arm`` (all eligible if None); +inf."""
    out = np.full(n_users + 1, np.iinfo(np.int64).max)
    chosen = exp.assignment.index if arm is None else exp.assignment.index[exp.assignment == arm]
    out[chosen] = ns(exp.potential.loc[chosen, "entry_time"])
    return out


def entry_days(exp: Experiment, sim) -> np.ndarray:
    return ((exp.potential["entry_time"] - sim.start) / DAY).to_numpy()


def realised_outcome(exp: Experiment, sim) -> pd.Series:
    """Y = any event in (entry + w0, entry + w1] in the observed log, per eligible user."""
    w0, w1 = exp.window_days
    ev = exp.events
    entry = pd.Series(ns(exp.potential["entry_time"]), index=exp.potential.index)
    e = entry.reindex(ev["user_id"]).to_numpy()
    t = ns(ev["timestamp"])
    inside = (t > e + w0 * DAY.value) & (t <= e + w1 * DAY.value)
    hit = np.unique(ev["user_id"].to_numpy()[inside])
    return pd.Series(exp.potential.index.isin(hit), index=exp.potential.index)


# ---------------------------------------------------------------------------------------------
# alive_at
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["social", "shop"])
@pytest.mark.parametrize("day", [0, 3.5, 40.25, 120])
def test_alive_at_equals_the_truth(sims, preset, day):
    sim = sims[preset]
    cutoff = sim.start + pd.Timedelta(days=day)
    alive = sim.alive_at(cutoff)
    assert alive.name == "alive" and alive.dtype == bool
    assert alive.index.equals(sim.truth.index)
    signed = (sim.users.set_index("user_id")["signup_time"] <= cutoff).to_numpy()
    churn = sim.truth["churn_time"]
    expected = signed & (churn.isna() | (churn > cutoff)).to_numpy()
    np.testing.assert_array_equal(alive.to_numpy(), expected)
    # The same from the latent churn times in days (users churning within a microsecond of the
    # cutoff aside) and from the log: no user signed up by the cutoff and not alive at it has
    # an event after it.
    c = day
    near = np.abs(sim._churn - c) < 1e-9
    raw = (sim._pop["signup"] <= c) & (sim._churn > c)
    np.testing.assert_array_equal(alive.to_numpy()[~near], raw[~near])
    later = sim.events.loc[sim.events["timestamp"] > cutoff, "user_id"].unique()
    assert alive.reindex(later)[signed[later - 1]].all()
    if 0 < day < 120:
        assert 0 < alive.sum() < signed.sum()  # some users have already gone


def test_alive_at_rejects_cutoffs_outside_the_window(sims):
    sim = sims["game"]
    with pytest.raises(ValueError, match="cutoff must lie within"):
        sim.alive_at(sim.end + DAY)
    with pytest.raises(ValueError, match="cutoff must be a timestamp"):
        sim.alive_at("not a time")
    naive = sim.alive_at("2026-02-01 12:00")
    assert naive.equals(sim.alive_at(pd.Timestamp("2026-02-01 12:00", tz="UTC")))


# ---------------------------------------------------------------------------------------------
# invariants of issue 13
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_control_world_is_the_plain_simulation(sims, experiments, preset, name):
    sim, exp = sims[preset], experiments(preset, name)
    treated = exp.assignment.index[exp.assignment == "treatment"]
    assert 0 < len(treated) < len(exp.assignment)
    others = ~sim.events["user_id"].isin(treated)
    pd.testing.assert_frame_equal(
        exp.events[~exp.events["user_id"].isin(treated)].reset_index(drop=True),
        sim.events[others].reset_index(drop=True),
    )
    pot = exp.potential
    pd.testing.assert_series_equal(pot["churn_time_control"], sim.truth.loc[pot.index, "churn_time"],
                                   check_names=False)  # fmt: skip
    assert list(exp.events.columns) == ["user_id", "timestamp", "event"]
    assert exp.events.dtypes.equals(sim.events.dtypes)


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_history_before_entry_is_unchanged(sims, experiments, preset, name):
    sim, exp = sims[preset], experiments(preset, name)
    n = len(sim.users)
    e_obs = entry_ns(exp, n, arm=None)[exp.events["user_id"].to_numpy()]
    e_sim = entry_ns(exp, n, arm=None)[sim.events["user_id"].to_numpy()]
    before_obs = exp.events[ns(exp.events["timestamp"]) < e_obs].reset_index(drop=True)
    before_sim = sim.events[ns(sim.events["timestamp"]) < e_sim].reset_index(drop=True)
    pd.testing.assert_frame_equal(before_obs, before_sim)
    assert len(before_obs) > 0.2 * len(sim.events) or name == "onboarding"


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_true_effect_is_zero_for_lost_causes_with_both_signs_elsewhere(
        sims, experiments, preset, name):
    sim, exp = sims[preset], experiments(preset, name)
    pot = exp.potential
    churn = sim.truth.loc[pot.index, "churn_time"]
    alive = (churn.isna() | (churn > pot["entry_time"])).to_numpy()
    np.testing.assert_array_equal(pot["alive_at_entry"].to_numpy(), alive)
    gone = pot[~alive]
    assert (gone["true_effect"] == 0).all() and (gone["p_active_treatment"] == 0).all()
    assert (gone["churn_time_treatment"] == gone["churn_time_control"]).all()
    if name != "onboarding":  # the default rule includes users who have already left
        assert len(gone) > 0.2 * len(pot)
    effect = pot.loc[alive, "true_effect"]
    assert (effect > 0.01).sum() > 20 and (effect < -0.01).sum() > 20
    groups = exp.uplift_groups(threshold=0.01).value_counts()
    assert set(groups[groups > 10].index) == {"persuadable", "sure thing", "lost cause",
                                              "sleeping dog"}  # fmt: skip


@pytest.mark.parametrize("preset", ["social", "game"])
def test_observed_log_holds_only_the_assigned_arm(sims, experiments, preset):
    sim, exp = sims[preset], experiments(preset, "retention_offer")
    pot = exp.potential
    treated = pot[exp.assignment == "treatment"]
    stamp = exp.events.groupby("user_id")["timestamp"].max()
    stamp_plain = sim.events.groupby("user_id")["timestamp"].max()
    t_churn = treated["churn_time_treatment"].dropna()
    assert (stamp.reindex(t_churn.index) < t_churn).all()  # nothing at or after treated churn
    c_churn = treated["churn_time_control"]
    earlier = t_churn.index[t_churn < c_churn.reindex(t_churn.index).fillna(sim.end)]
    later = treated.index[treated["churn_time_treatment"].fillna(sim.end) > c_churn.fillna(sim.end)]
    # Users the offer hurt lost the control world's last events; users it helped have events
    # after the control world's churn.
    assert (stamp_plain.reindex(earlier) >= t_churn[earlier]).sum() > 10
    assert (stamp.reindex(later) >= c_churn[later]).sum() > 10


def test_untouched_treated_users_keep_their_plain_future(sims, experiments):
    sim, exp = sims["social"], experiments("social", "push_cadence")
    pot = exp.potential
    no_push = sim.users.set_index("user_id").loc[pot.index, "true_push_enabled"].to_numpy() == 0
    untouched = pot.index[(exp.assignment == "treatment").to_numpy() & no_push]
    assert len(untouched) > 50
    assert (pot.loc[untouched, "true_effect"] == 0).all()
    pd.testing.assert_series_equal(pot.loc[untouched, "churn_time_treatment"],
                                   pot.loc[untouched, "churn_time_control"], check_names=False)  # fmt: skip
    pd.testing.assert_frame_equal(
        exp.events[exp.events["user_id"].isin(untouched)].reset_index(drop=True),
        sim.events[sim.events["user_id"].isin(untouched)].reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# the numbers, against independent code
# ---------------------------------------------------------------------------------------------


def _weibull_g(sim, x, s):
    return ((x - s) / sim.params["weibull_scale_days"]) ** sim.params["weibull_shape"]


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_treated_churn_solves_the_integrated_hazard_with_the_same_draw(
        sims, experiments, preset, name):
    """Root of int_s^T h(a) r(t) da = H(T_control), hazard integrated by scipy.quad."""
    sim, exp = sims[preset], experiments(preset, name)
    pot = exp.potential
    moved = pot.index[pot["alive_at_entry"] & pot["churn_time_treatment"].notna()
                      & (pot["churn_time_treatment"] != pot["churn_time_control"])][:12]
    assert len(moved) >= 8
    k, lam = sim.params["weibull_shape"], sim.params["weibull_scale_days"]
    t = exp.treatment
    for uid in moved:
        i = uid - 1
        s, m = sim._pop["signup"][i], sim._pop["hazard_multiplier"][i]
        e = (pot.at[uid, "entry_time"] - sim.start) / DAY
        one = {key: value[i:i + 1] for key, value in sim._pop.items()}
        lt, lr = t.log_ratios(one)
        r = np.exp(lt[0] if pot.at[uid, "takes_up"] else lr[0])
        a_e, a_d = e - s, e + t.duration_days - s  # in tenure, so that a -> 0 is exact

        def hazard(a, m=m, a_e=a_e, a_d=a_d, r=r):
            return m * k / lam * (a / lam) ** (k - 1) * (r if a_e <= a < a_d else 1)

        def cumulative(a, hazard=hazard, a_e=a_e, a_d=a_d):
            cuts = sorted({0.0, min(a_e, a), min(a_d, a), a})
            return sum(integrate.quad(hazard, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-12)[0]
                       for lo, hi in zip(cuts[:-1], cuts[1:], strict=False) if hi > lo)

        target = m * _weibull_g(sim, sim._churn[i], s)
        root = optimize.brentq(lambda a, c=cumulative, g=target: c(a) - g, 1e-9, 10_000,
                               xtol=1e-12)  # fmt: skip
        got = (pot.at[uid, "churn_time_treatment"] - sim.start) / DAY - s
        assert abs(got - root) < 2e-6, (uid, got, root)  # microsecond rounding of the stamp


def _oracle_p_active(sim, pop, entry, window, *, hazard_ratio, visit_ratio=1.0, extra=None):
    """S_e(A) (1 - oracle P(no event in (A, B] | alive at A)), user by user.

    Without ``extra`` the treatment period ends at A, so the window is the plain process.
    With ``extra`` (the extra push times) the period covers the window and the two days
    before it: the oracle then gets the visit ratio, the hazard ratio and the extra pushes as
    its inputs."""
    w0, w1 = window
    out = np.empty(entry.size)
    for i in range(entry.size):
        one = {key: value[i:i + 1].copy() for key, value in pop.items()}
        one["base_rate"] = one["base_rate"] * visit_ratio
        cal = sim._cal
        if extra is not None:
            extras = extra[(extra >= entry[i])]
            cal = dataclasses.replace(cal, push_times=np.sort(np.concatenate([cal.push_times, extras])))
        if hazard_ratio[i] != 1 and extra is not None:  # period covers the window
            one["hazard_multiplier"] = one["hazard_multiplier"] * hazard_ratio[i]
        p_none, _ = so.oracle_no_activity(one, sim.params, cal, entry[i] + w0, w1 - w0)
        s = one["signup"][0]
        dh = _weibull_g(sim, entry[i] + w0, s) - _weibull_g(sim, entry[i], s)
        m = pop["hazard_multiplier"][i]
        out[i] = np.exp(-m * hazard_ratio[i] * dh) * (1 - p_none[0])
    return out


@pytest.mark.parametrize(("preset", "name"), CASES)
def test_p_active_matches_the_oracle(sims, experiments, preset, name):
    """The three treatments end where their windows start; with the visit ratio set to 1 the
    window is then the plain process, which the oracle describes exactly."""
    sim, exp = sims[preset], experiments(preset, name)
    t = dataclasses.replace(exp.treatment, visit_rate_ratio=1.0)
    assert t.duration_days == t.window_days[0]
    pot = exp.potential
    users = pot.index[pot["alive_at_entry"]][:80].to_numpy()
    pop = {key: value[users - 1] for key, value in sim._pop.items()}
    entry = entry_days(exp, sim)[pot.index.get_indexer(users)]
    ones, zeros, no = np.ones(users.size), np.zeros(users.size), np.zeros(users.size, bool)
    lt, lr = t.log_ratios(pop)
    configs = [oc.Config(zeros, ones, no), oc.Config(lt, ones, no), oc.Config(lr, ones, no)]
    got = oc.p_active(pop, sim.params, sim._cal, entry, t.window_days, t.duration_days, (), configs)
    for config, value in zip(configs, got, strict=True):
        expected = _oracle_p_active(sim, pop, entry, t.window_days, hazard_ratio=np.exp(config.log_hr))
        assert np.abs(value - expected).max() < 2e-4
    np.testing.assert_allclose(pot.loc[users, "p_active_control"], got[0], atol=1e-12)


@pytest.mark.parametrize("preset", ["social", "game"])
def test_p_active_with_visits_pushes_and_hazard_inside_the_window_matches_the_oracle(sims, preset):
    sim = sims[preset]
    exp = sim.run_experiment(STRONG, start=START, seed=1)
    pot = exp.potential
    users = pot.index[pot["alive_at_entry"]][:60].to_numpy()
    pop = {key: value[users - 1] for key, value in sim._pop.items()}
    entry = entry_days(exp, sim)[pot.index.get_indexer(users)]
    ratio = np.exp(STRONG.log_ratios(pop)[0])
    extra = oc.extra_push_times(STRONG.extra_push_hours, 0, 120)
    extra = extra[(extra >= entry.min()) & (extra < entry.min() + STRONG.duration_days)]
    expected = _oracle_p_active(sim, pop, entry, STRONG.window_days, hazard_ratio=ratio,
                                visit_ratio=STRONG.visit_rate_ratio, extra=extra)  # fmt: skip
    got = pot.loc[users, "p_active_treatment"].to_numpy()
    assert np.abs(got - expected).max() < 2e-4
    assert np.abs(got - pot.loc[users, "p_active_control"]).max() > 0.05  # a real effect


def test_p_active_hourly_grid_converges(sims, experiments):
    sim = sims["game"]
    for name in ("retention_offer", "onboarding"):
        exp = experiments("game", name)
        t, pot = exp.treatment, exp.potential
        users = pot.index[pot["alive_at_entry"]][:300].to_numpy()
        pop = {key: value[users - 1] for key, value in sim._pop.items()}
        entry = entry_days(exp, sim)[pot.index.get_indexer(users)]
        cfg = [oc.Config(t.log_ratios(pop)[0], np.full(users.size, t.visit_rate_ratio),
                         np.ones(users.size, bool))]  # fmt: skip
        args = (pop, sim.params, sim._cal, entry, t.window_days, t.duration_days, (8.0,), cfg)
        coarse, fine = oc.p_active(*args)[0], oc.p_active(*args, n_sub=16)[0]
        assert np.abs(coarse - fine).max() < 2e-4 and abs((coarse - fine).mean()) < 2e-5


@pytest.mark.parametrize(("preset", "name"), [*CASES, ("social", STRONG), ("game", STRONG)])
def test_outcomes_in_the_observed_log_are_calibrated(sims, preset, name):
    """Realised Y per arm against the sum of the true probabilities (mean and deciles)."""
    sim = sims[preset]
    exp = sim.run_experiment(name, start=START, seed=7, share=0.6)
    y = realised_outcome(exp, sim)
    pot = exp.potential
    for arm in ("control", "treatment"):
        chosen = (exp.assignment == arm) & pot["alive_at_entry"]
        p, obs = pot.loc[chosen, f"p_active_{arm}"], y[chosen]
        var = (p * (1 - p)).sum()
        assert abs(obs.sum() - p.sum()) < 4 * np.sqrt(var), (arm, obs.sum(), p.sum())
        bins = pd.qcut(p.rank(method="first"), 5, labels=False)
        table = pd.DataFrame({"p": p, "y": obs, "v": p * (1 - p)}).groupby(bins).sum()
        chi2 = ((table["y"] - table["p"]) ** 2 / table["v"]).sum()
        assert chi2 < stats.chi2.ppf(0.999, df=5), (arm, table)
    assert (y[~pot["alive_at_entry"]] == 0).all()


@pytest.mark.parametrize("preset", ["social", "shop"])
def test_treated_visits_match_the_integrated_rates(sims, preset):
    """Organic visits and push opens of treated users during the period, against the rate
    integrated hour by hour (visit ratio 2, extra pushes) up to their treated churn."""
    sim = sims[preset]
    exp = sim.run_experiment(STRONG, start=START, seed=3, share=0.7)
    pot = exp.potential
    treated = pot.index[(exp.assignment == "treatment") & pot["alive_at_entry"]].to_numpy()
    e = entry_days(exp, sim)[0]
    t_churn = ((pot.loc[treated, "churn_time_treatment"] - sim.start) / DAY).fillna(120).to_numpy()
    stop = np.minimum(t_churn, e + STRONG.duration_days)
    p = sim.params
    s = sim._pop["signup"][treated - 1]
    hours = np.arange(int(e * 24), int((e + STRONG.duration_days) * 24))
    lo = np.maximum(hours[None, :] / 24, e)
    hi = np.minimum((hours[None, :] + 1) / 24, stop[:, None])
    f, tau_b = p["boredom_floor"], p["boredom_timescale_days"]
    a0, a1 = lo - s[:, None], np.maximum(hi, lo) - s[:, None]
    integral = f * (a1 - a0) + (1 - f) * tau_b * (np.exp(-a0 / tau_b) - np.exp(-a1 / tau_b))
    w = sim._cal.hourly_factor[hours]
    expected_organic = (STRONG.visit_rate_ratio * sim._pop["base_rate"][treated - 1, None]
                        * w[None, :] * integral).sum()  # fmt: skip
    ev = exp.events[exp.events["user_id"].isin(treated)]
    t_ev = ((ev["timestamp"] - sim.start) / DAY).to_numpy()
    stop_ev = pd.Series(stop, index=treated).reindex(ev["user_id"]).to_numpy()
    during = (t_ev >= e) & (t_ev < stop_ev)
    opens = ev[during & (ev["event"] == "notification_open").to_numpy()]
    starts = ev[during & (ev["event"] == "session_start").to_numpy()]
    organic = len(starts) - len(opens)
    assert abs(organic - expected_organic) < 4 * np.sqrt(expected_organic), (organic, expected_organic)
    # Push opens: regular and extra pushes, opened within (e, stop) after their delay.
    extra = oc.extra_push_times(STRONG.extra_push_hours, 0, 120)
    extra = extra[(extra >= e) & (extra < e + STRONG.duration_days)]
    push = np.concatenate([sim._cal.push_times[sim._cal.push_times < 120], extra])
    resp = sim._pop["push_response"][treated - 1, None]
    boredom = f + (1 - f) * np.exp(-(push[None, :] - s[:, None]) / tau_b)
    delay = p["push_delay_minutes"] / 1440
    sent = (push[None, :] > s[:, None]) & (push[None, :] < stop[:, None])
    cdf = lambda x: -np.expm1(-np.clip(x, 0, None) / delay)  # noqa: E731
    in_time = cdf(stop[:, None] - push[None, :]) - cdf(e - push[None, :])
    prob = np.where(sent, resp * boredom * in_time, 0.0)
    assert abs(len(opens) - prob.sum()) < 4 * np.sqrt((prob * (1 - prob)).sum())


# A treatment that postpones many churns: the treated world must continue the control world.
SAVER = Treatment(name="saver", description="test only", duration_days=30.0, window_days=(30.0, 37.0),
                  hazard_log_ratio={"intercept": np.log(0.2)}, visit_rate_ratio=1.5,
                  extra_push_hours=(14.0,))  # fmt: skip


def _expected_counts(sim, users, lo, hi, entry, treatment):
    """Expected organic visits and push opens of ``users`` (0-based) in [lo, hi), the visit
    ratio and the extra pushes acting on [entry, entry + D): rates integrated hour by hour."""
    p = sim.params
    s = sim._pop["signup"][users]
    end = entry + treatment.duration_days
    hours = np.arange(int(lo.min() * 24), int(np.ceil(hi.max() * 24)))
    a = np.clip(hours[None, :] / 24, lo[:, None], hi[:, None])
    b = np.clip((hours[None, :] + 1) / 24, lo[:, None], hi[:, None])
    f, tau_b = p["boredom_floor"], p["boredom_timescale_days"]
    a0, a1 = a - s[:, None], b - s[:, None]
    integral = f * (a1 - a0) + (1 - f) * tau_b * (np.exp(-a0 / tau_b) - np.exp(-a1 / tau_b))
    ratio = np.where(hours[None, :] / 24 < end, treatment.visit_rate_ratio, 1.0)
    organic = (ratio * sim._pop["base_rate"][users, None] * sim._cal.hourly_factor[hours][None, :]
               * integral).sum()  # fmt: skip
    extra = oc.extra_push_times(treatment.extra_push_hours, 0, 120)
    extra = extra[(extra >= entry) & (extra < end)]
    push = np.concatenate([sim._cal.push_times[sim._cal.push_times < 120], extra])
    boredom = f + (1 - f) * np.exp(-(push[None, :] - s[:, None]) / tau_b)
    delay = p["push_delay_minutes"] / 1440
    cdf = lambda x: -np.expm1(-np.clip(x, 0, None) / delay)  # noqa: E731
    sent = (push[None, :] > s[:, None]) & (push[None, :] < hi[:, None])
    in_time = cdf(hi[:, None] - push[None, :]) - cdf(lo[:, None] - push[None, :])
    prob = np.where(sent, sim._pop["push_response"][users, None] * boredom * in_time, 0.0)
    return organic, prob.sum(), (prob * (1 - prob)).sum()


def _counts(events, sim, uids, lo, hi):
    """Organic visits and push opens of ``uids`` in [lo, hi) (days), from an event log."""
    ev = events[events["user_id"].isin(uids)]
    t = ((ev["timestamp"] - sim.start) / DAY).to_numpy()
    pos = pd.Index(uids).get_indexer(ev["user_id"])
    inside = (t >= lo[pos]) & (t < hi[pos])
    opens = int((inside & (ev["event"] == "notification_open").to_numpy()).sum())
    starts = int((inside & (ev["event"] == "session_start").to_numpy()).sum())
    return starts - opens, opens


@pytest.mark.parametrize("preset", ["social", "game"])
def test_a_postponed_churn_continues_the_control_world(sims, preset):
    """Users whose treated churn comes later: the sessions the control churn cut short come
    back exactly, and [T_control, T_treated) has the treated visit and open rates."""
    sim = sims[preset]
    exp = sim.run_experiment(SAVER, start=START, seed=4, share=0.8)
    pot = exp.potential
    t_c = ((pot["churn_time_control"] - sim.start) / DAY).fillna(np.inf).to_numpy()
    t_t = ((pot["churn_time_treatment"] - sim.start) / DAY).fillna(np.inf).to_numpy()
    later = (exp.assignment == "treatment").to_numpy() & pot["alive_at_entry"].to_numpy() & (
        t_t > t_c) & (t_c < 120)
    uids = pot.index[later].to_numpy()
    assert len(uids) > 150
    lo, hi = t_c[later], np.minimum(t_t[later], 120)
    # The cut sessions: every tail event of these users before their treated churn is observed.
    tails = sim._tails
    limit = pd.Series(np.rint(hi * sp.DAY_US).astype(np.int64), index=uids - 1)
    mine = np.isin(tails["user"], uids - 1)
    back = mine & (tails["us"] < limit.reindex(tails["user"]).fillna(-1).to_numpy())
    assert back.sum() > 0  # rare: only sessions in progress at the control churn (4 in social)
    names = np.array(sp.event_names(sim.params), dtype=object)
    expected_rows = pd.DataFrame({"user_id": tails["user"][back] + 1,
                                  "timestamp": sim.start + pd.to_timedelta(tails["us"][back], "us"),
                                  "event": names[tails["code"][back]]})  # fmt: skip
    found = expected_rows.merge(exp.events, how="left", indicator=True)
    assert (found["_merge"] == "both").all()
    assert not exp.events.merge(expected_rows).empty
    # Visits and opens after the control churn, against the integrated rates.
    organic, opens = _counts(exp.events, sim, uids, lo, hi)
    e = entry_days(exp, sim)[0]
    expected_organic, expected_opens, var_opens = _expected_counts(sim, uids - 1, lo, hi, e, SAVER)
    assert abs(organic - expected_organic) < 4 * np.sqrt(expected_organic), (organic, expected_organic)
    assert abs(opens - expected_opens) < 4 * np.sqrt(var_opens), (opens, expected_opens)
    assert organic > 100 and opens > 30


@pytest.mark.parametrize(("preset", "name"), [("social", "retention_offer"), ("game", "onboarding"),
                                              ("shop", "push_cadence")])
def test_rmst_truth_matches_quadrature_and_the_potential_churn_times(
        sims, experiments, preset, name):
    sim, exp = sims[preset], experiments(preset, name)
    horizon = 30.0
    result = exp.true_rmst_uplift(horizon)
    per = result.per_user
    assert result.difference == pytest.approx(result.treatment - result.control, abs=1e-12)
    assert result.control == pytest.approx(per["rmst_control"].mean(), rel=1e-12)
    pot = exp.potential
    assert (per.loc[~pot["alive_at_entry"]] == 0).all().all()
    k, lam = sim.params["weibull_shape"], sim.params["weibull_scale_days"]
    t = exp.treatment
    for uid in pot.index[pot["alive_at_entry"]][:10]:
        i = uid - 1
        s, m = sim._pop["signup"][i], sim._pop["hazard_multiplier"][i]
        e = (pot.at[uid, "entry_time"] - sim.start) / DAY
        one = {key: value[i:i + 1] for key, value in sim._pop.items()}
        p_take = t.uptake_probability(one)[0]
        values = []
        for lhr in t.log_ratios(one):
            r = np.exp(lhr[0])
            end = e + t.duration_days

            def surv(x, s=s, m=m, e=e, r=r, end=end):
                g = lambda y: ((y - s) / lam) ** k  # noqa: E731
                h = r * (g(min(x, end)) - g(e)) + (g(x) - g(end) if x > end else 0.0)
                return np.exp(-m * h)

            values.append(integrate.quad(surv, e, e + horizon, points=[end], limit=200,
                                         epsabs=1e-11)[0])  # fmt: skip
        expected = p_take * values[0] + (1 - p_take) * values[1]
        assert per.at[uid, "rmst_treatment"] == pytest.approx(expected, rel=1e-8)
        assert per.at[uid, "rmst_control"] == pytest.approx(
            integrate.quad(lambda x, s=s, m=m, e=e: np.exp(-m * (_weibull_g(sim, x, s)
                                                                 - _weibull_g(sim, e, s))),
                           e, e + horizon, limit=200, epsabs=1e-11)[0], rel=1e-8)  # fmt: skip
    # The realised potential churn times (both arms, every user) average to the truth.
    e_days = entry_days(exp, sim)
    for arm in ("control", "treatment"):
        churn = ((pot[f"churn_time_{arm}"] - sim.start) / DAY).fillna(np.inf).to_numpy()
        realised = np.clip(np.minimum(churn - e_days, horizon), 0, None)
        sd = realised.std(ddof=1) / np.sqrt(realised.size)
        assert abs(realised.mean() - getattr(result, arm)) < 4 * sd


# ---------------------------------------------------------------------------------------------
# eligibility, assignment, arguments
# ---------------------------------------------------------------------------------------------


def test_default_eligibility_is_an_event_in_the_28_days_before_start(sims, experiments):
    sim, exp = sims["social"], experiments("social", "retention_offer")
    start = pd.Timestamp(START, tz="UTC")
    ev = sim.events
    recent = ev[(ev["timestamp"] >= start - pd.Timedelta(days=28)) & (ev["timestamp"] < start)]
    expected = np.sort(recent["user_id"].unique())
    np.testing.assert_array_equal(exp.assignment.index.to_numpy(), expected)
    assert (exp.potential["entry_time"] == start).all()
    new = experiments("social", "onboarding")
    signup = sim.users.set_index("user_id")["signup_time"]
    enrolled = signup[(signup >= start) & (signup < start + pd.Timedelta(days=14))]
    np.testing.assert_array_equal(new.assignment.index.to_numpy(), enrolled.index.to_numpy())
    pd.testing.assert_series_equal(new.potential["entry_time"], enrolled, check_names=False)


def test_a_callable_decides_eligibility_on_observables(sims):
    sim = sims["game"]
    seen = {}

    def ios_recent(users, history):
        seen["columns"] = list(users.columns)
        seen["latest"] = history["timestamp"].max()
        recent = history.loc[history["timestamp"] >= pd.Timestamp(START, tz="UTC") - 7 * DAY,
                             "user_id"].unique()  # fmt: skip
        return pd.Series(users["device"].eq("ios").to_numpy() & users["user_id"].isin(recent).to_numpy(),
                         index=users["user_id"])  # fmt: skip

    exp = sim.run_experiment("retention_offer", start=START, eligible=ios_recent)
    assert seen["columns"] == ["user_id", "signup_time", "channel", "device", "region"]
    assert seen["latest"] < pd.Timestamp(START, tz="UTC")
    devices = sim.users.set_index("user_id").loc[exp.assignment.index, "device"]
    assert (devices == "ios").all() and len(devices) > 100
    as_array = sim.run_experiment("retention_offer", start=START,
                                  eligible=lambda u, h: ios_recent(u, h).to_numpy())  # fmt: skip
    assert as_array.assignment.index.equals(exp.assignment.index)
    with pytest.raises(ValueError, match="booleans"):
        sim.run_experiment("retention_offer", start=START,
                           eligible=lambda u, h: pd.Series(1, index=u["user_id"]))  # fmt: skip
    with pytest.raises(ValueError, match="not candidates"):
        sim.run_experiment("retention_offer", start=START,
                           eligible=lambda u, h: pd.Series(True, index=[10**9]))  # fmt: skip
    with pytest.raises(ValueError, match="one per candidate"):
        sim.run_experiment("retention_offer", start=START, eligible=lambda u, h: [True])
    with pytest.raises(ValueError, match="no user is eligible"):
        sim.run_experiment("retention_offer", start=START,
                           eligible=lambda u, h: pd.Series(False, index=u["user_id"]))  # fmt: skip


def test_assignment_share_determinism_and_no_side_effects(sims):
    sim = sims["shop"]
    before = pd.util.hash_pandas_object(sim.events, index=False).to_numpy().copy()
    a = sim.run_experiment("push_cadence", start=START, share=0.3, seed=11)
    b = sim.run_experiment("push_cadence", start=START, share=0.3, seed=11)
    c = sim.run_experiment("push_cadence", start=START, share=0.3, seed=12)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.potential, b.potential)
    assert not a.assignment.equals(c.assignment)
    n, k = len(a.assignment), int((a.assignment == "treatment").sum())
    assert stats.binomtest(k, n, 0.3).pvalue > 1e-3
    assert set(a.assignment.unique()) == {"control", "treatment"} and a.assignment.name == "arm"
    np.testing.assert_array_equal(pd.util.hash_pandas_object(sim.events, index=False).to_numpy(), before)


def test_run_experiment_reports_every_bad_argument_at_once(sims):
    sim = sims["game"]
    with pytest.raises(ValueError) as err:
        sim.run_experiment("retention_offer", start="2030-01-01", share=1.0, seed=-1,
                           window=(0, 3))  # fmt: skip
    message = str(err.value)
    for part in ("start must lie inside", "share must be", "seed must be", "window must be"):
        assert part in message
    with pytest.raises(ValueError, match="one of"):
        sim.run_experiment("retention_ofer", start=START)
    with pytest.raises(ValueError, match="must be a Treatment"):
        sim.run_experiment(3, start=START)
    with pytest.raises(ValueError, match="enrol_days"):
        sim.run_experiment("onboarding", start=sim.end - 3 * DAY)
    modified = dataclasses.replace(sim, events=sim.events.iloc[:-5])
    with pytest.raises(ValueError, match="was modified"):
        modified.run_experiment("retention_offer", start=START)
    with pytest.warns(UserWarning, match="past the end"):
        sim.run_experiment("retention_offer", start=sim.end - 10 * DAY)


def test_treatment_reports_every_problem_at_once():
    with pytest.raises(ValueError) as err:
        Treatment(name="bad", description="", audience="old", duration_days=0.3333,
                  window_days=(0.5, 7), visit_rate_ratio=0.5, extra_push_hours=(25,),
                  hazard_log_ratio={"interest": 1.0, "bogus": 2.0}, cost_per_contact=-1)  # fmt: skip
    message = str(err.value)
    for part in ("audience", "duration_days", "window_days", "visit_rate_ratio",
                 "extra_push_hours", "unknown keys ['bogus']", "cost_per_contact"):  # fmt: skip
        assert part in message, part
    offer = TREATMENTS["retention_offer"]
    with pytest.raises(TypeError):
        offer.hazard_log_ratio["intercept"] = 0.0  # read-only
    assert hash(offer) == hash(dataclasses.replace(offer))
    assert dataclasses.replace(offer, duration_days=14).duration_days == 14.0


def test_truth_helpers_costs_and_groups(sims, experiments):
    exp = experiments("social", "retention_offer")
    pot = exp.potential
    assert exp.true_average_effect() == pytest.approx(pot["true_effect"].mean(), abs=1e-15)
    alive = pot["alive_at_entry"]
    assert exp.true_average_effect(alive_only=True) == pytest.approx(
        pot.loc[alive, "true_effect"].mean(), abs=1e-15)
    t = exp.treatment
    np.testing.assert_allclose(pot["expected_cost"],
                               t.cost_per_contact + pot["uptake_probability"] * t.cost_per_redemption)  # fmt: skip
    assert (pot.loc[~alive, "expected_cost"] == t.cost_per_contact).all()  # lost causes cost too
    assert (pot.loc[~alive, "uptake_probability"] == 0).all() and not pot.loc[~alive, "takes_up"].any()
    p = pot.loc[alive, "uptake_probability"]
    sd = np.sqrt((p * (1 - p)).sum())
    assert abs(pot.loc[alive, "takes_up"].sum() - p.sum()) < 4 * sd
    groups = exp.uplift_groups(threshold=0.02)
    assert (groups[~alive] == "lost cause").all()
    assert (groups[pot["true_effect"] > 0.02] == "persuadable").all()
    assert (groups[pot["true_effect"] < -0.02] == "sleeping dog").all()
    sure = groups == "sure thing"
    assert (pot.loc[sure, "p_active_control"] >= 0.5).all()
    with pytest.raises(ValueError, match="threshold"):
        exp.uplift_groups(threshold=-1)
    with pytest.raises(ValueError, match="horizon"):
        exp.true_rmst_uplift("-3D")
    assert "retention_offer" in repr(exp)


def test_public_names_and_documentation():
    for name in ("Treatment", "TREATMENTS", "Experiment"):
        assert name in rs.__all__ and name in rs.__doc__
    for name, treatment in TREATMENTS.items():
        assert treatment.name == name and name in rs.__doc__
    assert {"retention_offer", "push_cadence", "onboarding"} <= set(TREATMENTS)
    assert "run_experiment" in rs.__doc__ and "alive_at" in rs.__doc__
    assert sp.DAY_US == 86_400 * 10**6
