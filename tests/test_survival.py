"""Tests for retainkit.survival and its plots.

Oracles: lifelines (KaplanMeierFitter, NelsonAalenFitter, ExponentialFitter, WeibullFitter
and their fit_interval_censoring, statistics.logrank_test and multivariate_logrank_test) on
its bundled waltons and rossi datasets and on random data; small tables computed by hand and
written out below; numerical integration and optimisation with scipy; the published sBG
estimates of Fader & Hardie (2007). Issue 16 adds: lifelines' entry= fits, AalenJohansenFitter,
restricted_mean_survival_time and proportional_hazard_test; statsmodels' PHReg (Cox score test
with delayed entry, Schoenfeld residuals); scikit-learn's unpenalised logistic regression; a
Monte-Carlo gamma-frailty population; the simulator's true lifetimes.
"""

from __future__ import annotations

import math
import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import (
    ExponentialFitter,
    KaplanMeierFitter,
    NelsonAalenFitter,
    WeibullFitter,
)
from lifelines.datasets import load_rossi, load_waltons
from lifelines.statistics import logrank_test as lifelines_logrank
from lifelines.statistics import multivariate_logrank_test as lifelines_multivariate_logrank
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from scipy import integrate, optimize, stats

from retainkit.plotting._survival import (
    at_risk_counts,
    plot_cumulative_hazard,
    plot_hazard,
    plot_km,
    plot_loglog,
)
from retainkit.simulate import simulate_app
from retainkit.survival import (
    aalen_johansen,
    durations_from_events,
    fit_discrete_hazard,
    fit_exponential,
    fit_sbg,
    fit_weibull,
    frailty_population_hazard,
    kaplan_meier,
    logrank_test,
    median_survival,
    multivariate_logrank_test,
    nelson_aalen,
    person_period,
    ph_test,
    rmst,
    sbg_survival,
    smoothed_hazard,
)

Z95 = 1.959963984540054

WALTONS = load_waltons()
ROSSI = load_rossi()
DATASETS = {
    "waltons": (WALTONS["T"], WALTONS["E"]),
    "rossi": (ROSSI["week"], ROSSI["arrest"]),
}

# Six subjects, worked by hand: durations (days) and whether the churn was seen.
HAND_T = [2, 3, 3, 5, 6, 8]
HAND_E = [1, 1, 0, 1, 0, 1]

# Fader & Hardie (2007), Table 1: customers still active at the start of years 0..7.
SBG_REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
SBG_HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- Kaplan-Meier


def test_kaplan_meier_hand_computed_table():
    km = kaplan_meier(HAND_T, HAND_E)
    assert km.index.tolist() == [0.0, 2.0, 3.0, 5.0, 6.0, 8.0]
    assert km.index.name == "time"
    assert km["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert km["observed"].tolist() == [0, 1, 1, 1, 0, 1]
    assert km["censored"].tolist() == [0, 0, 1, 0, 1, 0]
    expected_s = [1, 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 5 / 6 * 4 / 5 * 2 / 3, 0]
    np.testing.assert_allclose(km["survival"], expected_s, atol=1e-15)
    # Exponential Greenwood by hand: V = sum d / (n (n - d)), c = z sqrt(V) / |log S|.
    for time, s, v in [
        (2, 5 / 6, 1 / 30),
        (3, 2 / 3, 1 / 12),
        (5, 4 / 9, 1 / 4),
        (6, 4 / 9, 1 / 4),
    ]:
        c = Z95 * math.sqrt(v) / abs(math.log(s))
        assert km.loc[time, "ci_lower"] == pytest.approx(s ** math.exp(c), abs=1e-12)
        assert km.loc[time, "ci_upper"] == pytest.approx(s ** math.exp(-c), abs=1e-12)
    assert km.loc[0.0, ["ci_lower", "ci_upper"]].tolist() == [1.0, 1.0]
    assert km.loc[8.0, ["ci_lower", "ci_upper"]].tolist() == [0.0, 0.0]
    assert median_survival(km).median == 5.0


@pytest.mark.parametrize("name", DATASETS)
def test_kaplan_meier_equals_lifelines(name):
    durations, observed = DATASETS[name]
    km = kaplan_meier(durations, observed)
    kmf = KaplanMeierFitter().fit(durations, observed)
    np.testing.assert_array_equal(km.index.to_numpy(), kmf.event_table.index.to_numpy())
    for column in ("at_risk", "observed", "censored"):
        np.testing.assert_array_equal(km[column], kmf.event_table[column])
    np.testing.assert_allclose(km["survival"], kmf.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        km[["ci_lower", "ci_upper"]], kmf.confidence_interval_, rtol=0, atol=1e-9
    )
    median, lower, upper = median_survival(km)
    lifelines_bounds = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
    assert (median, lower, upper) == (kmf.median_survival_time_, *lifelines_bounds)


def test_kaplan_meier_conf_level_matches_lifelines_alpha():
    durations, observed = DATASETS["waltons"]
    km = kaplan_meier(durations, observed, conf_level=0.8)
    kmf = KaplanMeierFitter(alpha=0.2).fit(durations, observed)
    np.testing.assert_allclose(
        km[["ci_lower", "ci_upper"]], kmf.confidence_interval_, rtol=0, atol=1e-9
    )
    assert km.attrs["conf_level"] == 0.8


def test_median_survival_is_infinite_when_never_reached():
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])  # S stays at 3/4
    median, lower, upper = median_survival(km)
    assert median == math.inf and upper == math.inf
    # with 4 subjects the lower bound 0.75 ** exp(z sqrt(1/12) / log(4/3)) = 0.128 at day 1
    assert lower == 1.0


def test_durations_accept_timedeltas_and_booleans():
    as_days = kaplan_meier(HAND_T, HAND_E)
    as_timedeltas = kaplan_meier(pd.to_timedelta(HAND_T, unit="D"), np.array(HAND_E, dtype=bool))
    pd.testing.assert_frame_equal(as_days, as_timedeltas)


