"""Plotting helpers: the workbook's style and one function per recurring figure.

One convention, as seaborn's: every figure function takes a keyword ``ax=None``, draws on the
current axis (``plt.gca()``, a new figure when none is open) when it is None, and returns the
axis it drew on (``plot_calibration`` adds a counts panel below its axis and returns the main
axis). Models are drawn in one colour per name across figures (:func:`model_color`).
Always call them as ``retainkit.plotting.<name>``:

=================================================  ==============  ========
name                                               file            notebook
=================================================  ==============  ========
setup, decorate                                    _base.py        00
plot_retention_heatmap, plot_retention_curves      _retention.py   02
plot_lifecycle                                     _retention.py   02
plot_km, at_risk_counts                            _survival.py    03
plot_cumulative_hazard, plot_hazard                _survival.py    03
plot_loglog                                        _survival.py    03
model_color, model_colors (and MODEL_PALETTE)      _palette.py     06
plot_roc, plot_pr, plot_calibration                _evaluation.py  06
plot_lift, plot_gain, plot_cost_curve              _evaluation.py  06
plot_shap_beeswarm, plot_shap_bar                  _explain.py     07
plot_shap_waterfall, plot_shap_dependence          _explain.py     07
plot_explainer_agreement                           _explain.py     07
=================================================  ==============  ========
"""

import importlib

from retainkit.plotting._base import decorate, setup
from retainkit.plotting._palette import MODEL_PALETTE as MODEL_PALETTE  # not in __all__ (below)
from retainkit.plotting._palette import model_color, model_colors
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
    plot_loglog,
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
    "model_color",
    "model_colors",
    "at_risk_counts",
    "plot_cumulative_hazard",
    "plot_hazard",
    "plot_km",
    "plot_loglog",
    "plot_retention_heatmap",
    "plot_retention_curves",
    "plot_lifecycle",
    *_LAZY,
]
# MODEL_PALETTE (name -> colour) is importable from here too; __all__ lists the functions only.


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f"retainkit.plotting.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'retainkit.plotting' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
