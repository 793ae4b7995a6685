"""Fluids on the user's own arrays: train (1-D, 2-D, time series) from HDF5/NPZ through the CLI, then
predict (with --input), show and export; bad files and names follow the error contract."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import physnn.cli.app as cli

h5py = pytest.importorskip("h5py")


def call(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def ok(capsys, *args) -> str:
    code, out, err = call(capsys, *args)
    assert code == 0, f"physnn {' '.join(map(str, args))} -> {code}\n{out}\n{err}"
    return out


def bad(capsys, *args) -> str:
    code, out, err = call(capsys, *args)
    assert code == 2, f"exit {code}\n{out}\n{err}"
    assert err.startswith("physnn: error:") and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def smooth_1d(n: int, s: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.arange(s) / s
    k = np.arange(1, 4)[:, None]
    a, b = rng.normal(size=(2, n, 3, 1))
    return (3.0 + (a * np.sin(2 * np.pi * k * x) + b * np.cos(2 * np.pi * k * x)).sum(1)).astype(np.float32)


def shift(u: np.ndarray, by: int = 3) -> np.ndarray:
    return np.roll(u, by, axis=-1)


@pytest.fixture(scope="module")
def run_1d(tmp_path_factory):
    """A tiny FNO trained through the CLI on an HDF5 file of 1-D fields (a shift map, offset 3, scale 10)."""
    d = tmp_path_factory.mktemp("own1d")
    u0 = 10 * smooth_1d(24, 32, 0)
    with h5py.File(d / "fields.h5", "w") as f:
        f.create_dataset("inputs/u0", data=u0)
        f.create_dataset("uT", data=shift(u0))
        f.create_dataset("x", data=np.arange(32) / 32)
        f.attrs["nu"] = 0.03
    code = cli.main(["fluids", "train", str(d / "fields.h5"), "--input", "inputs/u0", "--output", "uT",
                     "--n-test", "4", "--epochs", "3", "--modes", "4", "--width", "6", "--batch-size", "5",
                     "-q", "--out", str(d / "run")])
    assert code == 0
    return d


def test_train_1d_hdf5_writes_a_fluids_run(run_1d, capsys):
    run = run_1d / "run"
    state = json.loads((run / "state.json").read_text())
    assert state["format"] == "physnn-run-2" and state["kind"] == "fluids"
    assert state["model"]["kind"] == "fno1d" and state["model"]["modes"] == 4
    assert state["task"] == {"layout": "1d", "input": "inputs/u0", "output": "uT", "s": 32, "grid": [32]}
    assert state["scaling"]["x_mean"] == pytest.approx(30.0, abs=3.0)  # standardised: the fields sit at 10 * 3
    assert state["data"]["attrs"] == {"nu": 0.03} and state["provenance"]["seed"] == 0
    for name in ("model.safetensors", "config.toml", "history.csv", "metrics.json", "figures/loss.png",
                 "figures/fields.png"):
        assert (run / name).exists(), name
    import tomllib

    cfg = tomllib.loads((run / "config.toml").read_text())
    assert cfg["input"] == "inputs/u0" and cfg["output"] == "uT" and cfg["epochs"] == 3 and cfg["net"]["width"] == 6
    m = json.loads((run / "metrics.json").read_text())
    assert set(m["baselines_rel_l2"]) >= {"zero", "linear ridge map", "mean of training outputs",
                                          "persistence (output = input)"}
    # the shift is linear: the ridge map learns it from 20 samples of a 6-mode field (by construction exact)
    assert m["baselines_rel_l2"]["linear ridge map"] < 1e-3
    assert m["baselines_rel_l2"]["zero"] == pytest.approx(1.0)


def test_predict_input_option(run_1d, tmp_path, capsys):
    """``physnn predict RUN DATA --out OUT --input NAME``: the array NAME of DATA, written as pred_<output>."""
    from physnn.fluids.train import load_run

    new = 10 * smooth_1d(5, 64, 7)  # another resolution: an FNO takes any
    np.savez(tmp_path / "new.npz", first=new[:2], second=new)
    text = ok(capsys, "predict", run_1d / "run", tmp_path / "new.npz", "--input", "second", "--out", tmp_path / "p.h5")
    assert "p.h5" in text
    with h5py.File(tmp_path / "p.h5", "r") as f:
        assert list(f) == ["pred_uT"]
        pred = f["pred_uT"][()]
    model, _ = load_run(run_1d / "run")
    with torch.no_grad():
        want = model(torch.as_tensor(new)).numpy()
    assert pred.shape == (5, 64)
    np.testing.assert_allclose(pred, want, rtol=1e-5, atol=1e-4)
    # without --input: the trained name; the training file itself, to .npz
    ok(capsys, "predict", run_1d / "run", run_1d / "fields.h5", "--out", tmp_path / "q.npz")
    with np.load(tmp_path / "q.npz") as z:
        assert z.files == ["pred_uT"] and z["pred_uT"].shape == (24, 32)
    # a name the file lacks: the arrays it has are listed
    err = bad(capsys, "predict", run_1d / "run", tmp_path / "new.npz", "--input", "third", "--out", tmp_path / "r.h5")
    assert "'third'" in err and "first (2, 64)" in err and "second (5, 64)" in err
    assert not (tmp_path / "r.h5").exists()
    err = bad(capsys, "predict", run_1d / "run", tmp_path / "new.npz", "--out", tmp_path / "r.h5")
    assert "'inputs/u0'" in err and "--input" in err
    err = bad(capsys, "predict", run_1d / "run", tmp_path / "new.npz", "--input", "second", "--out", tmp_path / "r.csv")
    assert ".npz" in err and not (tmp_path / "r.csv").exists()


def test_show_and_export_match_predict(run_1d, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    text = ok(capsys, "show", run_1d / "run")
    assert "fluids" in text and "inputs/u0 -> uT" in text and "pred_uT" in text and "fno1d" in text
    ok(capsys, "export", run_1d / "run", "--onnx", tmp_path / "f.onnx")
    import onnxruntime as ort

    x = 10 * smooth_1d(3, 32, 9)
    y = ort.InferenceSession(str(tmp_path / "f.onnx")).run(None, {"x": x})[0]
    np.savez(tmp_path / "x.npz", **{"inputs/u0": x})
    ok(capsys, "predict", run_1d / "run", tmp_path / "x.npz", "--out", tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z:
        np.testing.assert_allclose(y, z["pred_uT"], rtol=1e-4, atol=1e-3)


def test_train_2d_fields_and_predict(tmp_path, capsys):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(10, 16, 16)).astype(np.float32)
    np.savez(tmp_path / "f2.npz", a=a, b=-a)
    text = ok(capsys, "fluids", "train", tmp_path / "f2.npz", "--input", "a", "--output", "b", "--n-test", "2",
              "--epochs", "2", "--modes", "3", "--width", "4", "-q", "--out", tmp_path / "run")
    assert "a -> b (2d) fno" in text and "on 2 samples" in text
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["model"]["kind"] == "fno2d" and state["task"]["in_channels"] == 1
    assert state["task"]["output_ndim"] == 3
    ok(capsys, "predict", tmp_path / "run", tmp_path / "f2.npz", "--out", tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z:
        assert z["pred_b"].shape == (10, 16, 16)  # the trained output's layout: (N, S, S)
    err = bad(capsys, "predict", tmp_path / "run", tmp_path / "f2.npz", "--input", "nope", "--out", tmp_path / "q.npz")
    assert "'nope'" in err and "a (10, 16, 16) float32" in err
    pytest.importorskip("onnxruntime")
    ok(capsys, "export", tmp_path / "run", "--onnx", tmp_path / "m.onnx", "--exporter", "torchscript")
    import onnxruntime as ort

    got = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": a[:, None]})[0]  # channels first
    with np.load(tmp_path / "p.npz") as z:
        np.testing.assert_allclose(got[:, 0], z["pred_b"], rtol=1e-4, atol=1e-4)


def test_train_time_series_rollout_predict_and_export(tmp_path, capsys):
    rng = np.random.default_rng(2)
    w0 = rng.normal(size=(8, 1, 16, 16))
    w = np.concatenate([np.roll(w0, k, axis=-1) for k in range(4)], axis=1).astype(np.float32)  # (8, 4, 16, 16)
    with h5py.File(tmp_path / "series.h5", "w") as f:
        f.create_dataset("w", data=w)
    text = ok(capsys, "fluids", "train", tmp_path / "series.h5", "--input", "w", "--output", "w", "--n-test", "2",
              "--epochs", "2", "--modes", "3", "--width", "4", "-q", "--out", tmp_path / "run")
    assert "w -> w (series)" in text and "persistence" in text
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["task"]["n_in"] == 2 and state["task"]["n_out"] == 2  # default: the first half -> the rest
    ok(capsys, "predict", tmp_path / "run", tmp_path / "series.h5", "--out", tmp_path / "p.h5")
    with h5py.File(tmp_path / "p.h5", "r") as f:
        assert f["pred_w"].shape == (8, 2, 16, 16)
    # a series shorter than the run's input frames is refused by name
    np.savez(tmp_path / "short.npz", w=w[:, :1])
    err = bad(capsys, "predict", tmp_path / "run", tmp_path / "short.npz", "--out", tmp_path / "q.npz")
    assert "T >= 2" in err
    pytest.importorskip("onnxruntime")
    ok(capsys, "export", tmp_path / "run", "--onnx", tmp_path / "s.onnx", "--exporter", "torchscript")  # the quicker one
    import onnxruntime as ort

    got = ort.InferenceSession(str(tmp_path / "s.onnx")).run(None, {"x": w[:, :2]})[0]
    with h5py.File(tmp_path / "p.h5", "r") as f:
        np.testing.assert_allclose(got, f["pred_w"][()], rtol=1e-4, atol=1e-4)  # the rollout, as predict gives it


def test_generator_files_keep_working_and_predict(tmp_path, capsys):
    from physnn.fluids.data import burgers_dataset, save_dataset

    save_dataset(burgers_dataset(8, grid=32, nu=0.1, seed=0, cache_dir=None), tmp_path / "b.npz")
    text = ok(capsys, "fluids", "train", tmp_path / "b.npz", "--s", "32", "--n-train", "6", "--n-test", "2",
              "--epochs", "1", "--modes", "3", "--width", "4", "-q", "--out", tmp_path / "run")
    assert "burgers fno" in text and "speed-up" in text and "linear ridge map" in text
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["task"]["input"] == "a" and state["scaling"] is None
    ok(capsys, "predict", tmp_path / "run", tmp_path / "b.npz", "--out", tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z:
        assert z["pred_u"].shape == (8, 32)


def test_bad_files_and_names(tmp_path, capsys):
    out = tmp_path / "run"
    # the case: an HDF5 file is not 'pickled data'
    with h5py.File(tmp_path / "fields.h5", "w") as f:
        f.create_dataset("u0", data=np.zeros((4, 8), np.float32))
        f.create_dataset("uT", data=np.zeros((4, 8), np.float32))
    err = bad(capsys, "fluids", "train", tmp_path / "fields.h5", "--out", out)
    assert "pickle" not in err and "--input NAME --output NAME" in err and "u0 (4, 8) float32" in err
    err = bad(capsys, "fluids", "train", tmp_path / "fields.h5", "--input", "u0", "--output", "u", "--out", out)
    assert "no array 'u'" in err and "--output" in err and "uT (4, 8)" in err
    (tmp_path / "text.h5").write_text("x,y\n1,2\n")
    err = bad(capsys, "fluids", "train", tmp_path / "text.h5", "--input", "a", "--output", "b", "--out", out)
    assert "text.h5" in err and "not an HDF5 file" in err and "it holds a UTF-8 text file" in err
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object), b=np.zeros((3, 8)))
    err = bad(capsys, "fluids", "train", tmp_path / "obj.npz", "--input", "a", "--output", "b", "--out", out)
    assert "pickle" not in err and "no array 'a'" in err and "b (3, 8)" in err
    np.savez(tmp_path / "mismatch.npz", a=np.zeros((3, 8)), b=np.zeros((3, 8, 8)))
    err = bad(capsys, "fluids", "train", tmp_path / "mismatch.npz", "--input", "a", "--output", "b", "--out", out)
    assert "(3, 8)" in err and "(3, 8, 8)" in err
    np.savez(tmp_path / "nan.npz", a=np.full((3, 8), np.nan), b=np.zeros((3, 8)))
    err = bad(capsys, "fluids", "train", tmp_path / "nan.npz", "--input", "a", "--output", "b", "--out", out)
    assert "NaN" in err
    assert not out.exists() and not list(tmp_path.glob("run*"))


def test_predict_refuses_another_kind_of_run(tmp_path, capsys):
    from physnn.fluids.runs import predict
    from physnn.rundir import create_run_dir, read_state, write_state

    d = create_run_dir(tmp_path / "tab")
    write_state(d, "tabular", {"model": {"kind": "mlp"}})
    from physnn.errors import PhysnnError
    from physnn.fluids.train import load_run

    with pytest.raises(PhysnnError, match="tabular run"):
        load_run(d)
    np.savez(tmp_path / "x.npz", a=np.zeros((2, 8)))
    err = bad(capsys, "predict", d, tmp_path / "x.npz", "--input", "a", "--out", tmp_path / "p.npz")
    assert "--input" in err  # the tabular kind takes no --input, said by name
    assert callable(predict) and read_state(d)["kind"] == "tabular"


def test_01_run_predicts_and_shows(tmp_path, capsys):
    """The physnn 0.1 fluids run (tests/data/runs-0.1/fluids) goes through predict and show like a new one."""
    from pathlib import Path

    from physnn.fluids.data import load_dataset

    data = Path(__file__).parents[1] / "data" / "runs-0.1"
    a = np.asarray(load_dataset(data / "inputs" / "burgers.npz")["a"])[:4, ::2]  # the run's resolution, 32
    np.savez(tmp_path / "a.npz", a=a)
    ok(capsys, "predict", data / "fluids", tmp_path / "a.npz", "--out", tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz") as z, np.load(data / "expected.npz") as e:
        want = e["fluids"]
        np.testing.assert_allclose(z["pred_u"], want, rtol=1e-3, atol=1e-4 * float(np.abs(want).max()))
    text = ok(capsys, "show", data / "fluids")
    assert "physnn-fluids-run-1" in text and "a -> u" in text


def test_options_that_do_not_apply_are_refused_by_name(tmp_path, capsys):
    np.savez(tmp_path / "f.npz", a=np.zeros((4, 8), np.float32), b=np.ones((4, 8), np.float32),
             c=np.zeros((4, 8, 8), np.float32))
    out = tmp_path / "run"
    err = bad(capsys, "fluids", "train", tmp_path / "f.npz", "--input", "a", "--output", "b", "--n-in", "2",
              "--out", out)
    assert "--n-in does not apply to 1-D fields" in err
    err = bad(capsys, "fluids", "train", tmp_path / "f.npz", "--input", "c", "--output", "c", "--out", out)
    assert "time series (N, T, S, S)" in err
    err = bad(capsys, "fluids", "train", tmp_path / "f.npz", "--input", "c", "--output", "c", "--s", "4", "--out", out)
    assert "--s" in err and "1-D fields" in err
    err = bad(capsys, "fluids", "train", tmp_path / "f.npz", "--input", "a", "--output", "b", "--model", "resnet",
              "--out", out)
    assert "'fno'" in err and "'mlp'" in err
    assert not list(tmp_path.glob("run*"))