survival_samples = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 15).map(float), st.floats(0, 60, allow_nan=False)),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None)
@given(survival_samples)
def test_kaplan_meier_properties_and_lifelines_agreement(sample):
    durations, observed = map(list, zip(*sample, strict=True))
    km = kaplan_meier(durations, observed)
    s = km["survival"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all()
    assert (np.diff(s) <= 1e-15).all()
    assert (km["ci_lower"] <= s + 1e-12).all() and (s <= km["ci_upper"] + 1e-12).all()
    assert ((km["ci_lower"] >= 0) & (km["ci_upper"] <= 1)).all()
    kmf = KaplanMeierFitter().fit(durations, observed)
    np.testing.assert_allclose(s, kmf.survival_function_.iloc[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        km[["ci_lower", "ci_upper"]], kmf.confidence_interval_, rtol=0, atol=1e-9
    )


# -------------------------------------------------------------- Nelson-Aalen and hazard


def test_nelson_aalen_hand_computed():
    na = nelson_aalen(HAND_T, HAND_E)
    np.testing.assert_allclose(
        na["cumulative_hazard"],
        [
            0,
            1 / 6,
            1 / 6 + 1 / 5,
            1 / 6 + 1 / 5 + 1 / 3,
            1 / 6 + 1 / 5 + 1 / 3,
            1 / 6 + 1 / 5 + 1 / 3 + 1,
        ],
        atol=1e-15,
    )
    # Three tied churns among four at risk: smooth adds 1/4 + 1/3 + 1/2, discrete 3/4.
    tied = ([1, 1, 1, 2], [1, 1, 1, 0])
    smooth = nelson_aalen(*tied)
    discrete = nelson_aalen(*tied, ties="discrete")
    assert smooth.loc[1.0, "cumulative_hazard"] == pytest.approx(1 / 4 + 1 / 3 + 1 / 2)
    assert smooth.loc[1.0, "variance"] == pytest.approx(1 / 16 + 1 / 9 + 1 / 4)
    assert discrete.loc[1.0, "cumulative_hazard"] == pytest.approx(3 / 4)
    assert discrete.loc[1.0, "variance"] == pytest.approx(1 * 3 / 4**3)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("ties", "smoothing"), [("smooth", True), ("discrete", False)])
def test_nelson_aalen_equals_lifelines(name, ties, smoothing):
    durations, observed = DATASETS[name]
    na = nelson_aalen(durations, observed, ties=ties)
    naf = NelsonAalenFitter(nelson_aalen_smoothing=smoothing).fit(durations, observed)
    np.testing.assert_array_equal(na.index.to_numpy(), naf.timeline)
    np.testing.assert_allclose(
        na["cumulative_hazard"], naf.cumulative_hazard_.iloc[:, 0], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        na[["ci_lower", "ci_upper"]], naf.confidence_interval_, rtol=0, atol=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(survival_samples)
def test_nelson_aalen_properties(sample):
    durations, observed = map(list, zip(*sample, strict=True))
    na = nelson_aalen(durations, observed)
    h = na["cumulative_hazard"].to_numpy()
    assert h[0] == 0 or na["observed"].iloc[0] > 0
    assert (np.diff(h) >= 0).all()
    assert (na["ci_lower"] <= h + 1e-12).all() and (h <= na["ci_upper"] + 1e-12).all()
    # exp(-H) never falls below Kaplan-Meier (1 - x <= exp(-x) at every step)
    km = kaplan_meier(durations, observed)
    assert (np.exp(-h) >= km["survival"].to_numpy() - 1e-12).all()
    naf = NelsonAalenFitter().fit(durations, observed)
    np.testing.assert_allclose(h, naf.cumulative_hazard_.iloc[:, 0], rtol=0, atol=1e-9)


def test_smoothed_hazard_equals_lifelines():
    durations, observed = DATASETS["rossi"]
    naf = NelsonAalenFitter().fit(durations, observed)
    ours = smoothed_hazard(durations, observed, bandwidth=5.0, times=naf.timeline)
    theirs = naf.smoothed_hazard_(5.0).iloc[:, 0]
    theirs_ci = naf.smoothed_hazard_confidence_intervals_(5.0).to_numpy()
    np.testing.assert_allclose(ours["hazard"], theirs, rtol=0, atol=1e-12)
    # lifelines labels its columns the other way round: its "lower" is the upper bound
    np.testing.assert_allclose(ours[["ci_upper", "ci_lower"]], theirs_ci, rtol=0, atol=1e-12)
    assert (ours["ci_lower"] <= ours["hazard"]).all()


def test_smoothed_hazard_of_exponential_sample_is_near_true_rate():
    rng = np.random.default_rng(3)
    true_rate = 0.05
    durations = rng.exponential(1 / true_rate, size=4000)
    observed = durations < 40
    durations = np.minimum(durations, 40.0)
    h = smoothed_hazard(durations, observed, bandwidth=5.0, times=[10.0, 20.0, 30.0])
    np.testing.assert_allclose(h["hazard"], true_rate, rtol=0.15)
    assert ((h["ci_lower"] < true_rate) & (true_rate < h["ci_upper"])).sum() >= 2


# --------------------------------------------------------------------- parametric models


def test_exponential_hand_computed():
    fit = fit_exponential(HAND_T, HAND_E)
    assert fit.rate == 4 / 27  # 4 churns over 2+3+3+5+6+8 = 27 days of exposure
    assert fit.scale == pytest.approx(27 / 4)
    assert fit.rate_se == pytest.approx((4 / 27) / 2)
    assert fit.rate_ci == pytest.approx(
        ((4 / 27) * math.exp(-Z95 / 2), (4 / 27) * math.exp(Z95 / 2))
    )
    assert fit.log_likelihood == pytest.approx(4 * math.log(4 / 27) - 4)
    assert fit.hazard(3.0) == pytest.approx(4 / 27)
    assert fit.survival(2.0) == pytest.approx(math.exp(-8 / 27))
    assert fit.median == pytest.approx(math.log(2) * 27 / 4)


@pytest.mark.parametrize("name", DATASETS)
def test_exponential_equals_lifelines(name):
    durations, observed = DATASETS[name]
    fit = fit_exponential(durations, observed)
    exf = ExponentialFitter().fit(durations, observed)
    # lifelines' lambda_ is the scale 1 / rate, found by a numerical optimiser
    assert fit.scale == pytest.approx(exf.lambda_, rel=1e-6)
    assert fit.scale_se == pytest.approx(exf.summary.loc["lambda_", "se(coef)"], rel=1e-5)
    assert fit.log_likelihood == pytest.approx(exf.log_likelihood_, abs=1e-6)


@pytest.mark.filterwarnings("ignore:fit_exponential. .* duration 0:UserWarning")
@settings(max_examples=60, deadline=None)
@given(survival_samples)
def test_exponential_mle_is_events_over_exposure(sample):
    durations, observed = map(list, zip(*sample, strict=True))
    events, exposure = sum(observed), math.fsum(durations)
    if events == 0 or exposure == 0 or not math.isfinite(events / exposure):
        with pytest.raises(ValueError):
            fit_exponential(durations, observed)
        return
    fit = fit_exponential(durations, observed)
    assert fit.rate == pytest.approx(events / exposure, rel=1e-12)
    assert fit.rate_ci[0] < fit.rate < fit.rate_ci[1]
    # no nearby rate has a higher log-likelihood
    for factor in (0.99, 1.01):
        rate = fit.rate * factor
        assert events * math.log(rate) - rate * exposure <= fit.log_likelihood + 1e-9


@pytest.mark.parametrize("name", DATASETS)
def test_weibull_equals_lifelines(name):
    durations, observed = DATASETS[name]
    fit = fit_weibull(durations, observed)
    wf = WeibullFitter().fit(durations, observed)
    se = wf.summary["se(coef)"]
    # lifelines uses a general optimiser: agreement seen ~1e-6 relative, asserted at 1e-4
    assert fit.scale == pytest.approx(wf.lambda_, rel=1e-4)
    assert fit.shape == pytest.approx(wf.rho_, rel=1e-4)
    assert fit.scale_se == pytest.approx(se["lambda_"], rel=1e-4)
    assert fit.shape_se == pytest.approx(se["rho_"], rel=1e-4)
    np.testing.assert_allclose(fit.covariance, wf.variance_matrix_.to_numpy(), rtol=1e-3)
    assert fit.log_likelihood == pytest.approx(wf.log_likelihood_, abs=1e-6)
    assert fit.log_likelihood >= wf.log_likelihood_ - 1e-9  # the exact maximum
    times = np.array([1.0, 10.0, 30.0])
    np.testing.assert_allclose(fit.survival(times), wf.survival_function_at_times(times), rtol=1e-4)
    np.testing.assert_allclose(fit.hazard(times), wf.hazard_at_times(times), rtol=1e-4)


@pytest.mark.parametrize(
    "fit",
    [
        fit_exponential(*DATASETS["waltons"]),
        fit_weibull(*DATASETS["waltons"]),
        fit_weibull([1, 2, 3, 5, 8, 30, 60], [1, 1, 1, 1, 1, 0, 1]),
    ],
    ids=["exponential", "weibull-rising", "weibull-falling"],
)
def test_model_functions_are_consistent(fit):
    # F is the integral of the density f, S = 1 - F, and the hazard is f / S (not f).
    for t in (0.5, 7.0, 40.0):
        area, _ = integrate.quad(fit.pdf, 0, t)
        assert fit.cdf(t) == pytest.approx(area, rel=1e-7)
        assert fit.survival(t) == pytest.approx(1 - fit.cdf(t))
        assert fit.hazard(t) == pytest.approx(fit.pdf(t) / fit.survival(t))
        assert fit.cumulative_hazard(t) == pytest.approx(-math.log(fit.survival(t)))
    assert fit.survival(fit.median) == pytest.approx(0.5)
    values = fit.survival(np.array([1.0, 2.0]))
    assert isinstance(values, np.ndarray) and values.shape == (2,)


def test_weibull_falling_hazard_has_shape_below_one():
    fit = fit_weibull([1, 2, 3, 5, 8, 30, 60], [1, 1, 1, 1, 1, 0, 1])
    assert fit.shape < 1
    assert fit.hazard(1.0) > fit.hazard(10.0)


# ------------------------------------------------------------------------------ log-rank


def test_logrank_hand_computed():
    # a churns at 1 and 2, b at 3 and 4: E_a = 1/2 + 1/3, V = 1/4 + 2/9, statistic 49/17
    result = logrank_test([1, 2], [1, 1], [3, 4], [1, 1])
    assert result.observed_a == 2 and result.expected_a == pytest.approx(5 / 6)
    assert result.variance == pytest.approx(17 / 36)
    assert result.statistic == pytest.approx(49 / 17)
    assert result.p_value == pytest.approx(stats.chi2.sf(49 / 17, 1))
    assert result.degrees_of_freedom == 1


@pytest.mark.parametrize(
    ("durations", "observed", "group", "a"),
    [
        (ROSSI["week"], ROSSI["arrest"], ROSSI["fin"], 1),
        (WALTONS["T"], WALTONS["E"], WALTONS["group"], "control"),
    ],
    ids=["rossi-fin", "waltons-group"],
)
def test_logrank_equals_lifelines(durations, observed, group, a):
    in_a = (group == a).to_numpy()
    d, e = durations.to_numpy(), observed.to_numpy()
    ours = logrank_test(d[in_a], e[in_a], d[~in_a], e[~in_a])
    theirs = lifelines_logrank(d[in_a], d[~in_a], e[in_a], e[~in_a])
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom
    assert ours.observed_a + ours.observed_b == pytest.approx(ours.expected_a + ours.expected_b)


@settings(max_examples=25, deadline=None)
@given(survival_samples, survival_samples)
def test_logrank_matches_lifelines_on_random_groups(sample_a, sample_b):
    t_a, e_a = map(list, zip(*sample_a, strict=True))
    t_b, e_b = map(list, zip(*sample_b, strict=True))
    try:
        ours = logrank_test(t_a, e_a, t_b, e_b)
    except ValueError:
        return  # no churn while both groups are at risk: the statistic is undefined
    theirs = lifelines_logrank(t_a, t_b, e_a, e_b)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-7, abs=1e-10)


# ----------------------------------------------------------------------------------- sBG


@pytest.mark.parametrize(
    ("counts", "alpha", "beta"),
    [(SBG_REGULAR, 0.704, 1.182), (SBG_HIGH_END, 0.668, 3.806)],
    ids=["regular", "high-end"],
)
def test_sbg_reproduces_fader_hardie_2007(counts, alpha, beta):
    fit = fit_sbg(counts)
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta
    shares = fit_sbg(np.array(counts) / counts[0])
    assert shares.alpha == pytest.approx(fit.alpha, rel=1e-6)
    assert shares.log_likelihood == pytest.approx(fit.log_likelihood / counts[0], rel=1e-9)


def test_sbg_log_likelihood_by_hand():
    fit = fit_sbg(SBG_REGULAR)
    a, b = fit.alpha, fit.beta
    p, s, ll = a / (a + b), 1.0, 0.0
    for t in range(1, len(SBG_REGULAR)):  # P(T=t) recursion of the paper, eq. (7)
        if t > 1:
            p *= (b + t - 2) / (a + b + t - 1)
        s -= p
        ll += (SBG_REGULAR[t - 1] - SBG_REGULAR[t]) * math.log(p)
    ll += SBG_REGULAR[-1] * math.log(s)
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
    assert fit.survival(7) == pytest.approx(s, rel=1e-12)


def test_sbg_survival_against_integral_and_retention_product():
    alpha, beta = 0.704, 1.182
    density = stats.beta(alpha, beta).pdf
    for t in (1, 3, 12):
        integral, _ = integrate.quad(lambda th, t=t: (1 - th) ** t * density(th), 0, 1, limit=200)
        product = math.prod((beta + i - 1) / (alpha + beta + i - 1) for i in range(1, t + 1))
        assert sbg_survival(t, alpha, beta) == pytest.approx(integral, rel=1e-6)
        assert sbg_survival(t, alpha, beta) == pytest.approx(product, rel=1e-12)
    assert sbg_survival(0, alpha, beta) == 1.0


def test_sbg_projections_are_consistent():
    fit = fit_sbg(SBG_REGULAR)
    t = np.arange(1, 13)
    np.testing.assert_allclose(fit.retention_rate(t), fit.survival(t) / fit.survival(t - 1))
    np.testing.assert_allclose(fit.churn_probability(t), fit.survival(t - 1) - fit.survival(t))
    assert (np.diff(fit.retention_rate(t)) > 0).all()  # survivors get more loyal
    assert fit.expected_alive(0) == 1000
    # the fitted curve stays close to the data it was fitted on (paper's Figure 3)
    np.testing.assert_allclose(fit.expected_alive(np.arange(8)), SBG_REGULAR, rtol=0.03)


# ------------------------------------------------------------------ durations_from_events

# Naive wall-clock strings, as in a raw export; tz="UTC" says that they are UTC already.
HAND_LOG = pd.DataFrame(
    {
        "user_id": ["a", "a", "b", "b", "c"],
        "timestamp": [
            "2024-01-01 00:00",
            "2024-01-03 12:00",
            "2024-01-02 00:00",
            "2024-01-20 00:00",
            "2024-01-25 06:00",
        ],
        "event": ["session_start"] * 5,
    }
)
# The same users worked by hand (inactivity 7 days, as_of = the last event, 01-25 06:00, so
# follow-up ends at 01-18 06:00, the last moment a churn can be seen by as_of): a churned after
# 2.5 days; b was active after the end of follow-up and is censored there, after 16.25 days
# (not at as_of, 23.25 days: the last 7 days could not hold a churn); c started after the end
# of follow-up and is left out.
HAND_TABLE = pd.DataFrame(
    {
        "start": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 00:00"], utc=True),
        "last_seen": pd.to_datetime(["2024-01-03 12:00", "2024-01-20 00:00"], utc=True),
        "duration": [2.5, 16.25],
        "observed": [True, False],
    },
    index=pd.Index(["a", "b"], name="user_id"),
)
LEFT_OUT = "durations_from_events left out 1 user\\(s\\) who started after as_of - inactivity"


def test_durations_from_events_hand_computed():
    with pytest.warns(UserWarning, match=LEFT_OUT + " = 2024-01-18 06:00:00\\+00:00"):
        table = durations_from_events(HAND_LOG, inactivity="7D", tz="UTC")
    pd.testing.assert_frame_equal(table, HAND_TABLE)
    assert str(table["start"].dtype) == "datetime64[ns, UTC]"
    assert table.attrs == {"follow_up_end": pd.Timestamp("2024-01-18 06:00", tz="UTC"),
                           "left_out": 1}
    # 28 days: follow-up would end before anybody started
    with pytest.raises(ValueError, match="nobody started at or before as_of - inactivity"):
        durations_from_events(HAND_LOG, tz="UTC")


def test_durations_from_events_censors_without_immortal_time():
    # Acceptance of issue 16 on the simulation of notebook 03: Kaplan-Meier from the event
    # log is within 0.03 of the truth at 30 and 60 days. Censoring at as_of - start instead
    # (the immortal-time rule) is far off (about 0.28 and 0.24), which this test would catch.
    sim = simulate_app("social", n_users=4000, days=120, seed=7)
    truth = kaplan_meier(sim.truth["lifetime_days"], sim.truth["churned"])
    with pytest.warns(UserWarning, match="left out \\d+ user"):
        table = durations_from_events(sim.events, inactivity="28D", as_of=sim.end)
    km = kaplan_meier(table["duration"], table["observed"])

    def at(curve, day):
        return curve["survival"].loc[:day].iloc[-1]

    assert [at(truth, d) for d in (7, 30, 60)] == pytest.approx([0.351, 0.213, 0.157],
                                                                abs=0.002)
    for day in (30, 60):
        assert abs(at(km, day) - at(truth, day)) < 0.03
    # who is left out: exactly the users who started after as_of - inactivity
    follow_up_end = sim.end - pd.Timedelta("28D")
    first_seen = sim.events.groupby("user_id")["timestamp"].min()
    assert table.attrs["left_out"] == int((first_seen > follow_up_end).sum()) > 0
    assert table.index.equals(first_seen.index[first_seen <= follow_up_end])
    censored = ~table["observed"]
    np.testing.assert_allclose(
        table.loc[censored, "duration"],
        (follow_up_end - table.loc[censored, "start"]) / pd.Timedelta("1D"), rtol=0, atol=1e-9)
    assert (table.loc[censored, "last_seen"] > follow_up_end).all()
    assert (table.loc[~censored, "last_seen"] <= follow_up_end).all()
    # the old rule (everyone kept, censored at as_of - start) is off by more than 0.05
    last_seen = sim.events.groupby("user_id")["timestamp"].max()
    seen = last_seen + pd.Timedelta("28D") <= sim.end
    immortal = np.where(seen, last_seen - first_seen, sim.end - first_seen) / pd.Timedelta("1D")
    old = kaplan_meier(immortal, seen)
    assert all(at(old, d) - at(truth, d) > 0.05 for d in (30, 60))


@pytest.mark.filterwarnings("ignore:durations_from_events left out 1 user")
def test_naive_timestamps_without_tz_are_utc_with_the_front_door_warning():
    with pytest.warns(UserWarning, match="naive timestamps in column 'timestamp' were taken as"
                                         " UTC.*validate_events\\(df, tz="):
        table = durations_from_events(HAND_LOG, inactivity="7D")
    pd.testing.assert_frame_equal(table, HAND_TABLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tz= given: nothing to warn about but the late user
        warnings.filterwarnings("ignore", message=LEFT_OUT)
        durations_from_events(HAND_LOG, inactivity="7D", tz="UTC")


def _us_format(log):  # 01/03/2024 12:00 PM, read month first as validate_events does
    times = pd.to_datetime(log["timestamp"]).dt.strftime("%m/%d/%Y %I:%M %p")
    return log.assign(timestamp=times)


# One log written every way a real export writes it; all must give the hand-computed table.
SAME_LOG = {
    "naive strings": (lambda d: d, "UTC"),
    "naive datetimes": (lambda d: d.assign(timestamp=pd.to_datetime(d["timestamp"])), "UTC"),
    "aware UTC": (lambda d: d.assign(timestamp=pd.to_datetime(d["timestamp"], utc=True)), None),
    "aware New York": (lambda d: d.assign(timestamp=pd.to_datetime(d["timestamp"], utc=True)
                                          .dt.tz_convert("America/New_York")), None),
    "strings with offsets": (lambda d: d.assign(timestamp=d["timestamp"] + "+00:00"), None),
    "naive local strings": (lambda d: d.assign(
        timestamp=pd.to_datetime(d["timestamp"], utc=True).dt.tz_convert("Asia/Tokyo")
        .dt.strftime("%Y-%m-%d %H:%M")), "Asia/Tokyo"),
    "US-format strings": (_us_format, "UTC"),
    "categorical ids and events": (lambda d: d.assign(
        user_id=pd.Categorical(d["user_id"], categories=["c", "b", "a"]),
        event=d["event"].astype("category")), "UTC"),
}


@pytest.mark.filterwarnings("ignore:durations_from_events left out 1 user")
@pytest.mark.parametrize("how", sorted(SAME_LOG))
def test_durations_from_events_same_log_same_table(how):
    change, tz = SAME_LOG[how]
    table = durations_from_events(change(HAND_LOG.copy()), inactivity="7D", tz=tz)
    pd.testing.assert_frame_equal(table, HAND_TABLE)


def test_durations_from_events_as_of_boundary_and_later_events():
    # a's last visit + 7 days is exactly as_of: churn counts as seen (<=)
    with pytest.warns(UserWarning, match="ignored 2 events after as_of"):
        table = durations_from_events(HAND_LOG, inactivity="7D", as_of="2024-01-10 12:00",
                                      tz="UTC")
    assert table.index.tolist() == ["a", "b"]
    assert table["observed"].tolist() == [True, True]
    assert table["duration"].tolist() == [2.5, 0.0]
    with pytest.warns(UserWarning, match="ignored 2 events"):
        just_before = durations_from_events(HAND_LOG, inactivity="7D",
                                            as_of="2024-01-10 11:00", tz="UTC")
    assert just_before["observed"].tolist() == [False, True]
    # censored at the end of follow-up, 01-03 11:00, not at as_of
    assert just_before.loc["a", "duration"] == pytest.approx(2 + 11 / 24, abs=1e-12)


def test_naive_times_and_as_of_are_wall_clock_in_tz_across_dst():
    # New York springs forward on 2025-03-09 (02:00 -> 03:00 local): from noon on the 8th
    # (17:00 UTC, EST) to noon on the 10th (16:00 UTC, EDT) is 47 hours, not 48.
    log = pd.DataFrame({"user_id": ["a", "a", "b"],
                        "timestamp": ["2025-03-08 12:00", "2025-03-10 12:00", "2025-03-20 12:00"]})
    with pytest.warns(UserWarning, match=LEFT_OUT):  # b starts after the end of follow-up
        table = durations_from_events(log, inactivity="7D", tz="America/New_York")
    assert table.loc["a", "start"] == pd.Timestamp("2025-03-08 17:00", tz="UTC")
    assert table.loc["a", "last_seen"] == pd.Timestamp("2025-03-10 16:00", tz="UTC")
    assert table.loc["a", "duration"] == pytest.approx(47 / 24, abs=1e-12)
    assert table["observed"].tolist() == [True]
    with pytest.warns(UserWarning, match=LEFT_OUT):
        assert durations_from_events(log, inactivity="7D", tz="UTC").loc["a", "duration"] == 2.0
    # a naive as_of is in the same zone: 12:00 New York on the 17th is a's last visit + 7 days
    with pytest.warns(UserWarning, match="ignored 1 events"):
        boundary = durations_from_events(log, inactivity="7D", as_of="2025-03-17 12:00",
                                         tz="America/New_York")
    assert boundary["observed"].tolist() == [True]
    with pytest.warns(UserWarning, match="ignored 1 events"):
        before = durations_from_events(log, inactivity="7D", as_of="2025-03-17 11:59",
                                       tz="America/New_York")
    assert before["observed"].tolist() == [False]
    # censored at the end of follow-up, 03-10 11:59 New York: 47 hours minus a minute
    assert before.loc["a", "duration"] == pytest.approx(2 - 61 / 1440, abs=1e-12)
    # an aware as_of is a moment already: tz does not move it
    with pytest.warns(UserWarning, match="ignored 1 events"):
        aware = durations_from_events(log, inactivity="7D", tz="America/New_York",
                                      as_of=pd.Timestamp("2025-03-17 15:59", tz="UTC"))
    pd.testing.assert_frame_equal(aware, before)


@pytest.mark.filterwarnings("ignore:durations_from_events left out 1 user")
def test_durations_from_events_custom_columns():
    log = HAND_LOG.rename(columns={"user_id": "member", "timestamp": "at"})
    table = durations_from_events(log, inactivity="7D", user_col="member", time_col="at",
                                  tz="UTC")
    pd.testing.assert_frame_equal(table, HAND_TABLE.rename_axis("member"))


@pytest.mark.filterwarnings("ignore:Could not infer format")
@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda d: d.drop(columns="timestamp"), {},
         r"events has no column 'timestamp' \(time_col\); available columns: "
         r"\['user_id', 'event'\]"),
        (lambda d: d.drop(columns=["timestamp", "user_id"]), {"user_col": "user_id"},
         r"no columns 'user_id' \(user_col\), 'timestamp' \(time_col\)"),
        (lambda d: d.iloc[:0], {}, "events is empty"),
        (lambda d: d.assign(user_id=["a", None, "b", "b", "c"]), {},
         "column 'user_id': missing user id in 1 row"),
        (lambda d: d.assign(timestamp=[None] + list(d.timestamp[1:])), {},
         "column 'timestamp': missing or unparseable timestamp in 1 row"),
        (lambda d: d.assign(timestamp=["soon"] * 5), {},
         "column 'timestamp': missing or unparseable timestamp in 5 row"),
        (lambda d: d.assign(timestamp=[1.7e9] * 5), {}, "column 'timestamp' is numeric"),
        (lambda d: d.assign(timestamp=d["timestamp"] + ["Z", "", "", "", ""]), {},
         "a mix of tz-naive and tz-aware values"),
        (lambda d: d, {"tz": "Mars/Olympus_Mons"}, "tz='Mars/Olympus_Mons' is not a time zone"),
        (lambda d: d, {"inactivity": "0D"}, "inactivity must be a positive duration"),
        (lambda d: d, {"inactivity": "-3D"}, "inactivity must be a positive duration"),
        (lambda d: d, {"inactivity": "a while"}, "inactivity cannot be read as a duration"),
        (lambda d: d, {"as_of": "yesterday-ish"}, "as_of cannot be read as a timestamp"),
        (lambda d: d, {"as_of": "2023-12-31"}, "no event at or before as_of=2023-12-31"),
    ],
)
def test_durations_from_events_errors(change, kwargs, match):
    with pytest.raises(ValueError, match=match):
        durations_from_events(change(HAND_LOG.copy()), **{"tz": "UTC", **kwargs})


