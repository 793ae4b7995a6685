r"""Fluids runs through the verbs every run shares: ``physnn predict``, ``physnn export``, ``physnn show``.

A fluids run (``physnn fluids train``) maps arrays of fields; its ``state.json``
``task`` says how:

* ``layout = "1d"``: input (N, S) → output (N, S), an :class:`~physnn.nn.spectral.FNO1d`
  (any S) or an MLP (the training S);
* ``layout = "2d"``: input (N, S, S) or (N, C_in, S, S) → output (N, S, S) or
  (N, C_out, S, S) in one step (:class:`~physnn.nn.spectral.FNO2d` or a ResNet);
* ``layout = "series"``: a time series (N, T, S, S): the first ``n_in`` frames →
  the next ``n_out``, a one-step model rolled forward.

``physnn predict RUN DATA --out OUT [--input NAME]`` reads the array ``NAME``
(default: the one the run was trained on) from the user's HDF5/NPZ file and
writes ``pred_<output>`` (:func:`physnn.rundir.output_name`) with the trained
output's layout to ``OUT`` (HDF5 or NPZ, by its suffix), atomically.

ONNX cannot hold the FFTs of a Fourier layer (``torch.onnx`` fails on
``aten::fft_rfft`` with either exporter, torch 2.13), so :func:`onnx_module`
exports an equivalent network in which each truncated real FFT is a product
with a cosine and a sine matrix at the run's training resolution (the ONNX
file takes that resolution and any batch size); it gives what ``predict``
gives at that resolution.  Its input ``x`` is (batch, S) for 1-D runs and
channels first, (batch, C_in, S, S), for 2-D runs (a (N, S, S) field is
C_in = 1); a time-series run takes the first ``n_in`` frames and gives the
``n_out`` rolled-out frames, (batch, n_out, S, S).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError
from physnn.rundir import RunKind, output_name

__all__ = ["RUN_KIND", "task_of", "predict", "onnx_module", "describe", "ExportFNO"]


def task_of(state: dict[str, Any]) -> dict[str, Any]:
    """The run's task (layout, array names), also for runs written by physnn 0.1 (generator data only)."""
    if isinstance(state.get("task"), dict):
        return state["task"]
    settings = state.get("settings", {})
    if state.get("data", {}).get("kind") == "ns" or "n_in" in settings:
        return {"layout": "series", "input": "w", "output": "w", "n_in": settings["n_in"],
                "n_out": settings["n_out"]}
    return {"layout": "1d", "input": "a", "output": "u", "s": settings.get("s")}


def _as_channels(x: np.ndarray, name: str, task: dict[str, Any], path: Path) -> np.ndarray:
    """A 2-D run's input as (N, C_in, S, S)."""
    c_in = int(task["in_channels"])
    if x.ndim == 3 and c_in == 1:
        return x[:, None]
    if x.ndim == 4 and x.shape[1] == c_in:
        return x
    want = "(N, S, S) or (N, 1, S, S)" if c_in == 1 else f"(N, {c_in}, S, S)"
    raise PhysnnError(f"predict: {str(path)!r}: array {name!r} has shape {x.shape}; this run takes {want} "
                      f"(it was trained on {task['input']!r}). Give another array with --input.")


def predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, input: str | None = None) -> Path:
    """Predict the output fields for the input array of a user's HDF5/NPZ file; write ``pred_<output>``.

    Parameters
    ----------
    directory, state
        The run and its state (see :func:`physnn.rundir.predict`).
    data : Path
        An HDF5 or NPZ file holding the input array.
    out : Path
        ``.h5``/``.hdf5`` or ``.npz``: one array ``pred_<output>`` (written atomically).
    input : str, optional
        The input array's name in ``data``; default: the name the run was trained with.

    Returns
    -------
    Path
    """
    import torch

    from physnn.fluids.data import FieldFile, write_fields
    from physnn.fluids.train import load_run, rollout

    task = task_of(state)
    name = input if input is not None else task["input"]
    f = FieldFile(data, owner="predict")
    f.check_name(name, option="--input" if input is not None else "--input (default: the run's input)")
    x = f.read(name)
    model, _ = load_run(directory)
    layout = task["layout"]
    if layout == "1d":
        if x.ndim != 2:
            raise PhysnnError(f"predict: {str(data)!r}: array {name!r} has shape {x.shape}; this run maps 1-D "
                              "fields (N, S). Give another array with --input.")
        net_cfg = state.get("model") or state.get("settings", {}).get("net", {})
        if net_cfg.get("kind") == "mlp" and x.shape[1] != net_cfg.get("n_in"):
            raise PhysnnError(f"predict: {str(data)!r}: array {name!r} has {x.shape[1]} points per field; this "
                              f"MLP run takes exactly {net_cfg.get('n_in')} (an FNO takes any resolution).")
    elif layout == "series":
        n_in = int(task["n_in"])
        if x.ndim != 4 or x.shape[1] < n_in:
            raise PhysnnError(f"predict: {str(data)!r}: array {name!r} has shape {x.shape}; this run takes a time "
                              f"series (N, T, S, S) with T >= {n_in} and predicts the {task['n_out']} frames after "
                              f"the first {n_in}. Give another array with --input.")
        x = x[:, :n_in]
    else:
        x = _as_channels(x, name, task, Path(data))
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), 50):
            xb = torch.as_tensor(np.ascontiguousarray(x[i : i + 50]))
            try:
                yb = rollout(model, xb, int(task["n_out"])) if layout == "series" else model(xb)
            except RuntimeError as exc:
                raise PhysnnError(f"predict: the run's network cannot take {name!r} of shape {x.shape} ({exc}).") \
                    from None
            preds.append(yb.numpy())
    pred = np.concatenate(preds).astype(np.float32)
    if layout == "2d" and task.get("output_ndim") == 3:
        pred = pred[:, 0]
    return write_fields({output_name("pred", task["output"]): pred}, out, owner="predict")


