"""Tests for retainkit.simulate: schema, determinism, truth, realism bands, oracle calibration.

Retention and DAU/MAU are computed here with small independent code (not retainkit.retention),
the visit process is checked against its rate integrated independently, the churn model against
lifelines, and the oracle against simulated labels and against re-simulated futures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from retainkit.simulate import PRESETS, Simulation, simulate_app
from retainkit.simulate import _oracle as so
from retainkit.simulate import _process as sp

DAY = pd.Timedelta(days=1)

# design.md §4: classic N-day retention (calendar UTC days) and DAU/MAU bands.
BANDS = {
    "social": {"D1": (0.30, 0.48), "D7": (0.15, 0.28), "D30": (0.08, 0.18), "dau_mau": (0.30, 0.55)},
    "game": {"D1": (0.25, 0.42), "D7": (0.10, 0.18), "D30": (0.03, 0.10), "dau_mau": (0.12, 0.30)},
    "shop": {"D1": (0.20, 0.40), "D7": (0.08, 0.22), "D30": (0.04, 0.12), "dau_mau": (0.05, 0.18)},
}


@pytest.fixture(scope="module")
def sims() -> dict[str, Simulation]:
    return {preset: simulate_app(preset, n_users=5000, days=120, seed=0) for preset in PRESETS}


# ---------------------------------------------------------------------------------------------
# independent helpers
# ---------------------------------------------------------------------------------------------


def ns(times: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch of a tz-aware datetime Series (fast, no object arrays)."""
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def active_days(sim: Simulation) -> pd.DataFrame:
    """One row per (user, calendar UTC day index) with at least one event."""
    day = (sim.events["timestamp"] - sim.start) // DAY
    return pd.DataFrame({"user_id": sim.events["user_id"], "day": day}).drop_duplicates()


