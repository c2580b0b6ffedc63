"""Tests for retainkit.experiments (notebook 08).

Oracles: statsmodels (two-proportion intervals and z-test, sample sizes, OLS), scipy
(chisquare, the multivariate normal, spearmanr), lifelines (restricted mean survival time,
log-rank), scikit-uplift 0.5.1 when installed (metrics and learners), published tables
(O'Brien-Fleming constants of Jennison & Turnbull 2000, Table 2.3; gsDesign's Lan-DeMets
bounds), small tables worked by hand in the comments, and simulation: the power of the
planned sizes, the type-I error of peeking, CUPED's variance reduction, RMST coverage.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_waltons
from lifelines.statistics import logrank_test as lifelines_logrank
from lifelines.utils import restricted_mean_survival_time
from scipy import integrate, stats
from scipy.integrate import IntegrationWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from retainkit import experiments as ex
from retainkit.survival import kaplan_meier, logrank_test

TOL = 1e-9
Z95 = stats.norm.ppf(0.975)
DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2024-03-01", tz="UTC")


# --------------------------------------------------------------------------- proportions

COUNTS = [(200, 1000, 240, 1000), (3, 17, 9, 20), (50, 50, 40, 41), (120, 2000, 95, 1800)]


@pytest.mark.parametrize("counts", COUNTS)
@pytest.mark.parametrize(
    ("method", "statsmodels_method"), [("newcombe", "newcomb"), ("wald", "wald")]
)
def test_compare_proportions_matches_statsmodels(counts, method, statsmodels_method):
    x_c, n_c, x_t, n_t = counts
    r = ex.compare_proportions(x_c, n_c, x_t, n_t, difference_method=method)
    low, high = confint_proportions_2indep(x_t, n_t, x_c, n_c, method=statsmodels_method)
    assert r.difference_ci == pytest.approx((low, high), abs=TOL)
    assert r.difference == pytest.approx(x_t / n_t - x_c / n_c, abs=1e-15)
    low, high = confint_proportions_2indep(x_t, n_t, x_c, n_c, method="log", compare="ratio")
    assert r.relative_lift_ci == pytest.approx((low - 1, high - 1), abs=TOL)
    z, p = proportions_ztest([x_t, x_c], [n_t, n_c])
    assert (r.statistic, r.p_value) == pytest.approx((z, p), abs=TOL)


def test_compare_proportions_by_hand():
    # 200/1000 vs 240/1000: d = 0.04, Wald se = sqrt(.2*.8/1000 + .24*.76/1000)
    # = sqrt(3.424e-4) = 0.0185041, half-width 1.959964 * 0.0185041 = 0.0362673;
    # pooled p = 0.22, z = 0.04 / sqrt(.22*.78*(2/1000)) = 0.04 / 0.0185257 = 2.15917;
    # lift = 0.24/0.2 - 1.
    r = ex.compare_proportions(200, 1000, 240, 1000, difference_method="wald")
    assert r.difference_ci == pytest.approx((0.04 - 0.0362673, 0.04 + 0.0362673), abs=1e-6)
    assert r.statistic == pytest.approx(2.15917, abs=1e-5)
    assert r.relative_lift == pytest.approx(0.2, abs=1e-12)
    assert (r.control_rate, r.treatment_rate) == (0.2, 0.24)


def test_compare_proportions_rejects_bad_counts_and_warns_on_zero():
    with pytest.raises(ValueError, match="treatment_successes"):
        ex.compare_proportions(1, 10, 11, 10)
    with pytest.raises(ValueError, match="control_n is 0"):
        ex.compare_proportions(0, 0, 1, 10)
    with pytest.raises(ValueError, match="difference_method"):
        ex.compare_proportions(1, 10, 2, 10, difference_method="exact")
    with pytest.warns(UserWarning, match="relative_lift"):
        r = ex.compare_proportions(0, 10, 2, 10)
    assert math.isnan(r.relative_lift) and math.isnan(r.relative_lift_ci[0])
    with pytest.warns(UserWarning, match="pooled rate"), pytest.warns(UserWarning, match="lift"):
        r = ex.compare_proportions(0, 10, 0, 12)
    assert math.isnan(r.p_value)


# --------------------------------------------------------------------------- retention_ab


def _small_experiment():
    # Day 1 is [start + 1 day, start + 2 days). as_of = day 6.
    # user 1 control, start 0, event at 1.5  -> eligible, retained
    # user 2 control, start 0, event at 9.0  -> eligible, not retained (the event is later)
    # user 3 treated, start 0, event at 1.2  -> eligible, retained
    # user 4 treated, start 0, event at 0.5  -> eligible, not retained (day 0)
    # user 5 treated, start 5, no events     -> window ends at 7 > 6: not yet eligible
    # user 6 treated, start 4, event at 5.5  -> window [5, 6) complete at 6: retained
    # user 7 (not assigned), event at 1.5    -> not in the experiment
    events = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 6, 7, 1],
            "timestamp": T0 + pd.to_timedelta([1.5, 9.0, 1.2, 0.5, 5.5, 1.5, 3.0], unit="D"),
            "event": ["visit", "visit", "visit", "visit", "visit", "visit", "purchase"],
        }
    )
    assignment = pd.Series(
        ["control", "control", "treatment", "treatment", "treatment", "treatment"],
        index=[1, 2, 3, 4, 5, 6],
    )
    starts = pd.Series(T0 + pd.to_timedelta([0, 0, 0, 0, 5, 4], unit="D"), index=assignment.index)
    return events, assignment, starts


def test_retention_ab_counts_only_users_whose_day_has_elapsed():
    events, assignment, starts = _small_experiment()
    r = ex.retention_ab(events, assignment, start_times=starts, day=1, as_of=T0 + 6 * DAY)
    expected = pd.DataFrame(
        {
            "assigned": [2, 4],
            "not_yet_eligible": [0, 1],
            "eligible": [2, 3],
            "retained": [1, 2],
            "rate": [0.5, 2 / 3],
        },
        index=pd.Index(["control", "treatment"], name="arm"),
    )
    pd.testing.assert_frame_equal(r.arms, expected)
    assert r.n_not_yet_eligible == 1
    assert np.isnan(r.users.loc[5, "retained"]) and not r.users.loc[5, "eligible"]
    oracle = ex.compare_proportions(1, 2, 2, 3)
    assert r.comparison == oracle
    assert r.difference == pytest.approx(2 / 3 - 0.5)


def test_retention_ab_modes_event_filter_and_scalar_start():
    events, assignment, _ = _small_experiment()
    # everyone starts at T0; "within" 3 days = any event in [1, 4) days.
    # retained: 1 (1.5), 3 (1.2); not: 2 (9.0), 4 (0.5 is day 0), 5 (none), 6 (5.5).
    r = ex.retention_ab(
        events, assignment, start_times=T0, day=3, as_of=T0 + 10 * DAY, mode="within"
    )
    assert r.arms["retained"].tolist() == [1, 1]
    assert r.arms["eligible"].tolist() == [2, 4]
    # only purchases count: user 1 purchased at 3.0, i.e. on day 3.
    with pytest.warns(UserWarning, match="relative_lift"):  # no treated purchases
        r = ex.retention_ab(
            events, assignment, start_times=T0, day=3, as_of=T0 + 10 * DAY, event="purchase"
        )
    assert r.arms["retained"].tolist() == [1, 0]


def test_retention_ab_denominator_is_unbiased_where_the_naive_one_is_not():
    # Users start uniformly over 30 days; each is active on day 7 with probability 0.3.
    # At as_of = day 30, about 27 % of users cannot have reached day 8 yet.
    rng = np.random.default_rng(11)
    n = 20_000
    start_offsets = rng.uniform(0, 30, n)
    active = rng.random(n) < 0.3
    users = np.arange(n)
    assignment = pd.Series(np.where(rng.random(n) < 0.5, "control", "treatment"), index=users)
    event_time = start_offsets + 7 + rng.uniform(0, 1, n)
    first_visit = pd.DataFrame(
        {"user_id": users, "timestamp": T0 + pd.to_timedelta(start_offsets, unit="D")}
    )
    day7 = pd.DataFrame(
        {"user_id": users[active], "timestamp": T0 + pd.to_timedelta(event_time[active], unit="D")}
    )
    events = pd.concat([first_visit, day7]).assign(event="visit")
    starts = pd.Series(T0 + pd.to_timedelta(start_offsets, unit="D"), index=users)
    as_of = T0 + 30 * DAY
    r = ex.retention_ab(events[events["timestamp"] < as_of], assignment, start_times=starts,
                        day=7, as_of=as_of)
    eligible_share = r.arms["eligible"].sum() / n
    assert eligible_share == pytest.approx(22 / 30, abs=0.02)
    for arm in ("control", "treatment"):
        row = r.arms.loc[arm]
        se = math.sqrt(0.3 * 0.7 / row["eligible"])
        assert abs(row["rate"] - 0.3) < 4 * se
        naive = row["retained"] / row["assigned"]  # the GrowthBook #4353 denominator
        assert naive < 0.3 - 0.06
    assert r.comparison.difference_ci[0] < 0 < r.comparison.difference_ci[1]


def test_retention_ab_reports_every_problem_with_names():
    events, assignment, starts = _small_experiment()
    bad = assignment.copy()
    bad.loc[[2, 3]] = ["Control", "B"]
    with pytest.raises(ValueError, match=r"assignment has 2 value\(s\).*\[2, 3\]"):
        ex.retention_ab(events, bad, start_times=starts, day=1, as_of=T0 + 6 * DAY)
    with pytest.raises(ValueError, match=r"start_times has no time for 1 assigned user.*\[6\]"):
        ex.retention_ab(events, assignment, start_times=starts.drop(6), day=1, as_of=T0 + 9 * DAY)
    with pytest.raises(ValueError, match=r"event \['login'\] not found"):
        ex.retention_ab(
            events, assignment, start_times=starts, day=1, as_of=T0 + 9 * DAY, event="login"
        )
    with pytest.raises(ValueError, match="no control user has completed day 6"):
        ex.retention_ab(events, assignment, start_times=starts, day=6, as_of=T0 + 6 * DAY)
    with pytest.raises(ValueError, match="mode must be one of"):
        ex.retention_ab(
            events, assignment, start_times=starts, day=1, as_of=T0 + 6 * DAY, mode="on"
        )
    with pytest.raises(ValueError, match="day must be a whole number >= 1"):
        ex.retention_ab(
            events, assignment, start_times=starts, day=0, as_of=T0 + 6 * DAY, mode="within"
        )
    as_text = pd.Series(assignment.to_numpy(), index=assignment.index.astype(str))
    with pytest.raises(ValueError, match="no assigned user has an event in the log"):
        ex.retention_ab(events, as_text, start_times=T0, day=1, as_of=T0 + 6 * DAY)
    with pytest.warns(UserWarning, match="as_of is tz-naive"):
        ex.retention_ab(events, assignment, start_times=starts, day=1, as_of="2024-03-07")


# --------------------------------------------------------------------------- SRM


@pytest.mark.parametrize(
    ("counts", "shares"),
    [([5000, 5200], None), ([900, 110], [0.9, 0.1]), ([310, 330, 360], None), ([7, 3], [0.5, 0.5])],
)
def test_srm_matches_scipy_chisquare(counts, shares):
    r = ex.srm_test(counts, shares)
    expected = None if shares is None else np.array(shares) * sum(counts)
    oracle = stats.chisquare(counts, expected)
    assert r.statistic == pytest.approx(oracle.statistic, abs=1e-12)
    assert r.p_value == pytest.approx(oracle.pvalue, abs=1e-12)
    assert r.degrees_of_freedom == len(counts) - 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 10**6), min_size=2, max_size=5))
def test_srm_equal_shares_property(counts):
    assert ex.srm_test(counts).p_value == pytest.approx(stats.chisquare(counts).pvalue, abs=1e-12)


def test_srm_matches_arms_by_name_and_rejects_bad_shares():
    # 5,000 vs 5,200 of 10,200 with 50/50 planned: (100**2 / 5100) * 2 = 3.92157
    counts = pd.Series({"treatment": 5200, "control": 5000})
    r = ex.srm_test(counts, {"control": 0.5, "treatment": 0.5})
    assert r.statistic == pytest.approx(20_000 / 5100, abs=1e-12)
    assert not r.mismatch
    r = ex.srm_test({"control": 900, "treatment": 110}, {"treatment": 0.1, "control": 0.9})
    assert r.expected.to_dict() == pytest.approx({"control": 909.0, "treatment": 101.0})
    assert ex.srm_test({"control": 5000, "treatment": 5400}).mismatch
    with pytest.raises(ValueError, match="sum to 1"):
        ex.srm_test([10, 10], [0.6, 0.6])
    with pytest.raises(ValueError, match="do not match"):
        ex.srm_test({"control": 1, "treatment": 2}, {"control": 0.5, "B": 0.5})
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        ex.srm_test([10, -1])
    with pytest.raises(ValueError, match="3 values for 2 arms"):
        ex.srm_test([10, 10], [0.2, 0.3, 0.5])


# --------------------------------------------------------------------------- RMST


def _censored_sample(rng, n, scale_control=10.0, scale_treatment=14.0):
    arm = np.where(rng.random(n) < 0.5, "control", "treatment")
    churn = rng.exponential(np.where(arm == "control", scale_control, scale_treatment))
    censor = rng.uniform(5, 40, n)
    return np.minimum(churn, censor), churn <= censor, arm


@pytest.mark.parametrize("tau", [3.0, 7.0, 12.5])
def test_rmst_matches_lifelines_per_arm(tau):
    waltons = load_waltons()
    durations, observed = waltons["T"].to_numpy(), waltons["E"].to_numpy()
    arm = np.where(waltons["group"] == "miR-137", "treatment", "control")
    r = ex.rmst_difference(durations, observed, arm, tau)
    for name in ("control", "treatment"):
        kmf = KaplanMeierFitter().fit(durations[arm == name], observed[arm == name])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mean, variance = restricted_mean_survival_time(kmf, tau, return_variance=True)
        assert r.arms.loc[name, "rmst"] == pytest.approx(mean, abs=TOL)
        # lifelines integrates t S(t) with quad over the whole step function; where quad
        # warns it has not converged (tau = 12.5 here) its value is off by ~1e-8, so the
        # exact oracle is quad between the steps.
        lifelines_converged = not any(issubclass(w.category, IntegrationWarning) for w in caught)
        assert r.arms.loc[name, "restricted_time_variance"] == pytest.approx(
            variance, abs=TOL if lifelines_converged else 1e-6
        )
        steps = kmf.survival_function_.index[kmf.survival_function_.index < tau]
        pieces = np.append(steps, tau)

        def survival(u: float, kmf=kmf) -> float:
            return float(kmf.predict(u))

        second = sum(
            integrate.quad(lambda u: 2 * u * survival(u), a, b, epsabs=1e-13)[0]
            for a, b in zip(pieces[:-1], pieces[1:], strict=True)
        )
        assert r.arms.loc[name, "restricted_time_variance"] == pytest.approx(
            second - mean**2, abs=TOL
        )
    assert r.difference == pytest.approx(
        r.arms.loc["treatment", "rmst"] - r.arms.loc["control", "rmst"], abs=1e-15
    )


def test_rmst_by_hand():
    # control 2, 4, 6+, 8 (tau 8): S = 3/4 on [2, 4), 1/2 on [4, 8): RMST = 2 + 1.5 + 2 = 5.5.
    # Variance: churn at 2, A = 3.5, 1/(4*3); churn at 4, A = 2, 1/(3*2) -> 12.25/12 + 4/6.
    # treatment 3, 6+, 9, 10+: S = 3/4 on [3, 8): RMST = 3 + 3.75 = 6.75; churn at 3,
    # A = 3.75, 1/(4*3) -> 14.0625/12. Difference 1.25, se sqrt(sum).
    r = ex.rmst_difference(
        [2, 4, 6, 8, 3, 6, 9, 10], [1, 1, 0, 1, 1, 0, 1, 0], [0] * 4 + [1] * 4, tau=8
    )
    assert r.arms["rmst"].tolist() == pytest.approx([5.5, 6.75], abs=1e-12)
    var_c, var_t = 12.25 / 12 + 4 / 6, 14.0625 / 12
    assert r.arms["variance"].tolist() == pytest.approx([var_c, var_t], abs=1e-12)
    assert r.difference_se == pytest.approx(math.sqrt(var_c + var_t), abs=1e-12)
    low, high = r.difference_ci
    half = Z95 * r.difference_se
    assert (low, high) == pytest.approx((1.25 - half, 1.25 + half), abs=1e-12)


def test_rmst_variance_without_censoring_is_the_variance_of_the_mean():
    # Without censoring, KM is the empirical survival function, RMST is mean(min(T, tau)) and
    # the Greenwood-type variance is the plug-in variance of that mean.
    rng = np.random.default_rng(3)
    durations = rng.exponential(6, 400)
    arm = np.repeat([0, 1], 200)
    r = ex.rmst_difference(durations, np.ones(400), arm, tau=9)
    for code, name in enumerate(("control", "treatment")):
        capped = np.minimum(durations[arm == code], 9)
        assert r.arms.loc[name, "rmst"] == pytest.approx(capped.mean(), abs=1e-12)
        assert r.arms.loc[name, "variance"] == pytest.approx(capped.var() / 200, abs=1e-12)
        spread = r.arms.loc[name, "restricted_time_variance"]
        assert spread == pytest.approx(capped.var(), abs=1e-10)


def test_rmst_interval_covers_the_true_difference():
    # Exponential churn with means 10 and 14 days: RMST(tau) = m (1 - exp(-tau / m)).
    tau, rng = 12.0, np.random.default_rng(5)
    truth = 14 * (1 - math.exp(-tau / 14)) - 10 * (1 - math.exp(-tau / 10))
    estimates, ses, covered = [], [], []
    for _ in range(300):
        r = ex.rmst_difference(*_censored_sample(rng, 300), tau=tau)
        estimates.append(r.difference)
        ses.append(r.difference_se)
        covered.append(r.difference_ci[0] <= truth <= r.difference_ci[1])
    assert abs(np.mean(estimates) - truth) < 4 * np.std(estimates) / math.sqrt(300)
    assert np.mean(ses) == pytest.approx(np.std(estimates), rel=0.12)
    assert abs(np.mean(covered) - 0.95) < 0.04


def test_rmst_accepts_timedeltas():
    days = [2, 4, 6, 8, 3, 6, 9, 10]
    arms, seen = [0] * 4 + [1] * 4, [1, 1, 0, 1, 1, 0, 1, 0]
    as_days = ex.rmst_difference(days, seen, arms, tau=8)
    as_timedeltas = ex.rmst_difference(pd.to_timedelta(days, unit="D"), seen, arms, tau=8)
    pd.testing.assert_frame_equal(as_days.arms, as_timedeltas.arms)


def test_rmst_carries_km_and_logrank():
    durations, observed, arm = _censored_sample(np.random.default_rng(8), 500)
    r = ex.rmst_difference(durations, observed, arm, tau=10)
    for name in ("control", "treatment"):
        pd.testing.assert_frame_equal(
            r.km[name], kaplan_meier(durations[arm == name], observed[arm == name])
        )
    treated = arm == "treatment"
    t_t, e_t = durations[treated], observed[treated]
    t_c, e_c = durations[~treated], observed[~treated]
    assert r.logrank == logrank_test(t_t, e_t, t_c, e_c)
    theirs = lifelines_logrank(t_t, t_c, e_t, e_c)
    assert r.logrank.p_value == pytest.approx(theirs.p_value, abs=TOL)


def test_rmst_rejects_tau_beyond_follow_up_and_bad_input():
    with pytest.raises(ValueError, match=r"beyond the longest follow-up in the control arm"):
        ex.rmst_difference([1, 2, 3, 4], [1, 0, 1, 0], [0, 0, 1, 1], tau=5)
    with pytest.raises(ValueError, match="groups must hold 'control' or 'treatment'"):
        ex.rmst_difference([1, 2], [1, 1], ["control", "B"], tau=1)
    with pytest.raises(ValueError, match="negative values: 1 at positions 1"):
        ex.rmst_difference([1, -2], [1, 1], [0, 1], tau=1)
    with pytest.raises(ValueError, match="observed must be 0/1"):
        ex.rmst_difference([1, 2], [1, 2], [0, 1], tau=1)


# --------------------------------------------------------------------------- power


@pytest.mark.parametrize(
    ("p_c", "p_t", "alpha", "power", "ratio"),
    [(0.20, 0.22, 0.05, 0.8, 1.0), (0.30, 0.27, 0.01, 0.9, 2.0), (0.05, 0.07, 0.05, 0.8, 0.5)],
)
def test_sample_size_matches_statsmodels(p_c, p_t, alpha, power, ratio):
    s = ex.sample_size_proportions(p_c, p_t, alpha, power, ratio)
    # statsmodels: sample 1 has p1 = prop2 + diff (treatment), nobs2 = ratio_sm * nobs1.
    n_treated = samplesize_proportions_2indep_onetail(p_t - p_c, p_c, power, 1 / ratio, alpha)
    assert s.n_treatment_exact == pytest.approx(n_treated, rel=TOL)
    assert s.n_control == math.ceil(s.n_control_exact)
    achieved = power_proportions_2indep(p_t - p_c, p_c, s.n_treatment_exact, 1 / ratio, alpha)
    assert achieved.power == pytest.approx(power, abs=1e-4)  # the far tail adds a little

    a = ex.sample_size_proportions(p_c, p_t, alpha, power, ratio, method="arcsine")
    effect = abs(proportion_effectsize(p_t, p_c))
    # the one-tail formula is NormalIndPower's one-sided test at alpha / 2 ...
    n_control = NormalIndPower().solve_power(
        effect, alpha=alpha / 2, power=power, ratio=ratio, alternative="larger"
    )
    assert a.n_control_exact == pytest.approx(n_control, rel=TOL)
    # ... and the two-sided test's far tail adds at most ~1e-6 of power
    two_sided = NormalIndPower().power(effect, a.n_control_exact, alpha, ratio)
    assert two_sided == pytest.approx(power, abs=2e-6)


def _power_by_simulation(n_c, n_t, p_c, p_t, trials, rng, alpha=0.05):
    x_c, x_t = rng.binomial(n_c, p_c, trials), rng.binomial(n_t, p_t, trials)
    pooled = (x_c + x_t) / (n_c + n_t)
    z = (x_t / n_t - x_c / n_c) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    return np.mean(np.abs(z) >= stats.norm.ppf(1 - alpha / 2))


@pytest.mark.parametrize("method", ["pooled", "arcsine"])
def test_sample_size_reaches_its_power_by_simulation(method):
    rng = np.random.default_rng(21)
    for p_c, p_t, ratio in [(0.30, 0.33, 1.0), (0.10, 0.13, 2.0)]:
        s = ex.sample_size_proportions(p_c, p_t, power=0.8, ratio=ratio, method=method)
        measured = _power_by_simulation(s.n_control, s.n_treatment, p_c, p_t, 4000, rng)
        assert abs(measured - 0.8) < 0.03, (p_c, p_t, ratio, measured)


def _logrank_statistics(times: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Log-rank chi-square per row, for continuous times (no ties) and no censoring."""
    order = np.argsort(times, axis=1)
    g = np.take_along_axis(treated, order, axis=1).astype(float)
    n = times.shape[1]
    at_risk = n - np.arange(n)
    treated_at_risk = np.cumsum(g[:, ::-1], axis=1)[:, ::-1]
    share = treated_at_risk / at_risk
    observed_minus_expected = (g - share).sum(axis=1)
    variance = (share * (1 - share)).sum(axis=1)
    return observed_minus_expected**2 / variance


