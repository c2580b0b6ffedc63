"""The plotting convention (issue 12): ``ax=None`` draws on ``plt.gca()``, the Axes drawn on is
returned, ``decorate`` is the one labelling helper, and a model keeps its colour across figures.

Every figure function in ``retainkit.plotting.__all__`` gets a case below; a test fails when a
new one is added without it. Inputs are small literal frames, so these tests do not depend on
the simulator.
"""

import inspect
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from retainkit import plotting  # noqa: E402
from retainkit.evaluation import threshold_for_cost  # noqa: E402
from retainkit.plotting import decorate, model_color, model_colors  # noqa: E402
from retainkit.plotting._palette import FALLBACK_COLORS, MODEL_PALETTE  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    plt.close("all")
    yield
    plt.close("all")


def churn_scores(n=400, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 4, n)
    y = (rng.random(n) < p).astype(int)
    return y, {"MLP": p, "boosting": np.clip(p + rng.normal(0, 0.1, n), 0, 1),
               "recency rule": rng.random(n)}


def retention_table():
    cohorts = pd.DatetimeIndex(["2025-01-06", "2025-01-13", "2025-01-20"], tz="UTC",
                               name="cohort")
    table = pd.DataFrame({"cohort_size": [100, 80, 50], 0: [1.0, 1.0, 1.0],
                          1: [0.4, 0.35, np.nan], 2: [0.3, np.nan, np.nan]}, index=cohorts)
    table.attrs["retainkit"] = {"period": "week", "mode": "on", "cohort": "first",
                                "window": "calendar", "rates": True}
    return table


def retention_curve():
    return pd.DataFrame({"retention": [1.0, 0.4, 0.3], "ci_lower": [1.0, 0.35, 0.22],
                         "ci_upper": [1.0, 0.45, 0.39]}, index=pd.Index([0, 1, 2], name="period"))


def lifecycle_frame():
    weeks = pd.date_range("2025-01-06", periods=3, freq="W-MON", tz="UTC")
    return pd.DataFrame({"new": [30, 20, 25], "returning": [0, 18, 22],
                         "resurrecting": [0, 2, 4], "dormant": [0, -12, -9]}, index=weeks)


def durations():
    return np.array([1.0, 2, 2, 3, 5, 8, 8, 13, 21, 30]), np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 0])


def explanation(seed=0):
    import shap

    rng = np.random.default_rng(seed)
    values = rng.normal(size=(6, 3))
    return shap.Explanation(values=values, base_values=np.full(6, 0.2),
                            data=rng.integers(0, 10, (6, 3)).astype(float),
                            feature_names=["recency_days", "visits_7d", "tenure_days"],
                            instance_names=list(range(101, 107)))


# name -> a function that draws the figure on the axis it is given (None: the current one)
y, scores = churn_scores()
t, d = durations()
CASES = {
    "plot_retention_heatmap": lambda ax: plotting.plot_retention_heatmap(retention_table(), ax=ax),
    "plot_retention_curves": lambda ax: plotting.plot_retention_curves(retention_curve(), ax=ax),
    "plot_lifecycle": lambda ax: plotting.plot_lifecycle(lifecycle_frame(), ax=ax),
    "plot_km": lambda ax: plotting.plot_km(t, d, ax=ax),
    "plot_loglog": lambda ax: plotting.plot_loglog({"a": (t, d), "b": (t + 1, d)}, ax=ax),
    "plot_cumulative_hazard": lambda ax: plotting.plot_cumulative_hazard(t, d, ax=ax),
    "plot_hazard": lambda ax: plotting.plot_hazard(t, d, bandwidth=4.0, ax=ax),
    "plot_roc": lambda ax: plotting.plot_roc(y, scores, ax=ax),
    "plot_pr": lambda ax: plotting.plot_pr(y, scores, ax=ax),
    "plot_calibration": lambda ax: plotting.plot_calibration(y, scores, ax=ax),
    "plot_lift": lambda ax: plotting.plot_lift(y, scores, ax=ax),
    "plot_gain": lambda ax: plotting.plot_gain(y, scores, ax=ax),
    "plot_cost_curve": lambda ax: plotting.plot_cost_curve(
        threshold_for_cost(y, scores["MLP"], cost_fp=1.0, cost_fn=4.0), ax=ax),
    "plot_shap_beeswarm": lambda ax: plotting.plot_shap_beeswarm(explanation(), ax=ax),
    "plot_shap_bar": lambda ax: plotting.plot_shap_bar(explanation(), ax=ax),
    "plot_shap_waterfall": lambda ax: plotting.plot_shap_waterfall(explanation(), row=0, ax=ax),
    "plot_shap_dependence": lambda ax: plotting.plot_shap_dependence(explanation(),
                                                                     "recency_days", ax=ax),
    "plot_explainer_agreement": lambda ax: plotting.plot_explainer_agreement(
        {"deep": explanation(0), "kernel": explanation(1)}, ax=ax),
}


