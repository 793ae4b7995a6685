"""Write expected.npz: what physnn 0.1.0 (commit b281c18) predicts with each fixture run on its input.

Run from ``tests/data/runs-0.1`` with the 0.1.0 code on the path (see README.md)::

    PYTHONPATH=/tmp/legacy/src python inputs/make_expected.py

Each array is computed with that version's own loaders, so a test can check that today's code
reads the same weights and preprocessing (not only that it returns finite numbers). Nothing runs
on import (pytest's --doctest-modules imports this file).
"""
import csv
import json

import numpy as np


def table(path):
    """The columns of a small CSV file as float arrays."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def main() -> None:
    """Predict with every fixture run and write expected.npz."""
    import torch

    import physnn
    from physnn.cells.io import read_image
    from physnn.cells.segment import load_model as load_unet
    from physnn.cells.segment import predict_probabilities
    from physnn.fluids.data import load_dataset
    from physnn.fluids.train import load_run as load_fluids_run
    from physnn.hep.classify import load_tagger
    from physnn.hep.features import load_jets
    from physnn.materials.generate import load_alloys, to_atoms
    from physnn.materials.train import load_materials_model
    from physnn.nn.autoencoder import build_autoencoder
    from physnn.runs import load_run
    from physnn.train.checkpoint import load_weights

    assert physnn.__version__ == "0.1.0", physnn.__version__
    out = {}
    moons = table("inputs/moons.csv")
    out["tabular"] = load_run("tabular").predict(np.stack([moons["x0"], moons["x1"]], axis=1))
    out["pinn"] = load_run("pinn").predict(table("inputs/poisson_points.csv")["x"][:, None])

    tagger = load_tagger("tagger")
    jets = load_jets("inputs/jets.parquet", features=tagger.feature_names, particles=tagger.particle_names,
                     n_particles=tagger.n_particles, label=None)
    out["tagger"] = tagger.predict(jets)

    with open("anomaly/state.json") as f:
        state = json.load(f)
    ae = build_autoencoder(state["model"])
    load_weights(ae, "anomaly/model.safetensors")
    X = load_jets("inputs/jets.parquet", features=state["feature_names"], label=None).X
    Xs = (X - np.array(state["scaler"]["mean"])) / np.array(state["scaler"]["scale"])
    out["anomaly"] = ae.eval().reconstruction_error(torch.as_tensor(Xs, dtype=torch.float32)).numpy()

    out["materials"] = load_materials_model("materials").predict(to_atoms(load_alloys("inputs/alloys.npz")))

    net, fstate = load_fluids_run("fluids")
    s = fstate["settings"]["s"]
    a = np.asarray(load_dataset("inputs/burgers.npz")["a"])[:4]
    a = a[:, :: a.shape[1] // s]  # the training resolution
    with torch.no_grad():
        out["fluids"] = net.eval()(torch.as_tensor(a, dtype=torch.float32)).numpy()

    out["segmentation"] = predict_probabilities(load_unet("segmentation"), read_image("inputs/cells/img000.tif"))

    for k, v in out.items():
        v = np.asarray(v, dtype=np.float64)
        assert np.isfinite(v).all(), k
        out[k] = v
        print(k, v.shape)
    np.savez_compressed("expected.npz", **out)


if __name__ == "__main__":
    main()
