"""Write inputs/jets.parquet: 80 toy jets (``physnn.hep.features.toy_jets(80, n_max=8, seed=1)``).

Jet features (pt, mass, tau1..tau3, tau21, tau32, n_constituents, and tau4 = 0.8 tau3), the 0/1
``label`` and jagged constituent columns (part_pt, part_deta, part_dphi: a list per jet holding
only its real particles). Run from ``tests/data/runs-0.1``; nothing runs on import.
"""
import numpy as np


def main() -> None:
    """Build the table and write it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from physnn.hep.features import toy_jets

    j = toy_jets(80, n_max=8, seed=1)
    cols = {n: pa.array(j.X[:, i].astype(np.float64)) for i, n in enumerate(j.feature_names)}
    cols["tau4"] = pa.array((j.X[:, j.feature_names.index("tau3")] * 0.8).astype(np.float64))
    for i, n in enumerate(j.particle_names):
        cols[n] = pa.array([j.particles[k, j.mask[k].astype(bool), i].astype(np.float64).tolist()
                            for k in range(len(j.y))], type=pa.list_(pa.float64()))
    cols["label"] = pa.array(j.y.astype(np.int64))
    pq.write_table(pa.table(cols), "inputs/jets.parquet")
    print(f"wrote {len(j.y)} jets to inputs/jets.parquet")


if __name__ == "__main__":
    main()
