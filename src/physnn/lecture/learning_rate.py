r"""Section 4 — Gradient descent and the learning rate: too small, right, too large.

The problem is linear regression with two features on different scales,
trained by full-batch gradient descent (``fit(..., optimizer="sgd",
batch_size=None)``).  Its loss is exactly quadratic,

.. math::

    L(\theta) = \frac1n \lVert A\theta - y \rVert^2, \qquad A = [X, 1], \qquad
    H = \nabla^2 L = \frac2n A^\top A,

so one step :math:`\theta \leftarrow \theta - \eta \nabla L` multiplies the
error along each eigenvector of :math:`H` by :math:`1 - \eta\lambda_i`.
Gradient descent converges iff :math:`|1 - \eta\lambda_i| < 1` for all
:math:`i`, that is iff :math:`\eta < 2/\lambda_{\max}`; the slowest direction
decays like :math:`(1 - \eta\lambda_{\min})^t`.  The section measures the
divergence threshold by bisection with the same :func:`physnn.train.fit` and
compares it with :math:`2/\lambda_{\max}`.

    >>> X, y = regression_problem(seed=0)
    >>> X.shape, y.shape, round(divergence_threshold(X), 3)
    ((200, 2), (200, 1), 0.105)
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
)

__all__ = ["TITLE", "NUMBER", "regression_problem", "hessian", "divergence_threshold", "run",
           "experiment", "figures", "write_up"]

TITLE = "Gradient descent and the learning rate"
NUMBER = 4

CLAIM = (
    "“The fundamental update rule for each weight is $w_i \\leftarrow w_i - \\eta\\, \\partial L/\\partial w_i$ "
    "where $\\eta$ is the learning rate, a hyperparameter controlling the step size. Choosing an appropriate "
    "learning rate is crucial—too large and training diverges, too small and convergence is prohibitively slow.”"
)

#: the three learning rates of the demo (the problem's threshold 2/λ_max is ≈ 0.105)
ETAS = {"too small": 0.001, "right": 0.05, "too large": 0.2}


def regression_problem(n: int = 200, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``y = 2 x₁ − 0.5 x₂ + 1 + ε`` with ``x₁ ~ N(0, 1)``, ``x₂ ~ N(0, 3²)``, ``ε ~ N(0, 0.1²)`` (float32).

    The features are deliberately *not* standardized: ``x₂``'s larger spread
    sets the largest curvature of the loss and with it the largest usable
    learning rate.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(0.0, 1.0, n)
    x2 = rng.normal(0.0, 3.0, n)
    y = 2.0 * x1 - 0.5 * x2 + 1.0 + rng.normal(0.0, 0.1, n)
    return np.c_[x1, x2].astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def hessian(X: Any) -> np.ndarray:
    """``H = (2/n) AᵀA`` with ``A = [X, 1]``: the (constant) Hessian of the MSE of a linear model."""
    A = np.c_[np.asarray(X, dtype=np.float64), np.ones(len(X))]
    return 2.0 / len(A) * A.T @ A


def divergence_threshold(X: Any) -> float:
    """``2 / λ_max(H)``: full-batch gradient descent on the MSE diverges for any larger ``η``."""
    return float(2.0 / np.linalg.eigvalsh(hessian(X))[-1])


def _train(X: np.ndarray, y: np.ndarray, lr: float, epochs: int, seed: int) -> tuple[Any, str | None]:
    """Full-batch gradient descent with physnn's fit; returns (history, exception text or None)."""
    from physnn.nn import MLP
    from physnn.train import fit

    model = MLP(X.shape[1], [], 1, seed=seed)  # Linear(2, 1): linear regression
    try:
        h = fit(model, (X, y), loss="mse", optimizer="sgd", lr=lr, epochs=epochs, batch_size=None,
                seed=seed, progress=False)
    except Exception as exc:  # noqa: BLE001 - a crash is what the check looks for
        return None, f"{type(exc).__name__}: {exc}"
    return h, None


def _diverged(h: Any) -> bool:
    """NaN/Inf stopped the run, or the loss ended far above the best it reached."""
    if h.stop_reason.value == "nan_loss":
        return True
    loss = np.asarray(h["loss"], dtype=np.float64)
    return bool(loss[-1] > 10.0 * loss.min())


