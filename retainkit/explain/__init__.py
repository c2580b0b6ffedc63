"""Explaining a churn model with SHAP (introduced in notebook 07).

``explain`` computes SHAP values for a Keras model that takes one 2-D float input (a
DataFrame of features, one row per user) and returns one churn probability per row, or for a
scikit-learn classifier: logistic regression through shap's linear explainer and tree
ensembles (``HistGradientBoostingClassifier`` included) through its tree explainer, both
exact, in the model's own output space (log-odds, or the probability for forests).
``driver_table`` turns them into a global ranking of features, ``group_importance`` into the
credit of groups of features (mean |sum of the group's signed values|, not the sum of the
columns' mean |SHAP|), ``reason_codes`` into plain words per user (optionally only large
reasons, without non-actionable attributes), ``reason_code_agreement`` measures how stable
those words are, and ``importance_by_method`` lines up several explainers for comparison.

A model that sees transformed inputs (``log_counts``, a scaler) is explained on those inputs,
but people read raw units: ``explain(..., display_data=raw)`` or
``with_display_data(explanation, raw)`` attach the raw values, and the tables, reason codes
and plots then show them ("no activity for 10.6 days", not the 2.45 the model saw).

A SHAP value is an *attribution*, not a cause: it says how much a feature moved this
model's prediction away from the average prediction over the background data. The values
of one row add up to ``prediction - base value`` (exactly for the deep, kernel, permutation,
linear and tree explainers, approximately for the gradient explainer).

Where each public name lives (all are imported from ``retainkit.explain``):

====================================================  ===============  ========
name                                                  file             notebook
====================================================  ===============  ========
explain                                               _backends.py     07
METHODS, SKLEARN_METHODS, OUTPUTS                     _backends.py     07
BACKGROUND_SAMPLING                                   _backends.py     07
ADDITIVITY_TOLERANCE                                  _backends.py     07
with_display_data                                     _summaries.py    07
driver_table                                          _summaries.py    07
reason_codes                                          _summaries.py    07
importance_by_method                                  _summaries.py    07
group_importance, reason_code_agreement               _groups.py       07
REASON_DIRECTIONS, RAISES, LOWERS, UNCLEAR            _summaries.py    07
====================================================  ===============  ========

The scikit-learn explainers live in ``_sklearn.py``. Input checks (feature frames,
background, display values, the model's shape) live in ``_checks.py``. The figures live in
:mod:`retainkit.plotting`.
"""

import warnings as _warnings

with _warnings.catch_warnings():  # shap imports tqdm.auto, which warns when ipywidgets is absent
    _warnings.filterwarnings("ignore", message="IProgress not found")
    import shap as _shap  # noqa: F401

from retainkit.explain._backends import (
    ADDITIVITY_TOLERANCE,
    BACKGROUND_SAMPLING,
    METHODS,
    OUTPUTS,
    SKLEARN_METHODS,
    explain,
)
from retainkit.explain._groups import group_importance, reason_code_agreement
from retainkit.explain._summaries import (
    LOWERS,
    RAISES,
    REASON_DIRECTIONS,
    UNCLEAR,
    driver_table,
    importance_by_method,
    reason_codes,
    with_display_data,
)

__all__ = [
    "explain",
    "with_display_data",
    "driver_table",
    "reason_codes",
    "importance_by_method",
    "group_importance",
    "reason_code_agreement",
    "METHODS",
    "SKLEARN_METHODS",
    "OUTPUTS",
    "BACKGROUND_SAMPLING",
    "ADDITIVITY_TOLERANCE",
    "REASON_DIRECTIONS",
    "RAISES",
    "LOWERS",
    "UNCLEAR",
]
