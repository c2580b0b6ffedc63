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
* **delayed entry** (left truncation): ``entry=`` gives the tenure in days at which each user
  entered observation (e.g. the log starts after they signed up); a user is at risk at t
  when ``entry <= t <= duration`` (lifelines' convention), in ``kaplan_meier``,
  ``nelson_aalen``, ``fit_exponential``, ``fit_weibull``, the log-rank tests, ``rmst`` and
  ``aalen_johansen``;
* a zero duration (a user who never came back, in data rounded to days) is never guessed
  at: ``fit_weibull`` raises unless ``zero_resolution=r`` says that an observed zero is a
  churn somewhere in ``[0, r]`` days (interval censoring); ``fit_exponential`` takes the
  same option (by default it treats zeros as exact times, with a warning).

Kaplan-Meier, Nelson-Aalen, the parametric fits (interval-censored zeros and delayed entry
included), RMST, Aalen-Johansen and the log-rank tests (two groups, and k groups with
``multivariate_logrank_test``) agree with lifelines; the log-rank tests with delayed entry, the
discrete-time hazard and the PH test are checked against hand-computed tables and statsmodels
(``tests/test_survival.py``).

=========================  =====================  ========  =====================================
name                       file                   notebook  what it does
=========================  =====================  ========  =====================================
durations_from_events      ``_data.py``           03        event log -> (duration, observed) per
                                                            user, churn after ``inactivity``
kaplan_meier               ``_nonparametric.py``  03        S(t) with its log-log interval
median_survival            ``_nonparametric.py``  03        median of a Kaplan-Meier table, with
                                                            its interval
MedianSurvival             ``_nonparametric.py``  03        result of ``median_survival``
nelson_aalen               ``_nonparametric.py``  03        cumulative hazard H(t), interval
smoothed_hazard            ``_nonparametric.py``  03        kernel-smoothed hazard h(t)
fit_exponential            ``_parametric.py``     03        exponential MLE (rate λ per day)
ExponentialFit             ``_parametric.py``     03        result of ``fit_exponential``
fit_weibull                ``_weibull.py``        03        Weibull MLE (scale λ, shape ρ)
WeibullFit                 ``_weibull.py``        03        result of ``fit_weibull``
logrank_test               ``_logrank.py``        03        log-rank test of two groups
LogRankResult              ``_logrank.py``        03        result of ``logrank_test``
multivariate_logrank_test  ``_logrank.py``        03        log-rank test of k >= 2 groups
MultivariateLogRankResult  ``_logrank.py``        03        result of
                                                            ``multivariate_logrank_test``
fit_sbg                    ``_sbg.py``            03        shifted-beta-geometric fit to
                                                            survivor counts (Fader & Hardie 2007)
SBGFit                     ``_sbg.py``            03        result of ``fit_sbg``
sbg_survival               ``_sbg.py``            03        sBG survival S(t) for given α, β
rmst                       ``_rmst.py``           03        restricted mean survival time to tau,
                                                            with its standard error and interval
RMSTResult                 ``_rmst.py``           03        result of ``rmst``
ph_test                    ``_ph.py``             03        Cox model and Schoenfeld-residual test
                                                            of proportional hazards (lifelines)
person_period              ``_discrete.py``       03        one row per user and interval at risk
fit_discrete_hazard        ``_discrete.py``       03        discrete-time hazard by logistic
                                                            regression (statsmodels GLM)
DiscreteHazardFit          ``_discrete.py``       03        result of ``fit_discrete_hazard``
frailty_population_hazard  ``_frailty.py``        03        population hazard λ / (1 + v λ t)
                                                            under gamma frailty
aalen_johansen             ``_competing.py``      03        cumulative incidence of one kind of
                                                            churn among competing kinds
=========================  =====================  ========  =====================================

The log(-log S) plot that goes with ``ph_test`` is ``retainkit.plotting.plot_loglog``.

Private files: ``_zeros.py`` holds the interval-censored zero durations of the parametric fits
(``zero_resolution=``) and ``_checks.py`` the checks of durations, churn flags and groups;
checks shared with other topics come from ``retainkit._validation`` and event logs are read by
the events front door (``retainkit.events._reader``).
"""

from retainkit.survival._competing import aalen_johansen
from retainkit.survival._data import durations_from_events
from retainkit.survival._discrete import DiscreteHazardFit, fit_discrete_hazard, person_period
from retainkit.survival._frailty import frailty_population_hazard
from retainkit.survival._logrank import (
    LogRankResult,
    MultivariateLogRankResult,
    logrank_test,
    multivariate_logrank_test,
)
from retainkit.survival._nonparametric import (
    MedianSurvival,
    kaplan_meier,
    median_survival,
    nelson_aalen,
    smoothed_hazard,
)
from retainkit.survival._parametric import ExponentialFit, fit_exponential
from retainkit.survival._ph import ph_test
from retainkit.survival._rmst import RMSTResult, rmst
from retainkit.survival._sbg import SBGFit, fit_sbg, sbg_survival
from retainkit.survival._weibull import WeibullFit, fit_weibull

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
    "rmst",
    "RMSTResult",
    "ph_test",
    "person_period",
    "fit_discrete_hazard",
    "DiscreteHazardFit",
    "frailty_population_hazard",
    "aalen_johansen",
]
