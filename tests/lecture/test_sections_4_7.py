"""Lecture sections 4-7: learning rate, backpropagation, the training loop, SimpleNet.

Each section runs once in quick mode (module-scoped fixture); the tests read
its measured figures of merit from ``result.data`` and ``result.check(...)``,
and check that the helpers behind each check can also fail.
"""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.lecture import backprop, learning_rate, simplenet, training_loop
from physnn.lecture.base import SectionResult, png_size

MODULES = {4: learning_rate, 5: backprop, 6: training_loop, 7: simplenet}


@pytest.fixture(scope="module")
def results() -> dict[int, SectionResult]:
    return {n: mod.run(quick=True, seed=0) for n, mod in MODULES.items()}


# ----------------------------------------------------------------------------- every section


@pytest.mark.parametrize("number", sorted(MODULES))
def test_section_shape(results, number):
    mod, res = MODULES[number], results[number]
    assert res.number == mod.NUMBER == number
    assert res.title == mod.TITLE and res.title
    assert res.claim and res.text and res.code == mod.CODE and res.output
    assert res.figures
    for fig in res.figures:
        assert min(png_size(fig.png)) >= 300  # a real figure: PNG header and pixel size, not fonts' bytes
        assert fig.name.endswith(".png") and fig.caption
    assert res.tables and all(t.startswith("|") for t in res.tables)
    assert res.checks and all(c.claim and c.expected and c.measured for c in res.checks)
    # plain Python types: the report writes them to JSON
    assert all(type(c.passed) is bool and (c.value is None or type(c.value) is float) for c in res.checks)
    # claims that hold by construction or mathematics (exact gradients, parameter counts, a convex
    # least-squares problem, the printed lines) must pass on any machine; the claims about the shape
    # of a trained loss curve or a trained network's R² are tested as properties in their own tests
    exact = [c for c in res.checks if not any(k in c.claim for k in TRAINED.get(number, ()))]
    assert exact and all(c.passed for c in exact), [(c.claim, c.measured) for c in exact if not c.passed]


#: checks whose verdict depends on where stochastic training ends (per section, by a phrase of the claim)
TRAINED = {6: ("decreases in early", "exponentially", "plateauing", "typically"),
           7: ("learns the task", "struggles")}


@pytest.mark.parametrize("number", sorted(MODULES))
def test_same_seed_same_numbers(results, number):
    again = MODULES[number].run(quick=True, seed=0)
    assert again.data == results[number].data
    assert [c.measured for c in again.checks] == [c.measured for c in results[number].checks]
    assert again.output == results[number].output


@pytest.mark.parametrize("number", [4, 5, 6])
def test_code_excerpt_runs(number):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(MODULES[number].CODE, f"<section {number} code>", "exec"), {})
    assert out.getvalue().strip() or number == 6


# ----------------------------------------------------------------------------- 4. learning rate


def test_learning_rate_figures_of_merit(results):
    d = results[4].data
    large = d["runs"]["too large"]
    assert large["stop_reason"] == "nan_loss" and large["exception"] is None
    assert "diverged" in large["message"].lower()
    assert d["runs"]["right"]["stop_reason"] == "completed"
    assert d["ratio_small_right"] >= 10
    assert abs(d["rel_deviation"]) < 0.03
    assert results[4].check("2/λ_max").passed
    # the sweep sees both sides of the threshold
    div = [s["diverged"] for s in d["sweep"]]
    assert any(div) and not all(div)
    assert all(s["lr"] > d["eta_theory"] for s in d["sweep"] if s["diverged"])


def test_learning_rate_theory_and_divergence_test_can_fail():
    X, y = learning_rate.regression_problem(seed=0)
    H = learning_rate.hessian(X)
    assert H.shape == (3, 3) and np.allclose(H, H.T)
    eta = learning_rate.divergence_threshold(X)
    h_ok, err = learning_rate._train(X, y, 0.9 * eta, 200, 0)
    h_bad, _ = learning_rate._train(X, y, 1.1 * eta, 200, 0)
    assert err is None and not learning_rate._diverged(h_ok)
    assert learning_rate._diverged(h_bad)


# ----------------------------------------------------------------------------- 5. backprop


def test_backprop_figures_of_merit(results):
    d = results[5].data
    assert d["max_rel_autograd"] < 1e-7
    assert d["max_rel_finite_diff"] < 1e-7
    assert d["gradcheck_max_rel"] < 1e-7
    assert len(d["rel_autograd"]) == 6  # W and b of three layers
    assert max(d["rel_bug"]) > 1e-2  # the planted bug is caught
    assert d["loss_numpy"] == pytest.approx(d["loss_torch"], rel=1e-12)
    assert results[5].check("vanishing").passed


