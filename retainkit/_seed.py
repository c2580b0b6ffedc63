"""Seeding every random number generator the workbook uses (introduced in notebook 00)."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def set_seed(seed: int = 42, *, deterministic_ops: bool = True) -> np.random.Generator:
    """Seed Python, NumPy and Keras/TensorFlow; return a NumPy Generator.

    Introduced in notebook 00. Call it once at the top of a notebook, and again before
    anything whose result you want to reproduce exactly (training a model, a simulation).
    Keras and TensorFlow are seeded when they are already imported (import
    ``retainkit.models`` or ``keras`` first); ``retainkit.models.fit_model`` seeds for you.

    Parameters
    ----------
    seed : int
        The seed. The same seed gives the same results on the same machine and versions.
    deterministic_ops : bool, default True
        Also ask TensorFlow for deterministic kernels (``enable_op_determinism``). Some GPU
        kernels become slower; on a CPU the cost is small.

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed``, for code that prefers an explicit generator
        (``rng = set_seed(0); rng.normal(...)``) over NumPy's legacy global state.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only; noted for completeness
    random.seed(seed)
    np.random.seed(seed)
    # Importing TensorFlow costs seconds, so a notebook that never uses Keras should not pay
    # for it: seed the backend only when it is already loaded (retainkit.models loads it).
    if "keras" in sys.modules or "tensorflow" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend together
        if deterministic_ops:
            import tensorflow as tf

            tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(seed)
