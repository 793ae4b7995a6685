"""Spectral convolutions and FNOs: exactness on band-limited fields, resolution invariance, parameter counts."""

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.nn.spectral import FNO1d, FNO2d, SpectralConv1d, SpectralConv2d


def test_spectral_conv1d_matches_fourier_multiplier():
    # one channel: K v = irfft(R * rfft(v)) on the kept modes; check against numpy
    torch.manual_seed(0)
    conv = SpectralConv1d(1, 1, modes=5)
    x = torch.randn(3, 1, 32, dtype=torch.float32)
    got = conv(x).detach().numpy()[:, 0]
    w = conv.weight.detach().numpy()[0, 0]
    r = w[:, 0] + 1j * w[:, 1]
    c = np.fft.rfft(x.numpy()[:, 0], axis=-1)
    c[:, 5:] = 0
    c[:, :5] *= r
    want = np.fft.irfft(c, n=32, axis=-1)
    assert np.abs(got - want).max() < 1e-5


def test_spectral_conv_is_resolution_invariant_on_bandlimited_fields():
    torch.manual_seed(0)
    conv = SpectralConv1d(2, 2, modes=4)
    x64 = torch.arange(64) / 64
    x128 = torch.arange(128) / 128
    f = lambda x: torch.stack([torch.sin(2 * np.pi * x) + 0.3 * torch.cos(6 * np.pi * x), torch.cos(4 * np.pi * x)])
    y64 = conv(f(x64)[None])
    y128 = conv(f(x128)[None])
    assert torch.allclose(y128[..., ::2], y64, atol=1e-5)


def test_spectral_conv2d_shapes_and_translation_equivariance():
    torch.manual_seed(0)
    conv = SpectralConv2d(2, 3, modes=4)
    x = torch.randn(1, 2, 16, 16)
    y = conv(x)
    assert y.shape == (1, 3, 16, 16)
    # a Fourier multiplier commutes with periodic shifts
    assert torch.allclose(conv(torch.roll(x, (3, 5), dims=(2, 3))), torch.roll(y, (3, 5), dims=(2, 3)), atol=1e-5)


def test_parameter_counts_are_registered():
    # 4 Fourier layers: 4 * (64*64*16*2 + 64*64 + 64) + lift 2*64+64 + q1 64*128+128 + q2 128+1
    want = 4 * (64 * 64 * 16 * 2 + 64 * 64 + 64) + (2 * 64 + 64) + (64 * 128 + 128) + (128 + 1)
    assert sum(p.numel() for p in FNO1d(modes=16, width=64, layers=4).parameters()) == want
    assert len(list(FNO2d(modes=4, width=8, layers=3, in_channels=10).convs.parameters())) == 6


def test_fno_learns_a_linear_operator_quickly():
    # the heat semigroup is a Fourier multiplier: an FNO fits it; check the loss falls 10x
    torch.manual_seed(0)
    s = 32
    m = torch.fft.rfftfreq(s, 1 / s)
    x = torch.randn(64, s)
    y = torch.fft.irfft(torch.fft.rfft(x) * torch.exp(-0.002 * (2 * np.pi * m) ** 2), n=s)
    net = FNO1d(modes=8, width=8, layers=2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(150):
        loss = ((net(x) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 * first


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(PhysnnError, match="modes"):
        SpectralConv1d(1, 1, modes=0)
    with pytest.raises(PhysnnError, match="finer grid"):
        SpectralConv1d(1, 1, modes=20)(torch.randn(1, 1, 16))
    with pytest.raises(PhysnnError, match="expected input"):
        FNO2d(modes=2, width=4, in_channels=3)(torch.randn(1, 2, 8, 8))
    with pytest.raises(PhysnnError, match="activation"):
        FNO1d(activation="rleu")
