"""MkDocs hooks of physnn's documentation site: the pages that are generated, never copied by hand.

At build time (``mkdocs build``), from the sources themselves:

- ``cli.md``: every ``physnn`` command's ``--help``, walked from the typer app;
- ``lecture/NN-name.md``: one page per lecture section, made from its notebook
  (``notebooks/NN_name.py``: the idea, the code to try, the code of the measured
  figure) and the section module's ``CLAIM`` (read with ``ast``, nothing imported);
- ``api/*.md``: one page per package, a mkdocstrings ``:::`` block for each public module;
- the README's opening two commands, quoted into ``getting-started.md`` where it says
  ``<!-- README: first bash block -->``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "physnn"
NOTEBOOKS = ROOT / "notebooks"
README_MARK = "<!-- README: first bash block -->"

#: the API pages: title -> packages / modules documented on it
API = {
    "Models (physnn.nn)": ["physnn.nn"],
    "Data (physnn.data)": ["physnn.data"],
    "Training (physnn.train)": ["physnn.train"],
    "Physics-informed networks (physnn.pinn)": ["physnn.pinn"],
    "Figures and reports (physnn.viz)": ["physnn.viz"],
    "Jets (physnn.hep)": ["physnn.hep"],
    "Fluids (physnn.fluids)": ["physnn.fluids"],
    "Materials (physnn.materials)": ["physnn.materials"],
    "Cells (physnn.cells)": ["physnn.cells"],
    "The lecture (physnn.lecture)": ["physnn.lecture"],
    "scikit-learn estimators (physnn.estimators)": ["physnn.estimators"],
    "The playground (physnn.playground)": ["physnn.playground"],
    #: every top-level module (errors, files, config, rundir, runs, ...), found at build time
    "Core": sorted(f"physnn.{p.stem}" for p in SRC.glob("*.py") if not p.name.startswith("_")),
}

#: packages with no API page, and why (tests/test_docs.py checks every other package has one)
NOT_API = {"physnn.cli": "the command line: its reference is cli.md, generated from the commands"}

#: modules left out of the API pages (their docstrings do not render strictly yet); see the report of issue 18
EXCLUDE: set[str] = {
    # a paragraph after a numpy "Parameters" section, which griffe reads as more parameters:
    "physnn.train.loggers",  # MLflowLogger
    "physnn.fluids.train",  # RelativeL2
    "physnn.materials.descriptors",  # LocalDescriptor
    "physnn.materials.potential",  # AtomicPotential, EnergyForceObjective
    # a reST table under a "Geometries" heading: mkdocstrings stops on it (its submodules are documented)
    "physnn.pinn.geometry",
}

STATIC_NAV = [
    {"Home": "index.md"},
    {"Getting started": "getting-started.md"},
]
GUIDES = [
    {"Tabular data": "guides/tabular.md"},
    {"Physics-informed networks": "guides/pinn.md"},
    {"Collider jets": "guides/hep.md"},
    {"Fluid dynamics": "guides/fluids.md"},
    {"Materials": "guides/materials.md"},
    {"Cells": "guides/cells.md"},
]


# -- the lecture pages, from the notebooks -------------------------------------------------------


def notebook_cells(path: Path) -> list[tuple[str, str]]:
    """``(kind, source)`` of each cell of a jupytext percent-format file (``kind``: markdown or code)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\A# ---\n(?:#.*\n)*?# ---\n", "", text)  # the jupytext header
    cells: list[tuple[str, str]] = []
    for chunk in re.split(r"^# %%", text, flags=re.M)[1:]:
        head, _, body = chunk.partition("\n")
        if "[markdown]" in head:
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.strip().splitlines()]
            cells.append(("markdown", "\n".join(lines).strip()))
        else:
            cells.append(("code", body.strip()))
    return cells


def module_constants(module: str) -> dict[str, object]:
    """The literal top-level constants (NUMBER, TITLE, CLAIM, ...) of a physnn module, read without importing it."""
    path = SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")
    out: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                out[target.id] = ast.literal_eval(value)
            except ValueError:
                pass
    return out


def sections() -> dict[int, str]:
    """Section number -> module, as ``physnn.lecture.report.SECTIONS`` lists them (read with ``ast``)."""
    return {int(k): str(v) for k, v in module_constants("physnn.lecture.report")["SECTIONS"].items()}


