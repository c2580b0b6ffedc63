"""Beyond-accuracy metrics: catalogue coverage, novelty, intra-list diversity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.recommend._inputs import pairs_frame, require_frame


def catalogue_coverage(recommended: pd.DataFrame, catalogue, *,
                       item_col: str = "item_id") -> float:
    """Share of the catalogue that appears in at least one user's list.

    Introduced in notebook 09. = (distinct items of ``recommended``) / (distinct items of
    ``catalogue``). ``catalogue`` is the item ids (a list, an array) or a frame with
    ``item_col``, e.g. the training interactions, which gives microsoft/recommenders'
    ``catalog_coverage`` (distinct recommended items over distinct training items).
    Recommended items outside the catalogue raise ``ValueError``.

    Examples
    --------
    >>> rec = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": ["a", "b", "a", "c"]})
    >>> catalogue_coverage(rec, ["a", "b", "c", "d"])
    0.75
    """
    require_frame(recommended, "recommended", [item_col])
    if isinstance(catalogue, pd.DataFrame):
        require_frame(catalogue, "catalogue", [item_col])
        catalogue = catalogue[item_col]
    known = pd.Index(pd.unique(np.asarray(catalogue)))
    if len(known) == 0:
        raise ValueError("catalogue is empty")
    shown = pd.Index(recommended[item_col].unique())
    outside = shown.difference(known)
    if len(outside):
        raise ValueError(f"column {item_col!r}: {len(outside)} recommended item(s) are not in "
                         f"the catalogue, e.g. {outside[:5].tolist()}")
    return len(shown) / len(known)


def novelty(recommended: pd.DataFrame, train: pd.DataFrame, *, item_col: str = "item_id",
            by_user: bool = False, user_col: str = "user_id"):
    """Mean self-information of the recommended items, −log2 of their training popularity.

    Introduced in notebook 09. Item novelty = −log2(n_i / N), with n_i the training rows of
    item i and N all training rows (Castells, Vargas & Wang 2011, the "item choice" model;
    microsoft/recommenders' ``historical_item_novelty``). ``novelty`` is its mean over all
    rows of ``recommended`` (recommenders' ``novelty``), in bits: higher = less popular items.
    A recommended item with no training row has no defined novelty and raises
    ``ValueError``. ``by_user=True`` gives each user's mean instead.

    Examples
    --------
    >>> train = pd.DataFrame({"user_id": [1, 2, 3, 4], "item_id": ["a", "a", "a", "b"]})
    >>> rec = pd.DataFrame({"user_id": [5, 5], "item_id": ["a", "b"]})
    >>> round(novelty(rec, train), 4)  # (-log2(3/4) - log2(1/4)) / 2
    1.2075
    """
    require_frame(recommended, "recommended", [item_col] + ([user_col] if by_user else []))
    require_frame(train, "train", [item_col])
    counts = train[item_col].value_counts()
    info = -np.log2(counts / len(train))
    values = recommended[item_col].map(info)
    if values.isna().any():
        missing = recommended.loc[values.isna(), item_col].unique()[:5].tolist()
        raise ValueError(f"column {item_col!r}: {int(values.isna().sum())} recommended row(s) "
                         f"hold items with no training row, e.g. {missing}")
    if by_user:
        return values.groupby(recommended[user_col]).mean()
    return float(values.mean())


def intra_list_diversity(recommended: pd.DataFrame, train: pd.DataFrame | None = None, *,
                         item_features: pd.DataFrame | None = None,
                         user_col: str = "user_id", item_col: str = "item_id",
                         by_user: bool = False):
    """Mean over users of 1 − (mean similarity of the pairs of items in the user's list).

    Introduced in notebook 09. Intra-list diversity (Ziegler et al. 2005; recommenders'
    ``diversity``): for each user, the average of sim(i, j) over the unordered pairs of
    distinct items of their list, subtracted from 1; users with fewer than two items are
    left out. The similarity is cosine:

    - from ``train`` (default, recommenders' ``item_cooccurrence_count``):
      sim(i, j) = c_ij / sqrt(c_i c_j), with c_ij the users who interacted with both and c_i
      the users of i (each (user, item) pair counted once); items never seen together have 0;
    - from ``item_features`` (a frame indexed by item id, one numeric column per feature,
      e.g. genre indicators; recommenders' ``item_feature_vector``): the cosine of the rows.

    Examples
    --------
    >>> train = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": list("ababc")})
    >>> rec = pd.DataFrame({"user_id": [9, 9, 8, 8], "item_id": list("abac")})
    >>> intra_list_diversity(rec, train, by_user=True).round(6).to_dict()  # sim(a,b)=1, (a,c)=0
    {8: 1.0, 9: 0.0}
    """
    pairs_frame(recommended, "recommended", user_col, item_col, unique=True)
    items = pd.Index(pd.unique(recommended[item_col]))
    if (train is None) == (item_features is None):
        raise ValueError("pass exactly one of train= (co-occurrence cosine) or item_features=")
    if item_features is not None:
        if not isinstance(item_features, pd.DataFrame):
            raise ValueError("item_features must be a DataFrame indexed by item id")
        absent = items.difference(item_features.index)
        if len(absent):
            raise ValueError(f"item_features has no row for {len(absent)} recommended "
                             f"item(s), e.g. {absent[:5].tolist()}")
        F = item_features.loc[items].to_numpy(dtype=float)
    else:
        pairs_frame(train, "train", user_col, item_col, unique=False)
        seen = train[[user_col, item_col]].drop_duplicates()
        seen = seen[seen[item_col].isin(items)]
        users = pd.Index(pd.unique(seen[user_col]))
        F = np.zeros((len(items), len(users)))
        F[items.get_indexer(seen[item_col]), users.get_indexer(seen[user_col])] = 1.0
    norms = np.linalg.norm(F, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        G = (F @ F.T) / np.outer(norms, norms)
    G[~np.isfinite(G)] = 0.0
    pos = items.get_indexer(recommended[item_col])
    out = {}
    for user, idx in pd.Series(pos).groupby(recommended[user_col].to_numpy()):
        idx = idx.to_numpy()
        n = len(idx)
        if n < 2:
            continue
        block = G[np.ix_(idx, idx)]
        mean_sim = (block.sum() - np.trace(block)) / (n * (n - 1))
        out[user] = 1.0 - mean_sim
    result = pd.Series(out, dtype=float)
    result.index.name = user_col
    return result if by_user else float(result.mean())
