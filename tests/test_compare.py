"""The fair comparison protocol (issue 15): validation splits, paired intervals, run tables,
rolling-origin folds. Oracles: scipy, statsmodels, hand-computed tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.weightstats import DescrStatsW

from retainkit.evaluation import (
    paired_interval,
    rolling_origin,
    stratified_split,
    summarize_runs,
)

# --- stratified_split ------------------------------------------------------------------------

def test_stratified_split_keeps_the_base_rate_and_is_shuffled():
    y = np.r_[np.zeros(80), np.ones(20)]  # sorted: the last rows are all churners
    fit, val = stratified_split(y, share=0.25, seed=1)
    assert len(val) == 25 and y[val].sum() == 5  # round(0.25 * 80) + round(0.25 * 20)
    assert np.array_equal(np.sort(np.r_[fit, val]), np.arange(100))
    assert np.all(np.diff(val) > 0) and val.min() < 80  # sorted, not the last rows
    again = stratified_split(y, share=0.25, seed=1)[1]
    other = stratified_split(y, share=0.25, seed=2)[1]
    assert np.array_equal(val, again) and not np.array_equal(val, other)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 1)), min_size=6, max_size=60),
       st.floats(0.1, 0.5), st.integers(0, 10))
def test_grouping_by_user_never_leaks(rows, share, seed):
    users = np.array([u for u, _ in rows])
    y = np.array([label for _, label in rows])
    try:
        fit, val = stratified_split(y, share=share, groups=users, seed=seed)
    except ValueError as err:  # too few users for this share: one side would be empty
        assert "leaves one side empty" in str(err)
        return
    assert not set(users[fit]) & set(users[val])
    assert len(fit) + len(val) == len(y) and len(val) > 0 and len(fit) > 0


def test_grouped_split_stratifies_users_by_any_churn():
    users = np.repeat(np.arange(50), 3)
    y = np.zeros(150)
    y[users < 10] = 1  # users 0..9 churn in every snapshot
    fit, val = stratified_split(y, share=0.2, groups=users, seed=0)
    assert len(np.unique(users[val])) == 10 and (np.unique(users[val]) < 10).sum() == 2


def test_stratified_split_errors():
    with pytest.raises(ValueError, match="share must be strictly between 0 and 1"):
        stratified_split([0, 1, 0, 1], share=1.0)
    with pytest.raises(ValueError, match="y must be 0/1 to stratify"):
        stratified_split([0, 2, 0, 1], share=0.5)
    with pytest.raises(ValueError, match="groups has 3 labels for 4 rows"):
        stratified_split([0, 1, 0, 1], groups=[1, 2, 3])
    with pytest.raises(ValueError, match="leaves one side empty"):
        stratified_split([0, 1, 0, 1], share=0.1)


# --- paired_interval -------------------------------------------------------------------------

def test_paired_interval_matches_scipy_ttest_rel():
    rng = np.random.default_rng(0)
    a = 0.8 + rng.normal(0, 0.01, 15)
    b = a - 0.004 + rng.normal(0, 0.003, 15)
    mine = paired_interval(a, b, conf_level=0.9)
    ci = stats.ttest_rel(a, b).confidence_interval(0.9)
    assert mine["lower"] == pytest.approx(ci.low, rel=1e-10)
    assert mine["upper"] == pytest.approx(ci.high, rel=1e-10)
    assert mine["diff"] == pytest.approx(np.mean(a - b)) and mine["n"] == 15
    # pairing matters: the unpaired (Welch) interval of the same runs is much wider, and
    # it contains 0 where the paired one does not
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
    assert welch.high - welch.low > 3 * (mine["upper"] - mine["lower"])
    assert mine["lower"] > 0 > welch.low


def test_paired_interval_over_clusters_matches_statsmodels():
    rng = np.random.default_rng(1)
    sims = np.repeat([3, 4, 5], 5)
    b = rng.normal(0.79, 0.02, 15)
    # the difference depends on the simulation (+0.02, -0.01, +0.015) plus a little seed noise
    a = b + np.repeat([0.02, -0.01, 0.015], 5) + rng.normal(0, 0.002, 15)
    mine = paired_interval(a, b, groups=sims)
    means = pd.Series(a - b).groupby(sims).mean().to_numpy()
    low, high = DescrStatsW(means).tconfint_mean(alpha=0.05)
    assert (mine["lower"], mine["upper"]) == pytest.approx((low, high), rel=1e-10)
    assert mine["n"] == 3 and mine["share_positive"] == pytest.approx(np.mean(a > b))
    naive = paired_interval(a, b)  # 15 runs taken as independent: narrower, wrongly
    assert naive["upper"] - naive["lower"] < 0.5 * (mine["upper"] - mine["lower"])
    assert naive["lower"] > 0 > mine["lower"]  # 15 "replicates" would claim a win


def test_paired_interval_errors():
    with pytest.raises(ValueError, match="same length"):
        paired_interval([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2 groups"):
        paired_interval([1, 2], [0, 1], groups=["s", "s"])
    with pytest.raises(ValueError, match=r"missing values in runs \[1\]"):
        paired_interval([1, np.nan], [0, 1])


# --- summarize_runs --------------------------------------------------------------------------

def _runs():
    rows = []
    auc = {"A": [[0.80, 0.82], [0.70, 0.74]], "B": [[0.78, 0.80], [0.71, 0.71]]}
    for model, by_sim in auc.items():
        for sim, values in zip((1, 2), by_sim, strict=True):
            for seed, v in enumerate(values):
                rows.append({"model": model, "simulation": sim, "seed": seed, "roc_auc": v})
    for sim, v in ((1, 0.9), (2, 0.85)):
        for seed in (0, 1):
            rows.append({"model": "oracle", "simulation": sim, "seed": seed, "roc_auc": v})
    return pd.DataFrame(rows)


def test_summarize_runs_hand_table():
    table = summarize_runs(_runs(), reference="B")
    assert list(table.index) == ["oracle", "A", "B"]
    assert table.loc["A", "roc_auc_mean"] == pytest.approx(0.765)
    assert table.loc["A", "roc_auc_sd"] == pytest.approx(np.std([0.8, 0.82, 0.7, 0.74], ddof=1))
    # A - B per run: 0.02, 0.02, -0.01, 0.03; simulation means 0.02 and 0.01
    assert table.loc["A", "roc_auc_diff"] == pytest.approx(0.015)
    half = stats.t.ppf(0.975, 1) * np.std([0.02, 0.01], ddof=1) / np.sqrt(2)
    assert table.loc["A", "roc_auc_diff_upper"] == pytest.approx(0.015 + half)
    assert table.loc["A", "roc_auc_wins"] == 0.75
    assert table.loc["B", "roc_auc_diff"] == 0 and np.isnan(table.loc["B", "roc_auc_diff_lower"])
    assert table.attrs["reference"] == "B" and (table["n_runs"] == 4).all()
    assert summarize_runs(_runs()).attrs["reference"] == "oracle"  # default: the best mean


def test_summarize_runs_errors():
    runs = _runs()
    with pytest.raises(ValueError, match=r"models \['A'\] lack some runs"):
        summarize_runs(runs.drop(index=0))
    with pytest.raises(ValueError, match="repeat a"):
        summarize_runs(pd.concat([runs, runs.iloc[[0]]]))
    with pytest.raises(ValueError, match=r"no column\(s\) \['pr_auc'\]"):
        summarize_runs(runs, metrics=["pr_auc"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        one = summarize_runs(runs[runs["simulation"] == 1])
    assert "fewer than 2 clusters" in str(caught[0].message)
    assert one["roc_auc_diff_lower"].isna().all()


# --- rolling_origin --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_sim():
    from retainkit.simulate import simulate_app

    return simulate_app("social", n_users=800, days=100, seed=2)


def test_rolling_origin_stacks_the_earlier_snapshots(small_sim):
    from retainkit.features import make_snapshot

    sim = small_sim
    cutoffs = [sim.end - pd.Timedelta(f"{d}D") for d in (63, 42, 21)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folds = rolling_origin(sim.events, sim.users, cutoffs=cutoffs, horizon="21D",
                               as_of=sim.end, active_within="14D")
        first = make_snapshot(sim.events, sim.users, cutoff=cutoffs[0], horizon="21D",
                              as_of=sim.end, active_within="14D",
                              event_types=folds[1].test.info["event_types"])
    assert len(folds) == 2
    train, groups, test = folds[1]
    assert train.info["cutoffs"] == cutoffs[:2] and test.info["cutoff"] == cutoffs[2]
    n0 = (train.info["row_cutoff"] == cutoffs[0]).sum()
    pd.testing.assert_frame_equal(train.X.iloc[:n0], first.X)
    pd.testing.assert_series_equal(train.y.iloc[:n0], first.y)
    assert list(train.X.columns) == list(test.X.columns)
    np.testing.assert_array_equal(groups, train.X.index.to_numpy())
    assert pd.Index(groups).has_duplicates  # users with a snapshot at both training cutoffs
    fit, val = stratified_split(train.y, share=0.2, groups=groups, seed=0)
    assert not set(groups[fit]) & set(groups[val])  # grouping by user never leaks
    # every training label window ends by the test cutoff
    assert max(train.info["cutoffs"]) + train.info["horizon"] <= test.info["cutoff"]


def test_rolling_origin_refuses_overlapping_cutoffs(small_sim):
    sim = small_sim
    with pytest.raises(ValueError, match="less than horizon=28D apart"):
        rolling_origin(sim.events, sim.users, horizon="28D",
                       cutoffs=[sim.end - pd.Timedelta("50D"), sim.end - pd.Timedelta("28D")])
    with pytest.raises(ValueError, match="at least min_train \\+ 1 = 3 cutoffs"):
        rolling_origin(sim.events, sim.users, min_train=2, horizon="7D",
                       cutoffs=[sim.end - pd.Timedelta("50D"), sim.end - pd.Timedelta("28D")])
