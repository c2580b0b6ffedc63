"""Shared API tests over every public name (scikit-learn's common tests, in miniature).

- Public names are frozen: a topic may add names, never lose one (FROZEN is the list of
  2026-12, before the subpackage layout; add new names to the topic's ``__all__``, not here).
- Every topic's ``__init__`` docstring table names each public name and the file holding it.
- Every public function says which notebook introduces it; events, retention and survival
  functions carry a runnable Examples section (``make unit`` runs them as doctests).
- Private modules are not imported across topics; no file grows past ~400 lines.
"""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "retainkit"

FROZEN = {
    "events": ["sessionize", "sessions", "validate_events"],
    "simulate": ["PRESETS", "Simulation", "simulate_app"],
    "datasets": ["APP_SNAPSHOT_ARGS", "ChecksumError", "PRESETS", "data_dir", "list_datasets",
                 "load_app_events", "load_app_users", "load_cdnow", "load_sbg_paper"],
    "retention": ["Stickiness", "active_users", "bracket_retention", "churn_rate", "lifecycle",
                  "retention_curve", "retention_table", "stickiness", "wilson_interval"],
    "survival": ["ExponentialFit", "LogRankResult", "MedianSurvival", "SBGFit", "WeibullFit",
                 "durations_from_events", "fit_exponential", "fit_sbg", "fit_weibull",
                 "kaplan_meier", "logrank_test", "median_survival", "nelson_aalen",
                 "sbg_survival", "smoothed_hazard"],
    "features": ["DAY", "DEFAULT_WINDOWS", "FEATURES", "SEQUENCE_CHANNELS", "Snapshot",
                 "activity_sequences", "count_columns", "describe_feature", "log_counts",
                 "make_snapshot", "temporal_split"],
    "models": ["Log1p", "build_churn_mlp", "build_discrete_hazard_model", "build_seed_mlp",
               "build_sequence_model", "discrete_hazard_loss", "discrete_hazard_targets",
               "fit_model", "load_model", "predict_survival"],
    "evaluation": ["ThresholdResult", "brier_score", "brier_score_curve", "calibration_table",
                   "classification_summary", "compare_models", "concordance_index",
                   "expected_calibration_error", "integrated_brier_score", "lift_table",
                   "threshold_for_cost", "threshold_for_value"],
    "explain": ["ADDITIVITY_TOLERANCE", "BACKGROUND_SAMPLING", "LOWERS", "METHODS", "OUTPUTS",
                "RAISES", "REASON_DIRECTIONS", "UNCLEAR", "driver_table", "explain",
                "importance_by_method", "reason_codes"],
    "plotting": ["at_risk_counts", "decorate", "plot_calibration", "plot_cost_curve",
                 "plot_cumulative_hazard", "plot_explainer_agreement", "plot_gain", "plot_hazard",
                 "plot_km", "plot_lifecycle", "plot_lift", "plot_pr", "plot_retention_curves",
                 "plot_retention_heatmap", "plot_roc", "plot_shap_bar", "plot_shap_beeswarm",
                 "plot_shap_dependence", "plot_shap_waterfall", "setup"],
    "experiments": [],
    "clv": [],
    "recommend": [],
    "checks": [],
}
WITH_EXAMPLES = ("events", "retention", "survival")
# The front door is shared on purpose: every topic reads logs through it.
SHARED_PRIVATE = {"retainkit._validation", "retainkit._seed", "retainkit.events._reader",
                  "retainkit.events._timestamps"}
LONG_FILES: dict[str, str] = {}  # path -> why it may exceed MAX_LINES
MAX_LINES = 420


def topic(name):
    return importlib.import_module(f"retainkit.{name}")


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_public_names_are_kept_and_resolve(name):
    module = topic(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), "duplicated names in __all__"
    assert not set(FROZEN[name]) - set(exported), "a public name was removed"
    for public in exported:
        assert hasattr(module, public), f"retainkit.{name}.{public} does not resolve"


@pytest.mark.parametrize("name", sorted(n for n in FROZEN if (PACKAGE / n).is_dir()))
def test_topic_docstring_table_names_every_public_name_and_its_file(name):
    module = topic(name)
    doc = module.__doc__ or ""
    for public in module.__all__:
        obj = getattr(module, public)
        assert public in doc, f"retainkit.{name}: {public} missing from the docstring table"
        source = inspect.getsourcefile(obj) if inspect.isfunction(obj) or inspect.isclass(
            obj) else None
        if source and Path(source).is_relative_to(PACKAGE / name):
            assert Path(source).name in doc, f"{public}: its file {Path(source).name} not named"


def public_callables():
    for name in sorted(FROZEN):
        module = topic(name)
        for public in module.__all__:
            obj = getattr(module, public)
            if inspect.isfunction(obj):
                yield name, public, obj


@pytest.mark.parametrize(("name", "public", "obj"), list(public_callables()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_public_function_names_its_notebook(name, public, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc, f"retainkit.{name}.{public} has no docstring"
    assert "notebook" in doc.lower(), f"retainkit.{name}.{public}: which notebook introduces it?"
    if name in WITH_EXAMPLES:
        assert "Examples\n--------" in doc or ">>> " in doc, \
            f"retainkit.{name}.{public}: add a small runnable Examples section"


def python_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_private_modules_are_not_imported_across_topics():
    offenders = []
    for path in python_files():
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        own = rel.parts[1] if len(rel.parts) > 2 else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                    "retainkit."):
                parts = node.module.split(".")
                private = any(p.startswith("_") for p in parts[1:])
                if private and parts[1] != own and node.module not in SHARED_PRIVATE:
                    offenders.append(f"{rel}: from {node.module} import ...")
    assert offenders == []


def test_no_file_is_over_the_line_budget():
    long = {p.relative_to(PACKAGE.parent).as_posix(): n for p in python_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_FILES), long
