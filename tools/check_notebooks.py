"""Lint the workbook notebooks against the conventions of docs/authoring.md.

Checks every ``notebooks/NN_*.ipynb`` (or the given paths): the ``retainkit`` metadata block,
the anatomy (title cell, learning objectives, required sections, exercises: solution cells,
a check cell after them, the answer in <details>),
that it was executed top to bottom with no stored error, and that its navigation line is
current. Without explicit paths it also checks the notebook map in README.md. Each problem
is printed as ``path: problem``; the exit code is 1 when there is any.

    python tools/check_notebooks.py              # lint everything
    python tools/check_notebooks.py --fix        # rewrite navigation lines and the README map
    python tools/check_notebooks.py --list-tier strict   # notebooks of one nbval tier

``--fix`` touches nothing but the navigation cells and the README map: outputs and execution
counts are left exactly as they are.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks as nbtools  # noqa: E402  (tools/ is not a package)
from notebooks import (  # noqa: E402
    NAME_PATTERN,
    REPO_ROOT,
    TIERS,
    cell_tags,
    display_path,
    is_navigation_cell,
    navigation_line,
    notebook_paths,
    read_notebook,
    retainkit_meta,
    write_notebook,
    write_text_if_changed,
)

MAP_START = "<!-- notebook-map:start -->"
MAP_END = "<!-- notebook-map:end -->"
FIX_HINT = " (run: python tools/check_notebooks.py --fix)"
EXECUTE_HINT = "re-run it top to bottom in one kernel (make execute)"
REQUIRED_SECTIONS = ("Check your understanding", "Summary", "Glossary", "Exercises")
MIN_EXERCISES = 3
BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+\S")


# --------------------------------------------------------------------------- metadata


def tier(path: Path) -> str:
    """The nbval tier (``"strict"`` or ``"lax"``) declared in a notebook's metadata."""
    value = retainkit_meta(read_notebook(path)).get("tier")
    if value not in TIERS:
        raise ValueError(
            f"{display_path(path)}: metadata retainkit.tier must be one of "
            f"{', '.join(TIERS)}; got {value!r}"
        )
    return value


def _check_metadata(path: Path, nb) -> list[str]:
    if not NAME_PATTERN.match(path.name):
        return [f"file name must look like NN_topic.ipynb, got {path.name!r}"]
    meta = nb.metadata.get("retainkit")
    if not isinstance(meta, dict):
        return ["notebook metadata has no 'retainkit' block (see docs/authoring.md)"]
    problems = []
    number, prefix = meta.get("number"), path.name[:2]
    if not (isinstance(number, str) and re.fullmatch(r"\d\d", number)):
        problems.append(
            f"metadata retainkit.number must be a two-digit string like {prefix!r}, got {number!r}"
        )
    elif number != prefix:
        problems.append(
            f"metadata retainkit.number {number!r} does not match the file name prefix {prefix!r}"
        )
    for key in ("title", "summary"):
        value = meta.get(key)
        if not (isinstance(value, str) and value.strip()):
            problems.append(f"metadata retainkit.{key} must be a non-empty string, got {value!r}")
    minutes = meta.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        problems.append(f"metadata retainkit.minutes must be a positive integer, got {minutes!r}")
    if meta.get("tier") not in TIERS:
        problems.append(
            f"metadata retainkit.tier must be one of {', '.join(TIERS)}, got {meta.get('tier')!r}"
        )
    return problems


# --------------------------------------------------------------------------- anatomy


def _count_list_items(text: str) -> int:
    """Top-level list items at the start of ``text`` (blank and indented lines continue)."""
    count = 0
    for line in text.splitlines():
        if BULLET.match(line):
            count += 1
        elif line.strip() and not line[0].isspace():
            break
    return count


