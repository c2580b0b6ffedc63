"""Explaining a Keras churn model with SHAP (introduced in notebook 07).

``explain`` computes SHAP values for a Keras model that takes one 2-D float input (a
DataFrame of features, one row per user) and returns one churn probability per row.
``driver_table`` turns them into a global ranking of features, ``reason_codes`` into plain
words per user, and ``importance_by_method`` lines up several explainers for comparison.

A model that sees transformed inputs (``log_counts``, a scaler) is explained on those inputs,
but people read raw units: ``explain(..., display_data=raw)`` or
``with_display_data(explanation, raw)`` attach the raw values, and the tables, reason codes
and plots then show them ("no activity for 10.6 days", not the 2.45 the model saw).

A SHAP value is an *attribution*, not a cause: it says how much a feature moved this
model's prediction away from the average prediction over the background data. The values
of one row add up to ``prediction - base value`` (exactly for the deep, kernel and
permutation explainers, approximately for the gradient explainer).
"""

from __future__ import annotations

import contextlib
import copy
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
    display_data=None,
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
        and ``.compute_time`` (seconds spent explaining).

    Raises
    ------
    ValueError
        Unknown ``method``, ``output`` or ``background_sampling``; non-numeric, missing or
        non-finite features; a feature count that does not match the model's input; a
        model with more than one output unit; ``output="logit"`` without a final sigmoid;
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
    >>> days = {"recency_days": "no activity for {value:.1f} days"}
    >>> reason_codes(e, top=1, templates=days).loc[101, "reason_1"]
    'no activity for 10.6 days — raises risk'
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
    if display_data is not None:  # checked before the (slow) explainers run
        display_data = _display_array(
            display_data, [str(c) for c in X.columns], list(X.index), x.shape
        )
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
        display_data=display_data,
        feature_names=[str(c) for c in X.columns],
        instance_names=list(X.index),
        output_names=scale,
        compute_time=elapsed,
    )


def with_display_data(explanation: shap.Explanation, display_data) -> shap.Explanation:
    """A copy of ``explanation`` that shows ``display_data`` instead of the model's inputs.

    Introduced in notebook 07. For a model that sees transformed inputs (``log1p`` counts,
    standardised values), ``.data`` holds what the model saw; ``display_data`` holds what a
    person should read, usually the raw features. The SHAP values, base values, names and
    ``compute_time`` are copied unchanged and the original explanation is not modified
    (rebuilding an explanation by hand trips over shap's ``instance_names``, which has no
    setter; assigning ``.display_data`` directly would change the caller's object unchecked).

    With display values, :func:`driver_table` takes the *direction* from them ("higher" in
    raw units), :func:`reason_codes` prints them, the waterfall and one-user bar plots label
    the bars with them and the dependence plot puts them on its x axis and colour bar. The
    beeswarm plot still colours dots by ``.data``, as shap does: for an increasing transform
    such as ``log1p`` the high/low order of the colours is the same.

    Parameters
    ----------
    explanation : shap.Explanation
        A 2-D explanation (users x features) with ``.data`` and ``.feature_names``, such as
        the result of :func:`explain`.
    display_data : pandas.DataFrame, numpy.ndarray or None
        Numeric, finite values, one per user and feature. A DataFrame must have exactly the
        explanation's features as columns (any order) and the explained users as index (the
        index of the ``X`` given to :func:`explain`; any order when its labels are unique):
        it is aligned by label. An array must have the shape of ``explanation.values``, in
        the same row and column order. An explanation without ``instance_names`` takes the
        rows of a DataFrame in order. None returns a copy without display values.

    Returns
    -------
    shap.Explanation
        A new explanation whose ``.display_data`` is a float array aligned with ``.values``.

    Raises
    ------
    ValueError
        Naming ``display_data``: wrong shape; missing, unexpected or duplicated columns; an
        index that does not hold the explained users; non-numeric, missing or infinite values
        (all mismatches of shape, columns and index are reported together).

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1]]),
    ...                      data=np.log1p([[10.6, 1.0], [2.0, 0.0]]),
    ...                      feature_names=["recency_days", "Platform_web"],
    ...                      instance_names=["ann", "bob"])
    >>> reason_codes(e, top=1).reason_1.tolist()
    ['recency_days = 2.45 — raises risk', 'Platform_web = 0 — raises risk']
    >>> raw = pd.DataFrame({"Platform_web": [0, 1], "recency_days": [2.0, 10.6]},
    ...                    index=["bob", "ann"])
    >>> shown = with_display_data(e, raw)
    >>> reason_codes(shown, top=1).reason_1.tolist()
    ['recency_days = 10.6 — raises risk', 'Platform_web = 0 — raises risk']
    >>> bool(np.array_equal(shown.values, e.values)), e.display_data is None
    (True, True)
    """
    values, _, names = _explanation_arrays(explanation)
    if display_data is not None:
        names_of_rows = explanation.instance_names
        if names_of_rows is not None and len(names_of_rows) != len(values):
            names_of_rows = None
        display_data = _display_array(display_data, names, names_of_rows, values.shape)
    result = copy.copy(explanation)  # shap's copy rebuilds every field except compute_time
    result.display_data = display_data
    result.compute_time = explanation.compute_time
    return result


