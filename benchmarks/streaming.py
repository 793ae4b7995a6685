"""Data larger than memory: one epoch of `physnn train` in memory vs streamed, peak RSS and epoch time.

Writes a Parquet file of ``--rows`` rows x ``--features`` float32 features and a 0/1 label (a
seeded, non-linear problem, written row group by row group so the writer never holds it whole),
then runs, each in a fresh process so that its peak resident memory is its own:

* ``memory``: ``physnn train`` with ``[data] stream = false`` (the file read into RAM, split, standardized);
* ``stream``: the same experiment with ``stream = true`` (row groups read through shuffle buffers).

Before each run the file is read once, so both start with it in the OS page cache as far as it
fits (the in-memory run's RSS would otherwise evict it before the streamed run). It prints, for
each, the peak RSS (``ru_maxrss`` of the process), the first epoch's time (from the
run's history: training plus the validation pass, data loading excluded), the whole command's wall
time and the validation AUC, then the ratios the issue asks for: goal RSS(stream) <= 25 % of
RSS(memory) and epoch(stream) <= 1.25 x epoch(memory).

    .venv/bin/python benchmarks/streaming.py                     # 20 M rows x 20 features (~1.7 GB file)
    .venv/bin/python benchmarks/streaming.py --rows 2000000      # a quick look
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def write_file(path: Path, rows: int, features: int, group: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    w = rng.normal(size=features) / np.sqrt(features)
    names = [f"x{i:02d}" for i in range(features)]
    scales = np.exp(rng.uniform(-2, 3, size=features))  # features on different scales: standardization matters
    shifts = rng.normal(scale=10, size=features)
    tmp = path.with_suffix(".tmp")
    writer = None
    done = 0
    t0 = time.perf_counter()
    while done < rows:
        n = min(group, rows - done)
        z = rng.normal(size=(n, features)).astype(np.float32)
        logit = z @ w + 0.5 * np.sin(2 * z[:, 0]) * z[:, 1] + 0.3 * z[:, 2] ** 2 - 0.3
        label = (logit + rng.logistic(size=n) * 0.5 > 0).astype(np.int8)
        x = z * scales.astype(np.float32) + shifts.astype(np.float32)
        table = pa.table({**{nm: x[:, i] for i, nm in enumerate(names)}, "label": label})
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=group)
        done += n
    writer.close()
    tmp.replace(path)
    print(f"wrote {path} ({rows} rows x {features} features, {path.stat().st_size / 1e9:.2f} GB) "
          f"in {time.perf_counter() - t0:.0f} s", flush=True)


def child(mode: str, config: Path, out: Path) -> None:
    """One `physnn train` in this process; print its peak RSS and epoch time as JSON."""
    from physnn.cli.app import main

    t0 = time.perf_counter()
    rc = main(["train", str(config), "--out", str(out), "-q"])
    wall = time.perf_counter() - t0
    with open(out / "history.csv") as fh:
        rec = list(csv.DictReader(fh))
    metrics = json.loads((out / "metrics.json").read_text())
    print(json.dumps({"mode": mode, "rc": rc, "wall_s": wall, "epoch_s": float(rec[0]["time"]),
                      "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                      "val_roc_auc": metrics.get("val_roc_auc")}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--group", type=int, default=250_000, help="Parquet row-group size (the streaming chunk)")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--buffer-chunks", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1,
                    help="DataLoader workers of the streamed run (1: reading overlaps training on a second core)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads of both runs (0 = physnn's auto)")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/physnn-bench-stream"))
    ap.add_argument("--only", choices=["memory", "stream"], default=None)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "CONFIG", "OUT"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], Path(a.child[1]), Path(a.child[2]))
        return
    a.dir.mkdir(parents=True, exist_ok=True)
    data = a.dir / f"rows{a.rows}_f{a.features}_g{a.group}.parquet"
    if not data.exists():
        write_file(data, a.rows, a.features, a.group, seed=0)
    results = {}
    for mode in ("memory", "stream") if a.only is None else (a.only,):
        cfg = a.dir / f"{mode}.toml"
        cfg.write_text(
            f'name = "bench-{mode}"\nseed = 0\n[data]\nsource = "{data}"\ntarget = "label"\nval = 0.1\n'
            f'stream = {"true" if mode == "stream" else "false"}\nbuffer_chunks = {a.buffer_chunks}\n'
            f'workers = {a.workers}\n[model]\nhidden = [64, 32]\n[train]\nloss = "bce_with_logits"\nepochs = 1\n'
            f'batch_size = {a.batch_size}\nlr = 0.001\nthreads = {a.threads}\nmetrics = ["roc_auc"]\n')
        out = a.dir / f"run-{mode}-{int(time.time())}"
        with open(data, "rb") as fh:  # the same start for both runs: the file in the OS page cache where it fits
            while fh.read(1 << 24):
                pass
        r = subprocess.run([sys.executable, __file__, "--child", mode, str(cfg), str(out)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.exit(f"{mode} run failed:\n{r.stderr[-3000:]}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        results[mode] = res
        print(f"{mode:>6}: peak RSS {res['rss_gb']:.2f} GB, epoch {res['epoch_s']:.1f} s, whole command "
              f"{res['wall_s']:.1f} s, val AUC {res['val_roc_auc']:.4f}", flush=True)
    if len(results) == 2:
        m, s = results["memory"], results["stream"]
        print(f"stream / memory: peak RSS {s['rss_gb'] / m['rss_gb']:.1%} (goal <= 25%), epoch time "
              f"{s['epoch_s'] / m['epoch_s']:.2f}x (goal <= 1.25x), whole command {s['wall_s'] / m['wall_s']:.2f}x")


if __name__ == "__main__":
    main()
