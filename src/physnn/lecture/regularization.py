r"""Section 10 — Regularization: dropout, weight decay and early stopping, measured.

The lecture names three remedies for overfitting and gives the code for two:

* **Dropout** — ``nn.Dropout(p=0.3)``: during training each hidden unit is
  zeroed with probability :math:`p` (the survivors scaled by
  :math:`1/(1-p)`); at evaluation nothing is dropped.
* **Weight decay (L2)** — ``torch.optim.Adam(model.parameters(), lr=0.001,
  weight_decay=1e-4)``: torch's Adam adds :math:`\lambda w` to every gradient,
  the gradient of the penalty :math:`\tfrac{\lambda}{2}\lVert w\rVert^2` — the
  lecture's :math:`\lambda\lVert w\rVert^2` up to the factor 2 in the
  convention (``fit(..., weight_decay=λ)`` does exactly this).
* **Early stopping** — :class:`~physnn.train.EarlyStopping`: stop when the
  validation loss has not improved for ``patience`` epochs and restore the
  weights of the best epoch.

Each is applied to the over-parameterised network of section 9
(``MLP(1, [128, 128], 1)``, tanh, 16,897 parameters) on the same 15 noisy
training points, alone and all together, and compared with no
regularization by the validation loss of the model each procedure returns.

    >>> sorted(CONFIGS)[:3]
    ['all together', 'dropout 0.3', 'early stopping']
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from physnn.data import polynomial_truth
from physnn.errors import check_int
from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
)
from physnn.lecture.overfitting import HIDDEN, LR, NOISE, small_noisy_data
from physnn.lecture.stacking import MemberCurves, fit_stack, member_mse, predict_curve
from physnn.nn import MLP

TITLE = "Regularization: dropout, weight decay, early stopping"
NUMBER = 10

__all__ = ["TITLE", "NUMBER", "CODE", "run", "CONFIGS"]

CLAIM = (
    "> *Regularization techniques — **Dropout**: \"randomly deactivates neurons during training, forcing "
    "the network to learn robust, redundant representations\"; **Weight decay (L2)**: \"penalizes large "
    "weights by adding λ‖w‖² to the loss function\"; **Early stopping**: \"halts training when validation "
    "performance stops improving\".*\n>\n> ```python\n> nn.Dropout(p=0.3)\n> optimizer = "
    "torch.optim.Adam(model.parameters(), lr=0.001, weight_decay=1e-4)\n> ```"
)

#: name -> (dropout p, weight_decay λ, early stopping?) — the lecture's values (weight decay alone has its
#: own study: :data:`LAMBDAS`, chosen on validation data, scored on a test set)
CONFIGS: dict[str, tuple[float, float, bool]] = {
    "none": (0.0, 0.0, False),
    "dropout 0.3": (0.3, 0.0, False),
    "early stopping": (0.0, 0.0, True),
    "all together": (0.3, 1e-4, True),
}


#: the weight-decay sweep: λ = 0 (the reference) and 1e-6 … 1e-1
LAMBDAS = [0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
WD_LR, WD_MOMENTUM = 0.05, 0.9  #: SGD with momentum: here L2 and weight decay are the same update


def _settings(quick: bool) -> dict[str, Any]:
    if quick:  # a larger step compresses the same story into fewer epochs
        return dict(epochs=700, seeds=2, patience=150, short_patience=40, lr=3e-3, every=5,
                    wd_lambdas=[0.0, 1e-3, 1e-1], wd_seeds=3, wd_epochs=300, wd_test=200)
    return dict(epochs=3000, seeds=4, patience=500, short_patience=200, lr=LR, every=5,
                wd_lambdas=LAMBDAS, wd_seeds=10, wd_epochs=3000, wd_test=1000)


def weight_decay_study(data, lambdas: list[float], *, seeds: int, epochs: int, n_test: int, seed: int) -> dict[str, Any]:
    r"""Weight decay done properly: a λ sweep, λ chosen on validation data, scored on a separate test set.

    Each of ``seeds`` paired replicas redraws the noise of the training and
    validation targets (the same x as ``data``), draws a fresh test set of
    ``n_test`` points and initialises the network with its own seed; every λ
    trains the *same* replicas (paired comparison).  The optimizer is SGD with
    momentum (``fit(optimizer="sgd", weight_decay=λ)``): its update adds
    :math:`\lambda w` to the gradient, i.e. it minimises
    :math:`L + \tfrac{\lambda}{2}\lVert w\rVert^2` — the lecture's
    :math:`+\lambda\lVert w\rVert^2` with :math:`\lambda_{\text{lecture}} = \lambda/2`.

    Returns ``{"lambdas", "train", "val", "test"}``: ``(len(lambdas), seeds)`` arrays of MSEs, and
    ``chosen``: per replica the λ > 0 with the lowest validation MSE, with its test MSE.
    """
    import torch

    from physnn.lecture.stacking import stack_mse
    from physnn.nn import StackedMLP
    from physnn.train import fit

    rng = np.random.default_rng(7919 + seed)
    xtr, xva = data.train.X, data.val.X
    ytr = polynomial_truth(xtr).reshape(-1, 1) + NOISE * rng.standard_normal((len(xtr), seeds))
    yva = polynomial_truth(xva).reshape(-1, 1) + NOISE * rng.standard_normal((len(xva), seeds))
    xte = rng.uniform(-1.0, 1.0, (n_test, 1))
    yte = polynomial_truth(xte).reshape(-1, 1) + NOISE * rng.standard_normal((n_test, seeds))
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32))  # noqa: E731
    out = {"train": [], "val": [], "test": []}
    for lam in lambdas:
        stack = StackedMLP([MLP(1, HIDDEN, 1, activation="tanh", seed=seed * 1000 + j) for j in range(seeds)])
        fit(stack, (t(xtr), t(ytr)), loss=stack_mse, metrics=[], optimizer="sgd", lr=WD_LR, momentum=WD_MOMENTUM,
            weight_decay=lam, epochs=epochs, batch_size=None, seed=seed, progress=False)
        stack.eval()
        with torch.no_grad():
            for name, x, y in (("train", xtr, ytr), ("val", xva, yva), ("test", xte, yte)):
                out[name].append(((stack(t(x)).double().numpy() - y) ** 2).mean(0))
    res = {k: np.array(v) for k, v in out.items()}
    lam = np.asarray(lambdas, dtype=float)
    pos = np.flatnonzero(lam > 0)
    pick = pos[np.argmin(res["val"][pos], axis=0)]
    res.update(lambdas=list(map(float, lambdas)), chosen_index=pick, chosen=lam[pick],
               chosen_test=res["test"][pick, np.arange(seeds)], ref_test=res["test"][int(np.flatnonzero(lam == 0)[0])])
    return res


def l2_equals_weight_decay(lam: float = 1e-2, seed: int = 0) -> float:
    r"""Largest difference between one SGD step with ``weight_decay=λ`` and one on the loss
    :math:`L + \tfrac{\lambda}{2}\lVert w\rVert^2` (all parameters), from the same start.

    Zero up to float32 rounding: torch's ``weight_decay=λ`` *is* the penalty :math:`\tfrac{\lambda}{2}\lVert w\rVert^2`.

        >>> l2_equals_weight_decay(1e-2) < 1e-6
        True
    """
    import copy

    import torch

    net = MLP(1, [8, 8], 1, activation="tanh", seed=seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(20, 1, generator=g) * 2 - 1
    y = torch.sin(3 * x)
    a, b = copy.deepcopy(net), copy.deepcopy(net)
    oa = torch.optim.SGD(a.parameters(), lr=0.1, momentum=0.9, weight_decay=lam)
    ob = torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        oa.zero_grad()
        torch.nn.functional.mse_loss(a(x), y).backward()
        oa.step()
        ob.zero_grad()
        (torch.nn.functional.mse_loss(b(x), y) + lam / 2 * sum((p ** 2).sum() for p in b.parameters())).backward()
        ob.step()
    return float(max(float((pa - pb).abs().max().detach()) for pa, pb in zip(a.parameters(), b.parameters())))


def _run_config(name: str, data, s: dict[str, Any], seeds: list[int], seed: int) -> dict[str, Any]:
    """Train one configuration on every seed; return per-seed numbers and mean curves."""
    from physnn.train import EarlyStopping, fit

    p, wd, early = CONFIGS[name]
    sets = dict(train=(data.train.X, data.train.y), val=(data.val.X, data.val.y))
    members = [MLP(1, HIDDEN, 1, activation="tanh", dropout=p, seed=sd) for sd in seeds]
    first = None  # the first seed's History (early stopping runs), for the printed output
    if not early:  # all seeds side by side, full length; curves every s["every"] epochs
        curves = MemberCurves(every=s["every"], **sets)
        stack, _ = fit_stack(members, data.train.X, data.train.y, optimizer="adam", lr=s["lr"], weight_decay=wd,
                             epochs=s["epochs"], batch_size=None, seed=seed, callbacks=[curves])
        nets = [stack.member(i) for i in range(len(seeds))]
        val = member_mse(stack, data.val.X, data.val.y)
        train = member_mse(stack, data.train.X, data.train.y)
        epochs_run = [s["epochs"]] * len(seeds)
        stopped = [None] * len(seeds)
        c = curves.curves
        ep = np.array(curves.epochs)
        tr_c, va_c = c["train"], c["val"]
    else:  # early stopping decides per network: one fit each, with the library's EarlyStopping
        nets, val, train, epochs_run, stopped, tr_cs, va_cs = [], [], [], [], [], [], []
        for i, net in enumerate(members):
            curves = MemberCurves(every=1, **sets)  # every epoch: the curve early stopping saw
            es = EarlyStopping(monitor="val_loss", patience=s["patience"], restore_best=True)
            h = fit(net, data.train, val=data.val, optimizer="adam", lr=s["lr"], weight_decay=wd,
                    epochs=s["epochs"], batch_size=None, seed=seed + i, metrics=[],
                    callbacks=[es, curves], progress=False)
            nets.append(net)
            if i == 0:
                first = h
            val.append(float(member_mse(net, data.val.X, data.val.y)[0]))
            train.append(float(member_mse(net, data.train.X, data.train.y)[0]))
            epochs_run.append(h.epochs_run)
            stopped.append(es.best_epoch)
            tr_cs.append(curves.curves["train"][:, 0])
            va_cs.append(curves.curves["val"][:, 0])
        n = max(len(v) for v in va_cs)  # pad stopped runs with NaN for the mean curve
        pad = lambda rows: np.array([np.r_[r, np.full(n - len(r), np.nan)] for r in rows]).T  # noqa: E731
        tr_c, va_c = pad(tr_cs), pad(va_cs)
        ep = np.arange(n)
        val, train = np.array(val), np.array(train)
    with np.errstate(all="ignore"):
        best_val = np.nanmin(va_c, axis=0)
    return dict(
        name=name, dropout=p, weight_decay=wd, early=early, nets=nets,
        first_message=None if first is None else first.message,
        first_val=None if first is None else float(first.final["val_loss"]),
        first_epochs=None if first is None else first.epochs_run,
        val=np.asarray(val, dtype=float), train=np.asarray(train, dtype=float), best_val=best_val,
        epochs_run=np.asarray(epochs_run), restored=stopped,
        curve_epochs=ep, train_curve=np.nanmean(tr_c, axis=1) if early else tr_c.mean(axis=1),
        val_curve=np.nanmean(va_c, axis=1) if early else va_c.mean(axis=1),
        val_curves=[va_c[:, i][~np.isnan(va_c[:, i])] for i in range(va_c.shape[1])],
    )


def lowers_check(claim: str, val: np.ndarray, val_none: np.ndarray) -> Check:
    """The check "a regularizer reduces overfitting": per-seed validation MSEs ``val`` against ``val_none``
    (no regularization, the same seeds) must be lower on average *and* for more than half of the seeds.

        >>> lowers_check("x", np.array([0.1, 0.2, 0.5]), np.array([0.2, 0.3, 0.5])).passed
        True
        >>> lowers_check("x", np.array([0.1, 0.6, 0.6]), np.array([0.5, 0.5, 0.5])).passed  # mean lower, 1 of 3
        False
    """
    val, val_none = np.asarray(val, dtype=float), np.asarray(val_none, dtype=float)
    v, base = val.mean(), val_none.mean()
    change = v / base - 1.0
    wins = int(np.sum(val < val_none))
    ci = ""
    if val.size > 1:
        from physnn.lecture.base import mean_ci

        _, lo, hi = mean_ci(val - val_none)
        ci = f"; paired change 95% CI [{lo:+.3f}, {hi:+.3f}]"
    return Check(
        claim=claim,
        expected="lower validation MSE than no regularization: on average, and for most seeds",
        measured=f"{v:.3f} vs {base:.3f} ({change:+.0%}); lower for {wins} of {len(val)} seeds{ci}",
        passed=bool(v < base and wins > len(val) / 2), value=float(change),
    )


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 10 (see the module docstring); ``quick`` trains shorter, on fewer seeds."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 10.

    Parameters
    ----------
    quick : bool
        Shorter training on fewer seeds (see ``_settings``).
    seed : int
        Seed of the data; the networks' seeds follow it.

    Returns
    -------
    dict
        Per configuration of :data:`CONFIGS` the validation and training MSE of every seed, the lowest
        validation MSE seen, the epochs run and the curves (``runs``); what a shorter patience would have
        given (``short``); the settings, the seeds and the data.
    """
    seed = check_int("seed", seed, low=0, owner="regularization.run")
    s = _settings(quick)
    data = small_noisy_data(seed)
    seeds = [seed * 1000 + i for i in range(s["seeds"])]
    runs = {name: _run_config(name, data, s, seeds, seed) for name in CONFIGS}
    short = _short_patience(runs["all together"]["val_curves"], s["short_patience"])
    from physnn.lecture.base import timed

    with timed("weight decay sweep"):
        wd = weight_decay_study(data, s["wd_lambdas"], seeds=s["wd_seeds"], epochs=s["wd_epochs"], n_test=s["wd_test"],
                                seed=seed)
    return {"quick": quick, "settings": s, "data": data, "seeds": seeds, "runs": runs, "short": short, "wd": wd,
            "l2_diff": l2_equals_weight_decay(1e-2, seed)}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The validation curves of every configuration, and the summary of their errors."""
    return [_figure_curves(m["runs"], m["settings"], len(m["seeds"])), _figure_summary(m["runs"], m["data"]),
            _figure_weight_decay(m["wd"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 10: the claims measured by :func:`experiment`, the table, the text."""
    runs, s, seeds, short = m["runs"], m["settings"], m["seeds"], m["short"]
    base = runs["none"]["val"].mean()
    checks: list[Check] = []

    def lowers(name: str, claim: str) -> None:
        checks.append(lowers_check(claim, runs[name]["val"], runs["none"]["val"]))

    from physnn.lecture.base import SELF_CHECK, mean_ci

    lowers("dropout 0.3", "Dropout (p = 0.3) reduces overfitting")
    wd = m["wd"]
    diff = wd["chosen_test"] - wd["ref_test"]
    dm, dlo, dhi = mean_ci(diff)
    rel = dm / wd["ref_test"].mean()
    n_wd = len(diff)
    checks.append(Check(
        claim=("Weight decay (L2) reduces overfitting: λ chosen on validation data from "
               f"{min(x for x in wd['lambdas'] if x > 0):g}…{max(wd['lambdas']):g}, scored on a separate test set"),
        expected=f"paired change of the test MSE against λ = 0 below zero, its 95% CI too ({n_wd} seeds)",
        measured=(f"{wd['chosen_test'].mean():.3f} vs {wd['ref_test'].mean():.3f}: change {dm:+.3f} ({rel:+.0%}), "
                  f"95% CI [{dlo:+.3f}, {dhi:+.3f}]; lower for {int(np.sum(diff < 0))} of {n_wd} seeds"),
        passed=bool(np.isfinite(dhi) and dhi < 0), value=float(dm),
    ))
    checks.append(Check(
        claim="torch's weight_decay=λ is the penalty (λ/2)‖w‖² (the lecture's λ‖w‖² with λ halved)",
        expected="one SGD step with weight_decay=λ equals one on L + (λ/2)‖w‖²: max difference < 1e-6",
        measured=f"{m['l2_diff']:.1e}", passed=bool(m["l2_diff"] < 1e-6), value=float(m["l2_diff"]), kind=SELF_CHECK,
    ))
    lowers("early stopping", f"Early stopping (patience {s['patience']}, best weights restored) reduces overfitting")
    es_epochs = runs["early stopping"]["epochs_run"]
    checks.append(Check(
        claim="Early stopping halts training when validation performance stops improving",
        expected=f"fewer epochs than the full {s['epochs']}",
        measured=f"{es_epochs.mean():.0f} epochs on average ({', '.join(map(str, es_epochs))})",
        passed=bool(np.all(es_epochs < s["epochs"])), value=float(es_epochs.mean()),
    ))
    lowers("all together", "All together (dropout 0.3 + weight decay 1e-4 + early stopping) reduces overfitting")
    wd_rows = []
    for i, lam in enumerate(wd["lambdas"]):
        tm, tlo, thi = mean_ci(wd["test"][i])
        d = wd["test"][i] - wd["ref_test"]
        ddm, ddlo, ddhi = mean_ci(d)
        wd_rows.append([f"{lam:g}", f"{lam / 2:g}", f"{wd['train'][i].mean():.3f}", f"{wd['val'][i].mean():.3f}",
                        f"{tm:.3f} [{tlo:.3f}, {thi:.3f}]",
                        "—" if lam == 0 else f"{ddm:+.3f} [{ddlo:+.3f}, {ddhi:+.3f}]",
                        int(np.sum(wd["chosen"] == lam))])
    wd_table = markdown_table(
        ["torch weight_decay λ", "lecture's λ in +λ‖w‖²", "train MSE", "val MSE", "test MSE, mean [95% CI]",
         "test change vs λ = 0 [95% CI]", "seeds choosing it on validation"], wd_rows)

    rows = []
    for name, r in runs.items():
        rows.append([
            name, f"{r['val'].mean():.3f}", f"{r['best_val'].mean():.3f}", f"{r['train'].mean():.3f}",
            f"{(r['val'] - r['train']).mean():.3f}", f"{(r['val'] / r['train']).mean():.1f}",
            f"{r['epochs_run'].mean():.0f}",
        ])
    table = markdown_table(
        ["regularization", "val MSE (returned model)", "lowest val MSE seen during training", "train MSE",
         "gap val − train", "ratio val / train", "epochs"], rows)
    at = runs["all together"]
    output = (
        f"{at['first_message']}\nvalidation MSE {at['first_val']:.3f} after {at['first_epochs']} epochs\n\n"
        f"all configurations, mean of {len(seeds)} seeds:\n" + "\n".join(
            f"  {name:18s} val MSE {r['val'].mean():.3f}   train MSE {r['train'].mean():.3f}   "
            f"epochs {r['epochs_run'].mean():.0f}" for name, r in runs.items()))
    data: dict[str, Any] = {
        name: dict(val=r["val"].tolist(), train=r["train"].tolist(), best_val=r["best_val"].tolist(),
                   epochs_run=r["epochs_run"].tolist(), restored=r["restored"])
        for name, r in runs.items()}
    data["short_patience"] = short
    data["weight_decay"] = dict(lambdas=wd["lambdas"], train=wd["train"].tolist(), val=wd["val"].tolist(),
                                test=wd["test"].tolist(), chosen=wd["chosen"].tolist(),
                                chosen_test=wd["chosen_test"].tolist(), ref_test=wd["ref_test"].tolist(),
                                change=float(dm), change_ci=[float(dlo), float(dhi)])
    return result_block(
        __name__, started=started, checks=checks, figures=figs, tables=[table, wd_table], output=output, data=data,
        text=_text(runs, s, seeds, base, short, [c for c in checks if not c.passed], m["quick"], wd, (dm, dlo, dhi)),
    )


