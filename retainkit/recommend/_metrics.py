"""Ranking metrics at k on tidy frames, with microsoft/recommenders' definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import check_choice, check_int
from retainkit.recommend._inputs import pairs_frame, ranked_frame

_COMMON = """
    ``recommended`` has one row per recommended item: ``user_id``, ``item_id``, ``rank``
    (integers, 1 = top; unique per user). ``relevant`` has one row per (user, item) that
    counts as a hit, e.g. every test interaction. Only rows with rank <= ``k`` count. The
    mean runs over the users of ``relevant`` (everyone with >= 1 relevant item); such a user
    without any recommendation scores 0. Users only in ``recommended`` are ignored.
    microsoft/recommenders (``python_evaluation``) averages over users present in both
    frames instead: the two agree whenever every relevant user gets a list, as in
    :meth:`Recommender.recommend`. ``by_user=True`` returns the per-user values (a Series
    indexed by user) instead of their mean, for intervals.
"""


def _hits(recommended, relevant, k, user_col, item_col, rank_col):
    """(relevant users, |rel_u|, the hits: user, rank, hit number) of the top-k lists."""
    k = check_int("k", k, 1)
    ranked_frame(recommended, "recommended", user_col, item_col, rank_col)
    pairs_frame(relevant, "relevant", user_col, item_col, unique=True)
    n_relevant = relevant.groupby(user_col).size()
    top = recommended.loc[recommended[rank_col].astype(float) <= k, [user_col, item_col,
                                                                     rank_col]]
    hits = top.merge(relevant[[user_col, item_col]], on=[user_col, item_col], how="inner")
    hits = hits.assign(rank=hits[rank_col].astype(float)).sort_values([user_col, "rank"])
    hits["hit_number"] = hits.groupby(user_col).cumcount() + 1
    return n_relevant, hits, k


def _per_user(values: pd.Series, n_relevant: pd.Series, by_user: bool):
    out = values.reindex(n_relevant.index).fillna(0.0).astype(float)  # no hit: 0
    return out if by_user else float(out.mean())


def precision_at_k(recommended: pd.DataFrame, relevant: pd.DataFrame, k: int = 10, *,
                   user_col: str = "user_id", item_col: str = "item_id",
                   rank_col: str = "rank", by_user: bool = False):
    """Precision@k = mean over users of hits_u / k.

    Introduced in notebook 09. hits_u = relevant items among the user's top k. Divided by k
    even when the list is shorter (as Spark and microsoft/recommenders do), so a user with
    fewer than k relevant items cannot reach 1.
    {common}
    Examples
    --------
    >>> rec = pd.DataFrame({{"user_id": [1, 1, 1], "item_id": ["a", "b", "c"],
    ...                     "rank": [1, 2, 3]}})
    >>> rel = pd.DataFrame({{"user_id": [1, 1], "item_id": ["b", "z"]}})
    >>> precision_at_k(rec, rel, k=2)
    0.5
    """
    n_rel, hits, k = _hits(recommended, relevant, k, user_col, item_col, rank_col)
    return _per_user(hits.groupby(user_col).size() / k, n_rel, by_user)


def recall_at_k(recommended: pd.DataFrame, relevant: pd.DataFrame, k: int = 10, *,
                user_col: str = "user_id", item_col: str = "item_id",
                rank_col: str = "rank", by_user: bool = False):
    """Recall@k = mean over users of hits_u / |rel_u|.

    Introduced in notebook 09. |rel_u| = the user's number of relevant items, all of them
    (not capped at k), so a user with more than k relevant items cannot reach 1.
    {common}
    Examples
    --------
    >>> rec = pd.DataFrame({{"user_id": [1, 1, 1], "item_id": ["a", "b", "c"],
    ...                     "rank": [1, 2, 3]}})
    >>> rel = pd.DataFrame({{"user_id": [1, 1], "item_id": ["b", "z"]}})
    >>> recall_at_k(rec, rel, k=2)
    0.5
    """
    n_rel, hits, _ = _hits(recommended, relevant, k, user_col, item_col, rank_col)
    return _per_user(hits.groupby(user_col).size() / n_rel, n_rel, by_user)


def ndcg_at_k(recommended: pd.DataFrame, relevant: pd.DataFrame, k: int = 10, *,
              user_col: str = "user_id", item_col: str = "item_id",
              rank_col: str = "rank", by_user: bool = False):
    """nDCG@k with binary relevance = mean over users of DCG_u / IDCG_u.

    Introduced in notebook 09. DCG_u = Σ over hits at rank r <= k of 1 / log(1 + r);
    IDCG_u = Σ_{{r=1}}^{{min(|rel_u|, k)}} 1 / log(1 + r), the DCG of a perfect list. The base
    of the logarithm cancels (recommenders' default ``discfun_type="loge"`` and the usual
    log2 give the same nDCG); relevance is 1 for a hit, 0 otherwise (``score_type="binary"``).
    {common}
    Examples
    --------
    >>> rec = pd.DataFrame({{"user_id": [1, 1, 1], "item_id": ["a", "b", "c"],
    ...                     "rank": [1, 2, 3]}})
    >>> rel = pd.DataFrame({{"user_id": [1, 1], "item_id": ["b", "z"]}})
    >>> round(ndcg_at_k(rec, rel, k=3), 4)  # (1/log 3) / (1/log 2 + 1/log 3)
    0.3869
    """
    n_rel, hits, k = _hits(recommended, relevant, k, user_col, item_col, rank_col)
    dcg = (1.0 / np.log1p(hits["rank"])).groupby(hits[user_col]).sum()
    discounts = np.cumsum(1.0 / np.log1p(np.arange(1, k + 1)))
    idcg = pd.Series(discounts[np.minimum(n_rel.to_numpy(), k) - 1], index=n_rel.index)
    return _per_user(dcg / idcg.reindex(dcg.index), n_rel, by_user)


def map_at_k(recommended: pd.DataFrame, relevant: pd.DataFrame, k: int = 10, *,
             user_col: str = "user_id", item_col: str = "item_id", rank_col: str = "rank",
             normalize: str = "min_k", by_user: bool = False):
    """MAP@k = mean over users of AP_u = Σ over hits at rank r <= k of P@r, over a normaliser.

    Introduced in notebook 09. P@r = (hits at ranks 1..r) / r, summed at the ranks that hold
    a hit. microsoft/recommenders has two variants, chosen by ``normalize``:

    - ``"min_k"`` (default): divide by min(|rel_u|, k), their ``map_at_k`` (the same as
      Spark's ``meanAveragePrecisionAt(k)``): a perfect list scores 1.
    - ``"relevant"``: divide by |rel_u|, their ``map``, the "MAP" column of their
      MovieLens benchmark table (smaller whenever a user has more than k relevant items).

    Before recommenders 1.2 (Nov 2023) ``map_at_k`` computed what is now ``map``, so older
    published MAP figures are the ``"relevant"`` variant.
    {common}
    Examples
    --------
    >>> rec = pd.DataFrame({{"user_id": [1, 1, 1], "item_id": ["a", "b", "c"],
    ...                     "rank": [1, 2, 3]}})
    >>> rel = pd.DataFrame({{"user_id": [1, 1, 1, 1], "item_id": ["a", "c", "y", "z"]}})
    >>> round(map_at_k(rec, rel, k=2), 4), round(map_at_k(rec, rel, k=2, normalize="relevant"), 4)
    (0.5, 0.25)
    """
    check_choice("normalize", normalize, ("min_k", "relevant"))
    n_rel, hits, k = _hits(recommended, relevant, k, user_col, item_col, rank_col)
    ap_sum = (hits["hit_number"] / hits["rank"]).groupby(hits[user_col]).sum()
    denominator = np.minimum(n_rel, k) if normalize == "min_k" else n_rel
    return _per_user(ap_sum / denominator.reindex(ap_sum.index), n_rel, by_user)


for _f in (precision_at_k, recall_at_k, ndcg_at_k, map_at_k):
    _f.__doc__ = _f.__doc__.format(common=_COMMON)
