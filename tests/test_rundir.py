"""The one run format: state.json with a kind and provenance, the 0.1 formats read, the registries."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from physnn import rundir
from physnn.errors import PhysnnError


def test_write_then_read_state_adds_format_kind_and_provenance(tmp_path):
    d = rundir.create_run_dir(tmp_path / "r")
    assert (d / "figures").is_dir()
    rundir.write_state(d, "fluids", {"model": {"kind": "fno1d"}, "input": "a"}, seed=7, command=["physnn", "x"])
    raw = json.loads((d / "state.json").read_text())
    assert raw["format"] == rundir.FORMAT == "physnn-run-2" and raw["kind"] == "fluids" and raw["input"] == "a"
    prov = raw["provenance"]
    assert prov["seed"] == 7 and prov["command"] == "physnn x"
    assert set(prov["versions"]) == {"physnn", "torch", "numpy", "python"}
    assert prov["created"].endswith("+00:00")
    assert rundir.read_state(d, kind="fluids")["input"] == "a"


def test_write_state_refuses_unknown_kinds_and_reserved_keys(tmp_path):
    with pytest.raises(PhysnnError, match="tabular"):
        rundir.write_state(tmp_path, "tabularr", {})
    with pytest.raises(PhysnnError, match="format"):
        rundir.write_state(tmp_path, "tabular", {"format": "mine"})
    assert not (tmp_path / "state.json").exists()


def test_unique_run_dirs_never_overwrite(tmp_path):
    a = rundir.create_run_dir(tmp_path / "run")
    b = rundir.create_run_dir(tmp_path / "run")
    c = rundir.create_run_dir(tmp_path / "run")
    assert [a.name, b.name, c.name] == ["run", "run-2", "run-3"]


@pytest.mark.parametrize("fmt, extra, kind", [
    ("physnn-run-1", {"model": {"kind": "mlp"}, "task": "binary"}, "tabular"),
    ("physnn-run-1", {"model": {"kind": "pinn"}, "task": "pinn"}, "pinn"),
    ("physnn-hep-run-1", {}, "tagger"),
    ("physnn-hep-anomaly-1", {}, "anomaly"),
    ("physnn-materials-1", {}, "materials"),
    ("physnn-fluids-run-1", {}, "fluids"),
    ("physnn-cells-unet-1", {}, "segmentation"),
])
def test_the_01_formats_are_read_with_their_kind(tmp_path, fmt, extra, kind):
    (tmp_path / "state.json").write_text(json.dumps({"format": fmt, **extra}))
    state = rundir.read_state(tmp_path)
    assert state["kind"] == kind and state["legacy_format"] == fmt


def test_read_state_errors_name_the_problem_and_the_fix(tmp_path):
    with pytest.raises(PhysnnError, match="does not exist"):
        rundir.read_state(tmp_path / "nope")
    with pytest.raises(PhysnnError, match="state.json is missing"):
        rundir.read_state(tmp_path)
    (tmp_path / "state.json").write_text(json.dumps({"format": "physnn-run-9"}))
    with pytest.raises(PhysnnError, match="physnn-run-9.*newer physnn"):
        rundir.read_state(tmp_path)
    (tmp_path / "state.json").write_text(json.dumps({"format": "physnn-run-2", "kind": "quantum"}))
    with pytest.raises(PhysnnError, match="unknown run kind 'quantum'"):
        rundir.read_state(tmp_path)
    (tmp_path / "state.json").write_text(json.dumps({"format": "physnn-fluids-run-1"}))
    with pytest.raises(PhysnnError, match="is a fluids run.*'physnn fluids train'.*'physnn hep train'"):
        rundir.read_state(tmp_path, kind="tagger")
    (tmp_path / "state.json").write_text("[1, 2]")
    with pytest.raises(PhysnnError, match="not an object"):
        rundir.read_state(tmp_path)


def test_every_registered_kind_and_model_builder_exists():
    """Each RUN_KINDS entry resolves to a RunKind of that name; each MODEL_BUILDERS entry to a callable."""
    for kind in rundir.RUN_KINDS:
        rk = rundir.run_kind(kind)
        assert isinstance(rk, rundir.RunKind) and rk.kind == kind and rk.predicts
        assert callable(rk.predict)
        assert rk.onnx is not None or rk.no_onnx, f"{kind}: no ONNX export and no reason given"
    for kind in rundir.MODEL_BUILDERS:
        assert callable(rundir.model_builder(kind)), kind


@pytest.mark.parametrize("config", [
    {"kind": "mlp", "n_in": 3, "hidden": [5], "n_out": 2},
    {"kind": "simplenet"},
    {"kind": "fno1d", "modes": 4, "width": 6, "layers": 1},
    {"kind": "unet", "in_channels": 1, "out_channels": 3, "depth": 1, "base": 4},
    {"kind": "autoencoder", "n_in": 6, "hidden": [8], "latent": 2},
    {"kind": "pfn", "n_features": 3, "phi": [8], "f": [4]},
])
def test_build_model_round_trips_configs(config):
    import torch

    from physnn.nn import model_config

    net = rundir.build_model(config)
    assert isinstance(net, torch.nn.Module)
    again = net.config() if hasattr(net, "config") and config["kind"] not in ("mlp", "simplenet") else model_config(net)
    again = {"kind": config["kind"], **{k: v for k, v in again.items() if k != "kind"}}
    rebuilt = rundir.build_model(again)
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(p.numel() for p in net.parameters())


def test_build_model_errors():
    with pytest.raises(PhysnnError, match="'kind'"):
        rundir.build_model({"n_in": 2})
    with pytest.raises(PhysnnError, match="mlp"):
        rundir.build_model({"kind": "mpl"})


def test_rundir_imports_no_application():
    """The arrows point down: importing rundir (and runs) loads no application package."""
    code = ("import sys, physnn.rundir, physnn.runs; "
            "apps = [m for m in sys.modules if m.split('.')[:2] and m.split('.')[0] == 'physnn' and "
            "len(m.split('.')) > 1 and m.split('.')[1] in ('hep', 'materials', 'fluids', 'cells', 'pinn', 'lecture')]; "
            "print(apps)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_module_imports_a_private_name_of_another():
    """No `from physnn.x import _name` across modules (DESIGN: make it public or move it down)."""
    import pathlib
    import re

    import physnn

    root = pathlib.Path(physnn.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        for m in re.finditer(r"^\s*from (physnn[\w.]*) import ([^\n]+)", path.read_text(encoding="utf-8"), re.M):
            names = [n.strip().split(" as ")[0] for n in m.group(2).strip("() \\").split(",")]
            if any(n.startswith("_") and not n.startswith("__") for n in names):
                bad.append(f"{path.relative_to(root)}: {m.group(0).strip()}")
    assert not bad, bad


def test_provenance_git_commit_is_a_sha_or_none():
    commit = rundir.provenance()["git_commit"]
    assert commit is None or (len(commit) == 40 and int(commit, 16) >= 0)
    importlib.reload(rundir)  # the cached lookup is per process; a reload must not break anything
    assert rundir.FORMAT == "physnn-run-2"
