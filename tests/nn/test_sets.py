"""Particle-set networks: permutation invariance, masks, parameter counts, bad input."""

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.nn.sets import (ParticleFlowNetwork, ParticleNetLite, build_set_model, masked_pool,
                            padding_mask)


def _batch(n=5, p=12, f=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, f, generator=g)
    counts = torch.tensor([12, 7, 3, 1, 9])[:n]
    mask = torch.arange(p).unsqueeze(0) < counts.unsqueeze(1)
    return x * mask.unsqueeze(-1), mask


@pytest.mark.parametrize("make", [
    lambda: ParticleFlowNetwork(3, phi=[16, 8], f=[16], seed=0),
    lambda: ParticleFlowNetwork(3, phi=[16, 8], f=[16], pooling="mean", seed=0),
    lambda: ParticleNetLite(3, blocks=[[8, 8], [8]], k=3, f=[8], seed=0),
])
def test_permutation_invariance_and_padding(make):
    net = make().eval()
    x, mask = _batch()
    ref = net(x, mask)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(net(x[:, perm], mask[:, perm]), ref, atol=1e-5, rtol=1e-5)
    # garbage in padded slots changes nothing
    junk = x + (~mask).unsqueeze(-1) * 50.0
    torch.testing.assert_close(net(junk, mask), ref, atol=1e-5, rtol=1e-5)
    # more padding slots change nothing
    xp = torch.cat([x, torch.zeros(5, 6, 3)], 1)
    mp = torch.cat([mask, torch.zeros(5, 6, dtype=torch.bool)], 1)
    torch.testing.assert_close(net(xp, mp), ref, atol=1e-5, rtol=1e-5)
    # a jet alone gives what it gives in the batch (no leakage between jets)
    torch.testing.assert_close(net(x[1:2, :7], mask[1:2, :7]), ref[1:2], atol=1e-5, rtol=1e-5)
    # the implicit mask (all-zero slot = padding) equals the explicit one
    torch.testing.assert_close(net(x), ref, atol=1e-5, rtol=1e-5)


def test_pfn_is_sum_of_phi_then_f():
    net = ParticleFlowNetwork(2, phi=[4], f=[3], seed=0).eval()
    x = torch.randn(1, 3, 2)
    mask = torch.tensor([[True, True, False]])
    by_hand = net.f(net.phi(x[0, 0]) + net.phi(x[0, 1]))
    torch.testing.assert_close(net(x, mask)[0], by_hand)
    assert masked_pool(torch.ones(1, 4, 2), torch.tensor([[1, 1, 1, 0]]), "mean").tolist() == [[1.0, 1.0]]
    assert padding_mask(torch.tensor([[[0.0, 0.0], [0.0, 1e-9]]])).tolist() == [[False, True]]


def test_parameter_count_and_config_roundtrip():
    net = ParticleFlowNetwork(3, phi=[64, 64, 64], f=[64, 64], seed=0)
    # phi: (3*64+64) + 2*(64*64+64); F: 2*(64*64+64) + (64+1)
    assert sum(p.numel() for p in net.parameters()) == 256 + 4 * 4160 + 65
    net2 = build_set_model(net.config())
    net2.load_state_dict(net.state_dict())
    x, m = _batch()
    torch.testing.assert_close(net2(x, m), net(x, m))
    pn = ParticleNetLite(3, blocks=[[8, 8]], k=3, f=[8], seed=0)
    assert build_set_model(pn.config()).config() == pn.config()


def test_trains_to_count_prongs():
    """A PFN learns a set property (the number of particles > 5) that no single particle shows."""
    from physnn.train import fit
    from physnn.train.objectives import Objective

    g = torch.Generator().manual_seed(0)
    counts = torch.randint(1, 11, (512,), generator=g)
    mask = torch.arange(10).unsqueeze(0) < counts.unsqueeze(1)
    x = torch.rand(512, 10, 2, generator=g) * mask.unsqueeze(-1)
    y = (counts > 5).float().unsqueeze(1)

    class Obj(Objective):
        def batches(self, gen):
            perm = torch.randperm(512, generator=gen)
            for s in range(0, 512, 64):
                i = perm[s:s + 64]
                yield x[i], mask[i], y[i]

        def loss(self, model, batch):
            xb, mb, yb = batch
            return torch.nn.functional.binary_cross_entropy_with_logits(model(xb, mb), yb)

    net = ParticleFlowNetwork(2, phi=[16, 16], f=[16], seed=0)
    fit(net, objective=Obj(), lr=3e-3, epochs=40, seed=0, progress=False)
    acc = ((net(x, mask) > 0).float() == y).float().mean().item()
    assert acc > 0.95


def test_bad_input():
    net = ParticleFlowNetwork(3, phi=[4], f=[4])
    with pytest.raises(PhysnnError, match="shape .N jets, P particles, F features."):
        net(torch.randn(4, 3))
    with pytest.raises(PhysnnError, match="takes 3 features per particle but the input has 2"):
        net(torch.randn(4, 5, 2))
    with pytest.raises(PhysnnError, match="mask must have shape"):
        net(torch.randn(4, 5, 3), torch.ones(4, 6))
    with pytest.raises(PhysnnError, match="'pooling' must be one of"):
        ParticleFlowNetwork(3, pooling="max")
    with pytest.raises(PhysnnError, match="'kind' must be one of"):
        build_set_model({"kind": "transformer"})
