"""Checks of the tidy frames the recommend topic reads (internal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit._validation import Problems


def require_frame(df, name: str, columns: list[str]) -> pd.DataFrame:
    """``df`` must be a DataFrame holding ``columns``; the error names the missing ones."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a DataFrame with columns {columns}, got "
                         f"{type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} has no column(s) {missing}: pass the column names with "
                         f"user_col=, item_col= (columns found: {list(df.columns)})")
    return df


def check_ids(df: pd.DataFrame, name: str, columns: list[str], problems: Problems) -> None:
    """Record missing ids in ``columns`` of ``df``."""
    for col in columns:
        problems.rows(df, df[col].isna().to_numpy(), "missing value", col)


def check_no_duplicates(df: pd.DataFrame, name: str, keys: list[str], problems: Problems,
                        hint: str = "") -> None:
    """Record rows whose ``keys`` occur more than once."""
    dup = df.duplicated(keys, keep=False).to_numpy()
    problems.rows(df, dup, f"duplicated ({', '.join(keys)}) pair", keys[-1], hint)


def pairs_frame(df, name: str, user_col: str, item_col: str, *, unique: bool) -> pd.DataFrame:
    """The checked (user, item) rows of ``df``; ``unique`` refuses repeated pairs."""
    require_frame(df, name, [user_col, item_col])
    problems = Problems()
    check_ids(df, name, [user_col, item_col], problems)
    if unique:
        check_no_duplicates(df, name, [user_col, item_col], problems,
                            hint=f"keep one row per pair, e.g. {name}.drop_duplicates("
                                 f"[{user_col!r}, {item_col!r}])")
    problems.raise_if_any(name)
    return df


def ranked_frame(df, name: str, user_col: str, item_col: str, rank_col: str) -> pd.DataFrame:
    """A recommendation list: unique (user, item) and (user, rank), ranks integers >= 1."""
    require_frame(df, name, [user_col, item_col, rank_col])
    problems = Problems()
    check_ids(df, name, [user_col, item_col, rank_col], problems)
    rank = pd.to_numeric(df[rank_col], errors="coerce")
    ok = rank.notna() & df[rank_col].notna()
    bad = ok & ((rank < 1) | (rank != np.floor(rank)))
    bad |= df[rank_col].notna() & rank.isna()
    problems.rows(df, bad.to_numpy(), "rank is not an integer >= 1 (1 = top)", rank_col)
    check_no_duplicates(df, name, [user_col, item_col], problems,
                        hint="an item may appear once in a user's list")
    check_no_duplicates(df, name, [user_col, rank_col], problems,
                        hint="two items share a rank: rank ties by score first")
    problems.raise_if_any(name)
    return df