CODE = '''\
from physnn.data import polynomial
from physnn.nn import MLP
from physnn.train import EarlyStopping, fit

data = polynomial(n=60, degree=3, noise=0.3, seed=0).split(val=0.75, seed=0)
model = MLP(1, [128, 128], 1, activation="tanh", dropout=0.3, seed=0)   # nn.Dropout(p=0.3) after each layer
h = fit(model, data.train, val=data.val, optimizer="adam", lr=1e-3,
        weight_decay=1e-4,                                                # L2, as in the lecture
        epochs=3000, batch_size=None,
        callbacks=[EarlyStopping(monitor="val_loss", patience=500, restore_best=True)])
print(h.message)                    # why training stopped, and which epoch's weights were restored
print(f"validation MSE {h.final['val_loss']:.3f} after {h.epochs_run} epochs")
'''


def _short_patience(curves: list[np.ndarray], patience: int) -> dict[str, Any]:
    """Replay recorded validation curves through a fresh EarlyStopping with a shorter patience.

    The same curve seen by a less patient rule: it stops no later than the
    patient one did, so the recorded part of the curve is all it needs.
    """
    from physnn.train import EarlyStopping

    stops, bests, vals = [], [], []
    for curve in curves:
        es = EarlyStopping(monitor="val_loss", patience=patience)
        stop = len(curve) - 1
        for epoch, v in enumerate(curve):
            if es.update(float(v), epoch):
                stop = epoch
                break
        stops.append(stop)
        bests.append(es.best_epoch)
        vals.append(es.best)
    return dict(patience=patience, stopped=stops, best_epoch=bests, val=vals)


