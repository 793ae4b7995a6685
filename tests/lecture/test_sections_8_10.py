"""Lecture sections 8-10: depth, overfitting, regularization.

Each section runs once in quick mode (module-scoped fixture); the tests read
the measured figures of merit from ``result.data`` / ``result.check(...)``.
The helpers behind the checks are tested on their own, including cases where
they must report failure, and :class:`StackedMLP` — which trains seeds side by
side — is tested against stand-alone training with :func:`physnn.train.fit`.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.lecture import depth, overfitting, regularization
from physnn.lecture.base import SectionResult, png_size
from physnn.lecture.depth import (
    StackedMLP, count_pieces, fit_stack, member_mse, n_params, sawtooth, sawtooth_net,
    shallow_kinks, shallow_params_needed, shallow_sawtooth_net,
)
from physnn.nn import MLP
from physnn.train import fit

MODULES = {8: depth, 9: overfitting, 10: regularization}


@pytest.fixture(scope="module")
def results() -> dict[int, SectionResult]:
    return {n: mod.run(quick=True, seed=0) for n, mod in MODULES.items()}


# ----------------------------------------------------------------------------- every section


@pytest.mark.parametrize("number", sorted(MODULES))
def test_section_shape(results, number):
    mod, res = MODULES[number], results[number]
    assert res.number == mod.NUMBER == number
    assert res.title == mod.TITLE and res.title
    assert res.claim.startswith(">") and res.text and res.code == mod.CODE and res.output
    n_figs = 3 if number == 10 else 2
    assert len(res.figures) == n_figs and len({f.name for f in res.figures}) == n_figs
    for fig in res.figures:
        assert min(png_size(fig.png)) >= 300  # a real figure: PNG header and pixel size, not fonts' bytes
        assert fig.name.endswith(".png") and fig.caption
    assert res.tables and all(t.startswith("|") for t in res.tables)
    assert res.checks and all(c.claim and c.expected and c.measured for c in res.checks)
    assert all(type(c.passed) is bool and (c.value is None or type(c.value) is float) for c in res.checks)
    assert 0 < res.seconds


def test_depth_is_deterministic(results):
    again = depth.run(quick=True, seed=0)
    assert again.data == results[8].data
    assert [c.measured for c in again.checks] == [c.measured for c in results[8].checks]


def test_code_excerpts():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(depth.CODE, "<section 8 code>", "exec"), {})
    assert "parameters: 25" in out.getvalue() and "linear pieces: 16" in out.getvalue()
    for mod in (overfitting, regularization):  # these train for seconds: syntax only
        compile(mod.CODE, "<code>", "exec")


# ----------------------------------------------------------------------------- 8. depth


def test_depth_figures_of_merit(results):
    res = results[8]
    exact = res.check("exactly")
    assert exact.passed and exact.value < 1e-5
    for row in res.data["exact"]:
        k = row["k"]
        assert row["pieces"] == 2 ** k
        assert row["p_deep"] == 6 * k + 1
        assert row["p_shallow"] == 3 * (2 ** k - 1) + 1
        assert row["err32"] < 2 ** k * 1e-6
    assert res.check("exponentially").passed and res.check("exponentially").value > 10
    # the verdict is the lecture's claim (representation); training is a study beyond it, not a check
    assert len(res.checks) == 2 and all(c.kind == "lecture" for c in res.checks)
    study = res.data["study"]
    assert {r["name"].split(" ")[0] for r in study} == {"deep", "shallow", "exact"}
    for r in study:  # every seed scored, against the 1/12 line of a net that predicts the mean
        assert r["n"] == 2 and 0 <= r["learned"] <= r["n"] and r["best"] <= r["median"]
        assert r["fvu"] == pytest.approx(np.mean([g for g in res.data["groups"] if g["k"] == r["k"]
                                                  and g["name"] == r["name"] and g["lr"] == r["lr"]][0]["fvu"]))
    assert "Beyond the lecture" in res.text and "Telgarsky" in res.text


def test_predicting_the_mean_of_the_sawtooth_scores_one_twelfth():
    for k in (4, 6):
        _, _, x_va, y_va = depth._grid(k)
        assert np.mean((y_va - y_va.mean()) ** 2) == pytest.approx(depth.ONE_TWELFTH, rel=0.02)


def test_he_spread_and_perturbed_nets():
    net = depth.he_spread(MLP(1, [16, 16], 1, activation="relu", seed=3), 3)
    kinks = (-net[0].bias / net[0].weight[:, 0]).detach()
    assert kinks.abs().max() <= 1.0 and kinks.std() > 0.2  # spread out, not all at x = 0
    x = np.linspace(-1.0, 1.0, 257)
    xt = torch.tensor(x, dtype=torch.float32).reshape(-1, 1)
    with torch.no_grad():
        exact = depth.perturbed_sawtooth_net(5, 0.0, 0)(xt).reshape(-1).numpy()
        off = depth.perturbed_sawtooth_net(5, 0.1, 0)(xt).reshape(-1).numpy()
    assert np.abs(exact - sawtooth((x + 1) / 2, 5)).max() < 1e-5
    assert np.abs(off - exact).max() > 1e-3  # the perturbation is real


def test_best_lr_picks_the_lowest_median():
    groups = [dict(k=6, name="a", lr=1e-3, errors=[0.1, 0.2, 0.3]), dict(k=6, name="a", lr=1e-2, errors=[0.05, 0.25, 0.9]),
              dict(k=6, name="b", lr=1e-3, errors=[0.5])]
    got = {g["name"]: g["lr"] for g in depth.best_lr(groups)}
    assert got == {"a": 1e-3, "b": 1e-3}


@pytest.mark.parametrize("k", [1, 3, 6])
def test_hand_built_nets_are_exact(k):
    x = np.linspace(0.0, 1.0, 2 ** (k + 4) + 1)
    xt = torch.tensor(x).reshape(-1, 1)
    deep, shallow = sawtooth_net(k).double(), shallow_sawtooth_net(k).double()
    with torch.no_grad():
        assert np.abs(deep(xt).reshape(-1).numpy() - sawtooth(x, k)).max() < 1e-12
        assert np.abs(shallow(xt).reshape(-1).numpy() - sawtooth(x, k)).max() < 1e-9
    assert n_params(deep) == 6 * k + 1 and n_params(shallow) == 3 * 2 ** k + 1
    assert count_pieces(deep) == count_pieces(shallow) == 2 ** k
    assert shallow_kinks(shallow_sawtooth_net(k)) == 2 ** k - 1  # the lower bound, met


def test_piece_counting_can_fail():
    # a wrong weight breaks the construction: it is no longer the sawtooth, and the count shows it
    net = sawtooth_net(4)
    with torch.no_grad():
        net[2].bias[1] = -0.3
    assert count_pieces(net) != 16
    assert count_pieces(torch.nn.Sequential(torch.nn.Linear(1, 1))) == 1
    assert shallow_kinks(MLP(1, [5], 1, seed=0), -1, 1) <= 5


def test_shallow_params_needed():
    curve = [(10, 0.5), (100, 0.05), (1000, 0.06)]
    assert shallow_params_needed(curve, 0.5) == 10
    assert shallow_params_needed(curve, 0.05) == pytest.approx(100)
    assert shallow_params_needed(curve, 0.01) is None  # never reached
    assert 10 < shallow_params_needed(curve, 0.2) < 100


# ----------------------------------------------------------------------------- StackedMLP


@pytest.mark.parametrize("wd", [0.0, 1e-2])
def test_stack_trains_like_separate_fits(wd):
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 20).reshape(-1, 1)
    y = torch.sin(3 * X) + 0.5 * X ** 2 + 0.3
    # the property: the stack's loss gives every member exactly its own MSE gradient (checked at the
    # start, one backward pass), so any elementwise optimizer (Adam included) treats it as if alone.
    # The trajectories are compared with SGD: its step is Lipschitz in the gradient, so float32 rounding
    # that differs between the batched and the single kernels (~1e-7) stays ~1e-7 after 40 steps on any
    # CPU; Adam divides by |gradient| and may turn a 1e-8 difference of a tiny gradient into ~lr.
    members = [MLP(1, [w, w], 1, activation="tanh", seed=s) for w, s in [(8, 0), (8, 1), (5, 2)]]
    from physnn.lecture.stacking import stack_mse
    from physnn.nn import StackedMLP

    probe = StackedMLP(members)
    stack_mse(probe(X), y.repeat(1, 3)).backward()
    for i, m in enumerate(members):
        m.zero_grad()
        torch.nn.functional.mse_loss(m(X), y).backward()
        first = next(p for p in m.parameters() if p.ndim == 2)  # (hidden, 1) input weights
        np.testing.assert_allclose(probe.weights[0].grad[i, : first.shape[0]].numpy(), first.grad.numpy(),
                                   rtol=1e-5, atol=1e-7)
    kw = dict(optimizer="sgd", lr=0.1, weight_decay=wd, epochs=40, batch_size=None, seed=0, progress=False)
    stack, _ = fit_stack(members, X, y, **kw)
    for i, m in enumerate(members):  # the originals are untouched by the stack's training
        alone = MLP(1, list(m.hidden), 1, activation="tanh", seed=m.seed)
        start = alone(X).detach().numpy()
        fit(alone, (X, y), metrics=[], **kw)
        with torch.no_grad():
            assert np.abs(alone(X).numpy() - start).max() > 0.1  # it trained: 1e-5 below is a real bound
            np.testing.assert_allclose(stack.member(i)(X).numpy(), alone(X).numpy(), atol=1e-5)
    assert stack.n_params() == [n_params(m) for m in members]
    # padded units of the narrow member stayed exactly zero
    assert torch.all(stack.weights[1][2, 5:, :] == 0) and torch.all(stack.weights[2][2, :, 5:] == 0)
    assert member_mse(stack, X, y).shape == (3,)


def test_stack_refuses_what_it_cannot_do():
    with pytest.raises(PhysnnError, match="activation\\(0\\) = 0"):
        StackedMLP([MLP(1, [4], 1, activation="sigmoid"), MLP(1, [8], 1, activation="sigmoid")])
    with pytest.raises(PhysnnError, match="same n_in"):
        StackedMLP([MLP(1, [4], 1), MLP(1, [4, 4], 1)])
    with pytest.raises(PhysnnError, match="non-empty"):
        StackedMLP([])
    StackedMLP([MLP(1, [4], 1, activation="sigmoid", seed=0), MLP(1, [4], 1, activation="sigmoid", seed=1)])


def test_stack_is_deterministic_with_dropout():
    X = torch.linspace(-1, 1, 15).reshape(-1, 1)
    y = X ** 3

    def once():
        ms = [MLP(1, [16, 16], 1, activation="tanh", dropout=0.3, seed=s) for s in range(2)]
        stack, h = fit_stack(ms, X, y, lr=1e-2, epochs=30, batch_size=None, seed=3)
        return member_mse(stack, X, y), h["loss"]

    (a, la), (b, lb) = once(), once()
    assert np.array_equal(a, b) and la == lb


# ----------------------------------------------------------------------------- 9. overfitting


def test_overfitting_turn(results):
    res = results[9]
    d = res.data
    assert res.check("training loss keeps decreasing").passed
    assert 0 < d["turn_epoch"] < d["last_epoch"]
    assert d["val_end"] >= 1.2 * d["val_min"]
    assert d["train_end"] < d["train_turn"]
    assert min(d["val_curve"]) == d["val_min"]
    # after the turn the validation loss rises while the training loss falls
    assert np.mean(d["val_curve"][-50:]) > d["val_min"] and np.mean(d["train_curve"][-50:]) < d["train_turn"]


def test_overfitting_u_shape(results):
    res = results[9]
    d = res.data
    assert res.check("U-shaped").passed
    v = d["val_mean"]
    i = int(np.argmin(v))
    assert 0 < i < len(v) - 1 and v[0] >= 1.5 * v[i] and v[-1] >= 1.5 * v[i]
    assert d["train_mean"][-1] < d["train_mean"][0]  # more capacity, lower training error


def test_bias_variance_is_measured(results):
    res = results[9]
    bv = res.data["bias_variance"]
    assert set(bv) == {"1", "32"}
    for v in bv.values():
        assert v["bias2"] >= 0 and v["variance"] >= 0
    c = res.check("high variance")
    assert c.passed == (bv["1"]["bias2"] > bv["32"]["bias2"] and bv["32"]["variance"] > bv["1"]["variance"])


def test_bias_variance_of_barely_trained_nets_is_mostly_bias():
    # one epoch of training cannot fit the cubic (mean square 0.5 on [-1, 1]): the error is bias, not variance
    d = overfitting.small_noisy_data(0)
    out = overfitting.bias_variance(d, [[2]], resamples=2, epochs=1, seed=0)
    assert out[2]["bias2"] > 0.1 and out[2]["bias2"] > out[2]["variance"] > 0


def test_small_noisy_data():
    a, b = overfitting.small_noisy_data(0), overfitting.small_noisy_data(0)
    assert (len(a.train), len(a.val)) == (15, 45) and a.test is None
    assert np.array_equal(a.train.X, b.train.X) and np.array_equal(a.val.y, b.val.y)


# ----------------------------------------------------------------------------- 10. regularization


def test_regularization_figures_of_merit(results):
    res = results[10]
    d = res.data
    none = np.mean(d["none"]["val"])
    # the quick budget already shows these; dropout is reported but not asserted
    for name in ("early stopping", "all together"):
        assert np.mean(d[name]["val"]) < none, name
    assert res.check("Early stopping (patience").passed
    assert res.check("All together").passed
    # without early stopping every run has the full budget, by construction
    assert all(e == 700 for e in d["none"]["epochs_run"])
    # with it, the library's rule (not an epoch count from one machine): a run ends either at the budget or
    # exactly `patience` epochs after the epoch whose weights it restored; the check reports what happened
    patience = 150
    for ran, best in zip(d["early stopping"]["epochs_run"], d["early stopping"]["restored"]):
        assert ran == 700 or ran == best + patience + 1, (ran, best)
    es = res.check("halts training")
    assert es.passed == all(e < 700 for e in d["early stopping"]["epochs_run"])
    # early stopping returns the best epoch's weights: its validation error is the curve's minimum
    np.testing.assert_allclose(d["early stopping"]["val"], d["early stopping"]["best_val"], rtol=1e-5)
    short = d["short_patience"]
    assert all(s <= e for s, e in zip(short["stopped"], d["all together"]["epochs_run"]))


def test_weight_decay_study(results):
    res = results[10]
    wd = res.data["weight_decay"]
    lam = np.array(wd["lambdas"])
    test = np.array(wd["test"])
    assert lam[0] == 0 and test.shape == (len(lam), 3)
    # λ is chosen on validation data among λ > 0, and scored on the test set of the same replica
    val = np.array(wd["val"])
    for j, chosen in enumerate(wd["chosen"]):
        i = int(np.flatnonzero(lam == chosen)[0])
        assert chosen > 0 and val[i, j] == val[lam > 0, j].min()
        assert wd["chosen_test"][j] == test[i, j] and wd["ref_test"][j] == test[0, j]
    c = res.check("Weight decay (L2)")
    assert c.kind == "lecture" and c.passed == (wd["change_ci"][1] < 0)
    assert c.value == pytest.approx(np.mean(np.array(wd["chosen_test"]) - np.array(wd["ref_test"])))
    # the strongest decay flattens the network: its training error is far above the unregularised one
    assert np.mean(wd["train"][-1]) > 2 * np.mean(wd["train"][0])
    s = res.check("(λ/2)")
    assert s.kind == "self-check" and s.passed


def test_l2_penalty_is_torch_weight_decay_and_the_check_can_fail():
    assert regularization.l2_equals_weight_decay(1e-2) < 1e-6
    assert regularization.l2_equals_weight_decay(0.0) == 0.0
    # the comparison is real: with the penalty λ‖w‖² (no ½) the steps differ
    import copy

    net = MLP(1, [8], 1, activation="tanh", seed=0)
    a, b = copy.deepcopy(net), copy.deepcopy(net)
    x = torch.linspace(-1, 1, 10).reshape(-1, 1)
    oa = torch.optim.SGD(a.parameters(), lr=0.1, weight_decay=0.1)
    ob = torch.optim.SGD(b.parameters(), lr=0.1)
    torch.nn.functional.mse_loss(a(x), x).backward()
    oa.step()
    (torch.nn.functional.mse_loss(b(x), x) + 0.1 * sum((p ** 2).sum() for p in b.parameters())).backward()
    ob.step()
    assert max(float((pa - pb).abs().max().detach()) for pa, pb in zip(a.parameters(), b.parameters())) > 1e-4


def test_regularization_check_can_fail(results):
    # the "reduces overfitting" rule is a real comparison: built inputs on both sides of it
    none = np.array([0.5, 0.5, 0.5, 0.5])
    assert regularization.lowers_check("c", np.array([0.3, 0.4, 0.45, 0.6]), none).passed
    assert not regularization.lowers_check("c", np.array([0.6, 0.7, 0.55, 0.9]), none).passed  # worse everywhere
    assert not regularization.lowers_check("c", np.array([0.1, 0.1, 0.6, 0.6]), none).passed  # lower mean, 2 of 4
    assert not regularization.lowers_check("c", np.array([0.45, 0.45, 0.45, 2.0]), none).passed  # 3 of 4, mean up
    assert not regularization.lowers_check("c", none, none).passed  # equal is not lower
    # and the section builds each of its regularizer checks with it, from its own numbers
    res = results[10]
    names = {"Dropout (p": "dropout 0.3", "Early stopping (patience": "early stopping", "All together": "all together"}
    for key, name in names.items():
        c = res.check(key)
        again = regularization.lowers_check(c.claim, res.data[name]["val"], res.data["none"]["val"])
        assert (c.passed, c.measured) == (again.passed, again.measured), c.claim
    assert len([c for c in res.checks if "reduces overfitting" in c.claim]) == len(names) + 1  # + weight decay


def test_regularization_runs_are_deterministic():
    data = overfitting.small_noisy_data(0)
    s = dict(epochs=60, seeds=2, patience=10, short_patience=5, lr=3e-3, every=1)
    for name in ("dropout 0.3", "all together"):  # stacked with dropout; one fit each with early stopping
        a = regularization._run_config(name, data, s, [0, 1], 0)
        b = regularization._run_config(name, data, s, [0, 1], 0)
        assert np.array_equal(a["val"], b["val"]) and np.array_equal(a["epochs_run"], b["epochs_run"])
        np.testing.assert_array_equal(a["val_curve"], b["val_curve"])
