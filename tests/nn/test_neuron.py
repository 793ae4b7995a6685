"""Neuron (y = f(w.x + b)) and Rosenblatt's Perceptron."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn import Neuron, Perceptron

X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


# ----------------------------------------------------------------------------- Neuron


def test_neuron_parameters_and_shape():
    n = Neuron(5)
    assert sum(p.numel() for p in n.parameters()) == 6
    assert sum(p.numel() for p in Neuron(5, bias=False).parameters()) == 5
    assert n(torch.randn(7, 5)).shape == (7, 1)
    assert isinstance(n.activation, nn.Sigmoid)


def test_neuron_computes_weighted_sum_through_activation():
    torch.manual_seed(0)
    x = torch.randn(10, 3)
    for act, f in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu), ("identity", lambda z: z)]:
        n = Neuron(3, act)
        with torch.no_grad():
            n.linear.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
            n.linear.bias.fill_(0.25)
        z = 0.5 * x[:, 0] - 1.0 * x[:, 1] + 2.0 * x[:, 2] + 0.25
        torch.testing.assert_close(n(x)[:, 0], f(z))


def test_neuron_gradient_is_the_chain_rule():
    n = Neuron(2, "sigmoid")
    with torch.no_grad():
        n.linear.weight.copy_(torch.tensor([[1.0, -2.0]]))
        n.linear.bias.fill_(0.5)
    x = torch.tensor([[1.0, 1.0]])
    n(x).sum().backward()
    s = torch.sigmoid(torch.tensor(1.0 - 2.0 + 0.5))
    ds = s * (1 - s)
    torch.testing.assert_close(n.linear.weight.grad, torch.tensor([[ds, ds]]))
    torch.testing.assert_close(n.linear.bias.grad, torch.tensor([ds]))


def test_neuron_shape_errors_name_both_numbers():
    n = Neuron(4)
    with pytest.raises(PhysnnError) as info:
        n(torch.zeros(3, 7))
    assert "7 features" in str(info.value) and "4 are expected" in str(info.value)
    assert "Neuron" in str(info.value)
    with pytest.raises(PhysnnError, match=r"reshape\(1, -1\)"):
        n(torch.zeros(4))
    with pytest.raises(PhysnnError, match="'n_in' must be an integer >= 1"):
        Neuron(0)
    with pytest.raises(PhysnnError, match="did you mean|Did you mean"):
        Neuron(2, "sigmiod")


def test_neuron_repr():
    assert "n_in=3, activation='tanh'" in repr(Neuron(3, "tanh"))


# ----------------------------------------------------------------------------- Perceptron


@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
@pytest.mark.parametrize("seed", [0, 1, 2, 7])
@pytest.mark.parametrize("lr", [0.1, 1.0])
def test_perceptron_learns_linearly_separable_gates(y, seed, lr):
    p = Perceptron(lr=lr, seed=seed).fit(X4, y)
    assert p.converged_ is True
    assert p.errors_[-1] == 0 and all(e > 0 for e in p.errors_[:-1])
    assert p.n_epochs_ == len(p.errors_) <= 100
    np.testing.assert_array_equal(p.predict(X4), y)
    assert p.score(X4, y) == 1.0
    # the learned line separates the classes: positive decision exactly for class 1
    np.testing.assert_array_equal(p.decision_function(X4) > 0, y == 1)


def test_perceptron_fails_on_xor():
    for seed in range(12):
        for lr in (0.01, 0.1, 1.0, 10.0):
            for shuffle in (True, False):
                p = Perceptron(lr=lr, seed=seed, max_epochs=30, shuffle=shuffle).fit(X4, XOR)
                assert p.converged_ is False
                assert p.n_epochs_ == 30 and len(p.errors_) == 30
                assert min(p.errors_) >= 1
                assert (p.predict(X4) == XOR).sum() <= 3
                assert p.score(X4, XOR) <= 0.75


def test_perceptron_update_rule_by_hand():
    # no shuffle, zero start: sample 0 = (1, 2) with y=1 is misclassified (0 > 0 is False)
    X = np.array([[1.0, 2.0], [-1.0, -1.0]])
    y = np.array([1, 0])
    p = Perceptron(lr=0.5, shuffle=False, max_epochs=1).fit(X, y)
    # epoch 1: x0 -> w = 0.5*(1)*(1, 2) = (0.5, 1), b = 0.5 ; x1: 0.5*-1 + 1*-1 + 0.5 = -1 -> 0, correct
    np.testing.assert_allclose(p.weights_, [0.5, 1.0])
    assert p.bias_ == 0.5
    assert p.errors_ == [1]
    assert p.converged_ is False  # one epoch with a mistake, no clean epoch yet
    p2 = Perceptron(lr=0.5, shuffle=False, max_epochs=5).fit(X, y)
    assert p2.errors_ == [1, 0] and p2.converged_ and p2.n_epochs_ == 2


def test_perceptron_converges_on_separable_random_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    w_true = np.array([1.0, -2.0, 0.5])
    margin = X @ w_true + 0.3
    keep = np.abs(margin) > 0.2
    X, y = X[keep], (margin[keep] > 0).astype(int)
    p = Perceptron(max_epochs=1000, seed=1).fit(X, y)
    assert p.converged_ and p.score(X, y) == 1.0


def test_perceptron_is_deterministic_given_seed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    y = (X[:, 0] + 0.1 * rng.normal(size=50) > 0).astype(int)  # noisy: order matters
    a = Perceptron(seed=5, max_epochs=20).fit(X, y)
    b = Perceptron(seed=5, max_epochs=20).fit(X, y)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    assert a.bias_ == b.bias_ and a.errors_ == b.errors_
    c = Perceptron(seed=6, max_epochs=20).fit(X, y)
    assert c.errors_ != a.errors_ or not np.array_equal(c.weights_, a.weights_)


def test_perceptron_accepts_torch_and_lists():
    p = Perceptron().fit(torch.tensor(X4, dtype=torch.float32), torch.tensor(AND).reshape(-1, 1))
    assert isinstance(p.weights_, np.ndarray) and p.weights_.shape == (2,)
    assert isinstance(p.bias_, float)
    pred = p.predict(X4.tolist())
    assert pred.dtype == np.int64 and pred.tolist() == AND.tolist()
    assert Perceptron().fit(X4, AND.astype(bool)).score(X4, AND) == 1.0
    assert p.decision_function(X4).shape == (4,)


def test_perceptron_validation_messages():
    with pytest.raises(PhysnnError) as info:
        Perceptron().fit(X4, [-1, 1, 1, -1])
    msg = str(info.value)
    assert "-1" in msg and "0/1" in msg and "Perceptron.fit" in msg
    with pytest.raises(PhysnnError, match="got 2, 3"):
        Perceptron().fit(X4, [0, 2, 3, 1])
    with pytest.raises(PhysnnError, match="'X' has 4 rows but 'y' has 3"):
        Perceptron().fit(X4, [0, 1, 1])
    with pytest.raises(PhysnnError, match="2-D"):
        Perceptron().fit([1.0, 2.0], [0, 1])
    with pytest.raises(PhysnnError, match="NaN"):
        Perceptron().fit([[0.0, np.nan], [1.0, 1.0]], [0, 1])
    with pytest.raises(PhysnnError, match="not fitted yet; call fit"):
        Perceptron().predict(X4)
    p = Perceptron().fit(X4, AND)
    with pytest.raises(PhysnnError, match="3 features .* 2 are expected"):
        p.predict(np.zeros((2, 3)))
    with pytest.raises(PhysnnError, match=r"'lr' must be a number in \(0, inf\)"):
        Perceptron(lr=0)
    with pytest.raises(PhysnnError, match="'max_epochs' must be an integer >= 1"):
        Perceptron(max_epochs=0)


def test_perceptron_params_and_repr():
    p = Perceptron(lr=0.5, max_epochs=10, shuffle=False, seed=3)
    assert p.get_params() == {"lr": 0.5, "max_epochs": 10, "shuffle": False, "seed": 3}
    assert repr(p) == "Perceptron(lr=0.5, max_epochs=10, shuffle=False, seed=3)"
    assert not hasattr(p, "weights_")  # __init__ only stores
