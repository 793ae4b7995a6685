"""Experiment configs: validated fields, errors that name section, key and value."""

import pytest

from physnn.config import builtin_examples, config_to_toml, load_config, parse_config
from physnn.errors import PhysnnError


def test_defaults_and_round_trip(tmp_path):
    cfg = parse_config({})
    assert cfg.train.lr == 1e-3 and cfg.model.hidden == [64, 32]
    p = tmp_path / "c.toml"
    p.write_text(config_to_toml(cfg))
    assert load_config(p) == cfg


@pytest.mark.parametrize(
    "data, match",
    [
        ({"train": {"lr": -1}}, r"\[train\] lr: Input should be greater than 0; got -1"),
        ({"train": {"epochs": 0}}, r"\[train\] epochs"),
        ({"train": {"optimizer": "adamm"}}, r"\[train\] optimizer: must be one of .*Did you mean 'adam'"),
        ({"train": {"loss": "crossentropy"}}, r"Did you mean 'cross_entropy'"),
        ({"model": {"activation": "rleu"}}, r"\[model\] activation.*'relu'"),
        ({"model": {"dropout": 1.5}}, r"dropout must be in \[0, 1\)"),
        ({"model": {"hidden": [4, 0]}}, r"hidden layer sizes must be >= 1"),
        ({"model": {"hidden": [4, 4], "activation": ["relu"]}}, r"activation has 1 entries but hidden has 2"),
        ({"trian": {}}, r"trian: unknown key; allowed keys here: name, seed, data, model, train, early_stopping"),
        ({"train": {"learning_rate": 0.1}}, r"\[train\] learning_rate: unknown key; allowed keys here: loss, optimizer, lr"),
        ({"data": {"val": 0.6, "test": 0.5}}, r"val \+ test must be < 1"),
        ({"train": {"loss": "bce"}}, r"out_activation = 'sigmoid'"),
        ({"early_stopping": {"enabled": True}, "data": {"val": 0}}, r"set val > 0 or monitor 'loss'"),
        ({"name": "../evil"}, r"name: must be letters"),
        ({"train": {"metrics": ["acc"]}}, r"\[train\] metrics: must be one of .*got .acc."),
    ],
)
def test_bad_values_are_named(data, match):
    with pytest.raises(PhysnnError, match=match):
        parse_config(data)


def test_bad_toml_and_missing_file(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[train\nlr = 1")
    with pytest.raises(PhysnnError, match="not valid TOML"):
        load_config(p)
    with pytest.raises(PhysnnError, match="does not exist.*built-in example"):
        load_config(tmp_path / "missing.toml")


def test_builtin_examples_are_valid():
    ex = builtin_examples()
    assert {"simplenet", "moons", "xor"} <= set(ex)
    for name in ex:
        load_config(name)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"# only a comment\n", r"no \[data\] table \(it holds no keys at all\)"),
        (b'name = "x"\n[train]\nlr = 0.1\n', r"no \[data\] table \(it holds name, train\)"),
        (b"[data]\nval = 0.1\n", r"a \[data\] table without 'source'"),
        (b"\x89PNG\r\n\x1a\n" + bytes(32), "not a UTF-8 text file: it holds a PNG image"),
        (b"\xfe\xff\x00garbage\xff" * 50, "not a UTF-8 text file: it holds binary data"),
    ],
)
def test_empty_keyless_and_binary_experiment_files_are_refused(tmp_path, content, match):
    p = tmp_path / "c.toml"
    p.write_bytes(content)
    with pytest.raises(PhysnnError, match=match):
        load_config(p)


def test_parse_config_of_a_dict_keeps_its_defaults():
    """Only files must name their data; a dict built in code may rely on every default."""
    assert parse_config({}).data.source == "toy:simplenet"
