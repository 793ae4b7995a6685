"""Make the playground's jets sample, ``physnn/playground/data/jets.csv``, from physnn's generator.

Top versus QCD jets (Pythia 8 + FastJet, anti-kt R = 0.8, 550 < pT < 650 GeV,
|η| < 2) in two features: the jet mass and N-subjettiness τ₃₂ = τ₃/τ₂.  The
shipped file was made by::

    physnn hep generate --signal top --n 500 --seed 1 --constituents 1 --out top.parquet
    physnn hep generate --signal qcd --n 500 --seed 2 --constituents 1 --out qcd.parquet
    python -m physnn.playground.make_jets top.parquet qcd.parquet

(about 4 minutes on one core; the file is ~20 kB).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from physnn.files import write_text

__all__ = ["make_jets_csv"]

HEADER = "# top (label 1) vs QCD (label 0) jets from physnn hep generate; see physnn.playground.make_jets\n"


def make_jets_csv(top: str | Path, qcd: str | Path, out: str | Path) -> Path:
    """Write ``mass, tau32, label`` of every jet in the two files to ``out`` (CSV, atomically)."""
    from physnn.data import read_data

    lines = [HEADER, "mass,tau32,label\n"]
    for path, label in ((top, 1), (qcd, 0)):
        d = read_data(path, features=["mass", "tau32"], target="label")
        X = np.asarray(d.X, dtype=float)
        keep = np.isfinite(X).all(axis=1)
        for m, t in X[keep]:
            lines.append(f"{m:.2f},{t:.4f},{label}\n")
    return write_text(out, "".join(lines))


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 3:
        sys.exit("usage: python -m physnn.playground.make_jets TOP.parquet QCD.parquet")
    here = Path(__file__).parent / "data" / "jets.csv"
    print(make_jets_csv(sys.argv[1], sys.argv[2], here))