def driver_table(explanation: shap.Explanation) -> pd.DataFrame:
    """Rank features by mean |SHAP value|, with their share and direction.

    Introduced in notebook 07. ``mean_abs_shap`` is the average size of a feature's
    contribution over the explained users (on the explanation's scale), ``share`` its
    fraction of the sum over features, and ``direction`` the sign of the Pearson
    correlation between the feature's value and its SHAP value: "higher → raises risk"
    when larger values push the prediction up, "higher → lowers risk" when they push it
    down, "no clear direction" when the correlation is undefined or zero (a constant
    feature, or one the model ignores). A direction summarises a trend; a U-shaped effect
    needs a dependence plot. When the explanation has display values (``display_data`` of
    :func:`explain` or :func:`with_display_data`), the direction is computed from them, so
    "higher" means higher in raw units; ``mean_abs_shap`` and ``share`` do not depend on them.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature``, ``mean_abs_shap``, ``share``, ``direction``, sorted by
        ``mean_abs_shap`` (largest first), indexed by rank 1, 2, ...

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.5, 0.2], [0.1, 0.0]]),
    ...                      data=np.array([[12.0, 3.0], [5.0, 1.0], [40.0, 0.5]]),
    ...                      feature_names=["recency_days", "score"])
    >>> table = driver_table(e)
    >>> table.feature.tolist(), table.mean_abs_shap.round(3).tolist()
    (['recency_days', 'score'], [0.3, 0.1])
    >>> table.direction.tolist()
    ['higher → raises risk', 'higher → lowers risk']
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
    The values printed are the explanation's display values when it has them (``display_data``
    of :func:`explain` or :func:`with_display_data`: raw units for a model that sees
    ``log_counts``), otherwise ``.data``.

    Returns
    -------
    pandas.DataFrame
        One row per explained user (indexed by the explanation's ``instance_names``, that
        is the index of the ``X`` given to ``explain``), columns ``reason_1`` ...
        ``reason_<top>``.

    Examples
    --------
    >>> e = shap.Explanation(values=np.array([[0.3, -0.1, 0.2], [-0.5, 0.4, 0.0]]),
    ...                      data=np.array([[12.0, 3.14159, 2.0], [5.0, 0.5, 0.0]]),
    ...                      feature_names=["recency_days", "score", "n_sessions"],
    ...                      instance_names=["ann", "bob"])
    >>> reason_codes(e, top=2).loc["ann"].tolist()
    ['recency_days = 12 — raises risk', 'n_sessions = 2 — raises risk']
    >>> codes = reason_codes(e, top=1, templates={"recency_days": "no visit for {value:.0f} days"},
    ...                      direction="both")
    >>> codes.reason_1.tolist()
    ['no visit for 12 days — raises risk', 'no visit for 5 days — lowers risk']
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

    Examples
    --------
    >>> a = shap.Explanation(values=np.array([[0.4, -0.1], [-0.2, 0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> b = shap.Explanation(values=np.array([[0.2, 0.3], [0.2, -0.1]]), data=np.zeros((2, 2)),
    ...                      feature_names=["recency_days", "score"])
    >>> table = importance_by_method({"deep": a, "kernel": b})
    >>> table.columns.tolist(), table.index.tolist()
    (['deep', 'kernel'], ['recency_days', 'score'])
    >>> table.round(3).to_numpy().tolist()
    [[0.3, 0.2], [0.1, 0.2]]
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


def _feature_array(frame, argument, dtype=np.float32):
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
    array = frame.to_numpy(dtype=dtype)
    bad = ~np.isfinite(array)
    if bad.any():
        columns = [str(c) for c in frame.columns[bad.any(axis=0)]]
        rows = frame.index[bad.any(axis=1)]
        raise ValueError(
            f"{argument} has {len(rows)} rows with missing or infinite values, in columns "
            f"{columns} (rows {_some(rows)})"
        )
    return array


def _some(labels, k=5):
    """The first ``k`` labels for an error message, with "..." when there are more."""
    labels = list(labels)
    return "[" + ", ".join(map(repr, labels[:k])) + (", ...]" if len(labels) > k else "]")


def _display_array(display_data, feature_names, instance_names, shape):
    """``display_data`` as a float64 array aligned with the explained rows and features.

    ``instance_names`` (the explained users' labels, or None when unknown) is used to align a
    DataFrame by label; every mismatch of shape, columns and index is reported at once.
    """
    n_rows, n_features = shape
    if not isinstance(display_data, pd.DataFrame):
        array = np.asarray(display_data)
        if array.shape != (n_rows, n_features):
            raise ValueError(
                f"display_data has shape {array.shape}, expected {(n_rows, n_features)} (one row "
                "per explained user, one column per feature, in the order of X); pass a "
                "DataFrame to align rows and columns by label"
            )
        index = pd.RangeIndex(n_rows) if instance_names is None else pd.Index(instance_names)
        frame = pd.DataFrame(array, columns=feature_names, index=index)
        return _feature_array(frame, "display_data", dtype=np.float64)

    problems = []
    columns = pd.Index([str(c) for c in display_data.columns])
    missing = [f for f in feature_names if f not in columns]
    unexpected = [c for c in columns if c not in feature_names]
    if missing or unexpected:
        problems.append(
            f"columns must be the explained features: missing {missing}, unexpected {unexpected}"
        )
    if columns.has_duplicates:
        problems.append(f"duplicated columns {sorted(set(columns[columns.duplicated()]))}")
    rows, index = None, display_data.index
    if instance_names is None:
        if len(index) != n_rows:
            problems.append(f"has {len(index)} rows, the explanation has {n_rows}")
    else:
        expected = pd.Index(instance_names)
        if not index.equals(expected):
            absent, extra = expected.difference(index), index.difference(expected)
            if absent.empty and extra.empty and expected.is_unique and index.is_unique:
                rows = expected  # the same users in another order: align by label
            else:
                detail = [f"{len(absent)} missing {_some(absent)}"] if len(absent) else []
                if len(extra):
                    detail.append(f"{len(extra)} unexpected {_some(extra)}")
                if index.has_duplicates:
                    detail.append(f"duplicated {_some(index[index.duplicated()].unique())}")
                if not detail:  # same labels, other order, but duplicates make it ambiguous
                    detail.append("the explained users have duplicated labels, so it must be "
                                  "their index in the same order")
                problems.append(
                    "index must hold the explained users (the index of X): " + ", ".join(detail)
                )
    if problems:
        raise ValueError("display_data " + "; ".join(problems))
    frame = display_data.set_axis(columns, axis=1)[feature_names]
    if rows is not None:
        frame = frame.loc[rows]
    return _feature_array(frame, "display_data", dtype=np.float64)


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
    shown = explanation.data if explanation.display_data is None else explanation.display_data
    data = np.asarray(shown, dtype=float)
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
