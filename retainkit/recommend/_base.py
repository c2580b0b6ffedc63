"""One interface for every recommender, and the two baselines: popularity and item-kNN."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from retainkit._validation import check_int
from retainkit.recommend._data import InteractionMatrix, interaction_matrix

BATCH_USERS = 512  # users scored at once in recommend(): bounds memory to 512 x n_items


class Recommender:
    """Base class: ``fit(train)``, then ``recommend(users, k, exclude_seen=True)``.

    Introduced in notebook 09. ``fit`` reads a tidy frame of interactions (one row per
    interaction; the matrix is built by :func:`interaction_matrix` and kept in
    ``matrix_``), subclasses learn from the **binary** matrix (1 = the user interacted with
    the item at least once) unless they say otherwise. ``score(users)`` returns a
    ``(len(users), n_items)`` array (columns: ``matrix_.item_ids``), higher = better.

    **Already-seen items.** With ``exclude_seen=True`` (the default) the items a user has in
    the training frame get score −inf and never appear in their list; the list then holds
    ``min(k, n_items − n_seen)`` rows. With ``exclude_seen=False`` they compete like any other
    item (offline metrics then reward re-recommending what the user already has). Ties are
    broken by the item order of ``matrix_.item_ids`` (smaller id first), so lists are
    deterministic.
    """

    name = "recommender"

    def fit(self, train: pd.DataFrame, *, user_col: str = "user_id",
            item_col: str = "item_id", value_col: str | None = None) -> Recommender:
        self.user_col_, self.item_col_ = user_col, item_col
        self.matrix_: InteractionMatrix = interaction_matrix(
            train, user_col=user_col, item_col=item_col, value_col=value_col)
        counts = self.matrix_.matrix if value_col is None else interaction_matrix(
            train, user_col=user_col, item_col=item_col).matrix
        binary = counts.copy()
        binary.data = np.ones_like(binary.data)  # a row of the pair exists, whatever its value
        self.seen_: sparse.csr_matrix = binary
        self._fit(binary if value_col is None else self.matrix_.matrix)
        return self

    def _fit(self, X: sparse.csr_matrix) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scores(self, rows: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "matrix_"):
            raise ValueError(f"{type(self).__name__} is not fitted: call fit(train) first")

    def score(self, users) -> np.ndarray:
        """Scores of every item (columns ``matrix_.item_ids``) for each of ``users``."""
        self._check_fitted()
        return self._scores(self.matrix_.user_position(np.asarray(users)))

    def recommend(self, users=None, k: int = 10, *, exclude_seen: bool = True) -> pd.DataFrame:
        """The top ``k`` items of each user: a tidy frame ``user_id, item_id, rank, score``.

        ``users`` defaults to every user of the training frame; a user it does not know
        raises ``ValueError`` (no cold-start fallback). ``rank`` runs 1..k (1 = top), rows are
        sorted by user (in the order given) then rank. The id columns keep the names used in
        ``fit``.
        """
        self._check_fitted()
        k = check_int("k", k, 1)
        if not isinstance(exclude_seen, bool):
            raise ValueError(f"exclude_seen must be True or False, got {exclude_seen!r}")
        users = self.matrix_.user_ids if users is None else np.asarray(users)
        rows = self.matrix_.user_position(users)
        items = self.matrix_.item_ids
        k_eff = min(k, len(items))
        out_users, out_items, out_rank, out_score = [], [], [], []
        for start in range(0, len(rows), BATCH_USERS):
            batch = rows[start:start + BATCH_USERS]
            scores = np.asarray(self._scores(batch), dtype=float).copy()
            if exclude_seen:
                seen = self.seen_[batch]
                scores[seen.nonzero()] = -np.inf
            top = np.argsort(-scores, axis=1, kind="stable")[:, :k_eff]
            top_scores = np.take_along_axis(scores, top, axis=1)
            keep = np.isfinite(top_scores) if exclude_seen else np.ones(top.shape, bool)
            n_kept = keep.sum(axis=1)  # -inf (seen) items sort last, so keep is a prefix
            out_users.append(np.repeat(users[start:start + len(batch)], n_kept))
            out_items.append(items[top[keep]])
            out_rank.append(np.nonzero(keep)[1] + 1)
            out_score.append(top_scores[keep])
        if not out_users:
            return pd.DataFrame({self.user_col_: [], self.item_col_: [], "rank": [], "score": []})
        return pd.DataFrame({
            self.user_col_: np.concatenate(out_users),
            self.item_col_: np.concatenate(out_items),
            "rank": np.concatenate(out_rank).astype(np.int64),
            "score": np.concatenate(out_score),
        })


class PopularityRecommender(Recommender):
    """Recommend the items most users interacted with, the same list for everyone.

    Introduced in notebook 09. Score of item i = number of distinct training users who
    interacted with it (with ``value_col`` in ``fit``: the sum of that column). The baseline
    every personalised model must beat; with ``exclude_seen=True`` each user gets the most
    popular items they have not seen.

    Examples
    --------
    >>> train = pd.DataFrame({"user_id": [1, 1, 2, 3], "item_id": [10, 20, 20, 30]})
    >>> PopularityRecommender().fit(train).recommend([1, 3], k=2)[["user_id", "item_id"]]
       user_id  item_id
    0        1       30
    1        3       20
    2        3       10
    """

    name = "popularity"

    def _fit(self, X):
        self.item_scores_ = np.asarray(X.sum(axis=0)).ravel()

    def _scores(self, rows):
        return np.tile(self.item_scores_, (len(rows), 1))


class ItemKNNRecommender(Recommender):
    """Item-based nearest neighbours with cosine similarity.

    Introduced in notebook 09. With the binary user x item matrix X, the similarity of items
    i and j is cos(i, j) = (XᵀX)_ij / (‖x_i‖ ‖x_j‖) (co-occurrence counts over the square root
    of both popularities), with the diagonal set to 0. If ``n_neighbors`` is given, each item
    keeps only its ``n_neighbors`` most similar items (the others set to 0; ties broken by
    item order). ``shrink`` > 0 damps similarities that rest on few co-occurrences:
    (XᵀX)_ij / (‖x_i‖ ‖x_j‖ + shrink). A user's score of item j is Σ_{i seen} sim(i, j).

    Examples
    --------
    >>> train = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 20, 10, 20, 30]})
    >>> model = ItemKNNRecommender().fit(train)
    >>> model.similarity_.round(3).tolist()  # 10 and 20 always together, 30 alone
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> model.recommend([3], k=2)["item_id"].tolist()  # no neighbour of 30: ties by id
    [10, 20]
    """

    name = "item-kNN"

    def __init__(self, n_neighbors: int | None = None, shrink: float = 0.0):
        if n_neighbors is not None:
            check_int("n_neighbors", n_neighbors, 1)
        if not isinstance(shrink, int | float) or isinstance(shrink, bool) or shrink < 0:
            raise ValueError(f"shrink must be a number >= 0, got {shrink!r}")
        self.n_neighbors, self.shrink = n_neighbors, float(shrink)

    def _fit(self, X):
        co = (X.T @ X).toarray()
        norms = np.sqrt(np.diag(co))
        sim = co / (np.outer(norms, norms) + self.shrink)
        sim[~np.isfinite(sim)] = 0.0
        np.fill_diagonal(sim, 0.0)
        if self.n_neighbors is not None and self.n_neighbors < sim.shape[0] - 1:
            # keep, for each item (row), its n most similar items
            order = np.argsort(-sim, axis=1, kind="stable")[:, self.n_neighbors:]
            np.put_along_axis(sim, order, 0.0, axis=1)
        self.similarity_ = sim  # row i: the neighbours of item i
        self._X = X

    def _scores(self, rows):
        return np.asarray(self._X[rows] @ self.similarity_)
