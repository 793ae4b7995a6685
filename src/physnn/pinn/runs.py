"""PINN runs on disk: ``physnn pinn burgers`` trains a built-in problem and writes a run.

A PINN run directory has the same shape as any physnn run, so
``physnn predict RUN points.csv --out u.csv`` evaluates the trained solution::

    model.safetensors   network and coefficients
    state.json          {"model": {"kind": "pinn", "problem": ..., "net": MLP config}, feature/target names ...}
    metrics.json        relative L2 errors, identified coefficients, stage times, stop reasons
    history.csv         per-epoch pinn_loss, loss_<term>, l2_error, coef_<name> (Adam, then quasi-Newton)
    figures/            solution, reference, error fields; loss components over time
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from physnn.errors import check_choice
from physnn.files import write_json, write_text
from physnn.pinn.objective import RAR
from physnn.rundir import RunKind, write_state

__all__ = ["PRESETS", "run_problem", "build_pinn_model", "RUN_KIND"]

#: solve() settings per built-in problem: "full" meets the project's accuracy goals, "quick" is for tests
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "poisson": {
        "full": dict(hidden=[20, 20, 20], n_domain=64, adam_steps=2000, lbfgs_steps=1000),
        "quick": dict(hidden=[20, 20], n_domain=32, adam_steps=500, lbfgs_steps=200),
    },
    "heat": {
        "full": dict(hidden=[20, 20, 20], n_domain=2000, n_boundary=200, adam_steps=3000, lbfgs_steps=3000),
        "quick": dict(hidden=[16, 16], n_domain=300, n_boundary=50, adam_steps=300, lbfgs_steps=100),
    },
    "burgers": {
        # measured here (1 thread, CPU seconds on a shared 2-core machine, benchmarks/pinn_burgers.py and
        # benchmarks/README.md): Adam 1000 steps, then self-scaled BFGS (float64 H, float32 network; a stall
        # continues in float64 with the same H) ended once its loss falls by less than half over 10 epochs
        # (250 iterations): that tail bought at most 1.5x in error for ~25 % of the stage's time. RAR adds 100
        # high-residual points (at the shock) per epoch up to 3000: 10 Adam epochs, then the first 5 of
        # BFGS (a cap of 2500, Adam only, gave 6.7e-4 on seed 3). Before: Adam 1500, all 2000 iterations.
        # L-BFGS (memory 100) reached only 1.7e-3 ... 4.5e-3 in 54-60 s.
        "full": dict(hidden=[20, 20, 20, 20], n_domain=1500, adam_steps=1000, adam_lr=3e-3, lbfgs_steps=2000,
                     quasi_newton="ssbfgs", lbfgs_iters_per_epoch=25, lbfgs_patience=2,
                     lbfgs_min_decrease=0.5, lbfgs_window=10,
                     rar=RAR(every=1, add=100, candidates=10000, max_points=3000)),
        "quick": dict(hidden=[20, 20, 20], n_domain=1000, adam_steps=1000, lbfgs_steps=1000),
    },
    "kovasznay": {
        # measured here (1 thread, seed 0, another job on the second core): Adam 1500 + 1000 self-scaled BFGS
        # iterations (7,953 weights: a 506 MB float64 H), u/v/p 1.2e-4 / 4.7e-4 / 1.5e-4 in 294 s wall
        # (DeepXDE's example here: 2.1e-4 / 1.0e-3 / 5.0e-4 in 3168 s); 2000 + 2000: 1.9e-5 / 6.8e-5 / 2.6e-5
        # in 528 CPU s. With L-BFGS (2000 + 2000): 6.2e-4 / 2.1e-3 / 7.6e-4 in 222 s.
        "full": dict(hidden=[50, 50, 50, 50], n_domain=2601, n_boundary=400, adam_steps=1500, lbfgs_steps=1000,
                     quasi_newton="ssbfgs", lbfgs_iters_per_epoch=25, lbfgs_patience=4),
        "quick": dict(hidden=[16, 16], n_domain=300, n_boundary=60, adam_steps=200, lbfgs_steps=50),
    },
    "inverse": {
        # measured here: C from 200 points with 1 % noise, L-BFGS in float64: |C - 1| = 8.4e-4, 2.2e-4, 7.8e-5
        # on seeds 0-2 (float32 L-BFGS: 2.3e-3 on seed 0) — ~70 s of CPU each
        "full": dict(hidden=[20, 20, 20], n_domain=2000, adam_steps=3000, coefficient_lr=1e-2, lbfgs_steps=3000,
                     lbfgs_float64="always"),
        "quick": dict(hidden=[16, 16], n_domain=300, adam_steps=400, coefficient_lr=1e-2, lbfgs_steps=200),
    },
}


def build_pinn_model(state: dict[str, Any]) -> Any:
    """Rebuild the PINNModel of a saved run (weights are loaded by the caller)."""
    from physnn.nn import build_model
    from physnn.pinn.problem import PINNModel
    from physnn.pinn.problems import get_problem

    problem = get_problem(state["problem"], **state.get("problem_options", {}))
    # a run whose L-BFGS stage was promoted to float64 is evaluated in float64
    dtype = {"float32": torch.float32, "float64": torch.float64}[state.get("dtype", "float32")]
    return PINNModel(build_model(state["net"]), problem).to(dtype)


def run_problem(
    name: str,
    out: str | Path,
    *,
    seed: int = 0,
    quick: bool = False,
    dtype: torch.dtype = torch.float32,
    log_every: int | None = None,
    **overrides: Any,
) -> tuple[Any, Path]:
    """Solve a built-in problem with its preset and write the run directory."""
    from physnn.nn import model_config
    from physnn.pinn.problems import PROBLEMS, burgers_reference_points, get_problem
    from physnn.pinn.solve import solve
    from physnn.rundir import unique_run_dir
    from physnn.train.checkpoint import save_weights

    name = check_choice("problem", name, list(PROBLEMS), owner="physnn pinn")
    settings = dict(PRESETS[name]["quick" if quick else "full"])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    problem = get_problem(name)
    if name == "burgers" and not quick:
        settings.setdefault("reference_x", burgers_reference_points())
    t0 = time.perf_counter()
    sol = solve(problem, seed=seed, dtype=dtype, log_every=log_every, **settings)
    wall = time.perf_counter() - t0
    directory = unique_run_dir(Path(out))  # made once there is something to write: a failed solve leaves nothing
    directory.mkdir(parents=True)

    save_weights(sol.model, directory / "model.safetensors")
    state = {
        "model": {"kind": "pinn", "problem": name, "problem_options": {}, "net": model_config(sol.model.net)},
        "loss": "pinn",
        "task": "pinn",
        "feature_names": list(problem.names),
        "target_names": list(problem.output_names),
        "n_classes": None,
        "standardizer": None,
        "dtype": str(next(sol.model.parameters()).dtype).replace("torch.", ""),
    }
    state["model"]["dtype"] = state["dtype"]
    write_state(directory, "pinn", state, seed=seed)
    write_text(directory / "config.toml", _settings_toml(name, seed, quick, settings))
    records = []
    for stage, h in sol.histories.items():
        for r in h.records:
            records.append({"stage": stage, **r})
    _write_history(directory / "history.csv", records)
    metrics = {
        "problem": name,
        **{k: float(v) for k, v in sol.errors.items()},
        **{f"coef_{k}": v for k, v in sol.coefficients.items()},
        "seconds": {k: round(v, 2) for k, v in sol.seconds.items()},
        "wall_time_s": round(wall, 2),
        "stages": {k: {"stop_reason": h.stop_reason.value, "message": h.message, "epochs": h.epochs_run}
                   for k, h in sol.histories.items()},
    }
    write_json(directory / "metrics.json", metrics)
    _figures(directory / "figures", sol, records)
    return sol, directory


def _settings_toml(name: str, seed: int, quick: bool, settings: dict[str, Any]) -> str:
    lines = [f'problem = "{name}"', f"seed = {seed}", f"quick = {str(quick).lower()}", "", "[solve]"]
    for k, v in settings.items():
        if isinstance(v, RAR):
            lines.append(f"{k} = {{ every = {v.every}, add = {v.add}, candidates = {v.candidates}, "
                         f"max_points = {v.max_points} }}")
        elif isinstance(v, (int, float, str, bool)) or (isinstance(v, list) and all(isinstance(i, (int, float)) for i in v)):
            lines.append(f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false"))
    return "\n".join(lines) + "\n"


def _write_history(path: Path, records: list[dict[str, Any]]) -> None:
    keys: dict[str, None] = {}
    for r in records:
        for k in r:
            keys.setdefault(k, None)
    lines = [",".join(keys)]
    for r in records:
        lines.append(",".join(str(r.get(k, "")) for k in keys))
    write_text(path, "\n".join(lines) + "\n")


def _figures(figs: Path, sol: Any, records: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from physnn.viz.plots import save_figure

    obj = sol.objective
    # loss components over epochs (both stages, one axis)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    keys = [k for k in records[0] if k.startswith("loss_")] if records else []
    xs = np.arange(len(records))
    for k in ["pinn_loss", *keys]:
        ax.semilogy(xs, [max(r.get(k, np.nan), 1e-30) for r in records], label=k)
    if "l2_error" in (records[0] if records else {}):
        ax.semilogy(xs, [r["l2_error"] for r in records], "k--", label="relative L2 error")
    n_adam = sum(1 for r in records if r["stage"] == "adam")
    if 0 < n_adam < len(records):
        from physnn.pinn.solve import QUASI_NEWTON

        second = next((k for k in sol.histories if k != "adam"), "lbfgs")
        ax.axvline(n_adam - 0.5, color="grey", ls=":", label=f"Adam → {QUASI_NEWTON.get(second, second)}")
    ax.set_xlabel("logged epoch (Adam, then quasi-Newton)")
    ax.set_ylabel("loss / error")
    ax.set_title(f"{obj.problem.name}: loss terms and error while training")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    save_figure(fig, figs / "loss_terms.png")
    if obj.ref_u is None or obj.problem.geometry.dim != 2:
        if obj.ref_u is not None and obj.problem.geometry.dim == 1:
            x = obj.ref_x
            u = obj.predict(sol.model, x).double().cpu().numpy()
            order = np.argsort(x[:, 0].cpu().numpy())
            fig, ax = plt.subplots(figsize=(7, 4.5))
            ax.plot(x[order, 0].cpu(), obj.ref_u[order, 0], "k-", lw=3, alpha=0.4, label="exact")
            ax.plot(x[order, 0].cpu(), u[order, 0], "C1--", label="PINN")
            ax.set_xlabel(obj.problem.names[0])
            ax.set_ylabel(obj.problem.output_names[0])
            ax.set_title(f"{obj.problem.name}: PINN vs exact (rel. L2 {sol.errors['l2_error']:.2e})")
            ax.legend()
            save_figure(fig, figs / "solution.png")
        return
    x = obj.ref_x.cpu().numpy()
    u = obj.predict(sol.model, obj.ref_x).double().cpu().numpy()
    ref = obj.ref_u.numpy()
    names = obj.problem.names
    for i, out_name in enumerate(obj.problem.output_names):
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
        vmin, vmax = ref[:, i].min(), ref[:, i].max()
        for ax, z, title in [(axes[0], u[:, i], "PINN"), (axes[1], ref[:, i], "exact")]:
            sc = ax.tricontourf(x[:, 0], x[:, 1], z, levels=50, cmap="RdBu_r", vmin=vmin, vmax=vmax)
            fig.colorbar(sc, ax=ax)
            ax.set_title(f"{out_name}: {title}")
        err = np.abs(u[:, i] - ref[:, i])
        sc = axes[2].tricontourf(x[:, 0], x[:, 1], err, levels=50, cmap="magma")
        fig.colorbar(sc, ax=axes[2])
        axes[2].set_title(f"|error| (max {err.max():.1e})")
        for ax in axes:
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
        fig.suptitle(f"{obj.problem.name}: relative L2 error of {out_name} "
                     f"{sol.errors.get('l2_error_' + out_name, sol.errors['l2_error']):.2e}")
        save_figure(fig, figs / f"solution_{out_name}.png")


def _predict(directory: Path, state: dict[str, Any], data: Path, out: Path, *, tree: str | None = None,
             device: str | None = None) -> Path:
    from physnn.runs import RUN_KIND as TABULAR  # the same reading and writing as a tabular run

    return TABULAR.predict(directory, state, data, out, tree=tree, device=device)


def _onnx(directory: Path, state: dict[str, Any]) -> Any:
    from physnn.runs import RUN_KIND as TABULAR

    return TABULAR.onnx(directory, state)


def _describe(directory: Path, state: dict[str, Any]) -> dict[str, Any]:
    from physnn.runs import RUN_KIND as TABULAR

    return TABULAR.describe(directory, state)


#: how the verbs work on PINN runs: points in (the problem's coordinates), the solution's fields out
RUN_KIND = RunKind(kind="pinn", predicts="points (CSV, NPZ, Parquet, HDF5) with the problem's coordinate columns "
                   "(x, t, ...) -> the solution's fields (u, ...) at those points",
                   predict=_predict, onnx=_onnx, describe=_describe)
