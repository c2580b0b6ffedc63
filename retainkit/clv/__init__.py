"""Customer-base models for non-contractual settings, where nobody cancels.

Introduced in notebook 10. In a **non-contractual** business (a shop, an app without
subscriptions) customers never say they have left: you only see purchases, and a quiet
customer may be gone or merely between purchases. These models infer that from each
customer's **frequency**, **recency** and age **T** (see :func:`rfm_summary`), then
predict future purchases, the probability of being alive, and lifetime value.

Conventions: time is in the unit of the RFM summary (weeks = whole days / 7 by default);
gamma distributions are parameterised by shape and **rate** (``alpha``, ``beta``,
``gamma`` are rates, so E[λ] = r / α); a "transaction" is a purchase day, and the first
one only starts the clock (frequency counts repeat purchases).

======================================  =================  ========
name                                    file               notebook
======================================  =================  ========
rfm_summary                             _rfm.py            10
fit_bgnbd, BGNBDFit                     _bgnbd.py          10
fit_pareto_nbd, ParetoNBDFit            _pareto_nbd.py     10
fit_gamma_gamma, GammaGammaFit          _gamma_gamma.py    10
customer_lifetime_value                 _value.py          10
holdout_by_frequency                    _holdout.py        10
cumulative_tracking                     _holdout.py        10
======================================  =================  ========

The fits' methods ``probability_alive(summary)``,
``conditional_expected_transactions(t, summary)`` and ``expected_transactions(t)`` (shared
code in ``_fitting.py``) give the predictions. On the CDNOW sample the three fits reproduce
the published estimates (Fader, Hardie & Lee 2005; Fader & Hardie 2013), checked in
``tests/test_clv.py``.
"""

from retainkit.clv._bgnbd import BGNBDFit, fit_bgnbd
from retainkit.clv._gamma_gamma import GammaGammaFit, fit_gamma_gamma
from retainkit.clv._holdout import cumulative_tracking, holdout_by_frequency
from retainkit.clv._pareto_nbd import ParetoNBDFit, fit_pareto_nbd
from retainkit.clv._rfm import rfm_summary
from retainkit.clv._value import customer_lifetime_value

__all__ = [
    "rfm_summary",
    "fit_bgnbd",
    "fit_pareto_nbd",
    "fit_gamma_gamma",
    "customer_lifetime_value",
    "holdout_by_frequency",
    "cumulative_tracking",
    "BGNBDFit",
    "ParetoNBDFit",
    "GammaGammaFit",
]
