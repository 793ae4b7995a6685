"""The error contract of every command, checked from the CLI's own command list.

For every command of ``physnn`` (found by walking the typer app, so a command
added later is covered or this file fails), every file-taking parameter gets
the bad files a user can hand it — a missing path, a directory, an empty
file, random bytes, a file of another format under the right suffix — and
each command gets its bad values (NaN/Inf data, missing columns, unknown
names, out-of-range numbers).  Every case must:

* exit with code 2,
* print no traceback, at most a few lines, starting with ``physnn: error:``,
* leave nothing where ``--out`` (or any declared output) pointed.

Commands run in-process through :func:`physnn.cli.app.main`; they must fail
during validation, before any heavy work (the whole file takes seconds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import physnn.cli.app as cli
from physnn.errors import sniff_file

# ----------------------------------------------------------------- the command list


COMMANDS = cli.command_table()


def _hints(cmd: Any) -> dict[str, Any]:
    return typing.get_type_hints(cmd.callback)


def _is_path(tp: Any) -> bool:
    return tp is Path or any(_is_path(a) for a in typing.get_args(tp))


def _file_like(cmd: Any) -> set[str]:
    """The parameters that name a file or directory: typed Path, or text whose help says so."""
    hints = _hints(cmd)
    names = set()
    for p in cmd.params:
        help_text = (getattr(p, "help", None) or "").lower()
        if _is_path(hints.get(p.name)) or any(w in help_text for w in ("file", "directory", " dir")):
            names.add(p.name)
    return names


def argv(command: str, values: dict[str, Any]) -> list[str]:
    """The argument list that gives ``command`` these parameter values (arguments in declaration order)."""
    cmd = COMMANDS[command]
    args = command.split()
    positional = []
    for p in cmd.params:
        if p.name not in values or values[p.name] is None:
            continue
        v = values[p.name]
        is_option = any(o.startswith("-") for o in p.opts)
        if not is_option:
            positional += [str(item) for item in (v if isinstance(v, list) else [v])]
        elif isinstance(v, bool):
            if v:
                args.append(p.opts[0])
        else:
            for item in v if isinstance(v, list) else [v]:
                args += [p.opts[0], str(item)]
    unknown = set(values) - {p.name for p in cmd.params}
    assert not unknown, f"{command}: no parameters {unknown}"
    return args + positional


# ----------------------------------------------------------------- test inputs


def random_bytes(n: int = 4096) -> bytes:
    data = np.random.default_rng(1234).integers(0, 256, n, dtype=np.uint8).tobytes()
    return b"\xfe\xff\x00" + data  # not text, no known magic


class Files:
    """Small valid inputs, built once per module, and builders of bad ones."""

    def __init__(self, root: Path):
        self.root = root
        self._n = 0

    def fresh(self, name: str) -> Path:
        self._n += 1
        d = self.root / f"case{self._n}"
        d.mkdir()
        return d / name

    # --- bad files under a given name
    def bad_files(self, suffix: str, other: bytes) -> list[tuple[str, Path]]:
        """(label, path) for: missing, directory, empty, random bytes, another format under ``suffix``."""
        missing = self.fresh(f"missing{suffix}")
        directory = self.fresh(f"dir{suffix}")
        directory.mkdir()
        empty = self.fresh(f"empty{suffix}")
        empty.write_bytes(b"")
        rnd = self.fresh(f"random{suffix}")
        rnd.write_bytes(random_bytes())
        wrong = self.fresh(f"other{suffix}")
        wrong.write_bytes(other)
        return [("missing", missing), ("directory", directory), ("empty", empty), ("random-bytes", rnd),
                ("other-format", wrong)]

    def bad_run_dirs(self) -> list[tuple[str, Path]]:
        """(label, path) for a run-directory input: missing, a file, an empty dir, a damaged state.json."""
        missing = self.fresh("no_run")
        a_file = self.fresh("run_file")
        a_file.write_text("not a directory\n")
        empty = self.fresh("empty_run")
        empty.mkdir()
        damaged = self.fresh("damaged_run")
        damaged.mkdir()
        (damaged / "state.json").write_bytes(random_bytes())
        (damaged / "model.safetensors").write_bytes(random_bytes())
        (damaged / "config.toml").write_bytes(random_bytes())
        not_json = self.fresh("notjson_run")
        not_json.mkdir()
        (not_json / "state.json").write_text("{ this is not json\n")
        (not_json / "model.safetensors").write_bytes(b"")
        (not_json / "config.toml").write_text("")
        return [("missing", missing), ("a-file", a_file), ("empty-dir", empty), ("random-state", damaged),
                ("bad-json-state", not_json)]


# formats a "file of another format" is made of
def hdf5_bytes(root: Path) -> bytes:
    import h5py

    p = root / "_x.h5"
    if not p.exists():
        with h5py.File(p, "w") as f:
            f.attrs["note"] = "no arrays here"
    return p.read_bytes()


NAN_CSV = "a,b,y\n1,2,0\n3,nan,1\n4,5,0\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
CSV_TEXT = b"a,b,label\n1,2,0\n3,4,1\n"


@dataclass
class Spec:
    """How to call one command validly, and what it must refuse."""

    base: Callable[["Env"], dict[str, Any]]
    #: file-like parameter -> (suffix of a good file, bytes of another format) or "run" (a run directory)
    inputs: dict[str, Any] = field(default_factory=dict)
    #: output parameters (must match the command's @writes declaration)
    outputs: tuple[str, ...] = ()
    #: bad values: (label, overrides of base, a piece of the expected message)
    values: list[tuple[str, Callable[["Env"], dict[str, Any]], str]] = field(default_factory=list)
    #: file-like parameters deliberately not fed bad files, with the reason
    skip: dict[str, str] = field(default_factory=dict)


class Env:
    """The module's valid inputs (built lazily, once)."""

    def __init__(self, root: Path):
        self.root = root
        self.files = Files(root / "bad")
        self.files.root.mkdir()
        self._cache: dict[str, Path] = {}

    def _once(self, key: str, make: Callable[[], Path]) -> Path:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def out(self, name: str = "out") -> Path:
        """A fresh output path two levels below a new directory (its parents must not be left behind)."""
        return self.files.fresh("x").parent / "made" / name

    def text(self, name: str, content: str | bytes) -> Path:
        p = self.files.fresh(name)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        return p

    @property
    def csv(self) -> Path:
        return self._once("csv", lambda: self.text("data.csv", "x0,x1,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"))

    @property
    def run(self) -> Path:
        def make() -> Path:
            from physnn.config import parse_config
            from physnn.runs import train_run

            cfg = parse_config({"name": "tiny", "data": {"source": "toy:xor", "val": 0.0, "standardize": False},
                                "model": {"hidden": [2]}, "train": {"epochs": 1, "batch_size": 0}})
            return train_run(cfg, self.root / "tiny_run", progress=False, quiet=True, figures=False).directory
        return self._once("run", make)

    @property
    def jets(self) -> Path:
        cols = "pt,mass,tau1,tau2,tau3,tau4,tau21,tau32,n_constituents,label"
        rows = [",".join(str(v) for v in [500 + i, 50 + 10 * (i % 5), 0.5, 0.3, 0.2, 0.1, 0.6, 0.7, 30, i % 2])
                for i in range(20)]
        return self._once("jets", lambda: self.text("jets.csv", cols + "\n" + "\n".join(rows) + "\n"))

    def jets_with(self, edit: Callable[[str], str], name: str = "jets.csv") -> Path:
        return self.text(name, edit(self.jets.read_text()))

    def fluids(self, **change: Any) -> Path:
        from physnn.fluids.data import save_dataset

        rng = np.random.default_rng(0)
        d = {"a": rng.normal(size=(8, 64)), "u": rng.normal(size=(8, 64)),
             "meta": {"kind": "burgers", "n": 8, "grid": 64, "nu": 0.01, "t": 1.0, "seed": 0}}
        for k, v in change.items():
            if v is None:
                d.pop(k)
            else:
                d[k] = v
        p = self.files.fresh("flow.npz")
        save_dataset(d, p)
        return p

    @property
    def image(self) -> Path:
        def make() -> Path:
            from physnn.cells.io import write_tiff

            img = np.zeros((32, 32), np.uint16)
            img[8:16, 8:16] = 1000
            return write_tiff(self.files.fresh("img.tif"), img)
        return self._once("image", make)

    def mask(self, array: np.ndarray) -> Path:
        from physnn.cells.io import write_tiff

        return write_tiff(self.files.fresh("mask.tif"), array)

    def toml(self, text: str) -> Path:
        return self.text("c.toml", text)

    def data_toml(self, source: Path, extra: str = 'target = "y"') -> Path:
        """An experiment file training on the data file ``source``."""
        return self.toml(f'[data]\nsource = "{source}"\n{extra}\n')