def test_every_figure_function_has_a_case_and_a_keyword_ax_defaulting_to_none():
    figure_functions = {n for n in plotting.__all__ if n.startswith("plot_")}
    assert figure_functions == set(CASES)
    for name in figure_functions:
        parameter = inspect.signature(getattr(plotting, name)).parameters.get("ax")
        assert parameter is not None and parameter.default is None, name
        assert parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD), name


def drawn_on(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.patches or ax.images)


@pytest.mark.parametrize("name", sorted(CASES))
def test_returns_the_axes_it_was_given_and_draws_on_it(name):
    fig, (ax, other) = plt.subplots(1, 2)
    plt.sca(other)  # the current axis must not be used when ax is given
    returned = CASES[name](ax)
    assert returned is ax
    assert drawn_on(ax) and not drawn_on(other)
    assert ax.get_title()  # every figure gets a title


@pytest.mark.parametrize("name", sorted(CASES))
def test_ax_none_draws_on_the_current_axes(name):
    fig, (first, current) = plt.subplots(1, 2)
    plt.sca(current)
    returned = CASES[name](None)
    assert returned is current
    assert drawn_on(current) and not drawn_on(first)
    assert plt.gca() is current  # left current, so a following call draws there too


@pytest.mark.parametrize("name", sorted(CASES))
def test_ax_none_without_an_open_figure_makes_one(name):
    assert not plt.get_fignums()
    returned = CASES[name](None)
    assert plt.get_fignums() == [returned.figure.number]
    assert returned in returned.figure.axes and drawn_on(returned)


# --- one colour per model name -------------------------------------------------------------------


def line_colors(ax) -> dict[str, str]:
    """Legend label (before " (") -> colour of the line drawn for it."""
    return {line.get_label().split(" (")[0]: to_hex(line.get_color()) for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_the_same_model_gets_the_same_colour_in_roc_and_pr_figures():
    _, (ax_roc, ax_pr) = plt.subplots(1, 2)
    plotting.plot_roc(y, scores, ax=ax_roc)
    # other order and another model: the colours follow the names, not the positions
    reordered = {"logistic": scores["boosting"] ** 2, "recency rule": scores["recency rule"],
                 "MLP": scores["MLP"], "boosting": scores["boosting"]}
    plotting.plot_pr(y, reordered, ax=ax_pr)
    roc, pr = line_colors(ax_roc), line_colors(ax_pr)
    for name in scores:
        assert roc[name] == pr[name] == model_color(name), name
    assert len({pr[name] for name in reordered}) == len(reordered)  # distinct within a figure


def test_calibration_lift_gain_and_cost_curve_use_the_model_colours():
    _, axes = plt.subplots(1, 4)
    plotting.plot_calibration(y, scores, ax=axes[0])
    plotting.plot_lift(y, scores, ax=axes[1])
    plotting.plot_gain(y, scores, ax=axes[2])
    result = threshold_for_cost(y, scores["boosting"], cost_fp=1.0, cost_fn=4.0)
    plotting.plot_cost_curve(result, ax=axes[3], model="boosting")
    for ax in axes[:3]:
        colors = line_colors(ax)
        assert all(colors[name] == model_color(name) for name in scores)
    counts_panel = axes[0].figure.axes[-1]  # the calibration count bars too
    bar_colors = {to_hex(p.get_facecolor()) for p in counts_panel.patches}
    assert bar_colors == {model_color(name) for name in scores}
    assert line_colors(axes[3])["total cost"] == model_color("boosting")


def test_fixed_palette_names_and_qualifiers():
    assert model_color("boosting") == model_color("Gradient Boosting ") == MODEL_PALETTE["boosting"]
    assert model_color("MLP (balanced weights)") == model_color("MLP") == MODEL_PALETTE["mlp"]
    assert model_color("oracle (true probabilities)") == MODEL_PALETTE["oracle"]
    # the names notebooks 05 and 06 draw side by side get different colours
    for figure in (["recency rule", "logistic", "boosting", "MLP"],
                   ["MLP raw", "MLP + Platt", "MLP + isotonic"],
                   ["oracle (true probabilities)", "MLP", "recency rule"],
                   ["seed model (10 features)", "logistic regression", "gradient boosting",
                    "improved MLP", "Conv1D sequence model", "oracle (true latent state)"]):
        assert len({model_color(name) for name in figure}) == len(figure), figure


def test_hash_fallback_is_the_same_in_every_process():
    names = ["my model", "XGBoost v2", "Ensemble #3", "a", "b"]
    code = ("import sys; from retainkit.plotting import model_color; "
            "print(' '.join(model_color(n) for n in sys.argv[1:]))")
    runs = set()
    for hash_seed in ("0", "1", "12345"):  # str hashes differ between these processes
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code, *names], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        runs.add(tuple(out))
    assert runs == {tuple(model_color(n) for n in names)}
    assert all(model_color(n) in FALLBACK_COLORS for n in names)
    assert len({model_color(n) for n in names}) > 1  # the hash spreads names over the colours


