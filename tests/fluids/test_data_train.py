"""Data sets (seeded, cached, worker-independent), the relative-L2 objective, training and the CLI."""

import json

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.fluids.burgers import solve_burgers
from physnn.fluids.data import burgers_dataset, load_dataset, ns_dataset, save_dataset
from physnn.fluids.train import (RelativeL2, heat_baseline, load_run, measure_speed, relative_l2, resolution_errors,
                                 rollout, save_run, train_burgers, train_ns)


def test_burgers_dataset_is_seeded_cached_and_solved(tmp_path):
    d = burgers_dataset(6, grid=64, nu=0.05, seed=1, chunk=4, cache_dir=tmp_path)
    again = burgers_dataset(6, grid=64, nu=0.05, seed=1, chunk=4, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    assert np.array_equal(d["a"], again["a"]) and np.array_equal(d["u"], again["u"])
    other = burgers_dataset(6, grid=64, nu=0.05, seed=2, cache_dir=None)
    assert not np.allclose(other["a"], d["a"])
    # the labels are the solver's output
    u = solve_burgers(d["a"][:4].astype(np.float64), nu=0.05, t=1.0)
    assert np.abs(u - d["u"][:4]).max() < 1e-5


def test_dataset_independent_of_workers():
    # Exactly reproducible by construction, so compared bit for bit: the same chunks in both runs (a
    # chunk shares its time steps), and the solver uses only scipy.fft transforms (one thread unless
    # workers= is given) and elementwise numpy, no BLAS reduction whose order a thread count could change.
    a = ns_dataset(4, s=16, steps=2, chunk=2, workers=1, cache_dir=None)
    b = ns_dataset(4, s=16, steps=2, chunk=2, workers=2, cache_dir=None)
    assert np.array_equal(a["w"], b["w"])
    assert a["w"].shape == (4, 2, 16, 16) and a["w"].dtype == np.float32


def test_solver_workers_never_import_torch():
    # a worker process runs _solve_chunk (through physnn.parallel): importing torch there (3 s, through a validator) would cost
    # more than the solve itself
    import subprocess
    import sys

    code = ("import sys\nimport physnn.parallel\nfrom physnn.fluids.data import _solve_chunk\nimport numpy as np\n"
            "_solve_chunk('ns', np.zeros((1, 16, 16)), {'t': 0.1})\n"
            "_solve_chunk('burgers', np.zeros((1, 16)), {'t': 0.1})\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


def test_save_load_roundtrip_and_bad_files(tmp_path):
    d = burgers_dataset(3, grid=32, nu=0.1, cache_dir=None)
    p = save_dataset(d, tmp_path / "b.npz")
    back = load_dataset(p)
    assert back["meta"]["kind"] == "burgers" and np.array_equal(back["a"], d["a"])
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(PhysnnError, match="meta"):
        load_dataset(tmp_path / "x.npz")
    with pytest.raises(PhysnnError, match="does not exist"):
        load_dataset(tmp_path / "missing.npz")


def test_relative_l2_and_rollout():
    y = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    assert relative_l2(y, y).item() == 0
    assert abs(relative_l2(2 * y, y).item() - 1.0) < 1e-6
    shift = lambda x: x[:, -1:] + 1  # noqa: E731  a "model": last snapshot + 1
    out = rollout(shift, torch.zeros(2, 3, 4, 4), 3)
    assert out.shape == (2, 3, 4, 4) and torch.allclose(out[:, 2], torch.full((2, 4, 4), 3.0))


def test_heat_baseline_is_exact_for_linear_data():
    x = np.arange(64) / 64
    a = 1e-6 * np.sin(2 * np.pi * 2 * x)[None]
    assert np.abs(heat_baseline(a, nu=0.01, t=1.0) - solve_burgers(a, nu=0.01, t=1.0)).max() < 1e-13


def test_fno_learns_burgers_better_than_baselines(tmp_path):
    # tiny: nu = 0.1 fields, 64 points, 48 training pairs; the FNO must beat the heat-equation baseline
    d = burgers_dataset(64, grid=64, nu=0.1, seed=0, cache_dir=None)
    r = train_burgers(d, model="fno", s=64, n_train=48, n_test=16, epochs=40, modes=8, width=16,
                      batch_size=8, lr=3e-3, progress=False)
    assert r.test_rel_l2 < 0.5 * r.baselines["heat (no nonlinearity)"]
    assert r.baselines["zero"] == pytest.approx(1.0)
    # resolution invariance: same weights at s = 32 and 64, error stays in the same range
    errs = resolution_errors(r.model, d, [32, 64], n_test=16)
    assert errs[64] == pytest.approx(r.test_rel_l2, rel=1e-4)
    assert errs[32] < 3 * errs[64] + 0.05
    run = save_run(r, tmp_path / "run", figures=False)
    model, state = load_run(run)
    with torch.no_grad():
        p = model(torch.as_tensor(r.test_input, dtype=torch.float32)).numpy()
    assert np.abs(p - r.test_pred).max() < 1e-5
    assert json.loads((run / "metrics.json").read_text())["test_rel_l2"] == pytest.approx(r.test_rel_l2)


def test_measure_speed_times_solver_and_model_and_divides(monkeypatch):
    # no timings in tests: a stand-in clock returns fixed seconds per call, so the check is on what is
    # timed (the solver and the network, on n samples and on one, the network on one thread) and on the
    # arithmetic of the speed-ups
    import physnn.fluids.burgers as burgers
    import physnn.surrogate as surrogate

    d = burgers_dataset(8, grid=32, nu=0.1, seed=0, cache_dir=None)
    r = train_burgers(d, model="fno", s=32, n_train=4, n_test=4, epochs=1, modes=4, width=4, progress=False)
    solved, timed = [], []
    real_solve = burgers.solve_burgers

    def solve(u0, **kw):
        solved.append((np.shape(u0), kw))
        return real_solve(u0, **kw)

    seconds = iter([0.8, 0.3, 0.02, 0.01])  # solver batched, solver single, model batched, model single

    def clock(fn, n, repeats, *, clock):
        fn()
        timed.append((n, repeats, clock, torch.get_num_threads()))
        return next(seconds) / n

    monkeypatch.setattr(burgers, "solve_burgers", solve)
    monkeypatch.setattr(surrogate, "time_per_sample", clock)
    torch.set_num_threads(2)  # measure_speed must time the network on one thread and restore this
    try:
        sp = measure_speed(r, n=3, repeats=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    assert timed == [(3, 2, "cpu", 1), (1, 2, "cpu", 1), (3, 2, "cpu", 1), (1, 2, "cpu", 1)]
    assert [shape for shape, _ in solved] == [(3, 32), (1, 32)]
    assert solved[0][1] == {"nu": 0.1, "t": 1.0}
    assert sp["solver_batched"] == pytest.approx(0.8 / 3) and sp["model_single"] == pytest.approx(0.01)
    assert sp["speedup_batched"] == pytest.approx(40.0) and sp["speedup_single"] == pytest.approx(30.0)


def test_train_ns_tiny_and_errors():
    d = ns_dataset(6, s=16, steps=4, cache_dir=None)
    r = train_ns(d, model="fno", n_in=2, n_train=4, n_test=2, epochs=1, modes=3, width=4, progress=False)
    assert r.test_pred.shape == (2, 2, 16, 16) and np.isfinite(r.test_rel_l2)
    assert "persistence" in r.baselines
    r2 = train_ns(d, model="resnet", n_in=2, n_train=4, n_test=2, epochs=1, width=4, blocks=1, progress=False)
    assert np.isfinite(r2.test_rel_l2)
    with pytest.raises(PhysnnError, match="exceeds"):
        train_ns(d, n_in=2, n_train=5, n_test=2, epochs=1)
    with pytest.raises(PhysnnError, match="not a Burgers"):
        train_burgers(d, epochs=1)
    with pytest.raises(PhysnnError, match="divide"):
        train_burgers(burgers_dataset(4, grid=64, nu=0.1, cache_dir=None), s=48, n_train=2, n_test=2)


def test_relative_l2_objective_checks_shapes():
    with pytest.raises(PhysnnError, match="samples"):
        RelativeL2((torch.zeros(3, 8), torch.zeros(2, 8)))
    obj = RelativeL2((torch.zeros(3, 8), torch.zeros(3, 4)))
    with pytest.raises(PhysnnError, match="targets"):
        obj.setup(torch.nn.Linear(8, 8), torch.device("cpu"))


def test_cli_generate_and_train(tmp_path):
    from typer.testing import CliRunner

    from physnn.cli.fluids import app

    runner = CliRunner()
    out = tmp_path / "b.npz"
    res = runner.invoke(app, ["generate", "burgers", "--n", "12", "--grid", "64", "--nu", "0.1", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert "wrote 12 burgers samples" in res.output
    res = runner.invoke(app, ["train", str(out), "--model", "mlp", "--s", "64", "--n-train", "8", "--n-test", "4",
                              "--epochs", "2", "--out", str(tmp_path / "run"), "-q"])
    assert res.exit_code == 0, res.output
    assert "held-out relative L2" in res.output and (tmp_path / "run" / "figures" / "fields.png").exists()
    res = runner.invoke(app, ["generate", "vortex", "--out", str(out)])
    assert isinstance(res.exception, PhysnnError) and "burgers" in str(res.exception)
    res = runner.invoke(app, ["train", str(out), "--model", "resnet", "--out", str(tmp_path / "r2")])
    assert isinstance(res.exception, PhysnnError) and "fno" in str(res.exception)


def test_validation_split_restores_best_epoch():
    d = burgers_dataset(20, grid=32, nu=0.1, seed=0, cache_dir=None)
    r = train_burgers(d, model="fno", s=32, n_train=10, n_val=4, n_test=6, epochs=3, modes=4, width=4,
                      progress=False)
    vals = r.history["val_loss"]
    assert len(vals) == 3 and r.history.best_value == pytest.approx(min(vals))


def test_increment_adds_last_snapshot_and_round_trips(tmp_path):
    from physnn.fluids.train import Increment, ResNet2d

    net = ResNet2d(in_channels=2, width=4, blocks=1)
    torch.nn.init.zeros_(net.out.weight)
    torch.nn.init.zeros_(net.out.bias)
    x = torch.randn(3, 2, 8, 8)
    # a zero increment is persistence: every rolled-out step equals the last input snapshot
    assert torch.equal(rollout(Increment(net), x, 3), x[:, -1:].expand(3, 3, 8, 8))
    d = ns_dataset(6, s=16, steps=4, cache_dir=None)
    r = train_ns(d, model="fno", n_in=2, n_train=4, n_test=2, epochs=1, modes=3, width=4, increment=True,
                 progress=False)
    assert isinstance(r.model, Increment) and r.settings["increment"] is True
    model, state = load_run(save_run(r, tmp_path / "run", figures=False))
    assert isinstance(model, Increment) and state["settings"]["net"]["kind"] == "increment"
    with torch.no_grad():
        pred = rollout(model, torch.as_tensor(r.test_input), 2).numpy()
    np.testing.assert_allclose(pred, r.test_pred, rtol=1e-5, atol=1e-6)
