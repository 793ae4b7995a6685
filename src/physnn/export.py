r"""Export a trained network to ONNX and check it against ONNX Runtime.

ONNX is how trained taggers reach C++ frameworks (CMSSW, Athena) and other
languages.  :func:`export_onnx` writes the model with **dynamic axes** — the
batch (number of jets) and, for particle-set networks, the number of particles
— and then runs the file in ``onnxruntime`` on the example inputs *and* on
inputs with a different batch size and particle count, requiring

.. math:: \max |y_\mathrm{onnx} - y_\mathrm{torch}| \le \mathrm{atol} + \mathrm{rtol}\,|y_\mathrm{torch}|,
   \qquad \mathrm{atol} = \mathrm{rtol} = 10^{-5}.

Two exporters exist in PyTorch 2.x and the default changed (weaver-core hit
this): ``exporter="dynamo"`` (``torch.onnx.export(..., dynamo=True)``, via
``torch.export``; PyTorch's default and maintained path, a few seconds) and
``exporter="torchscript"`` (the legacy tracer, ``dynamo=False``; fast, but a
tracer bakes Python-side shape arithmetic into constants).  physnn's tests run
both on the set networks; the default is ``dynamo``.

The file is written atomically (a temporary file renamed into place) as one
self-contained ``.onnx`` (no external-data side files).

    >>> import tempfile, torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    >>> rep = export_onnx(net, torch.randn(3, 4), tempfile.mkdtemp() + "/mlp.onnx", exporter="torchscript")
    >>> rep["max_abs_diff"] < 1e-5, [s["x"] for s in rep["shapes_checked"]]
    (True, [[3, 4], [4, 4]])
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from physnn.errors import PhysnnError, check_choice

__all__ = ["export_onnx", "run_onnx", "EXPORTERS"]

#: the torch.onnx exporters physnn can use
EXPORTERS: tuple[str, ...] = ("dynamo", "torchscript")


def _default_axes(inputs: Sequence[Any], names: Sequence[str]) -> dict[str, dict[int, str]]:
    """Axis 0 of every input is ``batch``; axis 1 is ``particles`` for a 3-D input and
    for a boolean 2-D input whose axis 1 has the same length (its mask)."""
    import torch

    axes: dict[str, dict[int, str]] = {n: {0: "batch"} for n in names}
    p = next((int(t.shape[1]) for t in inputs if t.ndim == 3), None)
    if p is not None:
        for t, n in zip(inputs, names):
            if t.ndim == 3 or (t.ndim == 2 and t.dtype == torch.bool and int(t.shape[1]) == p):
                axes[n][1] = "particles"
    return axes


def _grow(inputs: Sequence[Any], names: Sequence[str], axes: Mapping[str, Mapping[int, str]]) -> list[Any]:
    """Inputs one longer along every dynamic axis (a copy of the first slice appended)."""
    import torch

    out = []
    for t, n in zip(inputs, names):
        for ax in sorted(axes.get(n, {})):
            first = t.narrow(ax, 0, 1)
            if t.dtype == torch.bool and ax > 0:
                first = torch.zeros_like(first)  # an extra padded particle slot
            t = torch.cat([t, first], dim=ax)
        out.append(t)
    return out


def run_onnx(path: str | Path, inputs: Sequence[Any], names: Sequence[str] | None = None) -> list[Any]:
    """Run an ONNX file in onnxruntime (CPU) on tensors/arrays; returns NumPy outputs."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = list(names) if names is not None else [i.name for i in sess.get_inputs()]
    feed = {}
    for n, t in zip(names, inputs):
        feed[n] = t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)
    return sess.run(None, feed)


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """torch.onnx's own chatter (skipped torchvision ops, tracer and deprecation warnings) kept off the user's screen.

    What is exported is checked against onnxruntime right after, so these notes tell the user nothing;
    a failure still raises.
    """
    import logging
    import warnings

    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.")
            warnings.filterwarnings("ignore", message=r"Converting a tensor to a Python")
            yield
    finally:
        log.setLevel(level)


