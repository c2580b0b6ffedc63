"""The workbook's plot style (introduced in notebook 00)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#d35fb7"]


def setup(*, dpi: int = 100, font_scale: float = 1.0) -> None:
    """Apply the workbook's plot style: white grid, colour-blind-safe palette, tight layout.

    Introduced in notebook 00. Call once per notebook, after the imports. It changes only
    matplotlib's rcParams (and seaborn's theme when seaborn is installed).
    """
    try:
        import seaborn as sns

        sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=font_scale)
    except ImportError:  # pragma: no cover - seaborn is a dependency, but stay usable without
        plt.style.use("default")
    mpl.rcParams.update(
        {
            "figure.dpi": dpi,
            "figure.figsize": (6.4, 4.0),
            "figure.autolayout": True,
            "axes.titleweight": "bold",
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "legend.frameon": False,
        }
    )


def decorate(ax=None, **options):
    """Set title, axis labels, limits, scales and the legend of a matplotlib axis in one call.

    Introduced in notebook 00; borrowed from Allen Downey's *Think Stats*. Keyword
    arguments are passed to ``ax.set`` (``title``, ``xlabel``, ``ylabel``, ``xlim``,
    ``ylim``, ``xscale``, ``yscale``, ...). A legend is drawn when the axis has labelled
    artists; pass ``legend=False`` to suppress it or ``loc=...`` to place it.

    Returns the axis, so calls can be chained.
    """
    ax = plt.gca() if ax is None else ax
    legend = options.pop("legend", True)
    loc = options.pop("loc", None)
    ax.set(**options)
    handles, labels = ax.get_legend_handles_labels()
    if legend and handles:
        ax.legend(handles, labels, loc=loc)
    return ax


def label_axes(ax, title: str, xlabel: str, ylabel: str) -> None:
    """Set a default title and axis labels, never overwriting ones already on the axis."""
    if not ax.get_title():
        ax.set_title(title)
    if not ax.get_xlabel():
        ax.set_xlabel(xlabel)
    if not ax.get_ylabel():
        ax.set_ylabel(ylabel)
