"""The content catalogue of the simulator (private; the formulas are in ``retainkit.simulate``).

Items, users' topic interests, feeds chosen by inclusion probabilities and the engagement
events of a session. Everything here is drawn from the catalogue's own random streams, so the
draws of a simulation without a catalogue are untouched. Times are days since the start.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
from scipy.special import expit

FEED_EVENTS = ("impression", "view", "like", "share")
_STREAM_TAG = 0x434154  # "CAT": the catalogue's streams, apart from the simulation's


@dataclass(frozen=True)
class Catalogue:
    """The content catalogue of a simulation: items, topic interests, feeds, engagement.

    Introduced in notebook 09. Pass ``catalogue=True`` (these defaults) or a ``Catalogue`` to
    :func:`simulate_app`. Item ``j`` has a topic mixture ``y_j ~ Dirichlet(topic_concentration)``
    over ``n_topics`` topics, a quality ``q_j ~ N(0, 1)``, a clickbait appeal ``c_j ~ N(0, 1)``
    with ``corr(q, c) = clickbait_quality_corr`` and a popularity ``π_j ∝ exp(popularity_sd
    · (ρ c_j + sqrt(1 - ρ²) ε_j))`` (``ρ = popularity_clickbait_corr``, log-normal: skewed).
    User ``i`` has topic interests ``x_it = κ z_I + sqrt(1 - κ²) ε_it ~ N(0, 1)`` (``κ =
    interest_loading``: the correlation with the interest trait ``z_I``); the true affinity is
    ``a_ij = x_i · y_j``. Each session shows a feed of ``feed_size`` items; an impression is
    viewed with probability ``expit(view_intercept + view_match a + view_clickbait c +
    view_quality q)``, a view liked with ``expit(like_intercept + like_match a + like_quality
    q)``, a like shared with ``expit(share_intercept + share_quality q)``. The feedback
    coefficients (``visit_pull``, ``visit_satisfaction``, ``hazard_pull``,
    ``hazard_satisfaction``) turn a policy's feed into a visit-rate ratio and a hazard ratio
    (formulas in ``retainkit.simulate``). ``popularity_noise`` is the temperature of the
    default policy (popularity with noise).

    Examples
    --------
    >>> Catalogue(n_items=200).feed_size
    10
    """

    n_items: int = 300
    n_topics: int = 8
    feed_size: int = 10
    topic_concentration: float = 0.3
    interest_loading: float = 0.5
    clickbait_quality_corr: float = -0.3
    popularity_sd: float = 1.2
    popularity_clickbait_corr: float = 0.4
    popularity_noise: float = 1.0
    view_intercept: float = -1.8
    view_match: float = 0.8
    view_clickbait: float = 1.0
    view_quality: float = 0.2
    like_intercept: float = -1.2
    like_match: float = 0.5
    like_quality: float = 0.8
    share_intercept: float = -1.8
    share_quality: float = 0.6
    visit_pull: float = 0.3
    visit_satisfaction: float = 0.1
    hazard_pull: float = 0.25
    hazard_satisfaction: float = 0.35

    def __post_init__(self):
        problems = []
        for name in ("n_items", "n_topics", "feed_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                problems.append(f"{name} must be a positive integer, got {value!r}")
        if not problems and self.feed_size > self.n_items:
            problems.append(f"feed_size ({self.feed_size}) must not exceed n_items "
                            f"({self.n_items})")  # fmt: skip
        for f in fields(self)[3:]:
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                problems.append(f"{f.name} must be a finite number, got {value!r}")
        if not problems:
            for name in ("topic_concentration", "popularity_noise"):
                if not getattr(self, name) > 0:
                    problems.append(f"{name} must be > 0, got {getattr(self, name)!r}")
            if self.popularity_sd < 0:
                problems.append(f"popularity_sd must be >= 0, got {self.popularity_sd!r}")
            for name in ("interest_loading", "clickbait_quality_corr", "popularity_clickbait_corr"):
                if not -1 < getattr(self, name) < 1:
                    problems.append(f"{name} must be a correlation in (-1, 1), got "
                                    f"{getattr(self, name)!r}")  # fmt: skip
        if problems:
            raise ValueError("Catalogue: " + "; ".join(problems))

    def as_dict(self) -> dict:
        return asdict(self)


def as_catalogue(value) -> Catalogue | None:
    """None/False -> None; True -> defaults; a Catalogue; a dict of Catalogue fields."""
    if value is None or value is False:
        return None
    if value is True:
        return Catalogue()
    if isinstance(value, Catalogue):
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - {f.name for f in fields(Catalogue)})
        if unknown:
            raise ValueError(f"catalogue has unknown field(s) {unknown}; accepted: "
                             f"{[f.name for f in fields(Catalogue)]}")  # fmt: skip
        return Catalogue(**value)
    raise ValueError(f"catalogue must be None, True, a Catalogue or a dict of its fields, got "
                     f"{type(value).__name__}")  # fmt: skip


@dataclass(frozen=True)
class CatalogueWorld:
    """The drawn catalogue: item arrays (index = item_id - 1) and the spec."""

    spec: Catalogue
    topics: np.ndarray  # (n_items, n_topics) mixtures, rows sum to 1
    quality: np.ndarray
    clickbait: np.ndarray
    popularity: np.ndarray  # shares, sum 1

    @property
    def n_items(self) -> int:
        return self.quality.size

    def affinity(self, topic_interest: np.ndarray) -> np.ndarray:
        """a_ij = x_i . y_j for the given users' topic interests (rows)."""
        return topic_interest @ self.topics.T

    def view_probability(self, affinity: np.ndarray, items=slice(None)) -> np.ndarray:
        """P(view | impression) of ``items`` (all, by default, along the last axis)."""
        s = self.spec
        return expit(s.view_intercept + s.view_match * affinity
                     + s.view_clickbait * self.clickbait[items]
                     + s.view_quality * self.quality[items])  # fmt: skip

    def like_probability(self, affinity: np.ndarray, items=slice(None)) -> np.ndarray:
        """P(like | view)."""
        s = self.spec
        return expit(s.like_intercept + s.like_match * affinity + s.like_quality * self.quality[items])

    def share_probability(self, items=slice(None)) -> np.ndarray:
        """P(share | like)."""
        s = self.spec
        return expit(s.share_intercept + s.share_quality * self.quality[items])