def _wd_text(wd, ci) -> str:
    dm, dlo, dhi = ci
    lam = np.asarray(wd["lambdas"])
    test_mean = wd["test"].mean(axis=1)
    i_best = int(np.argmin(test_mean))
    n = wd["test"].shape[1]
    i4 = [i for i, x in enumerate(lam) if x == 1e-4]
    lecture_value = ""
    if i4:
        d4 = wd["test"][i4[0]] - wd["ref_test"]
        from physnn.lecture.base import mean_ci

        m4, l4, h4 = mean_ci(d4)
        lecture_value = (f" The lecture's snippet value λ = 1e-4 alone changes the test MSE by {m4:+.3f} "
                         f"(95% CI [{l4:+.3f}, {h4:+.3f}])"
                         + (" — its interval includes zero: too gentle to matter on this problem. " if l4 <= 0 <= h4
                            else ". "))
    verdict = ("so weight decay, tuned as it should be, does reduce overfitting here" if dhi < 0 else
               "so this experiment does not confirm that weight decay reduces overfitting here: the interval "
               "includes zero or lies above it")
    return (
        "**Weight decay, done properly.** The lecture writes the penalty as +λ‖w‖²; torch's "
        "`weight_decay=λ` adds λw to every gradient, which is the gradient of (λ/2)‖w‖² — the same thing "
        "with λ halved (a self-check below takes one step each way and compares). With Adam the added λw "
        "is then divided by Adam's running gradient scale, parameter by parameter, so it is no longer a "
        "penalty on ‖w‖² at all; AdamW decouples it instead (Loshchilov & Hutter, 'Decoupled weight decay "
        "regularization', ICLR 2019). To test the claim itself we therefore train with SGD (momentum "
        f"{WD_MOMENTUM}, lr {WD_LR}), where L2 and weight decay are one update, sweep λ over "
        f"{', '.join(f'{x:g}' for x in lam)}, and for each of {n} paired replicas (fresh noise on the "
        "15 training and 45 validation targets, a fresh network seed, the same for every λ) choose λ on "
        "the validation set and score it on a separate test set of fresh points. "
        f"Chosen λ: {', '.join(f'{x:g}' for x in wd['chosen'])}. The test MSE falls from "
        f"{wd['ref_test'].mean():.3f} (λ = 0) to {wd['chosen_test'].mean():.3f}: a paired change of "
        f"{dm:+.3f}, 95% CI [{dlo:+.3f}, {dhi:+.3f}] — {verdict}.{lecture_value}"
        f"The test error against λ is a U (lowest at λ = {lam[i_best]:g}): too little decay leaves the "
        "network free to memorise the noise, too much flattens it into underfitting — the same "
        "bias–variance trade-off as the width sweep of section 9, with λ as the capacity knob."
    )


