"""Shared notebook plumbing for ``check_notebooks.py`` and ``make_student.py``.

Reading and writing go through nbformat so files keep the layout Jupyter writes
(one-space indent, sorted keys, trailing newline); ``write_notebook`` only touches a
file whose bytes change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

try:
    import nbformat
except ImportError:  # run with a Python that lacks the project's environment
    raise SystemExit(
        "nbformat is not installed in this Python: run the tools through the project's "
        "environment (`make student`, `make check`, or `.venv/bin/python tools/...`)"
    ) from None

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
NAME_PATTERN = re.compile(r"^(\d\d)_.+\.ipynb$")
TIERS = ("strict", "lax")
CONTENTS_LINK = "../README.md#notebook-map"


def notebook_paths(notebooks_dir: Path) -> list[Path]:
    """Return the ``NN_*.ipynb`` notebooks of a folder, sorted by number then name."""
    paths = [p for p in Path(notebooks_dir).glob(NOTEBOOK_GLOB) if p.is_file()]
    return sorted(paths, key=lambda p: (p.name[:2], p.name))


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat v4 (a v4 file keeps its minor version and cell ids)."""
    with open(path, encoding="utf-8") as f:
        return nbformat.read(f, as_version=4)


def dumps_notebook(nb: nbformat.NotebookNode) -> str:
    """Serialise exactly as Jupyter and ``nbformat.write`` do (indent 1, trailing newline)."""
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def write_text_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` (UTF-8, ``\\n`` line ends) unless the file already holds it."""
    path = Path(path)
    if path.exists() and path.read_bytes() == text.encode("utf-8"):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return True


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> bool:
    """Write a notebook if its serialisation differs from the file; return whether it did."""
    return write_text_if_changed(path, dumps_notebook(nb))


def retainkit_meta(nb: nbformat.NotebookNode) -> dict:
    """The notebook-level ``retainkit`` metadata block ({} when missing or not a mapping)."""
    meta = nb.get("metadata", {}).get("retainkit", {})
    return meta if isinstance(meta, dict) else {}


def cell_tags(cell) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, list) else []


def is_navigation_cell(cell) -> bool:
    return cell.get("cell_type") == "markdown" and "navigation" in cell_tags(cell)


def display_path(path: Path) -> str:
    """A short path for messages: relative to the working directory when below it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _label(path: Path) -> str:
    meta = retainkit_meta(read_notebook(path))
    number = str(meta.get("number") or path.name[:2])
    title = str(meta.get("title") or path.stem[3:].replace("_", " ").capitalize())
    return f"{number} {title}"


def navigation_line(path: Path, all_paths: list[Path]) -> str:
    """The generated navigation line of ``path`` within the sorted notebooks ``all_paths``.

    ``[← NN Title](prev.ipynb) · [Contents](../README.md#notebook-map) · [NN Title →](next.ipynb)``;
    the previous or next part is left out for the first or last notebook.
    """
    names = [p.name for p in all_paths]
    if path.name not in names:
        raise ValueError(f"{path.name} is not among the notebooks {names}")
    i = names.index(path.name)
    parts = []
    if i > 0:
        prev = all_paths[i - 1]
        parts.append(f"[← {_label(prev)}]({prev.name})")
    parts.append(f"[Contents]({CONTENTS_LINK})")
    if i + 1 < len(all_paths):
        nxt = all_paths[i + 1]
        parts.append(f"[{_label(nxt)} →]({nxt.name})")
    return " · ".join(parts)


# --------------------------------------------------------------------------- exercises

EXERCISES_HEADING = re.compile(r"^## +Exercises[ \t]*$", re.MULTILINE)
EXERCISE_HEADING = re.compile(r"^### +Exercise +(\d+)\b", re.MULTILINE)


class Exercise:
    """One ``### Exercise N`` of a notebook: its number and the cells that belong to it.

    ``heading`` is the index of the markdown cell holding the heading, ``preamble`` the text
    of that cell before the heading, and ``cells`` the indices of the following cells up to
    the next exercise heading (or the navigation cell).
    """

    def __init__(self, number: int, heading: int, preamble: str, cells: list[int]):
        self.number, self.heading, self.preamble, self.cells = number, heading, preamble, cells

    def __repr__(self) -> str:
        return f"Exercise({self.number}, heading={self.heading}, cells={self.cells})"

    def tagged(self, nb, tag: str) -> list[int]:
        """Indices of this exercise's code cells carrying ``tag``."""
        return [
            i for i in self.cells if nb.cells[i].cell_type == "code" and tag in cell_tags(nb.cells[i])
        ]


def exercises(nb) -> list[Exercise]:
    """The exercises of a notebook, in order (empty when it has no ``## Exercises`` heading)."""
    start = next(
        (i for i, c in enumerate(nb.cells)
         if c.cell_type == "markdown" and EXERCISES_HEADING.search(c.source)),
        None,
    )
    if start is None:
        return []
    found: list[Exercise] = []
    for i in range(start, len(nb.cells)):
        cell = nb.cells[i]
        if is_navigation_cell(cell):
            break
        match = EXERCISE_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            preamble = cell.source[: match.start()]
            if i == start:  # the preamble is the section's own heading (and what precedes it)
                preamble = preamble[EXERCISES_HEADING.search(preamble).end() :]
            found.append(Exercise(int(match[1]), i, preamble, []))
            if len(EXERCISE_HEADING.findall(cell.source)) > 1:
                found[-1].preamble += "\n<two exercise headings in one cell>"
        elif found:
            found[-1].cells.append(i)
    return found