def test_events_needed_schoenfeld_by_hand_and_by_simulation():
    # (1.959964 + 0.841621)**2 / (0.25 * log(0.7)**2) = 7.848879 / 0.0318042 = 246.79
    r = ex.events_needed_logrank(0.7)
    assert r.events_exact == pytest.approx(
        (Z95 + stats.norm.ppf(0.8)) ** 2 / (0.25 * math.log(0.7) ** 2), abs=1e-12
    )
    assert (r.events, ex.events_needed_logrank(0.7, churn_probability=0.5).users) == (247, 494)
    # Simulate trials of d users who all churn (exponential, hazard ratio 0.7), so exactly
    # d churns are observed; the log-rank test should reject 80 % of the time.
    rng = np.random.default_rng(4)
    trials = 3000
    for hazard_ratio, allocation in [(0.7, 0.5), (1.5, 0.3)]:
        d = ex.events_needed_logrank(hazard_ratio, allocation=allocation).events
        treated = np.zeros((trials, d), dtype=bool)
        treated[:, : round(allocation * d)] = True
        times = rng.exponential(np.where(treated, 1 / hazard_ratio, 1.0))
        statistic = _logrank_statistics(times, treated)
        single = logrank_test(times[0, treated[0]], np.ones(treated[0].sum()),
                              times[0, ~treated[0]], np.ones((~treated[0]).sum()))
        assert statistic[0] == pytest.approx(single.statistic, rel=1e-9)
        measured = np.mean(statistic >= stats.chi2.ppf(0.95, 1))
        assert abs(measured - 0.8) < 0.03, (hazard_ratio, measured)


