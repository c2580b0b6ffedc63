"""tools/make_glossary.py: the workbook glossary is generated from the notebooks."""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_glossary  # noqa: E402


def _write(path, glossary):
    nb = new_notebook(cells=[new_markdown_cell("# title"), new_markdown_cell(glossary)])
    nbformat.write(nb, path)


def test_glossary_collects_sorts_links_and_detects_staleness(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "docs").mkdir()
    _write(tmp_path / "notebooks" / "01_a.ipynb",
           "## Glossary\n\n- **Hazard**: f/S, the rate\n  among those still here.\n- **`as_of`**: the end.")
    _write(tmp_path / "notebooks" / "02_b.ipynb", "## Glossary\n\n- **Cohort**: users who started together.")
    assert make_glossary.main(["--root", str(tmp_path), "--check"]) == 1
    assert make_glossary.main(["--root", str(tmp_path)]) == 0
    text = (tmp_path / "docs" / "glossary.md").read_text()
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert lines == [
        "- **`as_of`** ([01](../notebooks/01_a.ipynb)): the end.",
        "- **Cohort** ([02](../notebooks/02_b.ipynb)): users who started together.",
        "- **Hazard** ([01](../notebooks/01_a.ipynb)): f/S, the rate among those still here.",
    ]
    assert make_glossary.main(["--root", str(tmp_path), "--check"]) == 0

