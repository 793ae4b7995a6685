"""How much does physnn's training loop cost on top of the model's own arithmetic?

One run trains the *same* network (same initial weights) on the *same* data —
100,000 x 10 synthetic regression (``physnn.data.toy.simplenet_task``, seed 0,
split 90/10, inputs standardized with the training mean and std) — with the
same optimizer (Adam, lr 1e-3) and the same loss (MSE), five ways:

(a) ``physnn``      ``physnn.train.fit(..., threads=1, progress=False)``
(b) ``hand loop``   the fastest honest hand-written PyTorch loop: one
                    ``randperm`` gather per epoch, contiguous slices,
                    ``zero_grad(set_to_none=True)``, ``Adam(fused=True)``,
                    train loss kept as tensors (one ``.item()`` per epoch) and
                    a validation MSE once per epoch, as ``fit`` does
(c) ``DataLoader``  the same loop fed by ``DataLoader(TensorDataset, shuffle=True)``
(d) ``sklearn``     ``MLPRegressor`` (adam, same layers, batch, lr; ``alpha=0``
                    so the objective is the same unpenalised MSE; ``tol=0`` and
                    a huge ``n_iter_no_change`` so it runs every epoch);
                    seconds per epoch = fit time / ``n_iter_``
(e) ``Lightning``   a ``LightningModule`` with the same network, trained by
                    ``Trainer(accelerator="cpu", logger=False, ...)`` on a
                    shuffled ``DataLoader`` (skipped with a note when
                    ``lightning`` is not importable)

for two networks:

1. SimpleNet 10-64-32-1 (ReLU), batch 256 — overhead-dominated: a step is a
   fraction of a millisecond, so any per-batch Python work shows.
2. Wide 10-512-512-512-1 (ReLU), batch 1024 — arithmetic-dominated.  physnn's
   achieved training rate is ``6 * N_train * sum(in*out over Linear layers)``
   FLOP per epoch (2 for the forward multiply-adds, 4 for the backward; this
   counts the first layer's unneeded input gradient and ignores the
   validation forward pass, biases, ReLU and Adam) divided by its median
   seconds per epoch, compared with the machine's float32 ``torch.mm`` rate on
   one thread for ``(1024x512) @ (512x512)``, the shape of the hidden layers.
   The goal compares the best epoch with the best matmul (a burst of load
   from other processes spoils the median of a few seconds-long epochs);
   both the median- and the best-based percentages are printed.

Everything runs on ONE thread (torch, OpenMP, BLAS — set before the imports),
which is what ``fit(threads="auto")`` picks for models this size and what the
machines here (2 shared cores) run best.

Timing: every approach is first warmed up once on a small slice (imports,
kernels, allocator).  Then, for each repeat, the approaches run one after the
other (interleaved, so a burst of load from other processes hits them all);
each run trains a fresh copy of the network for ``warm-up + timed`` epochs and
only the timed epochs count.  An epoch's time includes the validation pass.
The table shows the median (and min) seconds per epoch over all timed epochs
of all repeats.  The wide model uses no warm-up epoch (its epoch is seconds
long; the per-run setup is negligible against it).

Validation MSE: the table's column is after the timing runs' epochs; the
goal "as accurate as scikit-learn" compares physnn and MLPRegressor after
``--mse-epochs`` (default 20) epochs each, averaged over ``--mse-seeds``
weight/shuffle seeds (a few epochs are not enough to tell the two apart).

Goals (PASS/FAIL printed at the end):

* SimpleNet epoch <= 1.10 x the hand loop's;
* SimpleNet epoch <= 0.95 x scikit-learn's, with equal or lower validation MSE;
* SimpleNet epoch >= 4 x faster than the DataLoader loop;
* wide model trains at >= 75 % of the one-thread matmul rate.

Run (about 2 minutes on a busy 2-core machine; ``--quick`` is a few-second smoke run)::

    .venv/bin/python benchmarks/train_overhead.py
    .venv/bin/python benchmarks/train_overhead.py --quick
    .venv/bin/python benchmarks/train_overhead.py --epochs 10 --repeats 5 --no-lightning
"""

from __future__ import annotations

import os

# One thread everywhere, before numpy / torch / sklearn load their thread pools.
# (OPENBLAS_CORETYPE, if the machine sets it, is left alone.)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)
LR = 1e-3
SEED = 0


# --------------------------------------------------------------------------- data


@dataclass
class Data:
    X: torch.Tensor
    y: torch.Tensor
    Xv: torch.Tensor
    yv: torch.Tensor
    source: str

    @property
    def n(self) -> int:
        return int(self.X.shape[0])


