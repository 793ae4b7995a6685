"""Section 2 — the perceptron and XOR.

Rosenblatt's rule (:class:`physnn.nn.Perceptron`, no gradients) learns the
linearly separable AND and OR gates and cannot learn XOR.  The lecture's
PyTorch version — one ``Linear(2, 1)`` with a sigmoid, BCE loss, SGD at
``lr=0.1`` — fails on XOR too, however long it trains, because its decision
boundary is still a straight line.  One hidden layer (a 2-2-1 or 2-4-1 MLP)
solves it.  Every accuracy here is measured on the four XOR points.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from physnn.data import and_gate, or_gate, xor
from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
)
from physnn.nn import MLP, Perceptron
from physnn.train import fit
from physnn.viz.plots import plot_decision_boundary

NUMBER = 2
TITLE = "The perceptron and XOR"

CLAIM = (
    "“Introduced by Frank Rosenblatt in 1958, the perceptron … performs binary classification by "
    "learning a linear decision boundary … The perceptron's learning rule adjusts weights iteratively "
    "to minimize classification errors.” … “**Critical Limitation:** The perceptron fails on the XOR problem because XOR is not linearly "
    "separable. This fundamental limitation motivated the development of multilayer networks capable "
    "of learning non-linear decision boundaries.”"
)

CODE = """\
import torch
from physnn.data import xor
from physnn.nn import MLP, Perceptron
from physnn.train import fit

d = xor()                                            # the 4 corners, y = [0, 1, 1, 0]
p = Perceptron(seed=0).fit(d.X, d.y)                 # Rosenblatt's rule
print("perceptron:", p.score(d.X, d.y), "converged:", p.converged_)

# the lecture's single sigmoid layer, with the 4x2 inputs it should have had
single = MLP(2, [], 1, out_activation="sigmoid", init="torch", seed=0)   # Linear(2, 1) + Sigmoid
fit(single, d, loss="bce", optimizer="sgd", lr=0.1, epochs=100, batch_size=None, progress=False)

mlp = MLP(2, [4], 1, activation="tanh", seed=0)      # 2-4-1, logits out
fit(mlp, d, loss="bce_with_logits", optimizer="adam", lr=0.05, epochs=300, batch_size=None, progress=False)
X = torch.tensor(d.X, dtype=torch.float32)
with torch.no_grad():
    print("single layer:", (single(X) > 0.5).int().ravel().tolist())
    print("2-4-1 MLP:   ", (mlp(X) > 0).int().ravel().tolist(), "target", d.y.ravel().astype(int).tolist())
"""

#: Adam learning rate of the MLPs and the lecture's SGD learning rate of the single layer
MLP_LR = 0.05
SINGLE_LR = 0.1


def _correct(pred: np.ndarray, y: np.ndarray) -> int:
    """How many of the points are classified right (pred and y are 0/1 arrays)."""
    return int(np.sum(np.asarray(pred).ravel().astype(int) == np.asarray(y).ravel().astype(int)))


def _predict(model: torch.nn.Module, X: np.ndarray, *, logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(class 0/1, probability)`` of a torch model at the points ``X``."""
    with torch.no_grad():
        out = model(torch.as_tensor(X, dtype=torch.float32))
        prob = torch.sigmoid(out) if logits else out
    prob = prob.double().numpy().ravel()
    return (prob > 0.5).astype(int), prob


