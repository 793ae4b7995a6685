"""Checkpoints: atomic, safe (no unpickling of code), and resumable bit for bit."""

import os
import pickle

import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import Checkpoint, EarlyStopping, fit
from physnn.train.callbacks import Callback
from physnn.train.checkpoint import load_state, load_weights, save_state, save_weights


class Killed(Exception):
    pass


class KillAt(Callback):
    """Simulate a crash right after epoch ``n`` was checkpointed."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, state, logs):
        if state.epoch == self.n:
            raise Killed


def make():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))


def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 3, generator=g)
    return X, torch.sin(X).sum(1, keepdim=True)


@pytest.mark.parametrize("optimizer,schedule", [("adam", "cosine"), ("sgd", "plateau")])
def test_resume_after_kill_matches_uninterrupted_run(tmp_path, optimizer, schedule):
    X, y = data()
    kw = dict(val=(X[:50], y[:50]), optimizer=optimizer, lr=1e-2, momentum=0.9 if optimizer == "sgd" else 0.0,
              epochs=12, batch_size=32, seed=5, schedule=schedule, progress=False)
    ref = make()
    h_ref = fit(ref, (X[50:], y[50:]), callbacks=[EarlyStopping(patience=50)], **kw)

    run = make()
    ck = Checkpoint(tmp_path, every=1)
    with pytest.raises(Killed):
        fit(run, (X[50:], y[50:]), callbacks=[ck, EarlyStopping(patience=50), KillAt(6)], **kw)
    assert (tmp_path / "checkpoint.pt").exists()

    resumed = make()  # a fresh process would rebuild the model from scratch
    h = fit(resumed, (X[50:], y[50:]), callbacks=[Checkpoint(tmp_path), EarlyStopping(patience=50)],
            resume=tmp_path / "checkpoint.pt", **kw)
    for k, v in ref.state_dict().items():
        assert torch.equal(v, resumed.state_dict()[k]), k
    assert h["loss"] == h_ref["loss"]
    assert h.epochs_run == 12


def test_best_weights_file_holds_best_epoch(tmp_path):
    X, y = data()
    model = make()
    snaps = {}

    class Snap(Callback):
        def on_epoch_end(self, state, logs):
            snaps[state.epoch] = {k: v.clone() for k, v in state.raw_model.state_dict().items()}

    h = fit(model, (X[50:], y[50:]), val=(X[:50], y[:50]), epochs=8, lr=3e-2,
            callbacks=[Snap(), Checkpoint(tmp_path)], progress=False)
    best = make()
    load_weights(best, tmp_path / "best.safetensors")
    for k, v in best.state_dict().items():
        assert torch.equal(v, snaps[h.best_epoch][k])


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/physnn_pwned",))


def test_planted_malicious_pickle_is_refused(tmp_path):
    p = tmp_path / "checkpoint.pt"
    with open(p, "wb") as fh:
        pickle.dump({"format": "physnn-checkpoint-1", "x": Evil()}, fh)
    if os.path.exists("/tmp/physnn_pwned"):
        os.remove("/tmp/physnn_pwned")
    with pytest.raises(PhysnnError, match="refused"):
        load_state(p)
    assert not os.path.exists("/tmp/physnn_pwned")
    # a torch.save of a pickled object is refused too
    torch.save({"evil": Evil()}, p)
    with pytest.raises(PhysnnError, match="refused"):
        load_state(p)
    assert not os.path.exists("/tmp/physnn_pwned")
    # resume through fit refuses it as well
    X, y = data()
    with pytest.raises(PhysnnError, match="refused"):
        fit(make(), (X, y), epochs=2, resume=p, progress=False)


def test_weights_mismatch_and_garbage_files(tmp_path):
    save_weights(nn.Linear(3, 2), tmp_path / "w.safetensors")
    with pytest.raises(PhysnnError, match="do not fit"):
        load_weights(nn.Linear(4, 2), tmp_path / "w.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(PhysnnError, match="not a valid safetensors"):
        load_weights(nn.Linear(3, 2), tmp_path / "junk.safetensors")
    with pytest.raises(PhysnnError, match="does not exist"):
        load_weights(nn.Linear(3, 2), tmp_path / "missing.safetensors")


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "state.pt"
    save_state({"a": torch.ones(2)}, p)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        save_state({"a": torch.zeros(2)}, p)
    monkeypatch.undo()
    assert torch.equal(load_state(p)["a"], torch.ones(2))
    assert [f.name for f in tmp_path.iterdir()] == ["state.pt"]  # no temp files left