def test_power_rejects_bad_arguments():
    with pytest.raises(ValueError, match="no difference"):
        ex.sample_size_proportions(0.2, 0.2)
    with pytest.raises(ValueError, match="p_treatment must be strictly between 0 and 1"):
        ex.sample_size_proportions(0.2, 1.2)
    with pytest.raises(ValueError, match="ratio"):
        ex.sample_size_proportions(0.2, 0.3, ratio=0)
    with pytest.raises(ValueError, match="hazard_ratio"):
        ex.events_needed_logrank(1.0)
    with pytest.raises(ValueError, match="allocation"):
        ex.events_needed_logrank(0.8, allocation=1.0)


# --------------------------------------------------------------------------- CUPED


def test_cuped_theta_and_effect_equal_ols():
    rng = np.random.default_rng(2)
    n = 1000
    x = rng.gamma(2.0, 3.0, n)
    arm = rng.integers(0, 2, n)
    y = 1.0 + 0.7 * x + 0.8 * arm + rng.normal(0, 2, n)
    r = ex.cuped(y, x, np.where(arm == 1, "treatment", "control"))
    fit = sm.OLS(y, sm.add_constant(np.column_stack([arm, x]))).fit()
    assert r.theta == pytest.approx(fit.params[2], abs=TOL)
    assert r.adjusted_effect == pytest.approx(fit.params[1], abs=TOL)
    assert r.effect == pytest.approx(y[arm == 1].mean() - y[arm == 0].mean(), abs=1e-12)
    assert r.variance_reduction == pytest.approx(r.correlation**2, abs=1e-12)
    pooled = ex.cuped(y, x)
    simple = sm.OLS(y, sm.add_constant(x)).fit()
    assert pooled.theta == pytest.approx(simple.params[1], abs=TOL)
    assert np.mean(pooled.adjusted) == pytest.approx(np.mean(y), abs=1e-12)
    assert math.isnan(pooled.adjusted_effect)
    series = ex.cuped(pd.Series(y, index=np.arange(n) + 100, name="visits"), x)
    assert series.adjusted.index[0] == 100 and series.adjusted.name == "visits"


