"""The dense autoencoder: architecture from the spec, learning a low-dimensional manifold."""

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.nn.autoencoder import DenseAutoencoder, build_autoencoder


def test_spec_and_parameter_count():
    ae = DenseAutoencoder.from_spec("8-32-16-4", seed=0)
    sizes = [(8, 32), (32, 16), (16, 4), (4, 16), (16, 32), (32, 8)]
    assert sum(p.numel() for p in ae.parameters()) == sum(a * b + b for a, b in sizes)
    ae2 = build_autoencoder(ae.config())
    ae2.load_state_dict(ae.state_dict())
    x = torch.randn(3, 8)
    torch.testing.assert_close(ae2(x), ae(x))


def test_learns_a_plane_and_flags_points_off_it():
    """Data on a 2-D plane in 6-D: a 2-unit bottleneck reconstructs it; points off the plane score high."""
    from physnn.train import fit
    from physnn.train.objectives import Objective

    g = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(6, 2, generator=g))[0]
    X = torch.randn(1024, 2, generator=g) @ basis.T

    class Obj(Objective):
        def batches(self, gen):
            perm = torch.randperm(1024, generator=gen)
            for s in range(0, 1024, 128):
                yield (X[perm[s:s + 128]],)

        def loss(self, model, batch):
            return ((model(batch[0]) - batch[0]) ** 2).mean()

    ae = DenseAutoencoder(6, [32], 2, activation="tanh", seed=0)
    fit(ae, objective=Obj(), lr=3e-3, epochs=150, seed=0, progress=False)
    on = ae.reconstruction_error(X[:200])
    off_dir = torch.randn(200, 6, generator=g)
    off_dir = off_dir - off_dir @ basis @ basis.T  # orthogonal to the plane
    off = ae.reconstruction_error(X[:200] + off_dir)
    assert on.mean() < 0.02 * X.pow(2).mean()
    assert (off > on.max()).float().mean() > 0.95


def test_bad_input():
    with pytest.raises(PhysnnError, match="'latent' .8. must be smaller than n_in .8."):
        DenseAutoencoder(8, [16], 8)
    with pytest.raises(PhysnnError, match="input must have shape"):
        DenseAutoencoder(8, [16], 2)(torch.randn(3, 7))
