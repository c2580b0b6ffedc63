"""User attributes as snapshot columns: one-hot categories and numeric columns (private module).

The categories of an attribute come from the whole ``users`` frame, so snapshots at different
cutoffs have the same columns.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from retainkit.features._columns import Column, clean_name

MAX_LEVELS = 50  # the default attributes: categorical users columns with at most this many values


def attribute_block(users, population, attributes, user_col):
    """The attribute block of X (columns in order, positional labels), the users columns used,
    and a ``Column`` for each column of the block."""
    if users is None:
        if attributes:
            raise ValueError(f"attributes {list(attributes)} need a users frame")
        return pd.DataFrame(index=population), (), []
    if attributes is None:
        attributes = default_attributes(users, user_col)
    else:
        attributes = _check_attributes(users, attributes, user_col)
    u = users.set_index(user_col).reindex(population)
    values, columns, gaps = [], [], []
    for attr in attributes:
        if _is_categorical(users[attr]):
            for level in _levels(users[attr]):
                values.append((u[attr] == level).to_numpy(float))
                columns.append(Column(f"{clean_name(attr)}_{clean_name(level)}", "one_hot",
                                      ("one_hot", attr, level)))
        else:
            missing = u.index[u[attr].isna()]
            if len(missing):
                gaps.append(f"numeric column {attr!r} is missing for {len(missing)} user(s) of "
                            f"the population, e.g. {list(missing[:5])}")
            values.append(u[attr].to_numpy(float, na_value=np.nan))
            columns.append(Column(clean_name(attr), "numeric", ("numeric", attr)))
    if gaps:
        raise ValueError("attributes: " + "; ".join(gaps) + " (fill or drop them first)")
    block = pd.DataFrame(dict(enumerate(values)), index=population)
    return block, tuple(attributes), columns


def default_attributes(users, user_col, stacklevel: int = 4) -> tuple:
    """Categorical users columns with at most MAX_LEVELS values; warn about the others."""
    used, left_out = [], []
    for col in users.columns:
        if col in (user_col, "signup_time") or str(col).startswith("true_"):
            continue
        s = users[col]
        if _is_categorical(s):
            n = s.nunique()
            if 0 < n <= MAX_LEVELS:
                used.append(col)
            else:
                left_out.append(f"{col!r} ({n} distinct values)")
        elif _is_numeric(s):
            left_out.append(f"{col!r} (numeric)")
        else:
            left_out.append(f"{col!r} ({s.dtype})")
    if left_out:
        warnings.warn(
            f"attributes: the default uses the categorical users columns with 1 to {MAX_LEVELS} "
            f"distinct values, {used}; these users columns are not used: "
            f"{', '.join(left_out)}. Name the columns you want in attributes=(...) (numeric "
            "columns then enter as they are), or pass attributes explicitly to silence this "
            "warning",
            stacklevel=stacklevel,
        )
    return tuple(used)


def _check_attributes(users, attributes, user_col) -> tuple:
    if isinstance(attributes, str):
        raise ValueError(f"attributes must be a tuple of column names, got the string "
                         f"{attributes!r}; write ({attributes!r},)")
    attributes = tuple(attributes)
    problems = []
    latent = [a for a in attributes if str(a).startswith("true_")]
    if latent:
        problems.append(f"{latent} are latent simulator columns (prefix 'true_') and must "
                        "never be features")
    missing = [a for a in attributes if a not in users.columns and a not in latent]
    if missing:
        problems.append(f"users has no attribute column(s) {missing}; its columns are "
                        f"{list(users.columns)}")
    reserved = [a for a in attributes if a in (user_col, "signup_time")]
    twice = sorted({str(a) for a in attributes if attributes.count(a) > 1})
    if reserved:
        problems.append(f"{reserved} cannot be attributes (the id and sign-up time are not "
                        "features)")
    if twice:
        problems.append(f"{twice} are listed more than once")
    wrong_type = [f"{a!r} ({users[a].dtype})" for a in attributes
                  if a in users.columns and a not in latent + reserved
                  and not (_is_categorical(users[a]) or _is_numeric(users[a]))]
    if wrong_type:
        problems.append(f"columns {', '.join(wrong_type)} are neither categorical (object, "
                        "string, category, bool) nor numeric")
    if problems:
        raise ValueError("attributes: " + "; ".join(problems))
    return attributes


def _is_categorical(s: pd.Series) -> bool:
    return (s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype | pd.StringDtype)
            or pd.api.types.is_bool_dtype(s))


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _levels(s: pd.Series) -> list:
    levels = list(s.dropna().unique())
    try:
        return sorted(levels)
    except TypeError:  # mixed types in an object column
        return sorted(levels, key=str)
