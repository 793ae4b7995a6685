"""Experiment loggers: what TensorBoardLogger and MLflowLogger write is read back with the tools' own readers.

TensorBoard files are read with tensorboard's EventAccumulator (the HParams plugin data parsed with its
protobuf); MLflow runs with MlflowClient.  The quick MLflow tests use MLflow's file store (an explicit
``file:`` tracking URI, allowed by MLFLOW_ALLOW_FILE_STORE): creating a fresh SQLite store runs MLflow's
schema migrations, about 10 s, so the default store (``RUN/mlflow.db``) is tested in a slow case.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import torch

from physnn.cli.app import main
from physnn.data import load_toy
from physnn.errors import PhysnnError
from physnn.train import MLflowLogger, TensorBoardLogger, fit

CONFIG = """
name = "logdemo"
seed = 3
[data]
source = "toy:moons"
val = 0.25
[data.options]
n = 96
[model]
hidden = [6]
[train]
loss = "bce_with_logits"
lr = 0.02
epochs = 3
batch_size = 32
"""


def cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def events(folder: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    ea.Reload()
    return ea


def hparams_of(ea) -> tuple[dict, list[str]]:
    """The hyper-parameters and the metric names of the HParams plugin's session records."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = ea.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    exp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    hp = {}
    for k, v in start.session_start_info.hparams.items():
        kind = v.WhichOneof("kind")
        hp[k] = getattr(v, kind)
    return hp, [m.name.tag for m in exp.experiment.metric_infos]


@pytest.fixture
def file_store(monkeypatch, tmp_path):
    """An MLflow file-store URI (MLflow >= 3 refuses it unless MLFLOW_ALLOW_FILE_STORE is set)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    try:
        MlflowClient(tracking_uri=uri).search_experiments()
    except Exception as exc:  # a future MLflow without a file store at all
        pytest.skip(f"this MLflow has no file store: {exc}")
    return uri


def small_fit(callbacks, epochs=4):
    d = load_toy("moons", n=80, seed=0)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    return fit(model, d, val=load_toy("moons", n=40, seed=1), loss="bce_with_logits", lr=0.05, epochs=epochs,
               callbacks=callbacks, progress=False, seed=0)


def png(path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.plot([0, 1], [1, 0])
    fig.savefig(path)
    plt.close(fig)
    return path


def test_tensorboard_logger_scalars_hparams_and_figures_read_back(tmp_path):
    tb = TensorBoardLogger(tmp_path / "tb", hparams={"train": {"lr": 0.05}, "model": {"hidden": [5]}})
    h = small_fit([tb])
    tb.finish(dict(h.final), [png(tmp_path / "loss.png")])
    ea = events(tmp_path / "tb")
    for key in ("loss", "val_loss", "val_accuracy", "lr"):
        got = [(e.step, e.value) for e in ea.Scalars(key)]
        want = [(r["epoch"], r[key]) for r in h.records]
        assert [s for s, _ in got] == [0, 1, 2, 3]
        np.testing.assert_allclose([v for _, v in got], [v for _, v in want], rtol=1e-6)
    hp, metric_tags = hparams_of(ea)
    assert hp == {"train.lr": 0.05, "model.hidden": "[5]"}
    assert "final/val_accuracy" in metric_tags and "final/train_loss" in metric_tags
    assert ea.Scalars("final/val_loss")[0].value == pytest.approx(h.final["val_loss"], rel=1e-6)
    img = ea.Images("figures/loss")[0]
    assert (img.width, img.height) == (100, 75)
    tb.finish()  # once only: a second call writes nothing
    assert len(list((tmp_path / "tb").iterdir())) == 1


def test_tensorboard_logger_without_finish_keeps_the_epochs(tmp_path):
    tb = TensorBoardLogger(tmp_path / "tb")
    small_fit([tb], epochs=2)
    assert [e.step for e in events(tmp_path / "tb").Scalars("val_loss")] == [0, 1]


def test_mlflow_logger_metrics_params_figures_read_back(file_store, tmp_path):
    ml = MLflowLogger(file_store, experiment="demo", run_name="r1", hparams={"train": {"lr": 0.05}})
    h = small_fit([ml])
    ml.finish(dict(h.final), [png(tmp_path / "loss.png")])
    c = ml.client
    run = c.get_run(ml.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "r1"
    assert c.get_experiment(run.info.experiment_id).name == "demo"
    assert run.data.params == {"train.lr": "0.05"}
    hist = c.get_metric_history(ml.run_id, "val_loss")
    assert sorted(m.step for m in hist) == [0, 1, 2, 3]
    np.testing.assert_allclose([m.value for m in sorted(hist, key=lambda m: m.step)],
                               [r["val_loss"] for r in h.records], rtol=1e-6)
    assert run.data.metrics["final_val_accuracy"] == pytest.approx(h.final["val_accuracy"])
    assert [a.path for a in c.list_artifacts(ml.run_id, "figures")] == ["figures/loss.png"]


def test_mlflow_logger_marks_a_failed_run(file_store):
    ml = MLflowLogger(file_store)
    small_fit([ml], epochs=1)
    ml.fail()
    assert ml.client.get_run(ml.run_id).info.status == "FAILED"


def test_cli_train_log_tensorboard_under_the_run(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    rc, out, err = cli("train", cfg, "--out", tmp_path / "run", "-q", "--log", "tensorboard")
    assert rc == 0, err
    run = tmp_path / "run"
    ea = events(run / "tensorboard")
    import csv

    rows = list(csv.DictReader((run / "history.csv").open()))
    np.testing.assert_allclose([e.value for e in ea.Scalars("val_loss")], [float(r["val_loss"]) for r in rows],
                               rtol=1e-6)
    hp, _ = hparams_of(ea)
    assert hp["train.lr"] == pytest.approx(0.02) and hp["seed"] == 3 and hp["data.source"] == "toy:moons"
    metrics = json.loads((run / "metrics.json").read_text())
    assert ea.Scalars("final/val_accuracy")[0].value == pytest.approx(metrics["val_accuracy"], rel=1e-6)
    assert {t.split("/")[1] for t in ea.Tags()["images"]} == {p.stem for p in (run / "figures").glob("*.png")}
    assert "figures/decision_boundary" in ea.Tags()["images"]


def test_cli_train_log_mlflow_to_a_given_uri(file_store, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    rc, out, err = cli("train", cfg, "--out", tmp_path / "run", "-q", "--log", "mlflow", "--log-uri", file_store)
    assert rc == 0, err
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=file_store)
    (run,) = c.search_runs([c.get_experiment_by_name("physnn").experiment_id])
    assert run.info.run_name == "logdemo" and run.info.status == "FINISHED"
    assert run.data.params["train.lr"] == "0.02" and run.data.params["model.hidden"] == "[6]"
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert run.data.metrics["final_val_loss"] == pytest.approx(metrics["val_loss"], rel=1e-6)
    assert len(c.get_metric_history(run.info.run_id, "loss")) == 3
    assert {a.path for a in c.list_artifacts(run.info.run_id, "figures")} == {
        "figures/loss.png", "figures/decision_boundary.png"}


@pytest.mark.slow
def test_cli_train_log_mlflow_default_store_in_the_run(tmp_path):
    """The default: an SQLite store in the run directory, artifacts beside it (no server, nothing elsewhere)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    rc, out, err = cli("train", cfg, "--out", tmp_path / "run", "-q", "--log", "mlflow")
    assert rc == 0, err
    from mlflow.tracking import MlflowClient

    run_dir = tmp_path / "run"
    c = MlflowClient(tracking_uri=f"sqlite:///{run_dir / 'mlflow.db'}")
    (run,) = c.search_runs([c.get_experiment_by_name("physnn").experiment_id])
    assert run.data.params["seed"] == "3" and run.info.status == "FINISHED"
    assert len(c.get_metric_history(run.info.run_id, "val_loss")) == 3
    assert (run_dir / "mlartifacts").is_dir()
    assert sorted(p.name for p in (run_dir / "mlartifacts").rglob("*.png")) == ["decision_boundary.png", "loss.png"]


