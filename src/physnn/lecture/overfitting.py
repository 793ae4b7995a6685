r"""Section 9 — Overfitting and the bias–variance trade-off, measured.

The lecture: deep networks *"possess enormous capacity to memorize training
data, including noise"*; *"simple models (high bias) underfit the data, while
complex models (high variance) overfit"*; and *"the telltale sign of
overfitting: training loss continues decreasing while validation loss
increases"*.

Two experiments on one small noisy data set (:func:`small_noisy_data`: 15
training points of :math:`T_3(x) = 4x^3 - 3x` plus noise of standard
deviation 0.3, and 45 held-out validation points):

1. an over-parameterised ``MLP(1, [128, 128], 1)`` (tanh, 16,897 parameters
   for 15 points) trained long with Adam: the training loss keeps falling,
   the validation loss has a minimum — *the turn* — and rises after it;
2. validation error against capacity (hidden width 1 … 256, same epochs,
   several seeds averaged): the U-shape of the bias–variance trade-off.

    >>> d = small_noisy_data()
    >>> len(d.train), len(d.val)
    (15, 45)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from physnn.data import polynomial, polynomial_truth
from physnn.data.arrays import Split
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
from physnn.lecture.stacking import fit_stack, member_mse, predict_curve
from physnn.nn import MLP

TITLE = "Overfitting and the bias–variance trade-off"
NUMBER = 9

__all__ = ["TITLE", "NUMBER", "CODE", "run", "small_noisy_data", "NOISE", "HIDDEN", "LR"]

CLAIM = (
    "> *\"Deep neural networks with thousands or millions of parameters possess enormous capacity to "
    "memorize training data, including noise and outliers. […] The bias-variance trade-off captures "
    "this tension: simple models (high bias) underfit the data, while complex models (high variance) "
    "overfit.\"*\n>\n> *\"The telltale sign of overfitting: training loss continues decreasing while "
    "validation loss increases.\"*"
)

NOISE = 0.3  #: standard deviation of the noise on the targets (validation MSE cannot beat NOISE² = 0.09)
HIDDEN = [128, 128]  #: the over-parameterised network of this section and the next
LR = 1e-3  #: Adam's learning rate, as in the lecture's optimizer line
TURN_RISE = 0.20  #: the validation loss must end at least this much above its minimum
U_FACTOR = 1.5  #: both ends of the capacity sweep must be this many times the best validation MSE


def small_noisy_data(seed: int = 0) -> Split:
    """60 noisy samples of ``T_3(x) = 4x³ − 3x`` on [−1, 1]: 15 for training, 45 for validation.

    Made by :func:`physnn.data.polynomial` (``n=60, degree=3, noise=0.3``) and
    split at random (``val=0.75``).  Fifteen points are few enough that a big
    network can memorise them — noise included; forty-five validation points
    make the validation curve trustworthy.
    """
    d = polynomial(n=60, degree=3, noise=NOISE, seed=seed)
    return d.split(val=0.75, seed=seed)


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return dict(epochs=1200, widths=[1, 4, 32, 128], groups=[[1, 4], [32], [128]], seeds=2, u_epochs=1200,
                    bv_groups=[[1, 32]], bv_resamples=3, bv_epochs=200)
    return dict(epochs=3000, widths=[1, 2, 4, 8, 16, 32, 64, 128, 256],
                groups=[[1, 2, 4, 8, 16], [32, 64], [128], [256]], seeds=4, u_epochs=3000,
                bv_groups=[[1, 4, 16], [128]], bv_resamples=8, bv_epochs=3000)


def bias_variance(data: Split, groups: list[list[int]], *, resamples: int, epochs: int, seed: int) -> dict[str, Any]:
    r"""Measure bias² and variance of ``MLP(1, [w, w], 1)`` by resampling the training noise.

    For each width :math:`w` the network is trained on ``resamples`` data sets
    :math:`D_r` (the same 15 x, fresh noise of σ = 0.3, a fresh network seed) and evaluated on a grid:

    .. math:: \mathbb E_{D}\big[(\hat f_D(x) - y)^2\big]
              = \underbrace{(\bar f(x) - f(x))^2}_{\text{bias}^2}
              + \underbrace{\mathbb E_D[(\hat f_D(x) - \bar f(x))^2]}_{\text{variance}} + \sigma^2,
              \qquad \bar f = \mathbb E_D \hat f_D,

    averaged over :math:`x \in [-1, 1]`.  Returns ``{width: {"bias2", "variance"}}``.
    """
    import torch

    from physnn.lecture.stacking import stack_mse
    from physnn.nn import StackedMLP
    from physnn.train import fit

    rng = np.random.default_rng(4241 + seed)
    x = data.train.X
    Y = polynomial_truth(x).reshape(-1, 1) + NOISE * rng.standard_normal((len(x), resamples))
    xg = np.linspace(-1.0, 1.0, 201).reshape(-1, 1)
    truth = polynomial_truth(xg).reshape(-1)
    out: dict[int, dict[str, float]] = {}
    for group in groups:
        members = [MLP(1, [w, w], 1, activation="tanh", seed=seed * 1000 + 500 + r) for w in group for r in range(resamples)]
        stack = StackedMLP(members)
        fit(stack, (torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(np.tile(Y, (1, len(group))), dtype=torch.float32)),
            loss=stack_mse, metrics=[], optimizer="adam", lr=LR, epochs=epochs, batch_size=None, seed=seed,
            progress=False)
        stack.eval()
        with torch.no_grad():
            P = stack(torch.as_tensor(xg, dtype=torch.float32)).double().numpy()
        for i, w in enumerate(group):
            p = P[:, i * resamples:(i + 1) * resamples]
            out[w] = {"bias2": float(np.mean((p.mean(1) - truth) ** 2)), "variance": float(np.mean(p.var(1)))}
    return out


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 9 (see the module docstring); ``quick`` trains shorter and sweeps fewer widths."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 9.

    Parameters
    ----------
    quick : bool
        Shorter training and fewer widths and seeds (see ``_settings``).
    seed : int
        Seed of the data and of the over-parameterised network; the sweep's seeds follow it.

    Returns
    -------
    dict
        The turn: the training and validation curves of an over-parameterised network (``history``), the
        epoch of the lowest validation loss (``turn``) and the networks at the turn and at the end. The U:
        per hidden width the training and validation MSE of every seed (``tr_err``, ``va_err``) and one
        trained network to draw (``nets``).
    """
    from physnn.train import fit

    seed = check_int("seed", seed, low=0, owner="overfitting.run")
    s = _settings(quick)
    data = small_noisy_data(seed)

    # ---- 1. the turn: an over-parameterised net trained long
    model = MLP(1, HIDDEN, 1, activation="tanh", seed=seed)
    # no early stopping: the model keeps the last epoch's weights, the result the best epoch's, so both show
    h = fit(model, data.train, val=data.val, optimizer="adam", lr=LR, epochs=s["epochs"], batch_size=None,
            seed=seed, metrics=[], progress=False)
    turn_net = MLP(1, HIDDEN, 1, activation="tanh", seed=seed)
    turn_net.load_state_dict(h.best_weights)

    # ---- 2. the U: validation error against capacity
    widths, seeds = s["widths"], [seed * 1000 + i for i in range(s["seeds"])]
    tr_err: dict[int, np.ndarray] = {}
    va_err: dict[int, np.ndarray] = {}
    nets: dict[int, Any] = {}
    for group in s["groups"]:
        members = [MLP(1, [w, w], 1, activation="tanh", seed=sd) for w in group for sd in seeds]
        stack, _ = fit_stack(members, data.train.X, data.train.y, optimizer="adam", lr=LR,
                             epochs=s["u_epochs"], batch_size=None, seed=seed)
        et = member_mse(stack, data.train.X, data.train.y).reshape(len(group), len(seeds))
        ev = member_mse(stack, data.val.X, data.val.y).reshape(len(group), len(seeds))
        for i, w in enumerate(group):
            tr_err[w], va_err[w] = et[i], ev[i]
            nets[w] = stack.member(i * len(seeds))  # the first seed, for the picture
    bv = bias_variance(data, s["bv_groups"], resamples=s["bv_resamples"], epochs=s["bv_epochs"], seed=seed)
    return {
        "bias_variance": bv,
        "quick": quick, "settings": s, "data": data, "history": h, "turn": int(h.best_epoch),
        "final_net": model, "turn_net": turn_net, "n_params": sum(p.numel() for p in model.parameters()),
        "spec": model.spec, "widths": widths, "seeds": seeds, "tr_err": tr_err, "va_err": va_err, "nets": nets,
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The turn (curves and fits at the turn and at the end), and the U of validation error against width."""
    v_mean = np.array([m["va_err"][w].mean() for w in m["widths"]])
    return [_figure_turn(m["history"], m["turn"], m["data"], m["turn_net"], m["final_net"], m["n_params"]),
            _figure_u(m["widths"], m["tr_err"], m["va_err"], int(np.argmin(v_mean)), m["data"], m["nets"],
                      len(m["seeds"]), m["settings"]["u_epochs"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 9: the claims measured by :func:`experiment`, the table, the text."""
    h, turn, widths, tr_err, va_err = m["history"], m["turn"], m["widths"], m["tr_err"], m["va_err"]
    train, val = np.array(h["loss"]), np.array(h["val_loss"])
    last = len(val) - 1
    rise = val[-1] / val[turn] - 1.0
    turn_ok = bool(turn < last and rise >= TURN_RISE and train[-1] < train[turn])
    checks = [Check(
        claim="Overfitting: training loss keeps decreasing while validation loss increases",
        expected=f"validation loss has its minimum before the last epoch and ends ≥ {TURN_RISE:.0%} above it, "
                 "while the training loss ends below its value at that minimum",
        measured=(f"minimum at epoch {turn} of {last}: val {val[turn]:.3f} → {val[-1]:.3f} (+{rise:.0%}); "
                  f"train {train[turn]:.3f} → {train[-1]:.4f}"),
        passed=turn_ok, value=float(rise),
    )]
    v_mean = np.array([va_err[w].mean() for w in widths])
    t_mean = np.array([tr_err[w].mean() for w in widths])
    i_best = int(np.argmin(v_mean))
    w_best = widths[i_best]
    low_end, high_end = v_mean[0] / v_mean[i_best], v_mean[-1] / v_mean[i_best]
    u_ok = bool(0 < i_best < len(widths) - 1 and low_end >= U_FACTOR and high_end >= U_FACTOR)
    checks.append(Check(
        claim="Bias–variance: simple models underfit, complex models overfit (validation error is U-shaped in capacity)",
        expected=f"the lowest mean validation MSE at an interior width, both ends ≥ {U_FACTOR}× it",
        measured=(f"best width {w_best} (val MSE {v_mean[i_best]:.3f}); width {widths[0]}: "
                  f"{low_end:.1f}×, width {widths[-1]}: {high_end:.1f}×"),
        passed=u_ok, value=float(min(low_end, high_end)),
    ))
    bv = m["bias_variance"]
    bw = sorted(bv)
    bv_ok = bool(bv[bw[0]]["bias2"] > bv[bw[-1]]["bias2"] and bv[bw[-1]]["variance"] > bv[bw[0]]["variance"])
    checks.append(Check(
        claim="Simple models have high bias, complex models high variance (measured by resampling the training noise)",
        expected=f"bias² larger at width {bw[0]} than at {bw[-1]}; variance larger at width {bw[-1]} than at {bw[0]}",
        measured=(f"bias² {bv[bw[0]]['bias2']:.3f} → {bv[bw[-1]]['bias2']:.3f}; "
                  f"variance {bv[bw[0]]['variance']:.3f} → {bv[bw[-1]]['variance']:.3f} "
                  f"({m['settings']['bv_resamples']} resampled data sets)"),
        passed=bv_ok, value=float(bv[bw[-1]]["variance"] / max(bv[bw[0]]["variance"], 1e-12)),
    ))
    n_params = m["n_params"]
    bv_table = markdown_table(
        ["hidden widths", "bias² (x-averaged)", "variance over data sets", "bias² + variance + σ²"],
        [[f"{w}-{w}", f"{bv[w]['bias2']:.4f}", f"{bv[w]['variance']:.4f}",
          f"{bv[w]['bias2'] + bv[w]['variance'] + NOISE ** 2:.3f}"] for w in bw])
    table = markdown_table(
        ["hidden widths", "parameters", "train MSE (mean of seeds)", "validation MSE (mean)", "validation MSE (min … max)"],
        [[f"{w}-{w}", w * w + 4 * w + 1, f"{tr_err[w].mean():.3f}", f"{va_err[w].mean():.3f}",
          f"{va_err[w].min():.3f} … {va_err[w].max():.3f}"] for w in widths],
    )
    text = _text(m["settings"], m["data"], n_params, turn, last, val, train, rise, turn_ok, widths, v_mean, t_mean,
                 i_best, low_end, high_end, u_ok, m["quick"])
    text += (
        "\n\n**Bias and variance, measured.** The lecture calls simple models *high bias* and complex ones "
        "*high variance*; both are properties of the training procedure over many data sets, so we measure "
        f"them: each width is trained on {m['settings']['bv_resamples']} data sets with the same 15 x and "
        "fresh noise (and a fresh network seed), and evaluated on a grid. The expected squared error on a "
        "new point splits exactly as E[(f̂ − y)²] = (f̄ − f)² + E[(f̂ − f̄)²] + σ², with f̄ the average "
        "fit over data sets — bias², variance and the noise, because the cross terms average to zero. "
        + ("The narrow net's error is mostly bias, the wide net's mostly variance, as the lecture says."
           if bv_ok else "Here the measured split does not follow the lecture's description: see the table.")
        + " Section 10 adds weight decay, a knob that moves along the same trade-off.")
    data_bv = {str(w): v for w, v in bv.items()}
    output = (f"model {m['spec']}: {n_params} parameters for {len(m['data'].train)} training points\n"
              f"turn at epoch {turn}: val {val[turn]:.3f}; at the end val {val[-1]:.3f}, "
              f"train {train[-1]:.4f}")
    data = dict(
        turn_epoch=turn, last_epoch=last, val_min=float(val[turn]), val_end=float(val[-1]),
        train_turn=float(train[turn]), train_end=float(train[-1]), rise=float(rise),
        train_curve=train.tolist(), val_curve=val.tolist(),
        widths=widths, val_mean=v_mean.tolist(), train_mean=t_mean.tolist(), best_width=w_best,
        low_end_factor=float(low_end), high_end_factor=float(high_end), bias_variance=data_bv,
    )
    return result_block(__name__, started=started, checks=checks, text=text, figures=figs, tables=[table, bv_table],
                        output=output, data=data)


CODE = '''\
from physnn.data import polynomial
from physnn.nn import MLP
from physnn.train import fit

data = polynomial(n=60, degree=3, noise=0.3, seed=0).split(val=0.75, seed=0)  # 15 train, 45 val
model = MLP(1, [128, 128], 1, activation="tanh", seed=0)
print(f"model {model.spec}: {sum(p.numel() for p in model.parameters())} parameters "
      f"for {len(data.train)} training points")
h = fit(model, data.train, val=data.val, lr=1e-3, epochs=3000, batch_size=None)
turn = h.best_epoch
print(f"turn at epoch {turn}: val {h['val_loss'][turn]:.3f}; "
      f"at the end val {h['val_loss'][-1]:.3f}, train {h['loss'][-1]:.4f}")
h.plot()                                   # training and validation loss, best epoch marked
'''


def _text(s, data, n_params, turn, last, val, train, rise, turn_ok, widths, v_mean, t_mean, i_best,
          low_end, high_end, u_ok, quick) -> str:
    lines = [
        f"**Data.** {len(data.train)} training points of the cubic T₃(x) = 4x³ − 3x with Gaussian noise "
        f"(σ = {NOISE}), and {len(data.val)} validation points from the same noisy curve. No model can "
        f"beat a validation MSE of σ² = {NOISE ** 2:.2f}: that is the noise itself.",
        "",
        f"**The turn.** A 1-128-128-1 tanh network has {n_params:,} parameters for {len(data.train)} "
        f"points. Trained with Adam (lr {LR:g}, the lecture's value), full batch, for {last + 1} epochs, "
        f"its validation loss falls until epoch {turn} (MSE {val[turn]:.3f}) and then rises to "
        f"{val[-1]:.3f} (+{rise:.0%}), while the training loss keeps falling, from {train[turn]:.3f} at "
        f"the turn to {train[-1]:.4f} — well below the noise level σ² = {NOISE ** 2:.2f}: the network is "
        "memorising the noise. The right panel shows it: at the turn the fit follows the cubic; at the "
        "end it bends through the individual noisy points and swings between them, where the "
        "validation points lie.",
    ]
    if not turn_ok:
        lines += ["", "**The measured curve does not show the expected turn at this budget; the check fails.**"]
    lines += [
        "",
        f"**The U.** We trained 1-w-w-1 tanh networks, w = {', '.join(map(str, widths))}, for "
        f"{s['u_epochs']} epochs each ({s['seeds']} seeds, averaged; seeds are trained side by side as one "
        "`StackedMLP`, each an independent network) and measured the training and validation MSE at the "
        f"end. Training error falls steadily with width ({t_mean[0]:.3f} → {t_mean[-1]:.3f}). Validation "
        f"error is high for the narrowest net (width {widths[0]}: {v_mean[0]:.3f} — too simple to bend "
        f"like a cubic: high bias), lowest at width {widths[i_best]} ({v_mean[i_best]:.3f}; the noise "
        f"floor is {NOISE ** 2:.2f}), and high again for the widest (width {widths[-1]}: {v_mean[-1]:.3f} — flexible enough to "
        "follow the noise: high variance).",
    ]
    if u_ok:
        lines += ["", "A caveat worth knowing: the U is not a law. Very large networks trained in other "
                  "regimes (more data, implicit regularisation of SGD, or far past the interpolation "
                  "point) can show *double descent*, where validation error falls again with size. We "
                  "chose the classic setting — tiny data, training to (near) convergence, no early "
                  "stopping — where the U shows clearly."]
    else:
        lines += ["", "**The capacity sweep did not show a clean U at this budget; the check fails.** "
                  "Large networks are often rescued by implicit regularisation (gradient descent stops "
                  "short of fitting every wiggle) or show *double descent*, where validation error "
                  "falls again with size."]
    if quick:
        lines += ["", "*Quick mode: shorter training and fewer widths and seeds — run the full section for the real numbers.*"]
    return "\n".join(lines)


def _figure_turn(h, turn, data, turn_net, final_net, n_params):
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    ep = np.arange(len(h["loss"]))
    ax.semilogy(ep, h["loss"], color="C0", label="training loss")
    ax.semilogy(ep, h["val_loss"], color="C1", label="validation loss")
    ax.axhline(NOISE ** 2, color="grey", ls=":", lw=1.2, label=f"noise level σ² = {NOISE ** 2:.2f}")
    ax.axvline(turn, color="k", ls="--", lw=1.2)
    ax.plot([turn], [h["val_loss"][turn]], "o", color="C1", ms=9,
            label=f"the turn: min. validation loss (epoch {turn})")
    ax.axvspan(turn, ep[-1], color="C3", alpha=0.07)
    ax.text(0.97 * ep[-1], max(h["val_loss"]) * 0.8, "overfitting", color="C3", ha="right", va="top")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE loss")
    ax.set_title("Claim: training loss keeps decreasing\nwhile validation loss increases")
    ax.legend(fontsize=10, loc="lower left")

    ax = axes[0, 1]
    x = np.linspace(-1.0, 1.0, 400)
    ax.plot(x, polynomial_truth(x), color="k", lw=2.5, alpha=0.3, label="truth 4x³ − 3x")
    ax.plot(data.train.X.ravel(), data.train.y.ravel(), "o", color="C0", ms=8, label="training points (15)")
    ax.plot(data.val.X.ravel(), data.val.y.ravel(), "x", color="C1", ms=6, label="validation points (45)")
    ax.plot(x, predict_curve(turn_net, x), color="C2", lw=2, label=f"fit at the turn (epoch {turn})")
    ax.plot(x, predict_curve(final_net, x), color="C3", lw=2, ls="--", label=f"fit at the end (epoch {len(ep) - 1})")
    ax.set_ylim(-2.2, 2.2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"1-128-128-1 tanh net ({n_params:,} parameters):\nfollowing the curve, then the noise")
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "overfitting_turn.png",
        "Left: training and validation loss of an over-parameterised network on 15 noisy points; the "
        "validation loss turns up at the marked epoch while the training loss keeps falling. Right: the "
        "fit at the turn and at the end of training.")