CODE = """\
from physnn.nn import MLP
from physnn.train import fit
from physnn.lecture.learning_rate import regression_problem, divergence_threshold

X, y = regression_problem(seed=0)          # y = 2 x1 - 0.5 x2 + 1 + noise
print("2/lambda_max =", divergence_threshold(X))
for lr in (0.001, 0.05, 0.2):              # too small, right, too large
    h = fit(MLP(2, [], 1, seed=0), (X, y), optimizer="sgd", lr=lr,
            epochs=200, batch_size=None, progress=False)
    print(lr, h.stop_reason.value, h["loss"][-1])
    # lr=0.2: stop_reason 'nan_loss' and h.message says what to do
"""


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 4: three learning rates, a learning-rate sweep, and the measured threshold."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 4.

    Parameters
    ----------
    quick : bool
        A coarser sweep (9 learning rates instead of 17) and a shorter bisection (8 runs of 200 epochs
        instead of 12 of 400).
    seed : int
        Seed of the data and the initial weights.

    Returns
    -------
    dict
        The Hessian's eigenvalues and the theoretical threshold ``eta_theory`` = 2/λ_max, the least-squares
        minimum ``loss_star``, the loss curves of the three learning rates (``runs``), the final loss per
        learning rate (``sweep``), the bisection's steps and the measured threshold ``eta_measured``.
    """
    epochs = 200
    X, y = regression_problem(seed=seed)
    H = hessian(X)
    lams = np.linalg.eigvalsh(H)
    eta_theory = float(2.0 / lams[-1])
    A = np.c_[X.astype(np.float64), np.ones(len(X))]
    coef, *_ = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)
    loss_star = float(np.mean((A @ coef - y) ** 2))  # the minimum: least squares

    # 1) the three learning rates
    runs: dict[str, dict[str, Any]] = {}
    for label, lr in ETAS.items():
        h, err = _train(X, y, lr, epochs, seed)
        runs[label] = {
            "lr": lr,
            "loss": [] if h is None else [float(v) for v in h["loss"]],
            "stop_reason": None if h is None else h.stop_reason.value,
            "message": err if h is None else h.message,
            "exception": err,
        }

    # 2) a learning-rate sweep: final loss after the same epochs
    n_sweep = 9 if quick else 17
    sweep_etas = np.geomspace(1e-4, 0.2, n_sweep)
    sweep = []
    for lr in sweep_etas:
        h, err = _train(X, y, float(lr), epochs, seed)
        div = err is None and _diverged(h)
        sweep.append({"lr": float(lr), "final": float(h["loss"][-1]) if h is not None else float("nan"),
                      "diverged": div})

    # 3) the threshold, measured by bisection between "right" (converges) and "too large" (diverges)
    steps, b_epochs = (8, 200) if quick else (12, 400)
    lo, hi = ETAS["right"], ETAS["too large"]
    bisect = []
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        h, err = _train(X, y, mid, b_epochs, seed)
        div = err is not None or _diverged(h)
        bisect.append((mid, div))
        lo, hi = (lo, mid) if div else (mid, hi)
    eta_measured = 0.5 * (lo + hi)
    return {
        "epochs": epochs, "eigenvalues": lams, "eta_theory": eta_theory, "eta_measured": eta_measured,
        "rel_deviation": float(eta_measured / eta_theory - 1.0), "loss_star": loss_star, "runs": runs,
        "sweep": sweep, "bisection": bisect, "bisection_steps": steps, "bisection_epochs": b_epochs,
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The loss curves of the three learning rates, and the final loss against the learning rate."""
    epochs, loss_star, eta_theory, eta_measured = m["epochs"], m["loss_star"], m["eta_theory"], m["eta_measured"]
    fig, axes = subplots(1, 2, width=6.4, height=4.8)
    ax = axes[0, 0]
    colors = {"too small": "tab:orange", "right": "tab:green", "too large": "tab:red"}
    y_top = 1e4
    for label, r in m["runs"].items():
        if not r["loss"]:
            continue
        ep = np.arange(len(r["loss"]))
        ax.semilogy(ep, r["loss"], color=colors[label], label=f"η = {r['lr']:g} ({label})")
        if r["stop_reason"] == "nan_loss":
            # the diverging curve leaves the plot; mark where fit stopped it, at the top edge
            ax.plot(ep[-1], y_top, "x", color=colors[label], ms=14, mew=3, clip_on=False, zorder=5)
            ax.annotate(f"loss → ∞: NaN/Inf at epoch {len(r['loss'])},\nfit stops (nan_loss)", (ep[-1], y_top),
                        xytext=(100, 150), textcoords="data", color=colors[label], fontsize=11,
                        ha="center", arrowprops={"arrowstyle": "->", "color": colors[label]})
    ax.axhline(loss_star, color="k", ls=":", lw=1.5, label="least-squares minimum")
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_ylabel("training loss (MSE)")
    ax.set_title("Too small: slow. Too large: diverges.", pad=14)
    ax.set_xlim(0, epochs)
    ax.set_ylim(loss_star / 3, y_top)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.12), fontsize=10)

    ax = axes[0, 1]
    ok = [s for s in m["sweep"] if not s["diverged"]]
    bad = [s for s in m["sweep"] if s["diverged"]]
    ax.loglog([s["lr"] for s in ok], [s["final"] for s in ok], "o-", color="tab:blue",
              label=f"loss after {epochs} epochs")
    top = max(s["final"] for s in ok) * 3 if ok else 10.0
    if bad:
        ax.plot([s["lr"] for s in bad], [top] * len(bad), "x", color="tab:red", ms=12, mew=3, label="diverged")
    ax.axvline(eta_theory, color="k", ls="--", lw=1.5, label=rf"theory $2/\lambda_{{\max}}$ = {eta_theory:.4f}")
    ax.axvline(eta_measured, color="tab:red", ls=":", lw=2, label=f"measured (bisection) {eta_measured:.4f}")
    ax.axhline(loss_star, color="k", ls=":", lw=1, alpha=0.6)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("final training loss")
    ax.set_title("Learning-rate sweep: a window of good η")
    ax.legend(loc="lower left", fontsize=10)
    fig.suptitle(r"Gradient descent $w \leftarrow w - \eta\, \partial L/\partial w$: the learning rate decides",
                 fontsize=14)
    fig.tight_layout()
    return [figure_from_matplotlib(
        fig, "learning_rate.png",
        f"Left: full-batch gradient descent on the same linear-regression loss with three learning rates "
        f"(log scale). Right: the loss after {epochs} epochs for learning rates from 1e-4 to 0.2; "
        f"runs that diverged are marked ×. The dashed line is the theoretical limit 2/λ_max.",
    )]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 4: the claims measured by :func:`experiment`, a table, the bisection, the text."""
    epochs, runs, lams, loss_star = m["epochs"], m["runs"], m["eigenvalues"], m["loss_star"]
    eta_theory, eta_measured, rel_dev = m["eta_theory"], m["eta_measured"], m["rel_deviation"]
    small, right, large = (runs[k] for k in ETAS)
    final_small = small["loss"][-1] if small["loss"] else float("nan")
    final_right = right["loss"][-1] if right["loss"] else float("nan")
    ratio = float(final_small / final_right)
    right_excess = (final_right - loss_star) / loss_star
    checks = [
        Check(
            "Too small η: convergence is prohibitively slow",
            f"loss after {epochs} epochs ≥ 10× that of the right η",
            f"{ratio:.0f}× ({final_small:.3g} vs {final_right:.3g})",
            passed=bool(np.isfinite(ratio) and ratio >= 10.0),
            value=ratio,
        ),
        Check(
            "Right η: gradient descent converges to the minimum",
            "final loss within 1 % of the least-squares minimum",
            f"{final_right:.6g} vs {loss_star:.6g} ({right_excess:+.1e})",
            passed=bool(right["stop_reason"] == "completed" and abs(right_excess) < 0.01),
            value=right_excess,
        ),
        Check(
            "Too large η: training diverges, and physnn says so instead of crashing",
            "stop_reason = nan_loss, no exception",
            f"stop_reason = {large['stop_reason']}"
            + (f" at epoch {len(large['loss'])}" if large["loss"] else "")
            + (f"; exception {large['exception']}" if large["exception"] else ""),
            passed=large["exception"] is None and large["stop_reason"] == "nan_loss",
            value=float(len(large["loss"])),
        ),
        Check(
            "The divergence threshold is η = 2/λ_max of the loss's Hessian",
            "bisection within 3 % of 2/λ_max",
            f"{eta_measured:.4f} vs {eta_theory:.4f} ({rel_dev:+.1%})",
            passed=abs(rel_dev) < 0.03,
            value=rel_dev,
        ),
    ]
    table = markdown_table(
        ["", "η", f"loss after {epochs} epochs", "stop reason", "what fit reported"],
        [[label, f"{r['lr']:g}", f"{r['loss'][-1]:.4g}" if r["loss"] else "-", r["stop_reason"] or "exception",
          (r["message"] or "").replace("|", "/")] for label, r in runs.items()],
    )
    out = io.StringIO()
    print(f"Hessian eigenvalues λ = {', '.join(f'{v:.3f}' for v in lams)}", file=out)
    print(f"theory: diverges for η > 2/λ_max = {eta_theory:.5f}", file=out)
    for mid, div in m["bisection"]:
        print(f"  bisection η = {mid:.5f}: {'diverges' if div else 'converges'}", file=out)
    print(f"measured threshold ≈ {eta_measured:.5f} ({rel_dev:+.2%} from theory)", file=out)

    kappa = lams[-1] / lams[0]
    text = (
        "The same problem is trained three times with physnn's `fit` (full-batch gradient descent, "
        f"`optimizer=\"sgd\"`, `batch_size=None`, {epochs} epochs): linear regression "
        "$y = 2x_1 - 0.5x_2 + 1 + \\varepsilon$ on 200 points, with $x_2$ spread three times wider than $x_1$ "
        "(not standardized). A linear model has an exactly quadratic MSE loss with the constant Hessian "
        "$H = \\frac{2}{n}A^\\top A$, $A = [X, 1]$, so the lecture's claim can be checked against theory: a step "
        "$w \\leftarrow w - \\eta\\nabla L$ multiplies the error along each eigenvector of $H$ by $1 - \\eta\\lambda_i$, "
        f"and gradient descent diverges exactly when $\\eta > 2/\\lambda_{{\\max}}$. Here "
        f"$\\lambda = {', '.join(f'{v:.2f}' for v in lams)}$, so $2/\\lambda_{{\\max}} = {eta_theory:.4f}$; "
        f"$\\lambda_{{\\max}} \\approx 2\\,\\mathrm{{Var}}(x_2)$ comes from the wide feature, which is why "
        "standardizing inputs allows larger steps.\n\n"
        f"* **η = {ETAS['too small']:g}** is safe but slow: the error shrinks by at most $1 - \\eta\\lambda_{{\\min}}$ "
        f"= {1 - ETAS['too small'] * lams[0]:.4f} per step, and after {epochs} epochs the loss is still "
        f"{ratio:.0f}× that of the right η.\n"
        f"* **η = {ETAS['right']:g}** reaches the least-squares minimum (to {abs(right_excess):.0e} relative).\n"
        f"* **η = {ETAS['too large']:g}** > {eta_theory:.3f} overshoots: the error along the steepest direction "
        f"grows by $|1 - \\eta\\lambda_{{\\max}}|$ = {abs(1 - ETAS['too large'] * lams[-1]):.2f} per step until the "
        f"loss overflows. `fit` detects the NaN/Inf, stops with `stop_reason = "
        f"{large['stop_reason']}`, restores the best weights and says: *{large['message']}*\n\n"
        f"A bisection between η = {ETAS['right']:g} and {ETAS['too large']:g} ({m['bisection_steps']} runs of "
        f"{m['bisection_epochs']} epochs, a run "
        "counts as diverged when its loss ends 10× above its best) puts the threshold at "
        f"{eta_measured:.4f}, {rel_dev:+.1%} from $2/\\lambda_{{\\max}}$. Just above the threshold the error grows "
        "only slowly, so a finite run places the measured threshold slightly high. The right panel shows the "
        f"window of useful learning rates; its width is set by the condition number "
        f"$\\lambda_{{\\max}}/\\lambda_{{\\min}} = {kappa:.1f}$."
    )
    data = {
        "eigenvalues": [float(v) for v in lams],
        "eta_theory": float(eta_theory),
        "eta_measured": float(eta_measured),
        "rel_deviation": float(rel_dev),
        "loss_star": loss_star,
        "runs": runs,
        "sweep": m["sweep"],
        "bisection": m["bisection"],
        "ratio_small_right": float(ratio),
    }
    return result_block(__name__, started=started, checks=checks, text=text, figures=figs, tables=[table],
                        output=out.getvalue(), data=data)