def _text(runs, s, seeds, base, short, failed, quick, wd, ci) -> str:
    v = {k: r["val"].mean() for k, r in runs.items()}
    ch = {k: v[k] / base - 1.0 for k in v}
    es = runs["early stopping"]
    lines = [
        f"**Setup.** The network of section 9 (1-128-128-1, tanh, 16,897 parameters), the same 15 noisy "
        f"training points and 45 validation points, Adam with lr {s['lr']:g}, full batch, at most "
        f"{s['epochs']} epochs; {len(seeds)} seeds per configuration, averaged. The number compared is the "
        "validation MSE of the model each procedure *returns*: the last epoch's weights, or, with early "
        "stopping, the restored best epoch's. The runs without early stopping train their seeds side by "
        "side as one `StackedMLP` (independent networks; weight decay and dropout act on each as if it "
        "were alone); early stopping decides per network, so those runs use one `fit` each.",
        "",
        f"**No regularization** ends at a validation MSE of {base:.3f} (the noise alone would give "
        f"{NOISE ** 2:.2f}) with the training MSE far below the noise — it has memorised the points.",
        "",
        f"**Dropout 0.3** changes it by {ch['dropout 0.3']:+.0%} ({v['dropout 0.3']:.3f}): a network that "
        "cannot rely on any single unit cannot thread its curve through every noisy point. Its training "
        "curve is measured with dropout switched off (evaluation mode), like the validation curve.",
        "",
        _wd_text(wd, ci),
    ]
    lines += [
        "",
        f"**Early stopping** (patience {s['patience']}) stopped after {es['epochs_run'].mean():.0f} epochs "
        f"on average instead of {s['epochs']} and restored the best epoch: {ch['early stopping']:+.0%} "
        f"({v['early stopping']:.3f}). It cannot do better than the best epoch of the unregularised run — "
        "it only finds it, cheaply. Because the validation set also chose the epoch, this validation "
        "error is slightly optimistic; a separate test set gives the unbiased figure.",
        "",
        f"**All together** (dropout 0.3, weight decay 1e-4, early stopping): {ch['all together']:+.0%} "
        f"({v['all together']:.3f}), in {runs['all together']['epochs_run'].mean():.0f} epochs on average. "
        "Dropout slows the start: the validation loss first sits on a plateau. Patience must outlast it — "
        f"replaying the recorded validation curves with patience {short['patience']} instead of "
        f"{s['patience']}, early stopping would have halted at epochs "
        f"{', '.join(map(str, short['stopped']))} with validation MSE "
        f"{np.mean(short['val']):.3f} on average.",
    ]
    if failed:
        lines += ["", "**Not confirmed here:** " + "; ".join(f"{c.claim} ({c.measured})" for c in failed)
                  + (". These checks fail" if len(failed) > 1 else ". This check fails")
                  + ", as measured: the effect is too small or too inconsistent across seeds on this problem."]
    if quick:
        lines += ["", f"*Quick mode: lr {s['lr']:g} (not the lecture's {LR:g}) so that the story fits into "
                  f"{s['epochs']} epochs, and fewer seeds — run the full section for the real numbers.*"]
    return "\n".join(lines)


