r"""Section 6 — The training loop: the lecture's MSE + SGD loop, run by physnn's ``fit``.

The lecture's loop (MSE loss, ``SGD(lr=0.01)``, 200 full-batch epochs,
printing every 50) is ``fit(model, (x, y), loss="mse", optimizer="sgd",
lr=0.01, epochs=200, batch_size=None, callbacks=[PrintLogger(50)])``.

The task: a pendulum's restoring torque.  For a pendulum of mass :math:`m`
and length :math:`\ell` at angle :math:`\theta`, :math:`\tau/(mg\ell) =
-\sin\theta`; the small-angle law :math:`-\theta` fails at large angles, so a
network has something non-linear to learn.

    >>> theta, tau = pendulum_data(n=5, seed=0)
    >>> theta.shape, tau.shape, theta.dtype
    ((5, 1), (5, 1), dtype('float32'))

The lecture describes the loss curve: it "typically decreases exponentially in
early epochs before plateauing".  :func:`curve_shape` puts numbers on that.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import numpy as np

from physnn.lecture.base import (
    SELF_CHECK,
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
)

__all__ = ["TITLE", "NUMBER", "pendulum_data", "curve_shape", "lecture_loop", "run", "experiment", "figures",
           "write_up"]

TITLE = "The training loop"
NUMBER = 6

CLAIM = (
    "The lecture's loop — `MSELoss`, `SGD(lr=0.01)`, 200 epochs, printing `Epoch {epoch}: Loss = …` every 50 — "
    "and what it shows: “The loss typically decreases exponentially in early epochs before plateauing as the "
    "model approaches a local minimum. Monitoring this curve helps diagnose training issues like overfitting or "
    "inadequate model capacity.”"
)

EPOCHS = 200
LR = 0.01
HIDDEN = [16, 16]
#: a run "shows the lecture's shape" when these hold (see :func:`curve_shape`)
EARLY_FRACTION_MIN = 0.5  # at least half of the total decrease within the first quarter of the epochs
EXP_R2_MIN = 0.95  # the first quarter is fitted well by L∞ + A e^(-t/τ) (R² of log L)
PLATEAU_MAX = 0.1  # the last quarter's decrease is at most 10 % of the first quarter's


def pendulum_data(n: int = 200, *, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Angles ``θ ~ U(-3, 3)`` rad and the torque ``τ/(mgℓ) = -sin θ + ε``, ``ε ~ N(0, noise²)`` (float32, ``(n, 1)``)."""
    rng = np.random.default_rng(seed)
    theta = rng.uniform(-3.0, 3.0, size=(n, 1))
    tau = -np.sin(theta) + rng.normal(0.0, noise, size=(n, 1))
    return theta.astype(np.float32), tau.astype(np.float32)


def _exp_fit(loss: np.ndarray) -> tuple[float, float, float, float]:
    """Fit ``L(t) = L∞ + A e^(-t/τ)`` to ``loss`` (least squares in log L); return (τ, L∞, A, R² of log L)."""
    t = np.arange(len(loss), dtype=np.float64)
    logl = np.log(loss)
    best = None
    for tau in np.geomspace(0.3, 50.0 * len(loss), 500):
        basis = np.c_[np.ones_like(t), np.exp(-t / tau)]
        coef, *_ = np.linalg.lstsq(basis, loss, rcond=None)
        model = basis @ coef
        if coef[0] <= 0 or np.any(model <= 0):
            continue
        sse = float(np.sum((np.log(model) - logl) ** 2))
        if best is None or sse < best[0]:
            best = (sse, tau, coef[0], coef[1])
    if best is None:
        return float("nan"), float("nan"), float("nan"), float("nan")
    sse, tau, l_inf, amp = best
    ss_tot = float(np.sum((logl - logl.mean()) ** 2))
    r2 = 1.0 - sse / ss_tot if ss_tot > 0 else float("nan")
    return float(tau), float(l_inf), float(amp), float(r2)


