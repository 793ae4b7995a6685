"""The one training loop: convergence, determinism, NaN guard, LBFGS, batching, errors."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from torch import nn

from physnn.errors import PhysnnError
from physnn.train import EarlyStopping, fit
from physnn.train.callbacks import Callback, PrintLogger
from physnn.train.history import StopReason
from physnn.train.objectives import Objective


def mlp(n_in=2, hidden=16, n_out=1, act=nn.Tanh, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), act(), nn.Linear(hidden, n_out))


def quad_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 2, generator=g) * 2 - 1
    y = (X[:, :1] ** 2 + 0.5 * X[:, 1:]).float()
    return X, y


def test_linear_regression_recovers_weights_with_sgd():
    # y = 3 x0 - 2 x1 + 0.5, exactly: SGD on MSE must find w and b.
    g = torch.Generator().manual_seed(1)
    X = torch.randn(512, 2, generator=g)
    y = X @ torch.tensor([[3.0], [-2.0]]) + 0.5
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    h = fit(model, (X, y), loss="mse", optimizer="sgd", lr=0.1, epochs=60, batch_size=64, progress=False)
    assert torch.allclose(model.weight.detach(), torch.tensor([[3.0, -2.0]]), atol=1e-3)
    assert abs(model.bias.item() - 0.5) < 1e-3
    assert h["loss"][-1] < 1e-6
    assert h.stop_reason is StopReason.COMPLETED


def test_fit_is_deterministic_given_seed_and_init():
    X, y = quad_data()
    ws = []
    for _ in range(2):
        model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
        torch.manual_seed(3)
        for p in model.parameters():
            nn.init.normal_(p, std=0.3)
        fit(model, (X, y), epochs=5, batch_size=32, seed=7, progress=False)
        ws.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(ws[0], ws[1])


def test_different_seeds_give_different_batch_orders():
    X, y = quad_data()
    out = []
    for seed in (0, 1):
        model = mlp()
        fit(model, (X, y), epochs=2, batch_size=16, seed=seed, progress=False)
        out.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert not torch.equal(out[0], out[1])


def test_epoch_loss_is_sample_weighted_mean_of_batch_losses():
    # With lr tiny the weights barely move, so the epoch loss must equal the
    # full-data MSE at the start (batches of unequal size weighted by size).
    X, y = quad_data(n=100)
    model = mlp()
    with torch.no_grad():
        full = float(nn.functional.mse_loss(model(X), y))
    h = fit(model, (X, y), optimizer="sgd", lr=1e-12, epochs=1, batch_size=30, progress=False)
    assert h["loss"][0] == pytest.approx(full, rel=1e-5)


def test_full_batch_and_lecture_print_lines():
    X, y = quad_data(n=64)
    buf = io.StringIO()
    model = mlp()
    fit(model, (X, y), optimizer="sgd", lr=0.01, epochs=200, batch_size=None,
        callbacks=[PrintLogger(50, stream=buf)], progress=False)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("Epoch")]
    assert [ln.split(":")[0] for ln in lines] == ["Epoch 0", "Epoch 50", "Epoch 100", "Epoch 150", "Epoch 199"]
    assert all("Loss = " in ln for ln in lines)


def test_nan_loss_stops_at_once_and_restores_best_weights():
    X, y = quad_data()

    class Explode(Callback):
        def on_epoch_end(self, state, logs):
            if state.epoch == 3:  # poison the weights after epoch 3
                with torch.no_grad():
                    state.raw_model[0].weight.fill_(float("nan"))

    model = mlp()
    snaps = {}

    class Snap(Callback):
        def on_epoch_end(self, state, logs):
            snaps[state.epoch] = {k: v.clone() for k, v in state.raw_model.state_dict().items()}

    h = fit(model, (X, y), val=(X, y), epochs=20, batch_size=64, lr=1e-2,
            callbacks=[Snap(), Explode()], progress=False)
    assert h.stop_reason is StopReason.NAN_LOSS
    assert h.epochs_run == 4  # epochs 0..3 recorded, epoch 4 aborted at its first batch
    assert "NaN" in h.message and "restored the weights of epoch" in h.message
    best = h.best_epoch
    for k, v in model.state_dict().items():
        assert torch.equal(v, snaps[best][k])
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_divergence_from_huge_lr_is_reported_not_raised():
    X, y = quad_data()
    model = mlp(act=nn.ReLU)
    h = fit(model, (X, y * 1e3), optimizer="sgd", lr=1e3, epochs=50, batch_size=32, progress=False)
    assert h.stop_reason is StopReason.NAN_LOSS
    assert "lr=1000" in h.message
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_lbfgs_full_batch_reaches_the_least_squares_optimum():
    # A polynomial fit of sin(2x) is linear least squares: a convex problem whose optimum numpy gives
    # exactly, so the check is on where LBFGS ends (the optimum, up to float32 rounding), not on the
    # path it takes there (measured: within 1% of the optimum after 2-3 epochs for five inits).
    x = np.linspace(-1, 1, 64)
    F = np.stack([x**p for p in range(1, 6)], axis=1)
    y = np.sin(2 * x)[:, None]
    A = np.hstack([F, np.ones((64, 1))])
    w, *_ = np.linalg.lstsq(A, y, rcond=None)
    optimum = float(np.mean((A @ w - y) ** 2))  # 5.7e-8
    torch.manual_seed(0)
    model = nn.Linear(5, 1)
    h = fit(model, (F, y), optimizer="lbfgs", lr=1.0, epochs=5, batch_size=None, progress=False)
    assert h["loss"][-1] < 1.5 * optimum
    assert np.allclose(model.weight.detach().numpy().ravel(), w[:5, 0], atol=0.02)
    # Adam with as many gradient evaluations (5 epochs x 20 iterations) is orders of magnitude away
    torch.manual_seed(0)
    model2 = nn.Linear(5, 1)
    h2 = fit(model2, (F, y), optimizer="adam", lr=1e-2, epochs=100, batch_size=None, progress=False)
    assert h2["loss"][-1] > 1000 * optimum


def test_early_stopping_rule_and_restore(tmp_path):
    # Validation set from a different function: val loss turns up while train
    # loss keeps falling, so EarlyStopping must fire.
    g = torch.Generator().manual_seed(0)
    X = torch.rand(20, 1, generator=g) * 2 - 1
    y = torch.sin(3 * X) + 0.3 * torch.randn(20, 1, generator=g)
    Xv = torch.rand(200, 1, generator=g) * 2 - 1
    yv = torch.sin(3 * Xv)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 128), nn.Tanh(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 1))
    es = EarlyStopping(monitor="val_loss", patience=15)
    seen = {}

    class Snap(Callback):
        def on_epoch_end(self, state, logs):
            seen[state.epoch] = {k: v.clone() for k, v in state.raw_model.state_dict().items()}

    h = fit(model, (X, y), val=(Xv, yv), lr=1e-2, epochs=2000, batch_size=None,
            callbacks=[Snap(), es], progress=False)
    assert h.stop_reason is StopReason.EARLY_STOPPING
    v = h["val_loss"]
    best = int(np.argmin(v))
    assert es.best_epoch == best == h.best_epoch
    # the documented rule: stop exactly `patience` epochs after the best one
    assert h.epochs_run - 1 == best + 15
    for k, t in model.state_dict().items():
        assert torch.equal(t, seen[best][k])


def test_monitor_is_checked_before_training():
    X, y = quad_data()
    with pytest.raises(PhysnnError, match="No validation data"):
        fit(mlp(), (X, y), epochs=1, callbacks=[EarlyStopping(monitor="val_loss")], progress=False)
    with pytest.raises(PhysnnError, match="val_acuracy"):
        fit(mlp(), (X, y), val=(X, y), epochs=1, callbacks=[EarlyStopping(monitor="val_acuracy")], progress=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=-1.0), "'lr'"),
        (dict(lr=0.0), "'lr'"),
        (dict(epochs=0), "'epochs'"),
        (dict(batch_size=0), "'batch_size'"),
        (dict(optimizer="adamm"), "Did you mean 'adam'"),
        (dict(loss="mse2"), "'loss'"),
        (dict(device="tpu"), "'device'"),
        (dict(grad_clip=-1.0), "'grad_clip'"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    X, y = quad_data(n=16)
    with pytest.raises(PhysnnError, match=match):
        fit(mlp(), (X, y), progress=False, **kwargs)


def test_feature_count_mismatch_names_both_numbers():
    X, y = quad_data(n=16)
    with pytest.raises(PhysnnError, match=r"2 features.*n_in=2|takes 3"):
        fit(mlp(n_in=3), (X, y), epochs=1, progress=False)


def test_nan_in_data_is_refused_before_training():
    X, y = quad_data(n=16)
    X[3, 1] = float("nan")
    with pytest.raises(PhysnnError, match="NaN"):
        fit(mlp(), (X, y), epochs=1, progress=False)


def test_bce_labels_outside_01_refused():
    X, y = quad_data(n=16)
    with pytest.raises(PhysnnError, match=r"\[0, 1\]"):
        fit(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), (X, y * 5), loss="bce", epochs=1, progress=False)


def test_cross_entropy_label_out_of_range_refused():
    X, _ = quad_data(n=16)
    y = torch.arange(16) % 3
    fit(nn.Linear(2, 3), (X, y), loss="cross_entropy", epochs=1, progress=False)  # 0..2: accepted
    y[5] = 3
    with pytest.raises(PhysnnError, match=r"must lie in 0\.\.2 \(the model has n_outputs=3\); found 3\."):
        fit(nn.Linear(2, 3), (X, y), loss="cross_entropy", epochs=1, progress=False)
    y[5] = -1
    with pytest.raises(PhysnnError, match=r"must be >= 0; found -1\."):
        fit(nn.Linear(2, 3), (X, y), loss="cross_entropy", epochs=1, progress=False)


def test_classification_reaches_high_accuracy_and_metrics_logged():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 2, generator=g)
    y = ((X[:, 0] * X[:, 1]) > 0).float().unsqueeze(1)  # XOR-like quadrants
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
    h = fit(model, (X[:300], y[:300]), val=(X[300:], y[300:]), loss="bce_with_logits",
            lr=1e-2, epochs=80, batch_size=32, progress=False)
    assert h["val_accuracy"][-1] > 0.9
    assert 0.9 < h["val_roc_auc"][-1] <= 1.0
    assert h.final["train_accuracy"] > 0.9


def test_schedule_and_lr_logged():
    X, y = quad_data()
    h = fit(mlp(), (X, y), lr=0.1, optimizer="sgd", epochs=4, schedule="step",
            schedule_options={"step_size": 2, "gamma": 0.5}, progress=False)
    assert h["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_weight_decay_shrinks_weights():
    X, y = quad_data()
    norms = []
    for wd in (0.0, 0.1):
        model = mlp()
        fit(model, (X, y), optimizer="adamw", lr=1e-2, weight_decay=wd, epochs=30, progress=False)
        norms.append(sum(float(p.detach().pow(2).sum()) for p in model.parameters()))
    assert norms[1] < norms[0]


def test_threads_are_set_for_the_fit_and_restored():
    # the suite runs with one thread, so start from 2: otherwise threads=1 would change nothing
    before = torch.get_num_threads()
    X, y = quad_data(n=16)
    seen = []

    class Threads(Callback):
        def on_epoch_end(self, state, logs):
            seen.append(torch.get_num_threads())

    class Fail(Callback):
        def on_epoch_end(self, state, logs):
            raise RuntimeError("callback failed")

    try:
        torch.set_num_threads(2)
        fit(mlp(), (X, y), epochs=2, threads=1, callbacks=[Threads()], progress=False)
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
        # restored on the way out of a failed fit too
        with pytest.raises(RuntimeError, match="callback failed"):
            fit(mlp(), (X, y), epochs=2, threads=1, callbacks=[Fail()], progress=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_objective_interface_custom():
    # A custom objective (as PINNs use): minimise mean (model(x) - 2)^2 on fixed points.
    class ConstTarget(Objective):
        def setup(self, model, device, rank=0, world=1):
            self.x = torch.linspace(0, 1, 10).unsqueeze(1)

        def batches(self, generator):
            yield self.x

        def loss(self, model, batch):
            return ((model(batch) - 2.0) ** 2).mean()

    model = nn.Linear(1, 1)
    h = fit(model, objective=ConstTarget(), optimizer="adam", lr=0.1, epochs=300, progress=False)
    assert h["loss"][-1] < 1e-6
    assert math.isclose(float(model(torch.tensor([[0.5]])).detach()), 2.0, abs_tol=1e-3)


def test_non_finite_validation_predictions_give_nan_metrics_not_a_crash():
    """A model whose validation outputs overflow (inputs near float32's max) logs NaN, it does not raise."""
    import math

    import torch
    from torch import nn

    from physnn.train import fit

    torch.manual_seed(0)
    X = torch.randn(64, 2)
    Xv = torch.full((16, 2), 3e38)
    model = nn.Sequential(nn.Linear(2, 4), nn.Linear(4, 1))
    with torch.no_grad():
        model[0].weight.fill_(10.0)  # 10 x 3e38 overflows float32
    assert not torch.isfinite(model(Xv)).all()
    h = fit(model, (X, X[:, :1]), val=(Xv, Xv[:, :1]), epochs=2, lr=1e-4, metrics=["r2"], progress=False)
    assert h.epochs_run == 2 and math.isnan(h["val_loss"][-1]) and math.isnan(h["val_r2"][-1])
    assert math.isfinite(h["loss"][-1])
