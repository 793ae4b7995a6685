"""physnn's own files declare everything it imports (a green suite must not hide a missing install step).

Every third-party module imported anywhere in ``src/physnn`` belongs to a
distribution that ``pyproject.toml`` names, and what ``physnn lecture``
imports (the main job, ``scripts/demo.sh``) is installed by the core
dependencies plus the ``lecture`` extra. A module that only arrives as another
package's dependency (threadpoolctl came with scikit-learn) fails here.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "physnn"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.split(r"[\s\[<>=!~;]", req.strip(), maxsplit=1)[0])


def _closure(extras: list[str]) -> set[str]:
    """Distributions installed by ``physnn[extras]`` (core included), following physnn[...] self-references."""
    names = {_requirement_name(r) for r in PYPROJECT["dependencies"]}
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in PYPROJECT["optional-dependencies"][extra]:
            m = re.match(r"physnn\[(.*)\]", req.replace(" ", ""))
            if m:
                todo += m.group(1).split(",")
            else:
                names.add(_requirement_name(req))
    return names


def _guarded(tree: ast.AST) -> set[int]:
    """ids of import statements inside ``try: ... except ImportError`` (optional imports)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            or isinstance(h.type, ast.Tuple) and any(getattr(e, "id", "") in ("ImportError", "ModuleNotFoundError")
                                                     for e in h.type.elts)
            for h in node.handlers
        ):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def _imports(files) -> dict[str, str]:
    """Top-level third-party module -> first file importing it (optional, guarded imports left out)."""
    out: dict[str, str] = {}
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        guarded = _guarded(tree)
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top != "physnn" and top not in sys.stdlib_module_names and top != "__future__":
                    out.setdefault(top, str(f.relative_to(ROOT)))
    return out


@functools.lru_cache(maxsize=1)
def _module_table() -> dict[str, list[str]]:
    return md.packages_distributions()  # scans every installed distribution: once per session


def _distributions(module: str) -> set[str]:
    return {_norm(d) for d in _module_table().get(module, [])}


def test_every_import_is_declared():
    declared = _closure(list(PYPROJECT["optional-dependencies"]))
    problems = []
    for mod, where in sorted(_imports(SRC.rglob("*.py")).items()):
        dists = _distributions(mod)
        if not dists:
            problems.append(f"{mod} (imported in {where}) is not installed here, so it cannot be checked")
        elif not dists & declared:
            problems.append(f"{mod} (imported in {where}) comes from {sorted(dists)}, which pyproject.toml does not name")
    assert not problems, "\n".join(problems)


def test_the_lecture_extra_installs_what_the_lecture_imports():
    """The modules of ``physnn.lecture`` and of every physnn module they import (transitively)."""
    installed = _closure(["lecture"])
    files, todo = set(), [SRC / "lecture"]
    while todo:
        path = todo.pop()
        for f in ([path] if path.is_file() else path.rglob("*.py")):
            if f in files:
                continue
            files.add(f)
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("physnn"):
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names if a.name.startswith("physnn")]
                for name in names:
                    rel = Path(*name.split(".")[1:])
                    if not rel.parts:
                        continue
                    for cand in (SRC / rel.with_suffix(".py"), SRC / rel / "__init__.py"):
                        if cand.is_file() and cand not in files:
                            todo.append(cand)
    assert len(files) > 20
    missing = {mod: where for mod, where in _imports(sorted(files)).items() if not _distributions(mod) & installed}
    assert not missing, f"'pip install physnn[lecture]' would miss: {missing}"
