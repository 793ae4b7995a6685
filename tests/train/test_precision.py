"""fit(precision='bf16'): autocast forward passes in bfloat16, float32 weights and validation."""

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import fit


def _data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(512, 4, generator=g)
    return X, 2 * X[:, :1] - X[:, 1:2]


def test_bf16_trains_with_bfloat16_matmuls_and_float32_state():
    X, y = _data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
    dtypes = []
    model[0].register_forward_hook(lambda mod, inp, out: dtypes.append((mod.training, out.dtype)))
    h = fit(model, (X, y), val=(X, y), lr=1e-2, epochs=20, batch_size=64, precision="bf16", progress=False)
    assert {d for training, d in dtypes if training} == {torch.bfloat16}
    assert {d for training, d in dtypes if not training} == {torch.float32}  # validation in float32
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert h.optimizer.state[next(iter(model.parameters()))]["exp_avg"].dtype == torch.float32
    assert h["val_loss"][-1] < 0.05 * h["val_loss"][0]


def test_bf16_is_close_to_float32_on_the_same_problem():
    X, y = _data()
    losses = {}
    for prec in ("32", "bf16"):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
        losses[prec] = fit(model, (X, y), val=(X, y), lr=1e-2, epochs=20, batch_size=64, precision=prec,
                           progress=False)["val_loss"][-1]
    assert losses["bf16"] < 3 * losses["32"] + 1e-3


def test_bf16_refuses_lbfgs_and_unknown_precisions():
    X, y = _data()
    with pytest.raises(PhysnnError, match="quasi-Newton"):
        fit(nn.Linear(4, 1), (X, y), optimizer="lbfgs", batch_size=None, epochs=1, precision="bf16", progress=False)
    with pytest.raises(PhysnnError, match="'16'.*bf16"):
        fit(nn.Linear(4, 1), (X, y), epochs=1, precision="16", progress=False)


def test_experiment_file_precision_key(tmp_path):
    from physnn.config import parse_config
    from physnn.runs import train_run

    cfg = parse_config({"name": "bf", "data": {"source": "toy:moons"}, "model": {"hidden": [8]},
                        "train": {"loss": "bce_with_logits", "epochs": 3, "precision": "bf16"}})
    run = train_run(cfg, tmp_path / "run", progress=False, quiet=True, figures=False)
    assert run.history.epochs_run == 3 and "precision = \"bf16\"" in (tmp_path / "run" / "config.toml").read_text()
    with pytest.raises(Exception, match="bf16"):
        parse_config({"train": {"precision": "fp8"}})
