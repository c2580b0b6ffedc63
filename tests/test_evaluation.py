"""Tests for retainkit.evaluation and its plots.

Oracles: scikit-learn (classification metrics, calibration_curve, roc/pr curves), lifelines
(concordance index, Kaplan-Meier of the censoring distribution), and small tables computed by
hand and written out below. Plots are checked on their artists with the Agg backend.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.utils import concordance_index as lifelines_cindex  # noqa: E402
from scipy.integrate import trapezoid  # noqa: E402
from sklearn import metrics  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402

from retainkit import evaluation as ev  # noqa: E402
from retainkit.evaluation._classification import _roc_auc  # noqa: E402
from retainkit.plotting._evaluation import (  # noqa: E402
    plot_calibration,
    plot_cost_curve,
    plot_gain,
    plot_lift,
    plot_pr,
    plot_roc,
)

FAST = settings(max_examples=30, deadline=None)


def churn_data(n=1500, seed=0, ties=False):
    """Probabilities and labels drawn from them (so p is calibrated), base rate about 1/7."""
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 6, n)
    if ties:
        p = np.round(p, 2)
    y = (rng.random(n) < p).astype(int)
    return y, p


@st.composite
def labelled_scores(draw, min_size=2, max_size=40, both_classes=True):
    n = draw(st.integers(min_size, max_size))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if both_classes and y.min() == y.max():
        y[0] = 1 - y[0]
    # Scores on a coarse grid so ties, 0 and 1 occur often.
    p = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))) / 20
    return y, p


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- classification_summary


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("threshold", [0.1, 0.25, 0.5])
def test_classification_summary_equals_sklearn(ties, threshold):
    y, p = churn_data(ties=ties)
    s = ev.classification_summary(y, p, threshold=threshold)
    predicted = (p >= threshold).astype(int)
    assert list(s.index) == [
        "n", "base_rate", "threshold", "accuracy", "precision", "recall", "f1",
        "roc_auc", "pr_auc", "brier", "log_loss",
    ]  # fmt: skip
    assert s["n"] == len(y)
    assert s["threshold"] == threshold
    assert s["base_rate"] == pytest.approx(y.mean())
    assert s["accuracy"] == pytest.approx(metrics.accuracy_score(y, predicted))
    assert s["precision"] == pytest.approx(metrics.precision_score(y, predicted))
    assert s["recall"] == pytest.approx(metrics.recall_score(y, predicted))
    assert s["f1"] == pytest.approx(metrics.f1_score(y, predicted))
    assert s["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p), abs=1e-12)
    assert s["pr_auc"] == pytest.approx(metrics.average_precision_score(y, p), abs=1e-12)
    assert s["brier"] == pytest.approx(metrics.brier_score_loss(y, p), abs=1e-12)
    assert s["log_loss"] == pytest.approx(metrics.log_loss(y, p), abs=1e-12)


@FAST
@given(labelled_scores())
def test_ranking_and_probability_metrics_equal_sklearn_on_any_input(data):
    y, p = data
    s = ev.classification_summary(y, p)
    assert s["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p), abs=1e-12)
    assert s["pr_auc"] == pytest.approx(metrics.average_precision_score(y, p), abs=1e-12)
    assert s["brier"] == pytest.approx(metrics.brier_score_loss(y, p), abs=1e-12)
    # p = 0 or 1 with the wrong label: both clip to machine epsilon.
    assert s["log_loss"] == pytest.approx(metrics.log_loss(y, p, labels=[0, 1]), rel=1e-12)
    assert s["f1"] == pytest.approx(metrics.f1_score(y, p >= 0.5, zero_division=0.0))


def test_precision_is_nan_when_nobody_is_targeted():
    # The "all-stay" model of notebook 06: precision undefined, recall 0, accuracy = 1 - base rate.
    y = np.array([1, 0, 0, 0])
    s = ev.classification_summary(y, np.full(4, 0.1))
    assert np.isnan(s["precision"])
    assert np.isnan(metrics.precision_score(y, np.zeros(4), zero_division=np.nan))
    assert s["recall"] == 0 and s["f1"] == 0 and s["accuracy"] == 0.75


def test_keras_column_output_and_aligned_series_are_accepted():
    y, p = churn_data(n=200)
    index = pd.Index(range(100, 300), name="user_id")
    from_column = ev.classification_summary(y, p[:, None])
    from_series = ev.classification_summary(pd.Series(y, index), pd.Series(p, index))
    pd.testing.assert_series_equal(from_column, from_series)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([0, 1, 1], [0.2, 0.4], "lengths differ"),
        ([0, 1, 1], [0.2, 1.4, 0.3], "outside"),
        ([0, 1, 1], [0.2, -0.1, 0.3], "outside"),
        ([0, 1, 1], [0.2, np.nan, 0.3], "NaN"),
        ([1, 1, 1], [0.2, 0.5, 0.3], "single class"),
        ([0, 1, 2], [0.2, 0.5, 0.3], "binary"),
        ([0, 1, np.nan], [0.2, 0.5, 0.3], "NaN"),
        (["a", "b", "a"], [0.2, 0.5, 0.3], "numeric"),
        ([0, 1, 1], [[0.2, 0.1], [0.5, 0.1], [0.3, 0.1]], "one-dimensional"),
    ],
)
def test_bad_input_raises_a_clear_value_error(y, p, message):
    with pytest.raises(ValueError, match=message):
        ev.classification_summary(y, p)


def test_series_with_different_indexes_are_refused():
    y = pd.Series([0, 1, 1], index=[1, 2, 3])
    p = pd.Series([0.2, 0.5, 0.3], index=[3, 2, 1])
    with pytest.raises(ValueError, match="different indexes"):
        ev.classification_summary(y, p)


def test_other_functions_validate_too():
    with pytest.raises(ValueError, match="outside"):
        ev.lift_table([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="no churners"):
        ev.lift_table([0, 0], [0.5, 0.6], bins=2)
    with pytest.raises(ValueError, match="lengths differ"):
        ev.threshold_for_cost([0, 1], [0.5], cost_fp=1, cost_fn=1)
    with pytest.raises(ValueError, match="cost_fn"):
        ev.threshold_for_cost([0, 1], [0.5, 0.6], cost_fp=1, cost_fn=-1)
    with pytest.raises(ValueError, match="^strategy='equal' is not supported; accepted values: "
                       "'uniform', 'quantile'$"):
        ev.calibration_table([0, 1], [0.5, 0.6], strategy="equal")
    with pytest.raises(ValueError, match="^bins must be an integer >= 1, got 0$"):
        ev.calibration_table([0, 1], [0.5, 0.6], bins=0)
    with pytest.raises(ValueError, match="^bins must be at most the number of users, 2, got 3$"):
        ev.lift_table([0, 1], [0.5, 0.6], bins=3)
    with pytest.raises(ValueError, match="single class"):
        ev.compare_models([1, 1], {"a": [0.5, 0.6]})
    with pytest.raises(ValueError, match="^reference='b' is not supported; accepted values: 'a'$"):
        ev.compare_models([0, 1], {"a": [0.5, 0.6]}, reference="b")
    with pytest.raises(ValueError, match="^conf_level must be strictly between 0 and 1, got 95$"):
        ev.compare_models([0, 1], {"a": [0.5, 0.6]}, conf_level=95)
    with pytest.raises(ValueError, match="^n_boot must be an integer >= 0, got -1$"):
        ev.compare_models([0, 1], {"a": [0.5, 0.6]}, n_boot=-1)
    with pytest.raises(ValueError, match="binary"):
        ev.concordance_index([1, 2], [0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="non-negative"):
        ev.concordance_index([1, -2], [0.1, 0.2])


# --------------------------------------------------------------------------- cost-based threshold

# Five users, sorted by score. y = churned.
#   p    0.9  0.8  0.6  0.3  0.1
#   y     1    0    1    0    0
# Targeting p >= threshold, cost_fp = 1, cost_fn = 3:
#   threshold  targeted  tp  fp  fn  tn  cost = 1*fp + 3*fn
#   0.1        5         2   3   0   0   3
#   0.3        4         2   2   0   1   2
#   0.6        3         2   1   0   2   1   <- minimum
#   0.8        2         1   1   1   2   4
#   0.9        1         1   0   1   3   3
#   inf        0         0   0   2   3   6
TINY_P = np.array([0.6, 0.1, 0.9, 0.3, 0.8])  # deliberately unsorted
TINY_Y = np.array([1, 0, 1, 0, 0])


def test_cost_curve_matches_the_hand_computed_table():
    result = ev.threshold_for_cost(TINY_Y, TINY_P, cost_fp=1, cost_fn=3)
    expected = pd.DataFrame(
        {
            "threshold": [0.1, 0.3, 0.6, 0.8, 0.9, np.inf],
            "targeted": [5, 4, 3, 2, 1, 0],
            "tp": [2, 2, 2, 1, 1, 0],
            "fp": [3, 2, 1, 1, 0, 0],
            "fn": [0, 0, 0, 1, 1, 2],
            "tn": [0, 1, 2, 2, 3, 3],
            "cost": [3.0, 2.0, 1.0, 4.0, 3.0, 6.0],
        }
    )
    pd.testing.assert_frame_equal(result.curve, expected, check_dtype=False)
    assert (result.threshold, result.cost, result.targeted) == (0.6, 1.0, 3)
    assert result.bayes_threshold == 0.25  # 1 / (1 + 3)


def test_equal_costs_pick_the_highest_threshold():
    # cost_fp = cost_fn = 1: costs 3, 2, 1, 2, 1, 2 -> tie between 0.6 and 0.9; 0.9 targets fewer.
    result = ev.threshold_for_cost(TINY_Y, TINY_P, cost_fp=1, cost_fn=1)
    assert result.curve["cost"].tolist() == [3, 2, 1, 2, 1, 2]
    assert (result.threshold, result.targeted) == (0.9, 1)


def test_targeting_nobody_can_be_optimal():
    # y = 0, 1 with p = 0.9, 0.2; cost_fp = 1, cost_fn = 0.5:
    #   threshold 0.2: fp 1, fn 0 -> 1.0;  0.9: fp 1, fn 1 -> 1.5;  inf: fn 1 -> 0.5 (minimum)
    result = ev.threshold_for_cost([0, 1], [0.9, 0.2], cost_fp=1, cost_fn=0.5)
    assert result.curve["cost"].tolist() == [1.0, 1.5, 0.5]
    assert result.threshold == np.inf and result.targeted == 0 and result.cost == 0.5


@FAST
@given(
    labelled_scores(min_size=1, both_classes=False),
    st.floats(0, 10),
    st.floats(0.01, 10),
)
def test_chosen_threshold_minimises_cost_by_brute_force(data, cost_fp, cost_fn):
    y, p = data
    result = ev.threshold_for_cost(y, p, cost_fp=cost_fp, cost_fn=cost_fn)

    def cost(threshold):
        targeted = p >= threshold
        return cost_fp * np.sum(targeted & (y == 0)) + cost_fn * np.sum(~targeted & (y == 1))

    # Every threshold a user could pick: a fine grid, every score, and above all scores.
    candidates = np.r_[np.linspace(-0.01, 1.01, 205), p, np.inf]
    brute_force_minimum = min(cost(c) for c in candidates)
    assert result.cost == pytest.approx(brute_force_minimum, abs=1e-9)
    assert cost(result.threshold) == pytest.approx(result.cost, abs=1e-9)


def test_value_form_translates_to_costs_and_maximises_net_value():
    y, p = churn_data(seed=3)
    offer_cost, saved_value, acceptance = 10.0, 100.0, 0.5
    by_value = ev.threshold_for_value(
        y, p, offer_cost=offer_cost, saved_value=saved_value, acceptance_rate=acceptance
    )
    # cost_fp = offer cost; cost_fn = expected saving forgone = 0.5 * 100 - 10 = 40.
    by_cost = ev.threshold_for_cost(y, p, cost_fp=10, cost_fn=40)
    assert (by_value.threshold, by_value.cost) == (by_cost.threshold, by_cost.cost)
    assert by_value.bayes_threshold == pytest.approx(offer_cost / (acceptance * saved_value))
    curve = by_value.curve
    # Profit computed from the outcome table directly, not from the cost column.
    profit = acceptance * saved_value * curve["tp"] - offer_cost * (curve["tp"] + curve["fp"])
    np.testing.assert_allclose(curve["net_value"], profit)
    np.testing.assert_allclose(-profit, curve["cost"] - 40 * y.sum())  # the documented identity
    assert curve.loc[curve["threshold"] == by_value.threshold, "net_value"].item() == profit.max()


def test_unprofitable_offer_is_refused():
    with pytest.raises(ValueError, match="target nobody"):
        ev.threshold_for_value(TINY_Y, TINY_P, offer_cost=30, saved_value=50, acceptance_rate=0.5)


# --------------------------------------------------------------------------- lift table


# Ten users sorted by score, 4 churners, base rate 0.4, five bins of two:
#   bin  scores      churners  rate  lift = rate/0.4  capture  cum gain  pop share  cum lift
#   1    .95 .90     2         1.0   2.5              .50      .50       .2         2.5
#   2    .85 .80     1         0.5   1.25             .25      .75       .4         1.875
#   3    .70 .60     0         0     0                0        .75       .6         1.25
#   4    .50 .40     0         0     0                0        .75       .8         .9375
#   5    .30 .20     1         0.5   1.25             .25      1.0       1.0        1.0
def test_lift_table_matches_the_hand_computed_table():
    p = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 1, 0])
    shuffle = np.random.default_rng(0).permutation(10)
    table = ev.lift_table(y[shuffle], p[shuffle], bins=5)
    assert table.index.tolist() == [1, 2, 3, 4, 5]
    assert table["n"].tolist() == [2] * 5
    assert table["max_score"].tolist() == [0.95, 0.85, 0.7, 0.5, 0.3]
    assert table["positives"].tolist() == [2, 1, 0, 0, 1]
    np.testing.assert_allclose(table["rate"], [1, 0.5, 0, 0, 0.5])
    np.testing.assert_allclose(table["lift"], [2.5, 1.25, 0, 0, 1.25])
    np.testing.assert_allclose(table["capture_rate"], [0.5, 0.25, 0, 0, 0.25])
    np.testing.assert_allclose(table["cumulative_gain"], [0.5, 0.75, 0.75, 0.75, 1.0])
    np.testing.assert_allclose(table["population_share"], [0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(table["cumulative_lift"], [2.5, 1.875, 1.25, 0.9375, 1.0])


@FAST
@given(labelled_scores(min_size=2, max_size=60), st.integers(1, 12))
def test_lift_table_properties(data, bins):
    y, p = data
    bins = min(bins, len(y))
    table = ev.lift_table(y, p, bins=bins)
    assert len(table) == bins
    assert table["n"].sum() == len(y)
    assert table["n"].max() - table["n"].min() <= 1
    assert table["positives"].sum() == y.sum()
    assert table["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert (np.diff(table["cumulative_gain"]) >= 0).all()
    # Bins are ordered by score: every score in bin k is >= every score in bin k + 1.
    assert (table["min_score"].to_numpy()[:-1] >= table["max_score"].to_numpy()[1:]).all()
    # Mean lift weighted by bin size is 1 (the bins partition the users).
    assert np.average(table["lift"], weights=table["n"]) == pytest.approx(1.0)


# --------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("bins", [5, 10])
def test_calibration_table_equals_sklearn_calibration_curve(strategy, bins):
    y, p = churn_data(seed=1)
    table = ev.calibration_table(y, p, bins=bins, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=bins, strategy=strategy)
    filled = table[table["n"] > 0]
    np.testing.assert_allclose(filled["observed_rate"], prob_true)
    np.testing.assert_allclose(filled["mean_predicted"], prob_pred)
    assert table["n"].sum() == len(y)
    assert table["share"].sum() == pytest.approx(1.0)


def test_calibration_table_keeps_empty_bins_and_ece_by_hand():
    # Two uniform bins [0, .5] and (.5, 1]:
    #   bin 0: p = .10, .15 -> mean .125; y = 0, 1 -> rate .5; |gap| = .375; share .5
    #   bin 1: p = .80, .90 -> mean .850; y = 1, 0 -> rate .5; |gap| = .350; share .5
    #   ECE = .5 * .375 + .5 * .350 = .3625
    y, p = [0, 1, 1, 0], [0.1, 0.15, 0.8, 0.9]
    assert ev.expected_calibration_error(y, p, bins=2) == pytest.approx(0.3625)
    table = ev.calibration_table(y, p, bins=4)
    assert table["n"].tolist() == [2, 0, 0, 2]
    assert table.loc[1:2, "observed_rate"].isna().all()
    # Right-closed bins: p = 0.5 exactly falls in the first of two bins, as in scikit-learn.
    assert ev.calibration_table([1, 0], [0.5, 0.7], bins=2)["n"].tolist() == [1, 1]


def test_quantile_bins_warn_when_ties_merge_edges():
    p = np.r_[np.zeros(80), np.linspace(0.1, 0.9, 20)]
    y = (p > 0.5).astype(int)
    with pytest.warns(UserWarning, match="bins instead of 10"):
        table = ev.calibration_table(y, p, bins=10, strategy="quantile")
    assert len(table) < 10 and table["n"].sum() == 100


@FAST
@given(labelled_scores(min_size=1, both_classes=False), st.integers(1, 15))
def test_ece_lies_in_unit_interval_and_is_zero_for_perfect_bins(data, bins):
    y, p = data
    ece = ev.expected_calibration_error(y, p, bins=bins)
    assert 0 <= ece <= 1
    # Predicting the outcome itself (p = y) is perfectly calibrated: bins at 0 and 1 only.
    assert ev.expected_calibration_error(y, y.astype(float), bins=bins) == 0


# --------------------------------------------------------------------------- compare_models


def test_compare_models_rows_equal_sklearn_and_bootstrap_is_paired():
    y, truth = churn_data(n=400, seed=4)
    rng = np.random.default_rng(5)
    noisy = np.clip(truth + rng.normal(0, 0.15, len(y)), 0, 1)
    scores = {"truth": truth, "noisy": noisy}
    table = ev.compare_models(y, scores, n_boot=150, seed=7)

    assert table.index.tolist() == ["truth", "noisy"]
    for name, p in scores.items():
        assert table.at[name, "roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))
        assert table.at[name, "pr_auc"] == pytest.approx(metrics.average_precision_score(y, p))
        assert table.at[name, "brier"] == pytest.approx(metrics.brier_score_loss(y, p))
    assert table.at["noisy", "auc_diff"] == pytest.approx(
        metrics.roc_auc_score(y, noisy) - metrics.roc_auc_score(y, truth)
    )
    assert table.at["truth", "auc_diff"] == 0
    assert np.isnan(table.at["truth", "auc_diff_lower"])

    # Independent oracle: the same resamples (one draw of shape (n_boot, n) while
    # n_boot * n stays under the block size) scored with sklearn in a plain loop.
    rows = np.random.default_rng(7).integers(0, len(y), size=(150, len(y)))
    auc = {name: np.array([metrics.roc_auc_score(y[r], p[r]) for r in rows])
           for name, p in scores.items()}  # fmt: skip
    np.testing.assert_allclose(
        table.loc["noisy", ["auc_diff_lower", "auc_diff_upper"]].astype(float),
        np.quantile(auc["noisy"] - auc["truth"], [0.025, 0.975]),
    )
    np.testing.assert_allclose(
        table.loc["truth", ["roc_auc_lower", "roc_auc_upper"]].astype(float),
        np.quantile(auc["truth"], [0.025, 0.975]),
    )
    # Pairing: the difference is far more precise than the two AUC intervals suggest.
    diff_width = table.at["noisy", "auc_diff_upper"] - table.at["noisy", "auc_diff_lower"]
    auc_width = table.at["noisy", "roc_auc_upper"] - table.at["noisy", "roc_auc_lower"]
    assert diff_width < auc_width


def test_identical_models_have_a_zero_width_difference_interval():
    y, p = churn_data(n=300, seed=2)
    table = ev.compare_models(y, {"a": p, "b": p.copy()}, reference="a", n_boot=50)
    assert table.loc["b", ["auc_diff_lower", "auc_diff_upper"]].tolist() == [0, 0]


def test_no_bootstrap_leaves_the_intervals_empty():
    y, p = churn_data(n=300, seed=2)
    table = ev.compare_models(y, {"a": p, "b": p**2}, n_boot=0)
    assert table[["roc_auc_lower", "auc_diff_upper"]].isna().all().all()
    assert table.at["b", "roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p**2))


def test_single_class_replicates_are_skipped_with_a_warning():
    y = np.array([1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    with pytest.warns(UserWarning, match="single class"):
        table = ev.compare_models(y, {"m": p}, n_boot=200)
    assert table.at["m", "roc_auc"] == 1.0


def test_weighted_auc_equals_sklearn_with_sample_weight():
    # The bootstrap scores each resample as the original rows weighted by their multiplicity.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 30)
    p = rng.integers(0, 5, 30) / 4  # many ties
    counts = rng.integers(0, 4, size=(20, 30))
    expected = [metrics.roc_auc_score(y, p, sample_weight=c) for c in counts]
    np.testing.assert_allclose(_roc_auc(y, p, counts), expected)
    assert _roc_auc(y, p) == pytest.approx(metrics.roc_auc_score(y, p))


# --------------------------------------------------------------------------- concordance index


def test_concordance_by_hand():
    # durations 1, 2, 3, 4 (4 censored); risk 4, 3, 1, 2.
    # Comparable pairs (shorter one churned): (1,2) (1,3) (1,4) (2,3) (2,4) (3,4) = 6.
    # Concordant (higher risk for the shorter): (1,2) 4>3, (1,3) 4>1, (1,4) 4>2, (2,3) 3>1,
    # (2,4) 3>2; discordant: (3,4) 1<2.  C = 5 / 6.
    c = ev.concordance_index([1, 2, 3, 4], [4, 3, 1, 2], [1, 1, 1, 0])
    assert c == pytest.approx(5 / 6)
    # A censored user at the same time as a churn is comparable (the churner went first);
    # two churns at the same time are not.  durations 2, 2, 2; observed 1, 1, 0; risk 1, 3, 2:
    # pairs (a, c): 1 < 2 discordant; (b, c): 3 > 2 concordant -> C = 1 / 2.
    assert ev.concordance_index([2, 2, 2], [1, 3, 2], [1, 1, 0]) == pytest.approx(0.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concordance_equals_lifelines_with_sign_flipped(seed):
    rng = np.random.default_rng(seed)
    n = 600
    durations = rng.integers(1, 40, n).astype(float)  # tied times
    risk = np.round(rng.normal(size=n) - 0.02 * durations, 1)  # tied risks
    observed = rng.random(n) < 0.7
    expected = lifelines_cindex(durations, -risk, observed)
    assert ev.concordance_index(durations, risk, observed) == pytest.approx(expected, abs=1e-12)


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 8), st.integers(0, 5), st.booleans()), min_size=2, max_size=30
    )
)
def test_concordance_equals_lifelines_on_any_input(rows):
    durations, risk, observed = (np.array(column) for column in zip(*rows, strict=True))
    try:
        expected = lifelines_cindex(durations, -risk, observed)
    except ZeroDivisionError:  # lifelines: no admissible pairs
        with pytest.raises(ValueError, match="no comparable pairs"):
            ev.concordance_index(durations, risk, observed)
        return
    assert ev.concordance_index(durations, risk, observed) == pytest.approx(expected)


# --------------------------------------------------------------------------- Brier scores

# Five users; churn (observed) at 1, 2 and 3, censored at 2 and 4:
T_TINY = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
D_TINY = np.array([1, 0, 1, 1, 0])
# Kaplan-Meier of the censoring distribution G(s) = P(C > s), churns first at tied times:
#   s = 1: 5 at risk, 1 churn -> 4 at risk of censoring, 0 censored -> G(1) = 1
#   s = 2: 4 at risk, 1 churn -> 3 at risk of censoring, 1 censored -> G(2) = 1 * (1 - 1/3) = 2/3
#   s = 3: 2 at risk, 1 churn -> 1 at risk of censoring, 0 censored -> G(3) = 2/3
#   s = 4: 1 at risk, 0 churn -> 1 at risk of censoring, 1 censored -> G(4) = 0
S_AT_1 = np.array([0.5, 0.8, 0.9, 0.95, 0.99])  # predicted P(T > 1)
S_AT_2_5 = np.array([0.2, 0.6, 0.3, 0.7, 0.9])  # predicted P(T > 2.5)


def test_brier_score_by_hand_at_2_5():
    # t = 2.5, G(2.5) = 2/3.
    #   user 1: churned at 1 <= t     S^2 / G(1-)   = 0.04 / 1         = 0.04
    #   user 2: censored at 2 <= t    contributes 0
    #   user 3: churned at 2 <= t     S^2 / G(2-)   = 0.09 / 1         = 0.09
    #   user 4: active at t (T = 3)   (1-S)^2 / G(t) = 0.09 / (2/3)    = 0.135
    #   user 5: active at t (T = 4)   (1-S)^2 / G(t) = 0.01 / (2/3)    = 0.015
    #   BS(2.5) = (0.04 + 0 + 0.09 + 0.135 + 0.015) / 5 = 0.28 / 5 = 0.056
    assert ev.brier_score(T_TINY, D_TINY, S_AT_2_5, 2.5) == pytest.approx(0.056)
    # With G(T_i) instead of G(T_i-) (scikit-survival's definition), user 3 would weigh
    # 0.09 / (2/3) = 0.135 and BS = 0.325 / 5 = 0.065: the tie at T = 2 is why they differ.


def test_brier_score_by_hand_at_1():
    # t = 1, G(1) = 1:  user 1 churned at 1: 0.5^2 / G(1-) = 0.25; others active:
    # 0.2^2 + 0.1^2 + 0.05^2 + 0.01^2 = 0.04 + 0.01 + 0.0025 + 0.0001.
    # BS(1) = 0.3026 / 5 = 0.06052
    assert ev.brier_score(T_TINY, D_TINY, S_AT_1, 1.0) == pytest.approx(0.06052)


def test_integrated_brier_score_by_hand():
    # Trapezoid on [1, 2.5]: (0.06052 + 0.056) / 2 * 1.5, divided by the span 1.5 = 0.05826.
    curves = np.column_stack([S_AT_1, S_AT_2_5])
    assert ev.integrated_brier_score(T_TINY, D_TINY, curves, [1.0, 2.5]) == pytest.approx(0.05826)
    curve = ev.brier_score_curve(T_TINY, D_TINY, curves, [1.0, 2.5])
    np.testing.assert_allclose(curve["brier"], [0.06052, 0.056])


def test_brier_score_past_the_last_censoring_is_finite():
    # After t = 4, G = 0 but no user is still active, so no weight 1/G(t) is needed.
    assert np.isfinite(ev.brier_score(T_TINY, D_TINY, S_AT_2_5, 5.0))


def test_brier_without_censoring_is_the_plain_brier_score():
    rng = np.random.default_rng(0)
    durations = rng.exponential(10, 300)
    survival = np.exp(-5 / rng.uniform(5, 15, 300))  # some prediction of P(T > 5)
    expected = metrics.brier_score_loss((durations > 5).astype(int), survival)
    assert ev.brier_score(durations, np.ones(300), survival, 5.0) == pytest.approx(expected)


def test_brier_equals_the_scikit_survival_definition_without_ties():
    # scikit-survival (sksurv.metrics.brier_score, from its published source):
    #   BS(t) = mean( 1(T_i <= t, d_i) * S_i^2 / G(T_i) + 1(T_i > t) * (1 - S_i)^2 / G(t) )
    # with G the Kaplan-Meier of the censoring indicator. With continuous times there are no
    # ties, so G(T_i) = G(T_i-) at churn times. G here comes from lifelines.
    rng = np.random.default_rng(1)
    n = 400
    churn, censor = rng.exponential(20, n), rng.uniform(5, 60, n)
    durations, observed = np.minimum(churn, censor), churn <= censor
    times = np.array([5.0, 10.0, 20.0, 30.0])
    survival = np.exp(-times[None, :] / rng.uniform(10, 30, n)[:, None])

    km = KaplanMeierFitter().fit(durations, event_observed=~observed)

    def G(s):
        return km.survival_function_at_times(s).to_numpy()

    expected = [
        np.mean(
            np.where((durations <= t) & observed, survival[:, k] ** 2 / G(durations), 0)
            + np.where(durations > t, (1 - survival[:, k]) ** 2 / G(t), 0)
        )
        for k, t in enumerate(times)
    ]
    for k, t in enumerate(times):
        assert ev.brier_score(durations, observed, survival[:, k], t) == pytest.approx(expected[k])
    ibs = trapezoid(expected, times) / (times[-1] - times[0])
    assert ev.integrated_brier_score(durations, observed, survival, times) == pytest.approx(ibs)


def test_survival_input_errors():
    with pytest.raises(ValueError, match=r"pass \.T"):
        ev.integrated_brier_score(T_TINY, D_TINY, np.ones((2, 5)), [1.0, 2.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        ev.integrated_brier_score(T_TINY, D_TINY, np.ones((5, 2)), [2.0, 1.0])
    with pytest.raises(ValueError, match="survival probabilities"):
        ev.brier_score(T_TINY, D_TINY, np.full(5, 1.2), 1.0)
    with pytest.raises(ValueError, match="lengths differ"):
        ev.brier_score(T_TINY, D_TINY, np.full(4, 0.5), 1.0)


# --------------------------------------------------------------------------- plots


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_plot_roc_draws_each_model_and_chance():
    y, p = churn_data(seed=5)
    q = np.clip(p + 0.1, 0, 1)
    ax = plot_roc(y, {"model a": p, "model b": q})
    assert len(ax.get_lines()) == 3
    labels = legend_texts(ax)
    assert labels[0].startswith("model a (AUC = ") and labels[2] == "chance (AUC = 0.5)"
    assert f"{metrics.roc_auc_score(y, p):.3f}" in labels[0]
    fpr, tpr, _ = metrics.roc_curve(y, p)
    np.testing.assert_allclose(ax.get_lines()[0].get_xydata(), np.column_stack([fpr, tpr]))
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_plot_pr_draws_the_base_rate():
    y, p = churn_data(seed=6)
    ax = plot_pr(y, p)
    lines = ax.get_lines()
    assert len(lines) == 2
    assert np.allclose(lines[1].get_ydata(), y.mean())
    assert legend_texts(ax)[0].startswith("model (AP = ")
    assert "base rate" in legend_texts(ax)[1]
    assert ax.get_title() and ax.get_xlabel().startswith("Recall")


def test_plot_calibration_with_count_panel_and_from_tables():
    y, p = churn_data(seed=7)
    ax = plot_calibration(y, {"a": p, "b": p**0.8}, bins=10)
    fig = ax.figure
    assert len(fig.axes) == 2
    counts_ax = fig.axes[-1]
    table = ev.calibration_table(y, p, bins=10)
    filled = table[table["n"] > 0]
    model_a = ax.get_lines()[1]
    np.testing.assert_allclose(model_a.get_xdata(), filled["mean_predicted"])
    np.testing.assert_allclose(model_a.get_ydata(), filled["observed_rate"])
    n_bars_a = len(filled)
    heights = [patch.get_height() for patch in counts_ax.patches[:n_bars_a]]
    assert heights == filled["n"].tolist()
    assert counts_ax.get_ylabel() == "Users in bin"
    assert legend_texts(ax) == ["perfectly calibrated", "a", "b"]

    assert plt.gca() is ax  # the diagram, not the panel, is left current
    plt.figure()  # as in seaborn, a new figure is the caller's choice
    ax2 = plot_calibration({"only": table}, counts=False)
    assert len(ax2.figure.axes) == 1 and len(ax2.get_lines()) == 2
    with pytest.raises(ValueError, match="calibration_table"):
        plot_calibration(y)


def test_plot_lift_and_gain_follow_the_lift_table():
    y, p = churn_data(seed=8)
    table = ev.lift_table(y, p, bins=10)
    ax = plot_lift(y, {"m": p})
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), table["lift"])
    assert ax.get_lines()[1].get_ydata()[0] == 1.0  # random targeting
    assert "Lift" in ax.get_ylabel() and ax.get_title()

    plt.figure()
    ax = plot_gain(y, {"m": p, "m2": p**2})
    lines = ax.get_lines()
    assert len(lines) == 4  # two models, random, perfect
    for line in lines[:2]:
        assert tuple(line.get_xydata()[0]) == (0, 0)
        assert tuple(line.get_xydata()[-1]) == pytest.approx((1, 1))
    np.testing.assert_allclose(lines[0].get_ydata()[1:], table["cumulative_gain"])
    assert legend_texts(ax)[-2:] == ["random targeting", "perfect ranking"]


def test_plot_cost_curve_marks_the_chosen_threshold():
    result = ev.threshold_for_cost(TINY_Y, TINY_P, cost_fp=1, cost_fn=3)
    ax = plot_cost_curve(result)
    labels = legend_texts(ax)
    chosen = [line for line in ax.get_lines() if line.get_label().startswith("hindsight best")]
    assert len(chosen) == 1 and list(chosen[0].get_xdata()) == [0.6, 0.6]
    assert any(label.startswith("break-even, no labels needed = 0.250") for label in labels)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [3, 2, 1, 4, 3])
    assert ax.get_title() and "Threshold" in ax.get_xlabel()

    nobody = ev.threshold_for_cost([0, 1], [0.9, 0.2], cost_fp=1, cost_fn=0.5)
    plt.figure()
    labels = legend_texts(plot_cost_curve(nobody))
    assert any(label.endswith("= chosen") for label in labels)
    assert not any(label.startswith("hindsight best") for label in labels)


# --- IPCW weights -----------------------------------------------------------------------------

def test_ipcw_weights_by_hand():
    # T_TINY / D_TINY (table above): G = 1 until the censoring at 2, then 2/3 (the user censored
    # at 2 was one of the three at risk of censoring), then 0 after the censoring at 4.
    weights = ev.ipcw_weights(T_TINY, D_TINY, [1.0, 2.5])
    expected = np.array([
        [1.0, 1.0],        # churned at 1: 1 / G(1-) = 1 at both times
        [1.0, 0.0],        # censored at 2: known at t = 1, unknown at 2.5
        [1.0, 1.0],        # churned at 2: 1 / G(2-) = 1
        [1.0, 1.5],        # active at 2.5 (T = 3): 1 / G(2.5) = 3/2
        [1.0, 1.5],
    ])
    np.testing.assert_allclose(weights.to_numpy(), expected)
    assert list(weights.columns) == [1.0, 2.5] and weights.columns.name == "time"
    # The Brier score is the weighted mean squared error of S(t) against the status.
    status = np.array([0, 0, 0, 1, 1])
    assert np.mean(expected[:, 1] * (status - S_AT_2_5) ** 2) == pytest.approx(
        ev.brier_score(T_TINY, D_TINY, S_AT_2_5, 2.5))


def test_ipcw_weights_keep_the_index_and_validate():
    durations = pd.Series([2.0, 5.0, 3.0], index=["a", "b", "c"])
    observed = pd.Series([True, False, True], index=["a", "b", "c"])
    assert list(ev.ipcw_weights(durations, observed, 1.0).index) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="times"):
        ev.ipcw_weights(durations, observed, [np.nan])
    with pytest.raises(ValueError, match="durations"):
        ev.ipcw_weights([-1.0, 2.0], [True, True], [1.0])


def test_ipcw_weights_are_one_without_censoring_before_t():
    rng = np.random.default_rng(3)
    durations = rng.exponential(10, 200)
    weights = ev.ipcw_weights(durations, np.ones(200, bool), [1.0, 5.0, 20.0])
    assert set(np.unique(weights.to_numpy())) == {1.0}
