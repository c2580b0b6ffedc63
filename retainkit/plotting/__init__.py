"""Plotting helpers: the workbook's style and one function per recurring figure.

``setup()`` and ``decorate()`` are introduced in notebook 00. Figure functions live in
topic submodules (``_retention``, ``_survival``, ...) and are re-exported here, so you
always call them as ``retainkit.plotting.<name>``.
"""

from retainkit.plotting._base import decorate, setup
from retainkit.plotting._evaluation import (
    plot_calibration,
    plot_cost_curve,
    plot_gain,
    plot_lift,
    plot_pr,
    plot_roc,
)
from retainkit.plotting._retention import (
    plot_lifecycle,
    plot_retention_curves,
    plot_retention_heatmap,
)
from retainkit.plotting._survival import (
    at_risk_counts,
    plot_cumulative_hazard,
    plot_hazard,
    plot_km,
)

__all__ = [
    "setup",
    "decorate",
    "at_risk_counts",
    "plot_cumulative_hazard",
    "plot_hazard",
    "plot_km",
    "plot_retention_heatmap",
    "plot_retention_curves",
    "plot_lifecycle",
    "plot_roc",
    "plot_pr",
    "plot_calibration",
    "plot_lift",
    "plot_gain",
    "plot_cost_curve",
]