_COLORS = {"none": "C3", "dropout 0.3": "C0", "early stopping": "C2", "all together": "k"}


def _figure_curves(runs, s, n_seeds):
    fig, axes = subplots(1, 4, width=4.6, height=3.9, sharex=True, sharey=True)
    for ax, (name, r) in zip(axes.flat, runs.items()):
        ep = r["curve_epochs"]
        ax.semilogy(ep, r["train_curve"], color="C0", lw=1.8, label="training MSE")
        ax.semilogy(ep, r["val_curve"], color="C1", lw=2.2, label="validation MSE")
        if name != "none":
            ax.semilogy(runs["none"]["curve_epochs"], runs["none"]["val_curve"], color="C3", lw=1.0,
                        alpha=0.5, ls="--", label="validation, no regularization")
        ax.axhline(NOISE ** 2, color="grey", ls=":", lw=1.2, label=f"noise σ² = {NOISE ** 2:.2f}")
        if r["early"]:
            for e in r["epochs_run"]:
                ax.axvline(e, color="C2", lw=1, alpha=0.6)
        ax.set_title(f"{name}: val {r['val'].mean():.3f}", color=_COLORS[name])
        ax.set_xlim(0, s["epochs"])
    for ax in axes[0, :]:
        ax.set_xlabel("epoch")
    axes[0, 0].set_ylabel("MSE (mean of seeds)")
    handles, labels = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.08), frameon=False, fontsize=12)
    fig.suptitle(f"Claim: regularization keeps the validation loss down (mean of {n_seeds} seeds; "
                 "green lines: where early stopping halted)", fontsize=14)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return figure_from_matplotlib(
        fig, "regularization_curves.png",
        "Training (evaluation mode) and validation MSE per epoch for each regularization, averaged over "
        "seeds; the dashed red line repeats the unregularised validation loss. Early-stopped runs end "
        "where the green lines are.")


