"""Retention figures: cohort heatmap, retention curves with intervals, lifecycle bars.

Introduced in notebook 02. Each function draws on ``ax`` (default: the current axis), sets
a title and axis labels with units unless the axis already has them, and returns the axis.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator, PercentFormatter

from retainkit._validation import table_counts
from retainkit.plotting._base import PALETTE, current_axes, decorate
from retainkit.retention import retention_curve

_DATE_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}
_BAR_DAYS = {"day": 0.8, "week": 5.6, "month": 24.0}
_MAX_ANNOTATED = 600  # cells; beyond this the numbers are unreadable anyway


def _options(frame: pd.DataFrame) -> dict:
    return dict(frame.attrs.get("retainkit", {}))


def _periods_label(opts: dict) -> str:
    period = opts.get("period", "period")
    window = opts.get("window")
    unit = {"day": "days", "week": "weeks", "month": "months"}.get(period, "periods")
    if window == "rolling":
        step = {"day": "24 h", "week": "7 d", "month": "30 d"}.get(period, "")
        return f"{unit.capitalize()} since start ({step} steps from each user's start)"
    return f"{unit.capitalize()} since start (calendar {period}s, UTC)"


def plot_retention_heatmap(
    table: pd.DataFrame,
    ax=None,
    *,
    annotate: bool | None = None,
    cmap: str = "Blues",
    colorbar: bool = True,
    vmax: float | None = 1.0,
    decimals: int | None = None,
):
    """Cohort retention table as a heatmap, percentages written in the cells.

    Introduced in notebook 02. Rows are cohorts (oldest on top), columns periods since the
    start; incomplete (NaN) cells are left visibly empty (no colour, no number), so they
    cannot be mistaken for 0 %. Cohort sizes are written beside the rows on the right.
    Works with rate or count tables from ``retention_table`` and ``bracket_retention``.

    Parameters
    ----------
    table : pandas.DataFrame
        A retention or bracket table.
    ax : matplotlib Axes, optional
    annotate : bool or None
        Write the percentage in each complete cell; None (default) does so up to 600 cells.
    cmap : str, default "Blues"
    colorbar : bool, default True
    vmax : float or None, default 1.0
        Rate at which the colour saturates. The default keeps 0-100 % comparable across
        figures; for low-retention data (e.g. CDNOW's few percent) pass a smaller value, or
        None for the largest rate after column 0.
    decimals : int or None
        Decimals of the written percentages; None (default) gives 0, or 1 when ``vmax`` is
        at most 0.2 (shares of a few per cent need the decimal). With decimals the numbers
        are written without the % sign, so that they fit in narrow cells (the colour bar
        says they are percentages).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> cohorts = pd.to_datetime(["2025-01-06", "2025-01-13"]).tz_localize("UTC")
    >>> table = pd.DataFrame({"cohort_size": [100, 80], 0: [1.0, 1.0], 1: [0.4, np.nan]},
    ...                      index=cohorts)
    >>> table.attrs["retainkit"] = {"period": "week", "mode": "on"}
    >>> ax = plot_retention_heatmap(table)
    >>> ax.get_title(), [text.get_text() for text in ax.texts]  # the NaN cell stays empty
    ("N-period ('on') retention by first-start cohort", ['100%', '40%', '100%'])
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    opts = _options(table)
    sizes, counts = table_counts(table)
    rates = counts.to_numpy() / sizes[:, None]
    n_rows, n_cols = rates.shape
    if vmax is None:
        later = rates[:, 1:] if n_cols > 1 else rates
        vmax = float(np.nanmax(later)) if np.isfinite(later).any() else 1.0
    image = ax.imshow(np.ma.masked_invalid(rates), cmap=cmap, vmin=0, vmax=vmax, aspect="auto",
                      interpolation="nearest")
    ax.set_facecolor("white")
    ax.grid(False)
    if decimals is None:
        decimals = 1 if vmax <= 0.2 else 0
    if annotate or (annotate is None and rates.size <= _MAX_ANNOTATED):
        font = "x-small" if n_cols <= 12 else "xx-small"
        for i, j in zip(*np.nonzero(~np.isnan(rates)), strict=True):
            value = rates[i, j]
            text = f"{value:.0%}" if decimals == 0 else f"{100 * value:.{decimals}f}"
            if decimals and value >= 0.9995:  # "100.0" would not fit the cell
                text = "100"
            ax.text(j, i, text, ha="center", va="center", fontsize=font,
                    color="white" if value > 0.6 * vmax else "black")
    period = opts.get("period", "day")
    if list(counts.columns) == list(range(n_cols)):  # periods 0..N sit at x = 0..N
        ax.xaxis.set_major_locator(MaxNLocator(nbins=min(n_cols, 20), integer=True))
    else:  # bracket labels such as "2-7"
        ax.set_xticks(range(n_cols), labels=[str(c) for c in counts.columns])
    labels = [_format_label(c, period) for c in table.index]
    ax.set_yticks(range(n_rows), labels=labels)
    sizes_axis = ax.secondary_yaxis("right")
    sizes_axis.set_yticks(range(n_rows), labels=[f"{int(s):,}" for s in sizes])
    sizes_axis.set_ylabel("Cohort size (users)")
    if n_rows > 30:  # thin the tick labels of long tables; both axes stay aligned
        step = int(np.ceil(n_rows / 30))
        ax.set_yticks(range(0, n_rows, step), labels=labels[::step])
        sizes_axis.set_yticks(range(0, n_rows, step),
                              labels=[f"{int(s):,}" for s in sizes[::step]])
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, pad=0.15, format=PercentFormatter(1))
        bar.set_label("Retained (% of cohort)")
    mode = opts.get("mode", "retention")
    kind = {"on": "N-period ('on')", "on_or_after": "on-or-after",
            "bracket": "bracket"}.get(mode, mode)
    cohort = opts.get("cohort", "first")
    decorate(
        ax,
        overwrite=False,
        legend=False,
        title=f"{kind.capitalize()} retention by {cohort}-start cohort",
        xlabel=_periods_label(opts) if mode != "bracket" else f"Bracket ({period}s since start)",
        ylabel=f"Cohort ({period} of {'first ' if cohort == 'first' else ''}start, UTC)",
    )
    return ax