def _cells_stack(env: Env, frames: int = 3) -> Path:
    """A small time-lapse (multi-page TIFF): one bright square moving right."""
    import tifffile

    stack = np.full((frames, 32, 32), 100, np.uint16)
    for t in range(frames):
        stack[t, 8:16, 4 + 2 * t:12 + 2 * t] = 1000
    p = env.files.fresh("stack.tif")
    tifffile.imwrite(p, stack, photometric="minisblack")
    return p


def _alloys_npz(env: Env, **change: Any) -> Path:
    """A structurally complete alloy file of 2 structures (labels made up), with ``change`` applied."""
    from physnn.materials.generate import LABELS

    d = {"numbers": np.full((2, 4), 29), "cell": np.tile(np.eye(3) * 3.6, (2, 1, 1)),
         "positions": np.zeros((2, 4, 3)), "ok": np.ones(2, bool), "meta": np.array(json.dumps({"task": "A"})),
         **{k: np.zeros(2) for k in LABELS}}
    d.update(change)
    p = env.files.fresh("alloys.npz")
    np.savez(p, **d)
    return p


def _no_arrays_npz(env: Env) -> Path:
    p = env.files.fresh("noarrays.npz")
    np.savez(p, meta=np.array(json.dumps({"format": "something-else"})))
    return p


