"""The exercises' check cells, run as a learner meets them, in the student copies.

For every notebook one kernel runs the student copy's body once (everything before
``## Exercises``), then its exercise section three times, in this order:

1. **unsolved**: the placeholders as generated; every check cell must fail with an
   ``AssertionError`` that starts ``define `...``` (never a bare ``NameError``);
2. **wrong**: each exercise's solution cells replaced by the deliberately wrong answer stored in
   ``tests/fixtures/wrong_answers/NN.json`` (exercise number → code); the wrong code runs, and
   its check fails with an ``AssertionError`` about the value, not a missing name;
3. **solved**: the solution cells filled from the full notebook; every check passes.

The unsolved pass runs first so that no exercise variable exists yet; each later pass redefines
what it checks. Outputs are not compared here (nbval does that on the full notebooks).
"""

import copy
import functools
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import cell_tags, exercises, notebook_paths, read_notebook  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
STUDENT = NOTEBOOKS / "student"
WRONG = Path(__file__).parent / "fixtures" / "wrong_answers"
NAMES = [p.name for p in notebook_paths(NOTEBOOKS)]
MODES = ("unsolved", "wrong", "solved")


def wrong_answers(name: str) -> dict[int, str]:
    path = WRONG / f"{name[:2]}.json"
    if not path.exists():
        return {}
    return {int(k): v for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def _error(cell):
    """``(ename, evalue)`` of the cell's error output, or None when it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output["ename"], output["evalue"]
    return None


def _source(mode, cell, full_cell, number, first_solution, wrong):
    if "solution" not in cell_tags(cell):
        return cell.source
    if mode == "solved":
        return full_cell.source
    if mode == "wrong":
        return wrong[number] if first_solution else ""
    return cell.source


@functools.cache
def run_exercises(name: str) -> dict:
    """Run the student copy of ``name`` once per mode; return errors by mode and exercise."""
    import nbformat
    from nbclient import NotebookClient

    full, student = read_notebook(NOTEBOOKS / name), read_notebook(STUDENT / name)
    cells = copy.deepcopy(student.cells)  # nbclient stores each executed cell into `student`
    assert len(full.cells) == len(student.cells), "the student copy is stale: make student"
    found = exercises(student)
    wrong = wrong_answers(name)
    client = NotebookClient(student, kernel_name="python3", timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(STUDENT)}})
    results = {mode: {"check": {}, "solution": {}} for mode in MODES}
    with client.setup_kernel():
        for i, cell in enumerate(cells[: found[0].heading]):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
                assert _error(cell) is None, f"{name}: body cell {i + 1} failed: {_error(cell)}"
        for mode in MODES:
            if mode == "wrong" and set(wrong) != {ex.number for ex in found}:
                continue  # test_every_exercise_has_a_wrong_answer reports it
            for ex in found:
                solutions = [j for j in ex.cells if "solution" in cell_tags(cells[j])]
                for j in ex.cells:
                    cell = cells[j]
                    if cell.cell_type != "code":
                        continue
                    source = _source(mode, cell, full.cells[j], ex.number,
                                     solutions and j == solutions[0], wrong)
                    run = nbformat.v4.new_code_cell(source)
                    client.execute_cell(run, j)
                    kind = "check" if "check" in cell_tags(cell) else "solution"
                    results[mode][kind].setdefault(ex.number, []).append(_error(run))
    return results


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_a_wrong_answer(name):
    numbers = {ex.number for ex in exercises(read_notebook(NOTEBOOKS / name))}
    assert set(wrong_answers(name)) == numbers, f"fixtures/wrong_answers/{name[:2]}.json"


@pytest.mark.parametrize("name", NAMES)
def test_checks_pass_with_the_solutions(name):
    results = run_exercises(name)["solved"]
    assert results["check"], "no check cell ran"
    for kind in ("solution", "check"):
        failed = {n: e for n, errs in results[kind].items() for e in errs if e is not None}
        assert not failed, f"{kind} cells failed with the solutions filled in: {failed}"


@pytest.mark.parametrize("name", NAMES)
def test_unsolved_checks_fail_with_their_message(name):
    checks = run_exercises(name)["unsolved"]["check"]
    assert checks, "no check cell ran"
    for number, errors in checks.items():
        for error in errors:
            assert error is not None, f"exercise {number}: the check passes with no solution"
            ename, evalue = error
            assert ename == "AssertionError" and evalue.startswith("define `"), (
                f"exercise {number}: unsolved, the check should say what to define; "
                f"got {ename}: {evalue}"
            )


@pytest.mark.parametrize("name", NAMES)
def test_wrong_answers_fail_their_check(name):
    results = run_exercises(name)["wrong"]
    assert results["check"], "no wrong answers ran (see test_every_exercise_has_a_wrong_answer)"
    for number, errors in results["solution"].items():
        assert errors[0] is None, f"exercise {number}: the wrong answer itself crashed: {errors[0]}"
    for number, errors in results["check"].items():
        ename, evalue = errors[-1] or (None, "")
        assert ename == "AssertionError" and not evalue.startswith("define `"), (
            f"exercise {number}: the wrong answer should fail its check on the value; "
            f"got {ename}: {evalue}"
        )
