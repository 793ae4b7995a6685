"""ConvNet and UNet: shapes, parameter counts by formula, clear errors."""

from __future__ import annotations

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.nn.conv import ConvNet, UNet
from physnn.nn.summary import summary


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def double(c_in: int, w: int, norm: bool = True) -> int:
    """Two 3x3 conv blocks c_in -> w -> w, bias-free with a norm (2 params/channel), else with bias."""
    extra = 2 * w if norm else w
    return 9 * c_in * w + extra + 9 * w * w + extra


def unet_formula(c_in: int, c_out: int, depth: int, base: int, norm: bool = True) -> int:
    widths = [base * 2**i for i in range(depth + 1)]
    total, prev = 0, c_in
    for w in widths:
        total += double(prev, w, norm)
        prev = w
    for i in range(depth):
        total += 4 * widths[i + 1] * widths[i] + widths[i]  # ConvTranspose2d(2x2, stride 2) with bias
        total += double(2 * widths[i], widths[i], norm)
    return total + widths[0] * c_out + c_out


@pytest.mark.parametrize("depth,base,c_in,c_out,norm", [(1, 4, 1, 3, "batch"), (2, 8, 2, 1, "group"), (3, 6, 1, 3, "none")])
def test_unet_parameter_count_by_formula(depth, base, c_in, c_out, norm):
    net = UNet(c_in, c_out, depth=depth, base=base, norm=norm)
    assert n_params(net) == unet_formula(c_in, c_out, depth, base, norm != "none")
    assert summary(net, (c_in, 32, 32)).total_params == n_params(net)


@pytest.mark.parametrize("h,w", [(37, 45), (16, 16), (9, 31), (1, 1)])
def test_unet_output_has_input_size_for_odd_sizes(h, w):
    net = UNet(1, 3, depth=3, base=4).eval()
    assert tuple(net(torch.randn(2, 1, h, w)).shape) == (2, 3, h, w)


def test_unet_odd_size_equals_padding_by_hand():
    """Odd sizes: the output is the network on the edge-replicated input, cropped back."""
    torch.manual_seed(0)
    net = UNet(1, 2, depth=2, base=4, norm="none").eval()
    x = torch.randn(1, 1, 13, 10)
    padded = torch.nn.functional.pad(x, (0, 2, 0, 3), mode="replicate")  # to 16 x 12, multiples of 4
    with torch.no_grad():
        assert torch.allclose(net(x), net(padded)[..., :13, :10], atol=1e-6)


def test_unet_every_parameter_gets_a_gradient():
    net = UNet(1, 3, depth=2, base=4)
    net(torch.randn(2, 1, 16, 16)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_unet_skip_connections_carry_detail():
    """The skip path reaches the output: with the bottleneck zeroed the output still depends on the input."""
    torch.manual_seed(0)
    net = UNet(1, 1, depth=1, base=4, norm="none").eval()
    with torch.no_grad():
        for p in net.down[1].parameters():
            p.zero_()
        a = net(torch.zeros(1, 1, 8, 8))
        b = net(torch.ones(1, 1, 8, 8))
    assert not torch.allclose(a, b)


def test_convnet_shape_and_count():
    net = ConvNet(1, [8, 16], 3)
    # (9*1*8 + 2*8) + (9*8*16 + 2*16) + (16*3 + 3)
    assert n_params(net) == 88 + 1184 + 51 == 1323
    assert tuple(net(torch.randn(4, 1, 32, 32)).shape) == (4, 3)
    assert tuple(net(torch.randn(1, 1, 40, 24)).shape) == (1, 3)
    assert ConvNet.from_spec("1-8-16-3").spec == "1-8-16-3"
    nb = ConvNet(2, [4], 5, norm="none", pool="avg", kernel_size=5, dropout=0.2)
    assert n_params(nb) == 25 * 2 * 4 + 4 + 4 * 5 + 5


def test_bad_inputs_are_clear_errors():
    with pytest.raises(PhysnnError, match=r"\(N, C, H, W\).*x\[None, None\]"):
        UNet(1, 1, depth=1, base=2)(torch.zeros(8, 8))
    with pytest.raises(PhysnnError, match="in_channels=1"):
        UNet(1, 1, depth=1, base=2)(torch.zeros(1, 3, 8, 8))
    with pytest.raises(PhysnnError, match="too small"):
        ConvNet(1, [4, 4, 4], 2)(torch.zeros(1, 1, 4, 4))
    with pytest.raises(PhysnnError, match="odd"):
        ConvNet(1, [4], 2, kernel_size=4)
    with pytest.raises(PhysnnError, match="'norm' must be one of"):
        UNet(norm="layer")
    with pytest.raises(PhysnnError, match="depth"):
        UNet(depth=0)
    with pytest.raises(PhysnnError, match="channels"):
        ConvNet(1, [], 2)
    with pytest.raises(PhysnnError, match="'1-16-32-3'"):
        ConvNet.from_spec("1-3")
