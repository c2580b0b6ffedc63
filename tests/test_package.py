"""The package skeleton: version, set_seed, check_environment, plot helpers (notebook 00)."""

import random
import warnings
from importlib import metadata

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import retainkit as rk
from retainkit import environment
from retainkit.plotting import decorate, setup


def test_version_matches_installed_metadata():
    assert rk.__version__ == metadata.version("retainkit")


def test_set_seed_reproduces_python_numpy_and_generator():
    gen_a = rk.set_seed(3)
    draws_a = (random.random(), np.random.rand(), gen_a.normal())
    gen_b = rk.set_seed(3)
    draws_b = (random.random(), np.random.rand(), gen_b.normal())
    assert draws_a == draws_b
    rk.set_seed(4)
    assert random.random() != draws_a[0]


def test_set_seed_reproduces_keras_weights():
    keras = pytest.importorskip("keras")

    def weights():
        rk.set_seed(11)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        return model.get_weights()[0]

    np.testing.assert_array_equal(weights(), weights())


@pytest.mark.parametrize("bad", [-1, 1.5, "7", None])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        rk.set_seed(bad)


def test_check_environment_reports_every_tested_package(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # this environment is the tested one: no warning
        found = rk.check_environment()
    assert set(environment.TESTED_RANGES) | {"python"} == set(found)
    assert found["pandas"] == metadata.version("pandas")
    assert "tensorflow" in capsys.readouterr().out


def test_check_environment_warns_outside_tested_range(monkeypatch):
    monkeypatch.setitem(environment.TESTED_RANGES, "pandas", ("0.1", "0.2"))
    monkeypatch.setitem(environment.TESTED_RANGES, "not-a-real-package-xyz", ("1", None))
    with pytest.warns(UserWarning) as record:
        found = rk.check_environment(verbose=False)
    messages = " ".join(str(w.message) for w in record)
    assert "pandas" in messages and "outside the tested range" in messages
    assert found["not-a-real-package-xyz"] is None and "not installed" in messages


@pytest.mark.parametrize(
    ("version", "expected"),
    [("2.21.0", (2, 21, 0)), ("0.30.3", (0, 30, 3)), ("2.0.0rc1", (2, 0, 0)), ("4", (4,))],
)
def test_version_parsing(version, expected):
    assert environment._as_tuple(version) == expected


def test_decorate_sets_labels_and_legend():
    setup()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    returned = decorate(ax, title="T", xlabel="days", ylabel="users", xlim=(0, 2))
    assert returned is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "days", "users")
    assert ax.get_xlim() == (0, 2)
    assert ax.get_legend() is not None
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [0, 1], label="line")
    decorate(ax2, legend=False)
    assert ax2.get_legend() is None
    plt.close("all")


def test_plotting_exports_every_name_and_loads_heavy_ones_lazily():
    import subprocess
    import sys

    code = (
        "import sys, retainkit.plotting as p\n"
        "assert 'sklearn.metrics' not in sys.modules and 'shap' not in sys.modules\n"
        "missing = [n for n in p.__all__ if not callable(getattr(p, n))]\n"
        "assert not missing, missing\n"
        "assert 'shap' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
