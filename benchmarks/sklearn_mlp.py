"""physnn's MLPClassifier / MLPRegressor against scikit-learn's, on the same data and settings.

For each data set: the same train/test split, the same standardised inputs,
the same settings (hidden layers, Adam, learning rate, batch size, alpha,
max_iter, tol, n_iter_no_change, random_state); each estimator is fitted
``--repeat`` times per seed (the fastest fit counts), for ``--seeds`` random
states, the two libraries alternating. Printed: the mean test score (accuracy
or R²) and its spread over the seeds, the epochs run, the wall and CPU time
(all threads) of a fit, and physnn's as a fraction of scikit-learn's (goal:
score at least as good in <= 0.8x the wall time).

Data sets (``--rows`` each, 80 % train / 20 % test):

* ``classification``: sklearn's ``make_classification`` (20 features, 10 informative, 3 classes);
* ``gaussians``:     physnn's toy ``gaussians``: 4 overlapping classes in 6-D (another generator);
* ``simplenet``:     physnn's ``simplenet_task`` regression (10 inputs, y = a sum of sines, products, tanh...);
* ``friedman``:      sklearn's ``make_friedman1`` regression (10 inputs, 5 used).

Run::

    nice -n 10 .venv/bin/python benchmarks/sklearn_mlp.py --seeds 3   # 30k rows each
    .venv/bin/python benchmarks/sklearn_mlp.py --rows 3000 --sets simplenet   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

from physnn.data.toy import gaussians, simplenet_task
from physnn.estimators import MLPClassifier, MLPRegressor

SETS = ("classification", "gaussians", "simplenet", "friedman")


def load(name: str, rows: int) -> tuple[str, np.ndarray, np.ndarray]:
    """``(kind, X, y)`` of one data set."""
    if name == "classification":
        X, y = make_classification(n_samples=rows, n_features=20, n_informative=10, n_redundant=4, n_classes=3,
                                   flip_y=0.02, random_state=0)
        return "classifier", X, y
    if name == "gaussians":
        d = gaussians(rows, centers=4, std=1.5, dim=6, seed=0)
        return "classifier", np.asarray(d.X), np.asarray(d.y).ravel().astype(int)
    if name == "simplenet":
        d = simplenet_task(rows, noise=0.1, seed=0)
        return "regressor", np.asarray(d.X), np.asarray(d.y).ravel()
    if name == "friedman":
        X, y = make_friedman1(n_samples=rows, n_features=10, noise=0.5, random_state=0)
        return "regressor", X, y
    raise SystemExit(f"sklearn_mlp: unknown data set {name!r}; choose from {', '.join(SETS)}.")


def time_fit(make, X, y, repeat: int) -> tuple[object, float, float]:
    """The estimator of the fastest of ``repeat`` fits, that fit's wall time and its CPU time (all threads)."""
    best, best_t, best_c = None, float("inf"), float("inf")
    for _ in range(repeat):
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0, c0 = time.perf_counter(), time.process_time()
            est.fit(X, y)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if dt < best_t:
            best, best_t, best_c = est, dt, dc
    return best, best_t, best_c


def warm_up() -> None:
    """One tiny fit each, so the first timed fit does not pay torch's and numpy's one-time start-up."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), rng.integers(0, 2, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for cls in (MLPClassifier, SkClassifier):
            cls(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {', '.join(SETS)}")
    ap.add_argument("--hidden", default="100", help="hidden layer sizes, e.g. 100 or 64,32 (default 100)")
    ap.add_argument("--batch-size", type=int, default=200)
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--repeat", type=int, default=1, help="fits per seed; the fastest counts (default 1)")
    ap.add_argument("--seeds", type=int, default=1,
                    help="random_state 0..N-1 for both libraries: mean score and time over the seeds (default 1)")
    args = ap.parse_args(argv)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    settings = dict(hidden_layer_sizes=hidden, solver="adam", alpha=1e-4, batch_size=args.batch_size,
                    learning_rate_init=args.lr, max_iter=args.max_iter, tol=1e-4, n_iter_no_change=10)
    import torch

    print(f"settings: {settings}, random_state 0..{args.seeds - 1}")
    print(f"rows {args.rows} (80% train, 20% test), cpu cores {os.cpu_count()}, torch threads "
          f"{torch.get_num_threads()} (physnn's fit uses 1 for networks under 1M parameters), python "
          f"{sys.version.split()[0]}, torch {torch.__version__}")
    t0 = time.perf_counter()
    warm_up()
    print(f"warm-up (one tiny fit each, not counted): {time.perf_counter() - t0:.2f} s")
    print(f"{'data set':15s} {'library':8s} {'score':>10s} {'epochs':>6s} {'wall s':>8s} {'cpu s':>8s} "
          f"{'wall s/epoch':>12s}")
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        kind, X, y = load(name, args.rows)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
        sc = StandardScaler().fit(Xtr)
        Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
        ours_cls, theirs_cls = (MLPClassifier, SkClassifier) if kind == "classifier" else (MLPRegressor, SkRegressor)
        metric = "acc" if kind == "classifier" else "R2"
        runs: dict[str, list[tuple[float, float, float, int]]] = {"sklearn": [], "physnn": []}
        for seed in range(args.seeds):  # the two libraries alternate, so a change of machine load hits both
            for lib, cls in (("sklearn", theirs_cls), ("physnn", ours_cls)):
                est, dt, dc = time_fit(lambda cls=cls, seed=seed: cls(**settings, random_state=seed), Xtr, ytr,
                                       args.repeat)
                runs[lib].append((est.score(Xte, yte), dt, dc, est.n_iter_))
        rows = {}
        for lib, rs in runs.items():
            score, dt, dc, n_iter = (float(np.mean(col)) for col in zip(*rs))
            spread = float(np.std([r[0] for r in rs]))
            rows[lib] = (score, dt, dc, n_iter)
            print(f"{name:15s} {lib:8s} {metric + '=' + format(score, '.4f'):>10s} {n_iter:6.0f} {dt:8.2f} "
                  f"{dc:8.2f} {dt / n_iter:12.4f}   (score sd {spread:.4f} over {args.seeds} seed(s): "
                  f"{', '.join(format(r[0], '.4f') for r in rs)})", flush=True)
        (s_sk, t_sk, c_sk, n_sk), (s_pn, t_pn, c_pn, n_pn) = rows["sklearn"], rows["physnn"]
        verdict = "goal met" if (s_pn >= s_sk - 1e-3 and t_pn <= 0.8 * t_sk) else "goal missed"
        print(f"{name:15s} physnn/sklearn: wall time {t_pn / t_sk:.2f}x, cpu time {c_pn / c_sk:.2f}x, wall per "
              f"epoch {(t_pn / n_pn) / (t_sk / n_sk):.2f}x, score {s_pn - s_sk:+.4f} "
              f"(goal: score >= -0.001, wall <= 0.8x): {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