def _perceptron_study(data: Any, lrs: tuple[float, ...], seeds: list[int], epochs: int) -> dict[str, Any]:
    """Rosenblatt's rule on one gate for every (lr, seed).

    The state after ``k`` epochs is the fit with ``max_epochs=k`` (the same
    seed visits the samples in the same order), so the accuracy after every
    epoch is read from the perceptron itself — no second training loop.
    """
    X, y = data.X, data.y.ravel()
    runs = []
    for lr in lrs:
        for s in seeds:
            full = Perceptron(lr=lr, max_epochs=epochs, seed=s).fit(X, y)
            per_epoch = [
                _correct(Perceptron(lr=lr, max_epochs=k, seed=s).fit(X, y).predict(X), y)
                for k in range(1, full.n_epochs_ + 1)
            ]
            runs.append({
                "lr": lr, "seed": s, "converged": bool(full.converged_), "epochs": int(full.n_epochs_),
                "final_correct": _correct(full.predict(X), y), "best_correct": max(per_epoch),
                "per_epoch_correct": per_epoch, "errors": list(full.errors_), "model": full,
            })
    return {
        "runs": runs,
        "all_converged": all(r["converged"] for r in runs),
        "n_converged": sum(r["converged"] for r in runs),
        "best_correct": max(r["best_correct"] for r in runs),
        "min_final_correct": min(r["final_correct"] for r in runs),
        "epochs_min": min(r["epochs"] for r in runs),
        "epochs_max": max(r["epochs"] for r in runs),
    }


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Perceptron on AND/OR/XOR, the lecture's single sigmoid layer on XOR, and 2-2-1 / 2-4-1 MLPs."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 2.

    Parameters
    ----------
    quick : bool
        Smaller studies: the perceptron with 2 learning rates × 3 seeds for 20 epochs (instead of 3 × 5 for
        50), the single layer's long run 600 epochs (instead of 5000), the MLPs 4 seeds × 200 epochs
        (instead of 10 × 500).
    seed : int
        The first seed of every study; the figures show this seed's runs.

    Returns
    -------
    dict
        ``study``: Rosenblatt's rule on AND, OR and XOR for every (lr, seed); ``single``: the lecture's
        single sigmoid layer after 100 and ``long_epochs`` epochs; ``mlps``: 2-2-1 and 2-4-1 MLPs per seed
        with ``n_solved`` (seeds that reach 4 of 4); ``bug``: what the lecture's 4×1 input does; the
        trained models that the figures draw.
    """
    gates = {"AND": and_gate(), "OR": or_gate(), "XOR": xor()}
    d = gates["XOR"]
    X, y = d.X, d.y.ravel()

    # -- 1. Rosenblatt's rule ---------------------------------------------------------------
    lrs = (0.1, 1.0) if quick else (0.1, 0.5, 1.0)
    p_seeds = list(range(seed, seed + (3 if quick else 5)))
    p_epochs = 20 if quick else 50
    study = {name: _perceptron_study(g, lrs, p_seeds, p_epochs) for name, g in gates.items()}
    # zero start: the learning rate only rescales w and b, so the predictions should not depend on it
    xor_curves = {(r["lr"], r["seed"]): r["per_epoch_correct"] for r in study["XOR"]["runs"]}
    lr_free = all(xor_curves[(lr, s)] == xor_curves[(lrs[0], s)] for lr in lrs for s in p_seeds)
    shown = {name: next(r for r in st["runs"] if r["lr"] == 1.0 and r["seed"] == seed) for name, st in study.items()}

    # -- 2. the lecture's single sigmoid layer ----------------------------------------------
    x_lecture = torch.tensor([[0.0], [0.1], [1.0], [1.1]])  # as printed in the lecture: 4x1
    probe = MLP(2, [], 1, out_activation="sigmoid", init="torch", seed=seed)
    try:
        probe(x_lecture)
        bug = "the lecture's x (4×1) ran without error"  # would mean the model is not Linear(2, 1)
    except RuntimeError as exc:
        bug = f"RuntimeError: {exc}"
    long_epochs = 600 if quick else 5000
    single: dict[int, dict[str, Any]] = {}
    for epochs in (100, long_epochs):
        model = MLP(2, [], 1, out_activation="sigmoid", init="torch", seed=seed)  # Linear(2, 1) + Sigmoid
        h = fit(model, d, loss="bce", optimizer="sgd", lr=SINGLE_LR, epochs=epochs,
                batch_size=None, seed=seed, progress=False)
        pred, prob = _predict(model, X, logits=False)
        single[epochs] = {"model": model, "loss": h["loss"], "correct": _correct(pred, y), "prob": prob.tolist(),
                          "final_loss": float(h["loss"][-1]),
                          "w_norm": float(model[0].weight.detach().norm()),
                          "b_abs": float(model[0].bias.detach().abs())}

    # -- 3. one hidden layer: 2-2-1 and 2-4-1 MLPs ------------------------------------------
    m_seeds = list(range(seed, seed + (4 if quick else 10)))
    m_epochs = 200 if quick else 500
    mlps: dict[int, list[dict[str, Any]]] = {}
    for width in (2, 4):
        mlps[width] = []
        for s in m_seeds:
            model = MLP(2, [width], 1, activation="tanh", seed=s)
            h = fit(model, d, loss="bce_with_logits", optimizer="adam", lr=MLP_LR, epochs=m_epochs,
                    batch_size=None, seed=s, progress=False)
            pred, prob = _predict(model, X, logits=True)
            mlps[width].append({"seed": s, "model": model, "loss": h["loss"], "correct": _correct(pred, y),
                                "final_loss": float(h["loss"][-1])})
    n_solved = {w: sum(r["correct"] == 4 for r in runs) for w, runs in mlps.items()}
    chosen = {w: next(r for r in runs if r["seed"] == seed) for w, runs in mlps.items()}
    stuck_221 = [r for r in mlps[2] if r["correct"] < 4]
    return {
        "quick": quick, "seed": seed, "gates": gates, "lrs": lrs, "p_seeds": p_seeds, "p_epochs": p_epochs,
        "study": study, "lr_free": lr_free, "shown": shown, "bug": bug, "long_epochs": long_epochs,
        "single": single, "m_seeds": m_seeds, "m_epochs": m_epochs, "mlps": mlps, "n_solved": n_solved,
        "chosen": chosen, "stuck_221": stuck_221,
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The decision regions of every model on the four points, and the learning curves."""
    single, chosen, stuck_221 = m["single"], m["chosen"], m["stuck_221"]
    return [_figure_boundaries(m["gates"], m["shown"], single[100], chosen[4],
                               stuck_221[0] if stuck_221 else chosen[2], resolution=100 if m["quick"] else 200),
            _figure_curves(m["shown"], m["p_epochs"], single[m["long_epochs"]], m["mlps"], m["m_epochs"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 2: the claims measured by :func:`experiment`, two tables, the text."""
    seed, study, single, mlps, n_solved = m["seed"], m["study"], m["single"], m["mlps"], m["n_solved"]
    lrs, p_seeds, p_epochs, m_seeds, m_epochs = m["lrs"], m["p_seeds"], m["p_epochs"], m["m_seeds"], m["m_epochs"]
    long_epochs, chosen, stuck_221, lr_free, bug = (m["long_epochs"], m["chosen"], m["stuck_221"], m["lr_free"],
                                                    m["bug"])

    # -- checks ---------------------------------------------------------------------------------
    n_p = len(lrs) * len(p_seeds)
    checks = []
    for name in ("AND", "OR"):
        st = study[name]
        ok = st["all_converged"] and st["min_final_correct"] == 4
        checks.append(Check(
            claim=f"Rosenblatt's rule learns {name} (linearly separable)",
            expected=f"4 of 4 and converged_ for all {n_p} runs (lr × seed)",
            measured=(f"{st['min_final_correct']} of 4 at worst, {st['n_converged']}/{n_p} converged, "
                      f"in {st['epochs_min']}–{st['epochs_max']} epochs"),
            passed=ok, value=float(st["min_final_correct"]),
        ))
    sx = study["XOR"]
    checks.append(Check(
        claim="the perceptron fails on XOR: never more than 3 of 4",
        expected=f"≤ 3 of 4 after every epoch, in all {n_p} runs, never converged",
        measured=(f"best {sx['best_correct']} of 4 after any of {p_epochs} epochs; "
                  f"{sx['n_converged']}/{n_p} converged"),
        passed=sx["best_correct"] <= 3 and sx["n_converged"] == 0, value=float(sx["best_correct"]),
    ))
    for epochs in (100, long_epochs):
        r = single[epochs]
        checks.append(Check(
            claim=f"the lecture's single sigmoid layer fails on XOR ({epochs} epochs, SGD lr {SINGLE_LR})",
            expected="≤ 3 of 4",
            measured=f"{r['correct']} of 4; BCE {r['final_loss']:.4f} (ln 2 = {math.log(2):.4f})",
            passed=r["correct"] <= 3, value=float(r["correct"]),
        ))
    c4 = chosen[4]
    checks.append(Check(
        claim="a multilayer network learns XOR: 2-4-1 MLP (tanh)",
        expected=f"4 of 4 (seed {seed})",
        measured=f"{c4['correct']} of 4 (seed {seed}); {n_solved[4]} of {len(m_seeds)} seeds reach 4 of 4",
        passed=c4["correct"] == 4, value=float(c4["correct"]),
    ))
    checks.append(Check(
        claim="the smallest multilayer network, 2-2-1 MLP (tanh), can learn XOR",
        expected=f"4 of 4 for at least one of {len(m_seeds)} seeds",
        measured=f"{n_solved[2]} of {len(m_seeds)} seeds reach 4 of 4",
        passed=n_solved[2] >= 1, value=float(n_solved[2]),
    ))

    # -- tables, text -------------------------------------------------------------------------
    rows = []
    for name, st in study.items():
        rows.append([f"Perceptron (Rosenblatt), {name}", f"{n_p} (lr × seed)", f"≤ {p_epochs}",
                     f"{min(r['final_correct'] for r in st['runs'])}–{max(r['final_correct'] for r in st['runs'])}",
                     f"{st['best_correct']}", f"{st['n_converged']}/{n_p} converged"])
    for epochs in (100, long_epochs):
        r = single[epochs]
        rows.append([f"Linear(2,1)+Sigmoid, BCE, SGD lr {SINGLE_LR}", "1", str(epochs), str(r["correct"]),
                     "–", f"BCE {r['final_loss']:.4f}; p = " + ", ".join(f"{v:.3f}" for v in r["prob"])])
    for width in (2, 4):
        runs = mlps[width]
        losses = [r["final_loss"] for r in runs]
        rows.append([f"MLP 2-{width}-1 (tanh), Adam lr {MLP_LR}", f"{len(runs)} seeds", str(m_epochs),
                     f"{min(r['correct'] for r in runs)}–{max(r['correct'] for r in runs)}", "–",
                     f"{n_solved[width]}/{len(runs)} seeds 4 of 4; BCE {min(losses):.1e}–{max(losses):.1e}"])
    table = markdown_table(["model", "runs", "epochs", "correct of 4 (final)", "best after any epoch", "notes"], rows)
    seed_rows = [[str(a["seed"]), str(a["correct"]), f"{a['final_loss']:.2e}",
                  str(b["correct"]), f"{b['final_loss']:.2e}"]
                 for a, b in zip(mlps[2], mlps[4])]
    seed_table = markdown_table(["seed", "2-2-1 correct", "2-2-1 final BCE", "2-4-1 correct", "2-4-1 final BCE"],
                                seed_rows)

    sa, so = study["AND"], study["OR"]
    stuck_note = (
        f"The 2-2-1 network, the smallest that can represent XOR, solves it for {n_solved[2]} of {len(m_seeds)} "
        f"seeds; the others get stuck in a local minimum (final BCE {min(r['final_loss'] for r in stuck_221):.2f}–"
        f"{max(r['final_loss'] for r in stuck_221):.2f}, one or two points wrong) — more hidden units make "
        "the landscape friendlier: "
        f"the 2-4-1 network solves {n_solved[4]} of {len(m_seeds)}."
        if stuck_221 else
        f"Both the 2-2-1 and the 2-4-1 networks solve it for every seed tried ({len(m_seeds)})."
    )
    text = (
        "**Rosenblatt's rule** (physnn `Perceptron`: step output, weights start at zero, "
        "w ← w + η(y − ŷ)x on every mistake) "
        + (f"learns AND and OR in every run ({n_p} each: {len(lrs)} learning rates × {len(p_seeds)} seeds; "
           if checks[0].passed and checks[1].passed else
           f"does **not** learn AND and OR in every run (see the checks; {n_p} runs each; ")
        + f"AND in {sa['epochs_min']}–{sa['epochs_max']} epochs, OR in {so['epochs_min']}–{so['epochs_max']}, "
        "counting the final mistake-free epoch). "
        + (f"On XOR it never converges; the accuracy after each of its {p_epochs} epochs never exceeds "
           f"{sx['best_correct']} of 4 — no straight line can separate XOR, so 3 of 4 is the best possible. "
           if checks[2].passed else
           f"On XOR it reached {sx['best_correct']} of 4 — which would contradict the lecture (see the checks). ")
        + ("Because the weights start at zero, the learning rate only rescales w and b: every η gives the "
           "same predictions (measured identical). " if lr_free else "")
        + "\n\n**The lecture's PyTorch code** defines `x = torch.tensor([[0.0],[0.1],[1.0],[1.1]])`, a 4×1 "
        "tensor (a typo for the corners [0,0], [0,1], [1,0], [1,1]); fed to `Linear(2, 1)` it fails with "
        f"`{bug}`. With the intended 4×2 inputs, the single sigmoid neuron trained with BCE and SGD "
        f"(lr {SINGLE_LR}, full batch) reaches {single[100]['correct']} of 4 after the lecture's 100 epochs and "
        f"{single[long_epochs]['correct']} of 4 after {long_epochs}: training longer only drives it to the best "
        "a line can do on XOR under BCE, the weights "
        + ("shrinking towards zero " if single[long_epochs]["w_norm"] < single[100]["w_norm"] else "")
        + f"(‖w‖ = {single[100]['w_norm']:.3f} → {single[long_epochs]['w_norm']:.1e}, "
        f"|b| = {single[100]['b_abs']:.3f} → {single[long_epochs]['b_abs']:.1e}) so that p → 0.5 for every "
        f"point and the loss → ln 2 = {math.log(2):.4f} (measured {single[long_epochs]['final_loss']:.4f}). "
        "It is not “almost there”; it cannot get there.\n\n"
        "**One hidden layer** (tanh, logits out, Adam lr "
        f"{MLP_LR}, {m_epochs} epochs) bends the boundary. {stuck_note}"
    )
    output = (
        ">>> model(torch.tensor([[0.0],[0.1],[1.0],[1.1]]))   # the lecture's x, 4x1\n"
        f"{bug}\n"
        f">>> # after {long_epochs} epochs with the 4x2 XOR inputs, the single layer's outputs:\n"
        + ", ".join(f"{v:.4f}" for v in single[long_epochs]["prob"])
    )
    return result_block(
        __name__,
        started=started,
        text=text,
        figures=figs,
        tables=[table, seed_table],
        checks=checks,
        output=output,
        data={
            "perceptron": {name: {"all_converged": st["all_converged"], "min_final_correct": st["min_final_correct"],
                                  "best_correct": st["best_correct"], "n_converged": st["n_converged"],
                                  "epochs": [r["epochs"] for r in st["runs"]]}
                           for name, st in study.items()},
            "perceptron_lr_has_no_effect": lr_free,
            "lecture_input_error": bug,
            "single_layer": {e: {"correct": r["correct"], "final_loss": r["final_loss"], "prob": r["prob"],
                                 "w_norm": r["w_norm"], "b_abs": r["b_abs"]}
                             for e, r in single.items()},
            "long_epochs": long_epochs,
            "mlp": {w: {"seeds": [r["seed"] for r in runs], "correct": [r["correct"] for r in runs],
                        "final_loss": [r["final_loss"] for r in runs], "n_solved": n_solved[w]}
                    for w, runs in mlps.items()},
            "mlp_epochs": m_epochs,
        },
    )


# ---------------------------------------------------------------------------- figures


def _mark_points(ax: Any, X: np.ndarray, y: np.ndarray, pred: np.ndarray) -> None:
    """Big markers for the four points (colour = target), a cross through the misclassified ones."""
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", vmin=0, vmax=1, s=260, edgecolors="k", linewidths=2, zorder=3)
    for (a, b), t, p in zip(X, y, pred):
        ax.annotate(str(int(t)), (a, b), ha="center", va="center", fontsize=11, color="w", weight="bold", zorder=4)
        if int(p) != int(t):
            ax.scatter([a], [b], marker="x", s=500, c="k", linewidths=3, zorder=5)


def _perceptron_panel(ax: Any, p: Perceptron, X: np.ndarray, y: np.ndarray, title: str, resolution: int) -> None:
    """The perceptron's step output over the plane (two colours) and its line w·x + b = 0."""
    lo, hi = -0.1, 1.1
    gx, gy = np.meshgrid(np.linspace(lo, hi, resolution), np.linspace(lo, hi, resolution))
    z = p.predict(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    cs = ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], cmap="RdBu_r", vmin=-0.5, vmax=1.5, alpha=0.6)
    cb = ax.figure.colorbar(cs, ax=ax, fraction=0.046, pad=0.04, ticks=[0, 1], label="step output ŷ")
    cb.ax.set_yticklabels(["0", "1"])
    w, b = p.weights_, p.bias_
    xs = np.linspace(lo, hi, 2)
    if abs(w[1]) > 1e-12:
        ax.plot(xs, -(w[0] * xs + b) / w[1], "k-", lw=2)
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], color="k", lw=2)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("input x₁")
    ax.set_ylabel("input x₂")
    ax.set_title(title)


