"""The user x item interaction matrix and the train/test splits of recommendation data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from retainkit._validation import check_int, to_utc
from retainkit.recommend._inputs import pairs_frame, require_frame


@dataclass(frozen=True)
class InteractionMatrix:
    """A sparse user x item matrix and the ids of its rows and columns (notebook 09).

    Returned by :func:`interaction_matrix`. ``matrix[u, i]`` is the value of user ``user_ids[u]`` for item ``item_ids[i]`` (0 = no
    interaction); both id arrays are sorted. ``user_position``/``item_position`` map ids to
    rows/columns.
    """

    matrix: sparse.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def user_position(self, users) -> np.ndarray:
        """Row of each user id; ``ValueError`` lists ids that have no row."""
        return _positions(self.user_ids, users, "users")

    def item_position(self, items) -> np.ndarray:
        """Column of each item id; ``ValueError`` lists ids that have no column."""
        return _positions(self.item_ids, items, "items")


def _positions(ids: np.ndarray, wanted, name: str, where: str = "the training data") -> np.ndarray:
    wanted = np.asarray(wanted)
    if len(ids) == 0:
        unknown = np.ones(len(wanted), dtype=bool)
        pos = np.zeros(len(wanted), dtype=np.intp)
    else:
        pos = np.clip(np.searchsorted(ids, wanted), 0, len(ids) - 1)
        unknown = ids[pos] != wanted
    if np.any(unknown):
        distinct = np.unique(wanted[unknown])
        raise ValueError(f"{name}: {len(distinct)} id(s) not in {where} "
                         f"({int(np.sum(unknown))} row(s)), e.g. {distinct[:5].tolist()}")
    return pos


def interaction_matrix(interactions: pd.DataFrame, *, user_col: str = "user_id",
                       item_col: str = "item_id", value_col: str | None = None,
                       users=None, items=None) -> InteractionMatrix:
    """The user x item matrix (scipy.sparse CSR) of a tidy frame of interactions.

    Introduced in notebook 09. One row of ``interactions`` is one interaction (a rating, a
    view, an event). The cell of (user, item) is the **number of rows** of that pair
    (``value_col=None``: repeated views count) or the **sum** of ``value_col`` over them
    (e.g. ratings). Rows and columns are the sorted distinct ids, or ``users``/``items`` if
    given (every id of the frame must then be among them; ids without rows stay empty).

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": ["b", "a", "b", "b"]})
    >>> m = interaction_matrix(df)
    >>> m.user_ids.tolist(), m.item_ids.tolist()
    ([1, 2], ['a', 'b'])
    >>> m.matrix.toarray().tolist()
    [[1.0, 1.0], [0.0, 2.0]]
    """
    pairs_frame(interactions, "interactions", user_col, item_col, unique=False)
    if value_col is not None:
        require_frame(interactions, "interactions", [value_col])
        values = pd.to_numeric(interactions[value_col], errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"column {value_col!r}: {int((~np.isfinite(values)).sum())} "
                             "value(s) are missing or not numbers")
    else:
        values = np.ones(len(interactions))
    user_ids = np.sort(interactions[user_col].unique()) if users is None else np.sort(
        np.unique(np.asarray(users)))
    item_ids = np.sort(interactions[item_col].unique()) if items is None else np.sort(
        np.unique(np.asarray(items)))
    rows = _positions(user_ids, interactions[user_col].to_numpy(), "users", "users=")
    cols = _positions(item_ids, interactions[item_col].to_numpy(), "items", "items=")
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(user_ids), len(item_ids)))
    matrix.sum_duplicates()
    return InteractionMatrix(matrix, user_ids, item_ids)


def stratified_split(interactions: pd.DataFrame, *, ratio: float = 0.75, seed: int = 42,
                     user_col: str = "user_id") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split: ``ratio`` of each user's rows to train (microsoft/recommenders).

    Introduced in notebook 09. The ``python_stratified_split`` of microsoft/recommenders
    (``filter_by="user"``, ``min_rating=1``): every row gets a uniform random number
    (``numpy.random.RandomState(seed).rand``, in row order), each user's rows are ordered by
    it, and the first ``round(ratio * n_u)`` of a user's ``n_u`` rows go to train (NumPy
    rounding, half to even), the rest to test: a user with 2 rows keeps both in train
    (round(1.5) = 2), one with 1 row too; from 3 rows on, every user is in both parts. With the same rows in the same order and the same seed, the split
    is theirs row for row. Returns ``(train, test)``, each keeping the input's index and
    columns, in the input's row order. It ignores time: the test rows are not "the future".

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": [1] * 4 + [2] * 3, "item_id": range(7)})
    >>> train, test = stratified_split(df, ratio=0.75, seed=0)
    >>> train.groupby("user_id").size().tolist(), test.groupby("user_id").size().tolist()
    ([3, 2], [1, 1])
    """
    require_frame(interactions, "interactions", [user_col])
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio < 1:
        raise ValueError(f"ratio must be strictly between 0 and 1, got {ratio!r}")
    check_int("seed", seed, 0)
    noise = np.random.RandomState(seed).rand(len(interactions))
    codes = pd.factorize(interactions[user_col], sort=True)[0]
    order = np.lexsort((noise, codes))
    users = codes[order]
    counts = np.bincount(users)[users]
    rank = pd.Series(users).groupby(users).cumcount().to_numpy() + 1
    in_train = np.zeros(len(interactions), dtype=bool)
    in_train[order] = rank <= np.round(ratio * counts)
    return interactions[in_train], interactions[~in_train]


