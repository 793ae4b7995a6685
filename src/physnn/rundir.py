"""Run directories: one format for every kind of run, and the registries that read them.

Every command that trains (``physnn train``, ``pinn``, ``hep train``, ``hep anomaly``,
``materials train``, ``fluids train``, ``cells train``) writes a directory of the same shape::

    RUN/
      state.json          {"format": "physnn-run-2", "kind": ..., "model": {...}, <what the kind needs>,
                           "provenance": {versions, seed, command, git commit, created}}
      config.toml         the settings that made the run (repeat it with them)
      model.safetensors   the weights (no pickle: loaded with safetensors)
      history.csv         one row per epoch
      metrics.json        final metrics
      figures/*.png

This module owns that layout: :func:`create_run_dir` (a new, unique directory),
:func:`write_state` (the one ``state.json`` format, with provenance),
:func:`read_state` (which also reads the formats physnn 0.1 wrote and says which
kind they are), and two registries looked up lazily by name, so that this low
module imports no application:

* :data:`RUN_KINDS` — run kind → a :class:`RunKind` that knows how to predict
  with such a run, export it to ONNX and describe it (``physnn predict``,
  ``physnn export``, ``physnn show`` go through it);
* :data:`MODEL_BUILDERS` — model kind (``model["kind"]`` in a state) → a
  function ``config -> torch.nn.Module`` (:func:`build_model`).

    >>> import tempfile
    >>> d = create_run_dir(tempfile.mkdtemp() + "/demo")
    >>> _ = write_state(d, "tabular", {"model": {"kind": "mlp"}}, seed=3)
    >>> s = read_state(d)
    >>> s["format"], s["kind"], s["provenance"]["seed"]
    ('physnn-run-2', 'tabular', 3)
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physnn.errors import PhysnnError, check_choice
from physnn.files import read_json, write_json

__all__ = [
    "FORMAT", "LEGACY_FORMATS", "RUN_KINDS", "MODEL_BUILDERS", "RunKind", "create_run_dir", "unique_run_dir",
    "write_state", "read_state", "write_metrics", "read_metrics", "provenance", "versions", "run_kind",
    "register_run_kind", "register_model_builder", "model_builder", "build_model", "predict", "onnx_module",
    "describe", "show_table", "output_name",
]

#: the one state format every run writes
FORMAT = "physnn-run-2"

#: formats written by physnn 0.1 -> the kind they are (None: tabular, or pinn when model.kind is 'pinn')
LEGACY_FORMATS: dict[str, str | None] = {
    "physnn-run-1": None,
    "physnn-hep-run-1": "tagger",
    "physnn-hep-anomaly-1": "anomaly",
    "physnn-materials-1": "materials",
    "physnn-fluids-run-1": "fluids",
    "physnn-cells-unet-1": "segmentation",
}

#: run kind -> "module:object", the :class:`RunKind` of that kind (imported when a run of it is read)
RUN_KINDS: dict[str, str] = {
    "tabular": "physnn.runs:RUN_KIND",
    "pinn": "physnn.pinn.runs:RUN_KIND",
    "tagger": "physnn.hep.classify:RUN_KIND",
    "anomaly": "physnn.hep.anomaly:RUN_KIND",
    "materials": "physnn.materials.runs:RUN_KIND",
    "fluids": "physnn.fluids.runs:RUN_KIND",
    "segmentation": "physnn.cells.runs:RUN_KIND",
}

#: model kind -> "module:function" that builds the module from its config (``{"kind": ..., ...}``)
MODEL_BUILDERS: dict[str, str] = {
    "mlp": "physnn.nn.mlp:build_model",
    "simplenet": "physnn.nn.mlp:build_model",
    "pfn": "physnn.nn.sets:build_set_model",
    "particlenet": "physnn.nn.sets:build_set_model",
    "autoencoder": "physnn.nn.autoencoder:build_autoencoder",
    "fno1d": "physnn.nn.spectral:build_operator",
    "fno2d": "physnn.nn.spectral:build_operator",
    "unet": "physnn.nn.conv:build_unet",
    "resnet2d": "physnn.fluids.train:build_surrogate",
    "increment": "physnn.fluids.train:build_surrogate",
    "pinn": "physnn.pinn.runs:build_pinn_model",
}

#: what trains each kind, for messages
TRAINED_BY: dict[str, str] = {
    "tabular": "physnn train CONFIG", "pinn": "physnn pinn PROBLEM", "tagger": "physnn hep train",
    "anomaly": "physnn hep anomaly", "materials": "physnn materials train", "fluids": "physnn fluids train",
    "segmentation": "physnn cells train",
}


@dataclass(frozen=True)
class RunKind:
    """How the verbs work on one kind of run.

    Parameters
    ----------
    kind : str
        The name in ``state.json`` (``"tabular"``, ``"tagger"``, ...).
    predicts : str
        One line for ``--help`` and ``show``: what ``DATA`` is and what is written.
    predict : callable
        ``predict(directory, state, data, out, **options) -> Path``: reads the user's file
        ``data``, writes the predictions to ``out`` (atomically) and returns its path.
    onnx : callable, optional
        ``onnx(directory, state) -> (module, example_inputs, input_names)``: the network with its
        preprocessing, ready for :func:`physnn.export.export_onnx`; None when ONNX cannot hold it.
    no_onnx : str
        Why there is no ONNX export (shown as the error of ``physnn export``).
    describe : callable, optional
        ``describe(directory, state) -> dict``: extra lines for ``physnn show`` (data, model).
    """

    kind: str
    predicts: str
    predict: Callable[..., Path]
    onnx: Callable[[Path, dict[str, Any]], tuple[Any, tuple[Any, ...], list[str]]] | None = None
    no_onnx: str = ""
    describe: Callable[[Path, dict[str, Any]], dict[str, Any]] | None = None


def _resolve(target: str, what: str) -> Any:
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except AttributeError:
        raise PhysnnError(f"{what}: {module} has no {name!r} (registered as {target!r}).") from None


def register_run_kind(kind: str, target: str) -> None:
    """Let :func:`read_state` and the verbs accept runs of ``kind``, handled by ``target`` ("module:object")."""
    if ":" not in target:
        raise PhysnnError(f"register_run_kind: target must be 'module:object'; got {target!r}.")
    RUN_KINDS[kind] = target


def register_model_builder(kind: str, target: str) -> None:
    """Let :func:`build_model` rebuild models whose config says ``kind``, with ``target`` ("module:function")."""
    if ":" not in target:
        raise PhysnnError(f"register_model_builder: target must be 'module:function'; got {target!r}.")
    MODEL_BUILDERS[kind] = target


def run_kind(kind: str) -> RunKind:
    """The :class:`RunKind` registered for ``kind`` (its module imported now).

        >>> run_kind("tabular").kind
        'tabular'
    """
    kind = check_choice("run kind", kind, tuple(RUN_KINDS), owner="run_kind")
    return _resolve(RUN_KINDS[kind], f"run kind {kind!r}")


def model_builder(kind: str | None) -> Any:
    """The builder registered for model kind ``kind`` (imported now), or None when there is none.

        >>> model_builder("pinn").__name__, model_builder("no-such-kind") is None
        ('build_pinn_model', True)
    """
    if kind not in MODEL_BUILDERS:
        return None
    return _resolve(MODEL_BUILDERS[kind], f"model kind {kind!r}")


def build_model(config: Mapping[str, Any]) -> Any:
    """A ``torch.nn.Module`` from its config (``{"kind": ..., ...}``), through :data:`MODEL_BUILDERS`.

        >>> build_model({"kind": "mlp", "n_in": 2, "hidden": [4], "n_out": 1}).spec
        '2-4-1'
    """
    if not isinstance(config, Mapping) or "kind" not in config:
        raise PhysnnError(f"build_model: a model config is a dict with a 'kind'; got {config!r}.")
    kind = check_choice("model kind", config["kind"], tuple(MODEL_BUILDERS), owner="build_model")
    return model_builder(kind)(config)


# ---------------------------------------------------------------- writing

def unique_run_dir(base: str | os.PathLike) -> Path:
    """``base`` if it does not exist, else ``base-2``, ``base-3``… (never overwrite a run)."""
    base = Path(base)
    if not base.exists():
        return base
    k = 2
    while (base.parent / f"{base.name}-{k}").exists():
        k += 1
    return base.parent / f"{base.name}-{k}"


def create_run_dir(base: str | os.PathLike, *, unique: bool = True) -> Path:
    """Make a new run directory at ``base`` (or ``base-2``, ... when taken) with its ``figures/``; return it."""
    d = unique_run_dir(base) if unique else Path(base)
    (d / "figures").mkdir(parents=True, exist_ok=True)
    return d


def versions() -> dict[str, str]:
    """Versions of physnn, torch, NumPy and Python, for provenance."""
    import numpy as np
    import torch

    import physnn

    return {"physnn": physnn.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


@functools.lru_cache(maxsize=1)
def _git_commit() -> str | None:
    """The commit of the physnn source tree when it is a git checkout (an editable install), else None."""
    src = Path(__file__).resolve().parent
    if not any((p / ".git").exists() for p in (src, *src.parents)):
        return None
    try:
        res = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = res.stdout.strip()
    return out if res.returncode == 0 and len(out) == 40 else None


def provenance(*, seed: int | None = None, command: Sequence[str] | str | None = None) -> dict[str, Any]:
    """Where a run comes from: versions, seed, the command line, the git commit of physnn, the time (UTC)."""
    if command is None:
        argv = list(sys.argv)
        command = " ".join(["physnn", *argv[1:]]) if argv and Path(argv[0]).name in ("physnn", "__main__.py") \
            else None
    elif not isinstance(command, str):
        command = " ".join(str(c) for c in command)
    return {"versions": versions(), "seed": None if seed is None else int(seed), "command": command,
            "git_commit": _git_commit(),
            "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}


def write_state(directory: str | os.PathLike, kind: str, state: Mapping[str, Any], *, seed: int | None = None,
                command: Sequence[str] | str | None = None) -> Path:
    """Write ``directory/state.json`` in the one format: ``format``, ``kind``, the kind's own entries, provenance.

    ``state`` holds only what is specific to the kind (its ``"model"`` config, names,
    scalers, ...); ``format``, ``kind`` and ``provenance`` are added here.
    """
    kind = check_choice("run kind", kind, tuple(RUN_KINDS), owner="write_state")
    reserved = {"format", "kind", "provenance"} & set(state)
    if reserved:
        raise PhysnnError(f"write_state: {sorted(reserved)} are written by write_state itself; "
                          "leave them out of the kind's state.")
    body = {"format": FORMAT, "kind": kind, **dict(state), "provenance": provenance(seed=seed, command=command)}
    return write_json(Path(directory) / "state.json", body)


def write_metrics(directory: str | os.PathLike, metrics: Mapping[str, Any]) -> Path:
    """Write ``directory/metrics.json`` (atomically; NaN and infinities become null)."""
    return write_json(Path(directory) / "metrics.json", dict(metrics))


# ---------------------------------------------------------------- reading

def _legacy_kind(fmt: str, state: Mapping[str, Any]) -> str:
    kind = LEGACY_FORMATS[fmt]
    if kind is None:
        model = state.get("model") if isinstance(state.get("model"), Mapping) else {}
        kind = "pinn" if model.get("kind") == "pinn" or state.get("task") == "pinn" else "tabular"
    return kind


def read_state(directory: str | os.PathLike, *, kind: str | Sequence[str] | None = None,
               owner: str = "physnn") -> dict[str, Any]:
    """Read a run's ``state.json`` (any format physnn wrote) and return it with its ``kind``.

    Parameters
    ----------
    directory : path-like
        The run directory.
    kind : str or sequence of str, optional
        The kind(s) the caller can handle; another kind is a :class:`~physnn.errors.PhysnnError`
        that says which command trains the expected kind.
    owner : str
        Who reads, the start of error messages.

    Returns
    -------
    dict
        The state; runs of physnn 0.1 (``physnn-run-1``, ``physnn-hep-run-1``, ...) keep their
        entries and gain ``kind``, with ``legacy_format`` set to what the file said.
    """
    d = Path(directory)
    if not d.is_dir():
        what = "is a file, not a run directory" if d.exists() else "does not exist"
        raise PhysnnError(f"{owner}: run directory {str(d)!r} {what}; give a directory written by a physnn "
                          "training command (physnn train, pinn, hep train, materials train, fluids train, "
                          "cells train).")
    if not (d / "state.json").exists():
        raise PhysnnError(f"{owner}: {str(d)!r} is not a finished physnn run: state.json is missing "
                          "(a run that failed or is still training has none).")
    state = read_json(d / "state.json", owner=owner, what="run state",
                      hint="The run directory is damaged; train it again.")
    fmt = state.get("format")
    if fmt == FORMAT:
        if state.get("kind") not in RUN_KINDS:
            raise PhysnnError(f"{owner}: {d / 'state.json'}: unknown run kind {state.get('kind')!r}; "
                              f"this physnn reads {', '.join(RUN_KINDS)}. Is the run from a newer physnn?")
    elif fmt in LEGACY_FORMATS:
        state = {**state, "kind": _legacy_kind(fmt, state), "legacy_format": fmt}
    else:
        raise PhysnnError(
            f"{owner}: {d / 'state.json'}: not a physnn run state (format {fmt!r}); this physnn reads "
            f"{FORMAT!r} and the 0.1 formats {', '.join(repr(f) for f in LEGACY_FORMATS)}. "
            "A run from a newer physnn needs that version; otherwise train the run again.")
    if kind is not None:
        wanted = (kind,) if isinstance(kind, str) else tuple(kind)
        if state["kind"] not in wanted:
            how = " or ".join(f"'{TRAINED_BY.get(k, k)}'" for k in wanted)
            raise PhysnnError(f"{owner}: {str(d)!r} is a {state['kind']} run (made by "
                              f"'{TRAINED_BY.get(state['kind'], state['kind'])}'); this needs a {'/'.join(wanted)} "
                              f"run, made by {how}.")
    return state


def read_metrics(directory: str | os.PathLike) -> dict[str, Any]:
    """A run's ``metrics.json``, or ``{}`` when it has none."""
    p = Path(directory) / "metrics.json"
    return read_json(p, what="run metrics") if p.exists() else {}


