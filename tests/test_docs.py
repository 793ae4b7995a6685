"""The documentation site (mkdocs.yml, docs/) builds strictly, and what it says is checked against the code.

- ``mkdocs build --strict`` into a temporary folder: a broken link, an unknown
  cross-reference or a docstring mkdocstrings cannot read fails the build;
- every ``physnn ...`` line in a bash block of a page (hand-written or generated
  from the notebooks) names a real command and real options;
- the generated pages: one per lecture section, every command in the CLI reference,
  the README's opening commands quoted into "Getting started";
- the griffe extension that turns reST roles and doctests into Markdown.

    mkdocs build --strict --site-dir /tmp/site     # what the first test runs
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, DOCS / "_hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hooks():
    pytest.importorskip("mkdocs")
    return _load("physnn_docs")


def test_the_site_builds_strictly(tmp_path):
    """About 8 CPU seconds: the whole site, API pages included."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site), "-f", str(ROOT / "mkdocs.yml")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index.html", "getting-started/index.html", "cli/index.html", "api/nn/index.html",
                 "api/train/index.html", "guides/hep/index.html", "lecture/02-perceptron/index.html"):
        assert (site / page).stat().st_size > 2000, page
    # the API pages hold the docstrings: MLP's own words appear on the models page
    assert "hidden" in (site / "api" / "nn" / "index.html").read_text(encoding="utf-8")
    # the README's two commands, quoted into Getting started at build time
    started = (site / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert "demo.sh" in started and "test.sh" in started and "README: first bash block" not in started


def test_a_broken_reference_fails_the_build(tmp_path):
    """The strict build is not a formality: one unknown cross-reference makes it fail."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n\nSee [fit][physnn.train.no_such_function].\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ntheme:\n  name: material\nplugins:\n  - autorefs\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode != 0 and "no_such_function" in proc.stderr


def _bash_lines(markdown: str) -> list[list[str]]:
    out = []
    for block in re.findall(r"^```bash\n(.*?)^```", markdown, flags=re.M | re.S):
        for raw in block.splitlines():
            line = raw.split("  #")[0].split(" # ")[0].strip()
            if line.startswith("physnn "):
                out.append(shlex.split(line)[1:])
    return out


def _pages(hooks) -> dict[str, str]:
    pages = {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md")}
    pages.update(hooks.lecture_pages())
    return pages


def test_every_physnn_line_of_the_docs_names_a_real_command_and_options(hooks):
    import typer

    from physnn.cli.app import app

    root = typer.main.get_command(app)
    checked = 0
    for name, text in _pages(hooks).items():
        for argv in _bash_lines(text):
            cmd, path = root, ["physnn"]
            while hasattr(cmd, "commands") and argv and not argv[0].startswith("-"):
                word = argv.pop(0)
                assert word in cmd.commands, f"{name}: '{' '.join(path)} {word}' is not a command"
                cmd, path = cmd.commands[word], [*path, word]
            assert not hasattr(cmd, "commands"), f"{name}: '{' '.join(path)}' needs a subcommand"
            opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")} | {"--help"}
            for tok in argv:
                if tok.startswith("-"):
                    assert tok.split("=")[0] in opts, f"{name}: '{' '.join(path)}' has no option {tok}"
            checked += 1
    assert checked >= 40


def test_one_page_per_lecture_section_with_its_claim_and_code(hooks):
    from physnn.lecture import SECTIONS

    pages = hooks.lecture_pages()
    assert len(pages) == len(SECTIONS)
    for (number, module), (path, text) in zip(sorted(SECTIONS.items()), sorted(pages.items())):
        mod = importlib.import_module(module)
        assert text.startswith(f"# {number} — "), path
        assert mod.CLAIM in text, f"{path}: the lecture's claim of {module}"
        assert "## The code to try" in text and "## The measured figure" in text and text.count("```python") >= 3
        assert f"physnn lecture --sections {number} " in text


def test_the_cli_reference_has_every_command(hooks):
    import typer

    from physnn.cli.app import app

    page = hooks.cli_page()
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        assert f"`physnn {name}`" in page
        for sub in getattr(cmd, "commands", {}):
            assert f"`physnn {name} {sub}`" in page
            assert f"Usage: physnn {name} {sub} [OPTIONS]" in page
    assert "--n-particles" in page  # an option's help, as the command prints it


def test_the_api_pages_cover_the_public_modules_and_exclude_only_real_ones(hooks):
    pages = hooks.api_pages()
    text = "\n".join(pages.values())
    for mod in ("physnn.nn.mlp", "physnn.train.loop", "physnn.data.io", "physnn.pinn.solve", "physnn.viz.plots"):
        assert f"::: {mod}\n" in text
    listed = {n for names in hooks.API.values() for n in names}
    for pkg in sorted((ROOT / "src" / "physnn").iterdir()):
        if (pkg / "__init__.py").is_file():  # every package has an API page, or a reason for none
            assert f"physnn.{pkg.name}" in listed or f"physnn.{pkg.name}" in hooks.NOT_API, pkg.name
    assert "::: physnn.errors\n" in text and "::: physnn.config\n" in text  # the top-level modules, found
    for mod in hooks.EXCLUDE:  # the list names modules that exist, and they are really left out
        assert importlib.util.find_spec(mod) is not None, mod
        assert f"::: {mod}\n" not in text


def test_getting_started_quotes_the_readme_and_images_are_small(hooks):
    assert hooks.README_MARK in (DOCS / "getting-started.md").read_text(encoding="utf-8")
    for image in DOCS.rglob("*.png"):
        assert image.stat().st_size < 200_000, image


def test_the_griffe_extension_fences_doctests_and_unwraps_roles():
    pytest.importorskip("griffe")
    ext = _load("griffe_physnn")
    text = "A :class:`~physnn.nn.MLP` and :math:`\\big](x)`.\n\n    >>> [4, 4, 2]\n    [4, 4, 2]\n\nEnd."
    out = ext.fence_doctests(ext.ROLE.sub(ext.role, text))
    assert "A `MLP` and `\\big](x)`." in out
    assert "    ```pycon\n    >>> [4, 4, 2]\n    [4, 4, 2]\n    ```" in out
    assert out.endswith("End.")