def _figure_summary(runs, data):
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    names = list(runs)
    for i, name in enumerate(names):
        r = runs[name]
        ax.bar(i, r["val"].mean(), color=_COLORS[name], alpha=0.75)
        ax.plot([i] * len(r["val"]), r["val"], "o", color="k", ms=4)
    ax.axhline(runs["none"]["val"].mean(), color="C3", ls="--", lw=1.2, label="no regularization")
    ax.axhline(NOISE ** 2, color="grey", ls=":", lw=1.2, label=f"noise σ² = {NOISE ** 2:.2f}")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([n.replace(" ", "\n", 1) for n in names], fontsize=10)
    ax.set_ylabel("validation MSE of the returned model")
    ax.set_title("Claim: each regularizer lowers the\nvalidation error (bars: mean, dots: seeds)")
    ax.legend(fontsize=10, loc="upper right")

    ax = axes[0, 1]
    x = np.linspace(-1.0, 1.0, 400)
    ax.plot(x, polynomial_truth(x), color="k", lw=2.5, alpha=0.3, label="truth")
    ax.plot(data.train.X.ravel(), data.train.y.ravel(), "o", color="C0", ms=8, label="training points")
    ax.plot(data.val.X.ravel(), data.val.y.ravel(), "x", color="C1", ms=6, label="validation points")
    for name, ls in [("none", "--"), ("dropout 0.3", "-"), ("early stopping", "-"), ("all together", "-")]:
        ax.plot(x, predict_curve(runs[name]["nets"][0], x), color=_COLORS[name], lw=2, ls=ls, label=name)
    ax.set_ylim(-2.2, 2.2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Fits of the first seed")
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "regularization_summary.png",
        "Left: validation MSE of the model each procedure returns (bars: mean over seeds, dots: single "
        "seeds). Right: the fitted curves of the first seed.")


