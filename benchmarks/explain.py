"""Speed of the SHAP explainers in retainkit.explain, as ratios to the deep explainer.

On a churn-like Keras model (Normalization -> Dense relu -> Dropout -> Dense relu -> Dense
sigmoid, trained briefly on synthetic data with ``--features`` columns) this times
``retainkit.explain.explain`` with each method on the same rows and background, and one
baseline: shap's KernelExplainer wrapped around ``model.predict`` (what most tutorials do)
instead of retainkit's direct, graph-compiled model call. Slow runs explain fewer rows
(``--slow-rows``, ``--predict-rows``), so times are compared **per explained row**.

Every method is run once on one row before timing (``warm-up`` column): that first call
traces TensorFlow functions and, for the permutation explainer, compiles shap's numba
helpers. For each method the script also prints the Spearman correlation of its mean
|SHAP| ranking with deep's on the same rows, and the largest additivity error
|sum of SHAP values + base value - model output| (probability scale).

Usage::

    python benchmarks/explain.py                   # 200 rows, 10 features, background 100
    python benchmarks/explain.py --rows 500 --features 20
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from retainkit.explain import explain  # noqa: E402


def make_model(n_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(3000, n_features)) * rng.uniform(0.5, 5, n_features),
                     columns=[f"f{i}" for i in range(n_features)])
    weights = np.zeros(n_features)
    weights[: max(2, n_features // 3)] = rng.normal(0, 1, max(2, n_features // 3))
    logit = (X / X.std()).to_numpy() @ weights
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    keras.utils.set_random_seed(seed)
    norm = keras.layers.Normalization()
    norm.adapt(X.to_numpy(np.float32))
    inputs = keras.Input((n_features,))
    h = keras.layers.Dense(32, activation="relu")(norm(inputs))
    h = keras.layers.Dropout(0.2)(h)
    h = keras.layers.Dense(16, activation="relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(X.to_numpy(np.float32), y, epochs=5, batch_size=128, verbose=0)
    return model, X


def kernel_with_predict(model, background, X, n_background, seed):
    """The tutorial baseline: KernelExplainer over ``model.predict`` (batch size 32)."""
    bg = shap.sample(background.to_numpy(np.float32), n_background, random_state=seed)
    f = lambda a: model.predict(a.astype(np.float32), verbose=0)[:, 0]  # noqa: E731
    explainer = shap.KernelExplainer(f, bg)
    start = time.perf_counter()
    values = explainer.shap_values(X.to_numpy(np.float32), silent=True, l1_reg=False)
    elapsed = time.perf_counter() - start
    base = np.full(len(X), float(np.ravel(explainer.expected_value)[0]))
    return shap.Explanation(values=values, base_values=base, compute_time=elapsed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200, help="rows explained by fast methods")
    parser.add_argument("--slow-rows", type=int, default=20,
                        help="rows explained by the permutation explainer")
    parser.add_argument("--predict-rows", type=int, default=3,
                        help="rows explained by the kernel + model.predict baseline")
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--background", type=int, default=100)
    args = parser.parse_args(argv)

    model, X = make_model(args.features)
    rows = X.iloc[: args.rows]
    p = np.asarray(model(rows.to_numpy(np.float32), training=False))[:, 0]
    runs = {
        "deep": (args.rows, lambda r: explain(model, X, r, method="deep",
                                              n_background=args.background)),
        "gradient": (args.rows, lambda r: explain(model, X, r, method="gradient",
                                                  n_background=args.background)),
        "kernel": (args.rows, lambda r: explain(model, X, r, method="kernel",
                                                n_background=args.background)),
        "permutation": (args.slow_rows, lambda r: explain(model, X, r, method="permutation",
                                                          n_background=args.background)),
        "kernel + model.predict": (args.predict_rows, lambda r: kernel_with_predict(
            model, X, r, args.background, 0)),
    }
    results = {}
    for name, (n, run) in runs.items():
        warm = time.perf_counter()
        run(rows.iloc[:1])
        warm = time.perf_counter() - warm
        explanation = run(rows.iloc[:n])
        results[name] = (n, warm, explanation)

    deep_per_row = results["deep"][2].compute_time / results["deep"][0]
    deep_values = results["deep"][2].values
    lines = []
    for name, (n, warm, e) in results.items():
        per_row = e.compute_time / n
        rho = spearmanr(np.abs(deep_values[:n]).mean(axis=0),
                        np.abs(e.values).mean(axis=0)).statistic
        error = np.abs(e.values.sum(axis=1) + e.base_values - p[:n]).max()
        lines.append({"method": name, "rows": n, "warm-up s": round(warm, 2),
                      "seconds": round(e.compute_time, 2), "ms/row": round(1e3 * per_row, 1),
                      "x deep": round(per_row / deep_per_row, 1),
                      "Spearman vs deep": round(rho, 3), "additivity err": f"{error:.1e}"})
    print(f"{args.features} features, background {args.background} rows, "
          f"{os.cpu_count()} CPUs; times per explained row, ratio to deep")
    print(pd.DataFrame(lines).to_string(index=False))
    direct = results["kernel"][2].compute_time / results["kernel"][0]
    via_predict = results["kernel + model.predict"][2].compute_time / args.predict_rows
    print(f"\nkernel: model.predict / direct call = {via_predict / direct:.1f}x slower per row")


if __name__ == "__main__":
    main()