def test_durations_from_events_reports_every_problem_at_once():
    broken = HAND_LOG.assign(user_id=["a", None, "b", "b", "c"],
                             timestamp=["soon"] + list(HAND_LOG["timestamp"][1:]))
    with pytest.raises(ValueError, match="events has 2 problems") as error:
        durations_from_events(broken, tz="UTC")
    assert "missing user id in 1 row" in str(error.value)
    assert "missing or unparseable timestamp in 1 row" in str(error.value)
    with pytest.raises(ValueError, match="durations_from_events has 2 problems") as error:
        durations_from_events(HAND_LOG, inactivity="0D", as_of="yesterday-ish", tz="UTC")
    assert "inactivity must be a positive" in str(error.value)
    assert "as_of cannot be read" in str(error.value)
    with pytest.raises(TypeError, match="events must be a pandas DataFrame"):
        durations_from_events(HAND_LOG.to_dict("list"))


# --------------------------------------------------------------------------- bad input

ALL_ESTIMATORS = [kaplan_meier, nelson_aalen, fit_exponential, fit_weibull]


@pytest.mark.parametrize("estimator", ALL_ESTIMATORS)
@pytest.mark.parametrize(
    ("durations", "observed", "match"),
    [
        ([1.0, -2.0], [1, 1], "durations has 1 negative"),
        ([1.0, np.nan], [1, 1], "durations has 1 missing"),
        ([1.0, np.inf], [1, 1], "durations has 1 infinite"),
        (["1", "2"], [1, 1], "durations must be numbers"),
        ([1.0, 2.0], [1, 2], "observed has 1 values other than 0/1"),
        ([1.0, 2.0], ["yes", "no"], "observed must be boolean-like"),
        ([1.0, 2.0], [1, None], "observed has 1 missing"),
        ([1.0, 2.0], [1, 0, 1], "observed has length 3 but durations has length 2"),
        ([], [], "durations is empty"),
    ],
)
def test_bad_input_raises(estimator, durations, observed, match):
    with pytest.raises(ValueError, match=match):
        estimator(durations, observed)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: kaplan_meier([1, 2], [1, 0], conf_level=1.5), "conf_level"),
        (lambda: nelson_aalen([1, 2], [1, 0], ties="breslow"),
         "ties='breslow' is not supported; accepted values: 'smooth', 'discrete'"),
        (lambda: smoothed_hazard([1, 2], [1, 0], bandwidth=1, ties="x"), "ties='x' is not"),
        (lambda: kaplan_meier([1, 2], [1, 0], conf_level=True), "conf_level must be strictly"),
        (lambda: fit_exponential([1, 2], [1, 0], conf_level=0), "conf_level must be strictly"),
        (lambda: smoothed_hazard([1, 2], [1, 0], bandwidth="wide"), "bandwidth must be a pos"),
        (lambda: fit_sbg("1000 631 468"), "alive_counts must be numeric"),
        (lambda: fit_sbg([[1000, 631], [468, 382]]), "alive_counts must be one-dimensional"),
        (lambda: smoothed_hazard([1, 2], [1, 0], bandwidth=0), "bandwidth"),
        (lambda: median_survival(pd.DataFrame({"survival": [1.0]})), "ci_lower"),
        (lambda: fit_exponential([1, 2], [0, 0]), "at least one observed churn"),
        (lambda: fit_weibull([0, 2, 3], [1, 1, 0]), "positive"),
        (lambda: fit_weibull([2, 2, 2], [1, 1, 1]), "two distinct durations"),
        (lambda: logrank_test([1, 2], [0, 0], [3], [0]), "at least one observed churn"),
        (lambda: logrank_test([1, 2], [1, 3], [3], [0]), "observed_a has 1 values other"),
        (lambda: logrank_test([1], [1], [], []), "durations_b is empty"),
        (lambda: fit_sbg([1000, 631, 700]), "non-increasing"),
        (lambda: fit_sbg([600, 1000, 400]), "start with the initial cohort"),
        (lambda: fit_sbg([1000, 600]), "at least 3 values"),
        (lambda: fit_sbg([1000, -1, -2]), "non-negative"),
        (lambda: fit_sbg([1000, 1000, 1000]), "never decreases"),
        (lambda: sbg_survival(1, 0.0, 1.0), "alpha and beta must be positive"),
        (lambda: fit_sbg(SBG_REGULAR).retention_rate(0), "t >= 1"),
        (lambda: fit_exponential([1, 2], [1, 0]).survival(-1.0), "non-negative"),
    ],
)
def test_other_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -------------------------------------------------------------------------------- plots


def test_at_risk_counts_hand_computed():
    km = kaplan_meier(HAND_T, HAND_E)
    # subjects with duration >= t, from durations 2, 3, 3, 5, 6, 8
    assert at_risk_counts(km, [0, 2.5, 3, 7, 8, 9]).tolist() == [6, 5, 5, 1, 1, 0]


def test_plot_km_draws_steps_band_and_at_risk_table():
    fig, ax = plt.subplots()
    km = kaplan_meier(HAND_T, HAND_E)
    returned = plot_km(HAND_T, HAND_E, ax=ax, label="hand", at_risk_ticks=[0, 4, 8])
    assert returned is ax
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), km.index)
    np.testing.assert_array_equal(line.get_ydata(), km["survival"])
    assert line.get_drawstyle() == "steps-post"
    assert len(ax.collections) == 1  # the confidence band
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["hand", "6", "3", "1"]
    assert ax.get_title() and "Days" in ax.get_xlabel() and "S(t)" in ax.get_ylabel()
    # a second curve reuses the ticks and stacks its row underneath
    plot_km(kaplan_meier([1, 9], [1, 1]), ax=ax, label="other")
    second = [t for t in ax.texts[4:]]
    assert [t.get_text() for t in second] == ["other", "2", "1", "1"]
    assert second[0].get_position()[1] < ax.texts[0].get_position()[1]


