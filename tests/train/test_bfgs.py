"""BFGS with a dense inverse Hessian, checked against SciPy's BFGS and known minima."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize, rosen

from physnn.train import fit
from physnn.train.bfgs import BFGS, SSBFGS
from physnn.train.optimizers import make_optimizer, needs_closure


def _rosen_torch(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _closure(opt, fn, x):
    """The closure BFGS needs: zero the gradient, f = fn(x), backward, return f."""

    def closure():
        opt.zero_grad()
        f = fn(x)
        f.backward()
        return f

    return closure


def test_rosenbrock_minimum_found_like_scipy():
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    ref = minimize(rosen, x0, method="BFGS", options={"gtol": 1e-10})
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = BFGS([x], max_iter=200)

    closure = _closure(opt, _rosen_torch, x)

    for _ in range(3):
        opt.step(closure)
    assert np.allclose(x.detach().numpy(), np.ones(4), atol=1e-6)  # the known minimum
    assert np.allclose(x.detach().numpy(), ref.x, atol=1e-4)
    assert float(_rosen_torch(x.detach())) < 1e-12


def test_inverse_hessian_approaches_the_true_one_on_a_quadratic():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(5, 5, generator=g, dtype=torch.float64)
    A = M @ M.T + 5 * torch.eye(5, dtype=torch.float64)
    x = torch.ones(5, dtype=torch.float64, requires_grad=True)
    opt = BFGS([x], max_iter=40)

    closure = _closure(opt, lambda v: 0.5 * v @ A @ v, x)

    opt.step(closure)
    assert x.detach().abs().max() < 1e-12  # superlinear convergence to the minimum at 0
    H = opt.state[x]["H"]
    err = (H - torch.linalg.inv(A)).abs().max() / torch.linalg.inv(A).abs().max()
    assert err < 1e-2  # the curvature pairs rebuild the true inverse Hessian


def test_registry_and_loop_use_it_with_a_closure():
    w = torch.nn.Parameter(torch.zeros(3))
    assert needs_closure("bfgs") and needs_closure(make_optimizer("bfgs", [w], lr=1.0))
    X = torch.randn(200, 3, generator=torch.Generator().manual_seed(1))
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.25
    model = torch.nn.Linear(3, 1)
    h = fit(model, (X, y), optimizer="bfgs", lr=1.0, epochs=3, batch_size=None, progress=False,
            optimizer_options={"max_iter": 20})
    assert h["loss"][-1] < 1e-10  # least squares solved exactly
    assert torch.allclose(model.bias.detach(), torch.tensor([0.25]), atol=1e-5)


def test_too_many_parameters_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match="Use 'lbfgs'"):
        BFGS([torch.nn.Parameter(torch.zeros(30000))])


def _bfgs_update(H, s, y):
    rho = 1.0 / float(y @ s)
    eye = torch.eye(len(s), dtype=s.dtype)
    return (eye - rho * torch.outer(s, y)) @ H @ (eye - rho * torch.outer(y, s)) + rho * torch.outer(s, s)


def test_self_scaled_update_matches_the_formula_by_hand():
    # an ill-conditioned quadratic: after the first (scaled-identity) H, the model curvature
    # along the second step exceeds the true one (b > 1), so the self-scaling acts
    A = torch.diag(torch.tensor([1.0, 10.0, 100.0, 1000.0], dtype=torch.float64))
    x = torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = SSBFGS([x], max_iter=1)

    closure = _closure(opt, lambda v: 0.5 * v @ A @ v, x)

    xs, gs, Hs, scales = [x.detach().clone()], [(A @ x).detach()], [], []
    for _ in range(3):
        opt.step(closure)
        xs.append(x.detach().clone())
        gs.append((A @ x).detach())
        Hs.append(opt.state[x]["H"].clone())
        scales.append(opt.state[x].get("last_scale"))
    # step 2 used H1: b = sᵀ B1 s / yᵀ s with B1 = H1⁻¹, then H2 = BFGS(H1 · max(1, b))
    for k in (1, 2):
        s, y = xs[k + 1] - xs[k], gs[k + 1] - gs[k]
        b = float(s @ torch.linalg.solve(Hs[k - 1], s)) / float(y @ s)
        want = _bfgs_update(Hs[k - 1] * max(1.0, b), s, y)
        assert torch.allclose(Hs[k], want, rtol=1e-10, atol=1e-14)
        if k == 1:
            assert b > 1.5  # the scaling is exercised, not only the plain update
            assert scales[1] == pytest.approx(b, rel=1e-10)
    # plain BFGS from the same start gives a different H2 (the option does something)
    x2 = torch.tensor([1.0, 1.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    plain = BFGS([x2], max_iter=1)

    closure2 = _closure(plain, lambda v: 0.5 * v @ A @ v, x2)

    for _ in range(2):
        plain.step(closure2)
    assert not torch.allclose(plain.state[x2]["H"], Hs[1])


def test_self_scaled_bfgs_finds_the_rosenbrock_minimum_and_is_registered():
    x = torch.tensor([-1.2, 1.0, -0.5, 0.8], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer("ssbfgs", [x], lr=1.0, max_iter=300)
    assert isinstance(opt, SSBFGS) and needs_closure("ssbfgs") and needs_closure(opt)

    closure = _closure(opt, _rosen_torch, x)

    opt.step(closure)
    assert np.allclose(x.detach().numpy(), np.ones(4), atol=1e-6)
    with pytest.raises(ValueError, match="self_scaling"):
        BFGS([x], self_scaling="yes")


def test_initial_inverse_hessian_is_used_and_checked():
    A = torch.diag(torch.tensor([1.0, 10.0, 100.0], dtype=torch.float64))
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    # given the exact inverse Hessian, the first quasi-Newton step lands on the minimum of a quadratic
    opt = BFGS([x], max_iter=1, initial_inverse_hessian=torch.linalg.inv(A))

    closure = _closure(opt, lambda v: 0.5 * v @ A @ v, x)

    opt.step(closure)
    assert x.detach().abs().max() < 1e-12
    with pytest.raises(ValueError, match="3×3"):
        BFGS([x], initial_inverse_hessian=torch.eye(2))
    with pytest.raises(ValueError, match="NaN"):
        BFGS([x], initial_inverse_hessian=torch.full((3, 3), float("nan")))


def test_float32_parameters_get_a_float64_inverse_hessian():
    x = torch.tensor([-1.2, 1.0], requires_grad=True)  # float32
    opt = SSBFGS([x], max_iter=100)

    closure = _closure(opt, _rosen_torch, x)

    opt.step(closure)
    assert opt.state[x]["H"].dtype == torch.float64 and x.dtype == torch.float32
    assert np.allclose(x.detach().numpy(), np.ones(2), atol=1e-3)