def n_day_retention(sim: Simulation, k: int, users: pd.DataFrame | None = None) -> float:
    """Share of users with an event on exactly calendar day k after their sign-up day, among
    users whose day k lies inside the window."""
    users = sim.users if users is None else users
    n_days = (sim.end - sim.start) // DAY
    signup_day = pd.Series(((users["signup_time"] - sim.start) // DAY).to_numpy(),
                           index=users["user_id"].to_numpy())  # fmt: skip
    eligible = signup_day[signup_day + k <= n_days - 1]
    act = active_days(sim)
    returned = act[act["day"].to_numpy() == signup_day.reindex(act["user_id"]).to_numpy() + k]
    return float(eligible.index.isin(returned["user_id"]).mean())


def dau_over_mau(sim: Simulation) -> float:
    act = active_days(sim)
    n_days = (sim.end - sim.start) // DAY
    last = act[act["day"] >= n_days - 30]
    return last.groupby("day").size().reindex(range(n_days - 30, n_days), fill_value=0).mean() / (
        last["user_id"].nunique()
    )


def labels(sim: Simulation, cutoff: pd.Timestamp, horizon: pd.Timedelta) -> pd.Series:
    """1 when the user (signed up at or before cutoff) has no event in (cutoff, cutoff+horizon]."""
    ev = sim.events
    in_window = ev[(ev["timestamp"] > cutoff) & (ev["timestamp"] <= cutoff + horizon)]
    users = sim.users.loc[sim.users["signup_time"] <= cutoff, "user_id"]
    return pd.Series((~users.isin(in_window["user_id"])).astype(int).to_numpy(), index=users)


# ---------------------------------------------------------------------------------------------
# schema, determinism, invariants
# ---------------------------------------------------------------------------------------------


def test_schema_and_dtypes(sims):
    sim = sims["social"]
    ev, users, truth = sim.events, sim.users, sim.truth
    assert list(ev.columns) == ["user_id", "timestamp", "event"]
    assert ev["user_id"].dtype == np.int64
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert ev["event"].map(type).eq(str).all()
    assert set(ev["event"]) == {"session_start", "notification_open", "view", "like", "share", "post"}
    assert ev.index.equals(pd.RangeIndex(len(ev)))
    key = ev["user_id"].to_numpy(), ns(ev["timestamp"])
    assert (np.diff(key[0]) > 0).sum() == users.shape[0] - 1
    assert ((np.diff(key[0]) > 0) | (np.diff(key[1]) >= 0)).all()  # sorted by user, then time

    assert users["user_id"].tolist() == list(range(1, 5001))
    assert users["user_id"].dtype == np.int64
    assert str(users["signup_time"].dtype) == "datetime64[ns, UTC]"
    assert set(users["channel"]) == {"organic", "paid_social", "referral", "search_ads"}
    assert set(users["device"]) == {"ios", "android", "web"}
    assert set(users["region"]) == {"na", "eu", "latam", "apac"}
    for col in ["true_interest", "true_attention_budget", "true_notification_sensitivity",
                "true_hazard_multiplier"]:  # fmt: skip
        assert users[col].dtype == np.float64
    assert users["true_notification_sensitivity"].between(0, 1).all()
    assert not users.loc[users["device"] == "web", "true_push_enabled"].any()

    assert truth.index.name == "user_id" and truth.index.equals(pd.Index(users["user_id"]))
    assert list(truth.columns) == ["churn_time", "churned", "lifetime_days", "hazard_multiplier",
                                   "base_visit_rate"]  # fmt: skip
    assert str(truth["churn_time"].dtype) == "datetime64[ns, UTC]"
    assert truth["churned"].dtype == bool
    assert truth["churn_time"].isna().equals(~truth["churned"])
    assert (truth.loc[truth["churned"], "churn_time"] <= sim.end).all()
    expected_life = (truth["churn_time"].fillna(sim.end) - users.set_index("user_id")["signup_time"]) / DAY
    np.testing.assert_allclose(truth["lifetime_days"], expected_life, atol=1e-9)
    np.testing.assert_array_equal(truth["hazard_multiplier"], users["true_hazard_multiplier"])
    assert sim.end - sim.start == pd.Timedelta(days=120)
    assert sim.start == pd.Timestamp("2026-01-05", tz="UTC") and sim.preset == "social"
    assert len(sim.calendar) == 120 and sim.calendar["pushes"].sum() == 120  # one push a day


def test_push_visits_pair_notification_open_with_session_start(sims):
    ev = sims["social"].events
    opens = ev[ev["event"] == "notification_open"]
    nxt = ev.shift(-1).loc[opens.index]
    assert (nxt["event"] == "session_start").all()
    assert (nxt["timestamp"] == opens["timestamp"]).all() and (nxt["user_id"] == opens["user_id"]).all()


def test_deterministic_per_seed():
    a = simulate_app("game", n_users=800, days=45, seed=7)
    b = simulate_app("game", n_users=800, days=45, seed=7)
    c = simulate_app("game", n_users=800, days=45, seed=8)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.users, b.users)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.events.equals(c.events)
    assert not a.users["signup_time"].equals(c.users["signup_time"])
    # the shared calendar comes from its own random stream: it does not depend on n_users
    d = simulate_app("game", n_users=50, days=45, seed=7)
    pd.testing.assert_frame_equal(a.calendar, d.calendar)


def check_invariants(sim: Simulation) -> None:
    ev = sim.events
    users = sim.users.set_index("user_id")
    signup = ns(users["signup_time"].reindex(ev["user_id"]))
    stop = ns(sim.truth["churn_time"].fillna(sim.end).reindex(ev["user_id"]))
    ts = ns(ev["timestamp"])
    assert (ts >= signup).all(), "event before sign-up"
    assert (ts < stop).all(), "event at or after churn / end"
    first = ev.groupby("user_id").head(1).set_index("user_id")
    assert first.index.equals(users.index), "every user has the sign-up visit"
    assert (first["timestamp"] == users["signup_time"]).all()
    assert (first["event"] == "session_start").all()


