"""Survival figures: Kaplan-Meier with an at-risk table, hazard and cumulative hazard.

Introduced in notebook 03. Each function takes either a table computed by
``retainkit.survival`` or raw ``durations`` (days) and ``observed`` flags (or, for the
hazard plots, a fitted model from ``fit_exponential``/``fit_weibull``), draws on ``ax``
(default: the current axis) and returns the axis. Call them again on the same axis to
overlay groups.
"""

from __future__ import annotations

import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from retainkit.plotting._base import current_axes, decorate
from retainkit.survival import kaplan_meier, nelson_aalen, smoothed_hazard

TIME_LABEL = "Days since start"
_AT_RISK_GID = "retainkit-at-risk"
_FIRST_ROW_Y, _ROW_STEP = -0.24, -0.08  # at-risk rows, in axes fractions below the x axis


def _table_or_estimate(data, observed, column: str, estimator, **options) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame) and column in data.columns:
        return data
    if observed is None:
        raise ValueError(
            f"pass a table with a {column!r} column, or durations together with observed"
        )
    return estimator(data, observed, **options)


def at_risk_counts(km_table: pd.DataFrame, ticks) -> np.ndarray:
    """Number of subjects still at risk (duration >= t) at each time in ``ticks`` (days).

    Introduced in notebook 03; read off a ``kaplan_meier`` or ``nelson_aalen`` table.

    Examples
    --------
    >>> table = kaplan_meier([1.0, 2.0, 2.0, 3.0, 5.0, 8.0], [True, True, False, True, True, False])
    >>> at_risk_counts(table, [0, 2, 4, 10]).tolist()
    [6, 5, 2, 0]
    """
    times = km_table.index.to_numpy(float)
    at_risk = np.append(km_table["at_risk"].to_numpy(), 0)  # 0 after the last duration
    return at_risk[np.searchsorted(times, np.asarray(ticks, dtype=float), side="left")]


def _draw_at_risk_row(ax, km_table: pd.DataFrame, ticks, label: str, color) -> None:
    rows = [t for t in ax.texts if t.get_gid() == _AT_RISK_GID and t.get_ha() == "right"]
    y = _FIRST_ROW_Y + _ROW_STEP * len(rows)
    blended = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    # the row label sits left of the axis, clear of a count centred at t = 0
    left_of_axis = ax.transAxes + mtransforms.ScaledTranslation(
        -24 / 72, 0, ax.figure.dpi_scale_trans
    )
    ax.text(
        0,
        y,
        label,
        transform=left_of_axis,
        ha="right",
        va="center",
        color=color,
        fontsize="small",
        gid=_AT_RISK_GID,
        clip_on=False,
    )
    for tick, count in zip(ticks, at_risk_counts(km_table, ticks), strict=True):
        ax.text(
            tick,
            y,
            f"{count:d}",
            transform=blended,
            ha="center",
            va="center",
            color=color,
            fontsize="small",
            gid=_AT_RISK_GID,
            clip_on=False,
        )


def _at_risk_ticks(ax, km_table: pd.DataFrame, at_risk_ticks) -> np.ndarray:
    """Explicit ticks, else those of a table already under this axis, else nice round ones."""
    if at_risk_ticks is not None:
        return np.asarray(at_risk_ticks, dtype=float)
    existing = [
        t.get_position()[0]
        for t in ax.texts
        if t.get_gid() == _AT_RISK_GID and t.get_ha() == "center"
    ]
    if existing:
        return np.unique(existing)
    ticks = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(0, km_table.index.max())
    return ticks[(ticks >= 0) & (ticks <= km_table.index.max())]