def test_cuped_keeps_the_effect_and_cuts_its_variance_by_rho_squared():
    rng = np.random.default_rng(9)
    sims, n, effect, slope, noise = 2000, 400, 0.5, 1.0, 1.5
    rho_squared = slope**2 / (slope**2 + noise**2)  # x ~ N(0, 1)
    raw, adjusted = np.empty(sims), np.empty(sims)
    arm = np.repeat(["control", "treatment"], n // 2)
    for i in range(sims):
        x = rng.normal(0, 1, n)
        y = slope * x + effect * (arm == "treatment") + rng.normal(0, noise, n)
        r = ex.cuped(y, x, arm)
        raw[i], adjusted[i] = r.effect, r.adjusted_effect
    for estimates in (raw, adjusted):
        assert abs(estimates.mean() - effect) < 4 * estimates.std() / math.sqrt(sims)
    assert 1 - adjusted.var() / raw.var() == pytest.approx(rho_squared, abs=0.04)


def test_cuped_rejects_constant_or_mismatched_covariate():
    with pytest.raises(ValueError, match="x is constant"):
        ex.cuped([1.0, 2.0, 3.0], [5.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="x has length 2"):
        ex.cuped([1.0, 2.0, 3.0], [5.0, 5.0])
    with pytest.raises(ValueError, match="y has missing or infinite values: 1 at positions 1"):
        ex.cuped([1.0, np.nan, 3.0], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- sequential


@pytest.mark.parametrize(
    ("looks", "constant"), [(2, 1.977), (3, 2.004), (4, 2.024), (5, 2.040), (10, 2.087)]
)
def test_classic_obrien_fleming_constants_match_jennison_turnbull(looks, constant):
    b = ex.obrien_fleming_boundaries(looks, 0.05, spending="classic")
    assert b.z[-1] == pytest.approx(constant, abs=6e-4)
    assert b.z == pytest.approx(b.z[-1] * np.sqrt(looks / np.arange(1, looks + 1)), rel=1e-12)


def test_lan_demets_boundaries_match_gsdesign_and_spending():
    b = ex.obrien_fleming_boundaries(5)
    # gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDOF): 4.8769 3.3570 2.6803 2.2898 2.0310
    assert b.z == pytest.approx([4.8769, 3.3570, 2.6803, 2.2898, 2.0310], abs=1.5e-4)
    per_side = 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - 0.0125) / np.sqrt(b.information))
    assert b.alpha_spent == pytest.approx(2 * per_side, abs=1e-8)
    assert b.nominal_p == pytest.approx(2 * stats.norm.sf(b.z), abs=1e-15)


@pytest.mark.parametrize(
    ("looks", "spending", "information"),
    [(4, "lan_demets", None), (4, "classic", None), (3, "lan_demets", [0.3, 0.55, 1.0])],
)
def test_boundaries_have_level_alpha_under_the_multivariate_normal(looks, spending, information):
    b = ex.obrien_fleming_boundaries(looks, 0.05, information=information, spending=spending)
    t = b.information
    correlation = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    stay = stats.multivariate_normal.cdf(
        b.z, np.zeros(looks), correlation, lower_limit=-b.z, abseps=1e-7, releps=1e-7,
        rng=np.random.default_rng(0),
    )
    assert 1 - stay == pytest.approx(0.05, abs=2e-4)


def test_peeking_inflates_type_one_error_and_obrien_fleming_does_not():
    r = ex.peeking_type_one_error(n_sims=20_000, looks=10, n_per_look=200, alpha=0.05, seed=7)
    assert r.sequential_rate <= 0.055
    assert r.naive_rate > 0.08
    assert abs(r.single_look_rate - 0.05) < 4 * r.single_look_se
    # naive peeking at |Z| >= 1.96 on 10 equally spaced looks: the multivariate normal gives
    # the exact (large-sample) rate, ~0.193 (Armitage, McPherson & Rowe 1969).
    t = np.arange(1, 11) / 10
    correlation = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    z = np.full(10, stats.norm.ppf(0.975))
    exact = 1 - stats.multivariate_normal.cdf(
        z, np.zeros(10), correlation, lower_limit=-z, abseps=1e-5, releps=1e-5,
        rng=np.random.default_rng(0),
    )
    assert exact == pytest.approx(0.193, abs=0.002)
    assert abs(r.naive_rate - exact) < 4 * r.naive_se
    assert np.all(np.diff(r.naive_rate_by_looks) >= 0)
    first_look_se = math.sqrt(0.05 * 0.95 / r.n_sims)
    assert abs(r.naive_rate_by_looks[0] - 0.05) < 4 * first_look_se  # one look is a fixed test


def test_sequential_rejects_bad_information():
    with pytest.raises(ValueError, match="information must increase"):
        ex.obrien_fleming_boundaries(3, information=[0.5, 0.4, 1.0])
    with pytest.raises(ValueError, match="information has 2 values for looks=3"):
        ex.obrien_fleming_boundaries(3, information=[0.5, 1.0])
    with pytest.raises(ValueError, match="looks must be an integer"):
        ex.obrien_fleming_boundaries(0)


# --------------------------------------------------------------------------- uplift metrics

# A worked table. Ranked by uplift (0.9, 0.8, 0.8, 0.4, 0.1, 0.1 -> ties enter together):
# row  y  treated   cut n   n_t  y_t  n_c  y_c   Qini y_t - y_c n_t/n_c   uplift curve
#  a   1    1         1      1    1    0    0     1                      (1 - 0) * 1 = 1
#  b   0    0
#  c   1    0         3      1    1    2    1     1 - 1 * 1/2 = 0.5      (1 - 1/2) * 3 = 1.5
#  d   1    1         4      2    2    2    1     2 - 1 * 2/2 = 1        (1 - 1/2) * 4 = 2
#  e   0    1
#  f   0    0         6      3    2    3    1     2 - 1 * 3/3 = 1        (2/3 - 1/3) * 6 = 2
HAND_Y = [1, 0, 1, 1, 0, 0]
HAND_UPLIFT = [0.9, 0.8, 0.8, 0.4, 0.1, 0.1]
HAND_T = [1, 0, 0, 1, 1, 0]


def test_curves_by_hand():
    x, q = ex.qini_curve(HAND_Y, HAND_UPLIFT, HAND_T)
    assert x.tolist() == [0, 1, 3, 4, 6]
    assert q.tolist() == pytest.approx([0, 1, 0.5, 1, 1], abs=1e-12)
    x, u = ex.uplift_curve(HAND_Y, HAND_UPLIFT, ["treatment" if t else "control" for t in HAND_T])
    assert x.tolist() == [0, 1, 3, 4, 6]
    assert u.tolist() == pytest.approx([0, 1, 1.5, 2, 2], abs=1e-12)


def test_qini_auc_and_uplift_at_k_by_hand():
    # Qini area (trapezoids): 0.5 + 2 * 0.75 + 0.75 + 2 * 1 = 4.75; random line to (6, 1): 3.
    # Perfect curve (negative_effect): score y*t - y*(1-t) = [1, 0, -1, 1, 0, 0]; treated
    # responders a, d first (Qini 2 at n=2), then b, e, f (n=5: n_t 3, y_t 2, n_c 2, y_c 0
    # -> 2), then c (n=6: 2 - 1*3/3 = 1): area 2 + 3 * 2 + 1.5 = 9.5. Score (4.75 - 3) / 6.5.
    score = ex.qini_auc_score(HAND_Y, HAND_UPLIFT, HAND_T)
    assert score == pytest.approx(1.75 / 6.5, abs=1e-12)
    # Top 50 % overall = rows a, b, c (order a, c, b: ties later-first): treated a -> 1;
    # control b, c -> 1/2. By group (top half of each arm): treated a (1) minus control c (1).
    assert ex.uplift_at_k(HAND_Y, HAND_UPLIFT, HAND_T, "overall", 0.5) == pytest.approx(0.5)
    assert ex.uplift_at_k(HAND_Y, HAND_UPLIFT, HAND_T, "by_group", 1) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="both arms are needed"):
        ex.uplift_at_k(HAND_Y, HAND_UPLIFT, HAND_T, "overall", 1)
    with pytest.raises(ValueError, match="k must be a share"):
        ex.uplift_at_k(HAND_Y, HAND_UPLIFT, HAND_T, "overall", 1.5)
    with pytest.raises(ValueError, match="y_true must be 0/1"):
        ex.qini_auc_score([2, 0, 1, 1, 0, 0], HAND_UPLIFT, HAND_T)


