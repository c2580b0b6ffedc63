"""Uplift learners: who is persuaded by the treatment, not who is at risk.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from retainkit.experiments._inputs import as_binary, as_float_array, as_treatment

BALANCE_TOLERANCE = 1e-12


def _rows(X, mask: np.ndarray):
    return X.iloc[mask] if hasattr(X, "iloc") else np.asarray(X)[mask]


def _check_fit_inputs(X, treatment, y) -> tuple[np.ndarray, np.ndarray]:
    n = len(X)
    if n == 0:
        raise ValueError("X is empty")
    arm = as_treatment(treatment, name="treatment", n=n)
    outcome = as_float_array(y, name="y")
    if len(outcome) != n:
        raise ValueError(f"y has length {len(outcome)} but X has {n} rows")
    return arm, outcome


def _positive_probability(model, X) -> np.ndarray:
    classes = list(model.classes_)
    if 1 not in classes:
        raise ValueError(f"the classifier was fitted on classes {classes}; y must be 0/1")
    return model.predict_proba(X)[:, classes.index(1)]


class TLearner(BaseEstimator):
    """Two-model uplift learner: one outcome model per arm, uplift = their difference.

    Introduced in notebook 08. Fits ``estimator`` (cloned) on the control users and on
    the treated users separately; the predicted uplift is ``mu_t(x) - mu_c(x)``,
    treatment minus control. With a classifier (anything with ``predict_proba``) and
    0/1 ``y``, the ``mu`` are probabilities (say of being retained) and the uplift a
    difference in probability; with a regressor they are expected values. Simple and
    unbiased with enough data per arm, but the difference of two noisy models is noisy:
    each model is fitted to predict the outcome, not the effect.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Any classifier (``predict_proba``) or regressor.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.0], [1.0], [1.0]] * 50)
    >>> treatment = np.tile([0, 1], 100)
    >>> y = np.array([0, 0, 0, 1, 1, 1, 1, 1] * 25)
    >>> model = TLearner(LogisticRegression(C=1e6)).fit(X, treatment, y)
    >>> model.predict(np.array([[0.0], [1.0]])).round(2).tolist()
    [0.0, 0.5]
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, treatment, y):
        """Fit the two outcome models; ``treatment`` is "control"/"treatment" or 0/1."""
        arm, outcome = _check_fit_inputs(X, treatment, y)
        self.uses_probability_ = hasattr(self.estimator, "predict_proba")
        if self.uses_probability_:
            outcome = as_binary(outcome, name="y").astype(float)
        models = []
        for code, name in ((0, "control"), (1, "treatment")):
            mine = arm == code
            if self.uses_probability_ and len(np.unique(outcome[mine])) < 2:
                raise ValueError(
                    f"y takes a single value in the {name} arm; a classifier needs both 0 and 1"
                )
            models.append(clone(self.estimator).fit(_rows(X, mine), outcome[mine]))
        self.model_control_, self.model_treatment_ = models
        return self

    def predict_outcomes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Predicted outcome under control and under treatment, ``(mu_c(x), mu_t(x))``."""
        check_is_fitted(self, "model_control_")
        if self.uses_probability_:
            return (
                _positive_probability(self.model_control_, X),
                _positive_probability(self.model_treatment_, X),
            )
        return self.model_control_.predict(X), self.model_treatment_.predict(X)

    def predict(self, X) -> np.ndarray:
        """Predicted uplift ``mu_t(x) - mu_c(x)`` (treatment minus control)."""
        control, treated = self.predict_outcomes(X)
        return np.asarray(treated, dtype=float) - np.asarray(control, dtype=float)


class ClassTransformation(BaseEstimator):
    """Class-transformation uplift learner (Jaskowski & Jaroszewicz 2012): one classifier.

    Introduced in notebook 08. For a 0/1 outcome ``y`` and arm ``w`` (1 = treatment), the
    new label ``z = y w + (1 - y)(1 - w)`` is 1 for treated users with the outcome and for
    control users without it. When both arms are equally likely,
    ``uplift(x) = 2 P(z = 1 | x) - 1``. Unequal arms are re-weighted to equal total weight
    (each treated user weighs ``0.5 / share_treated``, each control user
    ``0.5 / share_control``), which makes the identity hold again; this needs an
    ``estimator`` whose ``fit`` takes ``sample_weight`` unless the arms are exactly equal.
    Uses all the data in one model, which regularises the effect directly.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Anything with ``predict_proba``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.0], [1.0], [1.0]] * 50)
    >>> treatment = np.tile([0, 1], 100)
    >>> y = np.array([0, 0, 0, 1, 1, 1, 1, 1] * 25)
    >>> model = ClassTransformation(LogisticRegression(C=1e6)).fit(X, treatment, y)
    >>> model.predict(np.array([[0.0], [1.0]])).round(2).tolist() == [0.0, 0.5]
    True
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, treatment, y):
        """Fit the classifier on the transformed label; ``treatment`` as in TLearner."""
        if not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                "estimator must be a classifier with predict_proba for ClassTransformation; "
                "use TLearner for a regressor"
            )
        arm, outcome = _check_fit_inputs(X, treatment, y)
        outcome = as_binary(outcome, name="y")
        label = outcome * arm + (1 - outcome) * (1 - arm)
        share = arm.mean()
        self.treatment_share_ = float(share)
        model = clone(self.estimator)
        if abs(share - 0.5) <= BALANCE_TOLERANCE:
            model.fit(X, label)
        elif has_fit_parameter(model, "sample_weight"):
            weight = np.where(arm == 1, 0.5 / share, 0.5 / (1 - share))
            model.fit(X, label, sample_weight=weight)
        else:
            raise ValueError(
                f"treatment has a treated share of {share:.3f}, not 0.5, and "
                f"{type(model).__name__}.fit takes no sample_weight to re-balance the arms; "
                "use TLearner or an estimator that accepts sample_weight"
            )
        self.model_ = model
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted uplift ``2 P(z = 1 | x) - 1`` (treatment minus control)."""
        check_is_fitted(self, "model_")
        return 2 * _positive_probability(self.model_, X) - 1