def test_plot_hazard_and_cumulative_hazard():
    durations, observed = DATASETS["rossi"]
    fig, (left, right) = plt.subplots(1, 2)
    plot_cumulative_hazard(durations, observed, ax=left, label="Nelson-Aalen")
    weibull = fit_weibull(durations, observed)
    plot_cumulative_hazard(weibull, ax=left, label="Weibull")
    na = nelson_aalen(durations, observed)
    np.testing.assert_array_equal(left.get_lines()[0].get_ydata(), na["cumulative_hazard"])
    x, y = left.get_lines()[1].get_data()
    np.testing.assert_allclose(y, weibull.cumulative_hazard(x))
    assert "H(t)" in left.get_ylabel() and "Days" in left.get_xlabel()

    plot_hazard(durations, observed, bandwidth=8.0, ax=right, times=[5.0, 20.0, 40.0])
    h = smoothed_hazard(durations, observed, bandwidth=8.0, times=[5.0, 20.0, 40.0])
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), h["hazard"])
    plot_hazard(weibull, ax=right)
    x, y = right.get_lines()[1].get_data()
    np.testing.assert_allclose(y[1:], weibull.hazard(x[1:]))
    assert "per user-day" in right.get_ylabel() and right.get_title().startswith("Hazard")


def test_plot_errors():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="observed"):
        plot_km(HAND_T, ax=ax)
    with pytest.raises(ValueError, match="bandwidth"):
        plot_hazard(HAND_T, HAND_E, ax=ax)
    with pytest.raises(ValueError, match="times="):
        plot_hazard(fit_exponential(HAND_T, HAND_E), ax=ax)


def test_fit_sbg_large_cohorts_give_the_same_estimates_as_shares():
    # A regression test: with an absolute stopping tolerance, counts in the thousands never
    # "converged" and raised a misleading no-heterogeneity error.
    rng = np.random.default_rng(33)
    lifetimes = rng.geometric(rng.beta(1.2, 2.5, size=3000))
    alive = [int((lifetimes > year).sum()) for year in range(7)]
    counts_fit = fit_sbg(alive)
    shares_fit = fit_sbg(np.array(alive) / alive[0])
    assert counts_fit.alpha == pytest.approx(shares_fit.alpha, rel=1e-6)
    assert counts_fit.beta == pytest.approx(shares_fit.beta, rel=1e-6)
    assert counts_fit.log_likelihood == pytest.approx(alive[0] * shares_fit.log_likelihood)


# ------------------------------------------------------------- k-group log-rank (issue 11)

MULTI_GROUPINGS = {
    "rossi-prio-3": (
        ROSSI["week"],
        ROSSI["arrest"],
        pd.cut(ROSSI["prio"], [-1, 0, 3, 100], labels=["none", "1-3", "4+"]),
    ),
    "rossi-fin-x-wexp-4": (
        ROSSI["week"],
        ROSSI["arrest"],
        ROSSI["fin"].astype(str) + "/" + ROSSI["wexp"].astype(str),
    ),
    "rossi-race-2": (ROSSI["week"], ROSSI["arrest"], ROSSI["race"]),
    "waltons-group-2": (WALTONS["T"], WALTONS["E"], WALTONS["group"]),
    # the example of lifelines' docstring
    "lifelines-example-3": (
        pd.Series([5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7]),
        pd.Series([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0]),
        pd.Series([0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2]),
    ),
}


@pytest.mark.parametrize("name", MULTI_GROUPINGS)
def test_multivariate_logrank_equals_lifelines(name):
    durations, observed, groups = MULTI_GROUPINGS[name]
    ours = multivariate_logrank_test(durations, observed, groups)
    theirs = lifelines_multivariate_logrank(durations, np.asarray(groups), observed)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom == len(ours.groups) - 1
    assert ours.observed.sum() == np.asarray(observed).sum()
    assert ours.expected.sum() == pytest.approx(ours.observed.sum(), rel=1e-12)
    assert ours.n_subjects.sum() == len(durations)
    np.testing.assert_allclose(ours.covariance.sum(axis=1), 0, atol=1e-9)


def test_multivariate_logrank_hand_computed():
    # One user per group, churning at 1, 2, 3. E = (1/3, 1/3 + 1/2, 1/3 + 1/2 + 1);
    # V over a, b = [[2/9, -1/9], [-1/9, 2/9 + 1/4]]; (O - E)' V^-1 (O - E) = 13/5.
    result = multivariate_logrank_test([1, 2, 3], [1, 1, 1], ["a", "b", "c"])
    np.testing.assert_allclose(result.expected, [1 / 3, 5 / 6, 11 / 6], rtol=1e-12)
    np.testing.assert_allclose(
        result.covariance.loc[["a", "b"], ["a", "b"]], [[2 / 9, -1 / 9], [-1 / 9, 17 / 36]]
    )
    assert result.statistic == pytest.approx(13 / 5, rel=1e-12)
    assert result.p_value == pytest.approx(math.exp(-13 / 10), rel=1e-12)  # chi2(2) sf
    assert result.degrees_of_freedom == 2
    assert result.groups == ["a", "b", "c"]
    assert result.n_subjects.tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    ("durations", "observed", "group", "a"),
    [
        (ROSSI["week"], ROSSI["arrest"], ROSSI["fin"], 0),
        (WALTONS["T"], WALTONS["E"], WALTONS["group"], "control"),
    ],
    ids=["rossi-fin", "waltons-group"],
)
def test_multivariate_logrank_with_two_groups_is_logrank_test(durations, observed, group, a):
    in_a = (group == a).to_numpy()
    d, e = durations.to_numpy(), observed.to_numpy()
    two = logrank_test(d[in_a], e[in_a], d[~in_a], e[~in_a])
    multi = multivariate_logrank_test(d, e, np.where(in_a, "a", "b"))
    assert multi.statistic == pytest.approx(two.statistic, rel=1e-12)
    assert multi.p_value == pytest.approx(two.p_value, rel=1e-12)
    assert multi.degrees_of_freedom == 1
    assert multi.observed.tolist() == [two.observed_a, two.observed_b]
    np.testing.assert_allclose(multi.expected, [two.expected_a, two.expected_b], rtol=1e-12)
    assert multi.covariance.loc["a", "a"] == pytest.approx(two.variance, rel=1e-12)


grouped_samples = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 10).map(float), st.floats(0, 60, allow_nan=False)),
        st.booleans(),
        st.sampled_from(["x", "y", "z", "w"]),
    ),
    min_size=2,
    max_size=50,
)


@settings(max_examples=60, deadline=None)
@given(grouped_samples)
def test_multivariate_logrank_matches_lifelines_on_random_groups(sample):
    durations, observed, groups = map(np.array, zip(*sample, strict=True))
    try:
        ours = multivariate_logrank_test(durations, observed, groups)
    except ValueError as error:
        # only the documented degenerate cases may raise
        assert any(
            text in str(error)
            for text in ("at least 2 distinct", "at least one observed churn", "undefined here")
        )
        return
    theirs = lifelines_multivariate_logrank(durations, groups, observed)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9, abs=1e-12)
    assert ours.degrees_of_freedom == theirs.degrees_of_freedom
    # the statistic does not depend on which group is left out or how labels are named
    renamed = multivariate_logrank_test(durations, observed, np.char.add("g-", groups[::-1])[::-1])
    reversed_order = {label: str(-i) for i, label in enumerate(sorted(set(groups)))}
    relabelled = multivariate_logrank_test(durations, observed, [reversed_order[g] for g in groups])
    assert renamed.statistic == pytest.approx(ours.statistic, rel=1e-9, abs=1e-12)
    assert relabelled.statistic == pytest.approx(ours.statistic, rel=1e-9, abs=1e-12)


def test_multivariate_logrank_accepts_categories_and_ignores_unused_levels():
    durations, observed, groups = MULTI_GROUPINGS["rossi-prio-3"]
    with_unused = groups.cat.add_categories(["never used"])
    plain = multivariate_logrank_test(durations, observed, groups.astype(str))
    categorical = multivariate_logrank_test(durations, observed, with_unused)
    assert categorical.degrees_of_freedom == 2
    assert categorical.statistic == pytest.approx(plain.statistic, rel=1e-12)
    assert sorted(categorical.groups) == ["1-3", "4+", "none"]


@pytest.mark.parametrize(
    ("durations", "observed", "groups", "matches"),
    [
        ([1, 2, 3], [1, 1], ["a", "b", "c"], ["observed has length 2 but durations has length 3"]),
        ([1, 2, 3], [1, 1, 1], ["a", "b"], ["groups has length 2 but durations has length 3"]),
        ([1, 2, 3], [1, 1, 1], ["a", None, "b"], ["groups has 1 missing .* at positions 1"]),
        ([1, 2, 3], [1, 1, 1], [1.0, 2.0, np.nan], ["groups has 1 missing .* at positions 2"]),
        ([1, 2, 3], [1, 1, 1], ["a", "a", "a"], ["groups needs at least 2 distinct labels"]),
        ([1, 2, 3], [0, 0, 0], ["a", "b", "b"], ["at least one observed churn"]),
        # c leaves (censored at 0.5) before the first churn: it carries no information
        ([1, 2, 0.5], [1, 1, 0], ["a", "b", "c"], [r"undefined here.*\['c'\]"]),
        # every problem at once: NaN and negative durations, an observed 2, a missing label
        (
            [1, np.nan, 3, -1],
            [1, 2, 1, 1],
            ["a", "b", None, "a"],
            [
                "4 problems",
                "durations has 1 missing .* at positions 1",
                "durations has 1 negative values at positions 3",
                "observed has 1 values other than 0/1",
                "groups has 1 missing .* at positions 2",
            ],
        ),
    ],
)
def test_multivariate_logrank_bad_input(durations, observed, groups, matches):
    with pytest.raises(ValueError) as error:
        multivariate_logrank_test(durations, observed, groups)
    for match in matches:
        assert re.search(match, str(error.value)), (match, str(error.value))


# ------------------------------------------------- zero durations, interval-censored (issue 11)


def day_granular_sample(n, seed, shape=0.5, scale=20.0, end=90.0):
    """Weibull lifetimes censored at day ``end``; a churn within the first day is recorded as 0."""
    rng = np.random.default_rng(seed)
    lifetimes = scale * rng.weibull(shape, size=n)
    observed = lifetimes <= end
    durations = np.minimum(lifetimes, end)
    return np.where(durations < 1.0, 0.0, durations), observed


def interval_bounds(durations, observed, resolution):
    """lifelines' encoding: exact [t, t], right-censored [t, inf), an observed zero [0, r]."""
    durations, observed = np.asarray(durations, dtype=float), np.asarray(observed, dtype=bool)
    upper = np.where(observed, durations, np.inf)
    upper[observed & (durations == 0)] = resolution
    return durations, upper, observed & (durations > 0)


# lifelines' L-BFGS-B with its default gtol stops up to 1.5e-5 (relative) short of the maximum
# on "rising-hazard"; with gtol=1e-10 it agrees with ours to 1.2e-6 or better on all samples
TIGHT_LIFELINES = {"gtol": 1e-10}

ZERO_SAMPLES = {  # durations, observed, the resolution of a recorded 0 (days)
    "day-granular-300": (*day_granular_sample(300, seed=1), 1.0),
    "day-granular-3000": (*day_granular_sample(3000, seed=2), 1.0),
    "rising-hazard": (*day_granular_sample(500, seed=4, shape=1.6, scale=4.0, end=6.0), 1.0),
    # waltons as if its first 9 days were not resolved: 5 churns and 1 censoring become 0
    "waltons-first-9-days": (
        np.where(WALTONS["T"] <= 9, 0.0, WALTONS["T"]),
        WALTONS["E"].to_numpy().astype(bool),
        9.0,
    ),
}


def test_fit_weibull_zero_durations_raise_by_default_naming_the_option():
    with pytest.raises(ValueError, match="2 are 0.*zero_resolution=1.0"):
        fit_weibull([0, 0, 3, 5], [1, 0, 1, 1])


