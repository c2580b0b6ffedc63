"""The discrete-time survival network trained with staggered follow-up (notebook 06).

Staggered follow-up: users watched for 7, 14 or 21 days, so censoring falls inside the
network's intervals (issue 15 item 9). The network must then recover the true survival curve,
and the IPCW weights of its Brier score are no longer all 1.
"""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from retainkit import evaluation as ev
from retainkit import set_seed
from retainkit.models import (
    build_discrete_hazard_model,
    discrete_hazard_targets,
    fit_model,
    predict_survival,
)

CUTS = np.arange(0, 22.0)  # 21 daily intervals, as in notebook 06


def _staggered(n=3000, seed=0):
    """Exponential lifetimes with a covariate, follow-up of 7, 14 or 21 days (a third each)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    rate = 0.04 * np.exp(0.7 * X["x1"].to_numpy())  # per day
    churn = rng.exponential(1 / rate)
    follow_up = rng.choice([7.0, 14.0, 21.0], size=n)
    duration, observed = np.minimum(churn, follow_up), churn <= follow_up
    return X, rate, duration, observed


def test_targets_put_staggered_censoring_inside_the_intervals():
    # Censored at 7 and 14 days: at risk in intervals 1..7 and 1..14 only (midpoint rule: a
    # censoring at the end of an interval counts as surviving it); a churn at 9.5 falls in (9, 10].
    targets = discrete_hazard_targets([7.0, 14.0, 21.0, 9.5], [False, False, False, True], CUTS)
    survived, event = targets[:, :21], targets[:, 21:]
    at_risk = survived + event
    assert at_risk.sum(axis=1).tolist() == [7, 14, 21, 10]
    assert event.sum(axis=1).tolist() == [0, 0, 0, 1] and event[3, 9] == 1
    assert (at_risk[0, 7:] == 0).all() and (at_risk[1, 14:] == 0).all()


@pytest.fixture(scope="module")
def trained():
    X, rate, duration, observed = _staggered()
    set_seed(0)
    model = build_discrete_hazard_model(X, CUTS, hidden=(16,), dropout=0.0, learning_rate=1e-2)
    fit_model(model, X, discrete_hazard_targets(duration, observed, CUTS), epochs=30,
              batch_size=256, seed=0)
    return X, rate, duration, observed, predict_survival(model, X, CUTS)


def test_network_with_staggered_follow_up_recovers_the_true_survival(trained):
    X, rate, duration, observed, surv = trained
    times = CUTS[1:]
    assert ((~observed) & (duration < 21)).mean() > 0.4  # most censoring is inside the range
    truth = np.exp(-rate[:, None] * times[None, :]).mean(axis=0)  # population S(t)
    gap = np.abs(surv.mean().to_numpy() - truth)
    print("max |mean S - true S| =", gap.max().round(4))
    assert gap.max() < 0.03, gap
    km = KaplanMeierFitter().fit(duration, observed).survival_function_at_times(times)
    assert np.abs(surv.mean().to_numpy() - km.to_numpy()).max() < 0.03
    # per user: S(14) follows the true exp(-14 * rate) closely
    assert np.corrcoef(surv[14.0], np.exp(-14 * rate))[0, 1] > 0.95


def test_ignoring_the_censoring_would_fail_the_same_check():
    # The check above can fail: counting censored users as churned at their censoring time
    # (forgetting that follow-up ended) pulls S(t) far below the truth.
    X, rate, duration, observed = _staggered()
    naive = discrete_hazard_targets(duration, np.ones(len(duration), bool), CUTS)
    set_seed(0)
    model = build_discrete_hazard_model(X, CUTS, hidden=(16,), dropout=0.0, learning_rate=1e-2)
    fit_model(model, X, naive, epochs=30, batch_size=256, seed=0)
    surv = predict_survival(model, X, CUTS)
    truth = np.exp(-rate[:, None] * CUTS[1:][None, :]).mean(axis=0)
    assert np.abs(surv.mean().to_numpy() - truth).max() > 0.2


def test_ipcw_weights_are_not_all_one_with_staggered_follow_up(trained):
    X, rate, duration, observed, surv = trained
    times = CUTS[1:-1]
    weights = ev.ipcw_weights(duration, observed, times)
    known = weights.to_numpy() > 0
    assert (weights.to_numpy()[known] > 1 + 1e-9).mean() > 0.3  # many weights above 1
    # The weights are 1/G from the Kaplan-Meier curve of the censoring times (lifelines).
    g = KaplanMeierFitter().fit(duration, event_observed=~observed)
    g_at = g.survival_function_at_times(times).to_numpy()
    active = duration[:, None] > times[None, :]
    np.testing.assert_allclose(weights.to_numpy()[active], np.broadcast_to(1 / g_at, active.shape)[active])
    # They average 1 over all users, and the Brier score is their weighted squared error.
    np.testing.assert_allclose(weights.mean().to_numpy(), 1.0, atol=1e-9)
    status = active.astype(float)
    expected = (weights.to_numpy() * (status - surv[times].to_numpy()) ** 2).mean(axis=0)
    got = ev.brier_score_curve(duration, observed, surv[times].to_numpy(), times)["brier"]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