def _own_simplenet_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fallback with the same formula as physnn.data.toy.simplenet_task."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, 1.0, size=(n, 10))
    f = (np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 3] ** 2 - 0.4 * X[:, 4]
         + 0.5 * np.tanh(2 * X[:, 5]) + 0.3 * X[:, 6] * np.abs(X[:, 7]) + 0.4 * np.cos(X[:, 8] + X[:, 9]))
    y = f[:, None] + rng.normal(0.0, 0.1, size=(n, 1))
    return X.astype(np.float32), y.astype(np.float32)


def make_data(n: int, seed: int = SEED) -> Data:
    try:
        from physnn.data.toy import simplenet_task

        d = simplenet_task(n, seed=seed)
        X = np.asarray(d.X, dtype=np.float32)
        y = np.asarray(d.y, dtype=np.float32).reshape(n, -1)
        source = "physnn.data.toy.simplenet_task"
    except ImportError:
        X, y = _own_simplenet_task(n, seed)
        source = "own copy of the simplenet formula (physnn.data.toy not importable)"
    perm = np.random.default_rng(seed + 1).permutation(n)
    n_train = int(round(0.9 * n))
    tr, va = perm[:n_train], perm[n_train:]
    mean, std = X[tr].mean(0), X[tr].std(0)
    std[std == 0] = 1.0
    Xs = ((X - mean) / std).astype(np.float32)
    t = torch.from_numpy
    return Data(t(Xs[tr].copy()), t(y[tr].copy()), t(Xs[va].copy()), t(y[va].copy()), source)


# ------------------------------------------------------------------------- models


@dataclass
class Size:
    name: str
    sizes: list[int]
    batch: int
    warmup: int  # warm-up epochs per run (not timed)
    epochs: int  # timed epochs per run
    repeats: int

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(self.sizes[1:-1])

    @property
    def spec(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def sum_in_out(self) -> int:
        return sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))


def make_model(sizes: list[int], seed: int = SEED) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    # The same initialisation scikit-learn's MLPRegressor uses (Glorot-uniform
    # weights and biases, bound sqrt(6 / (fan_in + fan_out))), so that every
    # approach, sklearn included, starts from the same kind of network.
    for m in layers:
        if isinstance(m, nn.Linear):
            bound = (6.0 / (m.in_features + m.out_features)) ** 0.5
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.uniform_(m.bias, -bound, bound)
    return nn.Sequential(*layers)


@torch.no_grad()
def val_mse(model: nn.Module, d: Data) -> float:
    model.eval()
    v = float(F.mse_loss(model(d.Xv), d.yv))
    model.train()
    return v


# --------------------------------------------------------------------- approaches


@dataclass
class Run:
    times: list[float]  # seconds of each timed epoch
    val_mse: float


def run_physnn(size: Size, d: Data, warmup: int, epochs: int, seed: int = SEED) -> Run:
    from physnn.train import fit

    model = make_model(size.sizes, seed)
    h = fit(model, (d.X, d.y), val=(d.Xv, d.yv), loss="mse", optimizer="adam", lr=LR,
            epochs=warmup + epochs, batch_size=size.batch, seed=seed, progress=False, threads=1)
    stamps = [0.0, *h["time"]]  # seconds since fit() started, at the end of each epoch
    per_epoch = [b - a for a, b in zip(stamps[:-1], stamps[1:])]
    return Run(per_epoch[warmup:], float(h["val_loss"][-1]))


