"""``physnn fluids``: simulate flows with spectral solvers, train neural surrogates of them.

A typer sub-app, registered in :mod:`physnn.cli.app` with
``app.add_typer(fluids.app, name="fluids")``.  Thin commands over
:mod:`physnn.fluids`; numpy/torch are imported inside the commands so
``physnn --help`` stays fast.  Bad input raises
:class:`~physnn.errors.PhysnnError` (one line on stderr, exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import command_group, writes
from physnn.errors import PhysnnError, check_choice

app = command_group(
    "fluids",
    (
        "Fluid dynamics: networks that learn to approximate spectral flow solvers (1-D viscous "
        "Burgers, 2-D Navier-Stokes on the torus), as in the Fourier-neural-operator paper.\n\n"
        "Your own arrays:  physnn fluids train fields.h5 --input u0 --output uT --out runs/fno\n\n"
        "                  physnn predict runs/fno new.h5 --out pred.h5\n\n"
        "Or simulate:      physnn fluids generate burgers --n 1200 --seed 0 --out burgers.npz\n\n"
        "then:             physnn fluids train burgers.npz --model fno --out runs/fno"
    ),
)

_GEN_EPILOG = (
    "burgers: u0 ~ N(0, 625(-Laplacian+25I)^-2) on GRID points of [0,1), solved to u(T) with a "
    "pseudo-spectral integrating-factor RK4 solver (2/3 de-aliasing, CFL step). Arrays a = u0, u = u(T).\n\n"
    "ns: vorticity w0 ~ N(0, 7^1.5(-Laplacian+49I)^-2.5) on S x S points of the unit torus, forcing "
    "0.1(sin 2pi(x+y) + cos 2pi(x+y)), snapshots at t = 1..STEPS. Array w (N, STEPS, S, S).\n\n"
    "Examples:\n\n"
    "  physnn fluids generate burgers --n 1200 --seed 0 --out burgers.npz\n\n"
    "  physnn fluids generate ns --n 120 --steps 20 --workers 2 --out ns.npz\n\n"
    "The output does not depend on --workers. Solved chunks are kept in OUT.chunks/ until OUT is written: "
    "the same command resumes a killed run.\n\n"
    "On a cluster: N array tasks each run the command with --shard K/N (K = 1..N) and write "
    "OUT-stem.part-K-of-N.npz; 'physnn fluids merge OUT-stem.part-*.npz --out OUT' joins them into what one "
    "machine writes. --dask tcp://HOST:8786 (or local:N) solves the chunks on a Dask cluster."
)


@app.command(epilog=_GEN_EPILOG)
@writes(out="file")
def generate(
    kind: str = typer.Argument(..., help="burgers or ns."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npz (written atomically)."),
    n: int = typer.Option(1200, "--n", "-n", help="Number of samples (trajectories for ns)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random initial fields."),
    nu: Optional[float] = typer.Option(None, "--nu", help="Viscosity (default: burgers 0.01, ns 1e-3)."),
    t: float = typer.Option(1.0, "--t", help="burgers: the output time T."),
    grid: int = typer.Option(1024, "--grid", help="burgers: solver grid points (train at any divisor)."),
    s: int = typer.Option(64, "--s", help="ns: grid points per side."),
    steps: int = typer.Option(20, "--steps", help="ns: snapshots at t = 1..STEPS (the paper: 50)."),
    workers: int = typer.Option(1, "--workers", "-j", help="Parallel processes, one thread each."),
    shard: Optional[str] = typer.Option(None, "--shard", help="K/N: one task of a cluster job array; solves chunks K-1, K-1+N, ... and writes them to OUT-stem.part-K-of-N.npz beside OUT (not OUT). Then 'physnn fluids merge' joins the N parts into OUT."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Solve the chunks on a Dask cluster: a scheduler address (tcp://HOST:8786) or local[:N] for N local worker processes (default --workers)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Simulate a Burgers or Navier-Stokes data set and write it to an .npz file."""
    import time

    from physnn.fluids.data import burgers_dataset, ns_dataset
    from physnn.parallel import part_path
    from physnn.workers import check_shard

    kind = check_choice("kind", kind, ["burgers", "ns"], owner="fluids generate")
    if out.suffix != ".npz":
        raise PhysnnError(f"fluids generate: --out must end in .npz; got {str(out)!r}.")
    sh = None if shard is None else check_shard(shard, owner="fluids generate")
    t0 = time.perf_counter()
    progress = False if quiet else None
    # solved chunks are kept in OUT.chunks/<settings key>/ until OUT is written (a killed run resumes)
    common = dict(seed=seed, workers=workers, progress=progress, cache_dir=None, shard=sh, out=out, dask=dask)
    if kind == "burgers":
        d = burgers_dataset(n, nu=0.01 if nu is None else nu, t=t, grid=grid, **common)
    else:
        d = ns_dataset(n, nu=1e-3 if nu is None else nu, s=s, steps=steps, **common)
    if sh is not None:
        typer.echo(f"shard {shard}: {len(d['meta']['chunks'])} chunk(s) solved into {part_path(out, sh)}; once "
                   f"every shard is done: physnn fluids merge PARTS --out {out}")
        return
    m = d["meta"]
    typer.echo(f"wrote {n} {kind} samples to {out}: {m['solver_cpu_s_per_sample'] * 1e3:.1f} CPU ms per "
               f"sample in the solver, {time.perf_counter() - t0:.1f} s wall")


