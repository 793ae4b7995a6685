"""summary(): per-layer rows, totals, and no side effects on the model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.nn import MLP, ModelSummary, Neuron, SimpleNet, summary


def test_simplenet_rows_and_totals():
    s = summary(SimpleNet(), (10,))
    assert isinstance(s, ModelSummary)
    assert [r.name for r in s.rows] == [f"layers.{i}" for i in range(5)]
    assert [r.type for r in s.rows] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [r.params for r in s.rows] == [704, 0, 2080, 0, 33]
    assert [r.output_shape for r in s.rows] == [(1, 64), (1, 64), (1, 32), (1, 32), (1, 1)]
    assert all(r.calls == 1 for r in s.rows)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (2817, 2817, 0)
    text = str(s)
    assert "Total params: 2,817" in text and "2,080" in text and "704" in text
    assert repr(s) == text


def test_table_is_aligned():
    lines = str(summary(MLP.from_spec("10-64-32-1"), 10, batch_size=4)).splitlines()
    header = next(i for i, l in enumerate(lines) if l.startswith("Layer"))
    body = lines[header + 2: header + 7]
    # the Params column is right-aligned: every row ends at the same column
    assert len({len(l) for l in body}) == 1
    assert body[2].split() == ["2", "Linear", "[B,", "32]", "2,080"]
    assert "input [B, 10]" in lines[0]


def test_int_input_size_and_batch_size():
    s = summary(SimpleNet(), 10, batch_size=3)
    assert s.input_shape == (3, 10) and s.batch_size == 3
    assert s.rows[0].output_shape == (3, 64)


def test_markdown():
    md = summary(SimpleNet(), 10).to_markdown().splitlines()
    assert md[0] == "| Layer | Type | Output shape | Params |"
    assert md[2] == "| layers.0 | Linear | [B, 64] | 704 |"
    assert md[-1] == "Total params: 2,817, trainable: 2,817, non-trainable: 0."


def test_frozen_parameters_count_as_non_trainable():
    m = SimpleNet()
    for p in m.layers[0].parameters():
        p.requires_grad_(False)
    s = summary(m, 10)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (2817, 2113, 704)
    assert s.rows[0].trainable == 0 and s.rows[2].trainable == 2080
    assert "Non-trainable params: 704" in str(s)


class ScaledNet(nn.Module):
    """A container holding a parameter of its own besides its children."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.body = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.body(x) * self.scale)


def test_parameters_on_a_container_are_counted_once():
    m = ScaledNet()
    s = summary(m, 4)
    assert s.total_params == sum(p.numel() for p in m.parameters()) == 3 + 15 + 8
    assert sum(r.params for r in s.rows) == s.total_params
    root = s.rows[0]
    assert (root.name, root.type, root.params, root.output_shape) == ("", "ScaledNet", 3, (1, 2))
    assert "(model)" in str(s)


def test_shared_parameters_count_once_in_totals():
    lin = nn.Linear(5, 5)
    m = nn.Sequential(lin, nn.ReLU(), lin)  # the same module twice
    s = summary(m, 5)
    assert s.total_params == 30
    assert [r.calls for r in s.rows] == [2, 1]


def test_leaf_model_tuple_outputs_and_unused_modules():
    s = summary(nn.Linear(3, 2), 3)
    assert [(r.name, r.params, r.output_shape) for r in s.rows] == [("", 8, (1, 2))]

    lstm = summary(nn.LSTM(4, 6, batch_first=True), (5, 4))
    assert lstm.rows[0].output_shape == [(1, 5, 6), [(1, 1, 6), (1, 1, 6)]]
    assert "([B, 5, 6], ([B, 1, 6], [B, 1, 6]))" in str(lstm)

    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.Linear(2, 2), nn.Linear(2, 7)

        def forward(self, x):
            return self.used(x)

    rows = summary(Unused(), 2).rows
    assert rows[1].output_shape is None and rows[1].calls == 0 and rows[1].params == 21


class Spy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.drop = nn.Dropout(0.5)
        self.grad_enabled = None
        self.training_seen = None

    def forward(self, x):
        self.grad_enabled = torch.is_grad_enabled()
        self.training_seen = self.training
        return self.drop(self.lin(x))


def test_no_side_effects_on_mode_hooks_and_grads():
    m = Spy()
    m.train()
    m.lin.eval()  # mixed modes must come back exactly
    summary(m, 2)
    assert m.grad_enabled is False and m.training_seen is False
    assert m.training is True and m.drop.training is True and m.lin.training is False
    assert all(not mod._forward_hooks for mod in m.modules())
    assert all(p.grad is None for p in m.parameters())


def test_hooks_removed_and_mode_restored_after_error():
    m = SimpleNet().train()
    with pytest.raises(PhysnnError) as info:
        summary(m, (12,))
    msg = str(info.value)
    assert "input_size=(12,)" in msg and "in_features=10" in msg and "SimpleNet" in msg
    assert isinstance(info.value.__cause__, RuntimeError)
    assert all(not mod._forward_hooks for mod in m.modules())
    assert all(mod.training for mod in m.modules())


def test_error_without_a_linear_layer():
    with pytest.raises(PhysnnError) as info:
        summary(nn.Conv2d(3, 4, 3), (5, 8, 8))
    assert "input_size=(5, 8, 8)" in str(info.value) and "in_features" not in str(info.value)


def test_input_size_validation():
    with pytest.raises(PhysnnError, match="'input_size' must be an integer >= 1; got 0"):
        summary(SimpleNet(), 0)
    with pytest.raises(PhysnnError, match=r"'input_size\[1\]'"):
        summary(SimpleNet(), (10, "a"))
    with pytest.raises(PhysnnError, match="'batch_size'"):
        summary(SimpleNet(), 10, batch_size=0)


def test_other_models_and_dtype():
    s = summary(Neuron(3, "tanh"), 3)
    assert [(r.name, r.params) for r in s.rows] == [("linear", 4), ("activation", 0)]
    s64 = summary(nn.Linear(3, 1).double(), 3, dtype=torch.float64)
    assert "float64" in str(s64) and s64.total_params == 4
    m = MLP(2, [8], 1, dropout=0.5).train()
    s = summary(m, 2)
    assert [r.type for r in s.rows] == ["Linear", "ReLU", "Dropout", "Linear"] and m.training