def _figure_boundaries(gates, shown, single100, mlp241, mlp221, *, resolution: int = 200):
    from matplotlib.contour import ContourSet

    fig, axes = subplots(2, 3, width=4.6, height=4.2, layout="constrained")
    d = gates["XOR"]
    X, y = d.X, d.y.ravel()
    for ax, name in zip(axes[0], ("AND", "OR", "XOR")):
        p, g = shown[name]["model"], gates[name]
        pred = p.predict(g.X)
        _perceptron_panel(ax, p, g.X, g.y.ravel(), f"Perceptron, {name}: {_correct(pred, g.y.ravel())} of 4",
                          resolution)
        _mark_points(ax, g.X, g.y.ravel(), pred)
        ax.set_aspect("equal")
    for ax, r, label, logits in ((axes[1, 0], single100, "Sigmoid layer, 100 ep.", False),
                                 (axes[1, 1], mlp241, f"MLP 2-4-1 (seed {mlp241['seed']})", True),
                                 (axes[1, 2], mlp221, f"MLP 2-2-1 (seed {mlp221['seed']})", True)):
        pred, _ = _predict(r["model"], X, logits=logits)
        plot_decision_boundary(r["model"], X, y, ax=ax, to_score=torch.sigmoid if logits else None,
                               title=f"{label}, XOR: {r['correct']} of 4", resolution=resolution,
                               feature_names=("input x₁", "input x₂"))
        # colours on the fixed 0..1 scale: an output near 0.5 stays pale ("undecided")
        for coll in ax.collections:
            if isinstance(coll, ContourSet) and coll.filled:
                coll.set_clim(0.0, 1.0)
        _mark_points(ax, X, y, pred)
        ax.set_aspect("equal")
    fig.suptitle("A line separates AND and OR but not XOR; a hidden layer bends the boundary "
                 "(black: output 0.5, ✕: wrong)")
    return figure_from_matplotlib(
        fig, "perceptron_xor_boundaries.png",
        "Decision regions on the four points (number: target, ✕: misclassified). Top: Rosenblatt's "
        "perceptron (step output, black: w·x + b = 0) on AND, OR and XOR after its last epoch. Bottom "
        "(colour: probability on a fixed 0–1 scale, black: 0.5): the lecture's single sigmoid layer on "
        "XOR after 100 epochs — its output stays near 0.5 —, a 2-4-1 MLP, and a 2-2-1 MLP (a seed stuck "
        "in a local minimum, if any was).",
    )