def plot_km(
    data,
    observed=None,
    *,
    ax=None,
    label: str | None = None,
    conf_level: float = 0.95,
    ci: bool = True,
    at_risk_table: bool = True,
    at_risk_ticks=None,
    color=None,
):
    """Plot a Kaplan-Meier curve as steps, its confidence band, and an at-risk table.

    Introduced in notebook 03. ``data`` is either a table from
    ``retainkit.survival.kaplan_meier`` or durations in days (then pass ``observed``, True
    when the churn was seen). The band is the pointwise exponential-Greenwood interval.
    Under the axis a row shows how many users are still at risk (duration >= t) at each
    of ``at_risk_ticks`` (default: round ticks across the data, reused by later curves on
    the same axis, which stack their rows): the curve is unreliable where few remain.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> durations = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0]  # days
    >>> observed = [True, True, False, True, True, False]
    >>> ax = plot_km(durations, observed, label="all users")
    >>> ax.get_lines()[0].get_ydata().round(3).tolist()
    [1.0, 0.833, 0.667, 0.444, 0.222, 0.222]
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    table = _table_or_estimate(data, observed, "survival", kaplan_meier, conf_level=conf_level)
    times = table.index.to_numpy(float)
    (line,) = ax.step(times, table["survival"], where="post", label=label, color=color)
    if ci:
        ax.fill_between(
            times,
            table["ci_lower"],
            table["ci_upper"],
            step="post",
            color=line.get_color(),
            alpha=0.2,
            linewidth=0,
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    decorate(ax, overwrite=False, legend=False, title="Kaplan-Meier survival curve",
             xlabel=TIME_LABEL, ylabel="Share still active, S(t)")
    if at_risk_table:
        ticks = _at_risk_ticks(ax, table, at_risk_ticks)
        _draw_at_risk_row(ax, table, ticks, label or "At risk", line.get_color())
    if label is not None:
        ax.legend()
    return ax


def _model_times(ax, times) -> np.ndarray:
    if times is not None:
        return np.asarray(times, dtype=float)
    if not ax.has_data():
        raise ValueError("pass times= (days) to plot a fitted model on an empty axis")
    return np.linspace(0.0, ax.get_xlim()[1], 200)


def plot_cumulative_hazard(
    data,
    observed=None,
    *,
    ax=None,
    label: str | None = None,
    times=None,
    conf_level: float = 0.95,
    ci: bool = True,
    color=None,
):
    """Plot the cumulative hazard H(t) = -log S(t): Nelson-Aalen steps or a fitted model.

    Introduced in notebook 03. ``data`` is a ``nelson_aalen`` table, durations in days
    (with ``observed``), or a fitted model with a ``cumulative_hazard`` method
    (``fit_exponential``, ``fit_weibull``), drawn as a smooth curve at ``times`` (default:
    200 points across the axis' current x range). An exponential model is a straight
    line; a Weibull with shape < 1 bends down (falling hazard).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> durations = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0]  # days
    >>> observed = [True, True, False, True, True, False]
    >>> ax = plot_cumulative_hazard(durations, observed)
    >>> ax.get_lines()[0].get_ydata().round(3).tolist()  # 1/6, + 1/5, + 1/3, + 1/2
    [0.0, 0.167, 0.367, 0.7, 1.2, 1.2]
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    if hasattr(data, "cumulative_hazard") and not isinstance(data, pd.DataFrame):
        grid = _model_times(ax, times)
        ax.plot(grid, data.cumulative_hazard(grid), label=label, color=color)
    else:
        table = _table_or_estimate(
            data, observed, "cumulative_hazard", nelson_aalen, conf_level=conf_level
        )
        times_ = table.index.to_numpy(float)
        (line,) = ax.step(
            times_, table["cumulative_hazard"], where="post", label=label, color=color
        )
        if ci:
            ax.fill_between(
                times_,
                table["ci_lower"],
                table["ci_upper"],
                step="post",
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
    ax.set_xlim(left=0)
    decorate(ax, overwrite=False, legend=False, title="Cumulative hazard", xlabel=TIME_LABEL,
             ylabel="Cumulative hazard H(t)")
    if label is not None:
        ax.legend()
    return ax


def plot_hazard(
    data,
    observed=None,
    *,
    bandwidth: float | None = None,
    ax=None,
    label: str | None = None,
    times=None,
    conf_level: float = 0.95,
    ci: bool = True,
    color=None,
):
    """Plot the hazard h(t) = f(t) / S(t): kernel-smoothed estimate or a fitted model.

    Introduced in notebook 03. The hazard is the churn rate per day among users still
    active at t (not the density f). ``data`` is a ``smoothed_hazard`` table, durations in
    days with ``observed`` (then ``bandwidth`` in days is required and the Nelson-Aalen
    increments are smoothed with an Epanechnikov kernel), or a fitted model with a
    ``hazard`` method (``fit_exponential``: flat; ``fit_weibull``: falling for shape < 1),
    drawn at ``times`` (default: 200 points across the current x range). The smoothed
    estimate is biased down within one bandwidth of 0.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> durations = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0]  # days
    >>> observed = [True, True, False, True, True, False]
    >>> ax = plot_hazard(durations, observed, bandwidth=2.0)
    >>> ax.get_title(), bool((ax.get_lines()[0].get_ydata() >= 0).all())
    ('Hazard h(t) = f(t) / S(t)', True)
    >>> plt.close("all")
    """
    ax = current_axes(ax)
    if hasattr(data, "hazard") and not isinstance(data, pd.DataFrame):
        grid = _model_times(ax, times)
        ax.plot(grid, data.hazard(grid), label=label, color=color)
    else:
        if not (isinstance(data, pd.DataFrame) and "hazard" in data.columns) and bandwidth is None:
            raise ValueError("pass bandwidth= (days) to smooth the hazard of raw durations")
        table = _table_or_estimate(
            data,
            observed,
            "hazard",
            smoothed_hazard,
            bandwidth=bandwidth,
            times=times,
            conf_level=conf_level,
        )
        grid = table.index.to_numpy(float)
        (line,) = ax.plot(grid, table["hazard"], label=label, color=color)
        if ci:
            ax.fill_between(
                grid,
                table["ci_lower"],
                table["ci_upper"],
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
            )
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    decorate(ax, overwrite=False, legend=False, title="Hazard h(t) = f(t) / S(t)",
             xlabel=TIME_LABEL, ylabel="Hazard (churns per user-day)")
    if label is not None:
        ax.legend()
    return ax


def plot_loglog(km_by_group, ax=None, *, colors=None):
    """Plot log(-log S(t)) against log t per group: the proportional-hazards check by eye.

    Introduced in notebook 03. Under proportional hazards ``S_g(t) = S_0(t) ** HR_g``, so
    ``log(-log S_g(t)) = log HR_g + log(-log S_0(t))``: the curves of the groups are
    **parallel**, a vertical distance ``log HR`` apart; curves that converge, diverge or
    cross say the hazard ratio changes with tenure. A Weibull model is a straight line of
    slope ρ (the shape). Only times with 0 < S < 1 are drawn, the time axis is
    logarithmic. Curves that look roughly parallel do not establish proportional hazards
    (the right end rests on few users); read them with ``retainkit.survival.ph_test``.

    Parameters
    ----------
    km_by_group : mapping
        ``{label: table}`` with tables from ``retainkit.survival.kaplan_meier``, or
        ``{label: (durations, observed)}`` (days; True = churn seen).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current axis (``plt.gca()``).
    colors : mapping, optional
        ``{label: colour}``; default the colour cycle.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> groups = {"paid": ([1, 2, 3, 5, 8], [1, 1, 1, 0, 1]),
    ...           "organic": ([2, 4, 6, 9, 12], [1, 0, 1, 1, 0])}
    >>> ax = plot_loglog(groups)
    >>> [line.get_label() for line in ax.get_lines()], ax.get_xscale()
    (['paid', 'organic'], 'log')
    >>> ax.get_lines()[0].get_ydata().round(3).tolist()  # log(-log S) at days 1, 2, 3, 5
    [-1.5, -0.672, -0.087, -0.087]
    >>> plt.close("all")
    """
    if not hasattr(km_by_group, "items") or len(km_by_group) == 0:
        raise ValueError(
            "km_by_group must be a non-empty mapping {label: kaplan_meier table} or "
            "{label: (durations, observed)}"
        )
    ax = current_axes(ax)
    colors = colors or {}
    for label, data in km_by_group.items():
        if isinstance(data, pd.DataFrame):
            table = _table_or_estimate(data, None, "survival", kaplan_meier)
        else:
            try:
                durations, observed = data
            except (TypeError, ValueError):
                raise ValueError(
                    f"km_by_group[{label!r}] must be a kaplan_meier table or a pair "
                    "(durations, observed)"
                ) from None
            table = kaplan_meier(durations, observed)
        survival = table["survival"].to_numpy(float)
        times = table.index.to_numpy(float)
        inside = (times > 0) & (survival > 0) & (survival < 1)
        if not inside.any():
            raise ValueError(
                f"km_by_group[{label!r}]: S(t) never lies strictly between 0 and 1 at t > 0, "
                "so log(-log S) has nothing to show"
            )
        ax.step(times[inside], np.log(-np.log(survival[inside])), where="post",
                label=str(label), color=colors.get(label))
    ax.set_xscale("log")
    decorate(ax, overwrite=False, legend=False,
             title="log(-log S) by group: parallel curves under proportional hazards",
             xlabel="Days since start (log scale)", ylabel="log(-log S(t))")
    ax.legend(title="group")
    return ax