@pytest.mark.parametrize("name", ZERO_SAMPLES)
def test_fit_weibull_with_zeros_equals_lifelines_interval_censoring(name):
    durations, observed, resolution = ZERO_SAMPLES[name]
    assert ((durations == 0) & observed).sum() >= 5
    fit = fit_weibull(durations, observed, zero_resolution=resolution)
    lower, upper, exact = interval_bounds(durations, observed, resolution)
    wf = WeibullFitter().fit_interval_censoring(
        lower, upper, event_observed=exact, fit_options=TIGHT_LIFELINES
    )
    se = wf.summary["se(coef)"]
    assert fit.shape == pytest.approx(wf.rho_, rel=1e-5)
    assert fit.scale == pytest.approx(wf.lambda_, rel=1e-5)
    assert fit.shape_se == pytest.approx(se["rho_"], rel=1e-4)
    assert fit.scale_se == pytest.approx(se["lambda_"], rel=1e-4)
    np.testing.assert_allclose(fit.covariance, wf.variance_matrix_.to_numpy(), rtol=1e-3)
    assert fit.log_likelihood == pytest.approx(wf.log_likelihood_, abs=1e-5)
    assert fit.log_likelihood >= wf.log_likelihood_ - 1e-9  # ours is the better maximum
    assert fit.n_interval_censored == int(((durations == 0) & observed).sum())
    assert fit.n_events == observed.sum() and fit.zero_resolution == resolution


def test_fit_weibull_with_zeros_log_likelihood_written_out():
    durations, observed, _ = ZERO_SAMPLES["day-granular-300"]
    fit = fit_weibull(durations, observed, zero_resolution=1.0)

    def log_likelihood(scale, shape):
        distribution = stats.weibull_min(shape, scale=scale)
        churned, censored = observed & (durations > 0), ~observed & (durations > 0)
        zeros = observed & (durations == 0)
        return (
            distribution.logpdf(durations[churned]).sum()
            + distribution.logsf(durations[censored]).sum()
            + zeros.sum() * np.log(distribution.cdf(1.0))
        )

    assert fit.log_likelihood == pytest.approx(log_likelihood(fit.scale, fit.shape), rel=1e-10)
    for factor_scale, factor_shape in [(1.001, 1), (0.999, 1), (1, 1.001), (1, 0.999)]:
        nearby = log_likelihood(fit.scale * factor_scale, fit.shape * factor_shape)
        assert nearby < fit.log_likelihood
    # an independent optimiser (Nelder-Mead on log parameters) lands on the same maximum
    best = optimize.minimize(
        lambda p: -log_likelihood(*np.exp(p)),
        x0=[np.log(10.0), 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    np.testing.assert_allclose(np.exp(best.x), [fit.scale, fit.shape], rtol=1e-6)


def test_interval_censored_weibull_recovers_the_true_shape_where_workarounds_do_not():
    # the situation: a fifth of users "never came back" (duration 0 in day data)
    durations, observed = day_granular_sample(20000, seed=3, shape=0.5, scale=20.0)
    assert 0.15 < (durations == 0).mean() < 0.25
    fit = fit_weibull(durations, observed, zero_resolution=1.0)
    assert abs(fit.shape - 0.5) < 4 * fit.shape_se
    assert abs(fit.scale - 20.0) < 4 * fit.scale_se
    positive = durations > 0
    dropped = fit_weibull(durations[positive], observed[positive])
    half_day = fit_weibull(np.where(positive, durations, 0.5), observed)
    for workaround in (dropped, half_day):
        assert abs(workaround.shape - 0.5) > 10 * fit.shape_se


def test_censored_zeros_contribute_nothing():
    durations, observed, _ = ZERO_SAMPLES["day-granular-300"]
    extra_t = np.concatenate([durations, np.zeros(7)])
    extra_e = np.concatenate([observed, np.zeros(7, dtype=bool)])
    base = fit_weibull(durations, observed, zero_resolution=1.0)
    more = fit_weibull(extra_t, extra_e, zero_resolution=1.0)
    assert more.n_subjects == base.n_subjects + 7
    assert (more.scale, more.shape) == pytest.approx((base.scale, base.shape), rel=1e-10)
    assert more.log_likelihood == pytest.approx(base.log_likelihood, rel=1e-12)
    # only censored zeros: the fit is the plain fit of the positive durations
    positive = durations > 0
    only_censored_zeros = fit_weibull(
        np.concatenate([durations[positive], [0.0, 0.0]]),
        np.concatenate([observed[positive], [False, False]]),
        zero_resolution=1.0,
    )
    plain = fit_weibull(durations[positive], observed[positive])
    assert only_censored_zeros.shape == pytest.approx(plain.shape, rel=1e-12)
    assert only_censored_zeros.n_interval_censored == 0


@pytest.mark.parametrize("name", DATASETS)
def test_zero_resolution_changes_nothing_without_zeros(name):
    durations, observed = DATASETS[name]
    for fit_function in (fit_weibull, fit_exponential):
        plain = fit_function(durations, observed)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            option = fit_function(durations, observed, zero_resolution=1.0)
        for field in ("scale", "scale_se", "log_likelihood"):
            assert getattr(option, field) == pytest.approx(getattr(plain, field), rel=1e-12)
        assert option.n_interval_censored == 0


@pytest.mark.parametrize("name", ZERO_SAMPLES)
def test_fit_exponential_with_zeros_equals_lifelines_and_scipy(name):
    durations, observed, resolution = ZERO_SAMPLES[name]
    fit = fit_exponential(durations, observed, zero_resolution=resolution)
    lower, upper, exact = interval_bounds(durations, observed, resolution)
    exf = ExponentialFitter().fit_interval_censoring(
        lower, upper, event_observed=exact, fit_options=TIGHT_LIFELINES
    )
    assert fit.scale == pytest.approx(exf.lambda_, rel=1e-5)  # lifelines' lambda_ is 1/rate
    assert fit.scale_se == pytest.approx(exf.summary.loc["lambda_", "se(coef)"], rel=1e-4)
    assert fit.log_likelihood == pytest.approx(exf.log_likelihood_, abs=1e-5)

    exact_churns = int((observed & (durations > 0)).sum())
    zeros = int((observed & (durations == 0)).sum())
    exposure = durations.sum()

    def log_likelihood(rate):
        churned_by_r = np.log1p(-np.exp(-rate * resolution))
        return exact_churns * np.log(rate) - rate * exposure + zeros * churned_by_r

    best = optimize.minimize_scalar(
        lambda log_rate: -log_likelihood(np.exp(log_rate)),
        bracket=(-8.0, 0.0),
        method="brent",
        options={"xtol": 1e-12},
    )
    assert fit.rate == pytest.approx(np.exp(best.x), rel=1e-7)
    assert fit.log_likelihood == pytest.approx(log_likelihood(fit.rate), rel=1e-12)
    # standard error from the curvature of the log-likelihood (central differences)
    h = fit.rate * 1e-4
    curvature = (
        log_likelihood(fit.rate + h) - 2 * fit.log_likelihood + log_likelihood(fit.rate - h)
    )
    assert fit.rate_se == pytest.approx(1 / math.sqrt(-curvature / h**2), rel=1e-5)
    assert fit.rate_ci[0] < fit.rate < fit.rate_ci[1]


def test_fit_exponential_zero_churns_only_has_a_closed_form():
    # all churns happen within the first day: λ̂ = log(1 + n0 r / T) / r
    durations = [0, 0, 0, 4.0, 7.5, 10.0]
    observed = [1, 1, 1, 0, 0, 0]
    for resolution in (1.0, 0.25):
        fit = fit_exponential(durations, observed, zero_resolution=resolution)
        expected = math.log1p(3 * resolution / 21.5) / resolution
        assert fit.rate == pytest.approx(expected, rel=1e-12)
        assert fit.n_interval_censored == 3 and fit.n_events == 3


def test_fit_exponential_default_warns_about_exact_zero_churns():
    with pytest.warns(UserWarning, match="2 of the observed churns have duration 0.*zero_resol"):
        fit = fit_exponential([0, 0, 0, 3, 5], [1, 1, 0, 1, 0])
    assert fit.rate == 3 / 8  # zeros taken as exact: 3 churns over 8 days
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_exponential([0, 3, 5], [0, 1, 0])  # a censored zero contributes nothing: no warning


@pytest.mark.parametrize("fit_function", [fit_weibull, fit_exponential])
def test_zero_resolution_accepts_timedeltas_and_rejects_nonsense(fit_function):
    durations, observed, _ = ZERO_SAMPLES["day-granular-300"]
    in_days = fit_function(durations, observed, zero_resolution=1.0)
    as_timedelta = fit_function(durations, observed, zero_resolution=pd.Timedelta(hours=24))
    assert as_timedelta.scale == pytest.approx(in_days.scale, rel=1e-12)
    for bad in (0, -1.0, math.nan, math.inf, "1 day", True):
        with pytest.raises(ValueError, match="zero_resolution must be a positive"):
            fit_function(durations, observed, zero_resolution=bad)


@pytest.mark.parametrize(
    ("durations", "observed"),
    [([0, 0, 5, 6], [1, 1, 0, 0]), ([0, 0, 0], [1, 1, 1])],
    ids=["no-churn-after-day-0", "all-zero"],
)
def test_fit_weibull_with_zeros_raises_when_no_maximum_exists(durations, observed):
    with pytest.raises(ValueError, match="no maximum of the likelihood"):
        fit_weibull(durations, observed, zero_resolution=1.0)


def test_every_input_problem_is_reported_at_once():
    with pytest.raises(ValueError) as error:
        kaplan_meier([1.0, np.nan, -3.0], [1, 0, 5])
    message = str(error.value)
    assert message.startswith("the survival data has 3 problems")
    for part in ("durations has 1 missing", "durations has 1 negative", "observed has 1 values"):
        assert part in message
    with pytest.raises(ValueError) as error:
        logrank_test([1.0, -1.0], [1, 1], [2.0, 3.0], [1])
    message = str(error.value)
    assert "durations_a has 1 negative" in message
    assert "observed_b has length 1 but durations_b has length 2" in message


# ===================================================================== issue 16, part 1
# Delayed entry, RMST, PH diagnostics, discrete-time hazard, gamma frailty, competing risks.


def _random_truncated_sample(seed: int, n: int = 300, share_from_zero: float = 0.3):
    """Weibull lifetimes, uniform censoring, entry uniform below the duration (some at 0)."""
    rng = np.random.default_rng(seed)
    lifetimes = rng.weibull(0.8, n) * 12
    censor = rng.uniform(2, 40, n)
    durations = np.minimum(lifetimes, censor)
    entry = np.where(rng.random(n) < share_from_zero, 0.0, rng.uniform(0, 0.7, n) * durations)
    return durations, lifetimes <= censor, entry


def _sim_log_started_at_day_60():
    """Truth of notebook 03's simulation, seen by a log that starts at day 60."""
    sim = simulate_app("social", n_users=4000, days=120, seed=7)
    truth = sim.truth.join(sim.users.set_index("user_id")["signup_time"])
    log_start = sim.start + pd.Timedelta("60D")
    entry = ((log_start - truth["signup_time"]) / pd.Timedelta("1D")).clip(lower=0).to_numpy()
    durations, observed = truth["lifetime_days"].to_numpy(), truth["churned"].to_numpy()
    visible = durations > entry  # churned before the log started: never seen
    return durations, observed, entry, visible


def _at(table, day, column="survival"):
    return float(table[column].loc[:day].iloc[-1])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kaplan_meier_with_entry_equals_lifelines(seed):
    durations, observed, entry = _random_truncated_sample(seed)
    km = kaplan_meier(durations, observed, entry=entry)
    kmf = KaplanMeierFitter().fit(durations, observed, entry=entry)
    ours = km.reindex(kmf.event_table.index)
    assert ours.notna().all().all()  # every lifelines row is one of ours
    for column, theirs in [("at_risk", "at_risk"), ("observed", "observed"),
                           ("censored", "censored"), ("entered", "entrance")]:
        np.testing.assert_array_equal(ours[column], kmf.event_table[theirs])
    np.testing.assert_allclose(ours["survival"], kmf.survival_function_.iloc[:, 0], atol=1e-9,
                               rtol=0)
    np.testing.assert_allclose(ours[["ci_lower", "ci_upper"]], kmf.confidence_interval_,
                               atol=1e-9, rtol=0)
    # the rows lifelines does not have (time 0 before the first entry) are S = 1
    extra = km.drop(kmf.event_table.index)
    assert (extra["survival"] == 1).all() and (extra["at_risk"] == 0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.booleans()),
                min_size=2, max_size=30))
def test_kaplan_meier_with_entry_property_and_lifelines_agreement(rows):
    # Tied integer times, entry == duration allowed. Ours raises on every gap in the risk set
    # (lifelines on some). lifelines' event table counts a user entering at t at risk at t,
    # as we do, but its estimate does not (except at its first time point), so the
    # estimates agree unless a later entry time equals a churn time.
    entry = [min(a, b) for a, b, _ in rows]
    durations = [max(a, b) for a, b, _ in rows]
    observed = [e for _, _, e in rows]
    try:
        km = kaplan_meier(durations, observed, entry=entry)
    except ValueError as error:
        assert "nobody is at risk just after" in str(error)
        return
    s = km["survival"].to_numpy()
    assert ((s >= 0) & (s <= 1)).all() and (np.diff(s) <= 1e-15).all()
    kmf = KaplanMeierFitter().fit(durations, observed, entry=entry)
    ours = km.reindex(kmf.event_table.index)
    np.testing.assert_array_equal(ours["at_risk"], kmf.event_table["at_risk"])
    first = kmf.event_table.index.min()
    churn_times = {t for t, e in zip(durations, observed, strict=True) if e}
    if not any(a in churn_times and a > first for a in entry):
        np.testing.assert_allclose(ours["survival"], kmf.survival_function_.iloc[:, 0],
                                   atol=1e-9, rtol=0)