def _figure_weight_decay(wd):
    from physnn.lecture.base import mean_ci

    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    lam = np.asarray(wd["lambdas"])
    pos = lam > 0
    xs = np.where(pos, lam, lam[pos].min() / 10.0)  # λ = 0 drawn one decade left of the sweep
    for name, color in (("train", "C0"), ("val", "C1"), ("test", "C3")):
        stats = np.array([mean_ci(v) for v in wd[name]])
        err = np.vstack([stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(xs, stats[:, 0], yerr=err, fmt="o-", color=color, capsize=3, label=f"{name} MSE (mean, 95% CI)")
    ax.axhline(NOISE ** 2, color="grey", ls=":", lw=1.2, label=f"noise σ² = {NOISE ** 2:.2f}")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0.0)
    ax.set_xticks(xs)
    ax.set_xticklabels(["0"] + [f"{x:.0e}".replace("e-0", "e-") for x in lam[pos]], rotation=45)
    ax.set_xlabel("torch weight_decay λ  (penalty (λ/2)‖w‖²)")
    ax.set_ylabel("MSE")
    ax.set_title("Weight decay sweep (SGD): error against λ")
    ax.legend(fontsize=9, loc="upper left")
    ax = axes[0, 1]
    n = len(wd["ref_test"])
    ax.plot([0, 1], np.vstack([wd["ref_test"], wd["chosen_test"]]), "-", color="grey", alpha=0.6)
    ax.plot([0] * n, wd["ref_test"], "o", color="C3", label="λ = 0")
    ax.plot([1] * n, wd["chosen_test"], "o", color="C2", label="λ chosen on validation")
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["λ = 0", "λ chosen on\nvalidation"])
    ax.set_xlim(-0.4, 1.4)
    ax.set_ylabel("test MSE (fresh points)")
    ax.set_title(f"Paired replicas ({n}): each line one seed")
    ax.legend(fontsize=10)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "regularization_weight_decay.png",
        "Left: training, validation and test MSE against the weight-decay strength λ (SGD with momentum; mean "
        "over the paired replicas with 95% confidence intervals; λ = 0 drawn at the left). Right: the test MSE "
        "of each replica without weight decay and with the λ its validation set chose.")
