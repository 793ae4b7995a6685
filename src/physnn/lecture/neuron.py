r"""Section 1 — the artificial neuron, :math:`y = f(\sum_i w_i x_i + b)`.

A physnn :class:`~physnn.nn.Neuron` with fixed weights ``w`` and a sigmoid is
drawn over the plane of its two inputs for several biases ``b``.  Its decision
line (output 0.5, i.e. ``w·x + b = 0``) is *measured* on the model's output by
bisection along the normal ``w/‖w‖`` and compared with the geometry: the line
is perpendicular to ``w`` and lies at signed distance ``−b/‖w‖`` from the
origin, so changing ``b`` shifts it parallel to itself.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

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
from physnn.nn import Neuron

NUMBER = 1
TITLE = "The artificial neuron"

#: the fixed weights of the demonstration neuron; ‖w‖ = √5
WEIGHTS = (1.0, 2.0)
#: the biases whose decision lines are measured
BIASES = (-2.0, -1.0, 0.0, 1.0, 2.0)

CLAIM = (
    "“The artificial neuron: y = f(Σᵢ wᵢxᵢ + b), where b is a bias term allowing the activation "
    "threshold to shift, and f is a non-linear activation function.”"
)

CODE = """\
import torch
from physnn.nn import Neuron

neuron = Neuron(2, "sigmoid")                 # y = sigmoid(w·x + b)
with torch.no_grad():
    neuron.linear.weight.copy_(torch.tensor([[1.0, 2.0]]))
    neuron.linear.bias.fill_(-1.0)
w = neuron.linear.weight[0]
n = w / w.norm()                              # unit normal of the decision line
t = torch.linspace(-3, 3, 7).unsqueeze(1)     # distance along the normal
print(neuron(t * n).detach().squeeze(1))      # crosses 0.5 at t = -b/|w| = 0.447
"""


def _fmt(b: float) -> str:
    """A bias for a label: ``0``, ``+1``, ``-2``."""
    return "0" if b == 0 else f"{b:+g}"


def _neuron(w: tuple[float, float], b: float) -> Neuron:
    """A physnn Neuron (sigmoid) with the weights ``w`` and bias ``b`` set by hand."""
    neuron = Neuron(2, "sigmoid")
    with torch.no_grad():
        neuron.linear.weight.copy_(torch.tensor([list(w)], dtype=torch.float32))
        neuron.linear.bias.fill_(b)
    return neuron


def _output(neuron: Neuron, points: np.ndarray) -> np.ndarray:
    """The neuron's output at ``points`` (N, 2) as a float64 array (N,)."""
    with torch.no_grad():
        return neuron(torch.as_tensor(points, dtype=torch.float32))[:, 0].double().numpy()