def lecture_page(number: int, module: str, notebook: Path) -> str:
    cells = notebook_cells(notebook)
    claim = module_constants(module).get("CLAIM", "")
    title, _, idea = cells[0][1].partition("\n")
    out = [title, "", f"The lecture: {claim}" if claim else "", "", idea.strip(), ""]
    part = None
    for kind, source in cells[1:]:
        if kind == "markdown":
            heading, _, rest = source.partition("\n")
            if heading.startswith("## "):
                part = heading
                out += [heading, "", rest.strip(), ""]
            else:
                out += [source, ""]
        elif part is not None or "QUICK = " in source:
            out += ["```python", source, "```", ""]
    out += [
        "## Run it",
        "",
        f"The notebook is `notebooks/{notebook.name}` (jupytext, percent format); "
        f"`jupytext --to ipynb notebooks/{notebook.name}` makes the `.ipynb` to open in Jupyter. "
        "`PHYSNN_QUICK=1` gives the small sizes the test suite runs it with.",
        "",
        "Every claim of the section measured, with its figures, in one report:",
        "",
        "```bash",
        f"physnn lecture --sections {number} --out runs/section{number}   # -> runs/section{number}/report.html",
        "```",
        "",
        f"The section's code: [`{module}`][{module}].",
        "",
    ]
    return "\n".join(out)


def lecture_pages() -> dict[str, str]:
    pages = {}
    for number, module in sorted(sections().items()):
        found = sorted(NOTEBOOKS.glob(f"{number:02d}_*.py"))
        if len(found) != 1:
            raise RuntimeError(f"docs: section {number} needs exactly one notebook notebooks/{number:02d}_*.py; found {found}")
        pages[f"lecture/{found[0].stem.replace('_', '-')}.md"] = lecture_page(number, module, found[0])
    return pages


# -- the CLI reference, from the commands ---------------------------------------------------------


def cli_page() -> str:
    import typer

    from physnn.cli.app import app

    def walk(cmd, path, parent=None):
        ctx = cmd.context_class(cmd, info_name=path[-1], parent=parent, terminal_width=100, max_content_width=100)
        yield path, cmd, ctx
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, [*path, name], ctx)

    out = ["# Command-line reference", "",
           "Generated from the commands themselves at build time: each command's `--help`.", ""]
    for path, cmd, ctx in walk(typer.main.get_command(app), ["physnn"]):
        out += [f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`", "", "```text", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


# -- the API reference, from the docstrings -------------------------------------------------------


def public_modules(name: str) -> list[str]:
    """``name`` and, for a package, its public submodules (no leading underscore, not ``__main__``), sorted."""
    path = SRC.joinpath(*name.split(".")[1:])
    if not path.is_dir():
        return [name]
    mods = [name]
    for child in sorted(path.iterdir()):
        if child.name.startswith("_"):
            continue
        if child.suffix == ".py":
            mods.append(f"{name}.{child.stem}")
        elif (child / "__init__.py").is_file():
            mods += public_modules(f"{name}.{child.name}")
    return mods


def api_pages() -> dict[str, str]:
    pages = {}
    for title, names in API.items():
        mods = [m for n in names for m in public_modules(n) if m not in EXCLUDE]
        body = [f"# {title}", ""]
        for mod in mods:
            body += [f"## `{mod}`", "", f"::: {mod}", "    options:", "      show_root_heading: false",
                     "      heading_level: 3"]
            if SRC.joinpath(*mod.split(".")[1:]).is_dir():  # a package: its docstring; its modules follow
                body.append("      members: false")
            body.append("")
        slug = names[0].split(".")[-1] if len(names) == 1 else "core"
        pages[f"api/{slug}.md"] = "\n".join(body)
    return pages


# -- hooks ----------------------------------------------------------------------------------------

_GENERATED: dict[str, str] = {}


def on_config(config):
    _GENERATED.clear()
    _GENERATED.update(lecture_pages())
    _GENERATED["cli.md"] = cli_page()
    api = api_pages()
    _GENERATED.update(api)
    lecture_nav = [{text.split("\n", 1)[0].lstrip("# ").strip(): path}
                   for path, text in _GENERATED.items() if path.startswith("lecture/")]
    api_nav = [{title: path} for title, path in zip(API, api)]
    config["nav"] = [*STATIC_NAV, {"The lecture": lecture_nav}, {"Your own data": GUIDES},
                     {"Command line": "cli.md"}, {"API": api_nav}]
    return config


def on_files(files, config):
    for path, content in _GENERATED.items():
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    if README_MARK in markdown:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        block = re.search(r"^```bash\n.*?^```$", readme, flags=re.M | re.S)
        if block is None:
            raise RuntimeError("docs: README.md has no bash block to quote")
        markdown = markdown.replace(README_MARK, block.group(0))
    return markdown
