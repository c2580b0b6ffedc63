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

_LAZY = (
    "plot_shap_beeswarm",
    "plot_shap_bar",
    "plot_shap_waterfall",
    "plot_shap_dependence",
    "plot_explainer_agreement",
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
    *_LAZY,
]


def __getattr__(name):
    # SHAP plots import shap (and through it numba and TensorFlow): seconds of start-up that
    # notebooks 00-04 should not pay. They are loaded on first use instead.
    if name in _LAZY:
        from retainkit.plotting import _explain

        return getattr(_explain, name)
    raise AttributeError(f"module 'retainkit.plotting' has no attribute {name!r}")
