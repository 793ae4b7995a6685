"""Each application's objective, small and seeded, trained by ``fit`` — under torchrun or in one process.

``python -m torch.distributed.run --standalone --nproc_per_node=2 tests/train/ddp_apps.py APP OUT``
trains APP on every rank and writes ``OUT/rank<r>.safetensors`` and (rank 0) ``OUT/loss.txt``;
tests/train/test_distributed.py compares the ranks with each other and with :func:`train` in one
process (the same global batch of 32, split 16/16 over the ranks).

Plain SGD and models without batch statistics: DDP averages the ranks' gradients, so a step on two
shards of a global batch is the step on the whole batch (BatchNorm would normalise each shard with its
own statistics; SyncBatchNorm needs CUDA).
"""

from __future__ import annotations

import sys

import torch
from torch import nn

#: the applications whose objectives draw their own batches
APPS = ("tagger", "set_tagger", "anomaly", "fluids", "cells_classify", "cells_segment")


def build(app: str) -> tuple[nn.Module, object]:
    """The model and the objective of ``app``, from seeded data (the same on every rank)."""
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(0)
    if app == "tagger":
        from physnn.hep.classify import JetObjective

        X = torch.randn(200, 5, generator=g)
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).float()
        model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
        return model, JetObjective((X,), y, val=((X[:50],), y[:50], None), batch_size=32)
    if app == "set_tagger":
        from physnn.hep.classify import JetObjective
        from physnn.nn.sets import ParticleFlowNetwork

        x = torch.randn(120, 6, 3, generator=g)
        mask = torch.rand(120, 6, generator=g) > 0.3
        mask[:, 0] = True
        y = (x[..., 0].sum(1) > 0).float()
        model = ParticleFlowNetwork(3, phi=[16, 8], f=[16], seed=0)
        return model, JetObjective((x, mask), y, batch_size=32)
    if app == "anomaly":
        from physnn.hep.anomaly import AutoencoderObjective
        from physnn.nn.autoencoder import DenseAutoencoder

        X = torch.randn(200, 6, generator=g)
        return DenseAutoencoder(6, hidden=(8,), latent=2, seed=0), AutoencoderObjective(X, batch_size=32)
    if app == "fluids":
        from physnn.fluids.train import RelativeL2
        from physnn.nn.spectral import FNO1d

        X = torch.randn(96, 32, generator=g)
        Y = torch.roll(X, 3, dims=1) + 0.1 * X**2
        return FNO1d(modes=6, width=8, layers=2), RelativeL2((X, Y), (X[:16], Y[:16]), batch_size=32)
    if app == "cells_classify":
        from physnn.cells.classify import CropObjective
        from physnn.nn.conv import ConvNet

        X = torch.rand(96, 16, 16, generator=g)
        y = torch.randint(0, 3, (96,), generator=g)
        return ConvNet(1, [4, 8], 3, norm="none"), CropObjective(X.numpy(), y.numpy(), batch_size=32)
    if app == "cells_segment":
        from physnn.cells.segment import SegmentationObjective
        from physnn.nn.conv import UNet

        images = torch.rand(4, 32, 32, generator=g).numpy()
        masks = (torch.rand(4, 32, 32, generator=g) > 0.7).long().numpy()  # any instance labels
        # no Dice term (a ratio over the whole batch, not a mean over crops) and no BatchNorm
        return UNet(1, 3, depth=1, base=4, norm="none"), SegmentationObjective(
            images, masks, crop=16, batch_size=8, steps=3, dice_weight=0.0)
    if app in ("pinn", "pinn_lbfgs"):  # Poisson on [-1, 1]: collocation and boundary points sharded by rank
        from physnn.pinn.objective import PINNObjective
        from physnn.pinn.problems import get_problem
        from physnn.pinn.solve import make_model

        problem = get_problem("poisson")  # float64: the two ranks' sums round like the one process's
        model = make_model(problem, hidden=(8, 8), activation="tanh", seed=0, dtype=torch.float64)
        return model, PINNObjective(problem, n_domain=64, n_boundary=8, steps_per_epoch=2, reference_points=50,
                                    seed=0, dtype=torch.float64)
    if app == "materials":  # an atomic potential on 8 EMT alloys (energies): structures sharded by rank
        from pathlib import Path

        import numpy as np

        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: tests.materials
        from physnn.materials.potential import AtomicPotential, EnergyForceObjective, Labels
        from tests.materials.conftest import emt_structures

        atoms = emt_structures(8, seed=3)
        model = AtomicPotential(["Ni", "Cu", "Au"], [8], seed=0, descriptor={
            "r_cut": 4.5, "n_radial": 6, "n_angular": 2, "r_min": 2.0, "r_cut_angular": 3.6}).double()
        labels = Labels(energy=np.array([a.get_potential_energy() for a in atoms]), forces=None, stress=None,
                        n_atoms=np.array([len(a) for a in atoms]))
        return model, EnergyForceObjective([model.graph(a) for a in atoms], labels, np.arange(6), np.arange(6, 8),
                                           batch_size=4, scales={"energy": 1.0, "forces": 1.0})
    if app == "stream":  # a Parquet file of 10 row groups (written by the test; path in PHYSNN_TEST_STREAM)
        import os

        from physnn.data.stream import TableStream
        from physnn.train.streaming import StreamingSupervised

        stream = TableStream(os.environ["PHYSNN_TEST_STREAM"], features=["a", "b", "c"], target="y")
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        # one global batch of every row: the two ranks' halves average to the one-process step
        return model, StreamingSupervised(stream, stream.chunks, [], loss="mse", batch_size=stream.n_rows,
                                          buffer_chunks=len(stream.chunks))
    raise ValueError(f"unknown app {app!r}; one of {APPS}")


def train(app: str):
    """Train ``app`` for 3 epochs of SGD; returns ``(model, history)``."""
    from physnn.train import fit

    model, objective = build(app)
    if app == "pinn_lbfgs":  # the quasi-Newton stage: every rank's line search sees the same (all-reduced) loss
        objective.steps_per_epoch = 1
        history = fit(model, objective=objective, optimizer="lbfgs", lr=1.0, epochs=3, seed=0, progress=False,
                      threads=1, optimizer_options={"max_iter": 5}, monitor="pinn_loss")
        return model, history
    history = fit(model, objective=objective, optimizer="sgd", lr=1e-3 if app in ("pinn", "materials") else 0.05, epochs=3, seed=0,
                  progress=False, threads=1)
    return model, history


if __name__ == "__main__":
    from physnn.train.checkpoint import save_weights
    from physnn.train.distributed import dist_info

    app, out = sys.argv[1], sys.argv[2]
    model, history = train(app)
    save_weights(model, f"{out}/rank{dist_info().rank}.safetensors")
    if dist_info().is_main:
        with open(f"{out}/loss.txt", "w") as fh:
            fh.write(repr(history["loss"]))
    # both ranks finish writing before either tears gloo down
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
