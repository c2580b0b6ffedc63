"""The seed's 64-32-1 MLP, the better MLP, training and loading (private; see ``retainkit.models``)."""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np
import pandas as pd

from retainkit._seed import set_seed
from retainkit._validation import check_choice, check_int
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


def fit_model(
    model: keras.Model,
    X,
    y,
    *,
    validation_data=None,
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
    ``set_seed`` before building too). With ``validation_data=(X_val, y_val)`` (or a
    ``validation_split`` keyword) training stops when the validation loss has not improved for
    ``patience`` epochs and the weights of the best epoch are restored; without validation data
    it runs all ``epochs``. ``X`` may be a table, an array, or a list of arrays for multi-input
    models (``[sequences, static]``).

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        ``"balanced"`` weights class c by ``n / (2 * n_c)`` (scikit-learn's rule), so both classes
        carry equal total weight; the predicted probabilities are then no longer calibrated to
        the base rate. A dict ``{0: w0, 1: w1}`` is passed through.
    **kw
        Passed to ``model.fit`` (e.g. ``callbacks``, ``validation_split``, ``shuffle``).
    """
    set_seed(seed)
    x = _inputs(X, "X")
    target = as_float_array(y, "y")
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        validation_data = (_inputs(validation_data[0], "X_val"),
                           as_float_array(validation_data[1], "y_val"))
    if class_weight is not None and not isinstance(class_weight, Mapping):
        check_choice("class_weight", class_weight, ("balanced",))  # or None, or a dict
        class_weight = _balanced_weights(target)
    callbacks = list(kw.pop("callbacks", None) or [])
    if validation_data is not None or kw.get("validation_split"):
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True))
    return model.fit(x, target, validation_data=validation_data, epochs=epochs,
                     batch_size=batch_size, class_weight=class_weight, callbacks=callbacks,
                     verbose=verbose, **kw)


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


def _balanced_weights(target: np.ndarray) -> dict[int, float]:
    labels = target.ravel()
    if target.ndim > 1 and target.shape[1] != 1 or not np.isin(labels, [0, 1]).all():
        raise ValueError("class_weight='balanced' needs a binary 0/1 target")
    counts = pd.Series(labels).value_counts()
    if len(counts) < 2:
        raise ValueError("class_weight='balanced' needs both classes in y")
    return {int(c): len(labels) / (2.0 * n) for c, n in counts.items()}