TUNE_TOML = ('[data]\nsource = "toy:xor"\n[train]\nepochs = 1\n[tune]\nmetric = "val_loss"\n'
             '[tune.params]\n"train.lr" = {low = 1e-3, high = 0.1, log = true}\n')

SPECS: dict[str, Spec] = {
    "train": Spec(
        base=lambda e: {"config": "xor", "out": e.out(), "quiet": True},
        inputs={"config": (".toml", PNG_BYTES)},
        outputs=("out",),
        values=[
            ("empty-toml", lambda e: {"config": e.toml("")}, "is empty (0 bytes)"),
            ("comments-only-toml", lambda e: {"config": e.toml("# nothing yet\n")}, "no [data] table"),
            ("keyless-toml", lambda e: {"config": e.toml('name = "x"\n')}, "no [data] table"),
            ("data-without-source", lambda e: {"config": e.toml("[data]\nval = 0.2\n")}, "without 'source'"),
            ("not-toml", lambda e: {"config": e.toml("[train\nlr = 1\n")}, "not valid TOML"),
            ("bad-lr", lambda e: {"config": e.toml('[data]\nsource = "toy:xor"\n[train]\nlr = -1\n')}, "[train] lr"),
            ("unknown-toy", lambda e: {"config": e.toml('[data]\nsource = "toy:mooons"\n')}, "moons"),
            ("csv-nan", lambda e: {"config": e.data_toml(e.text("n.csv", NAN_CSV))}, "NaN"),
            ("csv-inf", lambda e: {"config": e.data_toml(e.text("i.csv", NAN_CSV.replace("nan", "inf")))}, "Inf"),
            ("missing-feature", lambda e: {"config": e.data_toml(e.csv, 'features = ["x0", "x9"]\ntarget = "label"')},
             "'x9'"),
            ("missing-target", lambda e: {"config": e.data_toml(e.csv, 'target = "y"')}, "'y'"),
            ("data-binary", lambda e: {"config": e.data_toml(e.text("b.csv", random_bytes()))}, "not a UTF-8 text file"),
            ("data-missing", lambda e: {"config": e.toml('[data]\nsource = "/no/such/file.csv"\n')}, "does not exist"),
            ("epochs-0", lambda e: {"epochs": 0}, "epochs"),
            ("seed-negative", lambda e: {"seed": -1}, "seed"),
            ("log-unknown", lambda e: {"log": "wandb"}, "tensorboard"),
            ("log-uri-unreachable", lambda e: {"log": "mlflow", "log_uri": "http://127.0.0.1:9"}, "unreachable"),
        ],
    ),
    "tune": Spec(  # physnn tune (tests/tune/): bad search spaces, metrics and study databases
        base=lambda e: {"config": e.toml(TUNE_TOML), "out": e.out(), "trials": 1},
        inputs={"config": (".toml", PNG_BYTES)},
        outputs=("out",),
        values=[
            ("low-above-high", lambda e: {"config": e.toml(TUNE_TOML.replace("low = 1e-3", "low = 1.0"))},
             "greater than high"),
            ("log-low-0", lambda e: {"config": e.toml(TUNE_TOML.replace("low = 1e-3", "low = 0.0"))}, "log-scale"),
            ("unknown-key", lambda e: {"config": e.toml(TUNE_TOML.replace('"train.lr"', '"train.rate"'))},
             "unknown key"),
            ("empty-choices", lambda e: {"config": e.toml(TUNE_TOML + '"model.hidden" = {choices = []}\n')},
             "non-empty"),
            ("unknown-metric", lambda e: {"config": e.toml(TUNE_TOML.replace("val_loss", "val_f2"))}, "not logged"),
            ("no-tune-section", lambda e: {"config": e.toml(TUNE_TOML.split("[tune]")[0])}, "[tune.params]"),
            ("trials-0", lambda e: {"trials": 0}, "--trials"),
            ("storage-not-a-database", lambda e: {"storage": "sqlite:///" + str(e.text("s.db", "no db\n" * 99))},
             "not a study database"),
        ],
    ),
    "summary": Spec(
        base=lambda e: {"spec": "simplenet"},
        inputs={"spec": (".toml", PNG_BYTES)},
        values=[
            ("bad-spec", lambda e: {"spec": "10-x-1"}, "10-x-1"),
            ("bad-activation", lambda e: {"spec": "4-8-1", "activation": "rleu"}, "relu"),
            ("empty-toml", lambda e: {"spec": str(e.toml(""))}, "empty"),
        ],
    ),
    "examples": Spec(base=lambda e: {}),
    "playground": Spec(
        base=lambda e: {"no_browser": True},
        values=[
            ("port-0", lambda e: {"port": 0}, "'port'"),
            ("port-too-big", lambda e: {"port": 70000}, "65535"),
        ],
    ),
    "toy": Spec(
        base=lambda e: {"name": "moons", "out": e.out("t.csv"), "n": 20},
        outputs=("out",),
        values=[
            ("unknown-name", lambda e: {"name": "mooons"}, "moons"),
            ("n-0", lambda e: {"n": 0}, "'n'"),
            ("unknown-suffix", lambda e: {"out": e.out("t.xyz")}, ".xyz"),
            ("seed-negative", lambda e: {"seed": -1}, "seed"),
        ],
    ),
    "predict": Spec(
        base=lambda e: {"run": e.run, "data": e.csv, "out": e.out("p.csv")},
        inputs={"run": "run", "data": (".csv", PNG_BYTES)},
        outputs=("out",),
        values=[
            ("missing-column", lambda e: {"data": e.text("m.csv", "x0,z\n1,2\n")}, "'x1'"),
            ("nan", lambda e: {"data": e.text("n.csv", "x0,x1\n1,nan\n")}, "NaN"),
            ("inf", lambda e: {"data": e.text("i.csv", "x0,x1\n1,-inf\n")}, "Inf"),
            ("hdf5-as-csv", lambda e: {"data": e.text("h.csv", hdf5_bytes(e.root))}, "HDF5"),
            ("unknown-out-suffix", lambda e: {"out": e.out("p.xyz")}, ".xyz"),
            ("tree-for-csv", lambda e: {"tree": "events"}, "ROOT"),
            ("diameter-for-tabular", lambda e: {"diameter": 30.0}, "--diameter"),
            ("input-for-tabular", lambda e: {"input": "a"}, "--input"),
        ],
    ),
    "show": Spec(
        base=lambda e: {"runs": e.run},
        inputs={"runs": "run"},
        values=[("not-a-run", lambda e: {"runs": e.root}, "state.json")],
    ),
    "export": Spec(
        base=lambda e: {"run": e.run, "onnx": e.out("m.onnx")},
        inputs={"run": "run"},
        outputs=("onnx",),
        values=[("bad-exporter", lambda e: {"exporter": "dynamoo"}, "dynamo")],
    ),
    "lecture": Spec(
        base=lambda e: {"out": e.out(), "quick": True},
        outputs=("out",),
        values=[
            ("unknown-section", lambda e: {"sections": "99"}, "99"),
            ("bad-range", lambda e: {"sections": "5-2"}, "5-2"),
            ("seed-negative", lambda e: {"seed": -1}, "seed"),
        ],
    ),
    "pinn": Spec(
        base=lambda e: {"problem": "heat", "out": e.out(), "quick": True},
        outputs=("out",),
        values=[
            ("unknown-problem", lambda e: {"problem": "burger"}, "burgers"),
            ("seed-negative", lambda e: {"seed": -1}, "seed"),
            ("history-0", lambda e: {"lbfgs_history": 0}, "lbfgs-history"),
            ("unknown-quasi-newton", lambda e: {"quasi_newton": "bfgss"}, "bfgs"),
            ("causal-without-time", lambda e: {"problem": "poisson", "causal": 1.0}, "time coordinate"),
            ("adam-steps-negative", lambda e: {"adam_steps": -1}, "adam"),
        ],
    ),
    "hep generate": Spec(
        base=lambda e: {"signal": "top", "n": 10, "out": e.out("j.parquet"), "quiet": True},
        outputs=("out",),
        values=[
            ("unknown-signal", lambda e: {"signal": "tops"}, "top"),
            ("n-0", lambda e: {"n": 0}, "'n'"),
            ("workers-0", lambda e: {"workers": 0}, "workers"),
            ("pthat-half", lambda e: {"pthat_min": 100.0}, "--pthat-max"),
            ("pt-window-reversed", lambda e: {"pt_min": 700.0, "pt_max": 600.0}, "pt"),
            ("unknown-suffix", lambda e: {"out": e.out("j.xyz")}, ".xyz"),
            ("constituents-0", lambda e: {"constituents": 0}, "constituents"),
            ("sqrt-s-negative", lambda e: {"sqrt_s": -1.0}, "sqrt_s"),
            ("dask-not-an-address", lambda e: {"dask": "a b"}, "not a scheduler address"),
        ],
    ),
    "hep merge": Spec(
        base=lambda e: {"parts": [_no_arrays_npz(e)], "out": e.out("m.npz")},
        inputs={"parts": (".npz", None)},
        outputs=("out",),
        values=[
            ("not-a-part", lambda e: {}, "is not a part written by `physnn hep generate --shard K/N`"),
            ("out-suffix", lambda e: {"out": e.out("m.txt")}, "must end in one of"),
        ],
    ),
    "hep train": Spec(
        base=lambda e: {"data": [e.jets], "out": e.out(), "epochs": 1, "quiet": True},
        inputs={"data": (".csv", PNG_BYTES)},
        outputs=("out",),
        skip={"tree": "a name inside the --data file, not a path (a wrong name is a value case)"},
        values=[
            ("tree-for-csv", lambda e: {"tree": "jets"}, "ROOT"),
            ("unknown-model", lambda e: {"model": "pfnn"}, "pfn"),
            ("n-particles-0", lambda e: {"n_particles": 0}, "--n-particles"),
            ("epochs-0", lambda e: {"epochs": 0}, "epochs"),
            ("lr-negative", lambda e: {"lr": -1.0}, "lr"),
            ("seed-negative", lambda e: {"seed": -1}, "seed"),
            ("missing-weights", lambda e: {"weights": "w"}, "'w'"),
            ("missing-label", lambda e: {"label": "is_top"}, "is_top"),
            ("missing-feature", lambda e: {"features": "mass,tau99"}, "tau99"),
            ("nan-feature", lambda e: {"data": [e.jets_with(lambda t: t.replace("0.5,", "nan,", 1))]}, "NaN"),
            ("labels-not-0-1", lambda e: {"data": [e.jets_with(lambda t: t.replace(",1\n", ",2\n"))]}, "label"),
            ("one-class", lambda e: {"data": [e.jets_with(lambda t: t.replace(",1\n", ",0\n"))]}, "label"),
            ("parquet-as-csv", lambda e: {"data": [e.text("j.parquet", CSV_TEXT)]}, "not a Parquet file"),
        ],
    ),
    "hep anomaly": Spec(
        base=lambda e: {"data": [e.jets], "out": e.out(), "epochs": 1},
        inputs={"data": (".csv", PNG_BYTES)},
        outputs=("out",),
        values=[
            ("unknown-decorrelate", lambda e: {"decorrelate": "discoo"}, "disco"),
            ("seed-negative", lambda e: {"seed": -1}, "--seed"),
            ("lam-negative", lambda e: {"decorrelate": "disco", "lam": -1.0}, "--lam"),
            ("latent-0", lambda e: {"latent": 0}, "latent"),
            ("epochs-0", lambda e: {"epochs": 0}, "epochs"),
            ("missing-feature", lambda e: {"features": "mass,tau99"}, "tau99"),
            ("nan-feature", lambda e: {"data": [e.jets_with(lambda t: t.replace("0.5,", "inf,", 1))]}, "Inf"),
        ],
    ),
    "cells generate": Spec(
        base=lambda e: {"out": e.out(), "n": 1, "size": 32, "quiet": True},
        outputs=("out",),
        values=[
            ("n-0", lambda e: {"n": 0}, "'n'"),
            ("unknown-preset", lambda e: {"preset": "hardd"}, "hard"),
            ("size-0", lambda e: {"size": 0}, "size"),
            ("timelapse-frames-0", lambda e: {"timelapse": True, "frames": 0}, "frames"),
        ],
    ),
    "cells train": Spec(
        base=lambda e: {"out": e.out(), "quiet": True, "n_train": 2, "size": 48, "crop": 32, "n_test": 1,
                        "epochs": 1, "steps": 1},
        outputs=("out",),
        skip={"images": "folders of the user's images: missing, a file, empty, unpaired masks in "
                        "tests/cells/test_runs.py::test_bad_input and ::test_finetune_from_images_and_masks",
              "masks": "as --images",
              "model": "only with --images/--masks (refused without them: 'masks-without-images' here)"},
        values=[
            ("n-train-0", lambda e: {"n_train": 0}, "n_train"),
            ("size-too-small", lambda e: {"size": 8}, "size"),
            ("epochs-0", lambda e: {"epochs": 0}, "epochs"),
            ("crop-larger-than-size", lambda e: {"crop": 1000}, "crop"),
            ("depth-0", lambda e: {"depth": 0}, "depth"),
            ("masks-without-images", lambda e: {"masks": e.out("m")}, "--images"),
            ("model-without-images", lambda e: {"model": e.out("r")}, "--images"),
        ],
    ),
    "cells segment": Spec(
        base=lambda e: {"images": e.image, "model": "baseline", "out": e.out("l.tif"), "figure": e.out("f.png")},
        inputs={"model": "run", "images": (".tif", CSV_TEXT), "mask": (".tif", PNG_BYTES)},
        outputs=("out", "figure"),
        values=[
            ("mask-shape", lambda e: {"mask": e.mask(np.ones((8, 8), np.uint16))}, "shape"),
            ("mask-float", lambda e: {"mask": e.mask(np.full((32, 32), 0.5, np.float32))}, "integer"),
            ("mask-empty-objects", lambda e: {"mask": e.mask(np.zeros((32, 32), np.uint16))}, "no objects"),
            ("png-named-tif", lambda e: {"images": e.text("p.tif", PNG_BYTES)}, "PNG"),
            ("diameter-0", lambda e: {"diameter": 0.0}, "diameter"),
        ],
    ),
    "cells track": Spec(
        base=lambda e: {"stack": _cells_stack(e), "out": e.out(), "model": "baseline", "diameter": 8.0,
                        "figure": e.out("t.png"), "quiet": True},
        inputs={"stack": (".tif", CSV_TEXT), "model": "run", "truth": "run"},
        outputs=("out", "figure"),
        values=[
            ("one-frame", lambda e: {"stack": _cells_stack(e, frames=1)}, "2 or more"),
            ("max-distance-negative", lambda e: {"max_distance": -1.0}, "max_distance"),
            ("diameter-huge", lambda e: {"diameter": 1e5}, "diameter"),
        ],
    ),
    "fluids generate": Spec(
        base=lambda e: {"kind": "burgers", "out": e.out("b.npz"), "n": 2, "grid": 64, "quiet": True},
        outputs=("out",),
        values=[
            ("unknown-kind", lambda e: {"kind": "burger"}, "burgers"),
            ("not-npz", lambda e: {"out": e.out("b.h5")}, ".npz"),
            ("n-0", lambda e: {"n": 0}, "'n'"),
            ("nu-negative", lambda e: {"nu": -1.0}, "nu"),
            ("grid-0", lambda e: {"grid": 0}, "grid"),
            ("ns-steps-0", lambda e: {"kind": "ns", "steps": 0, "s": 16}, "steps"),
            ("dask-local-0", lambda e: {"dask": "local:0"}, "1 <= N <= 256"),
        ],
    ),
    "fluids merge": Spec(
        base=lambda e: {"parts": [_no_arrays_npz(e)], "out": e.out("m.npz")},
        inputs={"parts": (".npz", None)},
        outputs=("out",),
        values=[
            ("not-a-part", lambda e: {}, "is not a part written by `physnn fluids generate --shard K/N`"),
            ("out-suffix", lambda e: {"out": e.out("m.txt")}, ".npz"),
        ],
    ),
    "fluids train": Spec(
        base=lambda e: {"data": e.fluids(), "out": e.out(), "epochs": 1, "s": 64, "n_train": 4, "n_test": 2,
                        "quiet": True},
        inputs={"data": (".npz", None)},  # None: an HDF5 file without arrays (the issue's case)
        outputs=("out",),
        values=[
            ("nan", lambda e: {"data": e.fluids(a=np.full((8, 64), np.nan))}, "NaN"),
            ("missing-array", lambda e: {"data": e.fluids(u=None)}, "'u'"),
            ("wrong-shape", lambda e: {"data": e.fluids(a=np.zeros((8, 4, 4)), u=np.zeros((8, 4, 4)))}, "shape"),
            ("not-fluids-npz", lambda e: {"data": _no_arrays_npz(e)}, "not a physnn fluids data set"),
            ("unknown-model", lambda e: {"model": "fnoo"}, "fno"),
            ("epochs-0", lambda e: {"epochs": 0}, "'epochs'"),  # 0 once meant "the default" (60 epochs)
            ("modes-0", lambda e: {"modes": 0}, "'modes'"),
            ("n-test-0", lambda e: {"n_test": 0}, "'n_test'"),
            ("s-not-a-divisor", lambda e: {"s": 48}, "divide"),
            ("n-train-too-big", lambda e: {"n_train": 100}, "exceeds"),
        ],
    ),
    "materials generate": Spec(
        base=lambda e: {"task": "A", "n": 2, "out": e.out("a.npz"), "quiet": True},
        outputs=("out",),
        values=[
            ("unknown-task", lambda e: {"task": "C"}, "'A'"),
            ("n-0", lambda e: {"n": 0}, "'n'"),
            ("fmax-negative", lambda e: {"fmax": -1.0}, "fmax"),
            ("steps-0", lambda e: {"steps": 0}, "steps"),
            ("dask-not-an-address", lambda e: {"dask": "http://x/y"}, "not a scheduler address"),
        ],
    ),
    "materials merge": Spec(
        base=lambda e: {"parts": [_no_arrays_npz(e)], "out": e.out("m.npz")},
        inputs={"parts": (".npz", None)},
        outputs=("out",),
        values=[
            ("not-a-part", lambda e: {}, "is not a part written by `physnn materials generate --shard K/N`"),
            ("out-suffix", lambda e: {"out": e.out("m.txt")}, ".npz"),
        ],
    ),
    "materials train": Spec(
        base=lambda e: {"data": _no_arrays_npz(e), "out": e.out(), "quiet": True},
        inputs={"data": (".npz", None)},
        outputs=("out",),
        values=[
            ("not-alloys", lambda e: {}, "not written by `physnn materials generate`"),
            ("nan-positions", lambda e: {"data": _alloys_npz(e, positions=np.full((2, 4, 3), np.nan))}, "NaN"),
            ("meta-not-json", lambda e: {"data": _alloys_npz(e, meta=np.array("{oops"))}, "JSON"),
            ("unknown-target", lambda e: {"data": _alloys_npz(e), "targets": "e_mixx"}, "e_mix"),
            ("epochs-0", lambda e: {"data": _alloys_npz(e), "epochs": 0}, "epochs"),
            ("bad-hidden", lambda e: {"hidden": "a,b"}, "--hidden"),
            ("no-hidden", lambda e: {"hidden": ","}, "--hidden"),
        ],
    ),
}


