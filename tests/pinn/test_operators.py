"""Derivatives by autograd against closed forms; names and shapes checked."""

import math

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn import Derivatives


def pts(n=50, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, d, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_(True)


def test_partials_match_closed_forms():
    x = pts()
    X, Y = x[:, 0:1], x[:, 1:2]
    u = X**2 * Y**3 + torch.sin(X * Y)
    d = Derivatives(x, ("x", "y"))
    c = torch.cos(X * Y)
    s = torch.sin(X * Y)
    assert torch.allclose(d.x(u), 2 * X * Y**3 + Y * c)
    assert torch.allclose(d.y(u), 3 * X**2 * Y**2 + X * c)
    assert torch.allclose(d.xx(u), 2 * Y**3 - Y**2 * s)
    assert torch.allclose(d.yy(u), 6 * X**2 * Y - X**2 * s)
    assert torch.allclose(d.xy(u), 6 * X * Y**2 + c - X * Y * s)
    assert torch.allclose(d.xy(u), d.yx(u))
    assert torch.allclose(d.partial(u, "x", "x", "x"), -(Y**3) * c)
    assert torch.allclose(d.laplacian(u), d.xx(u) + d.yy(u))
    assert torch.allclose(d.div(X * Y, Y**2), Y + 2 * Y)
    assert torch.equal(d.coord("y"), Y)


def test_time_is_excluded_from_laplacian_and_cache_reuses_gradients(monkeypatch):
    x = pts(d=2)
    u = torch.exp(-x[:, 1:2]) * torch.sin(math.pi * x[:, 0:1])
    d = Derivatives(x, ("x", "t"))
    calls = {"n": 0}
    real = torch.autograd.grad

    def counting(*a, **k):
        calls["n"] += 1
        return real(*a, **k)

    monkeypatch.setattr(torch.autograd, "grad", counting)
    ut, _, uxx = d.t(u), d.x(u), d.xx(u)
    d.t(u), d.x(u), d.xx(u)
    assert calls["n"] == 2  # ∇u once, ∇(u_x) once
    assert torch.allclose(ut, -u) and torch.allclose(uxx, -math.pi**2 * u)
    assert torch.allclose(d.laplacian(u), uxx)


def test_derivatives_train_through():
    x = pts(d=1)
    w = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    u = torch.sin(w * x)
    d = Derivatives(x, ("x",))
    loss = d.xx(u).pow(2).mean()
    (g,) = torch.autograd.grad(loss, w)
    # L = mean(w^4 sin^2(wx)); dL/dw by finite differences
    def L(wv):
        return float(((wv**2 * torch.sin(wv * x.detach())) ** 2).mean())
    fd = (L(2.0 + 1e-6) - L(2.0 - 1e-6)) / 2e-6
    assert abs(float(g) - fd) < 1e-5 * abs(fd)


def test_errors_name_the_problem():
    x = pts()
    u = x[:, 0:1] * x[:, 1:2]
    d = Derivatives(x, ("x", "t"))
    with pytest.raises(PhysnnError, match="no operator 'xz'.*'x', 't'"):
        d.xz(u)
    with pytest.raises(PhysnnError, match="unknown coordinate 'y'"):
        d.partial(u, "y")
    with pytest.raises(PhysnnError, match="one output column"):
        d.x(torch.cat([u, u], 1))
    with pytest.raises(PhysnnError, match="requires_grad"):
        Derivatives(x.detach(), ("x", "t"))
    with pytest.raises(PhysnnError, match="2 coordinate names"):
        Derivatives(pts(d=3), ("x", "t"))