def test_entry_at_a_churn_time_counts_the_user_at_risk_unlike_lifelines_estimate():
    # Day-granular data: a user first seen on day 1 (entry 1) who churns that day is at risk
    # on day 1. lifelines lists them in its at_risk column but leaves them out of its
    # estimate, which then has 2 churns among 2 and drops to 0 although a user churns later.
    durations, observed, entry = [1, 1, 3], [1, 1, 1], [0, 1, 0]
    km = kaplan_meier(durations, observed, entry=entry)
    assert km["at_risk"].tolist() == [2, 3, 1]
    assert km["survival"].tolist() == pytest.approx([1, 1 / 3, 0], abs=1e-15)
    kmf = KaplanMeierFitter().fit(durations, observed, entry=entry)
    assert kmf.event_table["at_risk"].tolist() == [2, 3, 1]
    assert kmf.survival_function_.iloc[:, 0].tolist() == [1, 0, 0]


def test_entry_of_zeros_changes_nothing():
    durations, observed = DATASETS["waltons"]
    zeros = np.zeros(len(durations))
    for estimator in (kaplan_meier, nelson_aalen):
        pd.testing.assert_frame_equal(
            estimator(durations, observed, entry=zeros).drop(columns="entered"),
            estimator(durations, observed))
    assert fit_exponential(durations, observed, entry=zeros) == fit_exponential(durations,
                                                                                observed)
    a, b = fit_weibull(durations, observed, entry=zeros), fit_weibull(durations, observed)
    assert (a.scale, a.shape, a.log_likelihood) == (b.scale, b.shape, b.log_likelihood)
    group = (WALTONS["group"] == "miR-137").to_numpy()
    t, e = np.asarray(durations), np.asarray(observed).astype(bool)
    plain = logrank_test(t[group], e[group], t[~group], e[~group])
    late = logrank_test(t[group], e[group], t[~group], e[~group], entry_a=zeros[group],
                        entry_b=zeros[~group])
    assert late == plain
    assert rmst(t, e, 30.0, entry=zeros).rmst == rmst(t, e, 30.0).rmst


def test_delayed_entry_hand_computed():
    # Six users; the last three first seen at tenures 1, 4 and 4 (worked in the docstring):
    # at risk 3, 4, 4, 3, 3, 3, 2, 1 at 0, 1, 2, 3, 4, 5, 6, 8; churns at 2, 3, 5, 8.
    km = kaplan_meier(HAND_T, HAND_E, entry=[0, 0, 0, 1, 4, 4])
    assert km["at_risk"].tolist() == [3, 4, 4, 3, 3, 3, 2, 1]
    assert km["entered"].tolist() == [3, 1, 0, 0, 2, 0, 0, 0]
    np.testing.assert_allclose(km["survival"], [1, 1, 3 / 4, 1 / 2, 1 / 2, 1 / 3, 1 / 3, 0],
                               atol=1e-15)
    na = nelson_aalen(HAND_T, HAND_E, entry=[0, 0, 0, 1, 4, 4], ties="discrete")
    assert na.loc[8.0, "cumulative_hazard"] == pytest.approx(1 / 4 + 1 / 3 + 1 / 3 + 1)
    fit = fit_exponential(HAND_T, HAND_E, entry=[0, 0, 0, 1, 4, 4])
    assert fit.exposure == 27 - 9 and fit.rate == 4 / 18


def test_delayed_entry_recovers_the_truth_when_the_log_starts_late():
    # Issue 16: start the log at day 60; users who churned before are never seen and those
    # seen have survived to their tenure at day 60. Naive KM overstates S(30) (0.385 against
    # a truth of 0.213); with entry= it is 0.215.
    durations, observed, entry, visible = _sim_log_started_at_day_60()
    truth = kaplan_meier(durations, observed)
    naive = kaplan_meier(durations[visible], observed[visible])
    late = kaplan_meier(durations[visible], observed[visible], entry=entry[visible])
    for day in (7, 30, 60):
        assert _at(naive, day) - _at(truth, day) > 0.12  # far above the truth
        assert abs(_at(late, day) - _at(truth, day)) < 0.015
    assert _at(naive, 30) == pytest.approx(0.385, abs=0.002)
    assert _at(late, 30) == pytest.approx(0.215, abs=0.002)
    # the parametric fits move the same way: with entry the Weibull S(30) is near truth
    naive_fit = fit_weibull(durations[visible], observed[visible])
    late_fit = fit_weibull(durations[visible], observed[visible], entry=entry[visible])
    assert abs(late_fit.survival(30.0) - _at(truth, 30)) < abs(
        naive_fit.survival(30.0) - _at(truth, 30)) / 3


@pytest.mark.parametrize("ties, smoothing", [("smooth", True), ("discrete", False)])
@pytest.mark.parametrize("seed", [4, 5])
def test_nelson_aalen_with_entry_equals_lifelines(seed, ties, smoothing):
    durations, observed, entry = _random_truncated_sample(seed)
    durations = np.ceil(durations)  # day-granular: ties, so the two formulas differ
    na = nelson_aalen(durations, observed, entry=entry, ties=ties)
    naf = NelsonAalenFitter(nelson_aalen_smoothing=smoothing).fit(durations, observed,
                                                                  entry=entry)
    ours = na.reindex(naf.cumulative_hazard_.index)
    assert ours.notna().all().all()
    np.testing.assert_allclose(ours["cumulative_hazard"], naf.cumulative_hazard_.iloc[:, 0],
                               atol=1e-9, rtol=0)
    np.testing.assert_allclose(ours[["ci_lower", "ci_upper"]], naf.confidence_interval_,
                               atol=1e-9, rtol=0)


def test_nelson_aalen_formulas_of_finding_4():
    # Both formulas on the simulation's lifetimes rounded up to days, as the docstring says.
    sim = simulate_app("social", n_users=4000, days=120, seed=7)
    days = np.ceil(sim.truth["lifetime_days"].to_numpy())
    churned = sim.truth["churned"].to_numpy()
    discrete = nelson_aalen(days, churned, ties="discrete")
    smooth = nelson_aalen(days, churned, ties="smooth")
    assert _at(discrete, 7, "cumulative_hazard") == pytest.approx(0.891, abs=0.002)
    assert _at(smooth, 7, "cumulative_hazard") == pytest.approx(1.046, abs=0.002)
    # the discrete one is the sum of d/n of the Kaplan-Meier table, written out
    km = kaplan_meier(days, churned)
    np.testing.assert_allclose(discrete["cumulative_hazard"],
                               np.cumsum(km["observed"] / km["at_risk"]), atol=1e-12)


@pytest.mark.parametrize("seed", [6, 7])
def test_fit_exponential_with_entry_equals_lifelines(seed):
    durations, observed, entry = _random_truncated_sample(seed)
    fit = fit_exponential(durations, observed, entry=entry)
    assert fit.rate == observed.sum() / (durations - entry).sum()
    exf = ExponentialFitter().fit(durations, observed, entry=entry,
                                  fit_options={"gtol": 1e-12})
    # lifelines optimises numerically (seen: 4e-7 relative); ours is the closed form above
    assert fit.scale == pytest.approx(exf.lambda_, rel=1e-5)
    assert fit.log_likelihood == pytest.approx(exf.log_likelihood_, abs=1e-7)
    assert fit.scale_se == pytest.approx(exf.summary.loc["lambda_", "se(coef)"], rel=1e-5)


@pytest.mark.parametrize("seed", [6, 7])
def test_fit_weibull_with_entry_equals_lifelines(seed):
    durations, observed, entry = _random_truncated_sample(seed)
    fit = fit_weibull(durations, observed, entry=entry)
    wf = WeibullFitter().fit(durations, observed, entry=entry, fit_options={"gtol": 1e-12})
    assert fit.scale == pytest.approx(wf.lambda_, rel=1e-6)
    assert fit.shape == pytest.approx(wf.rho_, rel=1e-6)
    assert fit.log_likelihood >= wf.log_likelihood_ - 1e-9  # the exact maximum
    assert fit.log_likelihood == pytest.approx(wf.log_likelihood_, abs=1e-7)
    se = wf.summary["se(coef)"]
    assert fit.scale_se == pytest.approx(se["lambda_"], rel=1e-4)
    assert fit.shape_se == pytest.approx(se["rho_"], rel=1e-4)
    # the log-likelihood written out, sum d log h(t) - H(t) + H(entry), peaks at the estimate
    def loglik(scale, shape):
        h = shape / scale * (durations / scale) ** (shape - 1)
        return np.sum(observed * np.log(h) - (durations / scale) ** shape
                      + (entry / scale) ** shape)

    assert loglik(fit.scale, fit.shape) == pytest.approx(fit.log_likelihood, abs=1e-9)
    for scale, shape in [(1.001, 1), (0.999, 1), (1, 1.001), (1, 0.999)]:
        assert loglik(fit.scale * scale, fit.shape * shape) < fit.log_likelihood


def test_fit_weibull_with_entry_and_zero_durations_equals_lifelines():
    rng = np.random.default_rng(8)
    durations = np.floor(rng.weibull(0.6, 400) * 6)
    observed = rng.random(400) < 0.8
    entry = np.where((durations > 0) & (rng.random(400) < 0.5),
                     rng.uniform(0, 1, 400) * durations, 0.0)
    fit = fit_weibull(durations, observed, entry=entry, zero_resolution=1.0)
    zero_churn = observed & (durations == 0)
    lower = durations.copy()  # exact where lower == upper, right-censored where upper = inf
    upper = np.where(zero_churn, 1.0, np.where(observed, durations, np.inf))
    wf = WeibullFitter().fit_interval_censoring(lower, upper, entry=entry,
                                                fit_options={"gtol": 1e-12})
    assert fit.n_interval_censored == zero_churn.sum() > 0 and (entry > 0).sum() > 100
    assert fit.scale == pytest.approx(wf.lambda_, rel=1e-7)
    assert fit.shape == pytest.approx(wf.rho_, rel=1e-7)
    assert fit.log_likelihood == pytest.approx(wf.log_likelihood_, abs=1e-7)
    assert fit.log_likelihood >= wf.log_likelihood_ - 1e-9


def test_a_risk_set_that_empties_before_later_entries_raises():
    with pytest.raises(ValueError, match=r"entry: nobody is at risk just after t=3 days, yet "
                                         r"3 subject\(s\) enter later"):
        kaplan_meier(HAND_T, HAND_E, entry=[0, 0, 0, 4, 4, 4])
    with pytest.raises(ValueError, match="nobody is at risk just after"):
        nelson_aalen(HAND_T, HAND_E, entry=[0, 0, 0, 4, 4, 4])


@pytest.mark.parametrize("estimator", [kaplan_meier, nelson_aalen, fit_exponential, fit_weibull])
def test_bad_entry_is_reported_with_the_other_problems(estimator):
    with pytest.raises(ValueError) as error:
        estimator([1.0, 2.0, 3.0, -1.0], [1, 1, 0, 1], entry=[0.0, 2.5, np.nan, 0.0])
    message = str(error.value)
    assert "durations has 1 negative values at positions 3" in message
    assert "entry has 1 missing (NaN) values at positions 2" in message
    assert "entry has 1 values larger than durations (entry after exit) at positions 1" in message
    with pytest.raises(ValueError, match="entry has length 1 but durations has length 2"):
        estimator([1.0, 2.0], [1, 1], entry=[0.0])
    with pytest.raises(ValueError, match="entry has 1 negative"):
        estimator([1.0, 2.0], [1, 1], entry=[0.0, -0.5])


# ------------------------------------------------------------ log-rank with delayed entry


def test_logrank_with_entry_hand_computed():
    # a: churns at 1, 2, 4 (entry 0); b: churns at 3, 5, censored at 6, entered at 2.5.
    # t   n_a n_b  d  E_a = d n_a / n        V = d p_a p_b (n - d) / (n - 1)
    # 1    3   0   1  1                      0
    # 2    2   0   1  1                      0
    # 3    1   3   1  1/4                    3/16
    # 4    1   2   1  1/3                    2/9
    # 5    0   2   1  0                      0
    # O_a = 3, E_a = 31/12, V = 3/16 + 2/9 = 59/144, statistic (5/12)**2 / (59/144) = 25/59
    result = logrank_test([1, 2, 4], [1, 1, 1], [3, 5, 6], [1, 1, 0], entry_b=[2.5] * 3)
    assert result.observed_a == 3
    assert result.expected_a == pytest.approx(31 / 12, abs=1e-12)
    assert result.variance == pytest.approx(59 / 144, abs=1e-12)
    assert result.statistic == pytest.approx(25 / 59, abs=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(25 / 59, 1), abs=1e-12)
    multi = multivariate_logrank_test([1, 2, 4, 3, 5, 6], [1, 1, 1, 1, 1, 0],
                                      ["a", "a", "a", "b", "b", "b"],
                                      entry=[0, 0, 0, 2.5, 2.5, 2.5])
    assert multi.statistic == pytest.approx(25 / 59, abs=1e-12)
    assert multi.expected.tolist() == pytest.approx([31 / 12, 5 - 31 / 12], abs=1e-12)