def plot_retention_curves(data, by: str | None = None, ax=None, *, intervals: bool = True,
                          conf_level: float = 0.95):
    """Average retention curves with interval bands, one line per segment (or per cohort).

    Introduced in notebook 02. ``data`` may be

    - a table from ``retention_table``: its average curve (see
      ``retainkit.retention.retention_curve``) with a Wilson band, or with ``by="cohort"``
      one line per cohort (no bands; incomplete cells leave the line short);
    - a curve from ``retention_curve``: drawn as it is;
    - a dict ``{label: table or curve}``: one line and band per segment (e.g. channel);
    - a long DataFrame of curves with a column named ``by`` (e.g. ``pd.concat`` of curves
      with a ``channel`` column): one line per value of that column.

    Parameters
    ----------
    data : DataFrame or dict
    by : str, optional
        ``"cohort"`` for a table, or the segment column of a long frame of curves.
    ax : matplotlib Axes, optional
    intervals : bool, default True
        Draw the ``ci_lower``-``ci_upper`` band.
    conf_level : float, default 0.95
        Used when curves have to be computed from tables.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> paid = pd.DataFrame({"retention": [1.0, 0.4, 0.3]}, index=pd.Index([0, 1, 2]))
    >>> ax = plot_retention_curves({"paid": paid, "organic": paid * 0.9}, intervals=False)
    >>> ax.get_title(), [text.get_text() for text in ax.get_legend().get_texts()]
    ('Retention curves', ['paid', 'organic'])
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    series = _curves(data, by, conf_level)
    opts = {}
    if by == "cohort":  # oldest to newest cohort on a sequential scale
        colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(series)))
        shown = {0, len(series) - 1} if len(series) > 12 else set(range(len(series)))
    else:
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
        shown = set(range(len(series)))
    for i, (label, curve) in enumerate(series):
        opts = opts or _options(curve)
        color = colors[i]
        x = _x_positions(curve.index)
        ax.plot(x, curve["retention"].to_numpy(float), marker="o", markersize=3, color=color,
                label=None if label is None or i not in shown else str(label))
        if intervals and "ci_lower" in curve.columns:
            ax.fill_between(x, curve["ci_lower"].to_numpy(float),
                            curve["ci_upper"].to_numpy(float), color=color, alpha=0.2,
                            linewidth=0)
    first_index = series[0][1].index
    if not pd.api.types.is_integer_dtype(first_index):
        ax.set_xticks(_x_positions(first_index), labels=[str(c) for c in first_index])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(PercentFormatter(1))
    ax.set_ylim(0, 1.02)
    if any(label is not None for label, _ in series):
        ax.legend(title=by)
    band = f", {conf_level:.0%} intervals" if intervals and by != "cohort" else ""
    decorate(ax, overwrite=False, legend=False,
             title=f"Retention curve{'s' if len(series) > 1 else ''}{band}",
             xlabel=_periods_label(opts), ylabel="Retained users (% of cohort)")
    return ax


def plot_lifecycle(frame: pd.DataFrame, ax=None):
    """Lifecycle bars: new, returning and resurrecting stacked up, dormant drawn negative.

    Introduced in notebook 02. ``frame`` comes from ``retainkit.retention.lifecycle``. The
    unfinished last period (a row of NaN) is left out. Bars above zero add up to the period's
    active users; the bar below zero is the users lost since the previous period.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> weeks = pd.to_datetime(["2025-01-06", "2025-01-13"]).tz_localize("UTC")
    >>> frame = pd.DataFrame({"new": [30, 20], "returning": [0, 18], "resurrecting": [0, 2],
    ...                       "dormant": [0, -12]}, index=weeks)
    >>> ax = plot_lifecycle(frame)
    >>> ax.get_title(), [float(bar.get_height()) for bar in ax.patches][-2:]  # dormant bars
    ('User lifecycle per week', [0.0, -12.0])
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    missing = [c for c in ("new", "returning", "resurrecting", "dormant")
               if c not in frame.columns]
    if missing:
        raise ValueError(f"plot_lifecycle needs a lifecycle() frame; missing columns {missing}")
    period = _options(frame).get("period", "week")
    done = frame.dropna()
    x = done.index.tz_localize(None) if isinstance(done.index, pd.DatetimeIndex) else done.index
    width = _BAR_DAYS.get(period, 0.8)
    bottom = np.zeros(len(done))
    colors = {"new": PALETTE[0], "returning": PALETTE[2], "resurrecting": PALETTE[1],
              "dormant": PALETTE[3]}
    for name in ("new", "returning", "resurrecting"):
        heights = done[name].to_numpy(float)
        ax.bar(x, heights, width=width, bottom=bottom, color=colors[name], label=name,
               align="edge")
        bottom += heights
    ax.bar(x, done["dormant"].to_numpy(float), width=width, color=colors["dormant"],
           label="dormant", align="edge")
    ax.axhline(0, color="black", linewidth=0.8)
    if isinstance(done.index, pd.DatetimeIndex):
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        # the offset under the axis names the year only (not "2026-May" from the last tick)
        offsets = ["", "%Y", "%Y", "%Y", "%Y", "%Y"]
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, offset_formats=offsets))
    ax.legend(loc="upper left", ncols=2)
    decorate(ax, overwrite=False, legend=False, title=f"User lifecycle per {period}",
             xlabel=f"{period.capitalize()} starting (UTC)",
             ylabel="Users (dormant drawn below zero)")
    return ax


