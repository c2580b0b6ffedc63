"""The environment check run at the top of notebook 00 (introduced there)."""

from __future__ import annotations

import platform
import re
import warnings
from importlib import metadata

# (distribution name, lowest tested, first untested) -- keep in step with pyproject.toml.
TESTED_RANGES: dict[str, tuple[str, str | None]] = {
    "tensorflow": ("2.16", "2.22"),
    "keras": ("3.0", "4"),
    "pandas": ("2.1", "3"),
    "numpy": ("1.26", "3"),
    "scipy": ("1.11", None),
    "scikit-learn": ("1.4", None),
    "matplotlib": ("3.8", None),
    "seaborn": ("0.13", None),
    "shap": ("0.46", None),
    "lifelines": ("0.28", "0.31"),
    "jupyterlab": ("4", None),
    "pyarrow": ("15", None),
}


def _as_tuple(version: str) -> tuple[int, ...]:
    """``"2.0.0rc1"`` -> ``(2, 0, 0)``: numeric release parts, stopping at a pre-release tag."""
    parts = []
    for piece in version.split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group()))
        if match.end() < len(piece):
            break
    return tuple(parts)


def check_environment(*, verbose: bool = True) -> dict[str, str | None]:
    """Print the versions of the workbook's stack and warn about untested ones.

    Introduced in notebook 00. Returns ``{package: version or None}``; a missing package
    is ``None`` and gets a warning telling you how to install it, as does a version
    outside the range the workbook is tested with (see ``TESTED_RANGES``).
    """
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name, (low, high) in TESTED_RANGES.items():
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
            warnings.warn(
                f"{name} is not installed: run `make lab` (or `pip install -e .[dev]`).",
                stacklevel=2,
            )
            continue
        found[name] = version
        too_old = _as_tuple(version) < _as_tuple(low)
        too_new = high is not None and _as_tuple(version) >= _as_tuple(high)
        if too_old or too_new:
            upper = f", < {high}" if high else ""
            warnings.warn(
                f"{name} {version} is outside the tested range (>= {low}{upper}); "
                "results may differ from the stored outputs.",
                stacklevel=2,
            )
    if verbose:
        width = max(map(len, found))
        for name, version in found.items():
            print(f"{name:<{width}}  {version or 'MISSING'}")
    return found
