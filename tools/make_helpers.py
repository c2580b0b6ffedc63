"""Write docs/helpers.md: every public retainkit name, its file, and the notebooks that use it.

For each topic (a subpackage or module of ``retainkit`` with an ``__all__``) the index lists,
per public name: the file that defines it, the notebook that introduces it (from its
docstring: "Introduced in notebook NN"), and the notebooks whose code cells use it after
importing from that topic. It reads the source with ``ast`` and never imports retainkit, so it
needs no TensorFlow and is fast enough for ``make check``.

    python tools/make_helpers.py           # (re)write docs/helpers.md
    python tools/make_helpers.py --check   # exit 1 when docs/helpers.md is stale
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import REPO_ROOT, notebook_paths, read_notebook  # noqa: E402

TOPICS = ("events", "simulate", "datasets", "retention", "survival", "features", "models",
          "evaluation", "explain", "experiments", "clv", "plotting", "checks")
INTRODUCED = re.compile(r"(?:[Ii]ntroduced|[Uu]sed first|[Ss]ee) in notebooks? (\d\d)")
HEADER = """# Helpers index

Every public name of `retainkit`, the file that holds it, the notebook that introduces it, and
the notebooks that use it. Generated from the package's `__all__` lists, docstrings and the
notebooks' code by `python tools/make_helpers.py`; do not edit by hand (`make check` fails
when it is stale).

"""


def topic_source(package: Path, topic: str) -> Path:
    init = package / topic / "__init__.py"
    return init if init.is_file() else package / f"{topic}.py"


def exported(tree: ast.Module) -> list[str]:
    """The names of ``__all__`` (a ``*NAME`` entry unpacks a literal list or dict NAME)."""
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    names = []
    for element in getattr(values.get("__all__"), "elts", []):
        if isinstance(element, ast.Starred):
            names += list(ast.literal_eval(values[element.value.id]))
        else:
            names.append(ast.literal_eval(element))
    return names


def where_defined(package: Path, source: Path, name: str, seen=None) -> Path:
    """The file whose top level defines ``name``, following ``from retainkit... import``."""
    seen = seen or set()
    if source in seen or not source.is_file():
        return source
    seen.add(source)
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return source
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return source
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "retainkit"):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    parts = node.module.split(".")[1:]
                    target = package.joinpath(*parts)
                    target = target / "__init__.py" if target.is_dir() else target.with_suffix(
                        ".py")
                    return where_defined(package, target, alias.name, seen)
    return source


def introduced_in(path: Path, name: str) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            match = INTRODUCED.search(ast.get_docstring(node) or "")
            return match.group(1) if match else ""
    return ""


def notebook_uses(notebooks_dir: Path) -> dict[tuple[str, str], set[str]]:
    """(topic, name) -> numbers of the notebooks that import the name or call ``topic.name``."""
    uses: dict[tuple[str, str], set[str]] = {}
    for path in notebook_paths(notebooks_dir):
        number = path.name[:2]
        trees = []
        for cell in read_notebook(path).cells:
            if cell.cell_type == "code":
                try:
                    trees.append(ast.parse(cell.source))
                except SyntaxError:  # a cell with IPython magics
                    continue
        modules = {}  # alias -> topic, for "from retainkit import survival as sv"
        for node in (n for tree in trees for n in ast.walk(tree)):
            if isinstance(node, ast.ImportFrom) and node.module:
                topic = node.module.removeprefix("retainkit.")
                for alias in node.names:
                    if node.module == "retainkit" and alias.name in TOPICS:
                        modules[alias.asname or alias.name] = alias.name
                    elif topic in TOPICS:
                        uses.setdefault((topic, alias.name), set()).add(number)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    topic = alias.name.removeprefix("retainkit.")
                    if topic in TOPICS and alias.asname:
                        modules[alias.asname] = topic
        for node in (n for tree in trees for n in ast.walk(tree)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id in modules:
                uses.setdefault((modules[node.value.id], node.attr), set()).add(number)
    return uses


def render(root: Path) -> str:
    package = root / "retainkit"
    uses = notebook_uses(root / "notebooks")
    lines = [HEADER]
    for topic in TOPICS:
        source = topic_source(package, topic)
        if not source.is_file():
            continue
        names = exported(ast.parse(source.read_text(encoding="utf-8")))
        lines.append(f"## `retainkit.{topic}`\n\n| name | file | introduced in | used in |\n"
                     "|---|---|---|---|\n")
        for name in names:
            path = where_defined(package, source, name)
            first = introduced_in(path, name)
            used = sorted(set(uses.get((topic, name), [])))
            rel = path.relative_to(root).as_posix()
            lines.append(f"| `{name}` | [`{rel}`](../{rel}) | {first or '—'} | "
                         f"{', '.join(used) or '—'} |\n")
        lines.append("\n")
    return "".join(lines).rstrip("\n") + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    target = args.root / "docs" / "helpers.md"
    text = render(args.root)
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if args.check:
        if current != text:
            print(f"{target}: stale (run: python tools/make_helpers.py)")
            return 1
        return 0
    if current != text:
        target.write_text(text, encoding="utf-8")
        print(f"{target}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