# ---- helpers --------------------------------------------------------------------------------
def _format_label(label, period: str) -> str:
    if isinstance(label, pd.Timestamp):
        return label.strftime(_DATE_FORMAT.get(period, "%Y-%m-%d"))
    return str(label)


def _x_positions(index: pd.Index) -> np.ndarray:
    if pd.api.types.is_integer_dtype(index):
        return index.to_numpy()
    return np.arange(len(index))


def _as_curve(frame: pd.DataFrame, conf_level: float) -> pd.DataFrame:
    if "retention" in frame.columns:
        return frame
    return retention_curve(frame, conf_level=conf_level)


def _curves(data, by, conf_level) -> list[tuple[object, pd.DataFrame]]:
    if isinstance(data, dict):
        if not data:
            raise ValueError("plot_retention_curves got an empty dict")
        return [(label, _as_curve(frame, conf_level)) for label, frame in data.items()]
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            "plot_retention_curves expects a retention table, a retention curve, a dict of "
            f"them or a long frame of curves; got {type(data).__name__}"
        )
    if by == "cohort" and "cohort_size" in data.columns:
        sizes, counts = table_counts(data)
        rates = counts.div(sizes, axis=0)
        period = _options(data).get("period", "day")
        out = []
        for label, row in rates.iterrows():
            curve = pd.DataFrame({"retention": row.to_numpy(float)},
                                 index=pd.Index(rates.columns, name="period"))
            curve.attrs["retainkit"] = _options(data)
            out.append((_format_label(label, period), curve))
        return out
    if by is not None and by != "cohort":
        if by not in data.columns:
            raise ValueError(f"by={by!r} is not a column of the curves frame; columns: "
                             f"{list(data.columns)}")
        return [(label, group.drop(columns=by)) for label, group in data.groupby(by, sort=False)]
    return [(None, _as_curve(data, conf_level))]