def time_split(interactions: pd.DataFrame, cutoff, *, time_col: str = "timestamp",
               user_col: str = "user_id", warm_users: bool = True
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A global time cut: rows before ``cutoff`` train, rows at or after it test.

    Introduced in notebook 09. The honest offline protocol: the model sees only the past and
    ranks items for what came next, for everyone at the same moment (no leakage from other
    users' futures). ``cutoff`` is a moment (naive = UTC). With ``warm_users=True`` test rows
    of users who have no train row are dropped (a collaborative model cannot rank for
    them); test rows of items unseen in train are kept, so they count as misses, as they
    would online. Returns ``(train, test)``.

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [7, 8, 9],
    ...                    "timestamp": pd.to_datetime(["2026-01-01", "2026-01-09",
    ...                                                 "2026-01-10"], utc=True)})
    >>> train, test = time_split(df, "2026-01-05")
    >>> train["item_id"].tolist(), test["item_id"].tolist()  # user 2 has no past: dropped
    ([7], [8])
    """
    require_frame(interactions, "interactions", [time_col, user_col])
    times = interactions[time_col]
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise ValueError(f"column {time_col!r} must hold datetimes, got {times.dtype}")
    when = to_utc(cutoff, "cutoff")
    if times.dt.tz is None:
        when = when.tz_localize(None)
    before = (times < when).to_numpy()
    train, test = interactions[before], interactions[~before]
    if warm_users:
        test = test[test[user_col].isin(train[user_col])]
    return train, test


def leave_last_out(interactions: pd.DataFrame, *, n: int = 1, time_col: str = "timestamp",
                   user_col: str = "user_id", item_col: str = "item_id"
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's last ``n`` rows (by time) to test, the earlier ones to train.

    Introduced in notebook 09. Rows at the same time are ordered by ``item_col`` (so the
    split does not depend on the row order). A user with ``n`` rows or fewer keeps them all
    in train and has no test row. The cut differs by user, so a train row of one user may
    be later than a test row of another: use :func:`time_split` when that leak matters.

    Examples
    --------
    >>> df = pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [7, 8, 9, 7],
    ...                    "timestamp": pd.to_datetime([3, 1, 2, 1], unit="D", utc=True)})
    >>> train, test = leave_last_out(df)
    >>> test["item_id"].tolist(), sorted(train["item_id"].tolist())
    ([7], [7, 8, 9])
    """
    require_frame(interactions, "interactions", [time_col, user_col, item_col])
    n = check_int("n", n, 1)
    frame = interactions[[user_col, time_col, item_col]].reset_index(drop=True)
    order = frame.sort_values([user_col, time_col, item_col], kind="stable")
    from_end = order.groupby(user_col).cumcount(ascending=False).to_numpy()
    size = order.groupby(user_col)[user_col].transform("size").to_numpy()
    to_test = np.zeros(len(frame), dtype=bool)
    to_test[order.index.to_numpy()] = (from_end < n) & (size > n)
    return interactions[~to_test], interactions[to_test]