def _figure_u(widths, tr_err, va_err, i_best, data, nets, n_seeds, epochs):
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    w = np.array(widths)
    tm = np.array([tr_err[k].mean() for k in widths])
    vm = np.array([va_err[k].mean() for k in widths])
    for k in widths:
        ax.plot([k] * n_seeds, va_err[k], ".", color="C1", alpha=0.35)
        ax.plot([k] * n_seeds, tr_err[k], ".", color="C0", alpha=0.35)
    ax.loglog(w, tm, "o-", color="C0", label=f"training MSE (mean of {n_seeds} seeds)")
    ax.loglog(w, vm, "s-", color="C1", label=f"validation MSE (mean of {n_seeds} seeds)")
    ax.axhline(NOISE ** 2, color="grey", ls=":", lw=1.2, label=f"noise level σ² = {NOISE ** 2:.2f}")
    ax.plot([w[i_best]], [vm[i_best]], "*", color="k", ms=16, label=f"sweet spot: width {w[i_best]}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(w)
    ax.set_xticklabels([str(k) for k in widths])
    top = max(vm.max(), max(va_err[k].max() for k in widths))
    ax.text(w[0], top * 4.0, "← underfit\n   (high bias)", ha="left", va="top", fontsize=11, color="C3")
    ax.text(w[-1], top * 4.0, "overfit →\n(high variance)", ha="right", va="top", fontsize=11, color="C3")
    ax.set_ylim(min(tm.min(), NOISE ** 2) / 3, top * 5.0)
    ax.set_xlabel("hidden width w of a 1-w-w-1 tanh net (capacity)")
    ax.set_ylabel(f"MSE after {epochs} epochs")
    ax.set_title("Claim: simple models underfit, complex models\noverfit — validation error is U-shaped")
    ax.legend(fontsize=9, loc="lower left")

    ax = axes[0, 1]
    x = np.linspace(-1.0, 1.0, 400)
    ax.plot(x, polynomial_truth(x), color="k", lw=2.5, alpha=0.3, label="truth")
    ax.plot(data.train.X.ravel(), data.train.y.ravel(), "o", color="C0", ms=8, label="training points")
    ax.plot(data.val.X.ravel(), data.val.y.ravel(), "x", color="C1", ms=6, label="validation points")
    for k, c, ls in [(widths[0], "C4", "-"), (widths[i_best], "C2", "-"), (widths[-1], "C3", "--")]:
        ax.plot(x, predict_curve(nets[k], x), color=c, lw=2, ls=ls, label=f"width {k}")
    ax.set_ylim(-2.2, 2.2)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Too simple, just right, too flexible")
    ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "overfitting_capacity.png",
        "Left: training and validation MSE against the width of the network (each dot one seed, lines the "
        "means): training error falls with capacity, validation error is U-shaped. Right: fits of the "
        "narrowest, the best and the widest network.")