def _check_first_cell(nb) -> list[str]:
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["the first cell must be markdown: '# NN · Title', objectives, prerequisites, time"]
    source = nb.cells[0].source
    problems = []
    first_line = source.lstrip("\n").split("\n", 1)[0].rstrip()
    meta = retainkit_meta(nb)
    if meta.get("number") and meta.get("title"):
        expected = f"# {meta['number']} · {meta['title']}"
        if first_line != expected:
            problems.append(f"the first cell must start with {expected!r}, found {first_line!r}")
    elif not re.fullmatch(r"# \d\d · \S.*", first_line):
        problems.append(f"the first cell must start with '# NN · Title', found {first_line!r}")
    heading = re.search(r"^## Learning objectives[ \t]*$", source, re.MULTILINE)
    if heading is None:
        problems.append("the first cell has no '## Learning objectives' heading")
    else:
        n = _count_list_items(source[heading.end() :].lstrip("\n"))
        if not 3 <= n <= 5:
            problems.append(f"'## Learning objectives' has {n} bullet items, expected 3 to 5")
    for marker in ("**Prerequisites:**", "**Estimated time:**"):
        if marker not in source:
            problems.append(f"the first cell has no {marker} line")
    return problems


def markdown_sections(nb) -> dict[str, str]:
    """Map each ``## Heading`` of the markdown cells to the markdown text under it."""
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    parts = re.split(r"^## +(.+?)[ \t]*$", text, flags=re.MULTILINE)
    sections: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[heading] = sections.get(heading, "") + body
    return sections


def _check_sections(nb) -> list[str]:
    sections = markdown_sections(nb)
    problems = [
        f"missing heading '## {name}'" for name in REQUIRED_SECTIONS if name not in sections
    ]
    if (
        "Check your understanding" in sections
        and "<details>" not in sections["Check your understanding"]
    ):
        problems.append("'## Check your understanding' has no <details> answer block")
    if "Exercises" in sections:
        numbers = [
            int(n)
            for n in re.findall(r"^### +Exercise +(\d+)\b", sections["Exercises"], re.MULTILINE)
        ]
        if len(numbers) < MIN_EXERCISES:
            problems.append(
                f"'## Exercises' has {len(numbers)} '### Exercise N' headings, "
                f"expected at least {MIN_EXERCISES}"
            )
        elif numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"exercises are numbered {numbers}, expected 1, 2, 3, ... in order")
    solutions = [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "solution" in cell_tags(c)
    ]
    if not solutions:
        problems.append("no code cell is tagged 'solution'")
    for i, cell in solutions:
        first_line = cell.source.split("\n", 1)[0]
        if not first_line.startswith("#"):
            problems.append(
                f"cell {i + 1}: a solution cell must start with a comment naming the exercise "
                f"('# Exercise 1: ...'), found {first_line!r}"
            )
    return problems


DETAILS_BLOCK = re.compile(r"<details>.*?</details>", re.DOTALL)
ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)
SECTION_HEADING = re.compile(r"^#{1,3} ", re.MULTILINE)


def _plain_text(markdown: str) -> str:
    """Markdown left in plain view once every ``<details>...</details>`` block is removed."""
    return DETAILS_BLOCK.sub("", markdown).strip()


def _check_exercises(nb) -> list[str]:
    """The exercise anatomy: solution cell(s), a check cell, then the answer in <details>."""
    problems = []
    for i, cell in enumerate(nb.cells):
        tags = cell_tags(cell)
        if "check" in tags and "solution" in tags:
            problems.append(f"cell {i + 1}: tagged both 'solution' and 'check'")
        if cell.cell_type == "code" and "solution" in tags and ASSERT_LINE.search(cell.source):
            problems.append(
                f"cell {i + 1}: a solution cell holds an assert; move the self-check into the "
                "check cell that follows it (the student copy replaces solution cells)"
            )
        if cell.cell_type == "code" and "check" in tags and "expect(" not in cell.source:
            problems.append(
                f"cell {i + 1}: a check cell must name what it expects with "
                "retainkit.checks.expect(globals(), name, what)"
            )
    for ex in nbtools.exercises(nb):
        where = f"exercise {ex.number} (cell {ex.heading + 1})"
        if _plain_text(ex.preamble):
            problems.append(
                f"{where}: text before the '### Exercise {ex.number}' heading is in plain view; "
                "put the previous exercise's answer in a <details> block after its check cell"
            )
        solutions, checks = ex.tagged(nb, "solution"), ex.tagged(nb, "check")
        if not solutions:
            problems.append(f"{where}: no code cell tagged 'solution'")
            continue
        after = solutions[-1] + 1
        if after not in checks:
            problems.append(
                f"{where}: the last solution cell (cell {solutions[-1] + 1}) must be followed by "
                "a code cell tagged 'check' that stays in the student copy"
            )
            continue
        rest = [j for j in ex.cells if j > after]
        markdown = [j for j in rest if nb.cells[j].cell_type == "markdown"]
        if not markdown or "<details>" not in nb.cells[markdown[0]].source:
            problems.append(
                f"{where}: the check cell (cell {after + 1}) must be followed by the written "
                "answer in a collapsed <details> block"
            )
        for j in markdown:
            if _plain_text(nb.cells[j].source):
                problems.append(
                    f"cell {j + 1}: markdown after exercise {ex.number}'s check is in plain "
                    "view; answers go inside <details>...</details>"
                )
    return problems