def _figure_curves(shown, p_epochs, single_long, mlps, m_epochs):
    from matplotlib.ticker import MaxNLocator

    fig, axes = subplots(1, 2, width=6.0, height=4.4)
    ax1, ax2 = axes[0]
    for c, name in zip(("C0", "C2", "C3"), ("AND", "OR", "XOR")):
        errs = shown[name]["errors"]
        ax1.plot(np.arange(1, len(errs) + 1), errs, "o-", color=c, ms=4, label=f"{name} ({len(errs)} epochs)")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("mistakes in the epoch (of 4)")
    ax1.set_ylim(-0.2, 5.6)
    ax1.set_yticks(range(5))
    ax1.set_xlim(0.5, p_epochs + 0.5)
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_title("Perceptron: AND, OR stop; XOR never does")
    ax1.legend(loc="upper center", ncol=3, fontsize=10, columnspacing=1.0)

    # drawn on top of the single layer's curve, which sits on it: both stay visible
    ax2.axhline(math.log(2), color="k", ls=":", lw=1.6, zorder=7, label="ln 2 (p = 0.5 everywhere)")
    loss = single_long["loss"]
    ax2.plot(np.arange(1, len(loss) + 1), loss, color="C3", lw=3, label="single sigmoid layer (SGD)")
    for width, c in ((2, "C1"), (4, "C2")):
        for i, r in enumerate(mlps[width]):
            ax2.plot(np.arange(1, len(r["loss"]) + 1), r["loss"], color=c, lw=1.2, alpha=0.8,
                     label=f"MLP 2-{width}-1 (Adam), {len(mlps[width])} seeds" if i == 0 else None)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("training loss (BCE)")
    ax2.set_title("A line stalls at ln 2; a hidden layer goes to 0")
    ax2.legend(loc="lower left", fontsize=10)
    fig.suptitle("Learning curves on XOR (and the perceptron on AND / OR)", y=1.02)
    return figure_from_matplotlib(
        fig, "perceptron_xor_curves.png",
        "Left: mistakes per epoch of Rosenblatt's rule (lr 1) — zero ends training on AND and OR, XOR keeps "
        f"making mistakes. Right: BCE on XOR for the single sigmoid layer ({len(loss)} epochs, levels off at "
        f"ln 2) and 2-2-1 / 2-4-1 MLPs ({m_epochs} epochs, each seed one line; lines that level off above 0 "
        "are stuck seeds).",
    )