def _random_uplift_data(seed: int, n: int = 3000):
    rng = np.random.default_rng(seed)
    treatment = rng.integers(0, 2, n)
    uplift = np.round(rng.normal(size=n), 1)  # rounding makes ties
    y = (rng.random(n) < 0.3 + 0.1 * treatment * (uplift > 0)).astype(int)
    return y, uplift, treatment


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_uplift(seed):
    sklift_metrics = pytest.importorskip("sklift.metrics")
    y, uplift, treatment = _random_uplift_data(seed)
    for ours, theirs in [
        (ex.qini_curve, sklift_metrics.qini_curve),
        (ex.uplift_curve, sklift_metrics.uplift_curve),
    ]:
        (x_a, y_a), (x_b, y_b) = ours(y, uplift, treatment), theirs(y, uplift, treatment)
        np.testing.assert_array_equal(x_a, x_b)
        np.testing.assert_allclose(y_a, y_b, rtol=0, atol=1e-9)
    for negative_effect in (True, False):
        assert ex.qini_auc_score(y, uplift, treatment, negative_effect) == pytest.approx(
            sklift_metrics.qini_auc_score(y, uplift, treatment, negative_effect), abs=TOL
        )
    assert ex.uplift_auc_score(y, uplift, treatment) == pytest.approx(
        sklift_metrics.uplift_auc_score(y, uplift, treatment), abs=TOL
    )
    for strategy in ("overall", "by_group"):
        for k in (0.1, 0.3, 250):
            assert ex.uplift_at_k(y, uplift, treatment, strategy, k) == pytest.approx(
                sklift_metrics.uplift_at_k(y, uplift, treatment, strategy, k), abs=TOL
            )


