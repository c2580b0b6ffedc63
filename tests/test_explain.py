"""Tests for retainkit.explain and its plots (notebook 07).

Oracles: the closed-form Shapley values of a linear model (phi_j = w_j (x_j - mean x_j)),
scikit-learn's own decision_function / predict_proba (the scikit-learn explainers must add up
to them to 1e-6), group importances and reason-code agreement computed by hand,
a hand-weighted network whose output cannot depend on x2..x5, scipy's Spearman correlation,
and small explanations whose driver tables and reason codes are written out by hand. Display
values (issue 11): a model trained on log1p inputs, explained with the raw values; its SHAP
values must equal those of the same explanation without display values.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shap  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from retainkit.explain import (  # noqa: E402
    LOWERS,
    RAISES,
    driver_table,
    explain,
    group_importance,
    importance_by_method,
    reason_code_agreement,
    reason_codes,
    with_display_data,
)
from retainkit.plotting._explain import (  # noqa: E402
    plot_explainer_agreement,
    plot_shap_bar,
    plot_shap_beeswarm,
    plot_shap_dependence,
    plot_shap_waterfall,
)

FEATURES = [f"x{i}" for i in range(6)]
N_EXPLAIN = 120


def churn_like_model(X, units=(16, 8), name="churn_like"):
    """Input -> Normalization -> Dense relu -> Dropout -> Dense relu -> Dense sigmoid."""
    norm = keras.layers.Normalization()
    norm.adapt(X.to_numpy(np.float32))
    inputs = keras.Input((X.shape[1],), name="features")
    h = keras.layers.Dense(units[0], activation="relu")(norm(inputs))
    h = keras.layers.Dropout(0.2)(h)
    h = keras.layers.Dense(units[1], activation="relu")(h)
    output = keras.layers.Dense(1, activation="sigmoid", name="p_churn")(h)
    return keras.Model(inputs, output, name=name)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 800
    raw = rng.normal(size=(n, 6)) * [3, 1, 2, 1, 1, 1] + [10, 0, 0, 0, 0, 0]
    users = pd.Index(np.arange(1000, 1000 + n), name="user_id")
    X = pd.DataFrame(raw, columns=FEATURES, index=users)
    logit = 0.8 * (X.x0 - 10) - 1.2 * X.x1 + 0.5 * X.x2 + 0.2 * X.x3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def trained(data):
    """A churn-like model trained briefly on data where x0..x3 matter, x4 and x5 do not."""
    X, y = data
    keras.utils.set_random_seed(0)
    model = churn_like_model(X)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    model.fit(X.to_numpy(np.float32), y.to_numpy(), epochs=8, batch_size=64, verbose=0)
    return model


@pytest.fixture(scope="module")
def deep_explanation(trained, data):
    X, _ = data
    return explain(trained, X, X.iloc[:N_EXPLAIN], method="deep", n_background=80)


def model_output(model, X):
    return np.asarray(model(X.to_numpy(np.float32), training=False))[:, 0].astype(float)


# --- additivity and exact oracles -------------------------------------------------------------


def test_deep_values_add_up_to_probability_minus_base(trained, data, deep_explanation):
    X, _ = data
    e = deep_explanation
    p = model_output(trained, X.iloc[:N_EXPLAIN])
    error = np.abs(e.values.sum(axis=1) + e.base_values - p).max()
    assert error < 1e-3
    assert e.output_names == "probability"


def test_deep_base_value_is_mean_output_over_whole_background(trained, data):
    X, _ = data
    background = X.iloc[:150]
    e = explain(trained, background, X.iloc[:20], n_background=500)  # more than 150: all rows
    assert e.base_values == pytest.approx(np.full(20, model_output(trained, background).mean()),
                                          abs=1e-5)


def test_logit_output_adds_up_to_log_odds(trained, data):
    X, _ = data
    e = explain(trained, X, X.iloc[:40], method="deep", n_background=50, output="logit")
    p = model_output(trained, X.iloc[:40])
    assert e.output_names == "logit"
    assert np.abs(e.values.sum(axis=1) + e.base_values - np.log(p / (1 - p))).max() < 1e-3


def test_sequential_churn_like_model_works_on_both_scales(data):
    X, _ = data
    keras.utils.set_random_seed(3)
    norm = keras.layers.Normalization()
    norm.adapt(X.to_numpy(np.float32))
    model = keras.Sequential([keras.Input((6,)), norm, keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    p = model_output(model, X.iloc[:30])
    for output, target in (("probability", p), ("logit", np.log(p / (1 - p)))):
        e = explain(model, X, X.iloc[:30], n_background=40, output=output)
        assert np.abs(e.values.sum(axis=1) + e.base_values - target).max() < 1e-3


@pytest.fixture(scope="module")
def linear(data):
    """Normalization -> Dense(1, sigmoid): linear on the logit scale, weights set by hand."""
    X, _ = data
    norm = keras.layers.Normalization()
    norm.adapt(X.to_numpy(np.float32))
    inputs = keras.Input((6,))
    dense = keras.layers.Dense(1, activation="sigmoid")
    model = keras.Model(inputs, dense(norm(inputs)))
    dense.set_weights([np.array([[1.5], [-1.0], [0.5], [0.0], [0.25], [-0.1]]), np.array([-0.3])])
    return model


@pytest.mark.parametrize("method", ["deep", "kernel", "permutation"])
def test_linear_model_matches_closed_form_shapley_values(linear, data, method):
    X, _ = data
    background, rows = X.iloc[:60], X.iloc[60:90]
    options = {"max_evals": 26} if method == "permutation" else {}  # 2 permutations: exact here
    e = explain(linear, background, rows, method=method, n_background=60, output="logit",
                **options)
    # Closed form for a model linear in x: phi_j = slope_j * (x_j - mean of x_j over background).
    # The slopes come from the model itself by finite differences (exact for a linear logit).
    center = background.mean().to_frame().T

    def logit(frame):
        p = model_output(linear, frame)
        return np.log(p / (1 - p))

    slopes = np.array([logit(center + np.eye(6)[j]) - logit(center) for j in range(6)])[:, 0]
    expected = (rows.to_numpy() - center.to_numpy()) * slopes
    assert np.abs(e.values - expected).max() < 1e-3
    assert e.values[:, 3] == pytest.approx(np.zeros(len(rows)), abs=1e-5)  # weight 0: no credit


@pytest.fixture(scope="module")
def known_drivers(data):
    """A churn-like network whose weights make its output depend on x0 (up) and x1 (down) only."""
    X, _ = data
    model = churn_like_model(X, units=(4, 3), name="known_drivers")
    dense1, dense2, out = (layer for layer in model.layers if isinstance(layer, keras.layers.Dense))
    w1 = np.zeros((6, 4))
    w1[0] = [1.0, 0.5, 0.8, 0.3]  # x0 feeds every hidden unit positively ...
    w1[1] = [-0.6, -0.9, -0.2, -0.4]  # ... x1 negatively; x2..x5 have no path to the output
    dense1.set_weights([w1, np.array([0.5, 0.2, -0.1, 0.3])])
    dense2.set_weights([np.full((4, 3), 0.4), np.zeros(3)])  # positive weights keep monotonicity
    out.set_weights([np.array([[0.9], [0.6], [0.7]]), np.array([-0.8])])
    return model


@pytest.mark.parametrize("method", ["deep", "kernel"])
def test_driver_table_ranks_the_known_drivers_first(known_drivers, data, method):
    X, _ = data
    e = explain(known_drivers, X, X.iloc[:100], method=method, n_background=50)
    table = driver_table(e)
    assert set(table.feature.iloc[:2]) == {"x0", "x1"}
    assert table.set_index("feature").loc[["x2", "x3", "x4", "x5"], "mean_abs_shap"].max() < 1e-7
    assert table.set_index("feature").direction[["x0", "x1"]].tolist() == [RAISES, LOWERS]
    assert table.share.sum() == pytest.approx(1.0)
    assert table.index.tolist() == [1, 2, 3, 4, 5, 6]


# --- agreement between explainers ------------------------------------------------------------


def test_kernel_gradient_permutation_rank_features_like_deep(trained, data, deep_explanation):
    X, _ = data
    rows = X.iloc[:N_EXPLAIN]
    kernel = explain(trained, X, rows, method="kernel", n_background=30)
    gradient = explain(trained, X, rows, method="gradient", n_background=80)
    permutation = explain(trained, X, rows.iloc[:30], method="permutation", n_background=30,
                          max_evals=130)
    deep_importance = np.abs(deep_explanation.values).mean(axis=0)
    for other in (kernel, gradient):
        rho = spearmanr(deep_importance, np.abs(other.values).mean(axis=0)).statistic
        assert rho >= 0.8
    deep_30 = np.abs(deep_explanation.values[:30]).mean(axis=0)
    assert spearmanr(deep_30, np.abs(permutation.values).mean(axis=0)).statistic >= 0.8
    # Kernel and permutation are exactly additive too (on their own background sample).
    p = model_output(trained, rows)
    assert np.abs(kernel.values.sum(axis=1) + kernel.base_values - p).max() < 1e-4
    assert np.abs(permutation.values.sum(axis=1) + permutation.base_values - p[:30]).max() < 1e-4
    table = importance_by_method({"deep": deep_explanation, "kernel": kernel})
    assert table.columns.tolist() == ["deep", "kernel"]
    assert table.deep.is_monotonic_decreasing
    assert table.loc["x0", "kernel"] == pytest.approx(np.abs(kernel.values[:, 0]).mean())


def test_explanation_carries_names_data_and_timing(deep_explanation, data):
    X, _ = data
    e = deep_explanation
    assert e.values.shape == (N_EXPLAIN, 6)
    assert list(e.feature_names) == FEATURES
    assert list(e.instance_names) == list(X.index[:N_EXPLAIN])
    np.testing.assert_array_equal(e.data, X.iloc[:N_EXPLAIN].to_numpy())
    assert e.compute_time > 0


def test_seeded_and_leaves_numpy_global_state_alone(trained, data):
    X, _ = data
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    # shap's GradientExplainer calls np.random.seed itself; explain must undo that
    first = explain(trained, X, X.iloc[:10], method="gradient", n_background=20, seed=7)
    assert np.random.random() == expected_next
    again = explain(trained, X, X.iloc[:10], method="gradient", n_background=20, seed=7)
    np.testing.assert_array_equal(first.values, again.values)
    other = explain(trained, X, X.iloc[:10], method="gradient", n_background=20, seed=8)
    assert not np.allclose(first.values, other.values)
    kernel_7 = explain(trained, X, X.iloc[:10], method="kernel", n_background=20, seed=7)
    kernel_8 = explain(trained, X, X.iloc[:10], method="kernel", n_background=20, seed=8)
    assert kernel_7.base_values[0] != kernel_8.base_values[0]  # another background sample


def test_background_columns_are_matched_by_name_and_kmeans_summary(trained, data):
    X, _ = data
    shuffled = X[FEATURES[::-1]]
    a = explain(trained, X, X.iloc[:10], method="kernel", n_background=25)
    b = explain(trained, shuffled, X.iloc[:10], method="kernel", n_background=25)
    np.testing.assert_allclose(a.values, b.values)
    k = explain(trained, X.iloc[:200], X.iloc[:10], method="kernel", n_background=10,
                background_sampling="kmeans")
    p = model_output(trained, X.iloc[:10])
    assert np.abs(k.values.sum(axis=1) + k.base_values - p).max() < 1e-4


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_raises_value_errors_that_name_the_problem(trained, linear, data):
    X, _ = data
    rows = X.iloc[:5]
    with pytest.raises(ValueError, match=r"^method='lime' is not supported; accepted values: "
                       r"'auto', 'deep', 'gradient', 'kernel', 'permutation', 'linear', 'tree'$"):
        explain(trained, X, rows, method="lime")
    with pytest.raises(ValueError, match="^output='odds' is not supported; accepted values: "
                       "None, 'probability', 'logit'$"):
        explain(trained, X, rows, output="odds")
    with pytest.raises(ValueError, match="X has 5 columns, the model expects 6"):
        explain(trained, X.iloc[:, :5], rows.iloc[:, :5])
    with pytest.raises(ValueError, match=r"non-numeric columns \['plan'\]"):
        explain(trained, X, rows.iloc[:, :5].assign(plan="pro"))
    with pytest.raises(ValueError, match=r"missing or infinite values, in columns \['x2'\]"):
        explain(trained, X, rows.assign(x2=[1.0, np.nan, 0, 0, 0]))
    with pytest.raises(ValueError, match=r"background lacks feature columns of X: \['x5'\]"):
        explain(trained, X.drop(columns="x5"), rows)
    with pytest.raises(ValueError, match="only with method='kernel'"):
        explain(trained, X, rows, background_sampling="kmeans")
    with pytest.raises(ValueError, match="^n_background must be an integer >= 1, got 0$"):
        explain(trained, X, rows, n_background=0)
    with pytest.raises(ValueError, match="X must be a pandas DataFrame"):
        explain(trained, X, rows.to_numpy())
    logits_model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="output='logit' needs a model whose last layer"):
        explain(logits_model, X, rows, output="logit")
    layer_norm = keras.Sequential([keras.Input((6,)), keras.layers.LayerNormalization(),
                                   keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="DeepExplainer has no rule for the TensorFlow op"):
        explain(layer_norm, X, rows, n_background=10)
    unbuilt = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="model has no defined input"):
        explain(unbuilt, X, rows)
    with pytest.raises(ValueError, match="must be a shap.Explanation"):
        driver_table(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="method='linear' explains scikit-learn models"):
        explain(trained, X, rows, method="linear")


# --- driver table and reason codes on hand-made explanations ----------------------------------


def hand_explanation():
    return shap.Explanation(
        values=np.array([[0.30, -0.10, 0.20], [-0.50, -0.20, -0.10], [0.10, 0.40, 0.0]]),
        base_values=np.full(3, 0.2),
        data=np.array([[12.0, 3.14159, 2.0], [5.0, 1.0, 0.0], [40.0, 0.5, 7.0]]),
        feature_names=["recency_days", "score", "n_sessions"],
        instance_names=["ann", "bob", "cy"],
    )


def test_driver_table_by_hand():
    table = driver_table(hand_explanation())
    # mean |SHAP|: recency 0.9/3 = 0.3, score 0.7/3, n_sessions 0.3/3 = 0.1; total 1.9/3
    assert table.feature.tolist() == ["recency_days", "score", "n_sessions"]
    assert table.mean_abs_shap.tolist() == pytest.approx([0.3, 0.7 / 3, 0.1])
    assert table.share.tolist() == pytest.approx([0.9 / 1.9, 0.7 / 1.9, 0.3 / 1.9])
    # recency (12, 5, 40) vs SHAP (0.3, -0.5, 0.1): corr > 0; score (3.14, 1, 0.5) vs
    # (-0.1, -0.2, 0.4): corr < 0; n_sessions (2, 0, 7) vs (0.2, -0.1, 0): corr > 0
    assert table.direction.tolist() == [RAISES, LOWERS, RAISES]


def test_reason_codes_by_hand():
    codes = reason_codes(hand_explanation(), top=3)
    assert codes.index.tolist() == ["ann", "bob", "cy"]
    assert codes.columns.tolist() == ["reason_1", "reason_2", "reason_3"]
    assert codes.loc["ann"].tolist() == [
        "recency_days = 12 — raises risk",
        "n_sessions = 2 — raises risk",
        None,
    ]
    assert codes.loc["bob"].tolist() == [None, None, None]
    assert codes.loc["cy"].tolist() == ["score = 0.5 — raises risk",
                                        "recency_days = 40 — raises risk", None]


def test_reason_codes_templates_units_and_both_directions():
    codes = reason_codes(
        hand_explanation(),
        top=2,
        templates={"recency_days": "no visit for {value:.0f} days"},
        units={"n_sessions": "sessions"},
        direction="both",
    )
    assert codes.loc["ann"].tolist() == ["no visit for 12 days — raises risk",
                                         "n_sessions = 2 sessions — raises risk"]
    assert codes.loc["bob"].tolist() == ["no visit for 5 days — lowers risk",
                                         "score = 1 — lowers risk"]
    # score is not integer-valued: 3 significant digits
    assert reason_codes(hand_explanation(), top=3, direction="both").loc["ann", "reason_3"] == (
        "score = 3.14 — lowers risk"
    )
    assert reason_codes(hand_explanation(), top=5).shape == (3, 5)
    with pytest.raises(ValueError, match=r"templates names features not in the explanation"):
        reason_codes(hand_explanation(), templates={"tenure": "{value}"})
    with pytest.raises(ValueError, match="^direction='up' is not supported; accepted values: "
                       "'raises', 'both'$"):
        reason_codes(hand_explanation(), direction="up")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (7, 4), elements=st.floats(-5, 5)),
       arrays(np.float64, (7, 4), elements=st.floats(-100, 100)))
def test_reason_and_driver_properties(values, data_values):
    e = shap.Explanation(values=values, data=data_values, feature_names=list("abcd"))
    table = driver_table(e)
    assert table.mean_abs_shap.is_monotonic_decreasing
    if table.mean_abs_shap.sum() > 0:  # not values.any(): a mean of 5e-324 underflows to 0
        assert table.share.sum() == pytest.approx(1.0)
    else:
        assert table.share.isna().all()
    codes = reason_codes(e, top=4)
    # "raises" mode lists exactly the positive SHAP values of each row, all saying "raises"
    assert (codes.notna().sum(axis=1).to_numpy() == (values > 0).sum(axis=1)).all()
    listed = pd.Series(codes.to_numpy().ravel()).dropna()
    assert listed.str.endswith("— raises risk").all()


# --- plots -----------------------------------------------------------------------------------


@pytest.fixture(autouse=False)
def close_figures():
    yield
    plt.close("all")


def order_by_importance(e):
    return [FEATURES[j] for j in np.argsort(-np.abs(e.values).mean(axis=0), kind="stable")]


def test_beeswarm_and_bar_draw_every_feature_in_importance_order(deep_explanation, close_figures):
    e = deep_explanation
    ax = plot_shap_beeswarm(e)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == order_by_importance(e)[::-1]  # most important at the top
    assert "change in predicted churn probability" in ax.get_xlabel()
    assert ax.get_title()
    assert sum(len(c.get_offsets()) for c in ax.collections) == e.values.size

    plt.figure()  # with ax=None a plot draws on the current axis
    ax = plot_shap_bar(e, max_display=4)
    assert len(ax.patches) == 4  # 3 features + "Sum of 3 other features"
    assert ax.get_xlabel().startswith("mean |SHAP value|")
    assert ax.get_title() == "Global feature importance"


def test_waterfall_names_the_user_and_restores_interactive_mode(deep_explanation,
                                                                close_figures):
    e = deep_explanation
    was = plt.isinteractive()
    plt.ion()
    try:
        user = e.instance_names[3]
        ax = plot_shap_waterfall(e, user=user)
        assert plt.isinteractive()  # shap's show=False switches it off; the wrapper restores it
    finally:
        if not was:
            plt.ioff()
    assert f"user {user}" in ax.get_title()
    p = e.base_values[3] + e.values[3].sum()
    assert f"{p:.3g}" in ax.get_title()
    drawn = {t.get_text().split(" = ")[-1].strip() for t in ax.get_yticklabels()}
    assert set(FEATURES) <= drawn
    _, given_ax = plt.subplots(figsize=(5, 3))
    plot_shap_waterfall(e, row=0, ax=given_ax)
    assert tuple(given_ax.figure.get_size_inches()) == (5, 3)
    with pytest.raises(ValueError, match="exactly one of row"):
        plot_shap_waterfall(e)


def test_dependence_plots_one_point_per_user(deep_explanation, close_figures):
    e = deep_explanation
    ax = plot_shap_dependence(e, "x1")
    assert len(ax.collections[0].get_offsets()) == N_EXPLAIN
    np.testing.assert_allclose(np.sort(ax.collections[0].get_offsets()[:, 1]),
                               np.sort(e.values[:, 1]))
    assert ax.get_xlabel() == "x1 (feature value)"
    assert ax.get_ylabel().startswith("SHAP value for x1")
    plt.figure()
    ax = plot_shap_dependence(e, "x0", color="x1")
    assert len(ax.figure.axes) >= 3  # main, histogram twin, colour bar
    with pytest.raises(ValueError,
                       match="^feature='tenure' is not supported; accepted values: 'x0', 'x1'"):
        plot_shap_dependence(e, "tenure")


def test_explainer_agreement_plot_ranks(deep_explanation, close_figures):
    e = deep_explanation
    # dividing each column by its squared mean |SHAP| turns mean |SHAP| m into 1/m: the
    # ranking is reversed exactly
    importance = np.abs(e.values).mean(axis=0)
    flipped = shap.Explanation(values=e.values / importance**2, data=e.data,
                               feature_names=e.feature_names)
    ax = plot_explainer_agreement({"deep": e, "reversed": flipped})
    assert [t.get_text() for t in ax.get_yticklabels()] == order_by_importance(e)
    dots = [c for c in ax.collections if len(c.get_offsets()) == 6 and c.get_label() in
            ("deep", "reversed")]
    assert len(dots) == 2
    assert sorted(dots[0].get_offsets()[:, 0]) == [1, 2, 3, 4, 5, 6]
    assert "ρ = -1.00" in ax.get_title()
    plt.figure()
    ax = plot_explainer_agreement({"deep": e}, kind="share")
    assert ax.collections[-1].get_offsets()[:, 0].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError,
                       match="^kind='score' is not supported; accepted values: 'rank', 'share'$"):
        plot_explainer_agreement({"deep": e}, kind="score")


def test_keras_training_still_works_after_deep_explainer_fails():
    # shap leaves TensorFlow's gradient recording patched when DeepExplainer raises; explain()
    # must undo that, or every later model.fit in the session fails (seen in the test suite).
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(64, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype("float32")
    unsupported = keras.Sequential(
        [keras.Input((3,)), keras.layers.LayerNormalization(),
         keras.layers.Dense(1, activation="sigmoid")]
    )
    with pytest.raises(ValueError, match="DeepExplainer"):
        explain(unsupported, X, X.iloc[:4], method="deep", n_background=16)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(X.to_numpy("float32"), y.to_numpy(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_waterfall_picks_the_row_by_position_even_with_integer_user_ids():
    # shap's Explanation[int] prefers an instance name equal to the int; user 7 is row 0 here.
    from retainkit.plotting import plot_shap_waterfall

    e = shap.Explanation(
        values=np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]),
        base_values=np.zeros(3),
        data=np.zeros((3, 2)),
        feature_names=["a", "b"],
        instance_names=[7, 0, 1],
    )
    fig, ax = plt.subplots()
    plot_shap_waterfall(e, user=7, ax=ax)
    assert "prediction 1 " in ax.get_title()
    fig, ax = plt.subplots()
    plot_shap_waterfall(e, row=0, ax=ax)
    assert "user 7: prediction 1 " in ax.get_title()
    plt.close("all")


# --- display values for a model that sees log1p inputs (issue 11) ------------------------------

RAW_FEATURES = ["recency_days", "sessions_7d", "Platform_web"]
N_SHOWN = 40
DAYS = {"recency_days": "no activity for {value:.1f} days"}


@pytest.fixture(scope="module")
def log_inputs():
    """Raw features, their log1p (what the model sees, one-hot included as the issue's
    log_counts did) and a tiny Keras model trained on the log1p inputs."""
    rng = np.random.default_rng(11)
    n = 600
    raw = pd.DataFrame(
        {
            "recency_days": np.round(rng.exponential(6.0, n), 1),
            "sessions_7d": rng.poisson(3.0, n).astype(float),
            "Platform_web": rng.integers(0, 2, n).astype(float),
        },
        index=pd.Index(np.arange(5000, 5000 + n), name="user_id"),
    )
    raw.iloc[0] = [10.6, 4.0, 1.0]  # the user: inactive 10.6 days, on the web
    X = np.log1p(raw)
    logit = 1.5 * (X.recency_days - 1.8) - 0.8 * X.sessions_7d + 0.3 * X.Platform_web
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    model.fit(X.to_numpy(np.float32), y.to_numpy(), epochs=6, batch_size=64, verbose=0)
    return raw, X, model


@pytest.fixture(scope="module")
def shown_and_plain(log_inputs):
    raw, X, model = log_inputs
    rows = X.iloc[:N_SHOWN]
    plain = explain(model, X, rows, n_background=50)
    shown = explain(model, X, rows, n_background=50, display_data=raw.iloc[:N_SHOWN])
    return shown, plain


@pytest.mark.parametrize("method", ["deep", "kernel"])
def test_display_data_leaves_shap_values_unchanged(log_inputs, method):
    raw, X, model = log_inputs
    rows = X.iloc[:N_SHOWN]
    plain = explain(model, X, rows, method=method, n_background=30)
    shown = explain(model, X, rows, method=method, n_background=30,
                    display_data=raw.iloc[:N_SHOWN])
    np.testing.assert_allclose(shown.values, plain.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(shown.base_values, plain.base_values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(shown.data, rows.to_numpy())  # .data stays the model's input
    np.testing.assert_array_equal(shown.display_data, raw.iloc[:N_SHOWN].to_numpy())
    assert plain.display_data is None
    assert list(shown.instance_names) == list(rows.index)
    assert list(shown.feature_names) == RAW_FEATURES
    # still additive against the model evaluated on the log inputs
    p = model_output(model, rows)
    assert np.abs(shown.values.sum(axis=1) + shown.base_values - p).max() < 1e-3


def test_reason_codes_print_raw_values(shown_and_plain):
    shown, plain = shown_and_plain
    user = 5000
    # direction="both" with top=3 lists every feature, whatever the model ranks first
    raw_words = " | ".join(reason_codes(shown, top=3, templates=DAYS, direction="both").loc[user])
    log_words = " | ".join(reason_codes(plain, top=3, templates=DAYS, direction="both").loc[user])
    assert "no activity for 10.6 days" in raw_words
    assert "Platform_web = 1 " in raw_words and "sessions_7d = 4 " in raw_words
    # without display values: the log1p values the issue saw (log1p(10.6) = 2.45, log 2 = 0.693)
    assert "no activity for 2.5 days" in log_words
    assert "Platform_web = 0.693" in log_words and "sessions_7d = 1.61" in log_words
    # the same features are chosen, in the same order: only the printed values differ
    codes_raw, codes_log = reason_codes(shown, top=2), reason_codes(plain, top=2)
    assert codes_raw.isna().equals(codes_log.isna())
    first = lambda text: None if text is None else text.split(" = ")[0]  # noqa: E731
    assert codes_raw.map(first).equals(codes_log.map(first))


def test_driver_table_reads_direction_from_raw_values():
    # Pearson's r is not invariant under log1p: with these SHAP values it is positive against
    # the raw values and negative against their log1p (checked with numpy as the oracle).
    raw = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    shap_values = np.array([2.0, -1.0, -1.0, -1.0, 0.3])
    assert np.corrcoef(raw, shap_values)[0, 1] > 0 > np.corrcoef(np.log1p(raw), shap_values)[0, 1]
    e = shap.Explanation(values=np.c_[shap_values, -shap_values],
                         data=np.log1p(np.c_[raw, raw]), feature_names=["sessions", "mirror"])
    plain, shown = driver_table(e), driver_table(with_display_data(e, np.c_[raw, raw]))
    assert plain.set_index("feature").direction.tolist() == [LOWERS, RAISES]
    assert shown.set_index("feature").direction.tolist() == [RAISES, LOWERS]
    pd.testing.assert_series_equal(shown.mean_abs_shap, plain.mean_abs_shap)
    pd.testing.assert_series_equal(shown.share, plain.share)


def test_driver_table_of_the_log_model_with_and_without_display(shown_and_plain):
    shown, plain = shown_and_plain
    a, b = driver_table(shown), driver_table(plain)
    pd.testing.assert_frame_equal(a[["feature", "mean_abs_shap", "share"]],
                                  b[["feature", "mean_abs_shap", "share"]])
    # the label was built to rise with recency and fall with sessions
    assert a.set_index("feature").direction[["recency_days", "sessions_7d"]].tolist() == [
        RAISES, LOWERS]


def test_display_frame_is_aligned_by_label(log_inputs, shown_and_plain):
    raw, X, model = log_inputs
    shown, _ = shown_and_plain
    shuffled = raw.iloc[:N_SHOWN].sample(frac=1, random_state=0)[RAW_FEATURES[::-1]]
    again = with_display_data(shown, shuffled)
    np.testing.assert_array_equal(again.display_data, raw.iloc[:N_SHOWN].to_numpy())
    as_array = with_display_data(shown, raw.iloc[:N_SHOWN].to_numpy())
    np.testing.assert_array_equal(as_array.display_data, shown.display_data)
    # slicing keeps values and display values together
    np.testing.assert_array_equal(shown[5:8].display_data, raw.iloc[5:8].to_numpy())
    np.testing.assert_array_equal(shown[:, "recency_days"].display_data,
                                  raw.recency_days.iloc[:N_SHOWN].to_numpy())


def test_with_display_data_copies_an_existing_explanation(shown_and_plain, log_inputs):
    raw, _, _ = log_inputs
    shown, plain = shown_and_plain
    attached = with_display_data(plain, raw.iloc[:N_SHOWN])
    assert plain.display_data is None  # the original is not modified
    for field in ("values", "base_values", "data", "display_data"):
        np.testing.assert_array_equal(getattr(attached, field), getattr(shown, field))
    assert list(attached.instance_names) == list(plain.instance_names)
    assert list(attached.feature_names) == RAW_FEATURES
    assert attached.output_names == "probability"
    assert attached.compute_time == plain.compute_time
    pd.testing.assert_frame_equal(reason_codes(attached, templates=DAYS),
                                  reason_codes(shown, templates=DAYS))
    removed = with_display_data(attached, None)
    assert removed.display_data is None
    pd.testing.assert_frame_equal(reason_codes(removed), reason_codes(plain))


def test_bad_display_data_raises_naming_it(log_inputs, shown_and_plain):
    raw, X, model = log_inputs
    _, plain = shown_and_plain
    rows, good = X.iloc[:N_SHOWN], raw.iloc[:N_SHOWN]

    def check(display, match):
        with pytest.raises(ValueError, match=match):
            explain(model, X, rows, n_background=10, display_data=display)
        with pytest.raises(ValueError, match=match):
            with_display_data(plain, display)

    check(good.to_numpy()[:-1], r"display_data has shape \(39, 3\), expected \(40, 3\)")
    check(good.to_numpy()[:, :2], r"display_data has shape \(40, 2\), expected \(40, 3\)")
    check(good.rename(columns={"sessions_7d": "sessions"}),
          r"display_data columns must be the explained features: missing \['sessions_7d'\], "
          r"unexpected \['sessions'\]")
    check(good.drop(columns="Platform_web"), r"missing \['Platform_web'\], unexpected \[\]")
    check(raw.iloc[1 : N_SHOWN + 1],
          r"display_data index must hold the explained users \(the index of X\): "
          r"1 missing \[5000\], 1 unexpected \[5040\]")
    check(good.reset_index(drop=True), r"40 missing \[5000, 5001, 5002, 5003, 5004, \.\.\.\]")
    check(pd.concat([good.iloc[:-1], good.iloc[:1]]), r"duplicated \[5000\]")
    # everything wrong is reported at once
    both = raw.iloc[1 : N_SHOWN + 1].rename(columns={"sessions_7d": "sessions"})
    check(both, r"unexpected \['sessions'\]; index must hold the explained users")
    check(good.assign(Platform_web="web"), r"display_data has non-numeric columns \['Platform_web'\]")
    nan_row = good.copy()
    nan_row.iloc[3, 0] = np.nan
    check(nan_row, r"display_data has 1 rows with missing or infinite values, in columns "
                   r"\['recency_days'\] \(rows \[5003\]\)")
    with pytest.raises(ValueError, match="must be a shap.Explanation"):
        with_display_data(good, good)


def test_plots_show_raw_values(shown_and_plain, log_inputs, close_figures):
    raw, _, _ = log_inputs
    shown, plain = shown_and_plain
    ax = plot_shap_waterfall(shown, user=5000)
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert {"10.6 = recency_days", "4 = sessions_7d", "1 = Platform_web"} <= labels
    plt.figure()  # each plot on a new figure: with ax=None they draw on the current axis
    ax = plot_shap_waterfall(plain, user=5000)
    assert "2.451 = recency_days" in {t.get_text() for t in ax.get_yticklabels()}

    plt.figure()
    ax = plot_shap_bar(shown[0])  # one user: bars labelled with that user's raw values
    assert "10.6 = recency_days" in {t.get_text() for t in ax.get_yticklabels()}

    plt.figure()
    ax = plot_shap_dependence(shown, "recency_days", color="sessions_7d")
    points = ax.collections[0]
    np.testing.assert_allclose(np.sort(points.get_offsets()[:, 0]),
                               np.sort(raw.recency_days.iloc[:N_SHOWN]))
    np.testing.assert_allclose(np.sort(points.get_offsets()[:, 1]), np.sort(shown.values[:, 0]))
    sessions = raw.sessions_7d.iloc[:N_SHOWN].to_numpy()  # shap colours 5th-95th percentile
    low, high = np.percentile(sessions, [5, 95])
    np.testing.assert_allclose(np.sort(points.get_array()), np.sort(np.clip(sessions, low, high)))
    assert ax.get_xlabel() == "recency_days (raw value)"
    plt.figure()
    assert plot_shap_dependence(plain, "recency_days").get_xlabel() == (
        "recency_days (feature value)")

    # the beeswarm colours by the model's inputs, with or without display values
    drawn = []
    for e in (shown, plain):
        np.random.seed(0)  # shap's beeswarm shuffles with NumPy's global random state
        plt.figure()
        ax = plot_shap_beeswarm(e)
        drawn.append([(c.get_offsets().copy(), c.get_array()) for c in ax.collections])
    for (offsets_a, colours_a), (offsets_b, colours_b) in zip(*drawn, strict=True):
        np.testing.assert_array_equal(offsets_a, offsets_b)
        if colours_a is not None:
            np.testing.assert_array_equal(colours_a, colours_b)


# --- scikit-learn models (issue 15, item 11) ---------------------------------------------------


@pytest.fixture(scope="module")
def sk_data():
    """Churn-like data: x0 raises risk, x1 lowers it, x3 is an integer count, x5 is noise."""
    rng = np.random.default_rng(4)
    n = 600
    X = pd.DataFrame(rng.normal(size=(n, 6)) * [1, 2, 1, 1, 1, 1] + [0, 5, 0, 0, 0, 0],
                     columns=FEATURES, index=pd.Index(np.arange(n) + 10, name="user_id"))
    X["x3"] = rng.poisson(3, n).astype(float)
    logit = 1.2 * X.x0 - 0.6 * (X.x1 - 5) + 0.3 * (X.x3 - 3) + 0.2 * X.x2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def sk_models():
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": (LogisticRegression(max_iter=1000), "linear", "logit"),
        "scaled logistic": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                            "linear", "logit"),
        "hist boosting": (HistGradientBoostingClassifier(max_iter=60, random_state=0), "tree",
                          "logit"),
        "scaled hist boosting": (make_pipeline(StandardScaler(), HistGradientBoostingClassifier(
            max_iter=30, random_state=0)), "tree", "logit"),
        "boosting": (GradientBoostingClassifier(n_estimators=40, random_state=0), "tree", "logit"),
        "forest": (RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0), "tree",
                   "probability"),
    }


def sk_target(model, X, scale):
    p = model.predict_proba(X)[:, 1]
    return np.log(p / (1 - p)) if scale == "logit" else p


@pytest.mark.parametrize("name", list(sk_models()))
def test_sklearn_values_add_up_to_the_model_output(sk_data, name):
    X, y = sk_data
    model, method, scale = sk_models()[name]
    model.fit(X.iloc[:500], y[:500])
    rows = X.iloc[500:]
    e = explain(model, X.iloc[:500], rows)  # method="auto"
    assert e.output_names == scale
    assert e.values.shape == rows.shape and list(e.instance_names) == list(rows.index)
    target = sk_target(model, rows, scale)
    if scale == "logit":  # the boosted ensembles and the logistic model: decision_function
        np.testing.assert_allclose(model.decision_function(rows), target, atol=1e-9)
    assert np.abs(e.values.sum(axis=1) + e.base_values - target).max() < 1e-6
    explicit = explain(model, X.iloc[:500], rows, method=method)
    np.testing.assert_array_equal(explicit.values, e.values)


def test_linear_explainer_matches_the_closed_form_in_raw_columns(sk_data):
    X, y = sk_data
    model, _, _ = sk_models()["scaled logistic"]
    model.fit(X, y)
    scaler, logistic = model[0], model[-1]
    w = logistic.coef_[0] / scaler.scale_  # slope of the log-odds per raw unit
    background, rows = X.iloc[:100], X.iloc[100:160]
    e = explain(model, background, rows, n_background=100)
    expected = (rows.to_numpy() - background.mean().to_numpy()) * w
    np.testing.assert_allclose(e.values, expected, atol=1e-9)
    assert e.base_values[0] == pytest.approx(model.decision_function(background).mean(),
                                             abs=1e-9)


def test_tree_explainer_on_a_threshold_tie_and_an_unused_feature(sk_data):
    # HistGradientBoosting's thresholds can be data values; shap 0.51's interventional tree
    # explainer misroutes such rows (why explain uses the path-dependent algorithm). x5 is
    # constant, so no tree can split on it and its SHAP values must be exactly 0.
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = sk_data
    X = X.assign(x5=1.0)
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, y)
    nodes = np.concatenate([p[0].nodes for p in model._predictors])
    splits = nodes[nodes["is_leaf"] == 0]
    on_threshold = [(f, t) for f, t in zip(splits["feature_idx"], splits["num_threshold"],
                                           strict=True) if (X.iloc[:, f] == t).any()]
    assert on_threshold  # the data do contain rows lying exactly on a threshold
    f, t = on_threshold[0]
    rows = X[X.iloc[:, f] == t]
    e = explain(model, None, rows, method="tree")
    assert np.abs(e.values.sum(axis=1) + e.base_values - model.decision_function(rows)).max() \
        < 1e-6
    assert np.abs(e.values[:, 5]).max() == 0


def test_model_agnostic_explainers_work_on_sklearn_models(sk_data):
    X, y = sk_data
    model, _, _ = sk_models()["scaled hist boosting"]
    model.fit(X, y)
    rows = X.iloc[:8]
    p = model.predict_proba(rows)[:, 1]
    kernel = explain(model, X, rows, method="kernel", n_background=40)
    assert kernel.output_names == "probability"
    assert np.abs(kernel.values.sum(axis=1) + kernel.base_values - p).max() < 1e-6
    logit = explain(model, X, rows, method="permutation", n_background=20, output="logit",
                    max_evals=200)
    assert np.abs(logit.values.sum(axis=1) + logit.base_values - np.log(p / (1 - p))).max() \
        < 1e-6
    # the exact tree explainer and the kernel explainer (on the log-odds) rank alike
    tree = explain(model, None, X.iloc[:60])
    kernel_logit = explain(model, X, X.iloc[:60], method="kernel", n_background=40,
                           output="logit")
    rho = spearmanr(np.abs(tree.values).mean(axis=0),
                    np.abs(kernel_logit.values).mean(axis=0)).statistic
    assert rho >= 0.8


def test_sklearn_bad_input_raises_naming_the_problem(sk_data):
    from sklearn.decomposition import PCA
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    X, y = sk_data
    rows = X.iloc[:5]
    logistic = LogisticRegression().fit(X, y)
    boosting = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
    with pytest.raises(ValueError, match="method='deep' needs a Keras network"):
        explain(logistic, X, rows, method="deep")
    with pytest.raises(ValueError, match="method='tree' needs a tree ensemble"):
        explain(logistic, X, rows, method="tree")
    with pytest.raises(ValueError, match="method='linear' needs a linear classifier"):
        explain(boosting, X, rows, method="linear")
    with pytest.raises(ValueError, match=r"output='probability': method='linear' explains this "
                       r"model's own output space \('logit'\) exactly"):
        explain(logistic, X, rows, output="probability")
    with pytest.raises(ValueError, match=r"explains a Pipeline only when its steps before the "
                       r"model are StandardScaler .* got PCA"):
        explain(make_pipeline(PCA(3), LogisticRegression()).fit(X, y), X, rows)
    with pytest.raises(ValueError, match="method='auto' has no exact explainer for "
                       "KNeighborsClassifier"):
        explain(KNeighborsClassifier().fit(X, y), X, rows)
    three = LogisticRegression().fit(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match=r"binary classifier .* got classes \[0, 1, 2\]"):
        explain(three, X, rows)
    with pytest.raises(ValueError, match="X has 5 columns, the model expects 6"):
        explain(logistic, X.iloc[:, :5], rows.iloc[:, :5])


# --- group importance (issue 15, item 5) ------------------------------------------------------


def test_group_importance_equals_the_definition_by_hand():
    # users x features: two visit windows that trade credit, a one-hot region, and tenure
    values = np.array([[0.30, -0.20, 0.05, -0.05, 0.10],
                       [-0.10, 0.20, -0.02, 0.00, -0.30],
                       [0.20, 0.10, 0.00, 0.03, 0.00],
                       [0.00, -0.40, 0.01, 0.01, 0.20]])
    names = ["visits_7d", "visits_28d", "region_eu", "region_na", "tenure_days"]
    e = shap.Explanation(values=values, data=np.zeros_like(values), feature_names=names)
    table = group_importance(e, {"visits": ["visits_7d", "visits_28d"],
                                 "region": ["region_eu", "region_na"]})
    # visits: |0.1|, |0.1|, |0.3|, |-0.4| -> 0.9 / 4 = 0.225; columns: 0.6/4 + 0.9/4 = 0.375
    # region: |0|, |-0.02|, |0.03|, |0.02| -> 0.07 / 4 = 0.0175; columns: 0.08/4 + 0.09/4
    # tenure (a group of its own): 0.6 / 4 = 0.15
    assert table.group.tolist() == ["visits", "tenure_days", "region"]
    assert table.mean_abs_shap.tolist() == pytest.approx([0.225, 0.15, 0.0175])
    assert table.sum_of_columns.tolist() == pytest.approx([0.375, 0.15, 0.0425])
    assert table.n_features.tolist() == [2, 1, 2]
    assert table.share.tolist() == pytest.approx(np.array([0.225, 0.15, 0.0175]) / 0.3925)
    assert table.index.tolist() == [1, 2, 3]
    # a function feature -> group gives the same table
    by_prefix = group_importance(e, lambda f: f.split("_")[0] if f[:3] != "ten" else f)
    assert by_prefix.set_index("group").loc[["visits", "region"], "mean_abs_shap"].tolist() == \
        pytest.approx([0.225, 0.0175])
    # one group per feature: the driver table's mean |SHAP|
    alone = group_importance(e, {}).set_index("group").mean_abs_shap
    pd.testing.assert_series_equal(
        alone.loc[names], driver_table(e).set_index("feature").mean_abs_shap.loc[names],
        check_names=False)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 5), elements=st.floats(-3, 3)))
def test_group_importance_never_exceeds_the_sum_of_its_columns(values):
    e = shap.Explanation(values=values, data=values, feature_names=list("abcde"))
    table = group_importance(e, {"ab": ["a", "b"], "cde": ["c", "d", "e"]}).set_index("group")
    assert (table.mean_abs_shap <= table.sum_of_columns + 1e-12).all()
    for group, cols in (("ab", [0, 1]), ("cde", [2, 3, 4])):
        assert table.loc[group, "mean_abs_shap"] == pytest.approx(
            np.abs(values[:, cols].sum(axis=1)).mean(), abs=1e-12)


def test_group_importance_bad_groups():
    e = hand_explanation()
    with pytest.raises(ValueError, match=r"names features not in the explanation: \['visits'\]"):
        group_importance(e, {"a": ["visits", "score"]})
    with pytest.raises(ValueError, match=r"puts features in two groups: \['score'\]"):
        group_importance(e, {"a": ["score"], "b": ["score", "n_sessions"]})
    with pytest.raises(ValueError, match=r"has empty groups: \['a'\]"):
        group_importance(e, {"a": []})
    with pytest.raises(ValueError, match="groups must be a mapping"):
        group_importance(e, ["score"])


# --- reason codes: options and stability (issue 15, item 7) -----------------------------------


def test_reason_codes_min_shap_and_exclude_by_hand():
    e = hand_explanation()
    # ann: recency +0.30, n_sessions +0.20; cy: score +0.40, recency +0.10
    codes = reason_codes(e, top=2, min_shap=0.15)
    assert codes.loc["ann"].tolist() == ["recency_days = 12 — raises risk",
                                         "n_sessions = 2 — raises risk"]
    assert codes.loc["cy"].tolist() == ["score = 0.5 — raises risk", None]
    codes = reason_codes(e, top=2, exclude=["recency_*"])
    assert codes.loc["ann"].tolist() == ["n_sessions = 2 — raises risk", None]
    assert codes.loc["cy"].tolist() == ["score = 0.5 — raises risk", None]
    both = reason_codes(e, top=1, direction="both", exclude="score", min_shap=0.2)
    assert both.reason_1.tolist() == ["recency_days = 12 — raises risk",
                                      "recency_days = 5 — lowers risk", None]
    with pytest.raises(ValueError, match=r"exclude matches no feature of the explanation: "
                       r"\['region_\*'\]"):
        reason_codes(e, exclude=["region_*"])
    with pytest.raises(ValueError, match="min_shap must be a finite number >= 0, got -0.1"):
        reason_codes(e, min_shap=-0.1)


def test_reason_code_agreement_by_hand():
    a = pd.DataFrame({"reason_1": ["r", "s", None, "t"], "reason_2": ["s", None, None, "u"]})
    b = pd.DataFrame({"reason_1": ["s", "s", "r", "t"], "reason_2": ["r", None, None, "v"]})
    agreement = reason_code_agreement(a, b)
    # reason_1 differs for users 0 and 2; the sets differ for users 2 and 3
    # overlaps: {r,s}/{r,s} = 1, {s}/{s} = 1, {}/{r} = 0, {t,u}/{t,v} = 1/3
    assert agreement["reason_1_changed"] == pytest.approx(0.5)
    assert agreement["reasons_changed"] == pytest.approx(0.5)
    assert agreement["mean_overlap"] == pytest.approx((1 + 1 + 0 + 1 / 3) / 4)
    assert agreement["users"] == 4
    same = reason_code_agreement(a, a)
    assert same[["reason_1_changed", "reasons_changed"]].tolist() == [0, 0]
    assert same["mean_overlap"] == 1
    with pytest.raises(ValueError, match="same users in the same order"):
        reason_code_agreement(a, b.iloc[::-1])
    with pytest.raises(ValueError, match="same reason columns"):
        reason_code_agreement(a, b[["reason_1"]])