# --------------------------------------------------------------------------- execution


def _check_execution(nb) -> list[str]:
    problems = []
    expected = 1
    in_order = True
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(
                    f"cell {i + 1}: stored error output "
                    f"({output.get('ename', '?')}: {output.get('evalue', '')})"
                )
            elif output.get("output_type") == "stream" and "Traceback" in output.get("text", ""):
                problems.append(f"cell {i + 1}: {output.get('name')} output contains a Traceback")
        if not cell.source.strip() or not in_order:
            continue  # nbclient and Jupyter do not count empty cells
        count = cell.get("execution_count")
        if count is None:
            problems.append(f"cell {i + 1}: code cell was not executed; {EXECUTE_HINT}")
            in_order = False
        elif count != expected:
            problems.append(
                f"cell {i + 1}: execution count {count}, expected {expected}: "
                f"the notebook was not executed in order; {EXECUTE_HINT}"
            )
            in_order = False
        expected += 1
    return problems


# --------------------------------------------------------------------------- navigation


def _with_path(path: Path, all_paths: Iterable[Path]) -> list[Path]:
    by_name = {Path(p).name: Path(p) for p in all_paths}
    by_name.setdefault(path.name, path)
    return [by_name[name] for name in sorted(by_name, key=lambda n: (n[:2], n))]


def _check_navigation(path: Path, nb, all_paths: list[Path]) -> list[str]:
    expected = navigation_line(path, all_paths)
    positions = [i for i, c in enumerate(nb.cells) if is_navigation_cell(c)]
    if not positions:
        return ["no navigation cell: the last cell must be markdown tagged 'navigation'" + FIX_HINT]
    problems = []
    if len(positions) > 1:
        cells = ", ".join(str(i + 1) for i in positions)
        problems.append(
            f"{len(positions)} navigation cells (cells {cells}), expected one" + FIX_HINT
        )
    if positions[-1] != len(nb.cells) - 1:
        problems.append("the navigation cell is not the last cell" + FIX_HINT)
    if nb.cells[positions[-1]].source != expected:
        problems.append(f"navigation line is stale, expected {expected!r}" + FIX_HINT)
    return problems


def _unique_id(nb, base: str) -> str:
    taken = {c.get("id") for c in nb.cells}
    candidate, k = base, 1
    while candidate in taken:
        candidate, k = f"{base}-{k}", k + 1
    return candidate


def fix_navigation(path: Path, all_paths: Iterable[Path] | None = None) -> bool:
    """Rewrite (or append) the navigation cell of one notebook; return whether the file changed.

    Only navigation cells are touched: the last one tagged ``navigation`` is kept, moved to
    the end if needed and given the generated line; any other navigation cell is removed.
    """
    path = Path(path)
    all_paths = _with_path(path, notebook_paths(path.parent) if all_paths is None else all_paths)
    nb = read_notebook(path)
    navigation = [c for c in nb.cells if is_navigation_cell(c)]
    if navigation:
        cell = navigation[-1]
    else:
        cell = nbformat.v4.new_markdown_cell(metadata={"tags": ["navigation"]})
        if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
            cell["id"] = _unique_id(nb, "navigation")  # deterministic, unlike the default uuid
        else:
            cell.pop("id", None)
    cell.source = navigation_line(path, all_paths)
    nb.cells = [c for c in nb.cells if not is_navigation_cell(c)] + [cell]
    return write_notebook(nb, path)


# --------------------------------------------------------------------------- README map


def _table_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ").strip()


