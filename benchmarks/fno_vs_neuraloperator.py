"""physnn's FNO1d against the ``neuraloperator`` package's FNO on the same Burgers task.

Issue 6 asks that a hand-written FNO "matches or beats" the ``neuraloperator``
package in a benchmark.  This script trains, on the same data, with the same
loop, optimizer, schedule, batches, loss, seed and one CPU thread:

* ``physnn``            -- :class:`physnn.nn.spectral.FNO1d` (modes 16, width 64, 4 layers, projection 128);
* ``neuralop-classic``  -- ``neuralop.models.FNO`` configured as the paper's FNO-1D
  (16 kept modes, width 64, 4 layers, linear lift, no per-layer channel MLP,
  linear skip, projection 128, grid coordinate appended), i.e. the same architecture;
* ``neuralop-default``  -- ``neuralop.models.FNO`` with the package's defaults
  (2-layer lifting, per-layer channel MLP with soft-gating skip), same modes/width/layers.

Task: Burgers :math:`u_0 \\mapsto u(\\cdot, 1)`, :math:`\\nu = 0.01`, s = 256
(data from :func:`physnn.fluids.data.burgers_dataset`, 1024-point solves strided
by 4, cached on disk).  Loss: per-sample relative L2 (mean over the batch),
Adam (lr 1e-3, weight decay 1e-4), cosine schedule over all steps, batch 20.

It prints the median ms per training step (forward + backward + Adam step; both
wall and process CPU time, after warm-up), the ratio to physnn, parameter
counts, and the held-out relative L2 after the given epochs.  A second timing
block interleaves the models (rounds of a few steps each) so that a change of
machine load hits all of them alike.

Install (without touching torch)::

    .venv/bin/pip install --no-deps neuraloperator==2.0.0
    .venv/bin/pip install tensorly==0.10.0 tensorly-torch==0.5.0 opt-einsum==3.4.0 requests

Run::

    nice -n 10 .venv/bin/python benchmarks/fno_vs_neuraloperator.py --quick   # < 1 min
    nice -n 10 .venv/bin/python benchmarks/fno_vs_neuraloperator.py           # full: 40 epochs, 1000/200, ~5-6 min CPU

Without ``neuraloperator`` importable the script says so and benchmarks physnn alone.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch
from torch import nn


def _loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def relative_l2(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    from physnn.fluids.train import relative_l2 as rel

    return rel(pred, true)


class Squeeze(nn.Module):
    """(N, s) → (N, 1, s) → net → (N, s): lets a channels-first operator take physnn's (N, s) fields."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.net(a.unsqueeze(1))[:, 0]


def build_models(modes: int, width: int, layers: int, seed: int) -> tuple[dict[str, nn.Module], str | None]:
    from physnn.nn.spectral import FNO1d

    torch.manual_seed(seed)
    models: dict[str, nn.Module] = {"physnn": FNO1d(modes=modes, width=width, layers=layers, proj=2 * width)}
    try:
        import neuralop
        from neuralop.models import FNO
    except Exception as exc:  # noqa: BLE001 - any import failure means: skip it, say why
        return models, f"neuraloperator not importable ({type(exc).__name__}: {exc}); benchmarking physnn alone."
    # neuralop keeps n // 2 + 1 real-FFT modes on the last axis for n_modes = (n,):
    # n = 2 (modes - 1) keeps exactly `modes` coefficients k = 0..modes-1, as physnn does.
    n_fft_modes = (2 * (modes - 1),)
    torch.manual_seed(seed)
    classic = FNO(n_modes=n_fft_modes, in_channels=1, out_channels=1, hidden_channels=width, n_layers=layers,
                  lifting_channel_ratio=0, projection_channel_ratio=2, use_channel_mlp=False,
                  fno_skip="linear", positional_embedding="grid")
    torch.manual_seed(seed)
    default = FNO(n_modes=n_fft_modes, in_channels=1, out_channels=1, hidden_channels=width, n_layers=layers)
    for name, net in (("classic", classic), ("default", default)):
        kept = net.fno_blocks.convs[0].weight.shape[-1]
        if kept != modes:
            raise SystemExit(f"neuralop-{name}: keeps {kept} Fourier modes, expected {modes}; "
                             f"neuraloperator {neuralop.__version__} changed its mode convention.")
    models["neuralop-classic"] = Squeeze(classic)
    models["neuralop-default"] = Squeeze(default)
    return models, None


def n_params(net: nn.Module) -> int:
    # complex parameters count twice (real + imaginary), as physnn stores them as (..., 2) real tensors
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in net.parameters())


