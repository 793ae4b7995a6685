"""The playground's protocol over the WebSocket: play, step, reset, parameter changes, export, bad input."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest


def _heat(frame):
    return np.frombuffer(base64.b64decode(frame["heat"]), dtype=np.uint8)


def test_hello_gives_state_data_model_and_a_first_frame(tab):
    frame = tab.hello(dataset="xor", networkShape="8,8", activation="tanh", learningRate="0.03")
    types = [m["type"] for m in tab.seen]
    assert types.index("state") < types.index("data") < types.index("model") < types.index("frame")
    assert tab.params["dataset"] == "xor" and tab.params["networkShape"] == [8, 8]
    assert frame["epoch"] == 0 and frame["ack"] is False and frame["running"] is False
    data = next(m for m in tab.seen if m["type"] == "data")
    assert len(data["label"]) == 500 and sum(data["train"]) == 250 and set(data["label"]) == {0, 1}
    assert _heat(frame).size == 100 * 100
    assert len(frame["nodes"]["maps"]) == 2 + 8 + 8
    assert [np.array(w).shape for w in frame["weights"]] == [(8, 2), (8, 8), (1, 8)]
    # a frame of the default-size network stays well under ~50 kB
    assert len(json.dumps(frame)) < 50_000


def test_play_trains_and_pause_stops(tab):
    first = tab.hello(dataset="xor", networkShape="8,8", activation="tanh", learningRate="0.03")
    tab.send({"type": "play"})
    f = tab.until(lambda m: m["type"] == "frame" and m["ack"] and (m["testLoss"] < 0.5 * first["testLoss"]
                                                                   or m["epoch"] >= 1000))
    assert f["running"] and f["testLoss"] < 0.5 * first["testLoss"]
    f = tab.until(lambda m: m["type"] == "frame" and (m["metrics"]["accuracy"] > 0.9 or m["epoch"] >= 1000))
    assert f["metrics"]["accuracy"] > 0.9
    assert not np.array_equal(_heat(f), _heat(first))
    tab.send({"type": "pause"})
    st = tab.until(lambda m: m["type"] == "status" and not m["running"])
    # after the pause, at most the frames already on their way arrive: the epoch stops rising
    tab.send({"type": "step"})
    after = tab.until(lambda m: m["type"] == "frame" and m["ack"] and not m["running"])
    assert after["epoch"] >= st["epoch"] + 1


def test_step_runs_exactly_one_epoch_and_reset_starts_over(tab):
    f0 = tab.hello(dataset="circle")
    for k in (1, 2, 3):
        tab.send({"type": "step"})
        f = tab.until(lambda m: m["type"] == "frame" and m["ack"])
        assert f["epoch"] == k and f["running"] is False
    tab.send({"type": "reset"})
    f = tab.until(lambda m: m["type"] == "frame" and m["epoch"] == 0)
    assert f["testLoss"] == pytest.approx(f0["testLoss"], rel=1e-6)  # same seed: the same initial network


def test_learning_rate_changes_live_and_shape_change_builds_a_new_network(tab):
    tab.hello(dataset="gauss")
    tab.send({"type": "play"})
    tab.frame_at(3)
    tab.send({"type": "set", "values": {"learningRate": 0.3}})
    f = tab.until(lambda m: m["type"] == "frame" and m["ack"] and m["lr"] == pytest.approx(0.3))
    assert f["epoch"] > 3  # no reset: the epoch counter went on
    tab.send({"type": "set", "values": {"networkShape": "3"}})
    m = tab.until(lambda m: m["type"] == "model")
    assert m["shape"] == [3]
    f = tab.until(lambda m: m["type"] == "frame")
    assert f["epoch"] == 0 and [np.array(w).shape for w in f["weights"]] == [(3, 2), (1, 3)]
    tab.send({"type": "pause"})


def test_optimizer_change_keeps_the_weights(tab):
    tab.hello(dataset="gauss")
    tab.send({"type": "play"})
    before = tab.frame_at(5)
    tab.send({"type": "set", "values": {"optimizer": "adam", "regularization": "L2", "regularizationRate": 0.01}})
    tab.until(lambda m: m["type"] == "frame" and m["ack"] and m["epoch"] > before["epoch"] + 3)
    later = tab.seen[tab.seen.index(before):]
    # a new fit on the same network: no new model, and the epoch counter never starts over
    assert not any(m["type"] == "model" for m in later)
    assert all(m["epoch"] >= before["epoch"] for m in later if m["type"] == "frame")
    tab.send({"type": "pause"})


def test_bad_link_values_are_noted_and_bad_messages_answered(tab):
    tab.hello(activation="swish", networkShape="8,x", dataset="moon")
    assert len(tab.notes) == 3 and tab.params["activation"] == "tanh"
    tab.send("this is not JSON")
    tab.until(lambda m: m["type"] == "error")
    tab.send({"type": "__import__('os').system('true')"})
    tab.until(lambda m: m["type"] == "error" and "unknown message type" in m["message"])
    tab.send({"type": "add_point", "x": "1+1", "y": 0, "label": 1})
    tab.until(lambda m: m["type"] == "error" and "'x' must be a number" in m["message"])
    # the session still works
    tab.send({"type": "step"})
    assert tab.until(lambda m: m["type"] == "frame" and m["ack"])["epoch"] == 1


def test_cross_entropy_softmax_three_classes_with_metrics(tab):
    tab.hello(dataset="blobs", loss="mse", networkShape="6", learningRate="0.1", optimizer="adam")
    assert tab.params["loss"] == "cross_entropy" and any("cross_entropy" in n for n in tab.notes)
    data = next(m for m in tab.seen if m["type"] == "data")
    tab.send({"type": "play"})
    f = tab.until(lambda m: m["type"] == "frame" and (m["metrics"]["accuracy"] > 0.9 or m["epoch"] >= 500))
    assert f["metrics"]["accuracy"] > 0.9
    assert f["heatKind"] == "classes" and set(np.unique(_heat(f))) == {0, 1, 2}
    conf = np.array(f["metrics"]["confusion"])
    assert conf.shape == (3, 3) and conf.sum() == len(data["train"]) - sum(data["train"])
    tab.send({"type": "pause"})


def test_regression_reports_r2(tab):
    tab.hello(problem="regression", regDataset="reg-plane", networkShape="2", learningRate="0.01")
    tab.send({"type": "play"})
    f = tab.until(lambda m: m["type"] == "frame" and ((m["metrics"]["r2"] or 0) > 0.9 or m["epoch"] >= 500))
    assert f["metrics"]["r2"] > 0.9
    tab.send({"type": "pause"})


def test_early_stopping_restores_the_best_weights(tab):
    # a big learning rate on the noisy polynomial: the test loss stops improving soon
    tab.hello(problem="regression", regDataset="polynomial", networkShape="16,16", activation="tanh",
              learningRate="0.3", optimizer="adam", earlyStopping="true", patience="5", epochs="3000")
    tab.send({"type": "play"})
    st = tab.until(lambda m: m["type"] == "status" and m["message"])
    assert "Early stopping" in st["message"] and "Restored the weights of epoch" in st["message"]
    frames = [m for m in tab.seen if m["type"] == "frame" and m["ack"]]
    best = min(m["testLoss"] for m in frames)
    final = [m for m in tab.seen if m["type"] == "frame"][-1]  # sent after restoring, before the status
    assert not st["running"] and not final["ack"] and final["testLoss"] < frames[-1]["testLoss"]
    assert final["testLoss"] == pytest.approx(best, rel=1e-4, abs=1e-6)


def test_add_point_by_click_and_upload_csv(tab):
    tab.hello(dataset="gauss")
    n0 = len(next(m for m in tab.seen if m["type"] == "data")["label"])
    tab.send({"type": "add_point", "x": 1.5, "y": -2.0, "label": 1})
    d = tab.until(lambda m: m["type"] == "data")
    assert len(d["label"]) == n0 + 1 and d["label"][-1] == 1 and d["train"][-1] == 1 and d["name"] == "custom"
    assert tab.params["dataset"] == "custom"
    # a new class by clicking: softmax over three classes
    tab.send({"type": "add_point", "x": 0.0, "y": 5.0, "label": 2})
    tab.until(lambda m: m["type"] == "model" and m["outputs"] == 3)
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{'sig' if a * b > 0 else 'bkg'},{rng.normal():.2f}"
                     for a, b in rng.uniform(-3, 3, (60, 2)))
    tab.send({"type": "upload", "name": "mine.csv", "text": "u,v,kind,w\n" + rows})
    t = tab.until(lambda m: m["type"] == "table")
    assert t["columns"] == ["u", "v", "kind", "w"] and t["rows"] == 60
    assert (t["x"], t["y"], t["label"]) == ("u", "v", "w")  # by default the last column is the label
    d = tab.until(lambda m: m["type"] == "data")
    assert d["task"] == "regression" and tab.params["problem"] == "regression"  # a float label: regression
    tab.send({"type": "columns", "x": "u", "y": "v", "label": "kind"})
    d = tab.until(lambda m: m["type"] == "data")
    assert d["classNames"] == ["bkg", "sig"] and len(d["label"]) == 60 and d["task"] == "classification"
    tab.send({"type": "step"})
    f = tab.until(lambda m: m["type"] == "frame" and m["ack"])
    assert f["epoch"] == 1 and np.array(f["metrics"]["confusion"]).sum() == 30


@pytest.mark.parametrize(("text", "needle"), [
    ("a,b,c\n" + "1,2,0\n" * 5, "at least 10"),
    ("a,b,c\n" + "1,x,0\n" * 12, "not numeric"),
    ("a,b,c\n" + "1,nan,0\n" * 12, "NaN"),
    ("a,b,c\n" + "1,,0\n" * 12, "missing"),
    ("a,b,c\n" + "".join(f"{i},{i},1\n" for i in range(12)), "single class"),
    ("a,b\n" + "1,2\n" * 12, "label column"),
    ("a,b,c\n" + "1,2\n" * 12, "has 2 fields"),
    ("a,b,c\n" + "1,2,3\n" * 20_001, "at most 20,000"),
])
def test_bad_uploads_are_a_message_in_the_page(tab, text, needle):
    tab.hello(dataset="circle")
    tab.send({"type": "upload", "name": "bad.csv", "text": text})
    m = tab.until(lambda m: m["type"] == "error")
    assert needle in m["message"] and "bad.csv" in m["message"]
    tab.send({"type": "step"})  # the tab goes on with its data
    assert tab.until(lambda m: m["type"] == "frame" and m["ack"])["epoch"] == 1


def test_upload_over_the_size_limit_is_refused(tab):
    from physnn.playground.datasets import MAX_UPLOAD_BYTES

    tab.hello()
    tab.send({"type": "upload", "name": "big.csv", "text": "a,b,c\n" + "1,2,3\n" * (MAX_UPLOAD_BYTES // 6 + 10)})
    m = tab.until(lambda m: m["type"] == "error")
    assert "MB" in m["message"]


def test_edit_a_weight(tab):
    tab.hello(networkShape="2")
    tab.send({"type": "edit", "layer": 0, "to": 1, "from": 0, "value": 2.5})
    f = tab.until(lambda m: m["type"] == "frame" and m["weights"][0][1][0] == 2.5)
    tab.send({"type": "edit", "layer": 1, "to": 0, "from": -1, "value": -0.75})
    f = tab.until(lambda m: m["type"] == "frame" and m["biases"][1][0] == -0.75)
    assert f["weights"][0][1][0] == 2.5


def test_sessions_are_isolated(client):
    from tests.playground.conftest import Tab

    with client.websocket_connect("/ws") as wa, client.websocket_connect("/ws") as wb:
        a, b = Tab(wa), Tab(wb)
        a.hello(dataset="xor", networkShape="8")
        b.hello(dataset="spiral", networkShape="3", activation="relu")
        a.send({"type": "play"})
        a.frame_at(5)
        b.send("{broken")  # an error in one tab ...
        b.until(lambda m: m["type"] == "error")
        b.send({"type": "step"})
        fb = b.until(lambda m: m["type"] == "frame" and m["ack"])
        fa = a.frame_at(10)  # ... never reaches the other
        assert fb["epoch"] == 1 and fa["epoch"] >= 10 and not a.errors
        assert len(fa["weights"][0]) == 8 and len(fb["weights"][0]) == 3
        a.send({"type": "pause"})


def test_export_is_a_physnn_experiment_that_physnn_train_reproduces(tab, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file

    from physnn.config import load_config
    from physnn.runs import build_experiment_model, train_run

    tab.hello(dataset="xor", networkShape="4", activation="tanh", learningRate="0.1", xTimesY="true", optimizer="adam")
    tab.send({"type": "play"})
    f = tab.frame_at(30)
    tab.send({"type": "pause"})
    tab.send({"type": "export"})
    m = tab.until(lambda m: m["type"] == "export")
    z = zipfile.ZipFile(io.BytesIO(base64.b64decode(m["data"])))
    assert sorted(z.namelist()) == ["README.txt", "data.csv", "experiment.toml", "model.safetensors"]
    z.extractall(tmp_path)
    monkeypatch.chdir(tmp_path)
    cfg = load_config(tmp_path / "experiment.toml")
    assert cfg.model.hidden == [4] and cfg.model.activation == ["tanh"] and cfg.model.out_activation == "tanh"
    assert cfg.data.features == ["x", "y", "xTimesY"] and cfg.train.optimizer == "adam"
    assert cfg.train.lr == 0.1 and cfg.train.epochs >= 30 and cfg.data.val == 0.5
    # the exported weights load into the model physnn train builds, and give the playground's test loss
    model = build_experiment_model(cfg, 3, 1)
    model.load_state_dict(load_file(tmp_path / "model.safetensors"))
    import csv

    rows = list(csv.DictReader(open(tmp_path / "data.csv")))
    test = [r for r in rows if r["split"] == "test"]
    X = torch.tensor([[float(r[k]) for k in cfg.data.features] for r in test])
    y = torch.tensor([[float(r["label"])] for r in test])
    with torch.no_grad():
        loss = float(torch.nn.functional.mse_loss(model(X), y))
    exported_epoch = int(m["filename"].split("epoch")[1].split(".")[0])
    at_export = next(x for x in reversed(tab.seen) if x["type"] == "frame" and x["epoch"] == exported_epoch)
    assert loss == pytest.approx(at_export["testLoss"], rel=1e-4)
    # physnn train runs the experiment file as it is, and learns XOR from the exported data
    cfg.train.epochs = 30
    run = train_run(cfg, tmp_path / "run", quiet=True, figures=False)
    metrics = json.loads((run.directory / "metrics.json").read_text())
    assert metrics is not None and f["testLoss"] < 1.0
    final = metrics.get("final", metrics)
    val_loss = final.get("val_loss")
    assert val_loss is not None and val_loss < 0.5


def test_a_crash_in_one_session_is_reported_there_and_spares_the_other(client, monkeypatch):
    from physnn.playground.session import Session
    from tests.playground.conftest import Tab

    def boom(self, msg):
        raise RuntimeError("a bug in export")

    monkeypatch.setattr(Session, "_on_export", boom)
    with client.websocket_connect("/ws") as wa, client.websocket_connect("/ws") as wb:
        a, b = Tab(wa), Tab(wb)
        a.hello(dataset="xor")
        b.hello(dataset="circle")
        a.send({"type": "play"})
        a.frame_at(3)
        b.send({"type": "export"})
        m = b.until(lambda m: m["type"] == "error")
        assert "internal error: RuntimeError: a bug in export" in m["message"]
        b.until(lambda m: m["type"] == "frame")  # its network is rebuilt, and it goes on
        b.send({"type": "step"})
        assert b.until(lambda m: m["type"] == "frame" and m["ack"])["epoch"] == 1
        assert a.frame_at(a.frame["epoch"] + 5)["running"] and not a.errors
        a.send({"type": "pause"})


def test_the_lectures_xor_needs_a_hidden_layer(tab):
    """The four XOR points: no hidden layer (a perceptron) gets at most 3 of 4; one hidden layer gets all."""
    tab.hello(dataset="xor4", networkShape="", optimizer="adam", learningRate="0.1", batchSize="4")
    assert tab.params["networkShape"] == []
    tab.send({"type": "play"})
    frames = [tab.frame_at(k) for k in (50, 100, 200)]
    assert all(f["metrics"]["accuracy"] <= 0.75 for f in frames)  # a line cannot split XOR
    tab.send({"type": "set", "values": {"networkShape": "4"}})
    tab.until(lambda m: m["type"] == "model" and m["shape"] == [4])
    tab.send({"type": "play"})
    f = tab.until(lambda m: m["type"] == "frame" and (m["metrics"]["accuracy"] == 1.0 or m["epoch"] >= 3000))
    assert f["metrics"]["accuracy"] == 1.0 and sum(map(sum, f["metrics"]["confusion"])) == 4
    tab.send({"type": "pause"})


def test_the_session_ends_when_the_tab_closes(client):
    import time

    from tests.playground.conftest import Tab

    with client.websocket_connect("/ws") as ws:
        t = Tab(ws)
        t.hello(dataset="xor")
        t.send({"type": "play"})
        t.frame_at(3)
        assert client.get("/health").json()["sessions"] >= 1
    deadline = time.monotonic() + 30
    while client.get("/health").json()["sessions"] > 0:
        assert time.monotonic() < deadline, "the session's thread is still running after the tab closed"
        time.sleep(0.05)


def test_step_schedule_halves_the_learning_rate_every_100_epochs(tab):
    tab.hello(dataset="gauss", schedule="step", learningRate="0.03", networkShape="2")
    tab.send({"type": "play"})
    assert tab.frame_at(50)["lr"] == pytest.approx(0.03)
    assert tab.frame_at(101)["lr"] == pytest.approx(0.015)
    tab.send({"type": "pause"})


def test_dropout_and_an_activation_per_layer_build_that_network():
    from torch import nn

    from physnn.playground import datasets as D
    from physnn.playground.params import parse_state
    from physnn.playground.session import build_model

    p, notes = parse_state({"networkShape": "5,4,3", "activations": "relu,linear,sigmoid", "dropout": "0.2",
                            "loss": "cross_entropy", "dataset": "blobs"})
    assert notes == []
    data = D.make_dataset(p)
    model = build_model(p, 2, data, seed=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "Identity", "Dropout", "Linear", "Sigmoid", "Dropout",
                     "Linear"]
    assert model[-1].out_features == 3 and all(m.p == 0.2 for m in model if isinstance(m, nn.Dropout))


@pytest.mark.parametrize("shape", ["8,8,8,8,8,8", "64,64,64,64,64,64,64,64,64,64"])
def test_frames_stay_small_for_big_networks(tab, shape):
    f = tab.hello(dataset="spiral", networkShape=shape, activation="relu",
                  xSquared="true", ySquared="true", xTimesY="true", sinX="true", sinY="true")
    assert len(json.dumps(f, separators=(",", ":"))) < 50_000
    assert tab.params["networkShape"] == [int(n) for n in shape.split(",")]
