"""physnn tune: trials are physnn runs, pruned through the epoch callback, in a study that resumes and is shared.

Pruning is forced by construction: the study is seeded with a finished trial whose reported values are 0
(a validation loss no real trial reaches), so the median pruner stops every new trial at its first epoch.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from physnn.cli.app import main
from physnn.config import load_config, parse_config
from physnn.errors import PhysnnError
from physnn.runs import load_run
from physnn.tune import PruningCallback, open_study, tune

HERE = Path(__file__).parent

CONFIG = """
name = "tn"
seed = 1
[data]
source = "toy:moons"
val = 0.25
[data.options]
n = 64
[model]
hidden = [4]
[train]
loss = "bce_with_logits"
epochs = 3
batch_size = 32
[tune]
metric = "val_loss"
pruner = "{pruner}"
startup_trials = 1
sampler = "random"
[tune.params]
"train.lr" = {{low = 1e-3, high = 0.2, log = true}}
"model.hidden" = {{choices = [[4], [6, 6]]}}
"""


def write_cfg(tmp_path: Path, pruner: str = "none") -> Path:
    p = tmp_path / "tn.toml"
    p.write_text(CONFIG.format(pruner=pruner))
    return p


def cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open()))


def test_cli_tune_writes_runs_table_best_link_and_figures(tmp_path):
    cfg = write_cfg(tmp_path)
    out = tmp_path / "o"
    rc, printed, err = cli("tune", cfg, "--trials", "2", "--out", out, "--study-name", "moons-lr")
    assert rc == 0, err
    assert json.loads((out / "tune.json").read_text())["study_name"] == "moons-lr"
    assert open_study(load_config(cfg), f"sqlite:///{out / 'study.db'}", "moons-lr").study_name == "moons-lr"
    table = rows(out / "trials.csv")
    assert [r["number"] for r in table] == ["0", "1"] and {r["state"] for r in table} == {"complete"}
    assert all(r["epochs_reported"] == "3" for r in table)
    best = json.loads((out / "best.json").read_text())
    values = {r["number"]: float(r["value"]) for r in table}
    assert best["value"] == min(values.values()) and values[str(best["trial"])] == best["value"]
    # the best trial is a normal run: its own metrics say the same value, and predict works on OUT/best
    run_dir = out / best["run"]
    assert json.loads((run_dir / "metrics.json").read_text())["val_loss"] == pytest.approx(best["value"])
    assert (out / "best").resolve() == run_dir.resolve()
    run = load_run(out / "best")
    assert run.config.train.lr == pytest.approx(best["params"]["train.lr"]) and run.config.tune is None
    assert run.config.model.hidden == best["params"]["model.hidden"]
    assert (run_dir / "figures" / "loss.png").exists()  # a trial run has its figures like any run
    assert cli("toy", "moons", "--n", "5", "--out", tmp_path / "m.csv")[0] == 0
    rc, _, err = cli("predict", out / "best", tmp_path / "m.csv", "--out", tmp_path / "p.csv")
    assert rc == 0, err
    assert len(rows(tmp_path / "p.csv")) == 5
    for name in ("optimization_history.png", "param_importances.png"):
        assert (out / "figures" / name).read_bytes()[:4] == b"\x89PNG"
    assert "Best run:" in printed and f"{out / 'best'}" in printed


def test_cli_tune_timeout_stops_starting_trials(tmp_path):
    """Optuna starts no trial once --timeout seconds have passed: with 1e-9 s at most the first one runs."""
    rc, printed, err = cli("tune", write_cfg(tmp_path), "--trials", "50", "--timeout", "1e-9",
                           "--out", tmp_path / "o", "--no-figures")
    assert rc == 0, err
    assert len(rows(tmp_path / "o" / "trials.csv")) <= 1


def seed_study_with_a_perfect_trial(cfg, storage):
    """A finished trial that reported val_loss = 0 at every epoch: the median every new trial is judged by."""
    import optuna

    study = open_study(cfg, storage, cfg.name)
    dists = {"train.lr": optuna.distributions.FloatDistribution(1e-3, 0.2, log=True),
             "model.hidden": optuna.distributions.CategoricalDistribution([0, 1])}
    study.add_trial(optuna.trial.create_trial(params={"train.lr": 0.01, "model.hidden": 0}, distributions=dists,
                                              value=0.0, intermediate_values={0: 0.0, 1: 0.0, 2: 0.0}))


def test_trials_are_pruned_through_the_epoch_callback_and_leave_no_run(tmp_path):
    cfg = load_config(write_cfg(tmp_path, pruner="median"))
    out = tmp_path / "o"
    out.mkdir()
    storage = f"sqlite:///{out / 'study.db'}"
    seed_study_with_a_perfect_trial(cfg, storage)
    lines = []
    res = tune(cfg, out, n_trials=3, storage=storage, figures=False, on_trial=lines.append)
    assert res.counts == {"complete": 1, "pruned": 2, "fail": 0, "running": 0}
    pruned = [t for t in res.study.trials if t.state.name == "PRUNED"]
    assert [sorted(t.intermediate_values) for t in pruned] == [[0], [0]]  # stopped after the first epoch
    assert not (out / "trials").exists() or not any((out / "trials").iterdir())
    assert lines == [f"trial {t.number}: pruned at epoch 0 " + lines[i].split("epoch 0 ", 1)[1]
                     for i, t in enumerate(pruned)]
    assert res.best_run is None and not (out / "best").exists()  # the seeded trial has no run


def test_pruning_callback_reports_each_epoch():
    class Trial:
        def __init__(self):
            self.reported = []

        def report(self, value, step):
            self.reported.append((step, value))

        def should_prune(self):
            return len(self.reported) == 2

    class State:
        epoch = 0

    import optuna

    t, st = Trial(), State()
    cb = PruningCallback(t, "val_loss")
    cb.on_epoch_end(st, {"val_loss": 0.5})
    st.epoch = 1
    with pytest.raises(optuna.TrialPruned, match="epoch 1"):
        cb.on_epoch_end(st, {"val_loss": 0.4})
    assert t.reported == [(0, 0.5), (1, 0.4)] and cb.pruned_at == 1


def test_an_interrupted_study_resumes_to_n_trials(tmp_path):
    cfg = write_cfg(tmp_path)
    out = tmp_path / "o"

    def interrupt_after_two(study, trial):
        if trial.number == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tune(load_config(cfg), out, n_trials=5, figures=False, callbacks=[interrupt_after_two])
    assert sorted(p.name for p in (out / "trials").iterdir()) == ["trial-0000", "trial-0001"]
    moved = tmp_path / "moved"
    out.rename(moved)  # the folder, study.db inside, may move between the two runs
    out = moved
    rc, printed, err = cli("tune", cfg, "--trials", "5", "--out", out, "--no-figures")  # the same command again
    assert rc == 0, err
    table = rows(out / "trials.csv")
    assert [r["number"] for r in table] == ["0", "1", "2", "3", "4"] and {r["state"] for r in table} == {"complete"}
    assert printed.count("trial ") == 3  # only the three missing trials ran
    assert len({r["train.lr"] for r in table}) == 5  # the resumed sampler does not repeat earlier draws
    rc, printed, err = cli("tune", cfg, "--trials", "5", "--out", out, "--no-figures")
    assert rc == 0 and "trial " not in printed.split("Study")[0]  # nothing left to do


def test_ctrl_c_inside_a_trial_stops_the_study_and_drops_that_trial(tmp_path, monkeypatch):
    cfg = write_cfg(tmp_path)
    out = tmp_path / "o"
    real = PruningCallback.on_epoch_end

    def interrupted(self, state, logs):
        real(self, state, logs)
        if self.trial.number == 1 and state.epoch == 1:
            raise KeyboardInterrupt  # what Ctrl-C raises in the middle of an epoch

    monkeypatch.setattr(PruningCallback, "on_epoch_end", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tune(load_config(cfg), out, n_trials=4, figures=False)
    study = open_study(load_config(cfg), f"sqlite:///{out / 'study.db'}", "tn")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"]
    assert sorted(p.name for p in (out / "trials").iterdir()) == ["trial-0000"]


@pytest.mark.slow
def test_jobs_run_trials_in_several_processes(tmp_path):
    """--jobs 2: two spawned processes (each imports torch: slow on a loaded machine)."""
    cfg = write_cfg(tmp_path)
    res = tune(load_config(cfg), tmp_path / "o", n_trials=3, jobs=2, figures=False)
    finished = [t for t in res.study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert 3 <= len(finished) <= 4  # a process may start one trial before it sees the other's last
    assert all(str(os.getpid()) not in t.user_attrs["worker"] for t in finished)  # all ran in the workers
    assert sorted(int(r["number"]) for r in rows(tmp_path / "o" / "trials.csv")) == list(range(len(res.study.trials)))


@pytest.mark.slow
def test_two_processes_share_one_sqlite_study(tmp_path):
    """Two independent processes on one SQLite study; each waits, after its first trial, for one of the other's."""
    cfg = write_cfg(tmp_path)
    out, storage = tmp_path / "o", f"sqlite:///{tmp_path / 'shared.db'}"
    cmd = [sys.executable, str(HERE / "two_process_worker.py"), str(cfg), str(out), storage, "6"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (o, e) in zip(procs, results):
        assert p.returncode == 0, e[-2000:]
    study = open_study(load_config(cfg), storage, "tn")
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert 6 <= len(finished) <= 7 and len(study.trials) == len(finished)
    workers = {t.user_attrs["worker"].rsplit(":", 1)[1] for t in finished}
    assert workers == {str(p.pid) for p in procs}
    for t in finished:
        assert (out / t.user_attrs["run"] / "model.safetensors").exists()
    assert len({t.params["train.lr"] for t in finished}) == len(finished)  # no draw repeated across processes
    assert len(rows(out / "trials.csv")) == len(study.trials)


def test_two_handles_of_one_study_draw_by_trial_number(tmp_path):
    """Two connections to one SQLite study (as two processes have) with the same seed: each trial number gets
    its own draw, the same one a single process gets for that number."""
    cfg = load_config(write_cfg(tmp_path))
    url = f"sqlite:///{tmp_path / 's.db'}"
    a, b = open_study(cfg, url, "tn"), open_study(cfg, url, "tn")
    for study in (a, b, a, b):
        t = study.ask()
        study.tell(t, t.suggest_float("train.lr", 1e-3, 0.2, log=True))
    shared = [t.params["train.lr"] for t in a.trials]
    alone = open_study(cfg, f"sqlite:///{tmp_path / 'alone.db'}", "tn")
    alone.optimize(lambda t: t.suggest_float("train.lr", 1e-3, 0.2, log=True), n_trials=4)
    assert len(set(shared)) == 4 and shared == [t.params["train.lr"] for t in alone.trials]


def test_bad_input_one_line_exit_2_nothing_written(tmp_path):
    cfg = write_cfg(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.format(pruner="none").replace('low = 1e-3, high = 0.2', 'low = 0.2, high = 1e-3'))
    cases = [
        ([bad, "--trials", "2"], "greater than high"),
        ([cfg, "--trials", "0"], "--trials"),
        ([cfg, "--trials", "2", "--jobs", "0"], "--jobs"),
        ([cfg, "--trials", "2", "--timeout", "-1"], "--timeout"),
        ([cfg, "--trials", "2", "--storage", "sqlite:///" + str(tmp_path / "nowhere" / "s.db")], "does not exist"),
        ([cfg, "--trials", "2", "--storage", "postgresql://u@127.0.0.1:9/db"], "study storage"),
    ]
    text = tmp_path / "notdb.db"
    text.write_text("this is not a database\n" * 100)
    cases.append(([cfg, "--trials", "2", "--storage", f"sqlite:///{text}"], "not a study database"))
    for args, words in cases:
        out = tmp_path / "o"
        rc, printed, err = cli("tune", *args, "--out", out)
        assert rc == 2, (args, err)
        assert err.startswith("physnn: error: ") and err.count("\n") == 1 and words in err, (args, err)
        assert not out.exists(), args
    bad.write_text(CONFIG.format(pruner="none").replace('metric = "val_loss"', 'metric = "val_r2"'))
    rc, _, err = cli("tune", bad, "--trials", "2", "--out", tmp_path / "o")
    assert rc == 2 and "'val_r2' is not logged" in err and not (tmp_path / "o").exists()


def test_a_locked_study_database_is_one_clear_error(tmp_path):
    cfg = load_config(write_cfg(tmp_path))
    db = tmp_path / "s.db"
    open_study(cfg, f"sqlite:///{db}", "tn")  # the tables exist
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(PhysnnError, match="locked"):
            tune(cfg, tmp_path / "o", n_trials=1, storage=f"sqlite:///{db}", lock_timeout=0.2, figures=False)
    finally:
        holder.rollback()
        holder.close()
    assert not (tmp_path / "o").exists()


def test_a_folder_of_another_study_or_kind_is_refused(tmp_path):
    cfg = write_cfg(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.toml").write_text("x")
    rc, _, err = cli("tune", cfg, "--trials", "1", "--out", tmp_path / "run")
    assert rc == 2 and "not a physnn tune folder" in err
    other = parse_config({**load_config(cfg).model_dump(mode="json", exclude_none=True),
                          "tune": {"params": {"train.lr": {"low": 0.01, "high": 0.1}}}})
    open_study(load_config(cfg), f"sqlite:///{tmp_path / 's.db'}", "tn")
    with pytest.raises(PhysnnError, match="another search space"):
        open_study(other, f"sqlite:///{tmp_path / 's.db'}", "tn")
