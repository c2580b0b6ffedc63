"""The notebook harness: tools/check_notebooks.py, tools/make_student.py, the nbval sanitizers.

Fixture notebooks are built here with nbformat in ``tmp_path`` (a two-notebook workbook with a
README), so nothing touches the real notebooks. Expected navigation lines, tables and
sanitized strings are written out by hand.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_notebooks  # noqa: E402
import make_glossary  # noqa: E402
import make_student  # noqa: E402

SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"

NAV_00 = "[Contents](../README.md#notebook-map) · [01 Second steps →](01_second_steps.ipynb)"
NAV_01 = "[← 00 First steps](00_first_steps.ipynb) · [Contents](../README.md#notebook-map)"
MAP_TABLE = (
    "| # | Notebook | Minutes | What you learn |\n"
    "|---|---|---:|---|\n"
    "| 00 | [First steps](notebooks/00_first_steps.ipynb) | 10 | counting events |\n"
    "| 01 | [Second steps](notebooks/01_second_steps.ipynb) | 15 | a \\| b tables |\n"
)


# --------------------------------------------------------------------------- fixtures


CHECK = (
    "# Check: Exercise {n}\nfrom retainkit.checks import check, expect\n\n"
    "check(expect(globals(), {name!r}, 'the answer') == {value}, 'not yet')"
)


def _code(source, count, outputs=(), tags=None, cell_id=None):
    cell = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = tags
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00.000000Z"}
    cell["id"] = cell_id
    return cell


def _md(source, cell_id, tags=None):
    cell = new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = tags
    cell["id"] = cell_id
    return cell


def good_notebook(number, title, nav, *, summary="counting events", minutes=10, tier="strict"):
    """A small notebook with the full anatomy, executed 1, 2, 3, 4 with hand-written outputs."""
    cells = [
        _md(
            f"# {number} · {title}\n\nWhy it matters.\n\n## Learning objectives\n\n"
            "- count events\n- read a table\n  (continued line)\n- write a check\n\n"
            "**Prerequisites:** none.\n\n**Estimated time:** 10 minutes.",
            "title",
        ),
        _md("## Counting\n\nSee [the data notes](../datasets/README.md).", "counting"),
        _code(
            "x = 1 + 1\nx",
            1,
            [new_output("execute_result", data={"text/plain": "2"}, execution_count=1)],
            cell_id="count",
        ),
        _md("## Check your understanding\n\n1. Why?\n\n<details>\nBecause.\n</details>", "cyu"),
        _md("## Summary\n\n- counted", "summary"),
        _md("## Glossary\n\n- **event**: one row", "glossary"),
        _md("## Exercises\n\n### Exercise 1\n\nDouble it as `y`.", "ex1"),
        _code("# Exercise 1: double x\ny = 2 * x", 2, tags=["solution"], cell_id="s1"),
        _code(CHECK.format(n=1, name="y", value=4), 3, tags=["check"], cell_id="c1"),
        _md("<details><summary>Answer</summary>\n\nFour.\n\n</details>", "a1"),
        _md("### Exercise 2\n\nAdd one as `z`.", "ex2"),
        _code("# Exercise 2: add one\nz = y + 1", 4, tags=["solution"], cell_id="s2"),
        _code(CHECK.format(n=2, name="z", value=5), 5, tags=["check"], cell_id="c2"),
        _md("<details><summary>Answer</summary>\n\nFive.\n\n</details>", "a2"),
        _md("### Exercise 3\n\nPrint it.", "ex3"),
        _code(
            "# Exercise 3: print z\nprint(z)",
            6,
            [new_output("stream", name="stdout", text="5\n")],
            tags=["solution"],
            cell_id="s3",
        ),
        _code(CHECK.format(n=3, name="z", value=5), 7, tags=["check"], cell_id="c3"),
        _md("<details><summary>Answer</summary>\n\nIt prints 5.\n\n</details>", "a3"),
        _md(nav, "nav", tags=["navigation"]),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["retainkit"] = {
        "number": number,
        "title": title,
        "minutes": minutes,
        "summary": summary,
        "tier": tier,
    }
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def save(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def workbook(tmp_path):
    """A clean two-notebook workbook: notebooks/00_first_steps and 01_second_steps + README."""
    nbdir = tmp_path / "notebooks"
    save(good_notebook("00", "First steps", NAV_00), nbdir / "00_first_steps.ipynb")
    save(
        good_notebook("01", "Second steps", NAV_01, summary="a | b tables", minutes=15, tier="lax"),
        nbdir / "01_second_steps.ipynb",
    )
    readme = "# Workbook\n\n## Notebook map\n\n<!-- notebook-map:start -->\n"
    readme += MAP_TABLE + "<!-- notebook-map:end -->\n\nMore text.\n"
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return tmp_path


def first_nb(workbook) -> Path:
    return workbook / "notebooks" / "00_first_steps.ipynb"


def edit(path: Path, change) -> None:
    nb = nbformat.read(str(path), as_version=4)
    change(nb)
    nbformat.write(nb, str(path))


def lint(path: Path) -> list[str]:
    return check_notebooks.lint_notebook(path, sorted(path.parent.glob("[0-9][0-9]_*.ipynb")))


def cell_by_id(nb, cell_id):
    return next(c for c in nb.cells if c.get("id") == cell_id)


# --------------------------------------------------------------------------- check_notebooks


def test_good_workbook_passes(workbook, capsys):
    for path in sorted((workbook / "notebooks").glob("*.ipynb")):
        assert lint(path) == []
    assert check_notebooks.check_readme(workbook / "README.md", _paths(workbook)) == []
    assert check_notebooks.main(["--root", str(workbook)]) == 0
    assert capsys.readouterr().out == ""


def _paths(workbook):
    return sorted((workbook / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_out_of_order_execution_fails(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "s1").update(execution_count=7))
    problems = lint(path)
    assert problems == [
        f"{path}: cell 8: execution count 7, expected 2: the notebook was not executed in order; "
        "re-run it top to bottom in one kernel (make execute)"
    ]


def test_unexecuted_cell_fails_but_empty_cells_are_ignored(workbook):
    path = first_nb(workbook)

    def change(nb):
        nb.cells.insert(3, _code("   \n", None, cell_id="empty"))
        cell_by_id(nb, "s2").update(execution_count=None)

    edit(path, change)
    problems = lint(path)
    assert len(problems) == 1
    assert "cell 13: code cell was not executed" in problems[0]


def test_stored_error_fails(workbook):
    path = first_nb(workbook)
    error = new_output(
        "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["..."]
    )
    edit(path, lambda nb: cell_by_id(nb, "count").outputs.append(error))
    assert lint(path) == [
        f"{path}: cell 3: stored error output (ZeroDivisionError: division by zero)"
    ]


def test_traceback_in_a_stream_fails(workbook):
    path = first_nb(workbook)
    text = "Traceback (most recent call last):\n  File ...\nValueError: bad\n"
    stream = new_output("stream", name="stderr", text=text)
    edit(path, lambda nb: cell_by_id(nb, "count").outputs.append(stream))
    assert lint(path) == [f"{path}: cell 3: stderr output contains a Traceback"]


def test_missing_glossary_fails(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "glossary").update(source="Some words."))
    assert lint(path) == [f"{path}: missing heading '## Glossary'"]


def test_fewer_than_three_exercises_fails(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "ex3").update(source="Print it."))
    assert lint(path) == [
        f"{path}: '## Exercises' has 2 '### Exercise N' headings, expected at least 3"
    ]


def test_check_your_understanding_needs_details(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "cyu").update(source="## Check your understanding\n\nQ?"))
    assert lint(path) == [f"{path}: '## Check your understanding' has no <details> answer block"]


def test_first_cell_title_and_objectives(workbook):
    path = first_nb(workbook)

    def change(nb):
        source = nb.cells[0].source.replace("First steps", "First step", 1)
        source = source.replace("- write a check\n", "")
        nb.cells[0].source = source.replace("**Estimated time:**", "Time:")

    edit(path, change)
    assert lint(path) == [
        f"{path}: the first cell must start with '# 00 · First steps', found '# 00 · First step'",
        f"{path}: '## Learning objectives' has 2 bullet items, expected 3 to 5",
        f"{path}: the first cell has no **Estimated time:** line",
    ]


def test_metadata_problems(workbook):
    path = first_nb(workbook)

    def change(nb):
        nb.metadata.retainkit.update(number="03", minutes="ten", tier="fast")
        del nb.metadata.retainkit["summary"]
        nb.cells[0].source = nb.cells[0].source.replace("# 00", "# 03", 1)

    edit(path, change)
    assert lint(path) == [
        f"{path}: metadata retainkit.number '03' does not match the file name prefix '00'",
        f"{path}: metadata retainkit.summary must be a non-empty string, got None",
        f"{path}: metadata retainkit.minutes must be a positive integer, got 'ten'",
        f"{path}: metadata retainkit.tier must be one of strict, lax, got 'fast'",
    ]
    with pytest.raises(ValueError, match="tier must be one of strict, lax; got 'fast'"):
        check_notebooks.tier(path)


def test_exercise_anatomy_rules(workbook):
    path = first_nb(workbook)

    def change(nb):
        cell_by_id(nb, "s1").source = "# Exercise 1: double x\ny = 2 * x\nassert y == 4"
        cell_by_id(nb, "s2").source = "z = y + 1"
        nb.cells.remove(cell_by_id(nb, "c2"))  # exercise 2 loses its check cell
        cell_by_id(nb, "a1").source = "Four."  # the answer in plain view
        cell_by_id(nb, "ex3").source = "It is five.\n\n### Exercise 3\n\nPrint it."
        cell_by_id(nb, "c3").source = "assert z == 5"  # names nothing
        for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            cell.execution_count = i + 1

    edit(path, change)
    assert lint(path) == [
        f"{path}: cell 12: a solution cell must start with a comment naming the exercise "
        "('# Exercise 1: ...'), found 'z = y + 1'",
        f"{path}: cell 8: a solution cell holds an assert; move the self-check into the check "
        "cell that follows it (the student copy replaces solution cells)",
        f"{path}: cell 16: a check cell must name what it expects with "
        "retainkit.checks.expect(globals(), name, what)",
        f"{path}: exercise 1 (cell 7): the check cell (cell 9) must be followed by the written "
        "answer in a collapsed <details> block",
        f"{path}: cell 10: markdown after exercise 1's check is in plain view; answers go "
        "inside <details>...</details>",
        f"{path}: exercise 2 (cell 11): the last solution cell (cell 12) must be followed by a "
        "code cell tagged 'check' that stays in the student copy",
        f"{path}: exercise 3 (cell 14): text before the '### Exercise 3' heading is in plain "
        "view; put the previous exercise's answer in a <details> block after its check cell",
    ]


def test_a_cell_cannot_be_both_solution_and_check(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "c1").metadata.update(tags=["solution", "check"]))
    assert f"{path}: cell 9: tagged both 'solution' and 'check'" in lint(path)
    with pytest.raises(ValueError, match="cell 9 is tagged both 'solution' and 'check'"):
        make_student.sync_student_copies(workbook / "notebooks")


def test_stale_navigation_fails_and_fix_rewrites_only_navigation(workbook):
    path = workbook / "notebooks" / "01_second_steps.ipynb"
    edit(path, lambda nb: cell_by_id(nb, "nav").update(source="[← 00 Old title](00_old.ipynb)"))
    hint = " (run: python tools/check_notebooks.py --fix)"
    assert lint(path) == [f"{path}: navigation line is stale, expected {NAV_01!r}" + hint]
    before = json.loads(path.read_text(encoding="utf-8"))

    assert check_notebooks.main(["--fix", "--root", str(workbook)]) == 0
    text = path.read_text(encoding="utf-8")
    after = json.loads(text)
    assert after["cells"][-1]["source"] == [NAV_01]  # JSON stores sources as lists of lines
    before["cells"][-1]["source"] = [NAV_01]
    assert after == before  # outputs, counts, ids, metadata untouched
    assert text.startswith('{\n "cells": [\n  {\n') and text.endswith("}\n")  # nbformat layout
    assert lint(path) == []
    assert not check_notebooks.fix_navigation(path)  # already current: file not rewritten


def test_fix_appends_missing_navigation_with_a_stable_id(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: nb.cells.pop())
    assert lint(path) == [
        f"{path}: no navigation cell: the last cell must be markdown tagged 'navigation'"
        " (run: python tools/check_notebooks.py --fix)"
    ]
    assert check_notebooks.fix_navigation(path)
    last = nbformat.read(str(path), as_version=4).cells[-1]
    assert (last.cell_type, last.id, last.metadata.tags, last.source) == (
        "markdown",
        "navigation",
        ["navigation"],
        NAV_00,
    )
    assert lint(path) == []


def test_navigation_cell_must_be_last(workbook):
    path = first_nb(workbook)
    edit(path, lambda nb: nb.cells.append(_md("A closing remark.", "closing")))
    assert lint(path) == [
        f"{path}: the navigation cell is not the last cell (run: python tools/check_notebooks.py --fix)"
    ]
    check_notebooks.fix_navigation(path)
    nb = nbformat.read(str(path), as_version=4)
    assert [c.id for c in nb.cells[-2:]] == ["closing", "nav"]


def test_notebook_map_and_readme(workbook):
    paths = _paths(workbook)
    assert check_notebooks.notebook_map(paths) == MAP_TABLE
    readme = workbook / "README.md"
    edit(paths[1], lambda nb: nb.metadata.retainkit.update(minutes=25))
    assert check_notebooks.check_readme(readme, paths) == [
        f"{readme}: the notebook map is stale (run: python tools/check_notebooks.py --fix)"
    ]
    assert check_notebooks.fix_readme(readme, paths)
    text = readme.read_text(encoding="utf-8")
    assert "| 01 | [Second steps](notebooks/01_second_steps.ipynb) | 25 | a \\| b tables |" in text
    assert text.startswith("# Workbook\n") and text.endswith(
        "<!-- notebook-map:end -->\n\nMore text.\n"
    )
    assert check_notebooks.check_readme(readme, paths) == []

    readme.write_text("# Workbook\n", encoding="utf-8")
    assert "no notebook map" in check_notebooks.check_readme(readme, paths)[0]
    assert not check_notebooks.fix_readme(readme, paths)


def test_script_entry_point_reports_path_problem_lines(workbook, capsys, monkeypatch):
    """Run the file as ``python tools/check_notebooks.py`` does (in-process: no new interpreter)."""
    path = first_nb(workbook)
    edit(path, lambda nb: cell_by_id(nb, "glossary").update(source="Words."))
    monkeypatch.chdir(workbook)
    monkeypatch.setattr(sys, "argv", ["check_notebooks.py", "--root", str(workbook)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "tools" / "check_notebooks.py"), run_name="__main__")
    assert exit_info.value.code == 1
    assert capsys.readouterr().out == (
        "notebooks/00_first_steps.ipynb: missing heading '## Glossary'\n"
    )


def test_list_tier(workbook, capsys, monkeypatch):
    monkeypatch.chdir(workbook)
    assert check_notebooks.main(["--list-tier", "strict", "--root", str(workbook)]) == 0
    assert capsys.readouterr().out == "notebooks/00_first_steps.ipynb\n"
    assert check_notebooks.main(["--list-tier", "lax", "--root", str(workbook)]) == 0
    assert capsys.readouterr().out == "notebooks/01_second_steps.ipynb\n"
    assert check_notebooks.tier(first_nb(workbook)) == "strict"
    # A notebook in no tier must stop the run, not silently skip nbval.
    edit(first_nb(workbook), lambda nb: nb.metadata.retainkit.pop("tier"))
    assert check_notebooks.main(["--list-tier", "lax", "--root", str(workbook)]) == 1
    assert "tier must be one of strict, lax; got None" in capsys.readouterr().err


# --------------------------------------------------------------------------- make_student


def test_student_copy_contents(workbook):
    nbdir = workbook / "notebooks"
    messages = make_student.sync_student_copies(nbdir)
    assert [m.rsplit(": ", 1)[1] for m in messages] == ["missing, written", "missing, written"]
    full = nbformat.read(str(nbdir / "00_first_steps.ipynb"), as_version=4)
    student = nbformat.read(str(nbdir / "student" / "00_first_steps.ipynb"), as_version=4)

    assert [c.id for c in student.cells] == [c.id for c in full.cells]
    for cell in student.cells:
        assert "execution" not in cell.metadata
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert cell_by_id(student, "s1").source == "# Exercise 1: double x\n# YOUR CODE HERE"
    assert cell_by_id(student, "s3").source == "# Exercise 3: print z\n# YOUR CODE HERE"
    assert cell_by_id(student, "s1").metadata.tags == ["solution"]
    assert cell_by_id(student, "count").source == "x = 1 + 1\nx"
    for check_id in ("c1", "c2", "c3"):  # check cells stay, as they are, tag included
        assert cell_by_id(student, check_id).source == cell_by_id(full, check_id).source
        assert cell_by_id(student, check_id).metadata.tags == ["check"]
    assert cell_by_id(student, "nav").source == (
        "[Contents](../../README.md#notebook-map) · [01 Second steps →](01_second_steps.ipynb)"
    )
    assert cell_by_id(student, "counting").source.endswith(
        "[the data notes](../../datasets/README.md)."
    )
    assert student.metadata.retainkit == {**full.metadata.retainkit, "student": True}
    assert student.metadata.kernelspec == full.metadata.kernelspec


def test_student_copies_are_deterministic_and_check_passes(workbook):
    nbdir = workbook / "notebooks"
    make_student.sync_student_copies(nbdir)
    first = (nbdir / "student" / "01_second_steps.ipynb").read_bytes()
    assert make_student.sync_student_copies(nbdir) == []
    assert make_student.sync_student_copies(nbdir, check=True) == []
    assert make_student.render_student(nbdir / "01_second_steps.ipynb").encode() == first
    assert make_student.main(["--check", "--root", str(workbook)]) == 0


def test_check_detects_stale_missing_and_extra_copies(workbook, capsys):
    nbdir = workbook / "notebooks"
    make_student.sync_student_copies(nbdir)
    student_dir = nbdir / "student"
    stale = student_dir / "00_first_steps.ipynb"
    edit(nbdir / "00_first_steps.ipynb", lambda nb: cell_by_id(nb, "s1").update(source="# Ex 1"))
    (student_dir / "01_second_steps.ipynb").unlink()
    (student_dir / "07_gone.ipynb").write_text("{}", encoding="utf-8")
    stale_bytes = stale.read_bytes()

    assert make_student.main(["--check", "--root", str(workbook)]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{stale}: stale",
        f"{student_dir / '01_second_steps.ipynb'}: missing",
        f"{student_dir / '07_gone.ipynb'}: extra (no notebook of that name)",
    ]
    assert "run: python tools/make_student.py" in out.err
    assert (
        stale.read_bytes() == stale_bytes and not (student_dir / "01_second_steps.ipynb").exists()
    )

    assert make_student.main(["--root", str(workbook)]) == 0
    assert sorted(p.name for p in student_dir.iterdir()) == [
        "00_first_steps.ipynb",
        "01_second_steps.ipynb",
    ]
    assert cell_by_id(nbformat.read(str(stale), as_version=4), "s1").source == (
        "# Ex 1\n# YOUR CODE HERE"
    )
    assert make_student.main(["--check", "--root", str(workbook)]) == 0


def test_solution_without_comment_is_refused(workbook):
    nbdir = workbook / "notebooks"
    edit(nbdir / "00_first_steps.ipynb", lambda nb: cell_by_id(nb, "s2").update(source="z = 5"))
    with pytest.raises(ValueError, match=r"cell 12: a cell tagged 'solution' must start with"):
        make_student.sync_student_copies(nbdir)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[Contents](../README.md#notebook-map)", "[Contents](../../README.md#notebook-map)"),
        ("[next](02_retention_metrics.ipynb)", "[next](02_retention_metrics.ipynb)"),
        ("[part](03_survival_math.ipynb#hazard)", "[part](03_survival_math.ipynb#hazard)"),
        ("[web](https://example.org/a/b)", "[web](https://example.org/a/b)"),
        ("[up](#glossary)", "[up](#glossary)"),
        ("![fig](figures/km.png)", "![fig](../figures/km.png)"),
        ('<img src="figures/km.png" width=300>', '<img src="../figures/km.png" width=300>'),
        ("plain (../README.md) text", "plain (../README.md) text"),
    ],
)
def test_deepen_links(markdown, expected):
    assert make_student.deepen_links(markdown) == expected


# --------------------------------------------------------------------------- nbval sanitizers


def sanitize(text: str) -> str:
    """Apply the sanitize file exactly as nbval 0.11 does (its parser, re.sub in file order)."""
    patterns = get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="ascii"))
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def test_sanitize_file_parses_every_rule():
    text = SANITIZE_CFG.read_text(encoding="ascii")  # ASCII: nbval opens it with the locale
    n_rules = len(re.findall(r"^regex: ", text, re.MULTILINE))
    assert n_rules == 12
    assert len(get_sanitize_patterns(text)) == n_rules  # each regex directly followed by replace


BAR = "\u2501" * 20


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            f"\x1b[1m1/1\x1b[0m \x1b[32m{BAR}\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 12ms/step\n",
            f"1/1 {BAR} ELAPSED TIME/step\n",
        ),
        (f"1/1 {BAR} 1s 3us/step      \n", f"1/1 {BAR} ELAPSED TIME/step\n"),
        (
            f"32/32 {BAR} 2s 41ms/step - accuracy: 0.8125 - loss: 0.4213\n",
            f"32/32 {BAR} ELAPSED TIME/step - accuracy: 0.8125 - loss: 0.4213\n",
        ),
        ("32/32 - 1s - 3ms/step - loss: 0.6931\n", "32/32 - ELAPSED - TIME/step - loss: 0.6931\n"),
        ("<Foo object at 0x7f3a2c1d4e50>", "<Foo object at 0xADDRESS>"),
        (
            "CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms\nWall time: 1.5 ms\n",
            "CPU times: TIME\nWall time: TIME\n",
        ),
        (
            "1.23 ms \u00b1 45.6 \u00b5s per loop (mean \u00b1 std. dev. of 7 runs, 1,000 loops each)",
            "TIME per loop",
        ),
        ("fit took 1.23 s; predict took 850ms", "fit took TIME; predict took TIME"),
        ("100%|##########| 10/10 [00:01<00:00,  9.87it/s]", "100%|##########| 10/10 [TIME, RATE]"),
        ("  0%|          | 0/10 [00:00<?, ?it/s]", "  0%|          | 0/10 [TIME, RATE]"),
        ("epoch 3 [01:02:03<00:10, 1.25s/it, loss=0.3]", "epoch 3 [TIME, RATE, loss=0.3]"),
        (
            "last event 2026-06-03 23:59:52.270342+00:00, end 2026-06-04 00:00:00+00:00",
            "last event 2026-06-03 23:59:52.SUBSECOND+00:00, end 2026-06-04 00:00:00+00:00",
        ),
        ("0  1 2026-01-05 00:12:50.822612+00:00  session_start",
         "0  1 2026-01-05 00:12:50.SUBSECOND+00:00  session_start"),
    ],
)
def test_sanitizers_normalise_volatile_text(raw, expected):
    assert sanitize(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "mean retention 0.4123 after 7 days\n",
        "mask 0x1F, 12 users took 3 steps\n",
        "| cohort | 0 | 1 |\n|---|---|---|\n| 2024-01 | 1.0 | 0.42 |\n",
        "first visit 2026-01-05 00:12:50+00:00, median gap 12.5 hours\n",
    ],
)
def test_sanitizers_leave_real_results_alone(text):
    assert sanitize(text) == text


def test_sanitizers_do_not_hide_a_changed_metric():
    a = f"1/1 {BAR} 0s 12ms/step - loss: 0.4213\n"
    b = f"1/1 {BAR} 1s 9ms/step - loss: 0.4214\n"
    assert sanitize(a) != sanitize(b)
    assert sanitize("2026-06-03 23:59:52.270342") != sanitize("2026-06-03 23:59:53.270342")


# --------------------------------------------------------------------------- nbval end to end


def _tiny_executed_notebook(stored_answer: str):
    cells = [
        new_code_cell("print(6 * 7)", execution_count=1, outputs=[_stdout(stored_answer)]),
        new_code_cell(
            "import time\nt0 = time.perf_counter()\n"
            "print(f'took {time.perf_counter() - t0:.6f} s')\nprint(object())",
            execution_count=2,
            outputs=[_stdout("took 0.000123 s\n<object object at 0x7f0011223344>\n")],
        ),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    return new_notebook(cells=cells)


def _stdout(text):
    return new_output("stream", name="stdout", text=text)


def test_nbval_with_the_sanitize_file_catches_output_drift(tmp_path):
    save(_tiny_executed_notebook("42\n"), tmp_path / "good.ipynb")
    save(_tiny_executed_notebook("41\n"), tmp_path / "drifted.ipynb")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    # Only nbval is loaded: other installed plugins would just slow the subprocess down.
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "nbval.plugin", "-p", "no:cacheprovider", "-q",
            "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE_CFG),
            "--junitxml", "report.xml", "good.ipynb", "drifted.ipynb",
        ],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    # Items are reported in collection order: good Cell 0, 1, then drifted Cell 0, 1.
    outcomes = [
        "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        for case in ET.parse(tmp_path / "report.xml").iter("testcase")
    ]
    # good: both pass (timing and address differ, sanitized away); drifted: stored 41, prints 42.
    assert outcomes == ["passed", "passed", "failed", "passed"], result.stdout[-3000:]
    assert "'41\\n' == '42\\n'" in result.stdout
    assert result.returncode == 1


# --------------------------------------------------------------------------- glossary, notation

NOTATION = """# Guide

