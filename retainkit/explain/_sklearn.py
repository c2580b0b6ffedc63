"""SHAP back-ends for scikit-learn churn models: linear models and tree ensembles.

Introduced in notebook 07; the front door is :func:`retainkit.explain.explain`, which sends a
scikit-learn classifier here. Two exact explainers, each on the model's own output space:

- ``method="linear"``: shap's ``LinearExplainer`` (independent masker, i.e. interventional),
  for ``LogisticRegression`` and other linear classifiers with one row of ``coef_``, alone or
  after ``StandardScaler`` steps in a ``Pipeline`` (the scaler is folded into the coefficients,
  so the SHAP values belong to the raw columns). The output is the **log-odds**
  (``decision_function``): ``phi_j = w_j (x_j - mean of x_j over the background)``, the base
  value is the mean log-odds over the background, and the values add up exactly.
- ``method="tree"``: shap's ``TreeExplainer`` with ``feature_perturbation="tree_path_dependent"``
  for ``HistGradientBoostingClassifier``, ``GradientBoostingClassifier``,
  ``RandomForestClassifier``, ``ExtraTreesClassifier`` and ``DecisionTreeClassifier`` (also after
  ``StandardScaler`` steps). The output is the model's raw score: **log-odds** for the boosted
  ensembles (``decision_function``), the **probability** of churn for forests and single
  trees (their raw output is an average of leaf frequencies). The trees' own training-data
  cover (the share of training rows down each branch) plays the background, so
  ``background`` is not used and the base value is the model's average raw output over its
  training rows. The interventional variant is not used: in shap 0.51 it routes a value
  lying exactly on one of ``HistGradientBoostingClassifier``'s thresholds (which can be data
  values) down the wrong branch, and its values then miss the output by up to 0.16 log-odds.

The model-agnostic ``kernel`` and ``permutation`` methods work for any classifier with
``predict_proba``, on the probability (default) or the logit of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap

_LINEAR_HINT = "LogisticRegression (alone or after StandardScaler in a Pipeline)"
_TREE_NAMES = {
    "HistGradientBoostingClassifier": "logit",
    "GradientBoostingClassifier": "logit",
    "RandomForestClassifier": "probability",
    "ExtraTreesClassifier": "probability",
    "DecisionTreeClassifier": "probability",
}


def is_sklearn_classifier(model) -> bool:
    """A fitted scikit-learn-style classifier (``predict_proba`` and ``classes_``), not Keras."""
    return hasattr(model, "predict_proba") and hasattr(model, "classes_") and not hasattr(
        model, "layers"
    )


def auto_method(model) -> str:
    """The exact explainer for this scikit-learn model: "linear" or "tree"."""
    final = _split(model)[1]
    if type(final).__name__ in _TREE_NAMES:
        return "tree"
    if _is_linear(final):
        return "linear"
    raise ValueError(
        f"method='auto' has no exact explainer for {type(final).__name__}: pass "
        "method='kernel' or method='permutation' (model-agnostic, they call predict_proba)"
    )


def check_binary(model, n_features: int) -> None:
    classes = np.asarray(getattr(model, "classes_", [])).tolist()
    if len(classes) != 2:
        raise ValueError(
            f"model must be a binary classifier (churn or not), got classes {classes}"
        )
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and expected != n_features:
        raise ValueError(
            f"feature count mismatch: X has {n_features} columns, the model expects {expected}"
        )


def natural_output(model, method: str) -> str:
    """The output space of the exact explainer ("logit" or "probability")."""
    if method == "linear":
        return "logit"
    return _TREE_NAMES[type(tree_estimator(model)).__name__]


def linear_values(model, bg, x):
    """Exact linear SHAP values on the log-odds, and the base value (mean log-odds of ``bg``)."""
    coef, intercept = linear_coefficients(model)
    explainer = shap.LinearExplainer((coef, intercept), shap.maskers.Independent(bg, len(bg)))
    values = np.asarray(explainer.shap_values(x), dtype=float)
    return values, float(np.asarray(explainer.expected_value).ravel()[0])


def tree_estimator(model):
    """The tree ensemble at the end of ``model``, or ``ValueError``."""
    steps, final = _split(model)
    if type(final).__name__ not in _TREE_NAMES:
        raise ValueError(
            f"method='tree' needs a tree ensemble ({', '.join(_TREE_NAMES)}), got "
            f"{type(final).__name__}"
        )
    _check_scalers(steps, "tree")
    return final


def tree_values(model, x):
    """Exact path-dependent TreeSHAP values on the model's raw output, and the base value."""
    steps, final = _split(model)
    tree_estimator(model)
    inputs = _transform(steps, x)
    explainer = shap.TreeExplainer(final, feature_perturbation="tree_path_dependent")
    values = np.asarray(explainer.shap_values(inputs, check_additivity=False), dtype=float)
    base = np.asarray(explainer.expected_value, dtype=float).ravel()
    if values.ndim == 3:  # forests: one slice per class; churn is the second class
        values, base = values[..., 1], base[1:]
    return values, float(base[0])


