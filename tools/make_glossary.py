"""Write docs/glossary.md from the Glossary section of every notebook.

Each notebook's ``## Glossary`` cell holds entries ``- **Term**: definition`` (a definition
may continue on indented lines). The workbook glossary lists them all alphabetically, each
with a link to the notebook that defines it, so the glossary never drifts from the lessons.

    python tools/make_glossary.py           # (re)write docs/glossary.md
    python tools/make_glossary.py --check   # exit 1 when docs/glossary.md is stale
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    target = args.root / "docs" / "glossary.md"
    text = render(args.root / "notebooks")
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{target}: stale (run: python tools/make_glossary.py)")
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"{target}: written ({text.count(chr(10) + '- ')} terms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