def output_name(prefix: str, target: str) -> str:
    """The column or array name of a prediction: ``pred_<target>`` (``prob_<target>`` for probabilities).

        >>> output_name("pred", "energy"), output_name("prob", "is_top")
        ('pred_energy', 'prob_is_top')
    """
    return f"{prefix}_{target}"


# ---------------------------------------------------------------- the verbs

def predict(directory: str | os.PathLike, data: str | os.PathLike, out: str | os.PathLike,
            **options: Any) -> Path:
    """Predict with any run on the user's file ``data``; write ``out``.  See each kind's ``predicts`` line.

    ``options`` are passed to the kind (e.g. ``tree`` for ROOT input, ``batch_size``); an option a kind
    does not take is an error that names the options it does take.
    """
    import inspect

    d = Path(directory)
    state = read_state(d, owner="predict")
    rk = run_kind(state["kind"])
    options = {k: v for k, v in options.items() if v is not None}
    params = inspect.signature(rk.predict).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        takes = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
        for name in options:
            if name not in takes:
                flag = "--" + name.replace("_", "-")
                other = ", ".join("--" + t.replace("_", "-") for t in takes) or "no options"
                raise PhysnnError(f"predict: {flag} does not apply to {state['kind']} runs; they take {other}.")
    return rk.predict(d, state, Path(data), Path(out), **options)


