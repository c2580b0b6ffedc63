"""Tests for retainkit.survival and its plots.

Oracles: lifelines (KaplanMeierFitter, NelsonAalenFitter, ExponentialFitter, WeibullFitter
and their fit_interval_censoring, statistics.logrank_test and multivariate_logrank_test) on
its bundled waltons and rossi datasets and on random data; small tables computed by hand and
written out below; numerical integration and optimisation with scipy; the published sBG
estimates of Fader & Hardie (2007).
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
from lifelines.utils import median_survival_times
from scipy import integrate, optimize, stats

from retainkit.plotting._survival import (
    at_risk_counts,
    plot_cumulative_hazard,
    plot_hazard,
    plot_km,
)
from retainkit.survival import (
    durations_from_events,
    fit_exponential,
    fit_sbg,
    fit_weibull,
    kaplan_meier,
    logrank_test,
    median_survival,
    multivariate_logrank_test,
    nelson_aalen,
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
    if events == 0 or exposure == 0:
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
# The same users worked by hand (inactivity 7 days, as_of = the last event, 01-25 06:00):
# a churned after 2.5 days; b and c are censored at as_of after 23.25 and 0 days.
HAND_TABLE = pd.DataFrame(
    {
        "start": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 00:00", "2024-01-25 06:00"],
                                utc=True),
        "last_seen": pd.to_datetime(["2024-01-03 12:00", "2024-01-20 00:00", "2024-01-25 06:00"],
                                    utc=True),
        "duration": [2.5, 23.25, 0.0],
        "observed": [True, False, False],
    },
    index=pd.Index(["a", "b", "c"], name="user_id"),
)


def test_durations_from_events_hand_computed():
    table = durations_from_events(HAND_LOG, inactivity="7D", tz="UTC")
    pd.testing.assert_frame_equal(table, HAND_TABLE)
    assert str(table["start"].dtype) == "datetime64[ns, UTC]"
    default = durations_from_events(HAND_LOG, tz="UTC")  # 28 days: nobody away that long
    assert default["observed"].tolist() == [False, False, False]
    assert default["duration"].tolist() == [24.25, 23.25, 0.0]


def test_naive_timestamps_without_tz_are_utc_with_the_front_door_warning():
    with pytest.warns(UserWarning, match="naive timestamps in column 'timestamp' were taken as"
                                         " UTC.*validate_events\\(df, tz="):
        table = durations_from_events(HAND_LOG, inactivity="7D")
    pd.testing.assert_frame_equal(table, HAND_TABLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tz= given: nothing to warn about
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
    assert just_before.loc["a", "duration"] == pytest.approx(9 + 11 / 24, abs=1e-12)


def test_naive_times_and_as_of_are_wall_clock_in_tz_across_dst():
    # New York springs forward on 2025-03-09 (02:00 -> 03:00 local): from noon on the 8th
    # (17:00 UTC, EST) to noon on the 10th (16:00 UTC, EDT) is 47 hours, not 48.
    log = pd.DataFrame({"user_id": ["a", "a", "b"],
                        "timestamp": ["2025-03-08 12:00", "2025-03-10 12:00", "2025-03-20 12:00"]})
    table = durations_from_events(log, inactivity="7D", tz="America/New_York")
    assert table.loc["a", "start"] == pd.Timestamp("2025-03-08 17:00", tz="UTC")
    assert table.loc["a", "last_seen"] == pd.Timestamp("2025-03-10 16:00", tz="UTC")
    assert table.loc["a", "duration"] == pytest.approx(47 / 24, abs=1e-12)
    assert table["observed"].tolist() == [True, False]
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
    assert before.loc["a", "duration"] == pytest.approx(9 - 61 / 1440, abs=1e-12)
    # an aware as_of is a moment already: tz does not move it
    with pytest.warns(UserWarning, match="ignored 1 events"):
        aware = durations_from_events(log, inactivity="7D", tz="America/New_York",
                                      as_of=pd.Timestamp("2025-03-17 15:59", tz="UTC"))
    pd.testing.assert_frame_equal(aware, before)


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