## Notation

| symbol | meaning | notebooks | note |
|---|---|---|---|
| λ | rate per day | 00 | |
| λ | Weibull scale | 01 | {note} |

## Next
"""


def _notation_workbook(workbook, note="a scale, not a rate", glossary_01="one row"):
    (workbook / "docs").mkdir(exist_ok=True)
    (workbook / "docs" / "authoring.md").write_text(NOTATION.format(note=note), encoding="utf-8")
    edit(first_nb(workbook), lambda nb: cell_by_id(nb, "counting").update(
        source="## Counting\n\nVisits at rate λ per day."))
    edit(workbook / "notebooks" / "01_second_steps.ipynb", lambda nb: (
        cell_by_id(nb, "counting").update(source="## Counting\n\n$S = e^{-(t/\\lambda)^2}$"),
        cell_by_id(nb, "glossary").update(source=f"## Glossary\n\n- **Event**: {glossary_01}"),
    ))


def test_notation_and_glossary_consistency_passes_when_every_use_is_listed(workbook):
    _notation_workbook(workbook)
    assert make_glossary.consistency_problems(workbook) == []
    assert make_glossary.symbols_used(workbook / "notebooks" / "01_second_steps.ipynb") == {"λ"}


def test_a_second_meaning_needs_a_note_and_every_use_a_row(workbook):
    _notation_workbook(workbook, note="")
    edit(first_nb(workbook), lambda nb: cell_by_id(nb, "summary").update(
        source="## Summary\n\n- shape ρ, scale $\\theta$"))
    assert make_glossary.consistency_problems(workbook) == [
        "notebook 00 uses θ but the notation table in docs/authoring.md lists no meaning of θ "
        "for 00",
        "notebook 00 uses ρ but the notation table in docs/authoring.md lists no meaning of ρ "
        "for 00",
        "notation table: λ means both 'rate per day' and 'Weibull scale'; add a note saying "
        "how the notebooks keep them apart",
    ]


def test_stale_notation_rows_and_redefined_terms_fail(workbook):
    _notation_workbook(workbook, glossary_01="a row of the log")
    edit(first_nb(workbook), lambda nb: cell_by_id(nb, "counting").update(source="## Counting"))
    assert make_glossary.consistency_problems(workbook) == [
        "01_second_steps.ipynb: glossary term 'Event' was defined differently in notebook 00; "
        "say '(refines notebook 00)' or use its words",
        "notation table: λ (rate per day) is listed for notebook 00, which does not use it",
    ]
    _notation_workbook(workbook, glossary_01="a row of the log (refines notebook 00).")
    assert make_glossary.consistency_problems(workbook) == []


def test_the_workbook_itself_is_consistent():
    rows = make_glossary.notation_table(ROOT / "docs" / "authoring.md")
    assert {"λ", "ρ", "β", "θ"} <= {row["symbol"] for row in rows}
    assert make_glossary.consistency_problems(ROOT) == []