def _torch_loop(size: Size, d: Data, warmup: int, epochs: int, *, loader: bool, seed: int = SEED) -> Run:
    model = make_model(size.sizes, seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=True)
    gen = torch.Generator().manual_seed(seed)
    X, y, n, bs = d.X, d.y, d.n, size.batch
    dl = None
    if loader:
        from torch.utils.data import DataLoader, TensorDataset

        dl = DataLoader(TensorDataset(X, y), batch_size=bs, shuffle=True, generator=gen)
    times, v = [], math.nan
    for _ in range(warmup + epochs):
        t0 = time.perf_counter()
        model.train()
        losses = []
        if dl is None:
            perm = torch.randperm(n, generator=gen)
            Xp, yp = X[perm], y[perm]
            batches = ((Xp[s:s + bs], yp[s:s + bs]) for s in range(0, n, bs))
        else:
            batches = dl
        for xb, yb in batches:
            loss = F.mse_loss(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        _train_loss = float(torch.stack(losses).mean())  # what a user would log
        v = val_mse(model, d)
        times.append(time.perf_counter() - t0)
    return Run(times[warmup:], v)


def run_hand(size: Size, d: Data, warmup: int, epochs: int, seed: int = SEED) -> Run:
    return _torch_loop(size, d, warmup, epochs, loader=False, seed=seed)


def run_dataloader(size: Size, d: Data, warmup: int, epochs: int, seed: int = SEED) -> Run:
    return _torch_loop(size, d, warmup, epochs, loader=True, seed=seed)


def run_sklearn(size: Size, d: Data, warmup: int, epochs: int, seed: int = SEED) -> Run:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    # sklearn cannot drop warm-up epochs: it runs warm-up + timed epochs (the
    # same number as the others) and its seconds/epoch is fit time / n_iter_.
    m = MLPRegressor(hidden_layer_sizes=size.hidden, activation="relu", solver="adam",
                     alpha=0.0, batch_size=size.batch, learning_rate_init=LR,
                     max_iter=warmup + epochs, shuffle=True, tol=0.0, n_iter_no_change=10**9,
                     early_stopping=False, random_state=seed)
    Xn, yn = d.X.numpy(), d.y.numpy().ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        m.fit(Xn, yn)
        dt = time.perf_counter() - t0
    pred = m.predict(d.Xv.numpy()).astype(np.float64)
    v = float(np.mean((pred - d.yv.numpy().ravel().astype(np.float64)) ** 2))
    return Run([dt / m.n_iter_], v)


def lightning_available() -> tuple[bool, str]:
    try:
        import lightning  # noqa: F401

        return True, f"lightning {lightning.__version__}"
    except Exception as exc:  # ImportError or a broken install
        return False, f"lightning not importable ({type(exc).__name__}: {exc}); (e) skipped"


def run_lightning(size: Size, d: Data, warmup: int, epochs: int, seed: int = SEED) -> Run:
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)

    class Net(L.LightningModule):
        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net
            self.val_mse = math.nan

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.mse_loss(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.val_mse = float(F.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR, fused=True)

    class EpochTimer(L.Callback):
        def __init__(self) -> None:
            self.stamps: list[float] = []

        def on_train_epoch_start(self, trainer, pl_module) -> None:
            self.stamps.append(time.perf_counter())

        def on_train_end(self, trainer, pl_module) -> None:
            self.stamps.append(time.perf_counter())

    module = Net(make_model(size.sizes, seed))
    gen = torch.Generator().manual_seed(seed)
    train_dl = DataLoader(TensorDataset(d.X, d.y), batch_size=size.batch, shuffle=True, generator=gen)
    val_dl = DataLoader(TensorDataset(d.Xv, d.yv), batch_size=len(d.Xv))
    timer = EpochTimer()
    trainer = L.Trainer(max_epochs=warmup + epochs, accelerator="cpu", devices=1,
                        enable_progress_bar=False, logger=False, enable_checkpointing=False,
                        enable_model_summary=False, num_sanity_val_steps=0, callbacks=[timer])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module, train_dl, val_dl)
    torch.set_num_threads(1)  # in case the trainer touched it
    s = timer.stamps
    per_epoch = [b - a for a, b in zip(s[:-1], s[1:])]
    return Run(per_epoch[warmup:], module.val_mse)


APPROACHES = {
    "physnn fit": run_physnn,
    "hand loop": run_hand,
    "DataLoader": run_dataloader,
    "sklearn": run_sklearn,
    "Lightning": run_lightning,
}


# ---------------------------------------------------------------------- measuring


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    val_mse: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan

    @property
    def best(self) -> float:
        return min(self.times) if self.times else math.nan


def measure(size: Size, d: Data, names: list[str]) -> dict[str, Result]:
    # warm-up: one short run of each approach on a small slice
    small = Data(d.X[:4 * size.batch], d.y[:4 * size.batch], d.Xv[:size.batch], d.yv[:size.batch], d.source)
    for name in names:
        APPROACHES[name](size, small, 0, 1)
    results = {name: Result() for name in names}
    for r in range(size.repeats):
        for name in names:
            run = APPROACHES[name](size, d, size.warmup, size.epochs)
            results[name].times += run.times
            results[name].val_mse.append(run.val_mse)
            assert torch.get_num_threads() == 1, f"{name} changed torch's thread count"
        print(f"  [{size.name}] repeat {r + 1}/{size.repeats} done  "
              + "  ".join(f"{k}={statistics.median(v.times):.3f}s" for k, v in results.items()),
              flush=True)
    return results