def onnx_module(directory: str | os.PathLike) -> tuple[Any, tuple[Any, ...], list[str]]:
    """``(module, example_inputs, input_names)`` of a run, for :func:`physnn.export.export_onnx`."""
    d = Path(directory)
    state = read_state(d, owner="export")
    rk = run_kind(state["kind"])
    if rk.onnx is None:
        raise PhysnnError(f"export: {state['kind']} runs are not exported to ONNX: {rk.no_onnx or 'not supported'}")
    return rk.onnx(d, state)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, Mapping):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return "-" if v is None else str(v)


def _flat_metrics(m: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in m.items():
        key = f"{prefix}{k}"
        if isinstance(v, (int, float, str, bool)) or v is None:
            out[key] = v
        elif isinstance(v, Mapping) and depth < 2:
            out.update(_flat_metrics(v, key + ".", depth + 1))
    return out


def describe(directory: str | os.PathLike) -> dict[str, Any]:
    """What ``physnn show`` prints for one run: kind, model, command, versions, metrics, figures."""
    d = Path(directory)
    state = read_state(d, owner="show")
    rk = run_kind(state["kind"])
    prov = state.get("provenance") or {}
    vers = prov.get("versions") or state.get("versions") or {}
    info: dict[str, Any] = {"run": str(d), "kind": state["kind"], "format": state.get("legacy_format", FORMAT)}
    model = state.get("model")
    if isinstance(model, Mapping):
        info["model"] = model.get("kind", "-")
    if rk.describe is not None:
        info.update(rk.describe(d, state))
    info["command"] = prov.get("command")
    info["seed"] = prov.get("seed", state.get("seed"))
    info["created"] = prov.get("created")
    info["git commit"] = (prov.get("git_commit") or "")[:12] or None
    info["versions"] = ", ".join(f"{k} {v}" for k, v in vers.items()) or None
    info["predicts"] = rk.predicts
    for k, v in _flat_metrics(read_metrics(d)).items():
        info[f"metric {k}"] = v
    figs = sorted((d / "figures").glob("*.png")) if (d / "figures").is_dir() else []
    info["figures"] = ", ".join(str(p) for p in figs) or None
    return info


def show_table(directories: Sequence[str | os.PathLike]) -> str:
    """One run as ``name: value`` lines; several runs side by side, one column each (rows: the union of keys)."""
    infos = [describe(d) for d in directories]
    if len(infos) == 1:
        width = max(len(k) for k in infos[0])
        return "\n".join(f"{k:<{width}}  {_fmt(v)}" for k, v in infos[0].items())
    keys: dict[str, None] = {}
    for info in infos:
        keys.update(dict.fromkeys(info))
    skip = {"predicts", "figures", "versions"} if len(infos) > 1 else set()
    rows = [[k] + [_fmt(info.get(k)) if k in info else "" for info in infos] for k in keys if k not in skip]
    cols = list(zip(*rows))
    widths = [min(max(len(c) for c in col), 48) for col in cols]
    return "\n".join("  ".join(c[:w].ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
