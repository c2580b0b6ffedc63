"""The seed's 64-32-1 MLP, the better MLP, training and loading (private; see ``retainkit.models``)."""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np
import pandas as pd

from retainkit._seed import set_seed
from retainkit._validation import check_choice, check_int
from retainkit.evaluation import stratified_split
from retainkit.models._common import as_float_array, churn_metrics, dense_stack, normalization


def build_seed_mlp(n_features: int = 10) -> keras.Sequential:
    """The seed project's model, exactly: Dense(64, relu) → Dense(32, relu) → Dense(1, sigmoid).

    Introduced in notebook 05. Compiled as in the seed: ``adam`` (default learning rate 1e-3),
    ``binary_crossentropy``, metric ``accuracy``. No input scaling, no regularisation: notebook 05
    shows what that costs. A ``keras.Input`` replaces the seed's deprecated ``input_shape``
    argument; the architecture is unchanged (2,817 parameters for 10 features).
    """
    n_features = check_int("n_features", n_features, 1)
    model = keras.Sequential([
        keras.Input((n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_churn_mlp(
    X_train,
    *,
    hidden: tuple[int, ...] = (64, 32),
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    l2: float = 0.0,
) -> keras.Model:
    """The MLP made right: inputs standardised by a Normalization layer adapted to ``X_train``.

    Introduced in notebook 05. Normalization (per-column mean and variance of ``X_train``,
    stored in the model so new data is scaled the same way) → ``Dense(units, relu)`` +
    ``Dropout(dropout)`` per entry of ``hidden`` (with L2 penalty ``l2`` on the kernels) →
    ``Dense(1, sigmoid)``. Compiled with Adam(``learning_rate``), binary cross-entropy and the
    metrics ``auc`` (ROC) and ``pr_auc`` (precision-recall), which, unlike accuracy, mean
    something when churners are a minority. Adapt on the training set only: statistics from the
    test set would leak.
    """
    norm, n_features = normalization(X_train, "X_train")
    inputs = keras.Input((n_features,), name="features")
    x = dense_stack(norm(inputs), hidden, dropout, l2)
    output = keras.layers.Dense(1, activation="sigmoid", name="p_churn")(x)
    model = keras.Model(inputs, output, name="churn_mlp")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=churn_metrics())
    return model


VALIDATION_SPLIT_REFUSED = (
    "validation_split is refused: Keras holds out the *last* rows of X, unshuffled, and "
    "snapshot rows are sorted by user id, which is sign-up order, so the last rows are the "
    "newest users. Issue 15 measured churn 0.398 in those rows against 0.218 elsewhere, and a "
    "median tenure of 4.5 days against 39.1; in notebook 05's training snapshot the last 20 % "
    "churn at 0.611 against 0.372, with a median tenure of 2.6 days against 24.1. Early "
    "stopping would tune the model to the newest users. Pass validation_share=0.2 for a "
    "shuffled, stratified hold-out (with groups= to keep each user's rows on one side), or "
    "validation_data=(X_val, y_val) built with retainkit.evaluation.stratified_split."
)
MONITORS = {"val_loss": "min", "val_auc": "max"}


def fit_model(
    model: keras.Model,
    X,
    y,
    *,
    validation_data=None,
    validation_share: float | None = None,
    groups=None,
    monitor: str = "val_loss",
    seed: int = 0,
    epochs: int = 100,
    batch_size: int = 256,
    patience: int = 5,
    class_weight=None,
    verbose: int = 0,
    **kw,
) -> keras.callbacks.History:
    """Train a compiled model reproducibly, with early stopping; return the Keras History.

    Introduced in notebook 05. Calls ``retainkit.set_seed(seed)`` first (shuffling and dropout
    become reproducible; the initial weights were drawn when the model was built, so call
    ``set_seed`` before building too). With validation rows — ``validation_data=(X_val,
    y_val)``, or ``validation_share`` of the training rows held out at random — training stops
    when ``monitor`` has not improved for ``patience`` epochs and the weights of the best epoch
    are restored; without them it runs all ``epochs``. ``X`` may be a table, an array, or a list
    of arrays for multi-input models (``[sequences, static]``).

    With ``class_weight``, the validation rows get the same weights as sample weights, so the
    monitored ``val_loss`` is the loss being minimised (Keras alone would stop on the
    *unweighted* validation loss, a different objective). ``monitor="val_auc"`` stops on the
    validation ROC AUC instead, which no weighting changes (the model must be compiled with a
    metric named ``auc``, as ``build_churn_mlp`` and ``build_sequence_model`` are).

    Keras' own ``validation_split`` keyword is refused with a ``ValueError``: it holds out the
    last rows, and snapshot rows are in sign-up order (the message quotes the figures).

    Parameters
    ----------
    validation_data : pair (X_val, y_val), optional
        Validation rows chosen by the caller (e.g. with ``retainkit.evaluation.
        stratified_split``). Not together with ``validation_share``.
    validation_share : float in (0, 1), optional
        Hold out this share of the rows by ``retainkit.evaluation.stratified_split(y,
        share=validation_share, groups=groups, seed=seed)``: shuffled, stratified by a binary
        ``y`` (by the first column of a 2-D target), every user's rows on one side when
        ``groups`` is given. The held-out row numbers are in ``history.validation_rows``.
    groups : array-like, optional
        One group label per row (the user id of stacked snapshots), for ``validation_share``.
    monitor : {"val_loss", "val_auc"}, default "val_loss"
        What early stopping watches (lower loss, higher AUC is better).
    class_weight : None, "balanced" or dict
        ``"balanced"`` weights class c by ``n / (2 * n_c)`` (scikit-learn's rule), so both classes
        carry equal total weight; the predicted probabilities are then no longer calibrated to
        the base rate. A dict ``{0: w0, 1: w1}`` is passed through. Applied to the validation
        rows too (above).
    **kw
        Passed to ``model.fit`` (e.g. ``callbacks``, ``shuffle``); not ``validation_split``.
    """
    if "validation_split" in kw:
        raise ValueError(VALIDATION_SPLIT_REFUSED)
    check_choice("monitor", monitor, tuple(MONITORS))
    set_seed(seed)
    x = _inputs(X, "X")
    target = as_float_array(y, "y")
    validation_rows = None
    if validation_share is not None:
        if validation_data is not None:
            raise ValueError("pass validation_data or validation_share, not both")
        labels = target if target.ndim == 1 else target[:, 0]
        fit_rows, validation_rows = stratified_split(
            labels, share=validation_share, groups=groups, seed=seed,
            stratify=bool(np.isin(labels, [0, 1]).all()))
        validation_data = (_take(x, validation_rows), target[validation_rows])
        x, target = _take(x, fit_rows), target[fit_rows]
    elif groups is not None:
        raise ValueError("groups is used only with validation_share")
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        validation_data = (_inputs(validation_data[0], "X_val"),
                           as_float_array(validation_data[1], "y_val"))
    if class_weight is not None and not isinstance(class_weight, Mapping):
        check_choice("class_weight", class_weight, ("balanced",))  # or None, or a dict
        class_weight = _balanced_weights(target)
    if class_weight is not None and validation_data is not None:
        validation_data = (*validation_data,
                           _sample_weights(validation_data[1], class_weight, "y_val"))
    callbacks = list(kw.pop("callbacks", None) or [])
    if validation_data is not None:
        if monitor == "val_auc":
            _check_has_auc(model)
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, mode=MONITORS[monitor], patience=patience,
            restore_best_weights=True))
    history = model.fit(x, target, validation_data=validation_data, epochs=epochs,
                        batch_size=batch_size, class_weight=class_weight, callbacks=callbacks,
                        verbose=verbose, **kw)
    history.validation_rows = validation_rows
    return history


def load_model(path) -> keras.Model:
    """Load a model saved with ``model.save("name.keras")`` (introduced in notebook 05).

    Same as ``keras.saving.load_model``; importing this module first registers retainkit's
    custom loss and layers, so the compiled model comes back ready to predict and train.
    """
    return keras.saving.load_model(path)


def _inputs(X, name: str):
    if isinstance(X, list | tuple):
        return [as_float_array(part, f"{name}[{i}]") for i, part in enumerate(X)]
    return as_float_array(X, name)


def _take(x, rows):
    return [part[rows] for part in x] if isinstance(x, list) else x[rows]


def _sample_weights(target: np.ndarray, class_weight: Mapping, name: str) -> np.ndarray:
    """Per-row weights ``class_weight[label]`` for a 0/1 target (the validation rows)."""
    labels = target.ravel() if target.ndim == 1 or target.shape[1] == 1 else None
    if labels is None or not np.isin(labels, list(class_weight)).all():
        raise ValueError(f"class_weight {dict(class_weight)} does not cover every label of "
                         f"{name}; class weights need a 0/1 target")
    return np.array([float(class_weight[int(v)]) for v in labels], dtype="float32")


def _check_has_auc(model: keras.Model) -> None:
    config = model.get_compile_config() or {}
    names = []
    for metric in config.get("metrics") or []:
        if isinstance(metric, dict):
            names.append(metric.get("config", {}).get("name"))
        else:
            names.append(getattr(metric, "name", metric))
    if "auc" not in names:
        raise ValueError(f"monitor='val_auc' needs the model compiled with a metric named "
                         f"'auc' (keras.metrics.AUC(name='auc')); its metrics are {names}")


def _balanced_weights(target: np.ndarray) -> dict[int, float]:
    labels = target.ravel()
    if target.ndim > 1 and target.shape[1] != 1 or not np.isin(labels, [0, 1]).all():
        raise ValueError("class_weight='balanced' needs a binary 0/1 target")
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        raise ValueError("class_weight='balanced' needs both classes in y")
    return {int(c): len(labels) / (2.0 * n) for c, n in counts.items()}