def streams(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence, np.random.SeedSequence]:
    """(items, user interests, feeds) seed sequences of the catalogue, from the simulation seed."""
    items, users, feeds = np.random.SeedSequence([_STREAM_TAG, int(seed)]).spawn(3)
    return items, users, feeds


def draw_items(spec: Catalogue, rng) -> CatalogueWorld:
    topics = rng.dirichlet(np.full(spec.n_topics, spec.topic_concentration), size=spec.n_items)
    z = rng.standard_normal((3, spec.n_items))
    r = spec.clickbait_quality_corr
    quality = z[0]
    clickbait = r * z[0] + math.sqrt(1 - r**2) * z[1]
    p = spec.popularity_clickbait_corr
    log_pop = spec.popularity_sd * (p * clickbait + math.sqrt(1 - p**2) * z[2])
    popularity = np.exp(log_pop - log_pop.max())
    return CatalogueWorld(spec, topics, quality, clickbait, popularity / popularity.sum())


def draw_topic_interest(spec: Catalogue, interest: np.ndarray, rng) -> np.ndarray:
    """x_it = κ z_I + sqrt(1 - κ²) ε_it: standard normal, correlation κ with the interest trait."""
    k = spec.interest_loading
    eps = rng.standard_normal((interest.size, spec.n_topics))
    return k * interest[:, None] + math.sqrt(1 - k**2) * eps


def inclusion_probabilities(scores: np.ndarray, k: int, temperature: float) -> np.ndarray:
    """Per row, P(item in a feed of k): ``min(1, c w_j)`` with ``w = exp(score / T)`` and c set
    so the row sums to k (water-filling); ``T = 0`` is top-k (ties to the lower item id),
    ``T = inf`` uniform. Scores of -inf are never shown."""
    scores = np.atleast_2d(np.asarray(scores, float))
    n, m = scores.shape
    finite = np.isfinite(scores)
    if (finite.sum(axis=1) < k).any() or np.isnan(scores).any() or np.isposinf(scores).any():
        raise ValueError(f"policy scores need, per user, at least {k} finite scores (no NaN, "
                         "no +inf; -inf means never shown)")  # fmt: skip
    if temperature == 0:
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        p = np.zeros((n, m))
        np.put_along_axis(p, order, 1.0, axis=1)
        return p
    if np.isinf(temperature):
        w = finite.astype(float)
    else:
        z = np.where(finite, scores, -np.inf) / temperature
        w = np.exp(z - z.max(axis=1, keepdims=True))
    ws = -np.sort(-w, axis=1)  # descending
    suffix = np.cumsum(ws[:, ::-1], axis=1)[:, ::-1]  # suffix[:, j] = sum of ws[:, j:]
    c = (k - np.arange(k))[None, :] / np.maximum(suffix[:, :k], 1e-300)  # m capped items
    valid = c * ws[:, :k] <= 1 + 1e-12
    first = np.argmax(valid, axis=1)
    p = np.minimum(1.0, c[np.arange(n), first][:, None] * w)
    return p


