"""The command line: the main job, predict, summary, and bad input → one line on stderr, exit 2."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from physnn.cli.app import main

PHYSNN = [sys.executable, "-m", "physnn"]


def run_cli(args, cwd=None, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(PHYSNN + args, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def write_config(path, **sections):
    lines = ['name = "t"', "seed = 0"]
    for sec, kv in sections.items():
        lines.append(f"[{sec.replace('__', '.')}]")
        for k, v in kv.items():
            lines.append(f"{k} = {json.dumps(v)}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_help_teaches_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("train", "predict", "summary", "examples", "toy"):
        assert cmd in out
    for cmd in ("train", "predict", "summary", "toy"):
        assert main([cmd, "--help"]) == 0
        assert "Example" in capsys.readouterr().out


def test_summary_of_simplenet_shows_lecture_counts(capsys):
    assert main(["summary", "simplenet"]) == 0
    out = capsys.readouterr().out
    for n in ("704", "2,080", "33", "2,817"):
        assert n in out
    assert main(["summary", "10-64-32-1"]) == 0
    assert "2,817" in capsys.readouterr().out


def test_train_predict_round_trip(tmp_path, capsys):
    cfg = write_config(
        tmp_path / "c.toml",
        data={"source": "toy:moons", "val": 0.25, "test": 0.1, "stratify": True},
        data__options={"n": 300},
        model={"hidden": [16, 16]},
        train={"loss": "bce_with_logits", "lr": 0.01, "epochs": 40, "batch_size": 32},
    )
    assert main(["train", str(cfg), "--out", str(tmp_path / "run"), "-q"]) == 0
    run = tmp_path / "run"
    for f in ("config.toml", "model.safetensors", "state.json", "history.csv", "metrics.json",
              "checkpoint.pt", "figures/loss.png", "figures/decision_boundary.png"):
        assert (run / f).exists(), f
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["val_accuracy"] > 0.85 and metrics["test_accuracy"] > 0.8
    assert len((run / "history.csv").read_text().splitlines()) == 41
    state = json.loads((run / "state.json").read_text())
    assert state["feature_names"] == ["x0", "x1"] and state["standardizer"] is not None

    # a second train never overwrites the first run
    assert main(["train", str(cfg), "--out", str(run), "-q", "--epochs", "1"]) == 0
    assert (tmp_path / "run-2" / "model.safetensors").exists()

    # predict on a file written by 'physnn toy', columns in a different order
    assert main(["toy", "moons", "--n", "50", "--seed", "3", "--out", str(tmp_path / "new.csv")]) == 0
    text = (tmp_path / "new.csv").read_text().splitlines()
    header = text[0].split(",")
    order = [header.index(c) for c in ("label", "x1", "x0")]
    (tmp_path / "shuffled.csv").write_text(
        "\n".join(",".join(line.split(",")[i] for i in order) for line in text) + "\n")
    capsys.readouterr()
    assert main(["predict", str(run), str(tmp_path / "shuffled.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert rows[0] == "prob_label" and len(rows) == 51
    p = np.array([float(r) for r in rows[1:]])
    y = np.array([float(line.split(",")[header.index("label")]) for line in text[1:]])
    assert ((p > 0.5) == (y > 0.5)).mean() > 0.8


@pytest.mark.parametrize(
    "args, needle",
    [
        (["train", "no_such.toml"], "does not exist"),
        (["train", "simplenet", "--epochs", "0"], "epochs"),
        (["predict", "no_run_dir", "x.csv", "--out", "p.csv"], "run directory"),
        (["summary", "10-x-1"], "10-x-1"),
        (["toy", "mooons", "--out", "m.csv"], "Did you mean 'moons'"),
        (["frobnicate"], "No such command"),
        (["train"], "Missing argument"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, capsys, args, needle, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("physnn: error:"), err
    assert needle in err


def test_bad_config_and_bad_data_through_the_real_command(tmp_path):
    cfg = write_config(tmp_path / "c.toml", data={"source": "toy:xor"}, train={"lr": -0.1})
    r = run_cli(["train", str(cfg)], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert "[train] lr" in r.stderr and "-0.1" in r.stderr

    (tmp_path / "d.csv").write_text("a,b,y\n1,2,0\n3,nan,1\n4,5,0\n")
    cfg = write_config(tmp_path / "c2.toml", data={"source": str(tmp_path / "d.csv"), "target": "y"})
    r = run_cli(["train", str(cfg)], cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "NaN" in r.stderr and "'b'" in r.stderr

    cfg = write_config(tmp_path / "c3.toml", data={"source": str(tmp_path / "d.csv"), "target": "label"})
    r = run_cli(["train", str(cfg)], cwd=tmp_path)
    assert r.returncode == 2 and "'label'" in r.stderr and "available columns" in r.stderr


def test_predict_with_missing_feature_column(tmp_path, capsys):
    cfg = write_config(tmp_path / "c.toml", data={"source": "toy:circles"}, data__options={"n": 100},
                       train={"loss": "bce_with_logits", "epochs": 2})
    assert main(["train", str(cfg), "--out", str(tmp_path / "run"), "-q"]) == 0
    (tmp_path / "bad.csv").write_text("x0,z\n1,2\n")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "bad.csv"), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "'x1'" in err and not (tmp_path / "p.csv").exists()


def test_killed_run_resumes_to_identical_weights(tmp_path):
    """SIGKILL a real training process mid-way, resume it, compare with an uninterrupted run."""
    cfg = write_config(
        tmp_path / "c.toml",
        data={"source": "toy:simplenet", "val": 0.2},
        data__options={"n": 600},
        model={"hidden": [32, 32], "dropout": 0.1},
        train={"epochs": 40, "batch_size": 32, "schedule": "cosine"},
    )
    ref = run_cli(["train", str(cfg), "--out", str(tmp_path / "ref"), "-q"])
    assert ref.returncode == 0, ref.stderr

    # the process SIGKILLs itself at the end of epoch 20, before that epoch's checkpoint is saved: a
    # kill at a fixed point (no polling race), after which the resume must redo epoch 20
    kill_at_epoch_20 = (
        "import os, signal, sys\n"
        "from physnn.cli.app import main\n"
        "from physnn.train.callbacks import Checkpoint\n"
        "save = Checkpoint.on_epoch_end\n"
        "def on_epoch_end(self, state, logs):\n"
        "    if state.epoch == 20:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    save(self, state, logs)\n"
        "Checkpoint.on_epoch_end = on_epoch_end\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cut = subprocess.run([sys.executable, "-c", kill_at_epoch_20, "train", str(cfg), "--out", str(tmp_path / "cut"),
                          "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert cut.returncode == -signal.SIGKILL, cut.stderr
    assert (tmp_path / "cut" / "checkpoint.pt").exists()
    assert not (tmp_path / "cut" / "model.safetensors").exists()

    res = run_cli(["train", str(cfg), "--out", str(tmp_path / "cut"), "--resume", "-q"])
    assert res.returncode == 0, res.stderr
    a = load_file(tmp_path / "ref" / "model.safetensors")
    b = load_file(tmp_path / "cut" / "model.safetensors")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    ha = [l.split(",")[:2] for l in (tmp_path / "ref" / "history.csv").read_text().splitlines()]
    hb = [l.split(",")[:2] for l in (tmp_path / "cut" / "history.csv").read_text().splitlines()]
    assert ha == hb  # epoch and training loss identical, row for row
