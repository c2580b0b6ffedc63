"""``RecommendationPolicy`` and ``POLICIES`` (private; the formulas are in ``retainkit.simulate``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from retainkit.simulate._catalogue import CatalogueWorld, inclusion_probabilities
from retainkit.simulate._treatments import check_schedule

BUILTIN_SCORES = ("popularity", "random", "clickbait", "quality", "affinity", "clicks", "long_term")


@dataclass(frozen=True)
class RecommendationPolicy:
    """A feed policy of the simulator's catalogue, usable as a treatment in ``run_experiment``.

    Introduced in notebook 09. A policy gives each user a score per item; a session's feed
    holds ``feed_size`` distinct items, item ``j`` with probability ``p_ij = min(1, c_i
    exp(s_ij / T))`` (``c_i`` makes the row sum to ``feed_size``; ``T = temperature``): ``T =
    0`` is the top-k by score (ties to the lower item id), ``T = inf`` uniform, anything in
    between a noisy ranking. Passed to :meth:`Simulation.run_experiment`, the treated users
    see this policy's feeds during ``[e, e + duration_days)`` instead of the default
    (``POLICIES["popularity"]``), which changes their visit rate and hazard by the feedback
    formulas of ``retainkit.simulate``; everyone "takes it up".

    Parameters
    ----------
    name : str
    scores : str, array, DataFrame or callable, default "popularity"
        A built-in truth-based score (``"popularity"``: log popularity; ``"random"``;
        ``"clickbait"``: c_j; ``"quality"``: q_j; ``"affinity"``: a_ij; ``"clicks"``: the
        logit of the true view probability; ``"long_term"``: the item's true contribution to
        minus the log hazard, ``v_ij (δ_S (a_ij + q_j) - δ_K c_j)``), or a trained model's
        scores: a DataFrame indexed by ``user_id`` with ``item_id`` columns (items left out
        are never shown), an array ``(n_users, n_items)`` (rows = user_id 1..n) or
        ``(n_items,)`` (the same for everyone), or a callable ``f(user_ids) -> array
        (len(user_ids), n_items)``. Scores of ``-inf`` mean never shown.
    temperature : float or None, default 0.0
        ``T`` above, >= 0 (``numpy.inf`` allowed); None uses the catalogue's
        ``popularity_noise``.
    missing : {"raise", "default"}, default "raise"
        Users without a row in a DataFrame of scores: raise, or show them the default feed.
    audience, duration_days, window_days, enrol_days
        As in :class:`Treatment` (defaults: active users, four weeks of the policy, outcome =
        any event in week 5 after entry, 14 days of enrolment for new sign-ups).
    description : str, default ""

    Examples
    --------
    >>> POLICIES["clickbait"].scores, POLICIES["random"].temperature
    ('clickbait', inf)
    """

    name: str
    scores: Any = "popularity"
    temperature: float | None = 0.0
    missing: str = "raise"
    audience: str = "active"
    duration_days: float = 28.0
    window_days: tuple[float, float] = (28.0, 35.0)
    enrol_days: float = 14.0
    description: str = ""

    # the parts of the Treatment interface that a policy does not use
    extra_push_hours = ()
    cost_per_contact = 0.0
    cost_per_redemption = 0.0

    def __post_init__(self):
        problems = []
        s = self.scores
        if isinstance(s, str):
            if s not in BUILTIN_SCORES:
                problems.append(f"scores must be one of {list(BUILTIN_SCORES)}, an array, a "
                                f"DataFrame or a callable, got {s!r}")  # fmt: skip
        elif not (callable(s) or isinstance(s, pd.DataFrame | np.ndarray | list)):
            problems.append(f"scores must be a name, an array, a DataFrame or a callable, got "
                            f"{type(s).__name__}")  # fmt: skip
        t = self.temperature
        if t is not None and (isinstance(t, bool) or not isinstance(t, int | float)
                              or math.isnan(t) or t < 0):  # fmt: skip
            problems.append(f"temperature must be >= 0 (inf allowed) or None, got {t!r}")
        if self.missing not in ("raise", "default"):
            problems.append(f"missing must be 'raise' or 'default', got {self.missing!r}")
        check_schedule(self, problems)
        if problems:
            raise ValueError(f"RecommendationPolicy {self.name!r}: " + "; ".join(problems))

    def __hash__(self) -> int:
        return hash((self.name, id(self.scores), self.temperature, self.audience,
                     self.duration_days, self.window_days))  # fmt: skip


POLICIES: dict[str, RecommendationPolicy] = {
    "popularity": RecommendationPolicy(
        "popularity", "popularity", None,
        description="The default feed: items in proportion to popularity^(1/T) (T = the "
                    "catalogue's popularity_noise), the same for everyone."),
    "random": RecommendationPolicy("random", "random", math.inf,
                                   description="Every item equally likely."),
    "clickbait": RecommendationPolicy("clickbait", "clickbait", 0.0,
                                      description="The k most clickbaity items (true appeal)."),
    "quality": RecommendationPolicy("quality", "quality", 0.0,
                                    description="The k items of highest true quality."),
    "affinity": RecommendationPolicy("affinity", "affinity", 0.0,
                                     description="Each user's k items of highest true affinity."),
    "clicks": RecommendationPolicy(
        "clicks", "clicks", 0.0,
        description="Each user's k items of highest true view probability: the click "
                    "maximiser."),
    "long_term": RecommendationPolicy(
        "long_term", "long_term", 0.0,
        description="Each user's k items that lower the true hazard most: the retention "
                    "maximiser (among feeds)."),
}  # fmt: skip


def builtin_scores(kind: str, world: CatalogueWorld, topic_interest: np.ndarray) -> np.ndarray:
    """Truth-based scores, (1, n_items) when the same for everyone, else (n_users, n_items)."""
    if kind == "popularity":
        return np.log(world.popularity)[None, :]
    if kind == "random":
        return np.zeros((1, world.n_items))
    if kind == "clickbait":
        return world.clickbait[None, :]
    if kind == "quality":
        return world.quality[None, :]
    affinity = world.affinity(topic_interest)
    if kind == "affinity":
        return affinity
    view = world.view_probability(affinity)
    if kind == "clicks":
        return np.log(view) - np.log1p(-view)
    s = world.spec  # long_term
    return view * (s.hazard_satisfaction * (affinity + world.quality) - s.hazard_pull * world.clickbait)


def policy_scores(policy: RecommendationPolicy, world: CatalogueWorld, topic_interest, index,
                  n_users: int):
    """Scores of the users ``index`` (0-based) and which of them fall back to the default."""
    s = policy.scores
    m = world.n_items
    fallback = np.zeros(index.size, bool)
    if isinstance(s, str):
        return builtin_scores(s, world, topic_interest), fallback
    if isinstance(s, pd.DataFrame):
        bad_items = pd.Index(s.columns).difference(pd.RangeIndex(1, m + 1))
        if len(bad_items):
            raise ValueError(f"policy {policy.name!r}: score columns must be item_ids 1..{m}, "
                             f"got {list(bad_items[:10])}")  # fmt: skip
        if s.index.has_duplicates:
            raise ValueError(f"policy {policy.name!r}: duplicated user_ids in the score index: "
                             f"{list(s.index[s.index.duplicated()][:10])}")  # fmt: skip
        table = s.reindex(columns=pd.RangeIndex(1, m + 1)).astype(float).fillna(-np.inf)
        ids = pd.Index(index + 1)
        fallback = ~ids.isin(s.index)
        if fallback.any() and policy.missing == "raise":
            raise ValueError(f"policy {policy.name!r}: no scores for {int(fallback.sum())} "
                             f"user_ids, e.g. {list(ids[fallback][:10])} (pass "
                             "missing='default' to show them the default feed)")  # fmt: skip
        out = table.reindex(ids).to_numpy()
        out[fallback] = 0.0  # replaced by the default feed
        return out, np.asarray(fallback)
    if callable(s) and not isinstance(s, np.ndarray):
        out = np.asarray(s(index + 1), float)
        if out.shape != (index.size, m):
            raise ValueError(f"policy {policy.name!r}: the score function must return an array "
                             f"of shape ({index.size}, {m}) (users x items), got {out.shape}")
        return out, fallback
    arr = np.asarray(s, float)
    if arr.ndim == 1 and arr.size == m:
        return arr[None, :], fallback
    if arr.shape == (n_users, m):
        return arr[index], fallback
    raise ValueError(f"policy {policy.name!r}: an array of scores must have shape ({n_users}, "
                     f"{m}) (users x items) or ({m},), got {arr.shape}")  # fmt: skip


def policy_inclusion(policy: RecommendationPolicy, world: CatalogueWorld, topic_interest, index,
                     n_users: int, default: np.ndarray) -> np.ndarray:
    """Inclusion probabilities (1 or len(index) rows, n_items) of the policy for users index."""
    scores, fallback = policy_scores(policy, world, topic_interest, index, n_users)
    t = world.spec.popularity_noise if policy.temperature is None else float(policy.temperature)
    p = inclusion_probabilities(scores, world.spec.feed_size, t)
    if fallback.any():
        p = np.broadcast_to(p, (index.size, world.n_items)).copy()
        p[fallback] = default[0]
    return p


def feed_values(world: CatalogueWorld, affinity: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
    """Per user: expected views per impression, pull K and satisfaction S of the feed ``p``."""
    k = world.spec.feed_size
    view = world.view_probability(affinity)
    pv = p * view / k
    return {"ctr": pv.sum(axis=1), "pull": pv @ world.clickbait,
            "satisfaction": (pv * (affinity + world.quality)).sum(axis=1)}  # fmt: skip


def policy_feedback(world: CatalogueWorld, affinity, p, default) -> dict[str, np.ndarray]:
    """Feed values of policy and default, the log visit-rate ratio and the log hazard ratio."""
    s = world.spec
    new, base = feed_values(world, affinity, p), feed_values(world, affinity, default)
    d_pull, d_sat = new["pull"] - base["pull"], new["satisfaction"] - base["satisfaction"]
    return {
        "ctr": new["ctr"], "ctr_default": base["ctr"],
        "pull": new["pull"], "satisfaction": new["satisfaction"],
        "log_visit_ratio": s.visit_pull * d_pull + s.visit_satisfaction * d_sat,
        "log_hazard_ratio": s.hazard_pull * d_pull - s.hazard_satisfaction * d_sat,
    }  # fmt: skip


def policy_effects(policy: RecommendationPolicy, world: CatalogueWorld, topic_interest: np.ndarray,
                   index: np.ndarray, default: np.ndarray, chunk: int = 4096):
    """``policy_feedback`` for the users ``index`` (0-based) of the simulation, in chunks.

    Returns the feedback dict, plus ``p`` (the inclusion rows: 1 row if the same for all).
    """
    n_users = topic_interest.shape[0]
    parts, rows = [], []
    for begin in range(0, index.size, chunk):
        idx = index[begin : begin + chunk]
        x = topic_interest[idx]
        p = policy_inclusion(policy, world, x, idx, n_users, default)
        parts.append(policy_feedback(world, world.affinity(x), p, default))
        rows.append(np.broadcast_to(p, (idx.size, world.n_items)) if p.shape[0] == 1 else p)
    out = {key: np.concatenate([part[key] for part in parts]) if parts else np.zeros(0)
           for key in ("ctr", "ctr_default", "pull", "satisfaction", "log_visit_ratio",
                       "log_hazard_ratio")}  # fmt: skip
    shared = len(rows) == 1 and rows[0].base is not None and rows[0].strides[0] == 0
    out["p"] = rows[0][:1] if shared else (np.concatenate(rows) if rows else
                                           np.zeros((0, world.n_items)))  # fmt: skip
    return out


ScoreFunction = Callable[[np.ndarray], np.ndarray]
