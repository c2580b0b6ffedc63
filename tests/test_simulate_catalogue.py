"""Tests for the simulator's content catalogue (issue 14): items, feeds, policies, the trap.

The opt-in promise is checked against fingerprints of the code before the catalogue existed
(REFERENCE below: computed on commit 253f01c, before any change, exact on counts, ids and
event sequences, 1e-9 relative on float sums). The feed and engagement formulas are checked
against hand-computed cases and against the frequencies in the simulated log; the policy
feedback against independent NumPy code; the experiment invariants directly; and the
engagement trap over several seeds, from the truth.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from retainkit.simulate import (
    POLICIES,
    PRESETS,
    TREATMENTS,
    Catalogue,
    RecommendationPolicy,
    simulate_app,
)
from retainkit.simulate import _catalogue as sc

DAY = pd.Timedelta(days=1)
BANDS = {  # design.md §4, as in test_simulate.py
    "social": {"D1": (0.30, 0.48), "D7": (0.15, 0.28), "D30": (0.08, 0.18), "dau_mau": (0.30, 0.55)},
    "game": {"D1": (0.25, 0.42), "D7": (0.10, 0.18), "D30": (0.03, 0.10), "dau_mau": (0.12, 0.30)},
    "shop": {"D1": (0.20, 0.40), "D7": (0.08, 0.22), "D30": (0.04, 0.12), "dau_mau": (0.05, 0.18)},
}

REFERENCE = {'game': {'base_rate_sum': 620.0192616236084,
          'churned': 487,
          'event_counts': {'level_complete': 12066,
                           'notification_open': 147,
                           'purchase': 916,
                           'session_start': 4397},
          'ids_events': '06c4764fbd96fbc862a2b771157ac2ef',
          'lifetime_sum': 5115.462495734264,
          'n_events': 17526,
          'push_enabled': 356,
          'quality_sum': 60.31349846337845,
          'signup_us_sum': 1278248683140512.0,
          'ts_us_sum': 5.264919442254526e+16,
          'users_cat_hash': 'e765ded227706de8',
          'users_float_sums': {'true_attention_budget': 21.931966818878543,
                               'true_engagement_frailty': 603.8440413975395,
                               'true_hazard_multiplier': 800.3392957300828,
                               'true_interest': -58.79415674627437,
                               'true_notification_sensitivity': 233.63469838559382}},
 'game/onboarding': {'assign_hash': '12546976f5025dfa5e4819b29e740528',
                     'churn_t_sum_days': 4863.631493481111,
                     'ids_events': 'd115ecf1d154ab82ada0ff062886edf1',
                     'n_events': 17926,
                     'p_control_sum': 46.55907037927942,
                     'takes_up': 197,
                     'true_effect_sum': 6.960605558197275,
                     'ts_us_sum': 5.373148744523776e+16},
 'game/push_cadence': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                       'churn_t_sum_days': 2869.145979391354,
                       'ids_events': '4ef67cbeb108a4bdd06bdc1827ae858c',
                       'n_events': 17721,
                       'p_control_sum': 20.840193298960642,
                       'takes_up': 40,
                       'true_effect_sum': -0.6236994675094201,
                       'ts_us_sum': 5.307273228603802e+16},
 'game/retention_offer': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                          'churn_t_sum_days': 2806.0812107643524,
                          'ids_events': '53bbac5bc38eae2e1e4954530e777504',
                          'n_events': 17872,
                          'p_control_sum': 22.769519688210274,
                          'takes_up': 35,
                          'true_effect_sum': 4.715047866204503,
                          'ts_us_sum': 5.377126893611418e+16},
 'shop': {'base_rate_sum': 300.97214326998153,
          'churned': 273,
          'event_counts': {'add_to_cart': 1424,
                           'notification_open': 71,
                           'product_view': 7741,
                           'purchase': 463,
                           'session_start': 3243},
          'ids_events': '5316842f8f6be13d2d78696a90060545',
          'lifetime_sum': 12851.358996601914,
          'n_events': 12942,
          'push_enabled': 356,
          'quality_sum': 60.31349846337845,
          'signup_us_sum': 1278248683140512.0,
          'ts_us_sum': 3.675167917564336e+16,
          'users_cat_hash': 'e765ded227706de8',
          'users_float_sums': {'true_attention_budget': 21.931966818878543,
                               'true_engagement_frailty': 588.1730421743846,
                               'true_hazard_multiplier': 811.8256983067995,
                               'true_interest': -58.79415674627437,
                               'true_notification_sensitivity': 233.63469838559382}},
 'shop/onboarding': {'assign_hash': '12546976f5025dfa5e4819b29e740528',
                     'churn_t_sum_days': 2734.4572946164817,
                     'ids_events': 'df391d6bdb226e55e006e0d9d055b27f',
                     'n_events': 13264,
                     'p_control_sum': 77.9413554606689,
                     'takes_up': 197,
                     'true_effect_sum': 4.669859964201207,
                     'ts_us_sum': 3.770648113875354e+16},
 'shop/push_cadence': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                       'churn_t_sum_days': 2826.6606820759953,
                       'ids_events': '566d692a0f25a046df78ed41e35ee679',
                       'n_events': 13242,
                       'p_control_sum': 67.10818244127309,
                       'takes_up': 96,
                       'true_effect_sum': -0.6728769879344375,
                       'ts_us_sum': 3.762304283919155e+16},
 'shop/retention_offer': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                          'churn_t_sum_days': 2635.6937307282287,
                          'ids_events': '34e67b5ffc602a84589722f5a2733772',
                          'n_events': 13050,
                          'p_control_sum': 65.31717982250416,
                          'takes_up': 78,
                          'true_effect_sum': 0.7097065333549166,
                          'ts_us_sum': 3.695795878370509e+16},
 'social': {'base_rate_sum': 1101.4659939094267,
            'churned': 459,
            'event_counts': {'like': 9821,
                             'notification_open': 382,
                             'post': 2980,
                             'session_start': 12407,
                             'share': 1917,
                             'view': 34502},
            'ids_events': '83d953cc72060a97af1fc7ca9ecd69fb',
            'lifetime_sum': 5858.956691806765,
            'n_events': 62009,
            'push_enabled': 356,
            'quality_sum': 60.31349846337845,
            'signup_us_sum': 1278248683140512.0,
            'ts_us_sum': 1.9849666116883008e+17,
            'users_cat_hash': 'e765ded227706de8',
            'users_float_sums': {'true_attention_budget': 21.931966818878543,
                                 'true_engagement_frailty': 594.4218036142292,
                                 'true_hazard_multiplier': 828.2764827042625,
                                 'true_interest': -58.79415674627437,
                                 'true_notification_sensitivity': 233.63469838559382}},
 'social/onboarding': {'assign_hash': '12546976f5025dfa5e4819b29e740528',
                       'churn_t_sum_days': 4339.050436104167,
                       'ids_events': '8a429cd9c31d4445791f225b0d065e0e',
                       'n_events': 62799,
                       'p_control_sum': 59.22157819918348,
                       'takes_up': 197,
                       'true_effect_sum': 9.33288608819445,
                       'ts_us_sum': 2.007320332848169e+17},
 'social/push_cadence': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                         'churn_t_sum_days': 3028.005225337558,
                         'ids_events': 'a7673ea8afa584bea0cd1f2edf508360',
                         'n_events': 62339,
                         'p_control_sum': 34.86336887819805,
                         'takes_up': 51,
                         'true_effect_sum': -1.0594605811485565,
                         'ts_us_sum': 1.9906123732554547e+17},
 'social/retention_offer': {'assign_hash': '9ce6eb1c7ee05ac426afabe55dc17f8c',
                            'churn_t_sum_days': 2861.8905594899306,
                            'ids_events': '05a8157fa026f3c64bdeb0d0602e9f61',
                            'n_events': 64110,
                            'p_control_sum': 38.041474505397716,
                            'takes_up': 46,
                            'true_effect_sum': 5.596182617903665,
                            'ts_us_sum': 2.0520009231509094e+17}}  # fmt: skip


def _h(arr) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()[:16]


def _codes(series) -> np.ndarray:
    return pd.factorize(series, sort=True)[0].astype(np.int64)


def fingerprint_simulation(sim) -> dict:
    ev, users = sim.events, sim.users
    start_us = sim.start.value // 1000
    floats = ["true_interest", "true_attention_budget", "true_notification_sensitivity",
              "true_engagement_frailty", "true_hazard_multiplier"]  # fmt: skip
    return {
        "n_events": len(ev),
        "ids_events": _h(ev["user_id"].to_numpy(np.int64)) + _h(_codes(ev["event"])),
        "event_counts": {k: int(v) for k, v in ev["event"].value_counts().sort_index().items()},
        "ts_us_sum": float((ev["timestamp"].array.asi8 // 1000 - start_us).astype(float).sum()),
        "users_float_sums": {c: float(users[c].sum()) for c in floats},
        "users_cat_hash": _h(np.concatenate([_codes(users[c]) for c in ["channel", "device", "region"]])),
        "push_enabled": int(users["true_push_enabled"].sum()),
        "signup_us_sum": float((users["signup_time"].array.asi8 // 1000 - start_us).astype(float).sum()),
        "churned": int(sim.truth["churned"].sum()),
        "lifetime_sum": float(sim.truth["lifetime_days"].sum()),
        "base_rate_sum": float(sim.truth["base_visit_rate"].sum()),
        "quality_sum": float(sim.calendar["content_quality"].sum()),
    }  # fmt: skip


def fingerprint_experiment(exp, sim) -> dict:
    ev, pot = exp.events, exp.potential
    return {
        "n_events": len(ev),
        "ids_events": _h(ev["user_id"].to_numpy(np.int64)) + _h(_codes(ev["event"])),
        "ts_us_sum": float((ev["timestamp"].array.asi8 // 1000).astype(float).sum()
                           - len(ev) * (sim.start.value // 1000)),
        "assign_hash": _h((exp.assignment == "treatment").to_numpy())
        + _h(exp.assignment.index.to_numpy(np.int64)),
        "true_effect_sum": float(pot["true_effect"].sum()),
        "p_control_sum": float(pot["p_active_control"].sum()),
        "takes_up": int(pot["takes_up"].sum()),
        "churn_t_sum_days": float(((pot["churn_time_treatment"] - sim.start) / DAY).fillna(-1).sum()),
    }  # fmt: skip


def assert_matches(got: dict, want: dict, where: str):
    for key, value in want.items():
        if isinstance(value, dict):
            assert_matches(got[key], value, f"{where}.{key}")
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9), (where, key)
        else:
            assert got[key] == value, (where, key)


# ---------------------------------------------------------------------------------------------
# opt-in: without a catalogue nothing changes; with one, visits and churn are the same
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_without_a_catalogue_every_preset_is_as_before(preset):
    sim = simulate_app(preset, n_users=600, days=60, seed=7)
    assert sim.items is None and sim.catalogue is None and list(sim.events.columns) == [
        "user_id", "timestamp", "event"]  # fmt: skip
    assert_matches(fingerprint_simulation(sim), REFERENCE[preset], preset)
    for name in TREATMENTS:
        exp = sim.run_experiment(name, start="2026-01-25", seed=3)
        assert_matches(fingerprint_experiment(exp, sim), REFERENCE[f"{preset}/{name}"], name)


def test_the_reference_check_can_fail():
    sim = simulate_app("social", n_users=600, days=60, seed=8)  # another seed: must not match
    with pytest.raises(AssertionError):
        assert_matches(fingerprint_simulation(sim), REFERENCE["social"], "social")


@pytest.fixture(scope="module")
def pair():
    plain = simulate_app("social", n_users=1500, days=90, seed=4)
    return plain, simulate_app("social", n_users=1500, days=90, seed=4, catalogue=True)


def test_a_catalogue_keeps_visits_churn_and_the_other_events(pair):
    plain, cat = pair
    pd.testing.assert_frame_equal(plain.users, cat.users)
    pd.testing.assert_frame_equal(plain.truth, cat.truth)
    pd.testing.assert_frame_equal(plain.calendar, cat.calendar)
    for name in ["session_start", "notification_open", "post"]:  # not replaced by the feed
        a = plain.events[plain.events["event"] == name].reset_index(drop=True)
        b = cat.events[cat.events["event"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b[["user_id", "timestamp", "event"]])
        assert b["item_id"].isna().all()
    feed = cat.events[cat.events["event"].isin(sc.FEED_EVENTS)]
    assert feed["item_id"].notna().all() and feed["item_id"].between(1, 300).all()
    # one impression per feed slot: feed_size per session, at the session start
    starts = cat.events[cat.events["event"] == "session_start"]
    imp = cat.events[cat.events["event"] == "impression"]
    assert len(imp) <= 10 * len(starts)  # a churn at the very start can cut a few
    assert len(imp) >= 10 * len(starts) - 10
    key = imp["user_id"].astype(str) + imp["timestamp"].astype(str)
    assert key.isin(starts["user_id"].astype(str) + starts["timestamp"].astype(str)).all()
    assert not imp.duplicated(["user_id", "timestamp", "item_id"]).any()  # distinct items


def test_catalogue_determinism_and_schema(pair):
    _, cat = pair
    again = simulate_app("social", n_users=1500, days=90, seed=4, catalogue=Catalogue())
    pd.testing.assert_frame_equal(cat.events, again.events)
    assert str(cat.events["item_id"].dtype) == "Int64"
    assert list(cat.items.columns) == ["item_id", "topic", "popularity", "true_quality",
                                       "true_clickbait"]  # fmt: skip
    assert cat.items["popularity"].sum() == pytest.approx(1.0)
    top = cat.items["popularity"].sort_values(ascending=False)
    assert top.iloc[:30].sum() > 0.3  # skewed: the top 10 % of items hold over 30 % of weight
    assert cat.affinity().shape == (1500, 300) and cat.topic_interests().shape == (1500, 8)
    corr = cat.topic_interests().corrwith(cat.users.set_index("user_id")["true_interest"])
    assert corr.between(0.4, 0.6).all()  # interest_loading 0.5
    q, c = cat.items["true_quality"], cat.items["true_clickbait"]
    assert -0.45 < np.corrcoef(q, c)[0, 1] < -0.15
    for method in (cat.affinity, cat.topic_interests, cat.view_probability):
        with pytest.raises(ValueError, match="catalogue=True"):
            getattr(pair[0], method.__name__)()


def _active_days(sim):
    day = (sim.events["timestamp"] - sim.start) // DAY
    return pd.DataFrame({"user_id": sim.events["user_id"], "day": day}).drop_duplicates()


def _n_day(sim, act, k):
    n_days = (sim.end - sim.start) // DAY
    signup_day = pd.Series(((sim.users["signup_time"] - sim.start) // DAY).to_numpy(),
                           index=sim.users["user_id"].to_numpy())  # fmt: skip
    eligible = signup_day[signup_day + k <= n_days - 1]
    hit = act[act["day"].to_numpy() == signup_day.reindex(act["user_id"]).to_numpy() + k]
    return float(eligible.index.isin(hit["user_id"]).mean())


def _dau_mau(sim, act):
    n_days = (sim.end - sim.start) // DAY
    last = act[act["day"] >= n_days - 30]
    dau = last.groupby("day").size().reindex(range(n_days - 30, n_days), fill_value=0).mean()
    return dau / last["user_id"].nunique()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_with_a_catalogue_the_presets_stay_in_their_bands(preset):
    sim = simulate_app(preset, n_users=5000, days=120, seed=0, catalogue=True)
    act = _active_days(sim)
    measured = {f"D{k}": _n_day(sim, act, k) for k in (1, 7, 30)} | {"dau_mau": _dau_mau(sim, act)}
    for name, (low, high) in BANDS[preset].items():
        assert low <= measured[name] <= high, (preset, name, measured)


# ---------------------------------------------------------------------------------------------
# feeds and engagement formulas
# ---------------------------------------------------------------------------------------------


def test_inclusion_probabilities_hand_cases():
    p = sc.inclusion_probabilities(np.log([[4.0, 1, 1, 1, 1]]), 2, 1.0)
    np.testing.assert_allclose(p, [[1.0, 0.25, 0.25, 0.25, 0.25]])
    p = sc.inclusion_probabilities(np.log([[9.0, 1, 1, 1]]), 2, 1.0)  # capped at 1
    np.testing.assert_allclose(p, [[1.0, 1 / 3, 1 / 3, 1 / 3]])
    p = sc.inclusion_probabilities(np.log([[2.0, 1, 1, 1, 1]]), 2, 1.0)  # not capped
    np.testing.assert_allclose(p, [[2 / 6 * 2, 2 / 6, 2 / 6, 2 / 6, 2 / 6]])
    p = sc.inclusion_probabilities([[0.3, 0.9, 0.1, 0.9]], 2, 0.0)  # top-k, tie to lower id
    np.testing.assert_array_equal(p, [[0, 1, 0, 1]])
    p = sc.inclusion_probabilities([[0.3, 0.9, -np.inf, 5.0]], 2, np.inf)
    np.testing.assert_allclose(p, [[2 / 3, 2 / 3, 0, 2 / 3]])
    with pytest.raises(ValueError, match="at least 2 finite"):
        sc.inclusion_probabilities([[0.0, -np.inf, -np.inf]], 2, 1.0)


def test_systematic_feeds_have_exact_inclusion_and_no_repeats():
    rng = np.random.default_rng(0)
    p = sc.inclusion_probabilities(rng.normal(size=(3, 40)) * 1.5, 6, 0.7)
    row = np.repeat(np.arange(3), 20_000)
    feeds = sc.systematic_feeds(p, row, 6, rng)
    assert all(len(set(f)) == 6 for f in feeds[:: 997])
    for r in range(3):
        freq = np.bincount(feeds[row == r].ravel(), minlength=40) / 20_000
        np.testing.assert_allclose(freq, p[r], atol=4 * np.sqrt(0.25 / 20_000))


def test_engagement_probabilities_match_the_formula_and_the_log(pair):
    _, sim = pair
    spec, items = sim.catalogue, sim.items.set_index("item_id")
    # a hand case: user 7, item 11
    x = sim.topic_interests().loc[7].to_numpy()
    y = sim._world.topics[10]
    a = float(x @ y)
    assert sim.affinity().loc[7, 11] == pytest.approx(a)
    q, c = items.loc[11, "true_quality"], items.loc[11, "true_clickbait"]
    hand = 1 / (1 + np.exp(-(-1.8 + 0.8 * a + 1.0 * c + 0.2 * q)))
    assert spec.view_intercept == -1.8 and spec.view_match == 0.8
    assert sim.view_probability().loc[7, 11] == pytest.approx(hand)
    # the log: views per impression, likes per view and shares per like against the formula
    ev = sim.events
    aff = sim.affinity().to_numpy()
    uid, item = ev["user_id"].to_numpy() - 1, ev["item_id"].to_numpy(np.int64, na_value=0) - 1
    kind = ev["event"].to_numpy()
    qual, bait = sim._world.quality, sim._world.clickbait
    imp, view, like, share = (kind == k for k in sc.FEED_EVENTS)
    a_imp = aff[uid[imp], item[imp]]
    p_view = expit(-1.8 + 0.8 * a_imp + bait[item[imp]] + 0.2 * qual[item[imp]])
    a_view = aff[uid[view], item[view]]
    p_like = expit(-1.2 + 0.5 * a_view + 0.8 * qual[item[view]])
    p_share = expit(-1.8 + 0.6 * qual[item[like]])
    for expected, observed in [(p_view, view.sum()), (p_like, like.sum()), (p_share, share.sum())]:
        sd = np.sqrt((expected * (1 - expected)).sum())
        assert abs(observed - expected.sum()) < 4 * sd, (observed, expected.sum())
    # impressions per item against the default inclusion probabilities
    sessions = (kind == "session_start").sum()
    counts = np.bincount(item[imp], minlength=300)
    expected = sim._default_feed[0] * sessions
    assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue > 1e-4


# ---------------------------------------------------------------------------------------------
# policies as treatments
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def policy_sim():
    return simulate_app("social", n_users=2500, days=90, seed=11, catalogue=True)


def test_policy_feedback_matches_independent_code(policy_sim):
    sim = policy_sim
    eff = sim.policy_effects("affinity")
    aff = sim.affinity().to_numpy()
    bait, qual = sim.items["true_clickbait"].to_numpy(), sim.items["true_quality"].to_numpy()
    view = expit(-1.8 + 0.8 * aff + bait + 0.2 * qual)
    top = np.argsort(-aff, axis=1, kind="stable")[:, :10]
    p = np.zeros_like(aff)
    np.put_along_axis(p, top, 1.0, axis=1)
    w = np.log(sim.items["popularity"].to_numpy())
    p0 = sc.inclusion_probabilities(w[None, :], 10, 1.0)
    pull, sat = ((p * view) @ bait) / 10, (p * view * (aff + qual)).sum(axis=1) / 10
    pull0, sat0 = ((p0 * view) @ bait) / 10, (p0 * view * (aff + qual)).sum(axis=1) / 10
    np.testing.assert_allclose(eff["ctr"], (p * view).sum(axis=1) / 10)
    np.testing.assert_allclose(eff["hazard_ratio"], np.exp(0.25 * (pull - pull0) - 0.35 * (sat - sat0)))
    np.testing.assert_allclose(eff["visit_rate_ratio"], np.exp(0.3 * (pull - pull0) + 0.1 * (sat - sat0)))
    # a trained model plugs in: the same scores as a DataFrame or a function give the same
    as_frame = RecommendationPolicy("frame", scores=sim.affinity())
    as_function = RecommendationPolicy("f", scores=lambda ids: aff[ids - 1])
    for policy in (as_frame, as_function):
        pd.testing.assert_frame_equal(sim.policy_effects(policy), eff)
    default = sim.policy_effects("popularity")
    np.testing.assert_allclose(default[["visit_rate_ratio", "hazard_ratio"]], 1.0)


def test_experiment_with_a_policy_keeps_the_invariants(policy_sim):
    sim = policy_sim
    exp = sim.run_experiment("clickbait", start="2026-02-09", seed=2)
    ev, arm = exp.events, exp.assignment
    entry = exp.potential["entry_time"]
    # control = the plain simulation (the default feed)
    control = arm.index[arm == "control"]
    pd.testing.assert_frame_equal(ev[ev["user_id"].isin(control)].reset_index(drop=True),
                                  sim.events[sim.events["user_id"].isin(control)].reset_index(drop=True))  # fmt: skip
    # history before entry is the same for everyone; other users untouched
    before = ev["timestamp"] < entry.reindex(ev["user_id"]).fillna(sim.end).to_numpy()
    plain_before = sim.events["timestamp"] < entry.reindex(sim.events["user_id"]).fillna(sim.end).to_numpy()
    pd.testing.assert_frame_equal(ev[before].reset_index(drop=True),
                                  sim.events[plain_before].reset_index(drop=True))  # fmt: skip
    # the log holds the treated arm: during the policy, treated feeds are the top-10 clickbait
    treated = arm.index[(arm == "treatment") & exp.potential["alive_at_entry"]]
    t_ev = ev[ev["user_id"].isin(treated) & ~before]
    during = t_ev["timestamp"] < entry.reindex(t_ev["user_id"]).to_numpy() + 28 * DAY
    imp = t_ev[during & (t_ev["event"] == "impression")]
    top10 = set(sim.items.nlargest(10, "true_clickbait")["item_id"])
    assert len(imp) > 1000 and set(imp["item_id"]) == top10
    after = t_ev[~during & (t_ev["event"] == "impression")]
    assert len(after) == 0 or len(set(after["item_id"]) - top10) > 0  # default feed again
    assert (exp.potential.loc[treated, "hazard_ratio"] > 1).mean() > 0.95
    assert (exp.potential["churn_time_treatment"].fillna(sim.end)
            <= exp.potential["churn_time_control"].fillna(sim.end)).all()  # hazard up: earlier
    # the default policy as a treatment: no effect at all
    aa = sim.run_experiment("popularity", start="2026-02-09", seed=2)
    assert (aa.potential["true_effect"] == 0).all()
    pd.testing.assert_series_equal(aa.potential["churn_time_treatment"],
                                   aa.potential["churn_time_control"], check_names=False)  # fmt: skip


def test_the_engagement_trap_exists_by_construction():
    """A click-ranking policy gets more engagements and lower true retention than one aimed
    at the long run, on every one of three seeds (same users treated in both experiments)."""
    rows = []
    for seed in range(3):
        sim = simulate_app("social", n_users=2000, days=90, seed=seed, catalogue=True)
        for name in ("clicks", "clickbait", "long_term", "affinity"):
            exp = sim.run_experiment(name, start="2026-02-09", seed=seed)
            ev, arm = exp.events, exp.assignment
            treated = arm.index[(arm == "treatment") & exp.potential["alive_at_entry"]]
            entry = exp.potential["entry_time"].reindex(ev["user_id"]).to_numpy()
            inside = (ev["timestamp"] >= entry) & (ev["timestamp"] < entry + 28 * DAY)
            views = int((inside & ev["user_id"].isin(treated) & (ev["event"] == "view")).sum())
            rmst = exp.true_rmst_uplift("35D")
            rows.append({"seed": seed, "policy": name, "views": views / len(treated),
                         "p_active": exp.potential.loc[treated, "p_active_treatment"].mean(),
                         "rmst": rmst.per_user.loc[treated, "rmst_treatment"].mean()})  # fmt: skip
    table = pd.DataFrame(rows).pivot(index="seed", columns="policy")
    for click in ("clicks", "clickbait"):
        for long in ("long_term", "affinity"):
            assert (table["views", click] > 1.2 * table["views", long]).all(), table
            assert (table["p_active", click] < table["p_active", long] - 0.03).all(), table
            assert (table["rmst", click] < table["rmst", long]).all(), table


def test_policy_errors_name_the_problem(pair, policy_sim):
    plain, _ = pair
    with pytest.raises(ValueError, match="needs a simulation with a content catalogue"):
        plain.run_experiment(POLICIES["clicks"], start="2026-02-01")
    with pytest.raises(ValueError, match=r"shape \(2500, 300\)"):
        policy_sim.policy_effects(RecommendationPolicy("bad", scores=np.zeros((3, 300))))
    scores = policy_sim.affinity().iloc[:100]
    with pytest.raises(ValueError, match="no scores for 2400 user_ids, e.g. \\[101, 102"):
        policy_sim.policy_effects(RecommendationPolicy("part", scores=scores))
    eff = policy_sim.policy_effects(RecommendationPolicy("part", scores=scores, missing="default"))
    assert (eff["hazard_ratio"].iloc[100:] == 1).all()
    with pytest.raises(ValueError, match="temperature must be >= 0.*window_days"):
        RecommendationPolicy("x", temperature=-1, window_days=(0, 3))
    with pytest.raises(ValueError, match="feed_size \\(20\\) must not exceed n_items \\(10\\)"):
        Catalogue(n_items=10, feed_size=20)
    with pytest.raises(ValueError, match="unknown field"):
        simulate_app("social", n_users=10, days=5, catalogue={"n_item": 3})
