"""Plotting helpers: the workbook's style and one function per recurring figure.

``setup()`` and ``decorate()`` are introduced in notebook 00. Figure functions live in
topic submodules (``_retention``, ``_survival``, ...) and are re-exported here, so you
always call them as ``retainkit.plotting.<name>``.
"""

import importlib

from retainkit.plotting._base import decorate, setup
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

# Loaded on first use: the evaluation plots import scikit-learn and the SHAP plots import shap
# (and through it numba and TensorFlow), seconds of start-up that notebooks 00-04 should not pay.
_LAZY = {
    "plot_roc": "_evaluation",
    "plot_pr": "_evaluation",
    "plot_calibration": "_evaluation",
    "plot_lift": "_evaluation",
    "plot_gain": "_evaluation",
    "plot_cost_curve": "_evaluation",
    "plot_shap_beeswarm": "_explain",
    "plot_shap_bar": "_explain",
    "plot_shap_waterfall": "_explain",
    "plot_shap_dependence": "_explain",
    "plot_explainer_agreement": "_explain",
}

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
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f"retainkit.plotting.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'retainkit.plotting' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
