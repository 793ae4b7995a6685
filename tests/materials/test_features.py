"""Features: composition and regular-solution values, SOAP shapes, and the degeneracy of
average='inner' SOAP at fixed composition that average='outer' does not have."""

import numpy as np
import pytest

pytest.importorskip("dscribe")

from physnn.errors import PhysnnError  # noqa: E402
from physnn.materials import features as F  # noqa: E402
from physnn.materials.generate import fcc_alloy, sample_symbols  # noqa: E402


def test_composition_and_regular_solution_values():
    z = np.array([[13] * 8 + [28] * 24, [29] * 16 + [79] * 16])
    x = F.composition(z)
    assert x.shape == (2, 7)
    np.testing.assert_allclose(x.sum(axis=1), 1.0)
    assert x[0, 0] == 0.25 and x[0, 1] == 0.75
    f = F.regular_solution(z)
    names = F.regular_solution_names()
    assert f.shape == (2, 28) and len(names) == 28
    assert f[0, names.index("x_Al*x_Ni")] == pytest.approx(0.1875)
    assert f[1, names.index("x_Cu*x_Au")] == pytest.approx(0.25)
    assert f[1, names.index("x_Al*x_Ni")] == 0.0
    with pytest.raises(PhysnnError, match=r"\[26\]"):
        F.composition(np.array([[26] * 32]))


def _orderings(n):
    return [fcc_alloy(sample_symbols("B", i, seed=0)) for i in range(n)]


def test_inner_average_is_degenerate_at_fixed_composition_outer_is_not():
    a, b = _orderings(2)
    inner = F.soap([a, b], ["Cu", "Au"], average="inner")
    outer = F.soap([a, b], ["Cu", "Au"], average="outer")
    assert inner.shape == outer.shape == (2, 180)
    # every ordering of Cu16Au16 on the same lattice has the same inner-averaged SOAP ...
    np.testing.assert_allclose(inner[0], inner[1], rtol=1e-9, atol=1e-12)
    # ... while the outer average tells them apart
    rel = np.linalg.norm(outer[0] - outer[1]) / np.linalg.norm(outer[0])
    assert rel > 1e-3


def test_per_atom_shapes_and_atom_order():
    (a,) = _orderings(1)
    p = F.per_atom([a], ["Cu", "Au"])
    assert p.shape == (1, 32, 182)
    onehot = p[0, :, -2:]
    assert np.all(onehot.sum(axis=1) == 1)
    assert onehot[:, 0].sum() == 16  # Cu
    perm = np.random.default_rng(0).permutation(32)
    q = F.per_atom([a[perm]], ["Cu", "Au"])
    np.testing.assert_allclose(q[0], p[0][perm], atol=1e-10)
    with pytest.raises(PhysnnError, match="contains"):
        F.soap([a], ["Cu"])
    with pytest.raises(PhysnnError, match="'average'"):
        F.soap([a], ["Cu", "Au"], average="middle")
    assert F.species_of([a.numbers]) == ["Cu", "Au"]


def test_per_atom_network_is_permutation_invariant():
    torch = pytest.importorskip("torch")
    from physnn.materials.models import PerAtomNet

    net = PerAtomNet(6, [8, 8], 2, seed=0)
    # (6*8+8) + (8*8+8) + (8*2+2) trainable parameters; scaling constants are buffers
    assert sum(p.numel() for p in net.parameters()) == 56 + 72 + 18
    x = torch.randn(4, 32, 6)
    out = net(x)
    assert out.shape == (4, 2)
    torch.testing.assert_close(net(x[:, torch.randperm(32)]), out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(net(x.reshape(4, -1)), out)
    with pytest.raises(PhysnnError, match="N·6"):
        net(torch.randn(4, 7))
