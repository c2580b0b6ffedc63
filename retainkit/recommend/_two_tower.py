"""A two-tower retrieval model written directly in Keras 3 (no TensorFlow Recommenders)."""

from __future__ import annotations

import numpy as np

from retainkit._validation import check_int
from retainkit.recommend._als import _positive
from retainkit.recommend._base import Recommender


def _in_batch_loss(y_true, logits):
    """Softmax cross-entropy where row b's positive is column b (``y_true`` is ignored)."""
    import keras

    labels = keras.ops.arange(keras.ops.shape(logits)[0])
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def _logits_layer(temperature: float):
    import keras

    class InBatchLogits(keras.layers.Layer):
        """logits[b, c] = u_b · v_c / T − log q_c; other rows of the same item are masked."""

        def call(self, user_vec, item_vec, item_ids, log_q):
            ops = keras.ops
            logits = ops.matmul(user_vec, ops.transpose(item_vec)) / temperature
            logits = logits - ops.expand_dims(log_q, 0)
            same = ops.equal(ops.expand_dims(item_ids, 1), ops.expand_dims(item_ids, 0))
            eye = ops.eye(ops.shape(item_ids)[0], dtype="bool")
            return ops.where(ops.logical_and(same, ops.logical_not(eye)), -1e9, logits)

    return InBatchLogits(name="in_batch_logits")


class TwoTowerRecommender(Recommender):
    """Two-tower retrieval: a user tower and an item tower trained with in-batch softmax.

    Introduced in notebook 09. Each tower maps an id to an ``embedding_dim`` vector
    (an Embedding, then the Dense(relu) layers of ``hidden`` and a linear Dense back to
    ``embedding_dim`` if ``hidden`` is not empty), normalised to unit length. The score of
    (u, i) is the cosine u·v / T (T = ``temperature``). Training pairs are the training
    interactions; in a batch of B pairs, each user's own item is the positive and the other
    B − 1 items of the batch are the negatives (in-batch softmax, "sampled softmax" with the
    batch as the sample). Other rows that hold the same item are masked out, so an item is
    never its own negative. A popular item is a negative in many batches, so the plain
    in-batch softmax learns to push popular items down; ``popularity_correction=True`` (the
    default) subtracts log q_i (q_i = the item's share of training pairs) from the logits
    during training, the logQ correction of Yi et al. (2019, "Sampling-bias-corrected neural
    modeling"), so the scores estimate the full softmax and keep the popularity the data
    show. On MovieLens-100k the correction is worth a factor of about 4 in precision@10
    (``docs/recommend-benchmark.md``).

    Seeded: ``keras.utils.set_random_seed(seed)`` before building, and the pairs are
    shuffled by ``numpy.random.default_rng(seed)`` (one permutation per epoch); Keras runs
    with ``verbose=0``. Same seed, same machine: the same model; across CPUs the scores
    differ in the last digits. Adam with ``learning_rate``; L2 penalty ``l2`` on the
    embeddings. ``history_`` holds the mean training loss of each epoch.
    """

    name = "two-tower"

    def __init__(self, embedding_dim: int = 32, hidden: tuple[int, ...] = (), *,
                 epochs: int = 10, batch_size: int = 512, learning_rate: float = 0.01,
                 temperature: float = 0.1, l2: float = 0.0,
                 popularity_correction: bool = True, seed: int = 0):
        self.embedding_dim = check_int("embedding_dim", embedding_dim, 1)
        self.hidden = tuple(check_int("hidden", h, 1) for h in hidden)
        self.epochs = check_int("epochs", epochs, 1)
        self.batch_size = check_int("batch_size", batch_size, 2)
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.temperature = _positive("temperature", temperature)
        self.l2 = _positive("l2", l2, allow_zero=True)
        if not isinstance(popularity_correction, bool):
            raise ValueError("popularity_correction must be True or False")
        self.popularity_correction = popularity_correction
        self.seed = check_int("seed", seed, 0)

    def _tower(self, keras, n: int, name: str):
        reg = keras.regularizers.L2(self.l2) if self.l2 > 0 else None
        ids = keras.Input(shape=(), dtype="int32", name=f"{name}_id")
        x = keras.layers.Embedding(n, self.embedding_dim, embeddings_regularizer=reg,
                                   name=f"{name}_embedding")(ids)
        for j, units in enumerate(self.hidden):
            x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{j}")(x)
        if self.hidden:
            x = keras.layers.Dense(self.embedding_dim, name=f"{name}_out")(x)
        x = keras.layers.UnitNormalization(axis=-1, name=f"{name}_unit")(x)
        return keras.Model(ids, x, name=f"{name}_tower")

    def _fit(self, X):
        import keras

        keras.utils.set_random_seed(self.seed)
        n_users, n_items = X.shape
        self.user_tower_ = self._tower(keras, n_users, "user")
        self.item_tower_ = self._tower(keras, n_items, "item")
        users = keras.Input(shape=(), dtype="int32", name="user")
        items = keras.Input(shape=(), dtype="int32", name="item")
        log_q = keras.Input(shape=(), dtype="float32", name="log_q")
        logits = _logits_layer(self.temperature)(
            self.user_tower_(users), self.item_tower_(items), items, log_q)
        model = keras.Model([users, items, log_q], logits, name="two_tower")
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=_in_batch_loss)
        rows, cols = X.nonzero()
        freq = np.bincount(cols, minlength=n_items) / len(cols)
        lq = np.log(freq[cols]) if self.popularity_correction else np.zeros(len(cols))
        rng = np.random.default_rng(self.seed)
        pairs = [rows.astype("int32"), cols.astype("int32"), lq.astype("float32")]
        dummy = np.zeros(len(rows), dtype="float32")
        self.history_ = []
        for _ in range(self.epochs):  # our permutation each epoch, not tf.data's shuffling
            order = rng.permutation(len(rows))
            hist = model.fit([a[order] for a in pairs], dummy, batch_size=self.batch_size,
                             epochs=1, shuffle=False, verbose=0)
            self.history_.append(float(hist.history["loss"][-1]))
        self.model_ = model
        self.user_vectors_ = np.asarray(self.user_tower_.predict(
            np.arange(n_users, dtype="int32"), batch_size=4096, verbose=0))
        self.item_vectors_ = np.asarray(self.item_tower_.predict(
            np.arange(n_items, dtype="int32"), batch_size=4096, verbose=0))

    def _scores(self, rows):
        return self.user_vectors_[rows] @ self.item_vectors_.T / self.temperature