@app.command(epilog=(
    "PARTS are the files the N tasks of 'physnn fluids generate KIND --shard K/N --out OUT' wrote beside OUT "
    "(OUT-stem.part-K-of-N.npz). The merged file holds the arrays a single run without --shard writes, in "
    "the same order, with the same meta except merged_from (the parts) and solver_cpu_s_per_sample. A "
    "missing or repeated shard, or parts of other settings or seeds, are refused.\n\n"
    "Example:\n\n  physnn fluids merge /shared/ns.part-*.npz --out /shared/ns.npz"))
@writes(out="file")
def merge(
    parts: list[Path] = typer.Argument(..., help="The part files of every shard (e.g. OUT.part-*.npz)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .npz (written atomically)."),
) -> None:
    """Join the parts written by 'fluids generate --shard K/N' tasks into one .npz."""
    from physnn.fluids.data import merge_datasets

    d = merge_datasets(parts, out)
    m = d["meta"]
    typer.echo(f"wrote {m['n']} {m['kind']} samples from {len(parts)} parts to {out}")


def _or(value: Optional[int], default: int) -> int:
    """The option's value if given (0 included: the library refuses it by name), else the default."""
    return default if value is None else value


_TRAIN_EPILOG = (
    "Your own data: an HDF5 (.h5) or NPZ file of arrays with the samples first; name the input and "
    "output arrays with --input and --output:\n\n"
    "  1-D fields (N, S) -> (N, S): models fno (FNO1d) or mlp; --s S2 trains on every S/S2-th point.\n\n"
    "  2-D fields (N, S, S) or channels (N, C, S, S) -> (N, S, S) or (N, C', S, S), in one step: "
    "fno (FNO2d) or resnet. A time series as input or output is C = T channels (e.g. --input "
    "first_frames --output last_frames).\n\n"
    "  A time series (N, T, S, S) as both --input and --output (the same name): the first N_IN "
    "frames -> the next T - N_IN, a one-step model rolled forward (default N_IN = T // 2).\n\n"
    "Any resolution; the fields are standardised (one mean and scale per array). The last N_TEST "
    "samples (default: a fifth) are held out.\n\n"
    "The generator's files need no names: Burgers: u0 -> u(T) at resolution S (a divisor of the data "
    "grid; default 256); Navier-Stokes: the first N_IN (default 10) snapshots -> the next ones. "
    "Loss and metric: relative L2 error per sample on the held-out samples, printed beside the "
    "baselines (zero, the mean training output, a linear ridge map, persistence, and the heat "
    "equation for Burgers) and, for the generator's data, the speed-up against the solver.\n\n"
    "Examples:\n\n"
    "  physnn fluids train fields.h5 --input u0 --output uT --out runs/fno\n\n"
    "  physnn fluids train vorticity.npz --input w --output w --n-in 10 --out runs/ns\n\n"
    "  physnn fluids train burgers.npz --model fno --out runs/fno\n\n"
    "  physnn fluids train burgers.npz --model mlp --epochs 100 --out runs/mlp\n\n"
    "  physnn fluids train ns.npz --model fno --n-train 100 --n-test 20 --out runs/ns-fno\n\n"
    "Then: physnn predict RUN new.h5 --out pred.h5 [--input NAME] writes pred_<output>."
)


