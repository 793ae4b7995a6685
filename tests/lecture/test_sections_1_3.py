"""Lecture sections 1-3: the neuron, the perceptron and XOR, activation functions.

Each section runs once in quick mode (module-scoped fixtures); the tests read
its measured figures of merit from ``result.data`` and ``result.check(...)``.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

from physnn.lecture import activations, neuron, perceptron
from physnn.lecture.base import SectionResult, png_size

MODULES = {1: neuron, 2: perceptron, 3: activations}


@pytest.fixture(scope="module")
def results() -> dict[int, SectionResult]:
    return {n: mod.run(quick=True, seed=0) for n, mod in MODULES.items()}


# ----------------------------------------------------------------------------- every section


@pytest.mark.parametrize("number", sorted(MODULES))
def test_section_shape(results, number):
    mod, res = MODULES[number], results[number]
    assert res.number == mod.NUMBER == number
    assert res.title == mod.TITLE and res.title
    assert res.claim and res.text and res.code
    assert res.figures, "every section shows at least one figure"
    for fig in res.figures:
        assert min(png_size(fig.png)) >= 300  # a real figure: PNG header and pixel size, not fonts' bytes
        assert fig.name.endswith(".png") and fig.caption
    assert len({f.name for f in res.figures}) == len(res.figures)
    assert res.checks and all(c.claim and c.expected and c.measured for c in res.checks)
    # claims that hold by construction or by mathematics must pass on any machine; the claims about what
    # training finds (TRAINED) are reported as measured and tested as properties below, not as one trajectory
    exact = [c for c in res.checks if not any(k in c.claim for k in TRAINED.get(number, ()))]
    assert exact and all(c.passed for c in exact), [(c.claim, c.measured) for c in exact if not c.passed]


#: checks whose verdict depends on where gradient descent ends (per section, by a phrase of the claim)
TRAINED = {2: ("2-4-1", "2-2-1")}


@pytest.mark.parametrize("number", sorted(MODULES))
def test_same_seed_same_numbers(results, number):
    again = MODULES[number].run(quick=True, seed=0)
    assert again.data == results[number].data
    assert [c.measured for c in again.checks] == [c.measured for c in results[number].checks]


@pytest.mark.parametrize("number", sorted(MODULES))
def test_code_excerpt_runs(number):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(MODULES[number].CODE, f"<section {number} code>", "exec"), {})
    assert out.getvalue().strip()


# ----------------------------------------------------------------------------- 1. neuron


def test_neuron_decision_line_at_minus_b_over_norm_w(results):
    d = results[1].data
    assert d["max_line_error"] < 1e-4
    np.testing.assert_allclose(d["measured_distance"], d["expected_distance"], atol=1e-4)
    norm_w = math.hypot(*d["weights"])
    assert d["expected_distance"] == pytest.approx([-b / norm_w for b in d["biases"]])
    assert results[1].check("distance −b/‖w‖").value == d["max_line_error"]


def test_neuron_output_is_sigmoid_by_hand(results):
    assert results[1].data["max_hand_error"] < 1e-6


def test_neuron_root_finder_measures_the_model():
    # the measurement reads the model: a different bias moves the root, no formula involved
    n = neuron._neuron((3.0, 4.0), -2.5)
    t = neuron._root_along(n, np.zeros(2), np.array([0.6, 0.8]))
    assert t == pytest.approx(0.5, abs=1e-5)
    # no crossing in the bracket -> NaN, which fails the check instead of passing silently
    assert math.isnan(neuron._root_along(neuron._neuron((1.0, 0.0), 50.0), np.zeros(2), np.array([1.0, 0.0]),
                                         lo=-1.0, hi=1.0))


# ----------------------------------------------------------------------------- 2. perceptron and XOR


def test_perceptron_learns_and_or(results):
    p = results[2].data["perceptron"]
    for gate in ("AND", "OR"):
        assert p[gate]["all_converged"] and p[gate]["min_final_correct"] == 4
        assert max(p[gate]["epochs"]) < 20
    assert results[2].check("learns AND").passed and results[2].check("learns OR").passed


def test_perceptron_fails_on_xor(results):
    p = results[2].data["perceptron"]["XOR"]
    assert p["best_correct"] <= 3 and p["n_converged"] == 0
    assert results[2].check("fails on XOR").value <= 3


def test_single_sigmoid_layer_fails_on_xor(results):
    d = results[2].data
    assert "4x1 and 2x1" in d["lecture_input_error"]
    for epochs in (100, d["long_epochs"]):
        assert d["single_layer"][epochs]["correct"] <= 3
    long = d["single_layer"][d["long_epochs"]]
    # longer training drives it to p = 0.5 everywhere, loss ln 2, not towards a solution
    assert long["final_loss"] == pytest.approx(math.log(2), abs=2e-3)
    assert max(abs(p - 0.5) for p in long["prob"]) < 0.01
    assert long["w_norm"] < d["single_layer"][100]["w_norm"]


def test_mlps_learn_xor(results):
    mlp = results[2].data["mlp"]
    for width, key in ((4, "2-4-1"), (2, "2-2-1")):
        m = mlp[width]
        # what is counted is what was measured: a seed "solves" XOR when it gets 4 of 4
        assert m["n_solved"] == sum(c == 4 for c in m["correct"])
        assert all(0 <= c <= 4 for c in m["correct"]) and len(m["correct"]) == len(m["seeds"])
        c = results[2].check(key)
        assert c.passed == (m["correct"][m["seeds"].index(0)] == 4 if width == 4 else m["n_solved"] >= 1)
    # a hidden layer is what makes XOR learnable: the wide MLP solves it on at least one seed, which the
    # single layer never can (tested above); the exact count of seeds depends on the machine's rounding
    assert mlp[4]["n_solved"] >= 1


# ----------------------------------------------------------------------------- 3. activations


def test_numpy_derivatives_match_autograd(results):
    d = results[3].data
    assert d["max_f_error"] < 1e-10 and d["max_df_error"] < 1e-10
    assert set(d["derivative_errors"]) >= {"sigmoid", "tanh", "relu", "leaky_relu", "gelu"}


def test_sigmoid_gradient_vanishes_relu_does_not(results):
    d = results[3].data
    first, ratio = d["first_layer"], d["first_over_output"]
    # gradients at initialisation, no training: the weights come from torch's seeded CPU generator (the
    # same numbers on every machine) and one backward pass differs between CPUs by rounding only
    # (~1e-7 relative), far inside these bounds, which have margins of 2x or more
    assert first["sigmoid, Xavier"] * 1e3 < first["ReLU, Kaiming"]
    assert d["sigmoid_vs_relu_first_layer"] > 1e4  # theory: about 4^-10 ≈ 1e-6
    assert 3.0 < d["sigmoid_factor_per_layer"] < 5.0  # σ' ≤ 1/4 at every layer
    assert ratio["ReLU, Kaiming"] > 0.1
    assert ratio["tanh, PyTorch default"] < 0.1
    assert ratio["tanh, Xavier"] > 0.1  # the honest nuance reported in the text
    assert results[3].check("plague sigmoid").passed


def test_gradient_norms_are_per_layer_and_positive(results):
    for norms in results[3].data["grad_norms"].values():
        assert len(norms) == activations.DEPTH + 1
        assert all(v > 0 and math.isfinite(v) for v in norms)


def test_batched_per_example_gradient_norms_match_autograd():
    import torch

    from physnn.nn import MLP

    batched = activations.layer_gradient_norms("tanh", "torch", seeds=[3], samples=5, depth=3, width=8)
    model = MLP(8, [8] * 3, 1, activation="tanh", init="torch", seed=3)
    gen = torch.Generator().manual_seed(10_000 + 3)
    X, Y = torch.randn(5, 8, generator=gen), torch.randn(5, 1, generator=gen)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    loop = []
    for i in range(5):
        loss = torch.nn.functional.mse_loss(model(X[i:i + 1]), Y[i:i + 1])
        loop.append([float(g.norm()) for g in torch.autograd.grad(loss, [m.weight for m in linears])])
    np.testing.assert_allclose(batched, np.mean(loop, axis=0), rtol=1e-5)
