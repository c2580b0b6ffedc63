"""Sequence models over ``activity_sequences`` (private; see ``retainkit.models``)."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from retainkit._validation import check_choice, check_int
from retainkit.models._common import as_float_array, churn_metrics, dense_stack, normalization

SEQUENCE_KINDS = ("gru", "conv1d")


@keras.saving.register_keras_serializable(package="retainkit", name="Log1p")
class Log1p(keras.layers.Layer):
    """``log(1 + max(x, 0))`` element-wise: tames heavy-tailed daily counts (notebook 05)."""

    def call(self, inputs):
        return ops.log1p(ops.maximum(inputs, 0.0))


def build_sequence_model(
    n_days: int,
    n_channels: int,
    n_static: int,
    *,
    kind: str = "gru",
    units: int = 32,
    hidden: tuple[int, ...] = (32,),
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    l2: float = 0.0,
    sequence_data=None,
    static_data=None,
) -> keras.Model:
    """A churn classifier over daily activity sequences plus the static snapshot features.

    Introduced in notebook 05. Two inputs, in this order: ``"sequence"`` of shape
    ``(n_days, n_channels)`` (from ``retainkit.features.activity_sequences``, oldest day first)
    and ``"static"`` of shape ``(n_static,)`` (the ``make_snapshot`` table). The sequence goes
    through ``Log1p`` and, when ``sequence_data`` is given, a per-channel Normalization adapted to
    ``log1p(sequence_data)``; then either

    - ``kind="gru"``: a GRU with ``units`` cells, whose last state summarises the history, or
    - ``kind="conv1d"``: a Conv1D with ``units`` filters over non-overlapping weeks (kernel 7,
      stride 7), flattened so the model knows *which* week was quiet.

    The static input is standardised by a Normalization adapted to ``static_data`` (pass the
    training table; without it the static features enter unscaled). Both summaries are
    concatenated → Dense(relu) + Dropout per ``hidden`` → ``Dense(1, sigmoid)``. Compiled like
    ``build_churn_mlp``. Train with ``fit_model(model, [seq_train, X_train], y_train, ...)``.
    """
    check_choice("kind", kind, SEQUENCE_KINDS)
    n_days = check_int("n_days", n_days, 1)
    n_channels = check_int("n_channels", n_channels, 1)
    n_static = check_int("n_static", n_static, 1)
    if kind == "conv1d" and n_days < 7:
        raise ValueError(f"kind='conv1d' needs n_days >= 7 (weekly kernel), got {n_days}")

    seq_in = keras.Input((n_days, n_channels), name="sequence")
    static_in = keras.Input((n_static,), name="static")
    s = Log1p(name="log1p")(seq_in)
    if sequence_data is not None:
        seq_arr = as_float_array(sequence_data, "sequence_data")
        if seq_arr.shape[1:] != (n_days, n_channels):
            raise ValueError(f"sequence_data has shape {seq_arr.shape}, expected "
                             f"(n, {n_days}, {n_channels})")
        seq_norm = keras.layers.Normalization(axis=-1, name="sequence_normalization")
        seq_norm.adapt(np.log1p(np.maximum(seq_arr, 0.0)).reshape(-1, n_channels))
        s = seq_norm(s)
    if kind == "gru":
        s = keras.layers.GRU(units, name="gru")(s)
    else:
        s = keras.layers.Conv1D(units, 7, strides=7, activation="relu", name="weekly_conv")(s)
        s = keras.layers.Flatten()(s)

    z = static_in
    if static_data is not None:
        norm, n_cols = normalization(static_data, "static_data")
        if n_cols != n_static:
            raise ValueError(f"static_data has {n_cols} columns, expected n_static = {n_static}")
        z = norm(z)
    x = dense_stack(keras.layers.Concatenate()([s, z]), hidden, dropout, l2)
    output = keras.layers.Dense(1, activation="sigmoid", name="p_churn")(x)
    model = keras.Model([seq_in, static_in], output, name=f"churn_{kind}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=churn_metrics())
    return model