@app.command(epilog=_TRAIN_EPILOG)
@writes(out="run")
def train(
    data: Path = typer.Argument(..., help="An HDF5/NPZ file of arrays (name them with --input/--output), or a "
                                "data set written by 'physnn fluids generate'."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (never overwritten: a suffix -2, -3 is added)."),
    input: Optional[str] = typer.Option(None, "--input", help="The input array's name in DATA."),
    output: Optional[str] = typer.Option(None, "--output", help="The output array's name in DATA (the input's name "
                                         "again for a time series)."),
    model: str = typer.Option("fno", "--model", "-m", help="1-D fields: fno or mlp; 2-D fields: fno or resnet."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Default: 1-D 60, 2-D 20."),
    n_train: Optional[int] = typer.Option(None, "--n-train", help="Default: burgers 1000, else all but the "
                                          "validation and test samples."),
    n_val: int = typer.Option(0, "--n-val", help="Validation samples (pick the best epoch by them)."),
    n_test: Optional[int] = typer.Option(None, "--n-test", help="Held-out samples (the last ones). Default: burgers "
                                         "200, ns 20, your own data a fifth."),
    s: Optional[int] = typer.Option(None, "--s", help="1-D fields: training resolution, a divisor of the data's "
                                    "(default: burgers 256, your own data its own)."),
    n_in: Optional[int] = typer.Option(None, "--n-in", help="Time series: input frames (default: ns 10, your own "
                                       "data T // 2)."),
    modes: Optional[int] = typer.Option(None, "--modes", help="FNO Fourier modes kept (default: 1-D 16, 2-D 12; "
                                        "at most what the grid holds)."),
    width: Optional[int] = typer.Option(None, "--width", help="FNO / ResNet channels (default: 1-D 64, 2-D 20)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Default: 1-D 20, 2-D 10."),
    lr: float = typer.Option(1e-3, "--lr", help="Adam learning rate (cosine schedule)."),
    seed: int = typer.Option(0, "--seed", help="Model initialisation and batch order."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, auto."),
    increment: bool = typer.Option(
        False, "--increment/--no-increment",
        help="Time series: the FNO predicts w(t+1) - w(t) (measured on ns: 0.0109 vs 0.0200 at 60 epochs)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a neural surrogate on your own field arrays (HDF5/NPZ) or a generated data set; write a run directory."""
    from physnn.fluids.data import FieldFile, load_dataset
    from physnn.fluids.train import default_task, measure_speed, save_run, train_burgers, train_ns

    owner = "fluids train"
    f = FieldFile(data, owner=owner)
    progress = False if quiet else None
    common = dict(lr=lr, seed=seed, device=device, progress=progress, n_val=n_val)
    if input is None and output is None and f.meta is not None:
        d = load_dataset(data)
        kind = d["meta"]["kind"]
        label = kind
        _refuse(owner, "Burgers data (1-D fields)" if kind == "burgers" else "Navier-Stokes data (a time series)",
                **({"--n-in": n_in, "--increment": increment or None} if kind == "burgers" else {"--s": s}))
        if kind == "burgers":
            model = check_choice("model", model, ["fno", "mlp"], owner="fluids train (Burgers data)")
            r = train_burgers(d, model=model, s=_or(s, 256), epochs=_or(epochs, 60), n_train=_or(n_train, 1000),
                              n_test=_or(n_test, 200), modes=_or(modes, 16), width=_or(width, 64),
                              batch_size=_or(batch_size, 20), **common)
        else:
            model = check_choice("model", model, ["fno", "resnet"], owner="fluids train (Navier-Stokes data)")
            nt = _or(n_test, 20)
            r = train_ns(d, model=model, n_in=_or(n_in, 10), epochs=_or(epochs, 20),
                         n_train=_or(n_train, max(1, len(d["w"]) - nt - n_val)), n_test=nt, modes=_or(modes, 12),
                         width=_or(width, 20), batch_size=_or(batch_size, 10), increment=increment and model == "fno",
                         **common)
        task = default_task(r)
        names = {"input": task["input"], "output": task["output"]}
    else:
        r, task = _train_own(f, data, input, output, model=model, epochs=epochs, n_train=n_train, n_test=n_test,
                             s=s, n_in=n_in, modes=modes, width=width, batch_size=batch_size,
                             increment=increment, common=common)
        label = f"{task['input']} -> {task['output']} ({task['layout']})"
        names = {"input": task["input"], "output": task["output"]}
    config = {"data": str(data), **names, **{k: v for k, v in r.settings.items() if k != "net"}, "net": r.settings["net"]}
    directory = save_run(r, out, task=task, config=config)
    base = ", ".join(f"{k} {v:.4f}" for k, v in r.baselines.items())
    typer.echo(f"{label} {r.settings['model']}: held-out relative L2 {r.test_rel_l2:.4f} on {len(r.test_true)} "
               f"samples (baselines: {base}); training {r.train_cpu_s:.0f} CPU s ({r.train_wall_s:.0f} s wall), "
               f"{r.history.epochs_run} epochs")
    if r.data_meta.get("kind") in ("burgers", "ns"):
        sp = measure_speed(r, repeats=2)
        typer.echo(f"speed-up vs the solver (CPU time per sample): {sp['speedup_batched']:.0f}x batched "
                   f"({sp['solver_batched'] * 1e3:.2f} ms -> {sp['model_batched'] * 1e3:.3f} ms), "
                   f"{sp['speedup_single']:.0f}x one at a time")
    typer.echo(f"run written to {directory}")


def _refuse(owner: str, what: str, **given) -> None:
    """An option given for data it does not apply to is an error that names it (never silently ignored)."""
    for flag, value in given.items():
        if value is not None:
            raise PhysnnError(f"{owner}: {flag.replace('_', '-')} does not apply to {what}; leave it out.")


def _train_own(f, data: Path, input: Optional[str], output: Optional[str], *, model: str, epochs, n_train, n_test,
               s, n_in, modes, width, batch_size, increment: bool, common: dict):
    """Train on the user's arrays: pick the layout from their shapes (see the command's epilog)."""
    import numpy as np

    from physnn.errors import check_int
    from physnn.fluids.train import default_task, train_burgers, train_map2d, train_ns

    owner = "fluids train"
    if input is None or output is None:
        missing = "--input" if input is None else "--output"
        raise PhysnnError(
            f"{owner}: {str(data)!r} is not a physnn fluids data set (one written by `physnn fluids generate`), "
            f"so name the arrays to learn: --input NAME --output NAME ({missing} is missing; the same name twice "
            f"for a time series). The file has {f.describe()}.")
    x = f.read(input, option="--input")
    y = x if output == input else f.read(output, option="--output")
    if x.shape[0] != y.shape[0]:
        raise PhysnnError(f"{owner}: {str(data)!r}: {input!r} has {x.shape[0]} samples but {output!r} has "
                          f"{y.shape[0]}; the first axis counts samples in both.")
    n = x.shape[0]
    n_val = common["n_val"]
    nt = _or(n_test, max(1, n // 5))
    check_int("n_test", nt, low=1, owner=owner)
    ntr = _or(n_train, n - nt - n_val)
    attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in getattr(f, "attrs", {}).items()}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()
             if isinstance(v, (int, float, str, bytes, bool))}
    meta = {"kind": "fields", "file": str(data), "input": input, "output": output,
            "input_shape": list(x.shape), "output_shape": list(y.shape), "attrs": attrs}
    shapes = f"{input!r} {x.shape} and {output!r} {y.shape}"
    if x.ndim == 2 and y.ndim == 2:
        if x.shape != y.shape or input == output:
            raise PhysnnError(f"{owner}: {str(data)!r}: {shapes}: 1-D fields map (N, S) -> (N, S) between two "
                              "arrays of one shape.")
        model = check_choice("model", model, ["fno", "mlp"], owner=f"{owner} (1-D fields)")
        _refuse(owner, "1-D fields", **{"--n-in": n_in, "--increment": increment or None})
        grid = x.shape[1]
        if s is not None and (check_int("s", s, low=2, owner=owner) > grid or grid % s):
            raise PhysnnError(f"{owner}: --s {s} must divide the data's {grid} points per field (e.g. {grid // 2}).")
        r = train_burgers({"a": x, "u": y, "meta": meta}, model=model, s=s, epochs=_or(epochs, 60), n_train=ntr,
                          n_test=nt, modes=_or(modes, 16), width=_or(width, 64), batch_size=_or(batch_size, 20),
                          normalize=True, **common)
        task = {**default_task(r), "input": input, "output": output}
        return r, task
    if s is not None:
        raise PhysnnError(f"{owner}: --s (the training resolution) applies to 1-D fields; {shapes} are 2-D.")
    if x.ndim not in (3, 4) or y.ndim not in (3, 4) or x.shape[-2:] != y.shape[-2:]:
        raise PhysnnError(f"{owner}: {str(data)!r}: {shapes}: expected 1-D fields (N, S), 2-D fields (N, S, S) or "
                          "time series (N, T, S, S) on one grid.")
    model = check_choice("model", model, ["fno", "resnet"], owner=f"{owner} (2-D fields)")
    if input == output:
        if x.ndim != 4 or x.shape[1] < 2:
            raise PhysnnError(f"{owner}: {str(data)!r}: --input and --output name the same array {input!r} "
                              f"{x.shape}: that is for a time series (N, T, S, S) with T >= 2 (the first frames "
                              "predict the next).")
        steps = x.shape[1]
        k = _or(n_in, max(1, steps // 2))
        check_int("n_in", k, low=1, high=steps - 1, owner=owner)
        r = train_ns({"w": x, "meta": meta}, model=model, n_in=k, epochs=_or(epochs, 20), n_train=ntr,
                     n_test=nt, modes=_or(modes, 12), width=_or(width, 20), batch_size=_or(batch_size, 10),
                     increment=increment and model == "fno", normalize=True, **common)
        return r, {**default_task(r), "input": input, "output": output}
    _refuse(owner, "a one-step map of 2-D fields (--n-in and --increment are for a time series given as both "
            "--input and --output)", **{"--n-in": n_in, "--increment": increment or None})
    x4 = x[:, None] if x.ndim == 3 else x
    y4 = y[:, None] if y.ndim == 3 else y
    r = train_map2d({"x": np.ascontiguousarray(x4), "y": np.ascontiguousarray(y4), "meta": meta}, model=model,
                    epochs=_or(epochs, 20), n_train=ntr, n_test=nt, modes=_or(modes, 12), width=_or(width, 20),
                    batch_size=_or(batch_size, 10), normalize=True, **common)
    task = {**default_task(r), "input": input, "output": output, "input_ndim": x.ndim, "output_ndim": y.ndim}
    return r, task