def test_no_events_before_signup_or_after_churn(sims):
    for sim in sims.values():
        check_invariants(sim)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    n_users=st.integers(1, 60),
    days=st.integers(1, 40),
    seed=st.integers(0, 2**32),
    shape=st.floats(0.2, 2.0),
)
def test_invariants_property(preset, n_users, days, seed, shape):
    sim = simulate_app(preset, n_users=n_users, days=days, seed=seed, weibull_shape=shape)
    check_invariants(sim)
    assert len(sim.users) == n_users
    assert (sim.users["signup_time"] < sim.end).all()


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="preset must be one of"):
        simulate_app("video")
    with pytest.raises(ValueError, match="unknown simulator parameter.*accepted names"):
        simulate_app("social", n_users=10, weibull_shap=0.5)
    with pytest.raises(ValueError, match="'weibull_shape' must be > 0"):
        simulate_app("social", n_users=10, weibull_shape=0)
    with pytest.raises(ValueError, match="n_users must be a positive integer"):
        simulate_app("social", n_users=0)
    with pytest.raises(ValueError, match="start must be a UTC midnight"):
        simulate_app("social", n_users=10, start="2026-01-05 10:00")
    with pytest.raises(ValueError, match="channel_mix"):
        simulate_app("social", n_users=10, channel_mix={"organic": 1.0})
    with pytest.raises(ValueError, match="event_mix"):
        simulate_app("social", n_users=10, event_mix={"session_start": 1.0})
    sim = simulate_app("shop", n_users=20, days=30, seed=0)
    assert sim.oracle_churn_probability(sim.start).empty  # nobody has signed up yet
    with pytest.raises(ValueError, match="cutoff must lie within"):
        sim.oracle_churn_probability("2025-01-01")
    with pytest.raises(ValueError, match="horizon must be positive"):
        sim.oracle_churn_probability(sim.start + 10 * DAY, horizon="-1D")


def test_overrides_are_applied_and_recorded():
    sim = simulate_app("social", n_users=300, days=30, seed=0, base_rate=1e-9, push_open_max=0.0)
    assert sim.params["base_rate"] == 1e-9 and PRESETS["social"]["base_rate"] != 1e-9
    # with no organic visits and no pushes, the only session is the sign-up visit
    assert (sim.events["event"] == "session_start").sum() == len(sim.users)
    assert (sim.events["event"] != "notification_open").all()


# ---------------------------------------------------------------------------------------------
# the generative model against independent computations
# ---------------------------------------------------------------------------------------------


