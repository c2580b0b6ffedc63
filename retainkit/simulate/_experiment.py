"""``Experiment`` and ``Simulation.run_experiment`` (private; formulas in ``retainkit.simulate``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from retainkit.simulate import _process as sp
from retainkit.simulate._experiment_catalogue import observed_log_catalogue
from retainkit.simulate._future import treated_future
from retainkit.simulate._outcome import Config, expected_rmst, extra_push_times, p_active
from retainkit.simulate._treatments import TREATMENTS, Treatment, check_window

_STREAM_TAG = 0x45585052  # keeps the experiment's random streams apart from the simulation's
LOOKBACK = pd.Timedelta(days=28)  # default eligibility: an event in the 28 days before start
ARMS = ("control", "treatment")
UPLIFT_GROUPS = ("persuadable", "sure thing", "lost cause", "sleeping dog")


@dataclass(frozen=True)
class RMSTUplift:
    """True restricted mean survival time to a horizon, per arm, from the latent state.

    Introduced in notebook 08. ``control`` and ``treatment`` are the means over the eligible
    users of E[min(T - e, horizon)] in days (0 for users already churned at entry);
    ``difference`` is treatment minus control; ``per_user`` has the two columns by user_id.
    """

    horizon_days: float
    control: float
    treatment: float
    difference: float
    per_user: pd.DataFrame = field(repr=False)


@dataclass
class Experiment:
    """A randomised experiment run on a :class:`Simulation`, with both potential outcomes.

    Introduced in notebook 08; made by :meth:`Simulation.run_experiment`. The model (common
    random numbers, the primary outcome, the four uplift groups) is written out in the
    docstring of ``retainkit.simulate``.

    Attributes
    ----------
    treatment : Treatment
    start : pandas.Timestamp
    share : float
        Probability that an eligible user is assigned to ``"treatment"`` (one coin each).
    seed : int
    window_days : (float, float)
        Primary outcome: any event in ``(entry + w0, entry + w1]``.
    assignment : pandas.Series
        ``"control"`` or ``"treatment"`` by ``user_id``, for the eligible users (name "arm").
    events : pandas.DataFrame
        The observed log of every user of the simulation: the plain log, except that treated
        users' events from their entry on are those of the treated world. Same schema and
        order as ``Simulation.events``.
    potential : pandas.DataFrame
        By ``user_id`` (eligible users): ``churn_time_control``, ``churn_time_treatment`` (NaT
        when not churned by the end, as in ``Simulation.truth``), ``true_effect`` (P(active in
        the window | treatment) - P(... | control), given the latent state; exactly 0 for
        users churned at entry), ``p_active_control``, ``p_active_treatment``,
        ``entry_time``, ``alive_at_entry``, ``uptake_probability``, ``takes_up`` (the common
        draw: would take it up if treated), ``expected_cost`` (cost of treating the user:
        ``cost_per_contact + uptake_probability * cost_per_redemption``).
    """

    treatment: Treatment
    start: pd.Timestamp
    share: float
    seed: int
    window_days: tuple[float, float]
    assignment: pd.Series
    events: pd.DataFrame
    potential: pd.DataFrame
    _sim: Any = field(repr=False)
    _state: dict[str, np.ndarray] = field(repr=False)

    def __repr__(self) -> str:
        counts = self.assignment.value_counts()
        return (f"Experiment(treatment={self.treatment.name!r}, start={self.start}, "
                f"control={counts.get('control', 0):,}, "
                f"treatment={counts.get('treatment', 0):,})")  # fmt: skip

    def true_average_effect(self, *, alive_only: bool = False) -> float:
        """Mean of ``potential.true_effect`` over the eligible users (the true ITT effect).

        Introduced in notebook 08. With ``alive_only=True``, over those alive at entry (the
        users a contact can reach). Effect on P(active in the window), treatment - control.
        """
        effect = self.potential["true_effect"]
        if alive_only:
            effect = effect[self.potential["alive_at_entry"]]
        return float(effect.mean())

    def true_rmst_uplift(self, horizon="90D") -> RMSTUplift:
        """True RMST to ``horizon`` after entry per arm and their difference (days).

        Introduced in notebook 08. E[min(T - e, horizon)] given each user's latent state,
        exact up to quadrature (below 1e-9 relative), under each arm; the treatment arm mixes
        takers and non-takers with the uptake probability. Users churned at entry count 0.
        """
        tau = _days(horizon, "horizon")
        st, sim = self._state, self._sim
        alive = st["alive"]
        sub = {key: value[st["index"][alive]] for key, value in sim._pop.items()}
        duration = self.treatment.duration_days
        entry = st["entry"][alive]
        zeros = np.zeros(entry.size)
        control = expected_rmst(sub, sim.params, entry, tau, duration, zeros)
        taken = expected_rmst(sub, sim.params, entry, tau, duration, st["lr_take"][alive])
        refused = expected_rmst(sub, sim.params, entry, tau, duration, st["lr_refuse"][alive])
        p = st["p_take"][alive]
        per_user = pd.DataFrame(0.0, index=self.potential.index,
                                columns=["rmst_control", "rmst_treatment"])  # fmt: skip
        per_user.loc[alive, "rmst_control"] = control
        per_user.loc[alive, "rmst_treatment"] = p * taken + (1 - p) * refused
        c, t = per_user.mean()
        return RMSTUplift(tau, float(c), float(t), float(t - c), per_user)

    def uplift_groups(self, threshold: float = 0.01) -> pd.Series:
        """The four uplift groups from the truth, by user_id.

        Introduced in notebook 08. ``"lost cause"``: churned at entry, or ``|true_effect| <=
        threshold`` with P(active | control) < 0.5; ``"sure thing"``: ``|true_effect| <=
        threshold`` with P(active | control) >= 0.5; ``"persuadable"``: ``true_effect >
        threshold``; ``"sleeping dog"``: ``true_effect < -threshold`` (contact hurts).
        """
        if not threshold >= 0:
            raise ValueError(f"threshold must be >= 0, got {threshold!r}")
        pot = self.potential
        effect = pot["true_effect"].to_numpy()
        group = np.where(pot["p_active_control"].to_numpy() >= 0.5, 1, 2)
        group = np.where(effect > threshold, 0, np.where(effect < -threshold, 3, group))
        group[~pot["alive_at_entry"].to_numpy()] = 2
        return pd.Series(pd.Categorical.from_codes(group, UPLIFT_GROUPS), index=pot.index,
                         name="uplift_group")  # fmt: skip


def _days(value, name: str) -> float:
    try:
        delta = pd.Timedelta(value) if isinstance(value, str) else pd.Timedelta(days=float(value))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a duration such as '90D' or days, got {value!r}") from err
    if delta <= pd.Timedelta(0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return delta / pd.Timedelta(days=1)


def treated_churn(pop, params, entry, churn, log_hr, duration):
    """Churn times under a hazard multiplier exp(log_hr) on [e, e + D), with the same E.

    E = H(T_control) is kept; T_treated solves H_treated(T) = E piece by piece (closed form);
    users churned at entry or with log_hr == 0 keep T_control exactly.
    """
    out = churn.copy()
    act = (churn > entry) & (log_hr != 0)
    shape, scale = float(params["weibull_shape"]), float(params["weibull_scale_days"])
    s, e, t, r = pop["signup"][act], entry[act], churn[act], np.exp(log_hr[act])
    g_e, g_d, g_t = (((x - s) / scale) ** shape for x in (e, e + duration, t))
    within = g_t <= g_e + r * (g_d - g_e)
    g_new = np.where(within, g_e + (g_t - g_e) / r, g_t - g_e - r * (g_d - g_e) + g_d)
    out[act] = s + scale * g_new ** (1 / shape)
    return out


def _eligible(sim, treatment, start_us, eligible, ns, uid):
    """Candidate users (0-based indices) and the eligible ones among them."""
    signup_us = sim._pop["signup_us"]
    if treatment.audience == "active":
        candidates = np.flatnonzero(signup_us < start_us)
    else:
        enrol_us = round(treatment.enrol_days * sp.DAY_US)
        candidates = np.flatnonzero((signup_us >= start_us) & (signup_us < start_us + enrol_us))
    start_ns = sim.start.value + start_us * 1000
    if eligible is None:
        if treatment.audience == "new_signups":
            return candidates
        recent = (ns >= start_ns - LOOKBACK.value) & (ns < start_ns)
        seen = np.zeros(signup_us.size, bool)
        seen[uid[recent] - 1] = True
        return candidates[seen[candidates]]
    if not callable(eligible):
        raise ValueError(f"eligible must be None or a callable (users, history) -> boolean "
                         f"Series by user_id, got {type(eligible).__name__}")  # fmt: skip
    observable = ["user_id", "signup_time", "channel", "device", "region"]
    users = sim.users.iloc[candidates][observable].reset_index(drop=True)
    history = sim.events[ns < start_ns].reset_index(drop=True)
    chosen = eligible(users, history)
    if isinstance(chosen, pd.Series):
        extra = chosen.index.difference(users["user_id"])
        problems = [f"user_ids that are not candidates: {list(extra[:10])}"] if len(extra) else []
        if chosen.dtype != bool:
            problems.append(f"values must be booleans, got dtype {chosen.dtype}")
        if problems:
            raise ValueError("eligible returned a bad Series: " + "; ".join(problems))
        mask = chosen.reindex(users["user_id"], fill_value=False).to_numpy(bool)
    else:
        mask = np.asarray(chosen)
        if mask.dtype != bool or mask.shape != (len(users),):
            raise ValueError(f"eligible must return a boolean Series by user_id or a boolean "
                             f"array of length {len(users)} (one per candidate), got "
                             f"{mask.dtype} of shape {mask.shape}")  # fmt: skip
    return candidates[mask]


def run_experiment(sim, treatment, *, start, share, eligible, seed, window) -> Experiment:
    """The work behind :meth:`Simulation.run_experiment` (arguments documented there)."""
    from retainkit.simulate._app import _utc, _utc_times
    from retainkit.simulate._policies import POLICIES, RecommendationPolicy, policy_effects

    if isinstance(treatment, str):
        if treatment in TREATMENTS:
            treatment = TREATMENTS[treatment]
        elif treatment in POLICIES and sim._world is not None:
            treatment = POLICIES[treatment]
        else:
            raise ValueError(f"treatment must be a Treatment, a RecommendationPolicy or one of "
                             f"{sorted(TREATMENTS)} (or, with a catalogue, {sorted(POLICIES)}), "
                             f"got {treatment!r}")  # fmt: skip
    is_policy = isinstance(treatment, RecommendationPolicy)
    if not isinstance(treatment, Treatment) and not is_policy:
        raise ValueError(f"treatment must be a Treatment, a RecommendationPolicy or a name, got "
                         f"{type(treatment).__name__}")  # fmt: skip
    if is_policy and sim._world is None:
        raise ValueError("run_experiment: a RecommendationPolicy needs a simulation with a "
                         "content catalogue: simulate_app(..., catalogue=True)")
    problems: list[str] = []
    window = treatment.window_days if window is None else check_window(window, "window", problems)
    start_ts = _utc(start, "start")
    if not sim.start < start_ts < sim.end:
        problems.append(f"start must lie inside the simulated window ({sim.start}, {sim.end}), "
                        f"got {start_ts}")  # fmt: skip
    elif treatment.audience == "new_signups" and (
            start_ts + pd.Timedelta(days=treatment.enrol_days) > sim.end):
        problems.append(f"start + enrol_days ({treatment.enrol_days:g}) must not pass the end "
                        f"of the simulation ({sim.end}), got start {start_ts}")  # fmt: skip
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        problems.append(f"share must be a probability strictly between 0 and 1, got {share!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        problems.append(f"seed must be a non-negative integer, got {seed!r}")
    columns = ["user_id", "timestamp", "event"] + ([] if sim._world is None else ["item_id"])
    if len(sim.events) != sim._stamp[1] or list(sim.events.columns) != columns:
        problems.append("Simulation.events was modified since simulate_app made it; the "
                        "experiment is built on the generated log (simulate again)")
    if problems:
        raise ValueError("run_experiment: " + "; ".join(problems))

    days = (sim.end - sim.start) / pd.Timedelta(days=1)
    start_us = (start_ts - sim.start).value // 1000
    uid = sim.events["user_id"].to_numpy()
    ns = sim.events["timestamp"].array.asi8
    index = _eligible(sim, treatment, start_us, eligible, ns, uid)
    if index.size == 0:
        raise ValueError(f"run_experiment: no user is eligible at start {start_ts} (audience "
                         f"{treatment.audience!r}{'' if eligible is None else ', your rule'})")
    pop = {key: value[index] for key, value in sim._pop.items()}
    start_day = start_us / sp.DAY_US
    entry = np.full(index.size, start_day) if treatment.audience == "active" else pop["signup"]
    duration = treatment.duration_days
    if entry.max() + max(window[1], duration) + 1 > sim._cal.hourly_factor.size / 24:
        raise ValueError("run_experiment: the outcome window reaches past the simulated calendar")
    if entry.max() + window[1] > days:
        warnings.warn(f"the outcome window reaches past the end of the simulation ({sim.end}): "
                      "true_effect describes the process, but outcomes computed from .events "
                      "are censored at the end", stacklevel=3)  # fmt: skip

    seq = np.random.SeedSequence([_STREAM_TAG, int(sim._stamp[0]), int(seed)])
    assign_rng, uptake_rng, future_rng = (np.random.default_rng(s) for s in seq.spawn(3))
    treated = assign_rng.random(index.size) < share
    churn = sim._churn[index]
    alive = churn > entry
    feedback = None
    if is_policy:  # everyone takes it up; the feed sets the hazard and visit-rate ratios
        feedback = policy_effects(treatment, sim._world, sim._pop["topic_interest"], index,
                                  sim._default_feed)  # fmt: skip
        p_take = np.where(alive, 1.0, 0.0)
        lr_take, lr_refuse = feedback["log_hazard_ratio"], np.zeros(index.size)
        visit_ratio = np.exp(feedback["log_visit_ratio"])
    else:
        p_take = np.where(alive, treatment.uptake_probability(pop), 0.0)
        lr_take, lr_refuse = treatment.log_ratios(pop)
        visit_ratio = np.full(index.size, float(treatment.visit_rate_ratio))
    takes_up = uptake_rng.random(index.size) < p_take
    lr_take, lr_refuse = np.where(alive, lr_take, 0.0), np.where(alive, lr_refuse, 0.0)
    churn_t = treated_churn(pop, sim.params, entry, churn, np.where(takes_up, lr_take, lr_refuse),
                            duration)  # fmt: skip

    p_control, p_treat = np.zeros(index.size), np.zeros(index.size)
    if alive.any():
        a = np.flatnonzero(alive)
        sub = {key: value[a] for key, value in pop.items()}
        ones, none = np.ones(a.size), np.zeros(a.size, bool)
        ratio = visit_ratio[a]
        has_extra = np.full(a.size, bool(treatment.extra_push_hours))
        configs = [Config(np.zeros(a.size), ones, none), Config(lr_take[a], ratio, has_extra)]
        mixed = bool((p_take[a] < 1).any())
        if mixed:
            configs.append(Config(lr_refuse[a], ones, none))
        probs = p_active(sub, sim.params, sim._cal, entry[a], window, duration,
                         treatment.extra_push_hours, configs)  # fmt: skip
        p_control[a] = probs[0]
        p_treat[a] = p_take[a] * probs[1] + ((1 - p_take[a]) * probs[2] if mixed else 0.0)
        # Users the treatment cannot touch (push_only without opt-in) have exactly no effect.
        untouched = (p_take[a] == 0) & (lr_refuse[a] == 0)
        p_treat[a[untouched]] = p_control[a[untouched]]

    if sim._world is None:
        events = _observed_log(sim, index, treated & alive, entry, churn, churn_t, takes_up,
                               treatment, days, future_rng, uid, ns)  # fmt: skip
    else:
        feeds = None if feedback is None else feedback["p"]
        events = observed_log_catalogue(sim, index, treated & alive, entry, churn_t, takes_up,
                                         visit_ratio, feeds, treatment, days, future_rng, uid,
                                         ns)  # fmt: skip
    user_id = pd.Index(index + 1, name="user_id")
    entry_us = (np.full(index.size, start_us) if treatment.audience == "active"
                else pop["signup_us"])  # fmt: skip

    def churn_times(t):
        stamp = _utc_times(sim.start, np.rint(np.minimum(t, days) * sp.DAY_US).astype(np.int64))
        return pd.Series(stamp, index=user_id).where(t <= days)

    potential = pd.DataFrame({
        "churn_time_control": churn_times(churn),
        "churn_time_treatment": churn_times(churn_t),
        "true_effect": p_treat - p_control,
        "p_active_control": p_control,
        "p_active_treatment": p_treat,
        "entry_time": _utc_times(sim.start, entry_us),
        "alive_at_entry": alive,
        "uptake_probability": p_take,
        "takes_up": takes_up,
        "expected_cost": treatment.cost_per_contact + p_take * treatment.cost_per_redemption,
    }, index=user_id)  # fmt: skip
    if feedback is not None:
        potential["ctr_control"] = feedback["ctr_default"]
        potential["ctr_treatment"] = feedback["ctr"]
        potential["visit_rate_ratio"] = visit_ratio
        potential["hazard_ratio"] = np.exp(feedback["log_hazard_ratio"])
    assignment = pd.Series(np.where(treated, ARMS[1], ARMS[0]).astype(object), index=user_id,
                           name="arm")  # fmt: skip
    state = {"index": index, "entry": entry, "alive": alive, "p_take": p_take,
             "lr_take": lr_take, "lr_refuse": lr_refuse}  # fmt: skip
    return Experiment(treatment, start_ts, float(share), int(seed), window, assignment, events,
                      potential, sim, state)  # fmt: skip


def _observed_log(sim, index, treated_alive, entry, churn, churn_t, takes_up, treatment, days,
                  rng, uid, ns):
    """The plain log with treated users' futures (from entry on) replaced by the treated world."""
    n_users = sim._pop["signup"].size
    t_idx = index[treated_alive]
    t_entry, t_stop = entry[treated_alive], np.minimum(churn_t[treated_alive], days)
    entry_ns = np.full(n_users, np.iinfo(np.int64).max)
    entry_ns[t_idx] = sim.start.value + np.rint(t_entry * sp.DAY_US).astype(np.int64) * 1000
    limit_us = np.zeros(n_users, np.int64)
    limit_us[t_idx] = np.rint(t_stop * sp.DAY_US).astype(np.int64)
    event = sim.events["event"].to_numpy()
    future = ns >= entry_ns[uid - 1]
    plain_us = (ns[future] - sim.start.value) // 1000
    keep_plain = plain_us < limit_us[uid[future] - 1]
    tails = sim._tails
    keep_tail = tails["us"] < limit_us[tails["user"]]  # tails of untreated users have limit 0
    extra_times = extra_push_times(treatment.extra_push_hours, 0, days)
    extra_times = extra_times[extra_times < days]
    new_user, new_us, new_code = treated_future(
        sim._pop, sim.params, sim._cal, user=t_idx, entry=t_entry,
        churn_control=churn[treated_alive], churn_treated=churn_t[treated_alive],
        taken=takes_up[treated_alive], visit_ratio=float(treatment.visit_rate_ratio),
        duration=treatment.duration_days, extra_times=extra_times, t_end=days, rng=rng)
    names = np.array(sp.event_names(sim.params), dtype=object)
    plain_event = event[future][keep_plain]
    f_user = np.concatenate([uid[future][keep_plain] - 1, tails["user"][keep_tail], new_user])
    f_us = np.concatenate([plain_us[keep_plain], tails["us"][keep_tail], new_us])
    f_event = np.concatenate([plain_event, names[tails["code"][keep_tail]], names[new_code]])
    rank = np.concatenate([
        np.where(plain_event == names[0], 0, np.where(plain_event == names[1], 1, 2)),
        np.minimum(tails["code"][keep_tail], 2), np.minimum(new_code, 2)])  # fmt: skip
    order = sp._sort_order(f_user.astype(np.int64), f_us, rank, n_users, days)
    f_user, f_us, f_event = f_user[order] + 1, f_us[order], f_event[order]
    kept_uid = uid[~future]
    at = np.searchsorted(kept_uid, f_user, side="right")
    user_id = np.insert(kept_uid, at, f_user)
    stamp = np.insert(ns[~future], at, sim.start.value + f_us * 1000)
    names_col = np.insert(event[~future], at, f_event)
    return pd.DataFrame({
        "user_id": user_id,
        "timestamp": pd.DatetimeIndex(stamp.view("M8[ns]")).tz_localize("UTC"),
        "event": names_col,
    }, copy=False)  # fmt: skip
