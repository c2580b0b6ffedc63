"""tools/make_helpers.py: docs/helpers.md is generated from __all__, docstrings and notebooks."""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_helpers  # noqa: E402


def test_index_follows_re_exports_docstrings_and_notebook_imports(tmp_path):
    pkg = tmp_path / "retainkit" / "events"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "from retainkit.events._a import clean, tidy\n__all__ = ['clean', 'tidy', 'LIMIT']\n"
        "LIMIT = 3\n")
    (pkg / "_a.py").write_text(
        'def clean(x):\n    """Clean.\n\n    Introduced in notebook 04.\n    """\n\n'
        'def tidy(x):\n    """No notebook named."""\n')
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "docs").mkdir()
    nb = new_notebook(cells=[new_markdown_cell("# 05"),
                             new_code_cell("from retainkit import events as ev"),
                             new_code_cell("%time ev.clean(1)\n"),  # a magic: skipped
                             new_code_cell("ev.clean(2)")])
    nbformat.write(nb, tmp_path / "notebooks" / "05_x.ipynb")
    nb2 = new_notebook(cells=[new_code_cell("from retainkit.events import (tidy,\n    clean)")])
    nbformat.write(nb2, tmp_path / "notebooks" / "06_y.ipynb")
    assert make_helpers.main(["--root", str(tmp_path), "--check"]) == 1
    assert make_helpers.main(["--root", str(tmp_path)]) == 0
    rows = [r for r in (tmp_path / "docs" / "helpers.md").read_text().splitlines()
            if r.startswith("| `")]
    assert rows == [
        "| `clean` | [`retainkit/events/_a.py`](../retainkit/events/_a.py) | 04 | 05, 06 |",
        "| `tidy` | [`retainkit/events/_a.py`](../retainkit/events/_a.py) | — | 06 |",
        "| `LIMIT` | [`retainkit/events/__init__.py`](../retainkit/events/__init__.py) | — | — |",
    ]
    assert make_helpers.main(["--root", str(tmp_path), "--check"]) == 0
