"""Survival analysis for retention: how long users stay, with censoring done right.

Introduced in notebook 03. Conventions used by every function here:

* time is measured in **days** (float); timedeltas are converted to days;
* ``observed=True`` (or 1) means the churn was seen, ``False`` (or 0) that the user was
  censored (still active, or out of sight, when the data end);
* S(t) = P(T > t) is the survival function, F = 1 - S, the density is f = F', the
  **hazard** is h = f / S (churns per day among users still active), and the cumulative
  hazard is H = -log S. F' is the density, not the hazard.
* the exponential model is parameterised by its **rate** λ (per day) and reports the scale
  1/λ (which is what lifelines calls ``lambda_``); the Weibull model uses lifelines'
  scale λ and shape ρ;
* a zero duration (a user who never came back, in data rounded to days) is never guessed
  at: ``fit_weibull`` raises unless ``zero_resolution=r`` says that an observed zero is a
  churn somewhere in ``[0, r]`` days (interval censoring); ``fit_exponential`` takes the
  same option (by default it treats zeros as exact times, with a warning).

Kaplan-Meier, Nelson-Aalen, the parametric fits (interval-censored zeros included) and the
log-rank tests (two groups, and k groups with ``multivariate_logrank_test``) agree with
lifelines (checked in ``tests/test_survival.py``).
"""

from retainkit._survival_data import durations_from_events
from retainkit._survival_logrank import (
    LogRankResult,
    MultivariateLogRankResult,
    logrank_test,
    multivariate_logrank_test,
)
from retainkit._survival_nonparametric import (
    MedianSurvival,
    kaplan_meier,
    median_survival,
    nelson_aalen,
    smoothed_hazard,
)
from retainkit._survival_parametric import (
    ExponentialFit,
    WeibullFit,
    fit_exponential,
    fit_weibull,
)
from retainkit._survival_sbg import SBGFit, fit_sbg, sbg_survival

__all__ = [
    "durations_from_events",
    "kaplan_meier",
    "median_survival",
    "nelson_aalen",
    "smoothed_hazard",
    "fit_exponential",
    "fit_weibull",
    "logrank_test",
    "multivariate_logrank_test",
    "fit_sbg",
    "sbg_survival",
    "MedianSurvival",
    "ExponentialFit",
    "WeibullFit",
    "LogRankResult",
    "MultivariateLogRankResult",
    "SBGFit",
]