def predict_function(model, output: str):
    """``f(x)`` for the model-agnostic explainers: P(churn), or its logit."""

    names = getattr(model, "feature_names_in_", None)

    def probability(a):
        a = np.asarray(a, dtype=float)
        if names is not None:  # a model fitted on a DataFrame warns about bare arrays
            a = pd.DataFrame(a, columns=names)
        return model.predict_proba(a)[:, 1].astype(float)

    if output == "probability":
        return probability

    def logit(a):
        p = np.clip(probability(a), 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p))

    return logit


# --- helpers ---------------------------------------------------------------------------------


def _split(model):
    """(preprocessing steps, final estimator) of a Pipeline; ([], model) otherwise."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return [], model
    return [step for _, step in steps[:-1] if step not in (None, "passthrough")], steps[-1][1]


def _is_linear(estimator) -> bool:
    coef = getattr(estimator, "coef_", None)
    return coef is not None and np.ndim(coef) == 2 and np.shape(coef)[0] == 1


def _check_scalers(steps, method):
    for step in steps:
        if type(step).__name__ != "StandardScaler":
            raise ValueError(
                f"method={method!r} explains a Pipeline only when its steps before the model are "
                f"StandardScaler (the SHAP values then belong to the raw columns), got "
                f"{type(step).__name__}: use method='kernel' or 'permutation'"
            )


def _transform(steps, x):
    _check_scalers(steps, "tree")
    for step in steps:
        names = getattr(step, "feature_names_in_", None)
        x = step.transform(x if names is None else pd.DataFrame(x, columns=names))
    return np.asarray(x, dtype=float)


def linear_coefficients(model):
    """Coefficients and intercept of the log-odds in the raw columns (scalers folded in)."""
    steps, final = _split(model)
    if not _is_linear(final):
        raise ValueError(
            f"method='linear' needs a linear classifier such as {_LINEAR_HINT}, got "
            f"{type(final).__name__}"
        )
    _check_scalers(steps, "linear")
    coef = np.asarray(final.coef_, dtype=float)[0]
    intercept = float(np.asarray(final.intercept_, dtype=float).ravel()[0])
    for step in reversed(steps):  # w . (x - mean) / scale + b = (w / scale) . x + b'
        mean = np.zeros(len(coef)) if step.mean_ is None else np.asarray(step.mean_, float)
        scale = np.ones(len(coef)) if step.scale_ is None else np.asarray(step.scale_, float)
        coef = coef / scale
        intercept -= float(coef @ mean)
    return coef, intercept


def setup(model, method, output, explainers):
    """(explainer, what it calls, output scale) for a scikit-learn classifier.

    ``explainers`` maps ``"kernel"`` and ``"permutation"`` to the model-agnostic
    explainers of ``_backends`` (they call ``predict_proba``).
    """
    if method in ("deep", "gradient"):
        raise ValueError(
            f"method={method!r} needs a Keras network; for {type(model).__name__} use 'auto', "
            "'linear', 'tree', 'kernel' or 'permutation'"
        )
    if method in ("kernel", "permutation"):
        scale = "probability" if output is None else output
        return explainers[method], predict_function(model, scale), scale
    if method == "tree":
        tree_estimator(model)  # a clear error before anything else
    scale = natural_output(model, method)
    if output is not None and output != scale:
        raise ValueError(
            f"output={output!r}: method={method!r} explains this model's own output space "
            f"({scale!r}) exactly; for {output!r} use method='kernel' or 'permutation'"
        )
    if method == "linear":
        linear_coefficients(model)  # a clear error before anything else
        return (lambda m, bg, x, seed, kw: linear_values(m, bg, x)), model, scale
    return (lambda m, bg, x, seed, kw: tree_values(m, x)), model, scale