def matmul_rate(m: int = 1024, k: int = 512, n: int = 512, reps: int = 50) -> tuple[float, float]:
    """Median and best float32 FLOP/s of ``(m x k) @ (k x n)`` on the current thread count."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    out = torch.empty(m, n)
    for _ in range(5):
        torch.mm(a, b, out=out)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        ts.append(time.perf_counter() - t0)
    flops = 2.0 * m * k * n
    return flops / statistics.median(ts), flops / min(ts)


def mse_comparison(size: Size, d: Data, epochs: int, seeds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"physnn fit": [], "sklearn": []}
    for s in range(seeds):
        out["physnn fit"].append(run_physnn(size, d, 0, epochs, seed=s).val_mse)
        out["sklearn"].append(run_sklearn(size, d, 0, epochs, seed=s).val_mse)
    return out


# ------------------------------------------------------------------------ report


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info

        return ", ".join(f"{i['internal_api']}={i['num_threads']}" for i in threadpool_info())
    except Exception:
        return "threadpoolctl not available"


def table(size: Size, res: dict[str, Result], d: Data) -> str:
    ref = res["physnn fit"].median
    steps = math.ceil(d.n / size.batch)
    rows = [("approach", "s/epoch (median)", "min", "ms/step", "x physnn", "val MSE")]
    for name, r in res.items():
        rows.append((name, f"{r.median:.4f}", f"{r.best:.4f}", f"{1e3 * r.median / steps:.3f}",
                     f"{r.median / ref:.2f}", f"{statistics.median(r.val_mse):.4f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    line = "-+-".join("-" * w for w in widths)
    fmt = lambda row: " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    return "\n".join([fmt(rows[0]), line, *map(fmt, rows[1:])])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5, help="timed epochs per run, SimpleNet (default 5)")
    p.add_argument("--wide-epochs", type=int, default=2, help="timed epochs per run, wide model (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats, SimpleNet (default 3)")
    p.add_argument("--wide-repeats", type=int, default=3, help="interleaved repeats, wide model (default 3)")
    p.add_argument("--mse-epochs", type=int, default=20, help="epochs of the physnn-vs-sklearn accuracy comparison (default 20)")
    p.add_argument("--mse-seeds", type=int, default=3, help="seeds averaged in that comparison (default 3)")
    p.add_argument("--n", type=int, default=100_000, help="samples before the 90/10 split (default 100000)")
    p.add_argument("--no-lightning", action="store_true", help="skip (e) even when lightning is installed")
    p.add_argument("--no-wide", action="store_true", help="skip the wide model")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of a few seconds")
    a = p.parse_args(argv)
    for k in ("epochs", "wide_epochs", "repeats", "wide_repeats", "mse_epochs", "mse_seeds", "n"):
        if getattr(a, k) < 1:
            p.error(f"--{k.replace('_', '-')} must be >= 1")

    wide_sizes = [10, 512, 512, 512, 1]
    wide_batch = 1024
    if a.quick:
        a.n, a.epochs, a.wide_epochs, a.repeats, a.wide_repeats = 5000, 2, 1, 1, 1
        a.mse_epochs, a.mse_seeds = 2, 1
        wide_sizes, wide_batch = [10, 128, 128, 128, 1], 256

    t_start = time.perf_counter()
    names = ["physnn fit", "hand loop", "DataLoader", "sklearn"]
    have_l, l_note = lightning_available() if not a.no_lightning else (False, "(e) skipped (--no-lightning)")
    if have_l:
        names.append("Lightning")
    import sklearn

    print("physnn training-loop overhead benchmark" + (" (--quick: tiny sizes, numbers meaningless)" if a.quick else ""))
    print(f"  CPU: {cpu_model()} ({os.cpu_count()} logical cores), load average {os.getloadavg()[0]:.2f}")
    print(f"  python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, {l_note}")
    print(f"  threads: torch {torch.get_num_threads()} (interop {torch.get_num_interop_threads()}), {blas_threads()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")

    d = make_data(a.n)
    print(f"  data: {d.source}, {a.n} samples -> {d.n} train / {len(d.Xv)} validation, standardized inputs")

    simple = Size("SimpleNet", [10, 64, 32, 1], 256, warmup=1, epochs=a.epochs, repeats=a.repeats)
    wide = Size("wide", wide_sizes, wide_batch, warmup=0, epochs=a.wide_epochs, repeats=a.wide_repeats)

    print(f"\n[1] {simple.spec} at batch {simple.batch}: {simple.warmup} warm-up + {simple.epochs} timed epochs x {simple.repeats} repeats")
    res1 = measure(simple, d, names)
    print(f"\n[1] accuracy: physnn vs sklearn after {a.mse_epochs} epochs, {a.mse_seeds} seed(s)")
    mse = mse_comparison(simple, d, a.mse_epochs, a.mse_seeds)

    res2 = None
    if not a.no_wide:
        print(f"\n[2] {wide.spec} at batch {wide.batch}: {wide.warmup} warm-up + {wide.epochs} timed epochs x {wide.repeats} repeats")
        res2 = measure(wide, d, names)
        mm_med, mm_best = matmul_rate()
        mm_shape = "(1024x512) @ (512x512)"

    # ------------------------------------------------------------------ print
    bar = "=" * 78
    print(f"\n{bar}\nseconds per epoch ({d.n} training rows; epoch = all batches + validation MSE), one thread")
    print(f"\n(1) SimpleNet {simple.spec}, batch {simple.batch}, {math.ceil(d.n / simple.batch)} steps/epoch, "
          f"val MSE after {simple.warmup + simple.epochs} epochs")
    print(table(simple, res1, d))
    r = {k: v.median for k, v in res1.items()}
    print(f"\n  physnn / hand loop   = {r['physnn fit'] / r['hand loop']:.3f}")
    print(f"  physnn / sklearn     = {r['physnn fit'] / r['sklearn']:.3f}")
    print(f"  DataLoader / physnn  = {r['DataLoader'] / r['physnn fit']:.2f}x   "
          f"(DataLoader / hand loop = {r['DataLoader'] / r['hand loop']:.2f}x)")
    if "Lightning" in r:
        print(f"  Lightning / physnn   = {r['Lightning'] / r['physnn fit']:.2f}x")
    mp, ms = statistics.mean(mse["physnn fit"]), statistics.mean(mse["sklearn"])
    print(f"  val MSE after {a.mse_epochs} epochs (mean of {a.mse_seeds} seed(s)): physnn {mp:.5f} "
          f"{[round(x, 5) for x in mse['physnn fit']]}, sklearn {ms:.5f} {[round(x, 5) for x in mse['sklearn']]}")

    goals = [
        ("SimpleNet epoch <= 1.10 x hand loop", r["physnn fit"] <= 1.10 * r["hand loop"],
         f"{r['physnn fit'] / r['hand loop']:.3f}x"),
        ("SimpleNet epoch <= 0.95 x sklearn, val MSE <= sklearn's",
         r["physnn fit"] <= 0.95 * r["sklearn"] and mp <= ms,
         f"{r['physnn fit'] / r['sklearn']:.3f}x time; MSE {mp:.5f} vs {ms:.5f}"),
        ("SimpleNet >= 4x faster than DataLoader loop", r["DataLoader"] >= 4.0 * r["physnn fit"],
         f"{r['DataLoader'] / r['physnn fit']:.2f}x"),
    ]

    if res2 is not None:
        flop = 6.0 * d.n * wide.sum_in_out
        print(f"\n(2) wide {wide.spec}, batch {wide.batch}, {math.ceil(d.n / wide.batch)} steps/epoch, "
              f"val MSE after {wide.warmup + wide.epochs} epochs")
        print(table(wide, res2, d))
        print(f"\n  FLOP per epoch = 6 x {d.n} x {wide.sum_in_out} (sum of in*out) = {flop:.3e}")
        print(f"  torch.mm {mm_shape} float32, 1 thread: {mm_med / 1e9:.1f} GFLOP/s median, {mm_best / 1e9:.1f} best")
        for name in ("physnn fit", "hand loop"):
            med, best = flop / res2[name].median, flop / res2[name].best
            print(f"  {name:<10} trains at {med / 1e9:6.1f} GFLOP/s median = {100 * med / mm_med:5.1f} % of the median "
                  f"matmul rate; best epoch {best / 1e9:6.1f} GFLOP/s = {100 * best / mm_best:5.1f} % of the best")
        # best vs best: an epoch lasts seconds, so one burst of load from other
        # processes spoils a median of a handful of epochs; the best epoch and
        # the best matmul are the machine's unloaded speeds.
        pct = 100 * flop / res2["physnn fit"].best / mm_best
        goals.append(("wide model >= 75 % of the matmul rate (best vs best)", pct >= 75.0, f"{pct:.1f} %"))

    print("\ngoals")
    for text, ok, detail in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {text:<55} {detail}")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s, load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
