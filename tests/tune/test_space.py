"""The [tune] section: search spaces and objectives checked before anything runs (no training here)."""

from __future__ import annotations

import pytest

from physnn.config import parse_config
from physnn.errors import PhysnnError
from physnn.tune import Param, apply_params, objective_of, search_space

BASE = {"name": "sp", "data": {"source": "toy:moons", "val": 0.25}, "model": {"hidden": [4]},
        "train": {"loss": "bce_with_logits", "epochs": 2}}


def cfg_with(params=None, **tune):
    return parse_config({**BASE, "tune": {**tune, "params": params if params is not None else
                                          {"train.lr": {"low": 1e-3, "high": 1e-1}}}})


def test_ranges_log_ints_steps_and_choices_are_typed():
    space = search_space(cfg_with({
        "train.lr": {"low": 1e-4, "high": 1e-1, "log": True},
        "train.batch_size": {"low": 16, "high": 64, "step": 16},
        "train.weight_decay": {"low": 0, "high": 1e-3},
        "model.hidden": {"choices": [[8], [16, 16]]},
        "model.activation": {"choices": ["relu", "tanh"]},
        "data.options.noise": {"low": 0.1, "high": 0.3},
    }))
    assert space["train.lr"] == Param("train.lr", "float", 1e-4, 1e-1, True)
    assert space["train.batch_size"].kind == "int" and space["train.batch_size"].step == 16
    assert space["train.weight_decay"].kind == "float"  # 1e-3 is a float end
    assert space["model.hidden"].choices == ([8], [16, 16])
    assert space["data.options.noise"].kind == "float"


def test_apply_params_puts_values_in_and_drops_the_tune_section():
    cfg = cfg_with()
    new = apply_params(cfg, {"train.lr": 0.05, "model.hidden": [16, 16], "data.options.noise": 0.3})
    assert new.train.lr == 0.05 and new.model.hidden == [16, 16] and new.data.options == {"noise": 0.3}
    assert new.tune is None and cfg.train.lr == 0.001  # the original is untouched


def test_objective_direction_follows_the_metric():
    assert objective_of(cfg_with()) == ("val_loss", "minimize")
    assert objective_of(cfg_with(metric="val_accuracy")) == ("val_accuracy", "maximize")
    assert objective_of(cfg_with(metric="loss")) == ("loss", "minimize")
    assert objective_of(cfg_with(metric="val_accuracy", direction="minimize"))[1] == "minimize"


@pytest.mark.parametrize("params, words", [
    ({"train.lr": {"low": 0.1, "high": 0.01}}, ["'train.lr'", "low = 0.1", "greater than high = 0.01", "swap"]),
    ({"train.lr": {"low": 0.0, "high": 0.1, "log": True}}, ["log-scale", "low > 0", "low = 0.0"]),
    ({"train.lr": {"low": -1.0, "high": 0.1, "log": True}}, ["log-scale", "low = -1.0"]),
    ({"train.learning_rate": {"low": 0.01, "high": 0.1}}, ["unknown key", "'train.learning_rate'", "lr"]),
    ({"trian.lr": {"low": 0.01, "high": 0.1}}, ["unknown key", "'trian'", "train"]),
    ({"model.hidden": {"choices": []}}, ["choices", "non-empty"]),
    ({"train.lr": {"lo": 0.01, "high": 0.1}}, ["unknown field", "lo"]),
    ({"train.lr": {"low": 0.01}}, ["needs both low and high"]),
    ({"train.lr": {"low": "a", "high": 0.1}}, ["low must be a finite number", "'a'"]),
    ({"train.lr": 0.01}, ["give a table"]),
    ({"train": {"low": 1, "high": 2}}, ["is a section"]),
    ({"train.lr": {"low": -0.1, "high": 0.1}}, ["lr", "greater than 0"]),  # the experiment rejects an end
    ({"model.activation": {"choices": ["relu", "swishy"]}}, ["activation", "swishy"]),
    ({"train.lr": {"low": 1e-3, "high": 0.1, "step": 0.01, "log": True}}, ["step and log"]),
    ({"model.hidden": {"choices": [[8]], "low": 1}}, ["cannot be combined"]),
])
def test_bad_search_spaces_name_the_key_and_the_fix(params, words):
    with pytest.raises(PhysnnError) as exc:
        search_space(cfg_with(params))
    for w in words:
        assert w in str(exc.value)


def test_unknown_or_unlogged_metrics_and_missing_section():
    with pytest.raises(PhysnnError, match="'val_r2' is not logged.*val_accuracy"):
        search_space(cfg_with(metric="val_r2"))
    with pytest.raises(PhysnnError, match="val = 0"):
        search_space(parse_config({**BASE, "data": {"source": "toy:moons", "val": 0.0},
                                   "tune": {"params": {"train.lr": {"low": 0.01, "high": 0.1}}}}))
    with pytest.raises(PhysnnError, match=r"no \[tune.params\]"):
        search_space(parse_config(BASE))
    with pytest.raises(PhysnnError, match=r"no \[tune.params\]"):
        search_space(cfg_with({}))


def test_unknown_keys_of_the_tune_section_list_its_own_keys():
    with pytest.raises(PhysnnError, match=r"\[tune\] metrc: unknown key; allowed keys here: metric, direction"):
        parse_config({**BASE, "tune": {"metrc": "val_loss"}})
    with pytest.raises(PhysnnError, match=r"\[tune\] pruner: .*'median' or 'none'"):
        parse_config({**BASE, "tune": {"pruner": "hyperband"}})