def test_model_colors_keeps_one_figure_apart_and_prefers_the_fixed_colours():
    # "MLP raw" and "MLP (balanced weights)" both ask for the MLP's blue
    colors = model_colors(["MLP raw", "MLP (balanced weights)", "logistic"])
    assert colors["MLP raw"] == model_color("MLP")
    assert colors["logistic"] == model_color("logistic")  # not taken by the repeated blue
    assert len(set(colors.values())) == 3
    many = model_colors([f"model {i}" for i in range(len(FALLBACK_COLORS))])
    assert len(set(many.values())) == len(FALLBACK_COLORS)


# --- one labelling helper ----------------------------------------------------------------------


def test_decorate_is_the_only_labelling_helper_and_can_keep_existing_labels():
    from retainkit.plotting import _base

    assert not hasattr(_base, "label_axes")
    fig, ax = plt.subplots()
    ax.set_title("My title")
    decorate(ax, overwrite=False, legend=False, title="Default", xlabel="days", ylabel="users")
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("My title", "days", "users")
    decorate(ax, title="Replaced", legend=False)
    assert ax.get_title() == "Replaced"
    plt.sca(ax)
    assert decorate(title="Current") is ax and ax.get_title() == "Current"


def test_survival_and_retention_figures_keep_labels_set_before_them():
    fig, ax = plt.subplots()
    ax.set(title="Two groups", xlabel="days after sign-up")
    plotting.plot_km(t, d, ax=ax, label="a")
    plotting.plot_km(t + 1, d, ax=ax, label="b")
    assert (ax.get_title(), ax.get_xlabel()) == ("Two groups", "days after sign-up")
    assert ax.get_ylabel() == "Share still active, S(t)"  # the default fills what was empty
    fig, ax = plt.subplots()
    ax.set_title("Weekly cohorts")
    plotting.plot_retention_heatmap(retention_table(), ax=ax)
    assert ax.get_title() == "Weekly cohorts" and ax.get_xlabel()


def test_shap_bar_drops_the_plus_sign_and_dependence_histogram_is_readable():
    """shap writes "+0.2" on mean |SHAP| bars and a 10 %-opacity histogram: both are mended."""
    import shap

    e = shap.Explanation(values=np.array([[0.3, -0.1], [-0.2, 0.1], [0.1, 0.0]]),
                         data=np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]),
                         feature_names=["a", "b"])
    texts = [t.get_text() for t in plotting.plot_shap_bar(e).texts]
    assert texts and not any(t.startswith("+") for t in texts)
    fig, ax = plt.subplots()
    plotting.plot_shap_dependence(e, "a", ax=ax)
    twins = [a for a in fig.axes if a is not ax and a.patches]
    assert len(twins) == 1
    tallest = max(bar.get_height() for bar in twins[0].patches)
    assert twins[0].get_ylim()[1] == pytest.approx(3 * tallest)
    assert {bar.get_alpha() for bar in twins[0].patches} == {0.25}
    plt.close("all")