# ---------------------------------------------------------------- ONNX: the Fourier layers as matrix products


def _rdft(s: int, m: int) -> tuple[Any, Any, Any]:
    """cos/sin matrices (s, m) of the truncated real DFT and the irfft weights c_k / s."""
    import torch

    n = torch.arange(s, dtype=torch.float64)[:, None]
    k = torch.arange(m, dtype=torch.float64)[None, :]
    theta = 2 * math.pi * n * k / s
    ck = torch.full((m,), 2.0, dtype=torch.float64)
    ck[0] = 1.0
    if s % 2 == 0 and m > s // 2:
        ck[s // 2] = 1.0
    return torch.cos(theta).float(), torch.sin(theta).float(), (ck / s).float()


class ExportFNO:
    """Namespace of the export modules (built lazily, so importing this module needs no torch)."""

    @staticmethod
    def build(net: Any, grid: tuple[int, ...]) -> Any:
        """An ONNX-exportable copy of ``net`` (FNO1d/FNO2d, or a wrapper holding one) at resolution ``grid``.

        The same parameters; each spectral convolution computes its truncated FFT, the
        product with the complex weights and the inverse FFT with real matrices.
        """
        import torch
        from torch import nn

        from physnn.fluids.train import Increment, Standardized
        from physnn.nn.spectral import FNO1d, FNO2d

        if isinstance(net, Standardized):
            inner = ExportFNO.build(net.net, grid)
            return Standardized(inner, net.scaling)
        if isinstance(net, Increment):
            return Increment(ExportFNO.build(net.net, grid))
        if not isinstance(net, (FNO1d, FNO2d)):
            return net  # MLP, ResNet: exportable as they are

        class Spectral1d(nn.Module):
            def __init__(self, conv: Any, s: int) -> None:
                super().__init__()
                self.conv = conv
                c, sn, ck = _rdft(s, conv.modes)
                self.register_buffer("c", c)
                self.register_buffer("sn", sn)
                self.register_buffer("ick", ck[:, None] * c.T)  # (m, s): c_k cos / s
                self.register_buffer("isn", ck[:, None] * sn.T)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                xr, xi = x @ self.c, -(x @ self.sn)  # (N, C, m)
                wr, wi = self.conv.weight[..., 0], self.conv.weight[..., 1]
                yr = torch.einsum("bik,iok->bok", xr, wr) - torch.einsum("bik,iok->bok", xi, wi)
                yi = torch.einsum("bik,iok->bok", xr, wi) + torch.einsum("bik,iok->bok", xi, wr)
                return yr @ self.ick - yi @ self.isn

        class Spectral2d(nn.Module):
            def __init__(self, conv: Any, sx: int, sy: int) -> None:
                super().__init__()
                self.conv = conv
                m = conv.modes
                cy, sy_, cky = _rdft(sy, m)
                self.register_buffer("cy", cy)
                self.register_buffer("sy", sy_)
                self.register_buffer("icy", cky[:, None] * cy.T)
                self.register_buffer("isy", cky[:, None] * sy_.T)
                kx = torch.cat([torch.arange(m), torch.arange(sx - m, sx)]).double()
                a = torch.arange(sx, dtype=torch.float64)
                th = 2 * math.pi * kx[:, None] * a[None, :] / sx  # (2m, sx)
                self.register_buffer("cx", torch.cos(th).float())
                self.register_buffer("sx", torch.sin(th).float())
                self.m = m

            def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (N, C, sx, sy)
                ar, ai = x @ self.cy, -(x @ self.sy)  # along y: (N, C, sx, m)
                # along x, wave numbers K (2m): X = sum_a e^{-i th} A
                fr = torch.einsum("ka,bcay->bcky", self.cx, ar) + torch.einsum("ka,bcay->bcky", self.sx, ai)
                fi = torch.einsum("ka,bcay->bcky", self.cx, ai) - torch.einsum("ka,bcay->bcky", self.sx, ar)
                w1, w2 = self.conv.weight1, self.conv.weight2
                wr = torch.cat([w1[..., 0], w2[..., 0]], dim=2)  # (i, o, 2m, m)
                wi = torch.cat([w1[..., 1], w2[..., 1]], dim=2)
                yr = torch.einsum("bixy,ioxy->boxy", fr, wr) - torch.einsum("bixy,ioxy->boxy", fi, wi)
                yi = torch.einsum("bixy,ioxy->boxy", fr, wi) + torch.einsum("bixy,ioxy->boxy", fi, wr)
                # inverse along x: Z = (1/sx) sum_k e^{+i th} Y
                n = self.cx.shape[1]
                zr = (torch.einsum("ka,boky->boay", self.cx, yr) - torch.einsum("ka,boky->boay", self.sx, yi)) / n
                zi = (torch.einsum("ka,boky->boay", self.sx, yr) + torch.einsum("ka,boky->boay", self.cx, yi)) / n
                return zr @ self.icy - zi @ self.isy  # irfft along y

        class Exported(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net
                if isinstance(net, FNO1d):
                    (s,) = grid
                    self.spectral = nn.ModuleList(Spectral1d(k, s) for k in net.convs)
                    self.register_buffer("grid", (torch.arange(s, dtype=torch.float32) / s)[None, None, :])
                else:
                    sx, sy = grid
                    self.spectral = nn.ModuleList(Spectral2d(k, sx, sy) for k in net.convs)
                    gx = (torch.arange(sx, dtype=torch.float32) / sx).view(1, 1, sx, 1).expand(1, 1, sx, sy)
                    gy = (torch.arange(sy, dtype=torch.float32) / sy).view(1, 1, 1, sy).expand(1, 1, sx, sy)
                    self.register_buffer("grid", torch.cat([gx, gy], dim=1).contiguous())

            def forward(self, a: torch.Tensor) -> torch.Tensor:
                one_d = isinstance(self.net, FNO1d)
                squeeze = one_d and a.ndim == 2
                if squeeze:
                    a = a.unsqueeze(1)
                g = self.grid.expand(a.shape[0], *self.grid.shape[1:])
                v = self.net.lift(torch.cat([a, g], dim=1))
                last = len(self.spectral) - 1
                for i, (k, w) in enumerate(zip(self.spectral, self.net.ws)):
                    v = k(v) + w(v)
                    if i < last:
                        v = self.net.act(v)
                u = self.net.q2(self.net.act(self.net.q1(v)))
                return u[:, 0] if squeeze and self.net.out_channels == 1 else u

        return Exported()


def onnx_module(directory: Path, state: dict[str, Any]) -> tuple[Any, tuple[Any, ...], list[str]]:
    """``(module, example_inputs, ["x"])``: the run's network with its scaling (and rollout), FFT-free."""
    import torch

    from physnn.fluids.train import load_run, rollout

    task = task_of(state)
    model, _ = load_run(directory)
    layout = task["layout"]
    grid = task.get("grid")
    if grid is None:  # runs of physnn 0.1 and generator runs: the training resolution
        if layout == "1d":
            grid = [task.get("s") or state.get("settings", {}).get("s")]
        else:
            grid = [state.get("data", {}).get("s")] * 2
    if any(g is None for g in grid):
        raise PhysnnError(f"export: {str(directory)!r} does not record the grid it was trained at; train it again.")
    grid = tuple(int(g) for g in grid)
    net = ExportFNO.build(model, grid).eval()
    if layout == "1d":
        x = torch.randn(3, *grid)
    elif layout == "series":
        n_out = int(task["n_out"])

        class Rollout(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return rollout(self.net, x, n_out)

        net = Rollout().eval()
        x = torch.randn(3, int(task["n_in"]), *grid)
    else:
        x = torch.randn(3, int(task["in_channels"]), *grid)
    return net, (x,), ["x"]


def describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    """Lines for ``physnn show``: what the run maps, its data, its network."""
    task = task_of(state)
    data = state.get("data", {})
    settings = state.get("settings", {})
    model = state.get("model") or settings.get("net", {})
    info: dict[str, Any] = {"layout": task["layout"]}
    if task["layout"] == "series":
        info["maps"] = f"{task['input']}: first {task['n_in']} frames -> next {task['n_out']}"
    else:
        info["maps"] = f"{task['input']} -> {task['output']}"
    info["data"] = data.get("file") or (f"physnn fluids generate {data['kind']}" if data.get("kind") else None)
    net = model.get("net", model) if model.get("kind") == "increment" else model
    info["net"] = ", ".join(f"{k}={v}" for k, v in net.items() if k in ("kind", "modes", "width", "layers",
                                                                         "in_channels", "out_channels", "hidden"))
    info["train/test samples"] = f"{settings.get('n_train')}/{settings.get('n_test')}"
    info["outputs"] = output_name("pred", task["output"])
    return info


def _predict_fn(directory: Path, state: dict[str, Any], data: Path, out: Path, *, input: str | None = None) -> Path:
    return predict(directory, state, data, out, input=input)


#: how the verbs work on fluids runs (``physnn fluids train``)
RUN_KIND = RunKind(
    kind="fluids",
    predicts="HDF5/NPZ arrays of input fields (--input NAME, default the trained one) -> pred_<output> arrays "
             "of the trained output's layout, in .h5 or .npz",
    predict=_predict_fn, onnx=onnx_module, describe=describe,
)
