"""fit against a hand-written loop, measured the way issue 17 measured it: per epoch and per call.

The same network (same initial weights), the same data (100,000 x 10 Gaussian inputs, the target the
sum of the first three; 90,000 train / 10,000 validation), Adam lr 1e-3, MSE, one thread:

* ``hand``   — one ``randperm`` gather per epoch, contiguous slices, ``zero_grad(set_to_none=True)``,
  ``Adam(fused=True)``, one ``.item()`` per batch and a validation MSE each epoch;
* ``physnn`` — ``physnn.train.fit(..., threads=1, progress=False)``.

For each, a 1-epoch and a 3-epoch run: the **per-epoch** cost is (t3 - t1) / 2 and the **fixed**
cost per call shows in t1.  Pairs are interleaved (hand, physnn) and repeated; the fastest of
the repeats counts (other processes on a shared machine only ever add time); the 1-epoch call's time
shows the fixed cost per call (physnn used to evaluate the whole training set once more at the end).  Goal (issue 17): physnn's
per-epoch cost <= 1.05 x the hand loop's, for SimpleNet 10-64-32-1 at batch 256 and the wide
10-512-512-512-1 at batch 1024.

    .venv/bin/python benchmarks/fit_epoch_cost.py                 # both networks, 3 repeats
    .venv/bin/python benchmarks/fit_epoch_cost.py --repeats 1 --net simplenet
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

NETS = {"simplenet": ([10, 64, 32, 1], 256), "wide": ([10, 512, 512, 512, 1], 1024)}


def data(n: int = 100_000):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 10, generator=g)
    y = X[:, :3].sum(1, keepdim=True)
    k = n // 10
    return (X[k:], y[k:]), (X[:k], y[:k])


def net(sizes: list[int]) -> nn.Module:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def hand(sizes, bs, epochs, train, val) -> float:
    (X, y), (Xv, yv) = train, val
    m = net(sizes)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, fused=True)
    gen = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        Xp, yp = X[perm], y[perm]
        for s in range(0, len(X), bs):
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(m(Xp[s:s + bs]), yp[s:s + bs])
            loss.backward()
            opt.step()
            loss.item()
        with torch.no_grad():
            nn.functional.mse_loss(m(Xv), yv).item()
    return time.perf_counter() - t


def physnn_fit(sizes, bs, epochs, train, val) -> float:
    from physnn.train import fit

    m = net(sizes)
    t = time.perf_counter()
    fit(m, train, val=val, epochs=epochs, batch_size=bs, lr=1e-3, threads=1, progress=False, seed=0)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--net", choices=[*NETS, "both"], default="both")
    args = ap.parse_args()
    torch.set_num_threads(1)
    train, val = data()
    for name in NETS if args.net == "both" else [args.net]:
        sizes, bs = NETS[name]
        hand(sizes, bs, 1, (train[0][:2048], train[1][:2048]), val)  # warm up kernels and imports
        physnn_fit(sizes, bs, 1, (train[0][:2048], train[1][:2048]), val)
        best = {"hand": [float("inf")] * 2, "physnn": [float("inf")] * 2}
        for _ in range(args.repeats):
            for who, f in (("hand", hand), ("physnn", physnn_fit)):
                t1, t3 = f(sizes, bs, 1, train, val), f(sizes, bs, 3, train, val)
                per = (t3 - t1) / 2
                best[who] = [min(best[who][0], per), min(best[who][1], t1)]
        (hp, hf), (pp, pf) = best["hand"], best["physnn"]
        print(f"{name} {'-'.join(map(str, sizes))}, batch {bs}: per epoch hand {hp:.3f} s, physnn {pp:.3f} s "
              f"-> ratio {pp / hp:.3f} (goal <= 1.05); a 1-epoch call hand {hf:.3f} s, physnn {pf:.3f} s "
              f"-> ratio {pf / hf:.3f}")


if __name__ == "__main__":
    main()