@pytest.mark.parametrize("k", [2, 3])
def test_logrank_with_entry_is_the_cox_score_test_of_statsmodels(k):
    # Without tied churn times the log-rank test is the score test at beta = 0 of a Cox model
    # on group indicators; statsmodels' PHReg takes delayed entry, so it is an oracle here.
    from statsmodels.duration.hazard_regression import PHReg

    durations, observed, entry = _random_truncated_sample(9, n=360)
    groups = np.arange(360) % k
    durations = durations * np.where(groups == 1, 1.4, 1.0)  # a real difference
    entry = np.minimum(entry, durations)
    dummies = np.column_stack([(groups == g).astype(float) for g in range(k - 1)])
    model = PHReg(durations, dummies, status=observed.astype(float), entry=entry)
    score = model.score(np.zeros(k - 1))
    information = -model.hessian(np.zeros(k - 1))
    expected_statistic = float(score @ np.linalg.solve(information, score))
    result = multivariate_logrank_test(durations, observed, groups, entry=entry)
    assert result.statistic == pytest.approx(expected_statistic, rel=1e-9)
    np.testing.assert_allclose((result.observed - result.expected).to_numpy()[:-1], score,
                               atol=1e-9)
    if k == 2:
        a = groups == 0
        pair = logrank_test(durations[a], observed[a], durations[~a], observed[~a],
                            entry_a=entry[a], entry_b=entry[~a])
        assert pair.statistic == pytest.approx(expected_statistic, rel=1e-9)
        # ignoring the delayed entry gives another answer
        naive = logrank_test(durations[a], observed[a], durations[~a], observed[~a])
        assert abs(naive.statistic - pair.statistic) > 0.1


def test_logrank_entry_errors_are_named_per_group():
    with pytest.raises(ValueError) as error:
        logrank_test([1, 2], [1, 1], [3, 4], [1, 1], entry_a=[0, 3], entry_b=[0])
    message = str(error.value)
    assert "entry_a has 1 values larger than durations_a" in message
    assert "entry_b has length 1 but durations_b has length 2" in message
    with pytest.raises(ValueError, match="entry has 1 values larger than durations"):
        multivariate_logrank_test([1, 2], [1, 1], ["a", "b"], entry=[0, 5])


# -------------------------------------------------------------------------------- RMST


def _lifelines_rmst(kmf, tau):
    """lifelines' RMST (exact for a KM fit); its variance is a slow quad, see below."""
    return restricted_mean_survival_time(kmf, tau), None


def _second_moment_between_steps(kmf, tau):
    """2 * integral of t S(t) to tau, by quad on each step (an exact oracle)."""
    index = kmf.survival_function_.index.to_numpy(float)
    values = kmf.survival_function_.iloc[:, 0].to_numpy()

    def survival(u):  # lifelines' step function, right-continuous, 1 before its first time
        position = np.searchsorted(index, u, side="right") - 1
        return values[position] if position >= 0 else 1.0

    pieces = np.append(np.union1d([0.0], index[index < tau]), tau)
    return sum(integrate.quad(lambda u: 2 * u * survival(u), a, b, epsabs=1e-13)[0]
               for a, b in zip(pieces[:-1], pieces[1:], strict=True))


@pytest.mark.parametrize("tau", [3.0, 12.5, 40.0])
@pytest.mark.parametrize("name", DATASETS)
def test_rmst_equals_lifelines(name, tau):
    durations, observed = DATASETS[name]
    result = rmst(durations, observed, tau)
    kmf = KaplanMeierFitter().fit(durations, observed)
    mean, _ = _lifelines_rmst(kmf, tau)
    assert result.rmst == pytest.approx(mean, abs=1e-9)
    moment = _second_moment_between_steps(kmf, tau)
    assert result.restricted_time_variance == pytest.approx(moment - mean**2, abs=1e-8)
    z = stats.norm.ppf(0.975)
    assert (result.ci_lower, result.ci_upper) == pytest.approx(
        (result.rmst - z * result.se, result.rmst + z * result.se), abs=1e-12)
    assert result.n_subjects == len(durations) and result.n_events == int(np.sum(observed))


@pytest.mark.parametrize("seed", [10, 11])
def test_rmst_with_entry_equals_lifelines(seed):
    # lifelines integrates from its first time point, which is 0 only if someone enters at
    # 0 (it drops [0, min(entry)) otherwise); our samples have entries at 0.
    durations, observed, entry = _random_truncated_sample(seed)
    result = rmst(durations, observed, 15.0, entry=entry)
    kmf = KaplanMeierFitter().fit(durations, observed, entry=entry)
    mean, _ = _lifelines_rmst(kmf, 15.0)
    assert result.rmst == pytest.approx(mean, abs=1e-9)
    assert result.restricted_time_variance == pytest.approx(
        _second_moment_between_steps(kmf, 15.0) - mean**2, abs=1e-8)
    assert result.n_subjects == len(durations)


def test_rmst_standard_error_hand_computed_and_without_censoring():
    # S = 3/4 on [2, 4), 1/2 on [4, 8): areas after the churns at 2 and 4 are 3.5 and 2
    result = rmst([2, 4, 6, 8], [1, 1, 0, 1], tau=8)
    assert result.rmst == 5.5
    assert result.variance == pytest.approx(3.5**2 / (4 * 3) + 2**2 / (3 * 2), abs=1e-12)
    # without censoring RMST is the mean of min(T, tau) and its variance var / n
    rng = np.random.default_rng(12)
    durations = rng.exponential(6.0, 500)
    result = rmst(durations, np.ones(500, dtype=bool), 9.0)
    capped = np.minimum(durations, 9.0)
    assert result.rmst == pytest.approx(capped.mean(), abs=1e-10)
    assert result.restricted_time_variance == pytest.approx(capped.var(), abs=1e-9)
    assert result.variance == pytest.approx(capped.var() / 500, rel=1e-6)


def test_rmst_is_what_experiments_use():
    from retainkit.experiments import rmst_difference

    durations, observed = DATASETS["waltons"]
    arms = np.where(WALTONS["group"] == "miR-137", "treatment", "control")
    difference = rmst_difference(durations, observed, arms, tau=30.0)
    for arm in ("control", "treatment"):
        mine = arms == arm
        own = rmst(np.asarray(durations)[mine], np.asarray(observed)[mine], 30.0)
        row = difference.arms.loc[arm]
        assert (row["rmst"], row["se"], row["restricted_time_variance"]) == (
            own.rmst, own.se, own.restricted_time_variance)


def test_rmst_errors():
    with pytest.raises(ValueError, match=r"tau=9 is beyond the longest follow-up \(8 days\)"):
        rmst([2, 4, 6, 8], [1, 1, 0, 0], tau=9)
    assert rmst([2, 4], [1, 1], tau=9).rmst == 3.0  # S reaches 0: the area beyond is 0
    for bad in (0, -1, math.nan, "10"):
        with pytest.raises(ValueError, match="tau must be a positive"):
            rmst([2, 4], [1, 1], tau=bad)


# ------------------------------------------------------------------------ PH diagnostics


def _cox_sample(seed, n=600, proportional=True):
    """Two groups; under PH the paid group's hazard is 2x, else its Weibull shape differs."""
    rng = np.random.default_rng(seed)
    paid = rng.random(n) < 0.5
    age = rng.normal(0, 1, n)
    shape = np.where(paid & ~proportional, 2.0, 1.0)
    rate = np.exp(0.7 * paid + 0.3 * age) if proportional else np.exp(0.3 * age)
    lifetimes = (rng.exponential(1.0, n) / rate) ** (1 / shape) * 10
    censor = rng.uniform(5, 40, n)
    return pd.DataFrame({"days": np.minimum(lifetimes, censor),
                         "churned": (lifetimes <= censor).astype(int),
                         "paid": paid.astype(int), "age": age})


@pytest.mark.parametrize("transform", ["rank", "identity", "log"])
def test_ph_test_equals_the_grambsch_therneau_statistic_from_statsmodels(transform):
    # Oracle: statsmodels' Cox fit (untied data: Breslow = Efron) and its Schoenfeld
    # residuals, scaled and tested by the formula written out here.
    from statsmodels.duration.hazard_regression import PHReg

    data = _cox_sample(13, proportional=False)
    table = ph_test(data, "days", "churned", time_transform=transform)
    model = PHReg(data["days"], data[["paid", "age"]], status=data["churned"]).fit()
    covariance = np.asarray(model.cov_params())
    # two Newton-type optimisers: coefficients agree to ~3e-8 (asserted 1e-6)
    np.testing.assert_allclose(table["coef"], model.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["hazard_ratio"], np.exp(model.params), rtol=1e-6)
    events = data["churned"].to_numpy() == 1
    residuals = model.schoenfeld_residuals[events]
    n_events = events.sum()
    scaled = n_events * residuals @ covariance
    times = data["days"].to_numpy()[events]
    g = {"rank": stats.rankdata(times), "identity": times, "log": np.log(times)}[transform]
    centred = g - g.mean()
    statistic = (centred @ scaled) ** 2 / (n_events * np.diag(covariance) * (centred**2).sum())
    np.testing.assert_allclose(table["ph_statistic"], statistic, rtol=1e-5)
    np.testing.assert_allclose(table["ph_p_value"], stats.chi2.sf(statistic, 1), rtol=1e-4,
                               atol=1e-12)
    se = np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(table["hr_ci_lower"], np.exp(model.params - Z95 * se), rtol=1e-5)
    np.testing.assert_allclose(table["hr_ci_upper"], np.exp(model.params + Z95 * se), rtol=1e-5)
    assert table.attrs == {"time_transform": transform, "conf_level": 0.95, "n_subjects": 600,
                           "n_events": int(n_events)}


def test_ph_test_flags_a_drifting_effect_and_not_a_constant_one():
    drifting = ph_test(_cox_sample(14, proportional=False), "days", "churned")
    assert drifting.loc["paid", "ph_p_value"] < 1e-4  # shape 2 against 1: not proportional
    assert drifting.loc["age", "ph_p_value"] > 0.01
    constant = ph_test(_cox_sample(14, proportional=True), "days", "churned")
    assert (constant["ph_p_value"] > 0.01).all()
    assert constant.loc["paid", "hazard_ratio"] == pytest.approx(2.0, rel=0.2)
    assert constant.loc["paid", "hr_ci_lower"] < 2.0 < constant.loc["paid", "hr_ci_upper"]


def test_ph_test_errors():
    data = _cox_sample(15).assign(channel="ads")
    with pytest.raises(ValueError, match=r"df has no column\(s\) 'weeks' \(duration_col\), "
                                         r"'tenure' \(covariates\)"):
        ph_test(data, "weeks", "churned", covariates=["paid", "tenure"])
    broken = data.assign(age=data["age"].where(data.index != 4))
    with pytest.raises(ValueError) as error:
        ph_test(broken, "days", "churned")
    message = str(error.value)
    assert "column 'channel' (covariates) is not numeric" in message
    assert "pd.get_dummies" in message
    assert "column 'age': missing value in 1 row(s)" in message
    with pytest.raises(ValueError, match="time_transform='km2' is not supported"):
        ph_test(data, "days", "churned", covariates=["paid"], time_transform="km2")
    with pytest.raises(ValueError, match=r"covariates \['constant'\] are constant"):
        ph_test(data.assign(constant=1.0), "days", "churned", covariates=["paid", "constant"])


def test_plot_loglog_draws_parallel_lines_for_proportional_hazards():
    rng = np.random.default_rng(16)
    groups = {}
    for name, rate in (("organic", 0.1), ("paid", 0.2)):  # hazard ratio 2: log HR = 0.69
        lifetimes, censor = rng.exponential(1 / rate, 3000), rng.uniform(0, 40, 3000)
        groups[name] = (np.minimum(lifetimes, censor), lifetimes <= censor)
    ax = plot_loglog(groups)
    assert ax is plt.gca()
    assert [line.get_label() for line in ax.get_lines()] == ["organic", "paid"]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "Days since start (log scale)"
    assert ax.get_ylabel() == "log(-log S(t))" and "proportional hazards" in ax.get_title()
    organic, paid = ax.get_lines()
    km = kaplan_meier(*groups["organic"])
    inside = (km.index > 0) & (km["survival"] > 0) & (km["survival"] < 1)
    np.testing.assert_allclose(organic.get_ydata(), np.log(-np.log(km["survival"][inside])))
    # the vertical gap is log HR across ages (parallel), within sampling noise
    grid = np.array([2.0, 5.0, 10.0, 20.0])

    def curve(line):
        x, y = line.get_xdata(), line.get_ydata()
        return y[np.searchsorted(x, grid, side="right") - 1]

    gap = curve(paid) - curve(organic)
    assert np.abs(gap - math.log(2)).max() < 0.1
    fig, own = plt.subplots()
    assert plot_loglog({"all": kaplan_meier(*groups["paid"])}, ax=own) is own


