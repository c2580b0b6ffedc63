"""Explaining a Keras churn model with SHAP (introduced in notebook 07).

``explain`` computes SHAP values for a Keras model that takes one 2-D float input (a
DataFrame of features, one row per user) and returns one churn probability per row.
``driver_table`` turns them into a global ranking of features, ``reason_codes`` into plain
words per user, and ``importance_by_method`` lines up several explainers for comparison.

A SHAP value is an *attribution*, not a cause: it says how much a feature moved this
model's prediction away from the average prediction over the background data. The values
of one row add up to ``prediction - base value`` (exactly for the deep, kernel and
permutation explainers, approximately for the gradient explainer).
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
import weakref
from collections.abc import Mapping

import numpy as np
import pandas as pd
import shap

METHODS = ("deep", "gradient", "kernel", "permutation")
OUTPUTS = ("probability", "logit")
BACKGROUND_SAMPLING = ("random", "kmeans")
REASON_DIRECTIONS = ("raises", "both")
ADDITIVITY_TOLERANCE = 1e-3  # deep: |sum of SHAP + base - output| allowed before a warning
RAISES, LOWERS, UNCLEAR = "higher → raises risk", "higher → lowers risk", "no clear direction"

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
    method: str = "deep",
    n_background: int = 100,
    seed: int = 0,
    output: str = "probability",
    background_sampling: str = "random",
    **kw,
) -> shap.Explanation:
    """SHAP values of a Keras churn model for the users in ``X``.

    Introduced in notebook 07. The model must take one 2-D float input with one column
    per feature of ``X`` (in the same order) and end in one output unit; normalisation
    layers inside the model are fine. The model is called directly
    (``model(x, training=False)``) in large batches, never through ``model.predict``,
    which is many times slower for the thousands of small calls the model-agnostic
    explainers make.

    Parameters
    ----------
    model : keras.Model
        A built Keras model (Sequential or functional) whose last layer has one unit.
    background : pandas.DataFrame or numpy.ndarray
        Rows that define "average" (typically training rows). A DataFrame must hold every
        column of ``X``; it is reordered to ``X``'s column order.
    X : pandas.DataFrame
        The users to explain, numeric columns only. Its columns become the feature names
        and its index the ``instance_names`` of the result.
    method : {"deep", "gradient", "kernel", "permutation"}
        - ``"deep"``: DeepExplainer, DeepLIFT's rescale rule, one pass per row. Exactly
          additive for Dense, ReLU, sigmoid, Dropout and (Batch)Normalization layers.
          Warns when the values miss the output by more than 1e-3; raises ``ValueError``
          when they miss it by more than shap's own tolerance (``check_additivity=False``
          turns that check off) or when a layer has no DeepLIFT rule (LayerNormalization,
          gelu, custom Lambda layers): use another method for such models.
        - ``"gradient"``: GradientExplainer, expected gradients from ``nsamples`` random
          interpolations per row; additive only on average.
        - ``"kernel"``: KernelExplainer, a weighted regression over feature coalitions;
          model-agnostic, exactly additive. ``l1_reg=False`` here, because shap's default
          silently keeps only the top 10 features.
        - ``"permutation"``: PermutationExplainer, antithetic permutations; exactly
          additive. About ``max_evals / (2 * n_features + 1)`` model calls per row (default
          ``max_evals=500``): the slowest method, and its first call in a session compiles
          shap's numba helpers (several seconds).
    n_background : int, default 100
        Rows kept from ``background``. Cost grows linearly with it for every method.
    seed : int, default 0
        Seeds the background sample and the explainers' own sampling, so a call is
        reproducible. shap draws from NumPy's global random state; it is restored after
        the call.
    output : {"probability", "logit"}
        ``"probability"`` explains the model's output as it is. ``"logit"`` explains the
        pre-sigmoid output (log-odds): the function builds a sub-model that ends in a copy
        of the last Dense layer without its sigmoid, so *every* method, DeepExplainer
        included, sees the exact logit. This needs a last layer ``Dense(...,
        activation="sigmoid")``; other models raise ``ValueError``. On the logit scale
        contributions add up in log-odds; on the probability scale they are squeezed near
        0 and 1.
    background_sampling : {"random", "kmeans"}
        ``"random"``: ``shap.sample`` (without replacement, ``random_state=seed``).
        ``"kmeans"`` (kernel method only): ``shap.kmeans`` summarises the background with
        ``n_background`` weighted centroids (shap fixes its k-means seed to 0), so the
        kernel explainer can use few rows that still stand for the whole background.
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
        "probability", "logit" or "model output" when the last layer is not a sigmoid)
        and ``.compute_time`` (seconds spent explaining).

    Raises
    ------
    ValueError
        Unknown ``method``, ``output`` or ``background_sampling``; non-numeric, missing or
        non-finite features; a feature count that does not match the model's input; a
        model with more than one output unit; ``output="logit"`` without a final sigmoid;
        a model DeepExplainer cannot handle (see ``method``).
    """
    _check_choice("method", method, METHODS)
    _check_choice("output", output, OUTPUTS)
    _check_choice("background_sampling", background_sampling, BACKGROUND_SAMPLING)
    if background_sampling == "kmeans" and method != "kernel":
        raise ValueError(
            f"background_sampling='kmeans' works only with method='kernel' (the weighted "
            f"centroids are ignored by the other explainers), got method={method!r}"
        )
    if not isinstance(n_background, int | np.integer) or n_background < 1:
        raise ValueError(f"n_background must be a positive integer, got {n_background!r}")
    x = _feature_array(X, "X")
    bg = _background_array(background, X)
    _check_model_inputs(model, x.shape[1])
    net, scale = _output_model(model, output)

    started = time.perf_counter()
    with warnings.catch_warnings():
        for message in _NOISE:
            warnings.filterwarnings("ignore", message=message)
        if background_sampling == "kmeans":
            bg = shap.kmeans(bg, min(int(n_background), len(bg)))
        else:
            bg = shap.sample(bg, int(n_background), random_state=seed)
        # shap's explainers draw from (and reseed) NumPy's global random state: seed it for
        # reproducibility and restore it afterwards, so the caller's own stream is untouched.
        with _numpy_seed(seed):
            values, base = _EXPLAINERS[method](net, bg, x, seed, dict(kw))
    elapsed = time.perf_counter() - started

    return shap.Explanation(
        values=np.asarray(values, dtype=float),
        base_values=np.broadcast_to(np.asarray(base, dtype=float), (len(x),)).copy(),
        data=X.to_numpy(dtype=float),
        feature_names=[str(c) for c in X.columns],
        instance_names=list(X.index),
        output_names=scale,
        compute_time=elapsed,
    )


def driver_table(explanation: shap.Explanation) -> pd.DataFrame:
    """Rank features by mean |SHAP value|, with their share and direction.

    Introduced in notebook 07. ``mean_abs_shap`` is the average size of a feature's
    contribution over the explained users (on the explanation's scale), ``share`` its
    fraction of the sum over features, and ``direction`` the sign of the Pearson
    correlation between the feature's value and its SHAP value: "higher → raises risk"
    when larger values push the prediction up, "higher → lowers risk" when they push it
    down, "no clear direction" when the correlation is undefined or zero (a constant
    feature, or one the model ignores). A direction summarises a trend; a U-shaped effect
    needs a dependence plot.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``mean_abs_shap``, ``share``, ``direction``, sorted by
        ``mean_abs_shap`` (largest first), indexed by rank 1, 2, ...
    """
    values, data, names = _explanation_arrays(explanation)
    mean_abs = np.abs(values).mean(axis=0)
    total = mean_abs.sum()
    share = mean_abs / total if total > 0 else np.full_like(mean_abs, np.nan)
    corr = _column_correlation(data, values)
    direction = np.where(corr > 0, RAISES, np.where(corr < 0, LOWERS, UNCLEAR))
    table = pd.DataFrame(
        {"feature": names, "mean_abs_shap": mean_abs, "share": share, "direction": direction}
    )
    table = table.sort_values("mean_abs_shap", ascending=False, kind="stable")
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def reason_codes(
    explanation: shap.Explanation,
    top: int = 3,
    *,
    templates: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    direction: str = "raises",
) -> pd.DataFrame:
    """The top drivers of each user's prediction, in plain words (for a CRM export).

    Introduced in notebook 07. By default (``direction="raises"``) only features that
    push this user's risk *up* (SHAP value > 0) are listed, largest first: a retention
    team acts on what makes a user likely to leave, and "tenure lowers risk" is no reason
    to contact anyone. A user with fewer than ``top`` such features gets ``None`` in the
    remaining columns (an empty cell in a CSV). ``direction="both"`` ranks by |SHAP value|
    and lists both kinds.

    Each reason reads ``"<feature> = <value> — raises risk"``, for instance
    ``"recency_days = 12 — raises risk"``; ``units={"recency_days": "days"}`` gives
    ``"recency_days = 12 days — raises risk"`` and
    ``templates={"recency_days": "no visit for {value:.0f} days"}`` gives
    ``"no visit for 12 days — raises risk"`` (a template may also use ``{feature}``).
    Values of integer-valued features print as integers, others with 3 significant digits.

    Returns
    -------
    pandas.DataFrame
        One row per explained user (indexed by the explanation's ``instance_names``, that
        is the index of the ``X`` given to ``explain``), columns ``reason_1`` ...
        ``reason_<top>``.
    """
    values, data, names = _explanation_arrays(explanation)
    if not isinstance(top, int | np.integer) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    _check_choice("direction", direction, REASON_DIRECTIONS)
    templates, units = dict(templates or {}), dict(units or {})
    for argument, mapping in (("templates", templates), ("units", units)):
        unknown = sorted(set(mapping) - set(names))
        if unknown:
            raise ValueError(f"{argument} names features not in the explanation: {unknown}")

    phrases = np.empty(values.shape, dtype=object)
    for j, name in enumerate(names):
        phrases[:, j] = _describe(name, data[:, j], templates.get(name), units.get(name))
    effect = np.where(values > 0, " — raises risk", " — lowers risk").astype(object)
    sentences = phrases + effect

    score = values if direction == "raises" else np.abs(values)
    k = min(int(top), values.shape[1])
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(sentences, order, axis=1)
    keep = np.take_along_axis(score, order, axis=1) > 0
    chosen[~keep] = None
    if k < top:  # fewer features than requested reasons: pad with empty reasons
        chosen = np.hstack([chosen, np.full((len(chosen), top - k), None, dtype=object)])
    index = _instance_index(explanation, len(values))
    return pd.DataFrame(chosen, index=index, columns=[f"reason_{i}" for i in range(1, top + 1)])


def importance_by_method(explanations: Mapping[str, shap.Explanation]) -> pd.DataFrame:
    """Mean |SHAP value| per feature for several explanations of the same model, side by side.

    Introduced in notebook 07. Pass ``{"deep": e1, "kernel": e2, ...}``; the result has one
    row per feature and one column per method, sorted by the first method (largest first).
    ``.rank(ascending=False)`` turns it into importance ranks, and ``.corr("spearman")``
    measures how far the explainers agree on the ordering.
    """
    if not explanations:
        raise ValueError("explanations is empty: pass a dict {method name: shap.Explanation}")
    columns, reference = {}, None
    for method, explanation in explanations.items():
        values, _, names = _explanation_arrays(explanation)
        if reference is None:
            reference = names
        elif names != reference:
            raise ValueError(
                f"explanation {method!r} has features {names}, expected {reference} "
                "(explain the same X with every method)"
            )
        columns[method] = np.abs(values).mean(axis=0)
    table = pd.DataFrame(columns, index=pd.Index(reference, name="feature"))
    return table.sort_values(table.columns[0], ascending=False, kind="stable")


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


def _kernel(net, bg, x, seed, kw):
    explainer = shap.KernelExplainer(_direct_call(net), bg)
    values = explainer.shap_values(x, silent=True, l1_reg=kw.pop("l1_reg", False), **kw)
    return values, float(np.asarray(explainer.expected_value).ravel()[0])


def _permutation(net, bg, x, seed, kw):
    masker = shap.maskers.Independent(bg, max_samples=len(bg))
    explainer = shap.PermutationExplainer(_direct_call(net), masker, seed=seed)
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


# --- models ----------------------------------------------------------------------------------


def _check_model_inputs(model, n_features):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            "model has no defined input: build it with keras.Input(shape=(n_features,)) "
            "or call it once on data before explaining it"
        )
    if len(inputs) != 1 or len(inputs[0].shape) != 2:
        raise ValueError(
            f"model must take one 2-D input (rows x features), got input shapes "
            f"{[tuple(t.shape) for t in inputs]}"
        )
    expected = inputs[0].shape[-1]
    if expected is not None and expected != n_features:
        raise ValueError(
            f"feature count mismatch: X has {n_features} columns, the model expects {expected}"
        )
    outputs = model.outputs
    if len(outputs) != 1 or tuple(outputs[0].shape[1:]) != (1,):
        raise ValueError(
            f"model must have one output of shape (None, 1) (one churn score per row), got "
            f"{[tuple(t.shape) for t in outputs]}"
        )


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


# --- input checks ----------------------------------------------------------------------------


def _check_choice(argument, value, accepted):
    if value not in accepted:
        raise ValueError(f"{argument} must be one of {list(accepted)}, got {value!r}")


def _feature_array(frame, argument):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{argument} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{argument} has no rows or no columns")
    non_numeric = [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_complex_dtype(frame[c])
    ]
    if non_numeric:
        raise ValueError(
            f"{argument} has non-numeric columns {non_numeric}: encode them as numbers first"
        )
    array = frame.to_numpy(dtype=np.float32)
    bad = ~np.isfinite(array)
    if bad.any():
        columns = [str(c) for c in frame.columns[bad.any(axis=0)]]
        raise ValueError(
            f"{argument} has {int(bad.any(axis=1).sum())} rows with missing or infinite "
            f"values, in columns {columns}"
        )
    return array


def _background_array(background, X):
    if isinstance(background, pd.DataFrame):
        missing = [c for c in X.columns if c not in background.columns]
        if missing:
            raise ValueError(f"background lacks feature columns of X: {missing}")
        return _feature_array(background[list(X.columns)], "background")
    array = np.asarray(background)
    if array.ndim != 2 or array.shape[1] != X.shape[1]:
        raise ValueError(
            f"feature count mismatch: background has shape {array.shape}, X has "
            f"{X.shape[1]} columns"
        )
    return _feature_array(pd.DataFrame(array, columns=X.columns), "background")


def _explanation_arrays(explanation):
    if not isinstance(explanation, shap.Explanation):
        raise ValueError(
            f"explanation must be a shap.Explanation, got {type(explanation).__name__}"
        )
    values = np.asarray(explanation.values, dtype=float)
    if values.ndim != 2:
        raise ValueError(
            f"explanation.values must be 2-D (users x features), got shape {values.shape}: "
            "pass the explanation of several users, not one row"
        )
    if explanation.data is None or explanation.feature_names is None:
        raise ValueError("explanation needs .data and .feature_names (use retainkit.explain)")
    data = np.asarray(explanation.data, dtype=float)
    return values, data, [str(n) for n in explanation.feature_names]


def _column_correlation(a, b):
    """Pearson correlation of each column of ``a`` with the same column of ``b`` (NaN if flat)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    denominator = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=0) / denominator, np.nan)


def _instance_index(explanation, n):
    names = explanation.instance_names
    if names is None or len(names) != n:
        return pd.RangeIndex(n)
    return pd.Index(list(names))


def _describe(name, column, template, unit):
    """The "<feature> = <value>" part of a reason, for every user at once."""
    if template is not None:
        return np.array([template.format(value=v, feature=name) for v in column], dtype=object)
    if np.all(column == np.round(column)):
        text = column.astype(np.int64).astype(str)
    else:  # 3 significant digits, but no exponent notation for large values
        text = np.where(
            np.abs(column) >= 1000, np.char.mod("%.0f", column), np.char.mod("%.3g", column)
        )
    suffix = f" {unit}" if unit else ""
    return (f"{name} = " + text.astype(object) + suffix).astype(object)