@pytest.mark.parametrize("act", ["relu", "sigmoid", "gelu", "leaky_relu"])
def test_numpy_backprop_matches_autograd(act):
    from physnn.nn import MLP

    model = MLP(4, [6, 5], 3, activation=act, out_activation="tanh", seed=1).double()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(9, 4)), rng.normal(size=(9, 3))
    layers = backprop.layers_from_torch(model)
    assert [l.activation for l in layers] == [act, act, "tanh"]
    yhat, cache = backprop.numpy_forward(layers, x)
    grads, deltas = backprop.numpy_backward(layers, cache, y)
    xt = torch.as_tensor(x)
    np.testing.assert_allclose(yhat, model(xt).detach().numpy(), rtol=1e-12, atol=1e-14)
    torch.nn.functional.mse_loss(model(xt), torch.as_tensor(y)).backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for g, m in zip(grads, linears):
        assert backprop.relative_error(g.dW, m.weight.grad.numpy()) < 1e-12
        assert backprop.relative_error(g.db, m.bias.grad.numpy()) < 1e-12
    assert [dl.shape for dl in deltas] == [(6, 9), (5, 9), (3, 9)]


def test_numpy_backprop_bad_inputs():
    from physnn.nn import MLP

    layers = backprop.layers_from_torch(MLP(3, [4], 2, seed=0))
    with pytest.raises(PhysnnError, match="features"):
        backprop.numpy_forward(layers, np.zeros((5, 4)))
    _, cache = backprop.numpy_forward(layers, np.zeros((5, 3)))
    with pytest.raises(PhysnnError, match=r"\(5, 1\).*\(5, 2\)"):
        backprop.numpy_backward(layers, cache, np.zeros((5, 1)))
    with pytest.raises(PhysnnError, match="no NumPy derivative"):
        backprop.layers_from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1)))


# ----------------------------------------------------------------------------- 6. training loop


def test_training_loop_prints_the_lecture_lines(results):
    res = results[6]
    d = res.data
    lines = res.output.splitlines()
    expected = [f"Epoch {e}: Loss = {d['loss'][e]:.4f}" for e in (0, 50, 100, 150)]
    assert lines[:4] == expected == d["lecture_loop_lines"]
    assert all(re.fullmatch(r"Epoch \d+: Loss = \d+\.\d{4}", s) for s in lines[:5])
    assert lines[4].startswith("Epoch 199: Loss = ") and lines[5].startswith("Finished 200 epochs")
    assert d["lecture_loop_max_rel_diff"] < 1e-5
    assert len(d["loss"]) == 200 and d["stop_reason"] == "completed"


def test_training_loop_curve_shape(results):
    d = results[6].data
    s = d["shape"]
    assert s["early_fraction"] >= 0.5 and s["exp_r2"] >= 0.95 and s["plateau_ratio"] <= 0.1
    assert d["loss_after_more"] < d["loss"][-1]  # the plateau is slow progress, not yet a minimum
    assert d["n_typical"] >= 2 * d["n_seeds"] / 3


def test_curve_shape_can_fail():
    t = np.arange(200.0)
    linear = 1.0 - 0.004 * t  # a steady decrease: no early drop, no plateau
    s = training_loop.curve_shape(linear)
    assert s["lecture_shape"] == 0.0 and s["plateau_ratio"] > 0.5
    good = training_loop.curve_shape(0.05 + np.exp(-t / 4.0))
    assert good["lecture_shape"] == 1.0 and good["tau"] == pytest.approx(4.0, rel=0.05)


# ----------------------------------------------------------------------------- 7. SimpleNet


def test_simplenet_counts_and_baselines(results):
    res = results[7]
    d = res.data
    assert d["layer_counts"] == [("layers.0", 704), ("layers.2", 2080), ("layers.4", 33)]
    assert d["total_params"] == d["summary_total"] == 2817
    assert "Total parameters: 2817" in res.output and "(4): Linear(in_features=32, out_features=1" in res.output
    assert res.check("Total: 2,817").passed
    assert d["val_r2"] >= d["r2_threshold"] >= 0.75
    assert d["val_mse"] < 0.25 * d["mean_mse"]
    assert d["val_r2"] - d["linear_r2"] >= 0.2
    assert abs(d["mean_r2"]) < 0.05


def test_simplenet_counts_are_measured_not_copied():
    from torch import nn

    wider = nn.Sequential(nn.Linear(10, 65), nn.ReLU(), nn.Linear(65, 32), nn.ReLU(), nn.Linear(32, 1))
    assert [c for _, c in simplenet.layer_parameter_counts(wider)] == [715, 2112, 33]