def _stop_days(sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
    signup = ((sim.users["signup_time"] - sim.start) / DAY).to_numpy()
    return signup, signup + sim.truth["lifetime_days"].to_numpy()


def _boredom_integral(params, a0, a1):
    f, tau = params["boredom_floor"], params["boredom_timescale_days"]
    return f * (a1 - a0) + (1 - f) * tau * (np.exp(-a0 / tau) - np.exp(-a1 / tau))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_organic_visit_count_matches_integrated_rate(sims, preset):
    """Organic visits (not sign-up, not push) vs sum_i int b_i B(a) W(t) dt, hour by hour."""
    sim = sims[preset]
    params = sim.params
    signup, stop = _stop_days(sim)
    n = 1500  # the first 1500 users keep the hour-by-hour table small
    signup, stop = signup[:n], stop[:n]
    hourly = np.asarray(params["hourly_profile"], float)
    w_hour = (sim.calendar["weekday_factor"] * sim.calendar["content_quality"]).to_numpy()[:, None] * (
        hourly / hourly.mean()
    )[None, :]
    w_hour = w_hour.ravel()
    first_hour = np.floor(signup * 24).astype(int)
    n_hours = np.ceil(stop * 24).astype(int) - first_hour
    user = np.repeat(np.arange(signup.size), n_hours)
    hour = first_hour[user] + np.arange(user.size) - np.repeat(np.cumsum(n_hours) - n_hours, n_hours)
    lo = np.maximum(hour / 24, signup[user]) - signup[user]
    hi = np.minimum((hour + 1) / 24, stop[user]) - signup[user]
    expected = np.sum(sim.truth["base_visit_rate"].to_numpy()[user] * w_hour[hour]
                      * _boredom_integral(params, lo, hi))  # fmt: skip
    counts = sim.events.loc[sim.events["user_id"] <= n, "event"].value_counts()
    observed = counts["session_start"] - n - counts.get("notification_open", 0)
    assert abs(observed - expected) < 4 * np.sqrt(expected), (observed, expected)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_push_open_count_matches_open_probabilities(sims, preset):
    sim = sims[preset]
    p = sim.params
    signup, stop = _stop_days(sim)
    days = np.arange(len(sim.calendar))
    weekday = (sim.start.dayofweek + days) % 7
    push = np.sort((days[np.isin(weekday, p["push_weekdays"])][:, None]
                    + np.asarray(p["push_hours"])[None, :] / 24).ravel())  # fmt: skip
    sent = (push[None, :] > signup[:, None]) & (push[None, :] < stop[:, None])
    tenure = push[None, :] - signup[:, None]
    boredom = p["boredom_floor"] + (1 - p["boredom_floor"]) * np.exp(-tenure / p["boredom_timescale_days"])
    response = (p["push_open_max"] * sim.users["true_notification_sensitivity"]
                * sim.users["true_push_enabled"]).to_numpy()[:, None]  # fmt: skip
    delay = p["push_delay_minutes"] / 1440
    in_time = 1 - np.exp(-np.clip(stop[:, None] - push[None, :], 0, None) / delay)
    prob = np.where(sent, response * boredom * in_time, 0.0)
    observed = (sim.events["event"] == "notification_open").sum()
    assert abs(observed - prob.sum()) < 4 * np.sqrt((prob * (1 - prob)).sum())


def test_hazard_covariates_reproduce_the_multiplier(sims):
    sim = sims["game"]
    design = sim.hazard_covariates()
    coef = sim.true_log_hazard_coefficients
    assert list(design.columns) == list(coef.index)
    assert list(coef.index[:3]) == ["true_interest", "true_attention_budget",
                                    "true_notification_sensitivity"]  # fmt: skip
    np.testing.assert_allclose(design.to_numpy() @ coef.to_numpy(),
                               np.log(sim.truth["hazard_multiplier"]), atol=1e-12)  # fmt: skip
    np.testing.assert_array_equal(design["true_interest"], sim.users["true_interest"])
    assert coef["channel_referral"] < 0 < coef["channel_paid_social"]


def test_cox_and_weibull_recover_the_true_churn_model(sims):
    """lifelines on the true lifetimes recovers the coefficients and the Weibull shape."""
    from lifelines import CoxPHFitter, WeibullAFTFitter

    sim = sims["social"]
    df = sim.hazard_covariates().join(sim.truth[["lifetime_days", "churned"]])
    cox = CoxPHFitter().fit(df, "lifetime_days", "churned")
    true = sim.true_log_hazard_coefficients
    z = (cox.params_ - true) / cox.standard_errors_
    assert (z.abs() < 4).all(), z
    # Weibull PH = Weibull AFT with rho = k and log scale(x) = log(lambda) - (x . beta) / k
    weib = WeibullAFTFitter().fit(df, "lifetime_days", "churned")
    k, lam = sim.params["weibull_shape"], sim.params["weibull_scale_days"]
    expected = pd.concat([
        pd.Series({("rho_", "Intercept"): np.log(k), ("lambda_", "Intercept"): np.log(lam)}),
        pd.Series((-true / k).to_numpy(), index=[("lambda_", name) for name in true.index]),
    ])
    z = (weib.params_ - expected.reindex(weib.params_.index)) / weib.standard_errors_
    assert (z.abs() < 4).all(), z


def test_weibull_baseline_survival_matches_kaplan_meier():
    """Reference users only (organic, ios, all latents 0 except the sensitivity term)."""
    from lifelines import KaplanMeierFitter

    sim = simulate_app("game", n_users=6000, days=200, seed=3, hazard_interest=0.0,
                       hazard_attention=0.0, hazard_sensitivity=0.0,
                       hazard_channel={"organic": 0, "paid_social": 0, "referral": 0, "search_ads": 0},
                       hazard_device={"ios": 0, "android": 0, "web": 0})  # fmt: skip
    np.testing.assert_allclose(sim.truth["hazard_multiplier"], 1.0)
    km = KaplanMeierFitter().fit(sim.truth["lifetime_days"], sim.truth["churned"])
    k, lam = sim.params["weibull_shape"], sim.params["weibull_scale_days"]
    for t in [0.1, 1, 7, 30]:
        assert km.predict(t) == pytest.approx(np.exp(-((t / lam) ** k)), abs=0.02)


# ---------------------------------------------------------------------------------------------
# realism targets (design.md §4)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_lands_in_its_realism_band(sims, preset):
    sim = sims[preset]
    measured = {f"D{k}": n_day_retention(sim, k) for k in (1, 7, 30)}
    measured["dau_mau"] = dau_over_mau(sim)
    for name, (low, high) in BANDS[preset].items():
        assert low <= measured[name] <= high, (preset, name, measured)
    # falls fast, then flattens: the daily loss from day 1 to 7 is over 3x that from 7 to 30
    assert (measured["D1"] - measured["D7"]) / 6 > 3 * (measured["D7"] - measured["D30"]) / 23


def test_dau_mau_ordering(sims):
    ratio = {preset: dau_over_mau(sim) for preset, sim in sims.items()}
    assert ratio["social"] > ratio["game"] > ratio["shop"]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_visit_counts_are_over_dispersed_and_heavy_tailed(sims, preset):
    sim = sims[preset]
    ev = sim.events
    signup = sim.users.set_index("user_id")["signup_time"]
    watched = signup[signup <= sim.end - 28 * DAY].index
    tenure = ns(ev["timestamp"]) - ns(signup.reindex(ev["user_id"]))
    first28 = ev[(ev["event"] == "session_start") & (tenure < (28 * DAY).value)]
    visits = first28.groupby("user_id").size().reindex(watched, fill_value=0)
    assert visits.var() > 2 * visits.mean()
    # still over-dispersed among users alive for the whole 28 days (not only churn)
    alive = sim.truth.loc[watched, "lifetime_days"] >= 28
    assert visits[alive].var() > 2 * visits[alive].mean()
    per_user = ev.groupby("user_id").size()
    top = per_user.sort_values(ascending=False)
    assert top.iloc[: len(top) // 10].sum() > 0.4 * top.sum()  # top 10 % make > 40 % of events
    assert per_user.mean() > 1.5 * per_user.median()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_channel_differences_in_retention(sims, preset):
    sim = sims[preset]
    d7 = {ch: n_day_retention(sim, 7, sim.users[sim.users["channel"] == ch])
          for ch in ["referral", "organic", "paid_social"]}  # fmt: skip
    assert d7["referral"] > d7["organic"] > d7["paid_social"], d7


def test_late_night_signups_exist(sims):
    hours = sims["social"].users["signup_time"].dt.hour
    assert 0.03 < hours.isin([23, 0, 1]).mean() < 0.2


# ---------------------------------------------------------------------------------------------
# oracle
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oracle_at_day_70(sims):
    """Per preset: (cutoff, oracle at that cutoff with a 28-day horizon), computed once."""
    cache = {}

    def get(preset):
        if preset not in cache:
            cutoff = sims[preset].start + 70 * DAY
            cache[preset] = cutoff, sims[preset].oracle_churn_probability(cutoff, horizon="28D")
        return cache[preset]

    return get


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_oracle_shape_and_churned_users(sims, oracle_at_day_70, preset):
    sim = sims[preset]
    cutoff, p = oracle_at_day_70(preset)
    assert p.name == "oracle_p_churn" and p.index.name == "user_id"
    assert p.index.equals(pd.Index(sim.users.loc[sim.users["signup_time"] <= cutoff, "user_id"]))
    assert p.between(0, 1).all()
    churned = sim.truth["churn_time"].reindex(p.index) <= cutoff
    assert churned.any() and (p[churned] == 1).all()
    assert (p[~churned] < 1).all()
    y = labels(sim, cutoff, pd.Timedelta("28D"))
    assert (y[churned] == 1).all()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_oracle_is_calibrated_against_simulated_labels(sims, oracle_at_day_70, preset):
    """Mean and decile bins: observed label rates vs oracle among users alive at the cutoff."""
    sim = sims[preset]
    cutoff, p = oracle_at_day_70(preset)
    y = labels(sim, cutoff, pd.Timedelta("28D"))
    alive = p < 1
    pa, ya = p[alive], y[alive]
    se = np.sqrt((pa * (1 - pa)).sum()) / len(pa)
    assert abs(ya.mean() - pa.mean()) < 4 * se, (ya.mean(), pa.mean(), se)
    bins = pd.qcut(pa.rank(method="first"), 10, labels=False)
    grouped = pd.DataFrame({"p": pa, "y": ya, "v": pa * (1 - pa)}).groupby(bins).sum()
    chi2 = ((grouped["y"] - grouped["p"]) ** 2 / grouped["v"]).sum()
    assert chi2 < stats.chi2.ppf(0.999, df=10), grouped


def resimulate_labels(sim: Simulation, pop: dict, c: float, h: float, reps: int, seed: int):
    """Re-run the same users (same latents and sign-up times) ``reps`` times from sign-up with
    fresh randomness; per user: number of replicates alive at c, and the share of those with
    no event in (c, c + h]."""
    rng = np.random.default_rng(seed)
    stacked = {key: np.tile(value, reps) for key, value in pop.items()}
    churn = sp.draw_churn_times(stacked, sim.params, rng)
    user, us, _ = sp.simulate_events(stacked, churn, sim._cal, sim.params, c + h, rng)
    active = np.zeros(churn.size, bool)
    active[user[us > np.rint(c * sp.DAY_US)]] = True
    alive = (churn > c).reshape(reps, -1)
    quiet = (~active).reshape(reps, -1)
    n_alive = alive.sum(axis=0)
    return n_alive, (quiet & alive).sum(axis=0) / np.maximum(n_alive, 1)


def assert_matches(empirical, oracle, n_alive, min_alive=25):
    ok = n_alive >= min_alive
    assert ok.sum() >= 30
    z = (empirical[ok] - oracle[ok]) / np.sqrt(oracle[ok] * (1 - oracle[ok]) / n_alive[ok] + 1e-6)
    assert (z**2).sum() < stats.chi2.ppf(0.999, df=ok.sum()), np.sort(z)
    assert abs(z.mean()) * np.sqrt(ok.sum()) < 4  # no systematic bias


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_oracle_matches_resimulated_futures(sims, preset):
    """120 random users, 250 replicates each; the cutoff (20:24 UTC) falls in the evening peak
    shortly after the social and game pushes, so sessions in progress and late push opens
    matter."""
    sim = sims[preset]
    c, h = 70.85, 28.0
    signed_up = np.flatnonzero(sim._pop["signup"] <= c)
    chosen = np.sort(np.random.default_rng(11).choice(signed_up, size=120, replace=False))
    pop = {key: value[chosen] for key, value in sim._pop.items()}
    n_alive, empirical = resimulate_labels(sim, pop, c, h, reps=250, seed=12)
    oracle, bound = so.oracle_no_activity(pop, sim.params, sim._cal, c, h)
    assert bound.max() < 0.02
    assert_matches(empirical, oracle, n_alive)


@pytest.mark.parametrize("minutes", [1, 10, 120])
def test_oracle_for_users_who_signed_up_just_before_the_cutoff(sims, minutes):
    """Brand-new users: the sign-up session may still be running, and infant mortality may
    cut it short; both are in the oracle."""
    sim = sims["game"]
    c, h = 70.85, 28.0
    pop = {key: value[:60].copy() for key, value in sim._pop.items()}
    pop["signup_us"] = np.full(60, np.rint((c - minutes / 1440) * sp.DAY_US), dtype=np.int64)
    pop["signup"] = pop["signup_us"] / sp.DAY_US
    n_alive, empirical = resimulate_labels(sim, pop, c, h, reps=600, seed=minutes)
    oracle, _ = so.oracle_no_activity(pop, sim.params, sim._cal, c, h)
    assert_matches(empirical, oracle, n_alive)


def test_oracle_quadrature_converges(sims):
    """The quarter-hour grid agrees with a 4x finer one far below label noise."""
    sim = sims["social"]
    c = 70.4  # not on an hour boundary, 9:36 in the morning
    alive = np.flatnonzero((sim._churn > c) & (sim._pop["signup"] <= c))
    pick = np.concatenate([alive[-60:], alive[:20]])  # the newest users are the hardest
    pop = {key: value[pick] for key, value in sim._pop.items()}
    coarse, _ = so.oracle_no_activity(pop, sim.params, sim._cal, c, 28.0)
    fine, _ = so.oracle_no_activity(pop, sim.params, sim._cal, c, 28.0, n_sub=16)
    assert np.abs(coarse - fine).max() < 5e-4
    assert np.abs(coarse - fine).mean() < 2e-5
