"""One colour per model name across the workbook's figures (introduced in notebook 06).

The model figures (ROC, precision-recall, calibration, lift, gain, cost) colour each model by
its name, so "boosting" is the same green in every figure of a notebook and across notebooks.
The workbook's model names have fixed colours (:data:`MODEL_PALETTE`); any other name gets a
colour from a stable hash of its text (the same in every session and on every machine).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

from retainkit.plotting._base import PALETTE

_BLUE, _ORANGE, _GREEN, _RED, _PURPLE, _BROWN, _PINK = PALETTE
_TEAL, _MUSTARD, _SLATE, _BLACK = "#1f9e89", "#d4a017", "#5a5a9e", "#222222"

#: Fixed colours of the model names used in notebooks 05-07 (keys compared case-insensitively).
MODEL_PALETTE: dict[str, str] = {
    "model": _BLUE,  # the name of a single, unnamed array of scores
    "mlp": _BLUE,
    "improved mlp": _BLUE,
    "mlp raw": _BLUE,
    "mlp + platt": _PURPLE,
    "mlp + isotonic": _PINK,
    "seed mlp": _RED,
    "seed model": _RED,
    "logistic": _ORANGE,
    "logistic regression": _ORANGE,
    "boosting": _GREEN,
    "gradient boosting": _GREEN,
    "recency": _BROWN,
    "recency rule": _BROWN,
    "conv1d": _TEAL,
    "conv1d sequence model": _TEAL,
    "gru": _MUSTARD,
    "gru sequence model": _MUSTARD,
    "survival network": _SLATE,
    "oracle": _BLACK,
}

# Colours for names without a fixed one, chosen by a hash of the name.
FALLBACK_COLORS = (*PALETTE, _TEAL, _MUSTARD, _SLATE)

_QUALIFIER = re.compile(r"\s*\([^()]*\)$")  # a trailing "(...)", e.g. "(true probabilities)"


def model_color(name) -> str:
    """The colour of a model name: fixed for the workbook's models, a stable hash otherwise.

    Introduced in notebook 06. The name is compared case-insensitively with the keys of
    :data:`MODEL_PALETTE`; a trailing qualifier in parentheses does not change the colour
    ("oracle (true probabilities)" is drawn like "oracle", "MLP (balanced weights)" like
    "MLP"). Other names get one of :data:`FALLBACK_COLORS` chosen by the CRC-32 of the name,
    so a name keeps its colour across figures, sessions and machines. Two different names
    may share a colour; :func:`model_colors` keeps the models of one figure apart.

    Parameters
    ----------
    name : str
        A model name, as in the keys of ``scores={name: probabilities}``.

    Returns
    -------
    str
        A hex colour such as ``"#3a9d5d"``.

    Examples
    --------
    >>> model_color("boosting") == model_color("Gradient boosting") == "#3a9d5d"
    True
    >>> model_color("oracle (true latent state)")
    '#222222'
    >>> model_color("my new model") == model_color("my new model")
    True
    """
    key = str(name).strip().casefold()
    for candidate in (key, _QUALIFIER.sub("", key)):
        if candidate in MODEL_PALETTE:
            return MODEL_PALETTE[candidate]
    return FALLBACK_COLORS[zlib.crc32(key.encode("utf-8")) % len(FALLBACK_COLORS)]


def model_colors(names: Iterable) -> dict[str, str]:
    """Colours for the models of one figure: each name's :func:`model_color`, kept distinct.

    Introduced in notebook 06. When a name's colour is already taken by an earlier name of the
    same figure ("MLP raw" and "MLP (balanced weights)" are both the MLP's blue), it gets the
    first colour of :data:`FALLBACK_COLORS` that no other model of the figure uses or asks
    for, so the lines stay apart; colours repeat only beyond ten models.

    Examples
    --------
    >>> colors = model_colors(["MLP", "boosting", "MLP (balanced weights)"])
    >>> colors["MLP"] == model_color("MLP"), colors["MLP (balanced weights)"] != colors["MLP"]
    (True, True)
    """
    preferred = {str(name): model_color(name) for name in names}
    colors: dict[str, str] = {}
    for name, color in preferred.items():
        if color in colors.values():
            unused = [c for c in FALLBACK_COLORS if c not in colors.values()]
            # rather a colour no other model of this figure asks for
            free = [c for c in unused if c not in preferred.values()] or unused
            color = free[0] if free else color
        colors[name] = color
    return colors