@pytest.mark.parametrize("args, words", [
    (["--log", "mlflow", "--log-uri", "http://127.0.0.1:9"], ["unreachable", "127.0.0.1:9"]),
    (["--log", "wandb"], ["--log", "wandb", "tensorboard"]),
    (["--log", "tensorboard", "--log-uri", "sqlite:///x.db"], ["--log-uri", "--log mlflow"]),
    (["--log-uri", "sqlite:///x.db"], ["--log-uri", "--log mlflow"]),
    (["--log", "mlflow", "--log-uri", "sqlite:///{tmp}/c.toml/y.db"], ["c.toml", "not a writable folder"]),
    (["--log", "mlflow", "--log-uri", "postgresql://u@127.0.0.1:9/db"], ["postgresql://u@127.0.0.1:9/db", "cannot be used"]),
])
def test_cli_train_log_bad_input_one_line_exit_2_nothing_written(tmp_path, args, words):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    rc, out, err = cli("train", cfg, "--out", tmp_path / "run", "-q", *[a.format(tmp=tmp_path) for a in args])
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("physnn: error: ")
    for w in words:
        assert w in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "x.db").exists()


def test_a_backend_failure_during_the_run_is_one_clear_error(file_store, tmp_path):
    """The tracking store disappears mid-run: a PhysnnError naming the URI, not a backend traceback."""
    import shutil

    ml = MLflowLogger(file_store)
    small_fit([ml], epochs=1)
    shutil.rmtree(tmp_path / "mlruns")
    (tmp_path / "mlruns").write_text("not a folder")
    with pytest.raises(PhysnnError, match="MLflowLogger: logging the final metrics and figures at 'file:"):
        ml.finish({"val_loss": 1.0})


def test_loggers_reject_bad_uris_before_training():
    with pytest.raises(PhysnnError, match="unreachable"):
        MLflowLogger("http://127.0.0.1:9")
    with pytest.raises(PhysnnError, match="non-empty"):
        MLflowLogger("  ")


def test_resumed_run_continues_its_mlflow_run(file_store, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    run = tmp_path / "run"
    for extra in ([], ["--resume", "--epochs", "5"]):
        rc, _, err = cli("train", cfg, "--out", run, "-q", "--log", "mlflow", "--log-uri", file_store, *extra)
        assert rc == 0, err
    from mlflow.tracking import MlflowClient

    c = MlflowClient(tracking_uri=file_store)
    (only,) = c.search_runs([c.get_experiment_by_name("physnn").experiment_id])  # one run, continued
    assert sorted(m.step for m in c.get_metric_history(only.info.run_id, "loss")) == [0, 1, 2, 3, 4]
    assert only.info.status == "FINISHED"
    assert (run / "history.csv").read_text().count("\n") == 6  # the run itself has its 5 epochs