def export_onnx(
    model: Any,
    example_inputs: Any,
    path: str | Path,
    *,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] = ("output",),
    dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
    exporter: str = "dynamo",
    opset: int | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    check: bool = True,
) -> dict[str, Any]:
    """Export ``model`` to ``path`` as ONNX and verify it with onnxruntime.

    Args:
        model: a ``torch.nn.Module`` (put in eval mode for the export).
        example_inputs: a tensor or a tuple of tensors as ``model(*inputs)``
            takes them, e.g. ``(x, mask)`` with shapes ``(N, P, F)`` and ``(N, P)``.
        path: the ``.onnx`` file to write.
        input_names: ONNX input names (default ``x`` for one input; ``x``,
            ``mask`` for two; ``x``, ``mask``, ``jet`` for three; ``input0``… otherwise).
        output_names: ONNX output names.
        dynamic_axes: ``{input name: {axis: axis name}}``; default: axis 0
            ``batch`` everywhere and axis 1 ``particles`` for 3-D inputs and
            their masks.
        exporter: ``"dynamo"`` or ``"torchscript"`` (see module docs).
        opset: ONNX opset (default: the exporter's).
        atol, rtol: the tolerance of the onnxruntime check.
        check: run the check (on the example inputs and on inputs one longer
            along every dynamic axis); a failure raises :class:`PhysnnError`
            and leaves no file behind.

    Returns:
        ``{"path", "exporter", "input_names", "dynamic_axes", "max_abs_diff", "shapes_checked"}``.
    """
    import numpy as np
    import torch

    from physnn.files import atomic_path

    exporter = check_choice("exporter", exporter, EXPORTERS, owner="export_onnx")
    if not isinstance(model, torch.nn.Module):
        raise PhysnnError(f"export_onnx: 'model' must be a torch.nn.Module; got {type(model).__name__}.")
    inputs = list(example_inputs) if isinstance(example_inputs, (tuple, list)) else [example_inputs]
    if not inputs or not all(isinstance(t, torch.Tensor) for t in inputs):
        raise PhysnnError("export_onnx: 'example_inputs' must be a tensor or a tuple of tensors.")
    if int(inputs[0].shape[0]) < 2:
        # a batch of 1 lets torch.export specialise the batch axis to 1
        inputs = [torch.cat([t, t], 0) for t in inputs]
    if input_names is None:
        input_names = (["x", "mask", "jet"][: len(inputs)] if len(inputs) <= 3
                       else [f"input{i}" for i in range(len(inputs))])
    input_names = list(input_names)
    if len(input_names) != len(inputs):
        raise PhysnnError(f"export_onnx: {len(input_names)} input names for {len(inputs)} inputs.")
    axes = {k: dict(v) for k, v in (dynamic_axes or _default_axes(inputs, input_names)).items()}
    for k in axes:
        check_choice("dynamic_axes key", k, input_names, owner="export_onnx")
    was = model.training
    model.eval()
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            raw = Path(tmpdir) / "model.onnx"
            kw: dict[str, Any] = {"input_names": input_names, "output_names": list(output_names)}
            if opset is not None:
                kw["opset_version"] = int(opset)
            try:
                with _quiet_exporter():
                    if exporter == "dynamo":
                        from torch.export import Dim

                        dims: dict[str, Any] = {}
                        shapes = tuple({ax: dims.setdefault(nm, Dim(nm)) for ax, nm in axes.get(n, {}).items()}
                                       or None for n in input_names)
                        torch.onnx.export(model, tuple(inputs), str(raw), dynamo=True, dynamic_shapes=shapes,
                                          external_data=False, verbose=False, **kw)
                    else:
                        all_axes = {**axes, **{o: {0: "batch"} for o in output_names}}
                        torch.onnx.export(model, tuple(inputs), str(raw), dynamo=False, dynamic_axes=all_axes, **kw)
            except PhysnnError:
                raise
            except Exception as exc:
                other = "torchscript" if exporter == "dynamo" else "dynamo"
                raise PhysnnError(
                    f"export_onnx: the {exporter} exporter failed ({type(exc).__name__}: "
                    f"{str(exc).strip().splitlines()[0][:300]}); try exporter={other!r}."
                ) from None
            import onnx

            proto = onnx.load(str(raw))
            onnx.checker.check_model(proto)
            data = proto.SerializeToString()
            report: dict[str, Any] = {"path": str(path), "exporter": exporter, "input_names": input_names,
                                      "dynamic_axes": {k: {str(a): n for a, n in v.items()} for k, v in axes.items()},
                                      "max_abs_diff": None, "shapes_checked": []}
            if check:
                worst = 0.0
                for trial in (inputs, _grow(inputs, input_names, axes)):
                    with torch.no_grad():
                        ref = model(*trial)
                    refs = [ref] if isinstance(ref, torch.Tensor) else list(ref)
                    got = run_onnx(raw, trial, input_names)
                    for r, g in zip(refs, got):
                        r = r.detach().cpu().numpy()
                        if r.shape != g.shape:
                            raise PhysnnError(f"export_onnx: onnxruntime output shape {g.shape} != torch {r.shape}.")
                        diff = np.abs(g - r)
                        worst = max(worst, float(diff.max()) if diff.size else 0.0)
                        if not np.all(diff <= atol + rtol * np.abs(r)):
                            raise PhysnnError(
                                f"export_onnx: onnxruntime disagrees with torch by up to {diff.max():.3g} "
                                f"(allowed {atol:g} + {rtol:g}·|y|) at input shapes "
                                f"{[tuple(t.shape) for t in trial]}; the export is wrong for these shapes "
                                "— try the other exporter."
                            )
                    report["shapes_checked"].append({n: list(t.shape) for n, t in zip(input_names, trial)})
                report["max_abs_diff"] = worst
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    finally:
        model.train(was)
    return report
