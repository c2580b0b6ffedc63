"""Discrete-time survival network (Nnet-survival / LogisticHazard); see ``retainkit.models``.

Time is cut into K intervals by breakpoints ``cuts = [t_0, t_1, ..., t_K]`` (days, strictly
increasing, ``t_0 >= 0``, usually 0). Interval j (1-based) is ``(t_{j-1}, t_j]``, except that the
first one also holds ``t_0`` itself, so a user who churns at time 0 counts in interval 1. The
network outputs one logistic hazard per interval,
``h_j(x) = P(T in interval j | T > t_{j-1}, x)``, and the survival at the interval ends is
``S(t_j | x) = P(T > t_j | x) = prod_{i <= j} (1 - h_i(x))`` (the same convention as
Kaplan-Meier).

The likelihood (Gensheimer & Narasimhan 2019, "A scalable discrete-time survival model for
neural networks", PeerJ 7:e6257; Kvamme's pycox ``LogisticHazard``) is a product of Bernoulli
terms over the intervals a user is at risk in:

    loss_i = - sum_j [ d_ij * log h_ij + s_ij * log(1 - h_ij) ]

with ``s_ij = 1`` when user i is known to have survived interval j and ``d_ij = 1`` when the
churn was observed in interval j. Censoring inside an interval follows Nnet-survival: a user
censored at time c in interval j counts as having survived it when c is at or past the
interval's midpoint, and is not at risk in it otherwise (they still survived intervals 1..j-1).
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import ops

from retainkit.models._common import dense_stack, normalization

_EPS = 1e-7


def _check_cuts(cuts) -> np.ndarray:
    cuts = np.asarray(cuts, dtype=float)
    if cuts.ndim != 1 or len(cuts) < 2:
        raise ValueError(f"cuts must be a 1-D sequence of at least 2 breakpoints, got {cuts!r}")
    if not np.all(np.isfinite(cuts)) or cuts[0] < 0 or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"cuts must be finite, start at >= 0 and strictly increase, got {cuts}")
    return cuts


def discrete_hazard_targets(durations, observed, cuts) -> np.ndarray:
    """Targets for ``build_discrete_hazard_model``: an ``(n, 2K)`` array of 0/1 floats.

    Introduced in notebook 05. ``K = len(cuts) - 1`` intervals, conventions in the module
    docstring of ``retainkit.models._survival`` (interval j is ``(t_{j-1}, t_j]``; censored at or
    past an interval's midpoint counts as surviving it). Columns ``0..K-1`` hold ``s_ij`` (1 =
    user i survived interval j), columns ``K..2K-1`` hold ``d_ij`` (1 = churn observed in interval
    j). A user is at risk in interval j when ``s_ij + d_ij = 1``. A duration beyond ``t_K`` means
    every interval was survived.

    Parameters
    ----------
    durations : array-like of float
        Time to churn or censoring, in the unit of ``cuts`` (days), all ``>= cuts[0]``.
    observed : array-like of bool
        True when the churn was observed, False when censored.
    cuts : array-like of float
        Breakpoints ``t_0 < t_1 < ... < t_K``.
    """
    cuts = _check_cuts(cuts)
    t = np.asarray(durations, dtype=float).ravel()
    d = np.asarray(observed).ravel()
    if len(t) != len(d):
        raise ValueError(f"durations ({len(t)}) and observed ({len(d)}) differ in length")
    if not np.all(np.isfinite(t)):
        raise ValueError("durations contain missing or infinite values")
    if np.any(t < cuts[0]):
        raise ValueError(f"durations below cuts[0] = {cuts[0]}: {t[t < cuts[0]][:5]}")
    if not np.isin(d, [0, 1]).all():
        raise ValueError("observed must be boolean (True = churn observed)")
    d = d.astype(bool)
    k = len(cuts) - 1
    # 0-based interval of each duration; K means "after the last cut"
    j = np.clip(np.searchsorted(cuts, t, side="left") - 1, 0, k)
    cols = np.arange(k)
    survived = (cols[None, :] < j[:, None]).astype(float)
    inside = j < k
    mid = (cuts[:-1] + cuts[1:]) / 2
    past_mid = inside & ~d & (t >= mid[np.minimum(j, k - 1)])
    survived[past_mid, j[past_mid]] = 1.0
    event = np.zeros((len(t), k))
    churned = inside & d
    event[churned, j[churned]] = 1.0
    return np.hstack([survived, event])


@keras.saving.register_keras_serializable(package="retainkit", name="discrete_hazard_loss")
def discrete_hazard_loss(y_true, y_pred):
    """Negative log-likelihood of the logistic-hazard model, one value per user.

    Introduced in notebook 05. ``y_true`` is ``discrete_hazard_targets`` output ``(n, 2K)``,
    ``y_pred`` the hazards ``(n, K)``; returns ``-sum_j [d_ij log h_ij + s_ij log(1 - h_ij)]``
    (Keras averages it over the batch). Hazards are clipped to ``[1e-7, 1 - 1e-7]``.
    """
    k = y_pred.shape[-1]
    y_true = ops.cast(y_true, y_pred.dtype)
    survived, event = y_true[:, :k], y_true[:, k:]
    h = ops.clip(y_pred, _EPS, 1.0 - _EPS)
    return -ops.sum(event * ops.log(h) + survived * ops.log1p(-h), axis=-1)


def build_discrete_hazard_model(
    X_train,
    cuts,
    *,
    hidden: tuple[int, ...] = (32, 32),
    dropout: float = 0.1,
    learning_rate: float = 1e-3,
    l2: float = 0.0,
) -> keras.Model:
    """A censoring-aware discrete-time survival network that outputs K interval hazards.

    Introduced in notebook 05. Normalization adapted to ``X_train`` → Dense(relu) layers with
    dropout → ``Dense(K, sigmoid)`` named ``"hazards"``, ``K = len(cuts) - 1``. Compiled with
    Adam and ``discrete_hazard_loss``; train it on ``discrete_hazard_targets(durations,
    observed, cuts)`` and turn its output into survival curves with ``predict_survival``.
    """
    cuts = _check_cuts(cuts)
    norm, n_features = normalization(X_train, "X_train")
    inputs = keras.Input((n_features,), name="features")
    x = dense_stack(norm(inputs), hidden, dropout, l2)
    hazards = keras.layers.Dense(len(cuts) - 1, activation="sigmoid", name="hazards")(x)
    model = keras.Model(inputs, hazards, name="discrete_hazard")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=discrete_hazard_loss)
    return model


def predict_survival(model: keras.Model, X, cuts) -> pd.DataFrame:
    """Survival curves ``S(t_j | x) = prod_{i<=j} (1 - h_i(x))`` at the interval ends.

    Introduced in notebook 05. Returns a DataFrame with one row per user (``X``'s index when it
    is a DataFrame) and one column per interval end ``cuts[1:]`` (column index named
    ``"time"``); ``S(t_0) = 1`` is not included. Values are ``P(T > t_j | x)``.
    """
    cuts = _check_cuts(cuts)
    hazards = np.asarray(model.predict(np.asarray(X, dtype="float32"), verbose=0))
    if hazards.shape[-1] != len(cuts) - 1:
        raise ValueError(f"the model outputs {hazards.shape[-1]} hazards but cuts define "
                         f"{len(cuts) - 1} intervals")
    index = X.index if isinstance(X, pd.DataFrame) else None
    return pd.DataFrame(np.cumprod(1.0 - hazards.astype(float), axis=1), index=index,
                        columns=pd.Index(cuts[1:], name="time"))
