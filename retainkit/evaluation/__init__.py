"""Evaluating churn models for decisions: classification, ranking, calibration, cost, survival.

Introduced in notebook 06. Conventions used throughout:

- ``y_true`` is binary with 1 = churned (the positive class) and ``p`` is the predicted
  probability of churn. Lists, NumPy arrays and pandas Series are accepted; a Keras
  ``predict`` output of shape ``(n, 1)`` is flattened. When both ``y_true`` and ``p`` are
  Series their indexes must be equal (align them first), so rows are never paired by accident.
- A user is *targeted* (predicted churner) when ``p >= threshold``.
- Survival metrics use the survival module's convention: time in days, ``observed=True``
  when the churn was seen and ``False`` when censored. A *risk* score is higher for users
  expected to churn sooner; a *survival* prediction is P(T > t).

Where each public name lives (all are imported from ``retainkit.evaluation``):

==========================  =====================  ========
name                        file                   notebook
==========================  =====================  ========
classification_summary      _classification.py     06
threshold_for_cost          _decisions.py          06
threshold_for_value         _decisions.py          06
ThresholdResult             _decisions.py          06
lift_table                  _decisions.py          06
calibration_table           _calibration.py        06
expected_calibration_error  _calibration.py        06
compare_models              _compare.py            06
stratified_split            _compare.py            05
paired_interval             _compare.py            05
summarize_runs              _compare.py            05
rolling_origin              _compare.py            05
BacktestFold                _compare.py            05
concordance_index           _survival_metrics.py   06
brier_score                 _survival_metrics.py   06
brier_score_curve           _survival_metrics.py   06
integrated_brier_score      _survival_metrics.py   06
ipcw_weights                _survival_metrics.py   06
==========================  =====================  ========

Notebook 05 already uses ``compare_models`` to line up the models it trains; notebook 06
explains it. The figures for these metrics live in :mod:`retainkit.plotting`.
"""

from retainkit.evaluation._calibration import calibration_table, expected_calibration_error
from retainkit.evaluation._classification import classification_summary
from retainkit.evaluation._compare import (
    BacktestFold,
    compare_models,
    paired_interval,
    rolling_origin,
    stratified_split,
    summarize_runs,
)
from retainkit.evaluation._decisions import (
    ThresholdResult,
    lift_table,
    threshold_for_cost,
    threshold_for_value,
)
from retainkit.evaluation._survival_metrics import (
    brier_score,
    brier_score_curve,
    concordance_index,
    integrated_brier_score,
    ipcw_weights,
)

__all__ = [
    "classification_summary",
    "threshold_for_cost",
    "threshold_for_value",
    "ThresholdResult",
    "lift_table",
    "calibration_table",
    "expected_calibration_error",
    "compare_models",
    "stratified_split",
    "paired_interval",
    "summarize_runs",
    "rolling_origin",
    "BacktestFold",
    "concordance_index",
    "brier_score",
    "brier_score_curve",
    "integrated_brier_score",
    "ipcw_weights",
]
