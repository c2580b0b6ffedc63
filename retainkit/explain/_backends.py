"""SHAP back-ends: the ``explain`` front door, its four Keras explainers, and the dispatch to
the scikit-learn ones (``_sklearn.py``).

Introduced in notebook 07; an overview is in :mod:`retainkit.explain`. ``explain`` checks its
inputs (``_checks.py``), samples the background, and runs one of shap's Deep, Gradient, Kernel
or Permutation explainers on a Keras model called directly in large batches (never through
``model.predict``), on the probability or the exact logit scale; scikit-learn classifiers go
to shap's Linear or Tree explainer (exact, on the model's own output space) or to the
model-agnostic ones through ``predict_proba``.
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
import weakref

import numpy as np
import pandas as pd
import shap

from retainkit._validation import check_choice, check_int
from retainkit.explain import _sklearn as sk
from retainkit.explain._checks import (
    background_array,
    check_model_inputs,
    display_array,
    feature_array,
)
from retainkit.explain._sklearn import auto_method, check_binary, is_sklearn_classifier

METHODS = ("auto", "deep", "gradient", "kernel", "permutation", "linear", "tree")
SKLEARN_METHODS = ("linear", "tree")  # exact explainers of scikit-learn models
OUTPUTS = ("probability", "logit")
BACKGROUND_SAMPLING = ("random", "kmeans")
ADDITIVITY_TOLERANCE = 1e-3  # deep: |sum of SHAP + base - output| allowed before a warning

_BATCH_ROWS = 65_536  # rows per direct model call: large enough to amortise call overhead
# Messages that shap and Keras 3 print on every call and that say nothing useful to a learner.
_NOISE = (
    r"Your TensorFlow version is newer than 2\.4\.0",
    r"The structure of `inputs` doesn't match the expected structure",
)


def explain(
    model,
    background,
    X: pd.DataFrame,
    *,
    method: str = "auto",
    n_background: int = 100,
    seed: int = 0,
    output: str | None = None,
    background_sampling: str = "random",
    display_data=None,
    **kw,
) -> shap.Explanation:
    """SHAP values of a churn model (Keras or scikit-learn) for the users in ``X``.

    Introduced in notebook 07. Two kinds of model:

    - **Keras**: one 2-D float input with one column per feature of ``X`` (in the same
      order) and one output unit; normalisation layers inside the model are fine. The
      model is called directly (``model(x, training=False)``) in large batches, never
      through ``model.predict``, which is many times slower for the thousands of small
      calls the model-agnostic explainers make.
    - **scikit-learn**: a fitted binary classifier with ``predict_proba`` (class 1 =
      churn). ``LogisticRegression`` and tree ensembles (``HistGradientBoostingClassifier``,
      ``GradientBoostingClassifier``, ``RandomForestClassifier``, ``ExtraTreesClassifier``,
      ``DecisionTreeClassifier``), alone or after ``StandardScaler`` steps of a ``Pipeline``,
      have exact explainers (``"linear"``, ``"tree"``); any classifier works with
      ``"kernel"`` and ``"permutation"``. Features are passed as float64.

    Parameters
    ----------
    model : keras.Model or scikit-learn classifier
        A built Keras model (Sequential or functional) whose last layer has one unit, or a
        fitted scikit-learn binary classifier (or ``Pipeline``).
    background : pandas.DataFrame, numpy.ndarray or None
        Rows that define "average" (typically training rows). A DataFrame must hold every
        column of ``X``; it is reordered to ``X``'s column order. Not used by
        ``method="tree"`` (None is accepted there), whose trees carry their own training
        cover.
    X : pandas.DataFrame
        The users to explain, numeric columns only. Its columns become the feature names
        and its index the ``instance_names`` of the result.
    method : {"auto", "deep", "gradient", "kernel", "permutation", "linear", "tree"}
        - ``"auto"`` (default): ``"deep"`` for a Keras model, ``"linear"`` or ``"tree"`` for
          a scikit-learn model that has one (``ValueError`` otherwise: choose ``"kernel"``
          or ``"permutation"``).
        - ``"deep"`` (Keras): DeepExplainer, DeepLIFT's rescale rule, one pass per row. Exactly
          additive for Dense, ReLU, sigmoid, Dropout and (Batch)Normalization layers.
          Warns when the values miss the output by more than 1e-3; raises ``ValueError``
          when they miss it by more than shap's own tolerance (``check_additivity=False``
          turns that check off) or when a layer has no DeepLIFT rule (LayerNormalization,
          gelu, custom Lambda layers): use another method for such models.
        - ``"gradient"`` (Keras): GradientExplainer, expected gradients from ``nsamples``
          random interpolations per row; additive only on average.
        - ``"kernel"``: KernelExplainer, a weighted regression over feature coalitions;
          model-agnostic, exactly additive. ``l1_reg=False`` here, because shap's default
          silently keeps only the top 10 features.
        - ``"permutation"``: PermutationExplainer, antithetic permutations; exactly
          additive. About ``max_evals / (2 * n_features + 1)`` model calls per row (default
          ``max_evals=500``): the slowest method, and its first call in a session compiles
          shap's numba helpers (several seconds).
        - ``"linear"`` (scikit-learn linear classifier): shap's LinearExplainer with an
          independent masker: ``phi_j = w_j (x_j - mean of x_j over the background)`` in
          **log-odds** (``decision_function``), with a ``StandardScaler`` folded into ``w``.
          Exactly additive; the base value is the mean log-odds over the background sample.
        - ``"tree"`` (scikit-learn tree ensemble): shap's TreeExplainer, path-dependent
          (exact TreeSHAP, no background: the share of training rows down each branch
          stands in for it). The output is the model's raw score: **log-odds** for the
          boosted ensembles, the churn **probability** for forests and single trees.
          Exactly additive; the base value is the mean raw output over the training rows.
          (shap 0.51's interventional variant misroutes values lying on a
          ``HistGradientBoostingClassifier`` threshold, so it is not used.)
    n_background : int, default 100
        Rows kept from ``background``. Cost grows linearly with it for every method.
    seed : int, default 0
        Seeds the background sample and the explainers' own sampling, so a call is
        reproducible. shap draws from NumPy's global random state; it is restored after
        the call.
    output : {None, "probability", "logit"}
        ``None`` (default): the probability for Keras models and the model-agnostic
        methods, the model's own output space for ``"linear"`` (log-odds) and ``"tree"``
        (see ``method``). ``"probability"`` explains the model's output as it is.
        ``"logit"`` explains the log-odds: for Keras the function builds a sub-model that
        ends in a copy of the last Dense layer without its sigmoid, so *every* method,
        DeepExplainer included, sees the exact logit; this needs a last layer
        ``Dense(..., activation="sigmoid")`` (other models raise ``ValueError``). For
        scikit-learn, ``"kernel"`` and ``"permutation"`` explain ``log(p / (1 - p))`` of
        ``predict_proba``; ``"linear"`` and ``"tree"`` accept only their own space. On the
        logit scale contributions add up in log-odds; on the probability scale they are
        squeezed near 0 and 1.
    background_sampling : {"random", "kmeans"}
        ``"random"``: ``shap.sample`` (without replacement, ``random_state=seed``).
        ``"kmeans"`` (kernel method only): ``shap.kmeans`` summarises the background with
        ``n_background`` weighted centroids (shap fixes its k-means seed to 0), so the
        kernel explainer can use few rows that still stand for the whole background.
    display_data : pandas.DataFrame or numpy.ndarray, optional
        The values to *show* for the users in ``X`` when the model sees transformed inputs:
        for a model trained on ``log_counts(X_raw)``, pass ``X_raw``. The SHAP values are
        computed on ``X`` whatever this is; see :func:`with_display_data` for what it must
        look like and what uses it.
    **kw
        Passed to the explainer's call: ``nsamples`` (gradient, default 200; kernel,
        default ``2 * n_features + 2048`` coalitions, all of them when fewer exist),
        ``l1_reg`` (kernel), ``max_evals`` (permutation), ``check_additivity`` (deep).

    Returns
    -------
    shap.Explanation
        ``.values`` (n_rows x n_features) on the chosen scale, ``.base_values`` (n_rows:
        the mean output over the background sample, or shap's estimate of it),
        ``.data`` (the feature values of ``X``), ``.feature_names`` (the columns of
        ``X``), ``.instance_names`` (the index of ``X``), ``.output_names`` (the scale:
        "probability", "logit" or "model output" when the last layer is not a sigmoid),
        ``.display_data`` (``display_data`` as a float array aligned with ``X``, or None)
        and ``.compute_time`` (seconds spent explaining). For ``"tree"`` the base value is
        the mean raw output over the training rows, not over ``background``.

    Raises
    ------
    ValueError
        Unknown ``method``, ``output`` or ``background_sampling``; non-numeric, missing or
        non-finite features; a feature count that does not match the model's input; a
        model with more than one output unit, or a classifier with other than two classes;
        a method that does not fit the model (``"deep"`` for scikit-learn, ``"tree"`` for a
        linear model, a Pipeline step other than ``StandardScaler``); an ``output`` outside
        the exact explainer's space; ``output="logit"`` without a final sigmoid;
        a model DeepExplainer cannot handle (see ``method``); a ``display_data`` that does
        not match ``X`` (see :func:`with_display_data`).

    Examples
    --------
    A logistic model that sees ``log1p`` of its two count features, explained exactly by the
    kernel method; the reason code shows the raw value:

    >>> import keras
    >>> raw = pd.DataFrame({"recency_days": [10.6, 0.0, 3.0, 1.0], "sessions_7d": [0, 9, 2, 5]},
    ...                    index=pd.Index([101, 102, 103, 104], name="user_id"))
    >>> X = np.log1p(raw)
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    >>> model.layers[-1].set_weights([np.array([[1.5], [-0.5]]), np.array([0.0])])
    >>> e = explain(model, X, X, method="kernel", display_data=raw)
    >>> e.values.shape, e.output_names
    ((4, 2), 'probability')
    >>> p = np.asarray(model(X.to_numpy("float32")))[:, 0]
    >>> bool(np.allclose(e.values.sum(axis=1) + e.base_values, p, atol=1e-5))
    True
    >>> from retainkit.explain import reason_codes
    >>> days = {"recency_days": "no activity for {value:.1f} days"}
    >>> reason_codes(e, top=1, templates=days).loc[101, "reason_1"]
    'no activity for 10.6 days — raises risk'

    A scikit-learn pipeline is explained exactly (``method="auto"`` picks the linear
    explainer), in log-odds:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(raw, [1, 0, 1, 0])
    >>> e = explain(logistic, raw, raw)
    >>> e.output_names
    'logit'
    >>> bool(np.allclose(e.values.sum(axis=1) + e.base_values, logistic.decision_function(raw)))
    True
    """
    check_choice("method", method, METHODS)
    check_choice("output", output, (None, *OUTPUTS))
    check_choice("background_sampling", background_sampling, BACKGROUND_SAMPLING)
    sklearn_model = is_sklearn_classifier(model)
    dtype = np.float64 if sklearn_model else np.float32
    x = feature_array(X, "X", dtype)
    if sklearn_model:
        check_binary(model, x.shape[1])
    if method == "auto":
        method = auto_method(model) if sklearn_model else "deep"
    if background_sampling == "kmeans" and method != "kernel":
        raise ValueError(
            f"background_sampling='kmeans' works only with method='kernel' (the weighted "
            f"centroids are ignored by the other explainers), got method={method!r}"
        )
    n_background = check_int("n_background", n_background, 1)
    bg = None if method == "tree" else background_array(background, X, dtype)
    if display_data is not None:  # checked before the (slow) explainers run
        display_data = display_array(
            display_data, [str(c) for c in X.columns], list(X.index), x.shape
        )
    if sklearn_model:
        explainer, call, scale = sk.setup(model, method, output, _EXPLAINERS)
    else:
        if method in SKLEARN_METHODS:
            raise ValueError(
                f"method={method!r} explains scikit-learn models; for a Keras model use "
                "'deep', 'gradient', 'kernel' or 'permutation'"
            )
        check_model_inputs(model, x.shape[1])
        net, scale = _output_model(model, "probability" if output is None else output)
        explainer = _EXPLAINERS[method]
        call = net if method in ("deep", "gradient") else _direct_call(net)

    started = time.perf_counter()
    with warnings.catch_warnings():
        for message in _NOISE:
            warnings.filterwarnings("ignore", message=message)
        if bg is not None:
            if background_sampling == "kmeans":
                bg = shap.kmeans(bg, min(int(n_background), len(bg)))
            else:
                bg = shap.sample(bg, int(n_background), random_state=seed)
        # shap's explainers draw from (and reseed) NumPy's global random state: seed it for
        # reproducibility and restore it afterwards, so the caller's own stream is untouched.
        with _numpy_seed(seed):
            values, base = explainer(call, bg, x, seed, dict(kw))
    elapsed = time.perf_counter() - started

    return shap.Explanation(
        values=np.asarray(values, dtype=float),
        base_values=np.broadcast_to(np.asarray(base, dtype=float), (len(x),)).copy(),
        data=X.to_numpy(dtype=float),
        display_data=display_data,
        feature_names=[str(c) for c in X.columns],
        instance_names=list(X.index),
        output_names=scale,
        compute_time=elapsed,
    )


# --- explainers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _restore_tf_gradient_recording():
    """Undo shap's patch of TensorFlow's gradient recording when DeepExplainer fails.

    shap (0.51) swaps ``tensorflow.python.eager.execute.record_gradient`` for its own
    version while it runs and puts TensorFlow's back only on success. After a failure
    every later operation is recorded under a ``shap_`` name, and any Keras training in the
    same session fails with "gradient registry has no entry for: shap_...".
    """
    from tensorflow.python.eager import execute as tf_execute

    original = tf_execute.record_gradient
    try:
        yield
    finally:
        tf_execute.record_gradient = original


def _deep(net, bg, x, seed, kw):
    explainer = shap.DeepExplainer(net, bg)
    try:
        with _restore_tf_gradient_recording():
            values = np.asarray(explainer.shap_values(x, **kw))[..., 0]
    except AssertionError as err:  # shap's own additivity check (check_additivity=True)
        raise ValueError(
            "Deep SHAP values do not add up to the model output: DeepLIFT's rules are "
            "approximate for some layers of this model (e.g. swish). Use method='kernel' or "
            "'permutation', or pass check_additivity=False to accept approximate values"
        ) from err
    except Exception as err:  # TensorFlow wraps it in a StagingError
        op = re.search(r"gradient registry has no entry for: shap_(\w+)", str(err))
        if op is None:
            raise
        raise ValueError(
            f"DeepExplainer has no rule for the TensorFlow op {op.group(1)!r} in this model "
            "(layers such as LayerNormalization, gelu or custom Lambda layers bring such ops); "
            "use method='gradient', 'kernel' or 'permutation'"
        ) from None
    base = float(np.asarray(explainer.expected_value).ravel()[0])
    error = np.abs(values.sum(axis=1) + base - _direct_call(net)(x)).max()
    if error > ADDITIVITY_TOLERANCE:
        warnings.warn(
            f"Deep SHAP values miss the model output by up to {error:.2g} (more than "
            f"{ADDITIVITY_TOLERANCE:g}): DeepLIFT's rules are approximate for some layers of "
            "this model (e.g. swish); compare with method='kernel'",
            stacklevel=3,
        )
    return values, base


def _gradient(net, bg, x, seed, kw):
    explainer = shap.GradientExplainer(net, bg)
    values = explainer.shap_values(x, nsamples=kw.pop("nsamples", 200), rseed=seed, **kw)
    # Expected gradients integrate from background rows, so the baseline is their mean output.
    return np.asarray(values)[..., 0], float(_direct_call(net)(bg).mean())


def _kernel(call, bg, x, seed, kw):
    explainer = shap.KernelExplainer(call, bg)
    values = explainer.shap_values(x, silent=True, l1_reg=kw.pop("l1_reg", False), **kw)
    return values, float(np.asarray(explainer.expected_value).ravel()[0])


def _permutation(call, bg, x, seed, kw):
    masker = shap.maskers.Independent(bg, max_samples=len(bg))
    explainer = shap.PermutationExplainer(call, masker, seed=seed)
    result = explainer(x, max_evals=kw.pop("max_evals", 500), silent=True, **kw)
    return result.values, result.base_values


_EXPLAINERS = {"deep": _deep, "gradient": _gradient, "kernel": _kernel, "permutation": _permutation}


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _direct_call(net):
    """A NumPy function (n, p) -> (n,) calling the model directly in large batches.

    With the TensorFlow backend the call is compiled once into a graph (``tf.function``
    with a free batch dimension): the explainers make thousands of calls, and an eager
    Keras call spends most of its time in Python overhead.
    """
    import keras

    call = net
    if keras.backend.backend() == "tensorflow":
        call = _COMPILED.get(net)
        if call is None:  # compile once per model: retracing on every explain() call is slow
            import tensorflow as tf

            spec = tf.TensorSpec((None, net.inputs[0].shape[-1]), tf.float32)
            model = weakref.ref(net)  # the cache must not keep the model alive
            call = tf.function(lambda a: model()(a, training=False), input_signature=[spec])
            _COMPILED[net] = call

    def predict(a):
        a = np.asarray(a, dtype=np.float32)
        parts = [np.asarray(call(a[i : i + _BATCH_ROWS])) for i in range(0, len(a), _BATCH_ROWS)]
        return np.concatenate(parts)[:, 0].astype(float)

    return predict


@contextlib.contextmanager
def _numpy_seed(seed):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _output_model(model, output):
    """The network to explain and the name of its output scale."""
    import keras

    last = model.layers[-1]
    ends_in_sigmoid = isinstance(last, keras.layers.Dense) and (
        keras.activations.serialize(last.activation) == "sigmoid"
    )
    if output == "probability":
        return model, "probability" if ends_in_sigmoid else "model output"
    if not ends_in_sigmoid:
        raise ValueError(
            f"output='logit' needs a model whose last layer is Dense(activation='sigmoid'), "
            f"got {type(last).__name__} {last.name!r}; explain output='probability' instead"
        )
    head = keras.layers.Dense(last.units, activation=None, name=f"{last.name}_logit")
    logits = head(last.input)
    head.set_weights(last.get_weights())  # a snapshot: retraining the model does not update it
    return keras.Model(model.inputs[0], logits, name=f"{model.name}_logit"), "logit"
