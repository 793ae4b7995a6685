"""Burgers' equation with a PINN: physnn on several seeds, and DeepXDE side by side when installed.

The problem (Raissi et al. 2017; DeepXDE's ``examples/pinn_forward/Burgers.py``):
u_t + u u_x = (0.01/π) u_xx, x ∈ [−1, 1], t ∈ [0, 0.99], u(x, 0) = −sin(πx),
u(±1, t) = 0.  The error is the relative L2 error on the standard 256 × 100
grid against the exact Cole–Hopf solution (``physnn.pinn.references``), the
same for both libraries.

For each seed the script prints: the final error, the wall time, the time at
which the error first fell to 1e-3 (from the per-epoch log), and ms per Adam
step.  physnn uses its ``burgers`` preset (``physnn.pinn.runs.PRESETS``);
DeepXDE runs its shipped example settings (2-[20]×3-1 tanh, 2540 domain / 80
boundary / 160 initial points, Adam lr 1e-3 × 15,000 then L-BFGS), on the
PyTorch backend, in the same process, on one thread.

The time goal is relative to the machine: physnn's solve must take at most
60 s × (DeepXDE's ms per Adam step on this example, here ÷ 3.2 ms, its step on
the machine the goal was set on).  When deepxde is importable the script times
DeepXDE's Adam step (``--calibrate-steps`` steps, before and after the physnn
runs, in this process) and prints each run's *budget ratio* = physnn time ÷
that budget, in wall and in CPU seconds (≤ 1 meets the goal; CPU time is the
fairer one on a shared machine).

    .venv/bin/python benchmarks/pinn_burgers.py                 # physnn, seeds 0-4
    .venv/bin/python benchmarks/pinn_burgers.py --deepxde       # + DeepXDE (pip install deepxde)
    .venv/bin/python benchmarks/pinn_burgers.py --quick         # smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("DDE_BACKEND", "pytorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


def run_physnn(seed: int, quick: bool) -> dict:
    from physnn.pinn.problems import burgers, burgers_reference_points
    from physnn.pinn.runs import PRESETS
    from physnn.pinn.solve import solve

    settings = dict(PRESETS["burgers"]["quick" if quick else "full"])
    reference_x = burgers_reference_points()
    t0, c0 = time.perf_counter(), time.process_time()
    sol = solve(burgers(), seed=seed, reference_x=reference_x, **settings)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # time-to-1e-3 from the per-epoch records (each stage's clock starts at its own fit)
    offset, reach = 0.0, None
    for stage, h in sol.histories.items():  # adam, then the quasi-Newton stage(s) in order
        for r in h.records:
            if reach is None and r.get("l2_error", 1.0) <= 1e-3:
                reach = offset + r["time"]
        offset += sol.seconds[stage]
    adam_ms = 1e3 * sol.seconds.get("adam", float("nan")) / max(settings["adam_steps"], 1)  # RAR included
    return {"error": sol.errors["l2_error"], "wall": wall, "cpu": cpu, "to_1e-3": reach, "adam_ms": adam_ms,
            "notes": "; ".join(f"{k} {h.epochs_run} ep. {h.stop_reason.value}" for k, h in sol.histories.items())}


ANCHOR_MS = 3.2  #: DeepXDE's ms per Adam step on this example where the 60 s goal was set
GOAL_S = 60.0


def deepxde_step_ms(steps: int) -> tuple[float, float]:
    """DeepXDE's Burgers example (the same network and points as :func:`run_deepxde`): wall and CPU
    milliseconds per Adam step over ``steps`` steps, after 50 warm-up steps."""
    import deepxde as dde

    dde.config.set_random_seed(0)
    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 0.99))

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - 0.01 / np.pi * dy_xx

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160)
    model = dde.Model(data, dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal"))
    with contextlib.redirect_stdout(io.StringIO()):  # DeepXDE prints its losses and timings
        model.compile("adam", lr=1e-3)
        model.train(iterations=50, display_every=10**9)
        t0, c0 = time.perf_counter(), time.process_time()
        model.train(iterations=steps, display_every=10**9)
    return 1e3 * (time.perf_counter() - t0) / steps, 1e3 * (time.process_time() - c0) / steps


def run_deepxde(seed: int, quick: bool) -> dict:
    import deepxde as dde

    from physnn.pinn.problems import burgers_reference_points
    from physnn.pinn.references import burgers_exact

    dde.config.set_random_seed(seed)
    geomtime = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 0.99))

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - 0.01 / np.pi * dy_xx

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160)
    net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    model = dde.Model(data, net)
    X = burgers_reference_points()
    ref = burgers_exact(X[:, 0], X[:, 1])
    adam_iters = 300 if quick else 15000
    t0, c0 = time.perf_counter(), time.process_time()
    model.compile("adam", lr=1e-3)
    model.train(iterations=adam_iters, display_every=10**9)
    t_adam = time.perf_counter() - t0
    if quick:
        dde.optimizers.config.set_LBFGS_options(maxiter=100)  # read at compile time
    model.compile("L-BFGS")
    model.train(display_every=10**9)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    u = model.predict(X)[:, 0]
    err = float(np.linalg.norm(u - ref) / np.linalg.norm(ref))
    return {"error": err, "wall": wall, "cpu": cpu, "to_1e-3": None, "adam_ms": 1e3 * t_adam / adam_iters,
            "notes": "time-to-1e-3 not logged"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,2 (default 0-4)")
    p.add_argument("--deepxde", action="store_true", help="also run DeepXDE's example (needs deepxde)")
    p.add_argument("--deepxde-seeds", default=None, help="seeds for DeepXDE (default: the same as --seeds)")
    p.add_argument("--quick", action="store_true", help="tiny budgets: a smoke run")
    p.add_argument("--calibrate-steps", type=int, default=1000,
                   help="DeepXDE Adam steps timed for the time budget, before and after the runs (0: skip)")
    a = p.parse_args()
    def parse(spec: str) -> list[int]:
        out: list[int] = []
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            out += list(range(int(lo), int(hi or lo) + 1))
        return out

    seeds = parse(a.seeds)
    dx_seeds = parse(a.deepxde_seeds) if a.deepxde_seeds else seeds
    print(f"torch {torch.__version__}, 1 thread; seeds {seeds}{' (quick)' if a.quick else ''}")
    calib: list[tuple[float, float]] = []
    if a.calibrate_steps > 0:
        try:
            import deepxde  # noqa: F401
        except ImportError:
            print("  DeepXDE not installed (pip install deepxde): no time budget")
        else:
            calib.append(deepxde_step_ms(a.calibrate_steps))
            print(f"  DeepXDE Adam step: {calib[0][0]:.2f} ms wall, {calib[0][1]:.2f} ms CPU", flush=True)
    rows = []
    for seed in seeds:
        r = run_physnn(seed, a.quick)
        rows.append(("physnn", seed, r))
        print(f"  physnn  seed {seed}: error {r['error']:.2e}  wall {r['wall']:.1f} s  CPU {r['cpu']:.1f} s", flush=True)
    if calib:
        calib.append(deepxde_step_ms(a.calibrate_steps))
        print(f"  DeepXDE Adam step (after): {calib[1][0]:.2f} ms wall, {calib[1][1]:.2f} ms CPU", flush=True)
    if a.deepxde:
        try:
            import deepxde  # noqa: F401
        except ImportError:
            print("  DeepXDE not installed (pip install deepxde): skipped")
        else:
            for seed in dx_seeds:
                r = run_deepxde(seed, a.quick)
                rows.append(("DeepXDE", seed, r))
                print(f"  DeepXDE seed {seed}: error {r['error']:.2e}  wall {r['wall']:.1f} s", flush=True)
    print()
    print(f"{'library':8s} | seed | rel. L2 error | wall s | CPU s | s to 1e-3 | ms/Adam step | stages")
    print("-" * 96)
    for lib, seed, r in rows:
        reach = "-" if r["to_1e-3"] is None else f"{r['to_1e-3']:.1f}"
        print(f"{lib:8s} | {seed:4d} | {r['error']:13.2e} | {r['wall']:6.1f} | {r['cpu']:5.1f} | {reach:>9s} | "
              f"{r['adam_ms']:12.2f} | {r['notes']}")
    for lib in ("physnn", "DeepXDE"):
        rs = [r for lb, _, r in rows if lb == lib]
        if rs:
            errs = [r["error"] for r in rs]
            print(f"{lib}: max error {max(errs):.2e}, median {np.median(errs):.2e}, "
                  f"max wall {max(r['wall'] for r in rs):.1f} s, max CPU {max(r['cpu'] for r in rs):.1f} s, seeds ≤ 1e-3: {sum(e <= 1e-3 for e in errs)}/{len(errs)}")
    ph = [r for lb, _, r in rows if lb == "physnn"]
    if calib and ph:
        step_wall, step_cpu = np.mean([c[0] for c in calib]), np.mean([c[1] for c in calib])
        budget_wall, budget_cpu = GOAL_S * step_wall / ANCHOR_MS, GOAL_S * step_cpu / ANCHOR_MS
        print(f"time budget: {GOAL_S:.0f} s x DeepXDE step / {ANCHOR_MS} ms = {budget_wall:.1f} s wall "
              f"({step_wall:.2f} ms/step), {budget_cpu:.1f} s CPU ({step_cpu:.2f} ms/step)")
        for (lib, seed, r) in rows:
            if lib == "physnn":
                print(f"  seed {seed}: budget ratio {r['wall'] / budget_wall:.2f} wall, {r['cpu'] / budget_cpu:.2f} CPU"
                      f"  (error {r['error']:.2e})")
        worst = max(r["cpu"] / budget_cpu for r in ph)
        met = sum(r["error"] <= 1e-3 and r["cpu"] <= budget_cpu for r in ph)
        print(f"physnn: max budget ratio {max(r['wall'] / budget_wall for r in ph):.2f} wall, {worst:.2f} CPU; "
              f"seeds <= 1e-3 within the CPU budget: {met}/{len(ph)}")
    dx = [r for lb, _, r in rows if lb == "DeepXDE"]
    if ph and dx:
        print(f"ratios DeepXDE/physnn: median error {np.median([r['error'] for r in dx]) / np.median([r['error'] for r in ph]):.1f}x, "
              f"median wall {np.median([r['wall'] for r in dx]) / np.median([r['wall'] for r in ph]):.1f}x, "
              f"ms per Adam step {np.median([r['adam_ms'] for r in dx]) / np.median([r['adam_ms'] for r in ph]):.2f}x")


if __name__ == "__main__":
    main()