def train(net: nn.Module, Xtr, Ytr, Xte, Yte, *, epochs: int, batch: int, lr: float, wd: float, seed: int,
          warmup: int) -> dict:
    """Plain loop shared by all models; returns per-step wall/CPU times and the held-out error."""
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=wd)
    steps_per_epoch = math.ceil(len(Xtr) / batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    wall, cpu, losses = [], [], []
    c_total = time.process_time()
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(Xtr), generator=gen)
        ep = 0.0
        for i in range(0, len(Xtr), batch):
            idx = perm[i : i + batch]
            w0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad(set_to_none=True)
            loss = relative_l2(net(Xtr[idx]), Ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
            ep += float(loss.detach()) * len(idx)
        losses.append(ep / len(Xtr))
    c_total = time.process_time() - c_total
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(Xte[i : i + 100]) for i in range(0, len(Xte), 100)])
    return {"wall_ms": 1e3 * statistics.median(wall[warmup:]), "cpu_ms": 1e3 * statistics.median(cpu[warmup:]),
            "steps": len(wall), "train_cpu_s": c_total, "train_loss": losses[-1],
            "test_rel_l2": float(relative_l2(pred, Yte))}


def interleaved(models: dict[str, nn.Module], Xtr, Ytr, *, batch: int, rounds: int, per_round: int) -> dict:
    """Median CPU ms/step with the models' steps interleaved round by round (fresh copies, same batches)."""
    nets = {k: copy.deepcopy(m).train() for k, m in models.items()}
    opts = {k: torch.optim.Adam(m.parameters(), lr=1e-4) for k, m in nets.items()}
    gen = torch.Generator().manual_seed(1)
    times: dict[str, list[float]] = {k: [] for k in nets}
    for r in range(rounds + 1):  # round 0 = warm-up
        idx = [torch.randint(len(Xtr), (batch,), generator=gen) for _ in range(per_round)]
        for k, net in nets.items():
            for j in idx:
                c0 = time.process_time()
                opts[k].zero_grad(set_to_none=True)
                relative_l2(net(Xtr[j]), Ytr[j]).backward()
                opts[k].step()
                if r:
                    times[k].append(time.process_time() - c0)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny run (< 1 min): 100/20 samples, 2 epochs")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--n-train", type=int, default=1000)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--s", type=int, default=256)
    p.add_argument("--modes", type=int, default=16)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.n_train, args.n_test = 2, 100, 20
    torch.set_num_threads(1)
    c_start, w_start = time.process_time(), time.perf_counter()

    from physnn.fluids.data import burgers_dataset

    n = args.n_train + args.n_test
    data = burgers_dataset(n, nu=0.01, seed=args.seed)  # grid 1024, cached under ~/.cache/physnn/fluids
    grid = data["a"].shape[1]
    if grid % args.s:
        raise SystemExit(f"--s {args.s} must divide the data grid of {grid} points.")
    a = torch.as_tensor(data["a"][:, :: grid // args.s], dtype=torch.float32)
    u = torch.as_tensor(data["u"][:, :: grid // args.s], dtype=torch.float32)
    Xtr, Ytr = a[: args.n_train], u[: args.n_train]
    Xte, Yte = a[args.n_train :], u[args.n_train :]

    models, skipped = build_models(args.modes, args.width, args.layers, args.seed)
    if skipped:
        print("NOTE:", skipped, file=sys.stderr)
    warmup = min(10, max(1, math.ceil(args.n_train / args.batch_size) // 2))
    res = {}
    for name, net in models.items():
        init = copy.deepcopy(net)
        res[name] = train(net, Xtr, Ytr, Xte, Yte, epochs=args.epochs, batch=args.batch_size, lr=args.lr,
                          wd=args.weight_decay, seed=args.seed, warmup=warmup)
        res[name]["params"] = n_params(net)
        models[name] = init
    inter = interleaved(models, Xtr, Ytr, batch=args.batch_size, rounds=5 if args.quick else 20, per_round=5)

    try:
        import neuralop

        nop = f"neuraloperator {neuralop.__version__}"
    except Exception:  # noqa: BLE001
        nop = "neuraloperator: not installed"
    base = res["physnn"]
    print(f"FNO on Burgers (nu=0.01, s={args.s}): {args.n_train} train / {args.n_test} test, {args.epochs} epochs, "
          f"batch {args.batch_size}, Adam lr {args.lr} wd {args.weight_decay}, cosine, relative-L2 loss, "
          f"modes {args.modes}, width {args.width}, layers {args.layers}, seed {args.seed}, 1 thread")
    print(f"torch {torch.__version__}, {nop}; median over {base['steps'] - warmup} steps after {warmup} warm-up steps")
    print()
    head = (f"{'model':<18} {'params':>8} {'wall ms/step':>13} {'CPU ms/step':>12} {'CPU vs physnn':>14} "
            f"{'interleaved CPU ms':>19} {'ratio':>6} {'train rel-L2':>13} {'test rel-L2':>12}")
    print(head)
    print("-" * len(head))
    for name, r in res.items():
        print(f"{name:<18} {r['params']:>8d} {r['wall_ms']:>13.2f} {r['cpu_ms']:>12.2f} "
              f"{r['cpu_ms'] / base['cpu_ms']:>13.2f}x {inter[name]:>19.2f} {inter[name] / inter['physnn']:>5.2f}x "
              f"{r['train_loss']:>13.4f} {r['test_rel_l2']:>12.4f}")
    print()
    print("ratio = neuralop time / physnn time (> 1: physnn is faster).  "
          "params count complex weights as 2 reals.")
    print(f"total: CPU {time.process_time() - c_start:.1f} s, wall {time.perf_counter() - w_start:.1f} s; "
          f"loadavg {_loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
