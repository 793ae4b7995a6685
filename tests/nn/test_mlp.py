"""MLP from a spec, SimpleNet, initialisation, configs."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn import MLP, SimpleNet, build_model, model_config, parse_spec


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def layer_types(model: nn.Module) -> list[str]:
    return [type(m).__name__ for m in model]


# ----------------------------------------------------------------------------- spec strings


def test_parse_spec():
    assert parse_spec("10-64-32-1") == [10, 64, 32, 1]
    assert parse_spec(" 4 - 1 ") == [4, 1]


@pytest.mark.parametrize("bad", ["10--3", "a-b", "10", "", "10-0-1", "10-64-", "-10-1", "10-6.5-1", "10,64,1"])
def test_parse_spec_rejects_bad_strings(bad):
    with pytest.raises(PhysnnError) as info:
        parse_spec(bad)
    msg = str(info.value)
    assert repr(bad) in msg and "'n_in-h1-...-n_out'" in msg and "'10-64-32-1'" in msg


def test_parse_spec_rejects_non_strings():
    with pytest.raises(PhysnnError, match="got 10"):
        parse_spec(10)


# ----------------------------------------------------------------------------- structure


def test_lecture_architecture_from_spec():
    m = MLP.from_spec("10-64-32-1")
    assert isinstance(m, nn.Sequential)
    assert layer_types(m) == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [p.numel() for p in m.parameters()] == [640, 64, 2048, 32, 32, 1]
    assert n_params(m) == 2817 == n_params(SimpleNet())
    assert m.spec == "10-64-32-1"
    assert (m.n_in, m.hidden, m.n_out) == (10, (64, 32), 1)
    assert m(torch.zeros(8, 10)).shape == (8, 1)


def test_no_hidden_layer_is_a_linear_model():
    m = MLP(4, [], 3)
    assert layer_types(m) == ["Linear"]
    assert n_params(m) == 4 * 3 + 3
    assert m.spec == "4-3"
    logistic = MLP(4, (), 1, out_activation="sigmoid")
    assert layer_types(logistic) == ["Linear", "Sigmoid"]
    out = logistic(torch.randn(5, 4))
    assert ((out > 0) & (out < 1)).all()
    assert MLP.from_spec("4-1").hidden == ()


def test_hidden_forms():
    import numpy as np

    assert MLP(3, 16, 2).hidden == (16,)
    assert MLP(3, np.array([8, 4]), 2).hidden == (8, 4)
    assert MLP(3, (n for n in (5,)), 2).hidden == (5,)
    with pytest.raises(PhysnnError, match="'hidden\\[0\\]' must be an integer >= 1; got None"):
        MLP(3, None, 2)


def test_slicing_gives_a_plain_sequential():
    m = MLP.from_spec("10-64-32-1")
    body = m[:-1]
    assert type(body) is nn.Sequential and len(body) == 4 and body[0] is m[0]
    assert body(torch.zeros(2, 10)).shape == (2, 32)
    assert isinstance(m[-1], nn.Linear) and m[-1].out_features == 1


def test_dropout_and_per_layer_activation():
    m = MLP(2, [8, 8, 4], 3, activation=["tanh", "relu", "gelu"], dropout=[0.1, 0.0, 0.5])
    assert layer_types(m) == ["Linear", "Tanh", "Dropout", "Linear", "ReLU", "Linear", "GELU", "Dropout", "Linear"]
    assert [d.p for d in m if isinstance(d, nn.Dropout)] == [0.1, 0.5]
    assert m.activation == ("tanh", "relu", "gelu")
    assert m.dropout == (0.1, 0.0, 0.5)
    single = MLP(2, [8, 8], 1, activation="tanh", dropout=0.2)
    assert layer_types(single) == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert single.activation == "tanh" and single.dropout == 0.2
    # dropout acts in train mode only
    x = torch.ones(200, 2)
    single.eval()
    torch.testing.assert_close(single(x), single(x))
    single.train()
    assert not torch.equal(single(x), single(x))


def test_activation_modules_are_copied_per_layer():
    m = MLP(2, [4, 4], 1, activation=nn.LeakyReLU(0.2))
    acts = [mod for mod in m if isinstance(mod, nn.LeakyReLU)]
    assert len(acts) == 2 and acts[0] is not acts[1] and acts[0].negative_slope == 0.2
    assert MLP(2, [4], 1, activation=nn.ReLU).activation == "relu"
    # a module kept as config is not registered as an extra layer
    m = MLP(2, [4], 1, activation=nn.Hardtanh(), out_activation=nn.Hardtanh())
    assert layer_types(m) == ["Linear", "Hardtanh", "Linear", "Hardtanh"]
    assert n_params(m) == 2 * 4 + 4 + 4 + 1


def test_out_activation_identity_means_none():
    assert layer_types(MLP(3, [4], 2, out_activation="identity")) == ["Linear", "ReLU", "Linear"]
    assert MLP(3, [4], 2, out_activation="identity").out_activation is None
    assert layer_types(MLP(3, [4], 2, out_activation="tanh"))[-1] == "Tanh"


def test_validation_errors():
    with pytest.raises(PhysnnError, match="MLP: 'n_in' must be an integer >= 1; got 0"):
        MLP(0, [4], 1)
    with pytest.raises(PhysnnError, match="'hidden\\[1\\]' must be an integer >= 1; got -3"):
        MLP(2, [4, -3], 1)
    with pytest.raises(PhysnnError, match="'n_out'"):
        MLP(2, [4], 2.5)
    with pytest.raises(PhysnnError, match="MLP.from_spec"):
        MLP(2, "64-32", 1)
    with pytest.raises(PhysnnError, match=r"'dropout' must be a number in \[0, 1\); got 1.0"):
        MLP(2, [4], 1, dropout=1.0)
    with pytest.raises(PhysnnError, match=r"'dropout\[1\]'"):
        MLP(2, [4, 4], 1, dropout=[0.1, -0.1])
    with pytest.raises(PhysnnError, match="3 entries but 'hidden' has 2 layers"):
        MLP(2, [4, 4], 1, activation=["relu", "tanh", "relu"])
    with pytest.raises(PhysnnError, match="'dropout' is a per-layer list of 1 entries"):
        MLP(2, [4, 4], 1, dropout=[0.1])
    with pytest.raises(PhysnnError, match="Did you mean 'tanh'"):
        MLP(2, [4], 1, activation="tahn")
    with pytest.raises(PhysnnError, match="Did you mean 'tanh'"):
        MLP(2, [], 1, activation="tahn")  # checked even with no hidden layer
    with pytest.raises(PhysnnError, match="'init' must be one of 'auto', 'xavier', 'kaiming', 'torch'"):
        MLP(2, [4], 1, init="glorot")


# ----------------------------------------------------------------------------- initialisation


def _bounds(linear: nn.Linear) -> tuple[float, float]:
    fan_out, fan_in = linear.weight.shape
    return math.sqrt(6.0 / fan_in), math.sqrt(6.0 / (fan_in + fan_out))  # He, Glorot (uniform)


def test_auto_init_kaiming_for_relu_and_xavier_for_output():
    m = MLP(400, [300], 200, activation="relu", seed=0)
    hidden, out = m[0], m[2]
    he, _ = _bounds(hidden)
    w = hidden.weight
    assert w.abs().max() <= he and w.abs().max() > 0.99 * he
    assert w.std().item() == pytest.approx(he / math.sqrt(3), rel=0.02)
    _, glorot = _bounds(out)
    assert out.weight.abs().max() <= glorot and out.weight.abs().max() > 0.99 * glorot
    assert all((lin.bias == 0).all() for lin in (hidden, out))


def test_auto_init_xavier_for_tanh():
    m = MLP(400, [300], 1, activation="tanh", seed=0)
    _, glorot = _bounds(m[0])
    assert m[0].weight.abs().max() <= glorot and m[0].weight.abs().max() > 0.99 * glorot
    assert m[0].weight.std().item() == pytest.approx(glorot / math.sqrt(3), rel=0.02)


def test_leaky_relu_uses_its_slope_in_the_gain():
    m = MLP(400, [300], 1, activation="leaky_relu", seed=0)
    bound = math.sqrt(2.0 / (1 + 0.01**2)) * math.sqrt(3.0 / 400)
    assert m[0].weight.abs().max() <= bound and m[0].weight.abs().max() > 0.99 * bound


def test_explicit_inits():
    k = MLP(400, [300], 200, activation="tanh", init="kaiming", seed=0)
    assert k[0].weight.abs().max() > 0.99 * _bounds(k[0])[0]
    assert k[2].weight.abs().max() > 0.99 * _bounds(k[2])[0]  # output layer too
    x = MLP(400, [300], 200, activation="relu", init="xavier", seed=0)
    assert x[0].weight.abs().max() <= _bounds(x[0])[1]
    t = MLP(40, [30], 1, init="torch", seed=0)
    assert (t[0].bias != 0).all()  # PyTorch's default, untouched
    assert t[0].weight.abs().max() <= 1 / math.sqrt(40)
    c = MLP(3, [4], 2, init=lambda w: nn.init.constant_(w, 0.5))
    assert all((lin.weight == 0.5).all() and (lin.bias == 0).all() for lin in c if isinstance(lin, nn.Linear))


def test_seed_makes_init_reproducible_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = MLP(5, [7], 2, seed=4)
    after = torch.rand(1)
    assert torch.equal(before, after)  # the global state did not move
    b = MLP(5, [7], 2, seed=4)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    c = MLP(5, [7], 2, seed=5)
    assert not torch.equal(a[0].weight, c[0].weight)


# ----------------------------------------------------------------------------- config


def test_config_roundtrip_through_json():
    m = MLP(6, [16, 8], 2, activation=["tanh", "silu"], dropout=0.1, out_activation="sigmoid", bias=True, seed=3)
    cfg = json.loads(json.dumps(m.config()))
    assert cfg == {
        "n_in": 6, "hidden": [16, 8], "n_out": 2, "activation": ["tanh", "silu"], "dropout": 0.1,
        "out_activation": "sigmoid", "bias": True, "init": "auto", "seed": 3,
    }
    rebuilt = MLP(**cfg)
    assert repr(rebuilt) == repr(m)
    rebuilt.load_state_dict(m.state_dict())
    m.eval(), rebuilt.eval()
    x = torch.randn(4, 6)
    torch.testing.assert_close(rebuilt(x), m(x))


def test_config_without_bias_and_callable_init():
    m = MLP(3, [4], 1, bias=False, init=lambda w: nn.init.zeros_(w))
    cfg = m.config()
    assert "init" not in cfg and cfg["bias"] is False
    assert n_params(MLP(**cfg)) == 3 * 4 + 4 * 1


def test_config_refuses_unnamed_activation_modules():
    m = MLP(3, [4], 1, activation=nn.LeakyReLU(0.3))
    with pytest.raises(PhysnnError, match="cannot be saved by config"):
        m.config()


def test_build_model_and_model_config_are_inverse():
    for model in (MLP(3, [5, 5], 2, activation="elu", dropout=[0.0, 0.2]), MLP(3, [], 1), SimpleNet()):
        cfg = model_config(model)
        cfg = json.loads(json.dumps(cfg))
        rebuilt = build_model(cfg)
        assert type(rebuilt) is type(model)
        assert repr(rebuilt) == repr(model)
        rebuilt.load_state_dict(model.state_dict())  # same parameter names and shapes
    assert model_config(SimpleNet()) == {"kind": "simplenet"}
    assert model_config(MLP(2, [3], 1))["kind"] == "mlp"


def test_build_model_errors():
    with pytest.raises(PhysnnError, match="'kind' must be one of 'mlp', 'simplenet'; got None"):
        build_model({"n_in": 2})
    with pytest.raises(PhysnnError, match="Did you mean 'simplenet'"):
        build_model({"kind": "simple_net"})
    with pytest.raises(PhysnnError, match="Did you mean 'n_out'"):
        build_model({"kind": "mlp", "n_in": 2, "hidden": [], "nout": 1})
    with pytest.raises(PhysnnError, match="'n_out' is missing"):
        build_model({"kind": "mlp", "n_in": 2, "hidden": []})
    with pytest.raises(PhysnnError, match="simplenet config"):
        build_model({"kind": "simplenet", "n_in": 10})
    with pytest.raises(PhysnnError, match="must be a dict"):
        build_model("10-64-32-1")


def test_model_config_refuses_other_models():
    with pytest.raises(PhysnnError, match="only MLP and SimpleNet can be saved by config; got Linear"):
        model_config(nn.Linear(2, 1))

    class MyMLP(MLP):
        pass

    with pytest.raises(PhysnnError, match="got MyMLP"):
        model_config(MyMLP(2, [3], 1))


# ----------------------------------------------------------------------------- SimpleNet


def test_simplenet_is_the_lecture_class():
    m = SimpleNet()
    assert isinstance(m.layers, nn.Sequential)
    assert layer_types(m.layers) == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    per_layer = [sum(p.numel() for p in lin.parameters()) for lin in m.layers if isinstance(lin, nn.Linear)]
    assert per_layer == [704, 2080, 33] and sum(per_layer) == 2817 == n_params(m)
    assert list(m.state_dict()) == [f"layers.{i}.{k}" for i in (0, 2, 4) for k in ("weight", "bias")]
    assert (m.n_in, m.n_out, m.config()) == (10, 1, {})
    # PyTorch default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases not zero
    assert m.layers[0].weight.abs().max() <= 1 / math.sqrt(10)
    assert (m.layers[0].bias != 0).any()


def test_simplenet_equals_mlp_given_the_same_weights():
    net, mlp = SimpleNet(), MLP.from_spec("10-64-32-1")
    mlp.load_state_dict({k.removeprefix("layers."): v for k, v in net.state_dict().items()})
    x = torch.randn(16, 10)
    torch.testing.assert_close(mlp(x), net(x))