def notebook_map(paths: Iterable[Path]) -> str:
    """The README notebook map: a Markdown table with one row per notebook, newline-terminated."""
    rows = ["| # | Notebook | Minutes | What you learn |", "|---|---|---:|---|"]
    for path in paths:
        path = Path(path)
        meta = retainkit_meta(read_notebook(path))
        number = _table_cell(meta.get("number", path.name[:2]))
        title = _table_cell(meta.get("title", path.stem))
        minutes = _table_cell(meta.get("minutes", "?"))
        summary = _table_cell(meta.get("summary", ""))
        rows.append(f"| {number} | [{title}](notebooks/{path.name}) | {minutes} | {summary} |")
    return "\n".join(rows) + "\n"


def _map_span(text: str) -> tuple[int, int] | None:
    start, end = text.find(MAP_START), text.find(MAP_END)
    if start < 0 or end < start:
        return None
    return start + len(MAP_START), end


def check_readme(readme: Path, paths: Iterable[Path]) -> list[str]:
    """Problems with the notebook map in README.md (empty when it is current)."""
    where = display_path(readme)
    if not Path(readme).exists():
        return [f"{where}: missing, so there is no notebook map"]
    text = Path(readme).read_text(encoding="utf-8")
    span = _map_span(text)
    if span is None:
        return [
            f"{where}: no notebook map; put the lines {MAP_START} and {MAP_END} "
            "where the table belongs, then run: python tools/check_notebooks.py --fix"
        ]
    if text[span[0] : span[1]] != "\n" + notebook_map(paths):
        return [f"{where}: the notebook map is stale" + FIX_HINT]
    return []


def fix_readme(readme: Path, paths: Iterable[Path]) -> bool:
    """Regenerate the notebook map between the markers; return whether README.md changed."""
    text = Path(readme).read_text(encoding="utf-8") if Path(readme).exists() else ""
    span = _map_span(text)
    if span is None:
        return False  # no markers: check_readme reports it, we do not guess a place
    new = text[: span[0]] + "\n" + notebook_map(paths) + text[span[1] :]
    return write_text_if_changed(Path(readme), new)


# --------------------------------------------------------------------------- entry points


def lint_notebook(path: Path, all_paths: Iterable[Path] | None = None) -> list[str]:
    """Every problem of one notebook, each as ``"path: problem"`` (empty when it is clean).

    ``all_paths`` are the workbook's notebooks, used for the navigation line; by default the
    ``NN_*.ipynb`` files next to ``path``.
    """
    path = Path(path)
    all_paths = _with_path(path, notebook_paths(path.parent) if all_paths is None else all_paths)
    where = display_path(path)
    try:
        nb = read_notebook(path)
    except Exception as exc:  # unreadable JSON or schema: report, do not crash the run
        return [f"{where}: cannot read the notebook ({exc})"]
    problems = [
        *_check_metadata(path, nb),
        *_check_first_cell(nb),
        *_check_sections(nb),
        *_check_exercises(nb),
        *_check_execution(nb),
        *_check_navigation(path, nb, all_paths),
    ]
    return [f"{where}: {problem}" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all NN_*.ipynb)")
    parser.add_argument(
        "--fix", action="store_true", help="rewrite navigation lines and README map"
    )
    parser.add_argument("--list-tier", choices=TIERS, help="print the notebooks of one nbval tier")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="workbook root folder")
    args = parser.parse_args(argv)
    all_paths = notebook_paths(args.root / "notebooks")
    paths = args.paths or all_paths

    if args.list_tier:
        try:
            chosen = [p for p in paths if tier(p) == args.list_tier]
        except Exception as exc:  # a notebook in no tier would silently escape nbval
            print(exc, file=sys.stderr)
            return 1
        print(" ".join(display_path(p) for p in chosen))
        return 0

    if args.fix:
        for path in paths:
            try:
                changed = fix_navigation(path)
            except Exception:  # unreadable notebook: lint_notebook reports it below
                continue
            if changed:
                print(f"{display_path(path)}: navigation line rewritten")
        if not args.paths and fix_readme(args.root / "README.md", all_paths):
            print(f"{display_path(args.root / 'README.md')}: notebook map rewritten")

    # Navigation is computed among the notebooks next to each path (notebooks/ for real ones).
    problems = [p for path in paths for p in lint_notebook(path)]
    if not args.paths:
        problems += check_readme(args.root / "README.md", all_paths)
    for problem in problems:
        print(problem)
    print(
        f"check_notebooks: {len(paths)} notebook(s), {len(problems)} problem(s)",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
