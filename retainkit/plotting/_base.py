"""The workbook's plot style (introduced in notebook 00)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#c0392b", "#7d5ba6", "#8c6d31", "#d35fb7"]


def setup(*, dpi: int = 100, font_scale: float = 1.0) -> None:
    """Apply the workbook's plot style: white grid, colour-blind-safe palette, tight layout.

    Introduced in notebook 00. Call once per notebook, after the imports. It changes only
    matplotlib's rcParams (and seaborn's theme when seaborn is installed).

    Examples
    --------
    >>> setup()
    >>> mpl.rcParams["axes.titleweight"], mpl.rcParams["axes.prop_cycle"].by_key()["color"][0]
    ('bold', '#1b6ca8')
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


_LABELS = ("title", "xlabel", "ylabel")


def decorate(ax=None, *, overwrite: bool = True, legend: bool = True, loc=None, **options):
    """Set title, axis labels, limits, scales and the legend of a matplotlib axis in one call.

    Introduced in notebook 00; borrowed from Allen Downey's *Think Stats*. Keyword
    arguments are passed to ``ax.set`` (``title``, ``xlabel``, ``ylabel``, ``xlim``,
    ``ylim``, ``xscale``, ``yscale``, ...). A legend is drawn when the axis has labelled
    artists; pass ``legend=False`` to suppress it or ``loc=...`` to place it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        The axis to decorate; default the current one (``plt.gca()``).
    overwrite : bool, default True
        With False, a title or axis label already on the axis is kept and the one given here
        is only a default. The workbook's figure functions decorate this way, so labels you
        set before calling them, or a first call on the same axis, win.
    legend : bool, default True
    loc : str, optional
        Legend position, as in ``ax.legend(loc=...)``.
    **options
        Passed to ``ax.set``.

    Returns
    -------
    matplotlib.axes.Axes
        The axis, so calls can be chained.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="users")
    >>> ax = decorate(ax, title="Signups", xlabel="day", ylabel="users", xlim=(0, 2))
    >>> ax.get_title(), [float(x) for x in ax.get_xlim()], ax.get_legend() is not None
    ('Signups', [0.0, 2.0], True)
    >>> ax = decorate(ax, overwrite=False, title="Default title", ylabel="count")
    >>> ax.get_title(), ax.get_ylabel()
    ('Signups', 'users')
    >>> plt.close(fig)
    """
    ax = current_axes(ax)
    if not overwrite:
        present = {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel()}
        options = {k: v for k, v in options.items() if k not in _LABELS or not present[k]}
    ax.set(**options)
    handles, labels = ax.get_legend_handles_labels()
    if legend and handles:
        ax.legend(handles, labels, loc=loc)
    return ax


def current_axes(ax=None):
    """``ax``, or the current axis (``plt.gca()``, a new figure when none is open)."""
    return plt.gca() if ax is None else ax
