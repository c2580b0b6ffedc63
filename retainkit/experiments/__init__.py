"""Experiments on retention: A/B tests done right, and uplift (introduced in notebook 08).

Arms are ``"control"`` and ``"treatment"`` (0/1 is accepted too, 1 = treatment); every
effect is **treatment minus control**. Time is in days. Each function is cross-checked
against an independent oracle (statsmodels, scipy, lifelines, scikit-uplift, or tables
worked by hand) in ``tests/test_experiments.py``.

=========================  ======================  ========  ==============================
name                       file                    notebook  what it does
=========================  ======================  ========  ==============================
compare_proportions        _abtest.py              08        rate difference, lift, z-test
retention_ab               _abtest.py              08        day-N retention A/B test, only
                                                             users whose day N has elapsed
srm_test                   _srm.py                 08        sample-ratio-mismatch check
rmst_difference            _rmst.py                08        RMST per arm and difference,
                                                             with KM per arm and log-rank
sample_size_proportions    _power.py               08        users per arm for a rate
events_needed_logrank      _power.py               08        churns needed (Schoenfeld)
cuped                      _cuped.py               08        pre-period covariate adjustment
obrien_fleming_boundaries  _sequential.py          08        group-sequential boundaries
peeking_type_one_error     _sequential.py          08        A/A simulation of peeking
TLearner                   _uplift.py              08        two-model uplift learner
ClassTransformation        _uplift.py              08        one-model uplift learner
uplift_curve, qini_curve   _uplift_metrics.py      08        gains curves from an experiment
perfect_uplift_curve,      _uplift_metrics.py      08        the best possible curves
perfect_qini_curve
uplift_auc_score (AUUC),   _uplift_metrics.py      08        normalised areas under them
qini_auc_score
uplift_at_k                _uplift_metrics.py      08        observed uplift in the top k
policy_value               _policy.py              08        true value of targeting top k
compare_policies           _policy.py              08        risk vs uplift vs random vs
                                                             oracle, by the truth
=========================  ======================  ========  ==============================

The result types (``ProportionsComparison``, ``RetentionAB``, ``SRMResult``,
``RMSTDifference``, ``SampleSize``, ``EventsNeeded``, ``CupedResult``,
``SequentialBoundaries``, ``PeekingResult``, ``PolicyValue``) are exported too.
"""

from retainkit.experiments._abtest import (
    ProportionsComparison,
    RetentionAB,
    compare_proportions,
    retention_ab,
)
from retainkit.experiments._cuped import CupedResult, cuped
from retainkit.experiments._policy import PolicyValue, compare_policies, policy_value
from retainkit.experiments._power import (
    EventsNeeded,
    SampleSize,
    events_needed_logrank,
    sample_size_proportions,
)
from retainkit.experiments._rmst import RMSTDifference, rmst_difference
from retainkit.experiments._sequential import (
    PeekingResult,
    SequentialBoundaries,
    obrien_fleming_boundaries,
    peeking_type_one_error,
)
from retainkit.experiments._srm import SRMResult, srm_test
from retainkit.experiments._uplift import ClassTransformation, TLearner
from retainkit.experiments._uplift_metrics import (
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc_score,
    qini_curve,
    uplift_at_k,
    uplift_auc_score,
    uplift_curve,
)

__all__ = [
    "compare_proportions",
    "retention_ab",
    "srm_test",
    "rmst_difference",
    "sample_size_proportions",
    "events_needed_logrank",
    "cuped",
    "obrien_fleming_boundaries",
    "peeking_type_one_error",
    "TLearner",
    "ClassTransformation",
    "uplift_curve",
    "qini_curve",
    "perfect_uplift_curve",
    "perfect_qini_curve",
    "uplift_auc_score",
    "qini_auc_score",
    "uplift_at_k",
    "policy_value",
    "compare_policies",
    "ProportionsComparison",
    "RetentionAB",
    "SRMResult",
    "RMSTDifference",
    "SampleSize",
    "EventsNeeded",
    "CupedResult",
    "SequentialBoundaries",
    "PeekingResult",
    "PolicyValue",
]
