"""Every code block of README.md runs, or is checked, in the suite.

- ``python`` blocks are executed (in a temporary directory); a block whose first
  line is ``# slow`` runs only with PHYSNN_SLOW=1.
- ``toml`` blocks are validated by the experiment schema (``physnn.config``).
- ``bash`` blocks: every ``physnn ...`` line names a real command, and every
  option it passes exists on that command; every ``bash scripts/...`` names a
  script that exists.
- Blocks without a language (a directory listing, the package layout) are not
  code; the layout block must name only folders and files that exist.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _blocks() -> list[tuple[str, int, str]]:
    """(language, first line number, text) of each fenced block."""
    lines = README.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            lang, start, body = m.group(1), i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((lang, start + 1, "\n".join(body)))
        i += 1
    return out


BLOCKS = _blocks()


def _of(lang: str) -> list:
    return [pytest.param(text, id=f"line{line}", marks=[pytest.mark.slow] if text.lstrip().startswith("# slow") else [])
            for kind, line, text in BLOCKS if kind == lang]


def test_readme_has_the_blocks_this_test_checks():
    kinds = [k for k, _, _ in BLOCKS]
    assert kinds.count("python") >= 2 and "toml" in kinds and kinds.count("bash") >= 2
    assert "text" not in kinds, "a code block fenced as text is run by no test: fence it as python or bash"
    first = BLOCKS[0]
    assert first[0] == "bash" and "scripts/demo.sh" in first[2] and "scripts/test.sh" in first[2]


@pytest.mark.parametrize("text", _of("python"))
def test_python_block_runs(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(text, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    assert len(namespace) > 2  # it defined something: the block really ran
    if "history" in namespace:  # the library example: a moons classifier, and its loss figure
        assert namespace["history"].final["val_accuracy"] > 0.9
        assert (tmp_path / "loss.png").stat().st_size > 1000


@pytest.mark.parametrize("text", _of("toml"))
def test_toml_block_is_a_valid_experiment(text):
    from physnn.config import parse_config

    cfg = parse_config(tomllib.loads(text), origin="README.md")
    assert cfg.name and cfg.model.hidden


def _command_tree():
    import typer

    from physnn.cli.app import app

    return typer.main.get_command(app)


def _physnn_lines(text: str) -> list[list[str]]:
    out = []
    for raw in text.splitlines():
        line = raw.split("  #")[0].split(" # ")[0].strip()
        if line.startswith("physnn "):
            out.append(shlex.split(line)[1:])
    return out


@pytest.mark.parametrize("text", _of("bash"))
def test_bash_block_names_real_commands_and_options(text):
    for raw in text.splitlines():
        m = re.match(r"^(?:PHYSNN_\w+=\S+ )*bash (scripts/\S+)", raw.strip())
        if m:
            assert (ROOT / m.group(1)).is_file(), f"README names a missing script: {m.group(1)}"
    for argv in _physnn_lines(text):
        cmd, path = _command_tree(), ["physnn"]
        while hasattr(cmd, "commands") and argv and not argv[0].startswith("-"):
            name = argv.pop(0)
            assert name in cmd.commands, f"README: '{' '.join(path)} {name}' is not a command"
            cmd, path = cmd.commands[name], path + [name]
        assert not hasattr(cmd, "commands"), f"README: '{' '.join(path)}' needs a subcommand"
        opts = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
        for tok in argv:
            if tok.startswith("-"):
                assert tok.split("=")[0] in opts, f"README: '{' '.join(path)}' has no option {tok}"
        n_args = sum(1 for p in cmd.params if not any(o.startswith("-") for o in p.opts))
        flags = {o for p in cmd.params if getattr(p, "is_flag", False) for o in (*p.opts, *p.secondary_opts)}
        positional, skip = [], False
        for tok in argv:
            if skip:
                skip = False
            elif tok.startswith("-"):
                skip = tok not in flags and "=" not in tok
            else:
                positional.append(tok)
        multi = any(getattr(p, "nargs", 1) == -1 for p in cmd.params)
        assert multi or len(positional) <= n_args, f"README: too many arguments for '{' '.join(path)}': {positional}"


def test_layout_block_names_what_exists():
    block = next(text for kind, _, text in BLOCKS if kind == "" and text.lstrip().startswith("src/physnn/"))
    names = set(re.findall(r"(?:^|\s)([a-z_]+(?:\.py|/))(?=\s)", block + "\n"))
    assert len(names) > 10
    pkg = ROOT / "src" / "physnn"
    for name in sorted(names - {"src/physnn/", "benchmarks/", "tests/"}):
        found = (pkg / name.rstrip("/")).exists() or any(pkg.rglob(name.rstrip("/")))
        assert found, f"README layout names {name}, which does not exist"


def test_pinn_block_uses_the_burgers_preset():
    """The README's Burgers snippet passes solve() exactly the settings of ``physnn pinn burgers``."""
    import ast

    from physnn.pinn.runs import PRESETS

    text = next(t for kind, _, t in BLOCKS if kind == "python" and "def burgers" in t)
    call = next(n for n in ast.walk(ast.parse(text))
                if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "solve")
    given = {kw.arg: kw.value for kw in call.keywords}
    preset = PRESETS["burgers"]["full"]
    assert set(given) == set(preset), f"README solve() keywords differ from the preset: {set(given) ^ set(preset)}"
    for key, value in preset.items():
        node = given[key]
        if key == "rar":
            shown = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
            assert vars(type(value)(**shown)) == vars(value), f"README rar={shown}, preset {vars(value)}"
        else:
            assert ast.literal_eval(node) == value, f"README {key}={ast.unparse(node)}, preset {value!r}"