def curve_shape(loss: Any) -> dict[str, float]:
    """Numbers for "decreases exponentially in early epochs before plateauing".

    With ``q = len(loss) // 4`` (a quarter of the epochs):

    * ``early_fraction`` = (L₀ − L_q) / (L₀ − L_end): the share of the whole
      decrease achieved in the first quarter;
    * ``tau``, ``exp_r2``: the time constant of ``L∞ + A e^(-t/τ)`` fitted to
      the first quarter and the fit's R² (of log L);
    * ``plateau_ratio`` = (L_{end-q} − L_end) / (L₀ − L_q): the last quarter's
      decrease relative to the first quarter's;
    * ``lecture_shape``: 1.0 if all three meet the thresholds of this module.

        >>> t = np.arange(200.0)
        >>> s = curve_shape(0.1 + np.exp(-t / 5))
        >>> round(s["tau"], 1), s["exp_r2"] > 0.999, s["lecture_shape"]
        (5.0, True, 1.0)
    """
    L = np.asarray(loss, dtype=np.float64)
    q = len(L) // 4
    total = L[0] - L[-1]
    first = L[0] - L[q]
    early = first / total if total > 0 else float("nan")
    plateau = (L[-q - 1] - L[-1]) / first if first > 0 else float("nan")
    tau, l_inf, amp, r2 = _exp_fit(L[: q + 1])
    ok = bool(early >= EARLY_FRACTION_MIN and r2 >= EXP_R2_MIN and plateau <= PLATEAU_MAX)
    return {"early_fraction": float(early), "tau": tau, "l_inf": l_inf, "amplitude": amp, "exp_r2": r2,
            "plateau_ratio": float(plateau), "lecture_shape": float(ok)}


def lecture_loop(model: Any, x: Any, y: Any) -> tuple[list[float], str]:
    """The lecture's code verbatim (with its stray quote fixed): the reference ``fit`` must reproduce.

    Returns the per-epoch losses and what the loop printed.
    """
    import torch

    out = io.StringIO()
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as fit does for small models: several threads are slower here
    try:
        loss_fn = torch.nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        for epoch in range(200):
            # Forward pass
            y_pred = model(x)
            loss = loss_fn(y_pred, y)

            # Backward pass
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            losses.append(loss.item())
            if epoch % 50 == 0:
                print(f'Epoch {epoch}: Loss = {loss.item():.4f}', file=out)  # the lecture has a stray " here
    finally:
        torch.set_num_threads(threads)
    return losses, out.getvalue()


CODE = """\
from physnn.nn import MLP
from physnn.train import fit, PrintLogger
from physnn.lecture.training_loop import pendulum_data

x, y = pendulum_data(seed=0)                  # torque -sin(theta) + noise
model = MLP(1, [16, 16], 1, activation="tanh", seed=0)
history = fit(model, (x, y), loss="mse", optimizer="sgd", lr=0.01,
              epochs=200, batch_size=None,    # full batch, as the lecture's loop
              callbacks=[PrintLogger(50, keys=["loss"])], progress=False)
history.plot()                                # the loss curve to monitor
"""