def _root_along(neuron: Neuron, origin: np.ndarray, direction: np.ndarray,
                lo: float = -20.0, hi: float = 20.0, iters: int = 80) -> float:
    """The ``t`` where the output at ``origin + t·direction`` crosses 0.5 (bisection on the model)."""
    def g(t: float) -> float:
        return float(_output(neuron, (origin + t * direction)[None, :])[0]) - 0.5

    g_lo, g_hi = g(lo), g(hi)
    if g_lo * g_hi > 0:
        return float("nan")  # no crossing in the bracket: the check will fail
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        g_mid = g(mid)
        if g_mid == 0.0:
            return mid
        if (g_mid < 0) == (g_lo < 0):
            lo, g_lo = mid, g_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Measure the neuron's decision line for several biases and check it against −b/‖w‖."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 1.

    Parameters
    ----------
    quick : bool
        3 points along each line (instead of 5), 200 random points (instead of 2000), coarser figures.
    seed : int
        Seed of the random points where the output is compared with the formula.

    Returns
    -------
    dict
        Per bias the measured distance of the 0.5 line from the origin (``measured``) with its table
        ``rows``, the largest error against −b/‖w‖ (``max_line_error``) and the largest difference between
        the neuron's output and sigmoid(w·x + b) by hand (``max_hand_error``).
    """
    w = np.array(WEIGHTS)
    norm_w = float(np.linalg.norm(w))
    normal = w / norm_w
    along = np.array([-normal[1], normal[0]])  # a direction along the line, ⟂ w
    # points on lines parallel to the normal at these offsets along the line
    offsets = (-2.0, 0.0, 2.0) if quick else (-3.0, -1.5, 0.0, 1.5, 3.0)

    rows = []
    errors: list[float] = []
    measured: dict[float, float] = {}
    for b in BIASES:
        neuron = _neuron(WEIGHTS, b)
        roots = [_root_along(neuron, s * along, normal) for s in offsets]
        expected = -b / norm_w
        err = max(abs(r - expected) for r in roots) if all(math.isfinite(r) for r in roots) else float("inf")
        errors.append(err)
        measured[b] = float(np.mean(roots))
        rows.append([f"{b:+.1f}", f"{expected + 0.0:+.6f}", f"{measured[b]:+.6f}",
                     f"{np.ptp(roots):.1e}", f"{err:.1e}"])

    # the model's output against sigmoid(w·x + b) written out by hand (NumPy, float64)
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-3.0, 3.0, size=(200 if quick else 2000, 2))
    hand_err = 0.0
    for b in BIASES:
        by_hand = 1.0 / (1.0 + np.exp(-(pts @ w + b)))
        hand_err = max(hand_err, float(np.max(np.abs(_output(_neuron(WEIGHTS, b), pts) - by_hand))))
    return {"quick": quick, "w": w, "norm_w": norm_w, "n_offsets": len(offsets), "n_points": len(pts),
            "rows": rows, "measured": measured, "max_line_error": float(max(errors)), "max_hand_error": hand_err}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The output over the plane for three biases, and the measured decision lines for all biases."""
    return [_figure_planes(m["w"], m["norm_w"], m["quick"]), _figure_shift(m["w"], m["norm_w"], m["measured"])]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 1: the claims measured by :func:`experiment`, the table of biases, the text."""
    norm_w, measured, max_err, hand_err = m["norm_w"], m["measured"], m["max_line_error"], m["max_hand_error"]
    checks = [
        Check(
            claim=("the bias shifts the decision line parallel to itself: measured 0.5 line at distance "
                   "−b/‖w‖ from the origin"),
            expected="max |measured − (−b/‖w‖)| < 1e-4 for every b, at every point along the line",
            measured=f"max error {max_err:.1e} over {len(BIASES)} biases × {m['n_offsets']} points",
            passed=max_err < 1e-4,
            value=max_err,
        ),
        Check(
            claim="the neuron computes y = sigmoid(Σ wᵢxᵢ + b)",
            expected="max |Neuron(x) − 1/(1+exp(−(w·x+b)))| < 1e-6 (float32 model vs float64 by hand)",
            measured=f"max difference {hand_err:.1e} over {m['n_points']} random points × {len(BIASES)} biases",
            passed=hand_err < 1e-6,
            value=hand_err,
            kind=SELF_CHECK,
        ),
    ]
    text = (
        f"A physnn `Neuron(2, \"sigmoid\")` gets the fixed weights w = ({WEIGHTS[0]:g}, {WEIGHTS[1]:g}) "
        f"(‖w‖ = √5 ≈ {norm_w:.4f}) and, in turn, the biases b = {', '.join(f'{b:g}' for b in BIASES)}. "
        "Its output is a smooth ramp across the plane; the line where it equals 0.5 is the decision line "
        "w·x + b = 0. We do not draw that line from the formula: we **measure** it by bisection on the "
        "model's own output, walking along the direction of w from several starting points along the line. "
        f"Every crossing lies at distance −b/‖w‖ from the origin (largest error {max_err:.1e}, float32 "
        "round-off) and all crossings for one b agree, so the line is perpendicular to w. The weights set "
        "the line's *direction* (and how steep the ramp is); the bias only *slides* the line parallel to "
        "itself — this is the “threshold shift” of the lecture."
    )
    return result_block(
        __name__,
        started=started,
        text=text,
        figures=figs,
        tables=[markdown_table(["bias b", "−b/‖w‖ (theory)", "measured distance", "spread along line",
                                "max error"], m["rows"])],
        checks=checks,
        data={
            "weights": list(WEIGHTS),
            "biases": list(BIASES),
            "measured_distance": [measured[b] for b in BIASES],
            "expected_distance": [-b / norm_w + 0.0 for b in BIASES],
            "max_line_error": max_err,
            "max_hand_error": hand_err,
        },
    )


# ---------------------------------------------------------------------------- figures


def _figure_planes(w: np.ndarray, norm_w: float, quick: bool):
    """Output over the plane for three biases, measured 0.5 contour and the theory line."""
    lim = 3.0
    res = 121 if quick else 241
    gx, gy = np.meshgrid(np.linspace(-lim, lim, res), np.linspace(-lim, lim, res))
    grid = np.c_[gx.ravel(), gy.ravel()]
    normal = w / norm_w
    biases = (-2.0, 0.0, 2.0)
    fig, axes = subplots(1, 3, width=4.8, height=4.6)
    cs = None
    for ax, b in zip(axes[0], biases):
        z = _output(_neuron(tuple(w), b), grid).reshape(gx.shape)
        cs = ax.contourf(gx, gy, z, levels=np.linspace(0, 1, 21), cmap="RdBu_r")
        ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=3)
        # the theory line w·x + b = 0, dashed on top of the measured contour
        xs = np.linspace(-lim, lim, 2)
        ax.plot(xs, -(w[0] * xs + b) / w[1], "--", color="yellow", lw=2, label="w·x + b = 0")
        foot = (-b / norm_w) * normal
        ax.annotate("", xy=normal * 1.5, xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", color="k", lw=2.5))
        ax.text(*(normal * 1.6 + np.array([0.1, 0.0])), "w", fontsize=14, weight="bold")
        ax.plot([0, foot[0]], [0, foot[1]], color="lime", lw=6, zorder=1.5,
                label=f"−b/‖w‖ = {-b / norm_w + 0.0:+.2f}")
        ax.plot([0], [0], "ko", ms=6)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("input x₁")
        ax.set_ylabel("input x₂")
        ax.set_title(f"b = {_fmt(b)}")
        ax.legend(loc="lower left", fontsize=9, framealpha=0.85)
    fig.colorbar(cs, ax=axes[0].tolist(), fraction=0.025, pad=0.02, label="neuron output y = σ(w·x + b)")
    fig.suptitle("The bias shifts the decision line (black, y = 0.5) along w; w = (1, 2)", y=1.02)
    return figure_from_matplotlib(
        fig, "neuron_output_planes.png",
        "Output of a sigmoid neuron with w = (1, 2) over the input plane for b = −2, 0, +2. Black: the "
        "measured 0.5 contour; dashed yellow: the line w·x + b = 0; green: the distance −b/‖w‖ from the origin.",
    )


def _figure_shift(w: np.ndarray, norm_w: float, measured: dict[float, float]):
    """Left: the decision lines for all biases; right: the output along the normal."""
    normal = w / norm_w
    along = np.array([-normal[1], normal[0]])
    fig, axes = subplots(1, 2, width=5.6, height=4.6)
    ax1, ax2 = axes[0]
    colors = [f"C{i}" for i in range(len(BIASES))]
    lim = 3.0
    s = np.linspace(-6, 6, 2)
    for c, b in zip(colors, BIASES):
        foot = measured[b] * normal
        line = foot[None, :] + s[:, None] * along[None, :]
        ax1.plot(line[:, 0], line[:, 1], color=c, label=f"b = {_fmt(b)}")
        ax1.plot(*foot, "o", color=c, ms=7)
    ax1.annotate("", xy=normal * 2.0, xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="k", lw=2.5))
    ax1.text(*(normal * 2.1), "w", fontsize=14, weight="bold")
    ax1.set_xlim(-lim, lim)
    ax1.set_ylim(-lim, lim)
    ax1.set_aspect("equal")
    ax1.set_xlabel("input x₁")
    ax1.set_ylabel("input x₂")
    ax1.set_title("Measured decision lines: parallel, perpendicular to w")
    ax1.legend(loc="lower left", fontsize=9)

    t = np.linspace(-4, 4, 401)
    for c, b in zip(colors, BIASES):
        y = _output(_neuron(tuple(w), b), t[:, None] * normal[None, :])
        ax2.plot(t, y, color=c, label=f"b = {_fmt(b)}")
        ax2.axvline(-b / norm_w, color=c, ls=":", lw=1.5)
        ax2.plot([measured[b]], [0.5], "o", color=c, ms=7)
    ax2.axhline(0.5, color="grey", lw=1)
    ax2.set_xlabel("distance t along w/‖w‖ from the origin")
    ax2.set_ylabel("neuron output y")
    ax2.set_title("y crosses 0.5 at t = −b/‖w‖ (dotted)")
    ax2.legend(loc="upper left", fontsize=9)
    fig.suptitle("Changing b slides the decision line parallel to itself", y=1.02)
    return figure_from_matplotlib(
        fig, "neuron_bias_shift.png",
        "Left: the measured decision lines for b = −2 … +2 — parallel and perpendicular to w, dots at the "
        "measured foot point. Right: the output along the normal w/‖w‖; each curve crosses 0.5 (dots) "
        "exactly at −b/‖w‖ (dotted lines).",
    )