# --------------------------------------------------------------------------- uplift learners


def _population(seed: int, n: int = 6000, share: float = 0.5):
    """Retention with a known uplift: persuadables (x1 > 0), sleeping dogs (x2 > 1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    base = 1 / (1 + np.exp(-(0.3 + X[:, 0])))
    true_uplift = 0.25 * (X[:, 1] > 0) - 0.2 * (X[:, 2] > 1)
    p_treated = np.clip(base + true_uplift, 0, 1)
    treatment = (rng.permutation(n) < round(share * n)).astype(int)
    y = (rng.random(n) < np.where(treatment == 1, p_treated, base)).astype(int)
    return X, treatment, y, p_treated - base


def test_tlearner_is_the_difference_of_two_outcome_models():
    X, treatment, y, _ = _population(0)
    model = ex.TLearner(LogisticRegression()).fit(X, treatment, y)
    control = LogisticRegression().fit(X[treatment == 0], y[treatment == 0])
    treated = LogisticRegression().fit(X[treatment == 1], y[treatment == 1])
    expected = treated.predict_proba(X)[:, 1] - control.predict_proba(X)[:, 1]
    np.testing.assert_allclose(model.predict(X), expected, rtol=0, atol=1e-12)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    regression = ex.TLearner(LinearRegression()).fit(frame, treatment, y)
    direct = LinearRegression().fit(frame[treatment == 1], y[treatment == 1]).predict(frame)
    direct -= LinearRegression().fit(frame[treatment == 0], y[treatment == 0]).predict(frame)
    np.testing.assert_allclose(regression.predict(frame), direct, rtol=0, atol=1e-12)


def test_learners_equal_scikit_uplift_on_balanced_arms():
    sklift_models = pytest.importorskip("sklift.models")
    X, treatment, y, _ = _population(1)
    ours = ex.ClassTransformation(LogisticRegression()).fit(X, treatment, y).predict(X)
    theirs = sklift_models.ClassTransformation(LogisticRegression()).fit(X, y, treatment)
    np.testing.assert_allclose(ours, theirs.predict(X), rtol=0, atol=1e-9)
    ours = ex.TLearner(LogisticRegression()).fit(X, treatment, y).predict(X)
    theirs = sklift_models.TwoModels(LogisticRegression(), LogisticRegression(), method="vanilla")
    np.testing.assert_allclose(ours, theirs.fit(X, y, treatment).predict(X), rtol=0, atol=1e-9)


@pytest.mark.parametrize("learner", [ex.TLearner, ex.ClassTransformation])
@pytest.mark.parametrize("share", [0.5, 0.3])
def test_learners_recover_the_true_uplift(learner, share):
    X, treatment, y, truth = _population(2, n=20_000, share=share)
    base = DecisionTreeClassifier(max_depth=4, min_samples_leaf=200, random_state=0)
    predicted = learner(base).fit(X, treatment, y).predict(X)
    assert stats.spearmanr(predicted, truth).statistic > 0.7
    assert predicted.mean() == pytest.approx(truth.mean(), abs=0.02)


def test_class_transformation_needs_its_reweighting_when_arms_are_unequal():
    X, treatment, y, truth = _population(2, n=20_000, share=0.3)
    label = y * treatment + (1 - y) * (1 - treatment)
    base = DecisionTreeClassifier(max_depth=4, min_samples_leaf=200, random_state=0)
    unweighted = 2 * base.fit(X, label).predict_proba(X)[:, 1] - 1
    assert abs(unweighted.mean() - truth.mean()) > 0.05  # the plain identity is biased here
    weighted = ex.ClassTransformation(base).fit(X, treatment, y)
    assert weighted.treatment_share_ == pytest.approx(0.3)
    assert abs(weighted.predict(X).mean() - truth.mean()) < 0.02


def test_learners_reject_what_they_cannot_fit():
    X, treatment, y, _ = _population(3, n=400, share=0.3)
    with pytest.raises(ValueError, match="takes no sample_weight"):
        ex.ClassTransformation(KNeighborsClassifier()).fit(X, treatment, y)
    with pytest.raises(ValueError, match="classifier with predict_proba"):
        ex.ClassTransformation(LinearRegression()).fit(X, treatment, y)
    with pytest.raises(ValueError, match="only the 'control' arm"):
        ex.TLearner(LogisticRegression()).fit(X, np.zeros(len(X)), y)
    with pytest.raises(ValueError, match="single value in the treatment arm"):
        ex.TLearner(LogisticRegression()).fit(X, treatment, np.where(treatment == 1, 1, y))
    with pytest.raises(ValueError, match="y has length 3"):
        ex.TLearner(LogisticRegression()).fit(X, treatment, y[:3])


# --------------------------------------------------------------------------- policy value


def test_policy_value_by_hand_with_ties():
    # scores 0.9, 0.5, 0.5, 0.1; effects 0.2, 0.4, -0.2, 0.1; value 10, cost 1 per contact.
    # k=1: user 0 -> 0.2, net 2 - 1 = 1.  k=2: user 0 plus half of the tie (0.4 - 0.2) / 2
    # -> 0.3, net 3 - 2 = 1.  k=3: 0.4, net 1.  k=4: 0.5, net 1.
    r = ex.policy_value(
        [0.9, 0.5, 0.5, 0.1], [0.2, 0.4, -0.2, 0.1], value_per_retained=10, cost_per_contact=1
    )
    assert r.k.tolist() == [0, 1, 2, 3, 4]
    assert r.extra_retained.tolist() == pytest.approx([0, 0.2, 0.3, 0.4, 0.5], abs=1e-12)
    assert r.net_value.tolist() == pytest.approx([0, 1, 1, 1, 1], abs=1e-12)
    assert r.cost.tolist() == pytest.approx([0, 1, 2, 3, 4], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_policy_value_equals_brute_force_and_oracle_is_best(seed):
    rng = np.random.default_rng(seed)
    n = 50
    effect, scores = rng.normal(0, 0.1, n), rng.normal(size=n)  # continuous: no ties
    value, cost = rng.uniform(5, 20, n), rng.uniform(0, 1, n)
    r = ex.policy_value(scores, effect, value_per_retained=value, cost_per_contact=cost)
    ranked = np.argsort(-scores)
    brute = [(value * effect - cost)[ranked[:k]].sum() for k in range(n + 1)]
    assert r.net_value == pytest.approx(brute, abs=1e-12)
    table = ex.compare_policies({"score": scores}, effect, [5, 20], value_per_retained=value,
                                cost_per_contact=cost)
    best = table[table["policy"] == "oracle uplift"]["net_value"].to_numpy()
    for _, rows in table.groupby("policy"):
        assert np.all(rows["net_value"].to_numpy() <= best + 1e-12)


def test_compare_policies_risk_is_not_uplift():
    # Lost causes: high risk, zero effect. Persuadables: medium risk, +0.3. Sure things: low
    # risk, 0. Sleeping dogs: low risk, -0.1. Targeting 100 by risk reaches the lost causes.
    groups = {"lost": (100, 0.95, 0.0), "persuadable": (100, 0.5, 0.3),
              "sure": (200, 0.05, 0.0), "sleeping": (100, 0.1, -0.1)}
    risk = np.concatenate([np.full(n, r) for n, r, _ in groups.values()])
    effect = np.concatenate([np.full(n, e) for n, _, e in groups.values()])
    table = ex.compare_policies({"churn risk": risk}, effect, k=100, cost_per_contact=0.05)
    by_name = table.set_index("policy")
    assert by_name.loc["churn risk", "extra_retained"] == pytest.approx(0.0)
    assert by_name.loc["oracle uplift", "extra_retained"] == pytest.approx(30.0)
    assert by_name.loc["random", "extra_retained"] == pytest.approx(100 / 500 * 20.0)
    assert by_name.loc["oracle uplift", "net_value"] == pytest.approx(30 - 5)
    assert by_name.loc["churn risk", "rank_correlation"] == pytest.approx(
        stats.spearmanr(risk, effect).statistic
    )
    with pytest.raises(ValueError, match="reserved"):
        ex.compare_policies({"random": risk}, effect, k=10)
    with pytest.raises(ValueError, match=r"k must be whole numbers of contacts in 0..500"):
        ex.compare_policies({"risk": risk}, effect, k=501)
    with pytest.raises(ValueError, match="cost_per_contact has 3 values for 500 users"):
        ex.policy_value(risk, effect, 10, cost_per_contact=[1, 2, 3])


def test_public_names_are_exported_and_documented():
    import dataclasses

    import retainkit.experiments as package

    for name in package.__all__:
        obj = getattr(package, name)
        if dataclasses.is_dataclass(obj):  # result types
            assert obj.__doc__ and obj.__doc__.startswith("Result of"), name
        else:
            assert "Introduced in notebook 08." in " ".join(obj.__doc__.split()), name
            assert name in package.__doc__, name