def _train(seed: int, epochs: int = EPOCHS, stream: Any = None, model: Any = None) -> tuple[Any, Any]:
    from physnn.nn import MLP
    from physnn.train import PrintLogger, fit

    x, y = pendulum_data(seed=seed)
    if model is None:
        model = MLP(1, HIDDEN, 1, activation="tanh", seed=seed)
    cbs = [PrintLogger(50, stream=stream, keys=["loss"])] if stream is not None else []
    h = fit(model, (x, y), loss="mse", optimizer="sgd", lr=LR, epochs=epochs, batch_size=None,
            callbacks=cbs, seed=seed, progress=False)
    return h, model


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 6: the lecture's loop on physnn, its printed lines, and the shape of its loss curve."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 6.

    Parameters
    ----------
    quick : bool
        Fewer seeds for "typically" (5 instead of 12) and a shorter continuation (800 epochs instead of 1800).
    seed : int
        Seed of the data and the initial weights (the other seeds follow it).

    Returns
    -------
    dict
        The loss per epoch (``loss``) and its :func:`curve_shape` (``shape``), the lines printed by ``fit``
        and by the lecture's own loop, their largest relative difference, the shapes of the other seeds'
        curves (``shapes``, ``others``) and the loss after ``more`` further epochs.
    """
    import torch

    from physnn.nn import MLP

    buf = io.StringIO()
    h, model = _train(seed, stream=buf)
    printed = buf.getvalue()
    loss = np.asarray(h["loss"], dtype=np.float64)
    shape = curve_shape(loss)

    # the lecture's own loop on the same data and initial weights: fit must give the same numbers
    x, y = (torch.as_tensor(a) for a in pendulum_data(seed=seed))
    ref_losses, ref_printed = lecture_loop(MLP(1, HIDDEN, 1, activation="tanh", seed=seed), x, y)
    ref_diff = float(np.max(np.abs(np.asarray(ref_losses) - loss) / np.abs(loss)))

    lecture_epochs = list(range(0, EPOCHS, 50))
    expected_lines = [f"Epoch {e}: Loss = {loss[e]:.4f}" for e in lecture_epochs]
    printed_lines = printed.splitlines()
    pattern = re.compile(r"^Epoch (\d+): Loss = (\d+\.\d{4})$")
    lines_ok = printed_lines[: len(expected_lines)] == expected_lines == ref_printed.splitlines()
    lines_ok = lines_ok and all(pattern.match(s) for s in expected_lines)

    # "typically": the same experiment with other seeds (other data and initial weights)
    n_seeds = 5 if quick else 12
    others = []
    for k in range(1, n_seeds):
        hk, _ = _train(seed + k)
        others.append(np.asarray(hk["loss"], dtype=np.float64))
    shapes = [shape] + [curve_shape(L) for L in others]

    # is the plateau a minimum? keep going with the same loop
    more = 800 if quick else 1800
    h_more, _ = _train(seed, epochs=more, model=model)
    return {
        "seed": seed, "loss": loss, "printed": printed, "printed_lines": printed_lines,
        "expected_lines": expected_lines, "lecture_epochs": lecture_epochs,
        "lecture_loop_lines": ref_printed.splitlines(), "lecture_loop_max_rel_diff": ref_diff, "lines_ok": lines_ok,
        "shape": shape, "shapes": shapes, "others": others, "n_typical": int(sum(s["lecture_shape"] for s in shapes)),
        "n_seeds": n_seeds, "loss_after_more": float(h_more["loss"][-1]), "more_epochs": more,
        "stop_reason": h.stop_reason.value,
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The loss curve with its exponential fit and printed epochs, and the curves of the other seeds."""
    loss, shape, lecture_epochs = m["loss"], m["shape"], m["lecture_epochs"]
    q = EPOCHS // 4
    fig, axes = subplots(1, 2, width=6.4, height=4.8)
    ax = axes[0, 0]
    ep = np.arange(len(loss))
    ax.axvspan(0, q, color="tab:green", alpha=0.08)
    ax.axvspan(EPOCHS - q, EPOCHS, color="tab:gray", alpha=0.12)
    ax.semilogy(ep, loss, color="tab:blue", label="training loss (fit)")
    tt = np.arange(q + 1)
    ax.semilogy(tt, shape["l_inf"] + shape["amplitude"] * np.exp(-tt / shape["tau"]), "--", color="tab:red",
                lw=2.2, label=f"fit $L_\\infty + A e^{{-t/\\tau}}$, τ = {shape['tau']:.1f}")
    ax.plot(lecture_epochs, loss[lecture_epochs], "o", color="k", ms=8, zorder=5, label="printed epochs")
    for e in lecture_epochs:
        ax.annotate(f"{loss[e]:.4f}", (e, loss[e]), xytext=(4, 8), textcoords="offset points", fontsize=11)
    ax.text(q / 2, 0.04, "first quarter", transform=ax.get_xaxis_transform(), ha="center", fontsize=11,
            color="tab:green")
    ax.text(EPOCHS - q / 2, 0.04, "last quarter", transform=ax.get_xaxis_transform(), ha="center", fontsize=11,
            color="dimgray")
    ax.set_xlim(0, EPOCHS)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE loss")
    ax.set_title("Fast (exponential) drop, then a plateau")
    ax.legend(loc="upper right", fontsize=10)

    ax = axes[0, 1]
    for k, (L, s) in enumerate(zip([loss, *m["others"]], m["shapes"])):
        ok = s["lecture_shape"] == 1.0
        lbl = None
        if k == 0:
            lbl = f"seed {m['seed']} (left)"
        ax.semilogy(L, color="tab:blue" if ok else "tab:orange", lw=2.5 if k == 0 else 1.2,
                    alpha=1.0 if k == 0 else 0.75, label=lbl)
    ax.plot([], [], color="tab:blue", lw=1.2, label="shape as the lecture says")
    ax.plot([], [], color="tab:orange", lw=1.2, label="no fast early drop")
    ax.set_xlim(0, EPOCHS)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE loss")
    ax.set_title(f"\"Typically\": {m['n_typical']} of {m['n_seeds']} seeds")
    ax.legend(loc="upper right", fontsize=10)
    fig.suptitle("The lecture's loop (MSE, SGD lr = 0.01, 200 full-batch epochs) on a pendulum's torque",
                 fontsize=14)
    fig.tight_layout()
    return [figure_from_matplotlib(
        fig, "training_loop.png",
        "Left: the training loss of the lecture's loop, run by physnn's fit (log scale); black dots are the printed "
        "epochs, the dashed red curve is an exponential fitted to the first 50 epochs. Right: the same loop for "
        f"{m['n_seeds']} data sets and initialisations; orange curves lack the fast early drop.",
    )]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 6: the claims measured by :func:`experiment`, a table per seed, the text."""
    seed, loss, shape, shapes = m["seed"], m["loss"], m["shape"], m["shapes"]
    lines_ok, ref_diff, printed_lines = m["lines_ok"], m["lecture_loop_max_rel_diff"], m["printed_lines"]
    n_typical, n_seeds, more, loss_more = m["n_typical"], m["n_seeds"], m["more_epochs"], m["loss_after_more"]
    q = EPOCHS // 4
    checks = [
        Check(
            "The loop prints `Epoch {epoch}: Loss = …` at epochs 0, 50, 100, 150, as the lecture's code",
            "identical lines from fit and from the lecture's loop",
            "identical" if lines_ok else "different: " + " / ".join(printed_lines[:4]),
            passed=lines_ok,
            value=float(lines_ok),
        ),
        Check(
            "physnn's fit is the lecture's loop: the same loss at every epoch",
            "max relative difference < 1e-5",
            f"{ref_diff:.1e}",
            passed=ref_diff < 1e-5,
            value=ref_diff,
            kind=SELF_CHECK,
        ),
        Check(
            "The loss decreases in early epochs",
            f"≥ {EARLY_FRACTION_MIN:.0%} of the total decrease in the first {q} epochs",
            f"{shape['early_fraction']:.0%}",
            passed=shape["early_fraction"] >= EARLY_FRACTION_MIN,
            value=shape["early_fraction"],
        ),
        Check(
            "... exponentially",
            f"L∞ + A e^(−t/τ) fits epochs 0–{q}: R² (log L) ≥ {EXP_R2_MIN}",
            f"R² = {shape['exp_r2']:.3f}, τ = {shape['tau']:.1f} epochs",
            passed=shape["exp_r2"] >= EXP_R2_MIN,
            value=shape["exp_r2"],
        ),
        Check(
            "... before plateauing",
            f"last {q} epochs' decrease ≤ {PLATEAU_MAX:.0%} of the first {q} epochs'",
            f"{shape['plateau_ratio']:.1%}",
            passed=shape["plateau_ratio"] <= PLATEAU_MAX,
            value=shape["plateau_ratio"],
        ),
        Check(
            "\"typically\": the same shape for other data and initial weights",
            f"≥ 2/3 of {n_seeds} seeds",
            f"{n_typical} of {n_seeds}",
            passed=n_typical >= 2 * n_seeds / 3,
            value=n_typical / n_seeds,
        ),
    ]
    table = markdown_table(
        ["seed", "L(0)", "L(50)", "L(199)", "share of decrease in epochs 0–50", "τ (epochs)", "R² exp. fit",
         "last/first quarter decrease", "lecture's shape"],
        [[seed + k, f"{L[0]:.4f}", f"{L[q]:.4f}", f"{L[-1]:.4f}", f"{s['early_fraction']:.0%}", f"{s['tau']:.1f}",
          f"{s['exp_r2']:.3f}", f"{s['plateau_ratio']:.1%}", "yes" if s["lecture_shape"] else "no"]
         for k, (L, s) in enumerate(zip([loss, *m["others"]], shapes))],
    )

    off = [seed + k for k, s in enumerate(shapes) if not s["lecture_shape"]]
    text = (
        f"The lecture's loop, unchanged in substance: a {'-'.join(map(str, [1, *HIDDEN, 1]))} tanh network, "
        "`MSELoss`, `SGD` with `lr=0.01`, 200 epochs on the full batch, a line printed every 50 epochs. The data "
        "are 200 noisy samples of a pendulum's restoring torque, $\\tau/(mg\\ell) = -\\sin\\theta$ for "
        "$\\theta \\in [-3, 3]$ rad (noise 0.1). physnn runs it as `fit(model, (x, y), loss=\"mse\", "
        "optimizer=\"sgd\", lr=0.01, epochs=200, batch_size=None)` with a `PrintLogger(50)`. The lecture's own "
        "loop, run on the same data and initial weights, gives the same loss at every epoch (largest relative "
        f"difference {ref_diff:.0e}) and prints the same lines. `PrintLogger` also prints the last epoch and "
        "a closing sentence.\n\n"
        "*A bug in the slide:* `print(f'Epoch {epoch}: Loss = {loss.item():.4f}'\")` has a stray `\"` after the "
        "closing quote, so Python stops with `SyntaxError: unterminated string literal`. The line should end "
        "`:.4f}')`.\n\n"
        f"**The shape of the curve.** In the first {q} epochs the loss falls from {loss[0]:.3f} to {loss[q]:.3f}, "
        f"{shape['early_fraction']:.0%} of its whole decrease over 200 epochs. That early drop is exponential: "
        f"$L_\\infty + A e^{{-t/\\tau}}$ fits it with τ = {shape['tau']:.1f} epochs (R² = {shape['exp_r2']:.3f} "
        f"in log L). Over the last {q} epochs the loss falls by only {shape['plateau_ratio']:.1%} as much as in "
        f"the first {q}: a plateau. \"Typically\" also holds up: {n_typical} of {n_seeds} seeds (other data, other "
        "initial weights) show all three features"
        + (f"; the exceptions (seed {', '.join(map(str, off))}) start with an initial loss already close to the "
           "plateau, so there is no fast drop to see." if off else ".")
        + "\n\n"
        f"**Is the plateau a local minimum?** Not yet: {more} more epochs of the same loop take the loss from "
        f"{loss[-1]:.4f} to {loss_more:.4f}. The fast phase is the network fitting the large-scale part "
        "(offset and overall slope); the slow phase is the gradual shaping of $-\\sin\\theta$, which with a small "
        "learning rate takes far longer. A flat-looking curve can mean slow progress rather than a minimum — "
        "which is why one monitors the curve (and a validation curve, for overfitting)."
    )
    data = {"loss": loss.tolist(), **{k: m[k] for k in (
        "printed_lines", "expected_lines", "lecture_loop_lines", "lecture_loop_max_rel_diff", "shape", "shapes",
        "n_typical", "n_seeds", "loss_after_more", "more_epochs", "stop_reason")}}
    return result_block(__name__, started=started, checks=checks, text=text, figures=figs, tables=[table],
                        output=m["printed"], data=data)
