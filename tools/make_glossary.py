"""Write docs/glossary.md from the Glossary section of every notebook.

Each notebook's ``## Glossary`` cell holds entries ``- **Term**: definition`` (a definition
may continue on indented lines). The workbook glossary lists them all alphabetically, each
with a link to the notebook that defines it, so the glossary never drifts from the lessons.

It also checks that the workbook's terms and symbols mean one thing each:

- a term defined in the Glossary of two notebooks with different words must say, in the later
  definition, which notebook it refines (``... (refines notebook 01).``);
- every Greek symbol in a notebook's markdown (Unicode ``λ`` or TeX ``\\lambda``) is listed for
  that notebook in the notation table of docs/authoring.md, each listed use really occurs, and a
  symbol with two meanings carries a note on every meaning after the first.

    python tools/make_glossary.py           # (re)write docs/glossary.md, report problems
    python tools/make_glossary.py --check   # exit 1 when docs/glossary.md is stale or a check fails
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import REPO_ROOT, notebook_paths, read_notebook  # noqa: E402

ENTRY = re.compile(r"^- \*\*(?P<term>.+?)\*\*:?\s*(?P<text>.*)$")
HEADER = """# Glossary

Every term the notebooks define, with the notebook that introduces it. Generated from the
notebooks' *Glossary* sections by `python tools/make_glossary.py`; do not edit by hand.

"""


def glossary_entries(path: Path) -> list[tuple[str, str]]:
    """``(term, definition)`` pairs from a notebook's ``## Glossary`` markdown cell."""
    for cell in read_notebook(path).cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Glossary"):
            break
    else:
        return []
    entries: list[list[str]] = []
    for line in cell.source.splitlines()[1:]:
        match = ENTRY.match(line)
        if match:
            entries.append([match["term"].strip(), match["text"].strip()])
        elif entries and line.startswith((" ", "\t")) and line.strip():
            entries[-1][1] += " " + line.strip()
    return [(term, text) for term, text in entries]


def render(notebooks_dir: Path) -> str:
    rows = []
    for path in notebook_paths(notebooks_dir):
        number = path.name[:2]
        for term, text in glossary_entries(path):
            rows.append((re.sub(r"[^a-z0-9 ]", "", term.lower()), term, text, number, path.name))
    lines = [HEADER]
    for _, term, text, number, name in sorted(rows):
        lines.append(f"- **{term}** ([{number}](../notebooks/{name})): {text}\n")
    return "".join(lines)


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω",
}
TEX_GREEK = re.compile(r"\\(" + "|".join(GREEK) + r")(?![A-Za-z])")
NOTATION_HEADING = "## Notation"


def symbols_used(path: Path) -> set[str]:
    """Greek letters in a notebook's markdown, Unicode or TeX (``\\lambda`` counts as λ)."""
    text = "\n".join(c.source for c in read_notebook(path).cells if c.cell_type == "markdown")
    found = {ch for ch in text if "α" <= ch <= "ω" and ch != "ς"}
    return found | {GREEK[name] for name in TEX_GREEK.findall(text)}


def notation_table(authoring: Path) -> list[dict]:
    """Rows ``| symbol | meaning | notebooks | note |`` under ``## Notation`` in the guide."""
    text = Path(authoring).read_text(encoding="utf-8")
    start = text.find(NOTATION_HEADING)
    if start < 0:
        raise ValueError(f"{authoring}: no '{NOTATION_HEADING}' section with the notation table")
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 4 or set(cells[0]) <= set("-: "):
            continue
        if cells[0] == "symbol":
            continue
        rows.append({"symbol": cells[0], "meaning": cells[1], "note": cells[3],
                     "notebooks": set(re.findall(r"\d\d", cells[2]))})
    return rows


def consistency_problems(root: Path) -> list[str]:
    """Terms defined twice without a note, and symbols outside the notation table."""
    problems = []
    first: dict[str, tuple[str, str]] = {}
    paths = notebook_paths(root / "notebooks")
    for path in paths:
        for term, text in glossary_entries(path):
            key = re.sub(r"[^a-z0-9 ]", "", term.lower()).strip()
            if key not in first:
                first[key] = (path.name[:2], text)
            elif text != first[key][1] and f"notebook {first[key][0]}" not in text:
                problems.append(
                    f"{path.name}: glossary term {term!r} was defined differently in notebook "
                    f"{first[key][0]}; say '(refines notebook {first[key][0]})' or use its words"
                )
    guide = root / "docs" / "authoring.md"
    if not guide.exists():  # a bare workbook (as in the tool's own tests): glossary only
        return problems
    rows = notation_table(guide)
    used = {path.name[:2]: symbols_used(path) for path in paths}
    by_symbol: dict[str, list[dict]] = {}
    for row in rows:
        by_symbol.setdefault(row["symbol"], []).append(row)
    for number, symbols in used.items():
        for symbol in sorted(symbols):
            if not any(number in row["notebooks"] for row in by_symbol.get(symbol, [])):
                problems.append(
                    f"notebook {number} uses {symbol} but the notation table in docs/authoring.md "
                    f"lists no meaning of {symbol} for {number}"
                )
    for symbol, meanings in by_symbol.items():
        for row in meanings:
            for number in sorted(row["notebooks"] - {n for n, s in used.items() if symbol in s}):
                problems.append(
                    f"notation table: {symbol} ({row['meaning']}) is listed for notebook "
                    f"{number}, which does not use it"
                )
        for row in meanings[1:]:
            if not row["note"]:
                problems.append(
                    f"notation table: {symbol} means both {meanings[0]['meaning']!r} and "
                    f"{row['meaning']!r}; add a note saying how the notebooks keep them apart"
                )
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    target = args.root / "docs" / "glossary.md"
    text = render(args.root / "notebooks")
    current = target.read_text(encoding="utf-8") if target.exists() else None
    problems = consistency_problems(args.root)
    for problem in problems:
        print(problem)
    if args.check:
        if current != text:
            print(f"{target}: stale (run: python tools/make_glossary.py)")
            return 1
        return 1 if problems else 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"{target}: written ({text.count(chr(10) + '- ')} terms)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