# ----------------------------------------------------------------- the cases


def _cases() -> list[Any]:
    cases = []
    for command, spec in SPECS.items():
        for param, kind in spec.inputs.items():
            labels = (["missing", "a-file", "empty-dir", "random-state", "bad-json-state"] if kind == "run"
                      else ["missing", "directory", "empty", "random-bytes", "other-format"])
            for label in labels:
                cases.append(pytest.param(command, "file", param, label, id=f"{command}:{param}:{label}"))
        for label, _, _ in spec.values:
            cases.append(pytest.param(command, "value", None, label, id=f"{command}:{label}"))
    return cases


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return Env(tmp_path_factory.mktemp("bad_input"))


def _bad_file(env: Env, command: str, param: str, label: str) -> Any:
    kind = SPECS[command].inputs[param]
    if kind == "run":
        return dict(env.files.bad_run_dirs())[label]
    suffix, other = kind
    if other is None:
        other = hdf5_bytes(env.root)
    path = dict(env.files.bad_files(suffix, other))[label]
    return [path] if typing.get_origin(_hints(COMMANDS[command])[param]) is list else path


def _outputs(values: dict[str, Any], spec: Spec) -> list[Path]:
    return [Path(values[o]) for o in spec.outputs if values.get(o) is not None]


def _check(command: str, values: dict[str, Any], spec: Spec, capsys: pytest.CaptureFixture, needle: str = "") -> str:
    outs = _outputs(values, spec)
    for o in outs:
        assert not o.exists(), f"test set-up: output {o} exists before the command ran"
    args = argv(command, values)
    code = cli.main(args)
    cap = capsys.readouterr()
    err = cap.err
    assert code == 2, f"physnn {' '.join(args)} -> exit {code}\nstderr: {err}\nstdout: {cap.out[-2000:]}"
    assert "Traceback" not in err and "Traceback" not in cap.out, err
    assert err.startswith("physnn: error:"), err
    assert len(err.strip().splitlines()) <= 4, err
    assert needle in err, f"expected {needle!r} in: {err}"
    for o in outs:
        assert not o.exists(), f"a failed 'physnn {command}' left {o} behind"
        assert not o.parent.exists(), f"a failed 'physnn {command}' left the directory {o.parent} it made"
        assert not any(o.parent.parent.glob(o.name + "*")), f"a failed 'physnn {command}' left {o}-N behind"
    return err