def test_plot_loglog_errors():
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_loglog({})
    with pytest.raises(ValueError, match=r"km_by_group\['a'\] must be a kaplan_meier table"):
        plot_loglog({"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="never lies strictly between 0 and 1"):
        plot_loglog({"a": ([1, 2], [0, 0])})


# ---------------------------------------------------------------- discrete-time hazard


def test_person_period_hand_computed():
    rows = person_period([0.5, 2.0, 2.5, 7.0], [1, 0, 1, 1], cuts=[0, 1, 2, 3])
    assert rows["subject"].tolist() == [0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert rows["interval"].tolist() == [0, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    # churn in the interval holding the duration; 7.0 is past the last cut: no churn seen
    assert rows["churned"].tolist() == [1, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert rows[["start", "end"]].drop_duplicates().to_numpy().tolist() == [
        [0, 1], [1, 2], [2, 3]]


def test_discrete_hazard_with_one_indicator_per_day_is_the_km_hazard():
    # Day-granular app data (the simulation's lifetimes rounded down to days, many churns on
    # day 0): one interval per day, so each holds one distinct time and d_j / n_j is the
    # Kaplan-Meier hazard of that day.
    sim = simulate_app("social", n_users=4000, days=120, seed=7)
    days = np.floor(sim.truth["lifetime_days"].to_numpy())
    churned = sim.truth["churned"].to_numpy()
    fit = fit_discrete_hazard(days, churned, cuts=np.arange(0, 31))
    km = kaplan_meier(days, churned).loc[np.arange(0.0, 30.0)]
    np.testing.assert_array_equal(fit.hazard["at_risk"], km["at_risk"])
    np.testing.assert_array_equal(fit.hazard["churned"], km["observed"])
    np.testing.assert_allclose(fit.hazard["hazard"], km["observed"] / km["at_risk"],
                               atol=1e-6, rtol=0)
    # and its survival at each day's end is the Kaplan-Meier curve
    np.testing.assert_allclose(fit.hazard["survival"], km["survival"], atol=1e-6, rtol=0)
    assert fit.n_subjects == 4000 and fit.hazard["hazard"].iloc[0] > 0.3


def test_discrete_hazard_reproduces_the_life_table_on_coarse_intervals():
    durations, observed = DATASETS["rossi"]
    cuts = [0, 10, 20, 30, 40, 53]
    fit = fit_discrete_hazard(durations, observed, cuts)
    t, e = np.asarray(durations, float), np.asarray(observed).astype(bool)
    for j, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        at_risk = (t >= a).sum()
        churned = (e & (t >= a) & (t < b)).sum()
        assert fit.hazard.loc[j, ["at_risk", "churned"]].tolist() == [at_risk, churned]
        assert fit.hazard.loc[j, "hazard"] == pytest.approx(churned / at_risk, abs=1e-6)
    assert fit.n_rows == len(person_period(durations, observed, cuts))


def test_discrete_hazard_covariates_equal_an_unpenalised_scikit_learn_logit():
    from sklearn.linear_model import LogisticRegression

    data = _cox_sample(17, n=800)
    cuts = [0, 2, 5, 10, 20, 40]
    fit = fit_discrete_hazard(data["days"], data["churned"], cuts,
                              covariates=data[["paid", "age"]])
    rows = person_period(data["days"], data["churned"], cuts)
    x = np.column_stack([np.eye(5)[rows["interval"]],
                         data[["paid", "age"]].to_numpy()[rows["subject"]]])
    oracle = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-10, max_iter=10_000)
    oracle.fit(x, rows["churned"])
    np.testing.assert_allclose(fit.coefficients["coef"], oracle.coef_[0][5:], atol=1e-4)
    np.testing.assert_allclose(fit.hazard["hazard"], 1 / (1 + np.exp(-oracle.coef_[0][:5])),
                               atol=1e-5)
    # a hazard ratio of 2 per day is an odds ratio a little above 2 per interval
    assert 1.8 < fit.coefficients.loc["paid", "odds_ratio"] < 3.5
    assert fit.coefficients.loc["paid", "p_value"] < 1e-6


def test_discrete_hazard_errors():
    with pytest.raises(ValueError) as error:
        fit_discrete_hazard([1, 1, 2, 5], [1, 1, 0, 1], cuts=[0, 1, 2, 3, 8, 20])
    message = str(error.value)
    assert "no user at risk churns in interval 0 [0, 1) days (0 of 4)" in message
    assert "merge it with a neighbouring interval" in message
    assert "nobody is at risk in interval 4 [8, 20) days" in message
    for bad in ([1, 2], [0], [0, 2, 2], [0, np.inf]):
        with pytest.raises(ValueError, match="cuts must"):
            person_period([1, 2], [1, 1], cuts=bad)
    with pytest.raises(ValueError, match="column 'x' \\(covariates\\) is not numeric"):
        fit_discrete_hazard([1, 2, 3], [1, 1, 1], [0, 2, 4],
                            covariates=pd.DataFrame({"x": ["a", "b", "c"]}))
    with pytest.raises(ValueError, match="covariates has 2 rows but durations has length 3"):
        fit_discrete_hazard([1, 2, 3], [1, 1, 1], [0, 2, 4], covariates=[[1], [2]])


# --------------------------------------------------------------------------- frailty


def test_frailty_population_hazard_matches_a_monte_carlo_population():
    # Every user has a flat hazard rate * Z; Z ~ Gamma(mean 1, variance v). The population
    # cumulative hazard, integral of the helper's hazard, must match -log KM of a large
    # simulated population (within 4 Greenwood standard errors).
    rate, variance, n = 0.1, 1.5, 40_000
    rng = np.random.default_rng(18)
    frailty = rng.gamma(1 / variance, variance, n)
    assert frailty.mean() == pytest.approx(1, abs=0.03)
    assert frailty.var() == pytest.approx(variance, rel=0.1)
    lifetimes = rng.exponential(1 / (rate * frailty))
    censor = rng.uniform(0, 120, n)
    km = kaplan_meier(np.minimum(lifetimes, censor), lifetimes <= censor)
    n_j, d_j = km["at_risk"], km["observed"]
    greenwood = pd.Series(np.cumsum(np.where(n_j > d_j, d_j / (n_j * (n_j - d_j)), 0.0)),
                          index=km.index)  # variance of log S
    for day in (2, 10, 30, 60):
        expected, _ = integrate.quad(lambda u: frailty_population_hazard(rate, variance, u),
                                     0, day)
        se = math.sqrt(greenwood.loc[:day].iloc[-1])
        assert abs(-math.log(_at(km, day)) - expected) < 4 * se
        # the closed form of the survival, written out
        assert math.exp(-expected) == pytest.approx((1 + variance * rate * day)
                                                    ** (-1 / variance), rel=1e-9)
    # the population hazard falls to less than a third in 30 days; nobody's does
    assert frailty_population_hazard(rate, variance, 30.0) < rate / 3
    assert frailty_population_hazard(rate, 0.0, [0, 30, 90]).tolist() == [rate] * 3


def test_frailty_errors():
    for kwargs, match in [({"rate": 0}, "rate must be"), ({"rate": -1}, "rate must be"),
                          ({"variance": -0.1}, "variance must be"),
                          ({"variance": math.nan}, "variance must be"),
                          ({"t": [-1]}, "t must be non-negative")]:
        with pytest.raises(ValueError, match=match):
            frailty_population_hazard(**{"rate": 0.1, "variance": 1.0, "t": 1.0, **kwargs})


# ------------------------------------------------------------------- competing risks


def _competing_sample(seed, n=500):
    """Uninstall (1) and dormancy (2) as competing exponential risks, with censoring (0)."""
    rng = np.random.default_rng(seed)
    uninstall, dormant, censor = (rng.exponential(m, n) for m in (20.0, 30.0, 40.0))
    durations = np.minimum.reduce([uninstall, dormant, censor])
    kind = np.select([durations == uninstall, durations == dormant], [1, 2], 0)
    return durations, kind


@pytest.mark.parametrize("with_entry", [False, True])
@pytest.mark.parametrize("interest", [1, 2])
def test_aalen_johansen_equals_lifelines_on_untied_data(interest, with_entry):
    from lifelines import AalenJohansenFitter

    durations, kind = _competing_sample(19)
    entry = None
    if with_entry:
        rng = np.random.default_rng(20)
        entry = np.where(rng.random(len(durations)) < 0.4, 0.0,
                         rng.uniform(0, 0.5, len(durations)) * durations)
    cif = aalen_johansen(durations, kind, event_of_interest=interest, entry=entry)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # untied: lifelines must not jitter
        ajf = AalenJohansenFitter(calculate_variance=True).fit(
            durations, kind, event_of_interest=interest, entry=entry)
    ours = cif.reindex(ajf.cumulative_density_.index)
    np.testing.assert_allclose(ours["cumulative_incidence"], ajf.cumulative_density_.iloc[:, 0],
                               atol=1e-9, rtol=0)
    defined = ajf.variance_.notna().to_numpy()  # lifelines: NaN at and after n == d
    np.testing.assert_allclose(ours["variance"].to_numpy()[defined],
                               ajf.variance_.to_numpy()[defined], atol=1e-9, rtol=0)
    # lifelines labels its bounds the other way round (its "upper" column is the lower bound)
    bounds = ajf.confidence_interval_.to_numpy()
    inside = defined & (ours["cumulative_incidence"].to_numpy() > 0)
    np.testing.assert_allclose(ours["ci_lower"].to_numpy()[inside], bounds[inside, 0], atol=1e-9)
    np.testing.assert_allclose(ours["ci_upper"].to_numpy()[inside], bounds[inside, 1], atol=1e-9)


def test_aalen_johansen_with_ties_adds_up_to_one_minus_kaplan_meier():
    durations, kind = _competing_sample(21)
    days = np.ceil(durations)  # day-granular: many ties between kinds
    km = kaplan_meier(days, kind != 0)
    total = sum(aalen_johansen(days, kind, event_of_interest=k)["cumulative_incidence"]
                for k in (1, 2))
    np.testing.assert_allclose(total, 1 - km["survival"], atol=1e-12)
    # naive 1 - KM with the competing kind censored overstates the incidence
    cif = aalen_johansen(days, kind, event_of_interest=1)
    naive = 1 - kaplan_meier(days, kind == 1)["survival"]
    assert (naive >= cif["cumulative_incidence"] - 1e-12).all()
    assert naive.iloc[-1] - cif["cumulative_incidence"].iloc[-1] > 0.05
    # the truth for exponential risks: F_1(t) = r1 / (r1 + r2) (1 - exp(-(r1 + r2) t))
    r1, r2 = 1 / 20, 1 / 30
    truth = r1 / (r1 + r2) * (1 - math.exp(-(r1 + r2) * 30))
    assert _at(cif, 30, "cumulative_incidence") == pytest.approx(truth, abs=0.05)


def test_aalen_johansen_hand_computed_and_labels():
    cif = aalen_johansen([1, 2, 3, 4, 5, 6], ["uninstall", "dormant", "none", "uninstall",
                                               "dormant", "none"],
                         event_of_interest="uninstall", censored="none")
    # uninstalls at 1 (S(1-) = 1, 6 at risk) and 4 (S(4-) = 5/6 * 4/5 = 4/6, 3 at risk):
    # F = 1/6, then 1/6 + (4/6)(1/3) = 7/18
    assert cif["cumulative_incidence"].tolist() == pytest.approx(
        [0, 1 / 6, 1 / 6, 1 / 6, 7 / 18, 7 / 18, 7 / 18], abs=1e-12)
    assert cif["competing"].tolist() == [0, 0, 1, 0, 0, 1, 0]


def test_aalen_johansen_errors():
    with pytest.raises(ValueError, match=r"event_of_interest='crash' does not occur in "
                                         r"event_type; kinds of churn present: \[1, 2\]"):
        aalen_johansen([1, 2, 3], [1, 2, 0], event_of_interest="crash")
    with pytest.raises(ValueError, match="event_of_interest=0 does not occur"):
        aalen_johansen([1, 2, 3], [1, 2, 0], event_of_interest=0)
    with pytest.raises(ValueError) as error:
        aalen_johansen([1, -2, 3], [1, None, 0], event_of_interest=1)
    message = str(error.value)
    assert "durations has 1 negative" in message and "event_type has 1 missing labels" in message
    with pytest.raises(ValueError, match="event_type has length 2 but durations has length 3"):
        aalen_johansen([1, 2, 3], [1, 0], event_of_interest=1)
