"""Generate the student copies ``notebooks/student/NN_*.ipynb`` from the full notebooks.

A student copy is its full notebook with every output and execution count cleared, the
execution timings removed from cell metadata, each cell tagged ``solution`` cut down to its
first comment line plus ``# YOUR CODE HERE`` (the tag stays), every cell tagged ``check`` kept
as it is (it fails with a message until the learner's solution passes), relative links deepened by one
folder so they still resolve from ``notebooks/student/`` (links to sibling notebooks stay:
they now lead to the sibling student copies), and ``"student": true`` added to the
``retainkit`` metadata. Output is byte-for-byte deterministic.

    python tools/make_student.py           # write missing or stale copies, remove orphans
    python tools/make_student.py --check   # write nothing; exit 1 if any copy is out of date
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import (  # noqa: E402  (tools/ is not a package)
    NAME_PATTERN,
    REPO_ROOT,
    cell_tags,
    display_path,
    dumps_notebook,
    notebook_paths,
    read_notebook,
    write_text_if_changed,
)

STUDENT_DIR = "student"
PLACEHOLDER = "# YOUR CODE HERE"
TIMING_KEYS = ("execution", "ExecuteTime")  # nbclient/JupyterLab and the old nbextension
# Markdown inline link or image target, and HTML href/src attributes.
LINK_TARGET = re.compile(r"(?P<pre>\]\(\s*<?|\b(?:href|src)=[\"'])(?P<target>[^)\s\"'>]+)")
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _stays(target: str) -> bool:
    """True for targets that need no rewrite: URLs, anchors, absolute paths, sibling notebooks."""
    if URL_SCHEME.match(target) or target.startswith(("#", "/")):
        return True
    return "/" not in target and NAME_PATTERN.match(target.split("#", 1)[0]) is not None


def deepen_links(markdown: str) -> str:
    """Prefix relative link targets with ``../`` (``../README.md`` → ``../../README.md``)."""
    return LINK_TARGET.sub(
        lambda m: m.group(0) if _stays(m["target"]) else f"{m['pre']}../{m['target']}",
        markdown,
    )


def placeholder(source: str, where: str = "solution cell") -> str:
    """The student version of a solution: its first comment line, then ``# YOUR CODE HERE``."""
    first_line = source.split("\n", 1)[0].rstrip()
    if not first_line.startswith("#"):
        raise ValueError(
            f"{where}: a cell tagged 'solution' must start with a comment naming the exercise "
            f"('# Exercise 1: ...'), found {first_line!r}"
        )
    return f"{first_line}\n{PLACEHOLDER}"


def student_notebook(nb, name: str = "notebook"):
    """Return the student copy of a full notebook (the input is not modified)."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        for key in TIMING_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            tags = cell_tags(cell)
            if "solution" in tags and "check" in tags:
                raise ValueError(
                    f"{name}: cell {i + 1} is tagged both 'solution' and 'check'; a check cell "
                    "must stay in the student copy, so it cannot be a solution"
                )
            if "solution" in tags:
                cell.source = placeholder(cell.source, f"{name}: cell {i + 1}")
        elif cell.cell_type == "markdown":
            cell.source = deepen_links(cell.source)
    meta = nb.metadata.get("retainkit")
    nb.metadata["retainkit"] = {**(meta if isinstance(meta, dict) else {}), "student": True}
    return nb


def render_student(path: Path) -> str:
    """The exact text of the student copy of the notebook at ``path``."""
    path = Path(path)
    return dumps_notebook(student_notebook(read_notebook(path), display_path(path)))


def sync_student_copies(notebooks_dir: Path, *, check: bool = False) -> list[str]:
    """Bring ``notebooks_dir/student/`` up to date, or with ``check=True`` only report.

    Returns one ``"path: state"`` line per copy that is (or was) missing, stale or extra;
    an empty list means every copy was already current.
    """
    notebooks_dir = Path(notebooks_dir)
    student_dir = notebooks_dir / STUDENT_DIR
    expected = {p.name: render_student(p) for p in notebook_paths(notebooks_dir)}
    messages = []
    for name, text in expected.items():
        target = student_dir / name
        if not target.exists():
            state = "missing"
        elif target.read_bytes() != text.encode("utf-8"):
            state = "stale"
        else:
            continue
        if not check:
            write_text_if_changed(target, text)
            state += ", written"
        messages.append(f"{display_path(target)}: {state}")
    orphans = sorted(p for p in student_dir.glob("*.ipynb") if p.name not in expected)
    for orphan in orphans:
        if not check:
            orphan.unlink()
        state = "extra" if check else "removed"
        messages.append(f"{display_path(orphan)}: {state} (no notebook of that name)")
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale copies, write nothing")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="workbook root folder")
    args = parser.parse_args(argv)
    try:
        messages = sync_student_copies(args.root / "notebooks", check=args.check)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    for message in messages:
        print(message)
    if args.check and messages:
        print("student copies are out of date; run: python tools/make_student.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