@pytest.mark.parametrize(("command", "what", "param", "label"), _cases())
def test_bad_input_is_one_clear_line_exit_2_and_nothing_written(env, capsys, monkeypatch, command, what, param, label):
    monkeypatch.chdir(env.files.fresh("cwd").parent)
    monkeypatch.setenv("PHYSNN_CACHE", str(env.root / "cache"))
    spec = SPECS[command]
    values = spec.base(env)
    if what == "file":
        values[param] = _bad_file(env, command, param, label)
        needle = {"missing": "does not exist", "empty": "empty"}.get(label, "")
        if label == "other-format":
            needle = "it holds"
    else:
        _, override, needle = next(v for v in spec.values if v[0] == label)
        values.update(override(env))
    _check(command, values, spec, capsys, needle)


# ----------------------------------------------------------------- coverage of the command list


def test_every_command_has_a_case_table():
    """A command added to the CLI fails here until its bad inputs are listed in SPECS."""
    assert set(COMMANDS) == set(SPECS), (
        f"commands without a case table: {sorted(set(COMMANDS) - set(SPECS))}; "
        f"tables for no command: {sorted(set(SPECS) - set(COMMANDS))}"
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_file_parameter_is_covered(command):
    """Each parameter that names a file or directory is fed bad files, declared an output, or skipped with a reason."""
    spec = SPECS.get(command)
    assert spec is not None, f"'physnn {command}' has no case table in SPECS"
    covered = set(spec.inputs) | set(spec.outputs) | set(spec.skip)
    missing = _file_like(COMMANDS[command]) - covered
    assert not missing, f"'physnn {command}': file parameters {sorted(missing)} have no bad-input cases"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_outputs_are_declared_to_the_cleanup(command):
    """Every output of the table is declared with @writes, so a failed command removes what it made there."""
    declared = getattr(COMMANDS[command].callback, "physnn_outputs", {})
    assert set(declared) == set(SPECS[command].outputs), (command, declared)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_valid_base_call_parses(env, command):
    """The base arguments of each table are accepted by the parser (so the bad cases test what they say)."""
    args = argv(command, SPECS[command].base(env))[len(command.split()):]
    ctx = COMMANDS[command].make_context("physnn " + command, args)
    assert set(ctx.params) == {p.name for p in COMMANDS[command].params}


# ----------------------------------------------------------------- the output contract in detail


def test_existing_out_directory_is_never_removed(env, capsys):
    """A failed command removes only what it made: a directory that was there stays, with its content."""
    keep = env.files.fresh("existing")
    keep.mkdir()
    (keep / "notes.txt").write_text("mine\n")
    bad = env.toml('[data]\nsource = "toy:xor"\n[train]\nepochs = 1\n[model]\nkind = "simplenet"\n')
    code = cli.main(["train", str(bad), "--out", str(keep), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "simplenet" in err, err
    assert sorted(p.name for p in keep.parent.iterdir()) == ["existing"]
    assert (keep / "notes.txt").read_text() == "mine\n"


def test_writes_removes_what_a_failed_command_made_and_keeps_the_rest(tmp_path):
    """@writes: a run directory made and half-filled by a failing command goes; OUT, kept before, stays."""
    from physnn.cli._typer import writes

    seen = {}

    @writes(out="run", extra="file")
    def command(out: Path, extra: Path | None = None, fail: bool = True) -> None:
        seen["out"] = out
        (out / "figures").mkdir(parents=True)
        (out / "figures" / "loss.png").write_bytes(b"x")
        if fail:
            raise ValueError("bad input found late")

    existing = tmp_path / "runs" / "r"
    existing.mkdir(parents=True)
    with pytest.raises(ValueError):
        command(out=existing, extra=None)
    assert seen["out"] == tmp_path / "runs" / "r-2"  # the command got the free name ...
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r"]  # ... and it is gone again
    command(out=tmp_path / "runs" / "r", fail=False)
    assert (tmp_path / "runs" / "r-2" / "figures" / "loss.png").exists()  # success keeps everything


def test_data_is_validated_before_the_run_directory_is_made(env, monkeypatch):
    """train_run reads and checks the data before it makes the run directory (not only cleans up after)."""
    from physnn.config import parse_config
    from physnn.errors import PhysnnError
    from physnn.runs import train_run

    made = []
    real_mkdir = Path.mkdir

    def spy(self, *a, **k):
        made.append(self)
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", spy)
    nan = env.text("nan.csv", "a,y\n1,0\nnan,1\n")
    cfg = parse_config({"data": {"source": str(nan), "target": "y"}})
    out = env.out()
    with pytest.raises(PhysnnError, match="NaN"):
        train_run(cfg, out, progress=False, quiet=True)
    assert not any(str(p).startswith(str(out.parent)) for p in made)


# ----------------------------------------------------------------- the boundary itself


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyError("k"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "x")])
def test_unexpected_exception_is_one_internal_error_line_exit_1(monkeypatch, capsys, exc):
    import physnn.config

    def explode(*a, **k):
        raise exc

    monkeypatch.delenv("PHYSNN_DEBUG", raising=False)
    monkeypatch.setattr(physnn.config, "load_config", explode)
    assert cli.main(["train", "whatever.toml"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"physnn: internal error: {type(exc).__name__}:"), err
    assert "PHYSNN_DEBUG=1" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_physnn_debug_shows_the_traceback(monkeypatch):
    import physnn.config

    def explode(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setenv("PHYSNN_DEBUG", "1")
    monkeypatch.setattr(physnn.config, "load_config", explode)
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["train", "whatever.toml"])


def test_parser_errors_and_bare_groups(capsys):
    assert cli.main(["train", "xor", "--epochs", "many"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physnn: error:") and "--epochs" in err and "physnn train --help" in err
    assert cli.main(["hep", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert cli.main(["hep"]) == 0  # a bare group shows its help
    assert "generate" in capsys.readouterr().out


def test_os_errors_are_one_line(monkeypatch, capsys):
    import physnn.config

    def full(*a, **k):
        raise OSError(28, "No space left on device", "/full/disk")

    monkeypatch.setattr(physnn.config, "load_config", full)
    assert cli.main(["train", "x.toml"]) == 2
    assert capsys.readouterr().err == "physnn: error: No space left on device: '/full/disk'\n"


def test_random_bytes_are_neither_text_nor_a_known_format(tmp_path):
    p = tmp_path / "r"
    p.write_bytes(random_bytes())
    assert sniff_file(p) == "binary"


def test_real_entry_point_garbage_config(tmp_path):
    """The installed entry point (a fresh process): random bytes as the experiment file."""
    bad = tmp_path / "garbage.toml"
    bad.write_bytes(random_bytes())
    r = subprocess.run([sys.executable, "-m", "physnn", "train", str(bad), "--out", str(tmp_path / "run")],
                       capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("physnn: error:") and "Traceback" not in r.stderr
    assert "not a UTF-8 text file" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------- readers no command reaches directly


@pytest.mark.parametrize("reader", ["read_jets", "read_jet_metadata"])
@pytest.mark.parametrize("suffix", [".parquet", ".npz", ".root"])
def test_jet_file_readers_say_what_a_bad_file_is(tmp_path, reader, suffix):
    import physnn.hep.jetio as jetio
    from physnn.errors import PhysnnError

    read = getattr(jetio, reader)
    magic = {".parquet": b"PAR1", ".npz": b"PK\x03\x04", ".root": b"root"}[suffix]
    for content, match in ((b"", "is empty"), (random_bytes(), "it holds binary data"), (CSV_TEXT, "it holds a UTF-8 text"),
                           (magic + random_bytes(), "could not read|not a|damaged")):
        p = tmp_path / f"jets{suffix}"
        p.write_bytes(content)
        with pytest.raises(PhysnnError, match=match):
            read(p)
