"""BFGS with a dense inverse Hessian, checked against SciPy's BFGS and known minima."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize, rosen

from physnn.train import fit
from physnn.train.bfgs import BFGS
from physnn.train.optimizers import make_optimizer, needs_closure


def _rosen_torch(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def test_rosenbrock_minimum_found_like_scipy():
    x0 = np.array([-1.2, 1.0, -0.5, 0.8])
    ref = minimize(rosen, x0, method="BFGS", options={"gtol": 1e-10})
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = BFGS([x], max_iter=200)

    def closure():
        opt.zero_grad()
        f = _rosen_torch(x)
        f.backward()
        return f

    for _ in range(3):
        opt.step(closure)
    assert np.allclose(x.detach().numpy(), np.ones(4), atol=1e-6)  # the known minimum
    assert np.allclose(x.detach().numpy(), ref.x, atol=1e-4)
    assert float(_rosen_torch(x)) < 1e-12


def test_inverse_hessian_approaches_the_true_one_on_a_quadratic():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(5, 5, generator=g, dtype=torch.float64)
    A = M @ M.T + 5 * torch.eye(5, dtype=torch.float64)
    x = torch.ones(5, dtype=torch.float64, requires_grad=True)
    opt = BFGS([x], max_iter=40)

    def closure():
        opt.zero_grad()
        f = 0.5 * x @ A @ x
        f.backward()
        return f

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