def systematic_feeds(p: np.ndarray, row: np.ndarray, k: int, rng) -> np.ndarray:
    """Feeds (n_visits x k item indices) by systematic sampling on each row's inclusion
    probabilities: item j is in the feed with probability exactly p[row, j], never twice."""
    n_rows, m = p.shape
    cum = np.maximum.accumulate(np.cumsum(p, axis=1), axis=1)
    cum[:, -1] = np.maximum(cum[:, -1], k)
    pos = rng.random(row.size)[:, None] + np.arange(k)[None, :]
    if n_rows == 1:
        return np.minimum(np.searchsorted(cum[0], pos, side="right"), m - 1)
    flat = (cum + (k + 1) * np.arange(n_rows)[:, None]).ravel()
    pos += ((k + 1) * row)[:, None]
    idx = np.searchsorted(flat, pos.ravel(), side="right").reshape(row.size, k)
    return np.minimum(idx - (m * row)[:, None], m - 1)


def feed_events(world: CatalogueWorld, affinity: np.ndarray, visit_user: np.ndarray,
                length: np.ndarray, p: np.ndarray, row: np.ndarray, codes: dict[str, int], rng):
    """Feed events of the given visits: (visit index, offset in days, code, item index).

    ``affinity`` (users x items) has one row per user index in ``visit_user``; ``length`` is
    each session's length in days; ``p[row[v]]`` the inclusion probabilities of visit v's
    feed. Every item of the feed gets an ``impression`` at the session start; viewed items
    get a ``view`` (then ``like``, ``share``) at sorted uniform times over the session, the
    last one at its end. Draws: the feeds, one uniform per impression, one per view, one per
    like, then the view times.
    """
    from retainkit.simulate._process import _sorted_fractions

    k, m = world.spec.feed_size, world.n_items
    n_v = visit_user.size
    items = systematic_feeds(p, row, k, rng).ravel()  # visit-major, k per visit
    cell = np.repeat(visit_user.astype(np.int64) * m, k) + items
    view_p = world.view_probability(affinity).ravel()[cell]
    viewed = np.flatnonzero(rng.random(items.size) < view_p)  # indices into the impressions
    like_p = world.like_probability(affinity.ravel()[cell[viewed]], items[viewed])
    liked = np.flatnonzero(rng.random(viewed.size) < like_p)  # indices into the views
    shared = liked[rng.random(liked.size) < world.share_probability(items[viewed[liked]])]
    view_visit = viewed // k
    n_view = np.bincount(view_visit, minlength=n_v)
    offset_view = _sorted_fractions(n_view, rng, last_at_one=True) * length[view_visit]
    view_item = items[viewed]
    out_visit = np.concatenate([np.repeat(np.arange(n_v), k), view_visit, view_visit[liked],
                                view_visit[shared]])  # fmt: skip
    out_offset = np.concatenate([np.zeros(items.size), offset_view, offset_view[liked],
                                 offset_view[shared]])  # fmt: skip
    out_code = np.repeat(np.array([codes[name] for name in FEED_EVENTS], np.int64),
                         [items.size, viewed.size, liked.size, shared.size])  # fmt: skip
    out_item = np.concatenate([items, view_item, view_item[liked], view_item[shared]])
    return out_visit, out_offset, out_code, out_item


def default_inclusion(world: CatalogueWorld) -> np.ndarray:
    """The default feed (popularity with noise): one row of inclusion probabilities."""
    return inclusion_probabilities(np.log(world.popularity)[None, :], world.spec.feed_size,
                                   world.spec.popularity_noise)  # fmt: skip


def event_names(base_names: list[str]) -> list[str]:
    """The simulation's event names followed by the feed's that are not among them."""
    return [*base_names, *(name for name in FEED_EVENTS if name not in base_names)]


class Feed:
    """The ``feed`` hook of ``_process.simulate_events``: draws feeds from its own stream.

    ``affinity`` has a row per user index of the visits; ``p`` rows of inclusion
    probabilities; ``row_of(visit_user, visit_t)`` picks each visit's row (None: row 0).
    """

    def __init__(self, world, affinity, p, base_names, rng, row_of=None):
        names = event_names(base_names)
        self.world, self.affinity, self.p, self.rng, self.row_of = world, affinity, p, rng, row_of
        self.codes = {name: names.index(name) for name in FEED_EVENTS}
        # the preset's own view/like/share events (codes 2..) give way to the feed's
        self.drop_codes = [i for i, name in enumerate(base_names) if i >= 2 and name in FEED_EVENTS]

    def __call__(self, visit_user, visit_t, length):
        row = (np.zeros(visit_user.size, np.int64) if self.row_of is None
               else self.row_of(visit_user, visit_t))  # fmt: skip
        return feed_events(self.world, self.affinity, visit_user, length, self.p, row, self.codes,
                           self.rng)  # fmt: skip
