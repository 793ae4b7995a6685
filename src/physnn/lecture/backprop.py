r"""Section 5 — Backpropagation made visible: the chain rule in NumPy, checked three ways.

The lecture: "Backpropagation is the algorithm that efficiently computes
gradients by applying the chain rule recursively from the output layer back to
the input."  This module writes that algorithm out in NumPy (float64), exactly
as the equations read, with samples as *columns* (:math:`a^{(l)}` has shape
``(n_l, N)``):

.. math::

    z^{(l)} &= W^{(l)} a^{(l-1)} + b^{(l)}, \qquad a^{(l)} = f_l(z^{(l)}), \qquad a^{(0)} = x \\
    \delta^{(L)} &= \frac{\partial L}{\partial a^{(L)}} \odot f_L'(z^{(L)}), \qquad
    \delta^{(l)} = \big(W^{(l+1)\top} \delta^{(l+1)}\big) \odot f_l'(z^{(l)}) \\
    \frac{\partial L}{\partial W^{(l)}} &= \delta^{(l)} a^{(l-1)\top}, \qquad
    \frac{\partial L}{\partial b^{(l)}} = \delta^{(l)}\,\mathbf 1 \quad\text{(summed over the batch)}

with the mean-squared error :math:`L = \frac{1}{N m}\sum (a^{(L)} - y)^2`, so
:math:`\partial L / \partial a^{(L)} = 2 (a^{(L)} - y) / (N m)`.  Each
activation comes with its derivative from
:data:`physnn.nn.NUMPY_ACTIVATIONS` (``f`` beside ``df``).

    >>> import numpy as np
    >>> from physnn.nn import MLP
    >>> layers = layers_from_torch(MLP(3, [5, 4], 2, activation=["tanh", "sigmoid"], seed=0))
    >>> [(l.W.shape, l.activation) for l in layers]
    [((5, 3), 'tanh'), ((4, 5), 'sigmoid'), ((2, 4), 'identity')]
    >>> x, y = np.ones((7, 3)), np.zeros((7, 2))
    >>> yhat, cache = numpy_forward(layers, x)
    >>> grads, deltas = numpy_backward(layers, cache, y)
    >>> [g.dW.shape for g in grads], deltas[0].shape
    ([(5, 3), (4, 5), (2, 4)], (5, 7))
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from physnn.errors import PhysnnError, check_array
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

__all__ = [
    "TITLE",
    "NUMBER",
    "Layer",
    "Gradient",
    "layers_from_torch",
    "numpy_forward",
    "numpy_backward",
    "numpy_loss",
    "numpy_finite_differences",
    "relative_error",
    "run",
    "experiment",
    "figures",
    "write_up",
]

TITLE = "Backpropagation made visible"
NUMBER = 5

CLAIM = (
    "“Backpropagation is the algorithm that efficiently computes gradients by applying the chain rule "
    "recursively from the output layer back to the input.” With $a^{(l)} = f(W^{(l)}a^{(l-1)} + b^{(l)})$ "
    "layer by layer, it gives the $\\partial L/\\partial w_i$ of the update $w_i \\leftarrow w_i - \\eta\\, "
    "\\partial L/\\partial w_i$ for every weight. And, on the SimpleNet slide: “ReLU activations introduce "
    "non-linearity without the vanishing gradient problems that plague sigmoid and tanh functions.”"
)


class Layer(NamedTuple):
    """One layer ``a = f(W a_prev + b)`` in NumPy: weights ``(n_out, n_in)``, bias ``(n_out,)``."""

    W: np.ndarray
    b: np.ndarray
    activation: str  #: the name, for tables
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]  #: df/dz at the input z


class Gradient(NamedTuple):
    """``∂L/∂W`` and ``∂L/∂b`` of one layer (shapes of ``W`` and ``b``)."""

    dW: np.ndarray
    db: np.ndarray


def make_layer(W: Any, b: Any, activation: str) -> Layer:
    """A :class:`Layer` with the activation's ``(f, df)`` pair from ``NUMPY_ACTIVATIONS``."""
    from physnn.errors import check_choice
    from physnn.nn import NUMPY_ACTIVATIONS

    name = check_choice("activation", activation, NUMPY_ACTIVATIONS, owner="make_layer")
    W = check_array("W", W, ndim=2, owner="make_layer").astype(np.float64)
    b = check_array("b", b, ndim=1, owner="make_layer").astype(np.float64)
    if b.shape[0] != W.shape[0]:
        raise PhysnnError(f"make_layer: W has shape {W.shape} so b needs {W.shape[0]} entries; got {b.shape[0]}.")
    f, df = NUMPY_ACTIVATIONS[name]
    return Layer(W, b, name, f, df)


def layers_from_torch(model: Any) -> list[Layer]:
    """Copy a ``Sequential`` of ``Linear`` and activation modules into NumPy :class:`Layer` s (float64).

    A ``Linear`` not followed by a known activation gets ``identity``; dropout
    is skipped (the NumPy net is the model in eval mode).
    """
    from torch import nn

    from physnn.nn.activations import activation_name

    mods = [m for m in model.modules() if not list(m.children())]
    layers: list[Layer] = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.Linear):
            act = "identity"
            j = i + 1
            while j < len(mods) and isinstance(mods[j], nn.Dropout):
                j += 1
            if j < len(mods) and not isinstance(mods[j], nn.Linear):
                name = activation_name(mods[j])
                if name is None:
                    raise PhysnnError(
                        f"layers_from_torch: {type(mods[j]).__name__} after a Linear layer has no NumPy "
                        "derivative; use one of physnn.nn.ACTIVATIONS."
                    )
                act, j = name, j + 1
            W = m.weight.detach().double().cpu().numpy().copy()
            b = (m.bias.detach().double().cpu().numpy().copy() if m.bias is not None else np.zeros(m.out_features))
            layers.append(make_layer(W, b, act))
            i = j
        elif isinstance(m, nn.Dropout):
            i += 1
        else:
            raise PhysnnError(
                f"layers_from_torch: expected Linear layers each followed by an activation; found "
                f"{type(m).__name__} without a Linear before it."
            )
    if not layers:
        raise PhysnnError("layers_from_torch: the model has no Linear layer.")
    return layers


class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass: ``z⁽ˡ⁾`` and ``a⁽ˡ⁾`` (``a⁽⁰⁾ = xᵀ``)."""

    z: list[np.ndarray]
    a: list[np.ndarray]


def numpy_forward(layers: Sequence[Layer], x: Any) -> tuple[np.ndarray, Cache]:
    """The forward pass ``z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾``, ``a⁽ˡ⁾ = f(z⁽ˡ⁾)`` on a batch ``x`` of shape ``(N, n_in)``.

    Returns the output ``(N, n_out)`` (rows = samples, as torch) and the
    :class:`Cache` with every ``z⁽ˡ⁾`` and ``a⁽ˡ⁾`` as columns ``(n_l, N)``.
    """
    x = check_array("x", x, ndim=2, n_features=layers[0].W.shape[1], owner="numpy_forward")
    a = x.astype(np.float64).T  # a⁽⁰⁾: one column per sample
    zs, activations = [], [a]
    for layer in layers:
        z = layer.W @ a + layer.b[:, None]
        a = layer.f(z)
        zs.append(z)
        activations.append(a)
    return a.T, Cache(zs, activations)


def numpy_loss(yhat: np.ndarray, y: np.ndarray) -> float:
    """Mean-squared error ``(1/(N m)) Σ (ŷ − y)²`` (torch's ``MSELoss``)."""
    return float(np.mean((np.asarray(yhat) - np.asarray(y)) ** 2))


def numpy_backward(layers: Sequence[Layer], cache: Cache, y: Any) -> tuple[list[Gradient], list[np.ndarray]]:
    """The backward pass for the MSE loss: the lecture's δ recursion, output layer first.

    Returns ``(grads, deltas)``: one :class:`Gradient` per layer and the
    ``δ⁽ˡ⁾`` of every layer, shape ``(n_l, N)`` (index 0 is the first layer).
    """
    a_out = cache.a[-1]
    y = check_array("y", y, ndim=2, owner="numpy_backward").astype(np.float64).T
    if y.shape != a_out.shape:
        raise PhysnnError(
            f"numpy_backward: y has shape {y.T.shape} but the network's output has shape {a_out.T.shape}."
        )
    L = len(layers)
    dL_da = 2.0 * (a_out - y) / a_out.size  # ∂L/∂a⁽ᴸ⁾ of the mean-squared error
    deltas: list[np.ndarray] = [np.empty(0)] * L
    deltas[L - 1] = dL_da * layers[L - 1].df(cache.z[L - 1])  # δ⁽ᴸ⁾ = ∂L/∂a⁽ᴸ⁾ ⊙ f'(z⁽ᴸ⁾)
    for l in range(L - 2, -1, -1):  # δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ f'(z⁽ˡ⁾)
        deltas[l] = (layers[l + 1].W.T @ deltas[l + 1]) * layers[l].df(cache.z[l])
    grads = [
        Gradient(dW=deltas[l] @ cache.a[l].T, db=deltas[l].sum(axis=1))  # δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ and δ⁽ˡ⁾
        for l in range(L)
    ]
    return grads, deltas


def numpy_finite_differences(layers: Sequence[Layer], x: Any, y: Any, *, eps: float = 1e-6) -> list[Gradient]:
    """Central differences ``(L(θ+ε) − L(θ−ε)) / 2ε`` of the NumPy loss, entry by entry (no chain rule)."""
    layers = [Layer(l.W.copy(), l.b.copy(), l.activation, l.f, l.df) for l in layers]

    def loss() -> float:
        return numpy_loss(numpy_forward(layers, x)[0], y)

    out = []
    for layer in layers:
        parts = []
        for arr in (layer.W, layer.b):
            g = np.empty_like(arr)
            flat, gflat = arr.reshape(-1), g.reshape(-1)
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                plus = loss()
                flat[i] = orig - eps
                minus = loss()
                flat[i] = orig
                gflat[i] = (plus - minus) / (2 * eps)
            parts.append(g)
        out.append(Gradient(*parts))
    return out


def relative_error(a: Any, b: Any) -> float:
    """``‖a − b‖ / max(‖a‖, ‖b‖)`` (0 when both are 0).

        >>> relative_error([1.0, 2.0], [1.0, 2.0]), round(relative_error([1.0, 0.0], [0.0, 1.0]), 4)
        (0.0, 1.4142)
    """
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    num = float(np.linalg.norm(a - b))
    return 0.0 if num == 0.0 else num / max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-300)


CODE = """\
import torch
import physnn
from physnn.nn import MLP

model = MLP(3, [5, 4], 2, activation=["tanh", "sigmoid"], seed=0)
x, y = torch.randn(16, 3), torch.randn(16, 2)
result = physnn.gradcheck(model, x, y, loss="mse")   # autograd vs (L(θ+ε) − L(θ−ε)) / 2ε
print(result)                                        # one row per W⁽ˡ⁾, b⁽ˡ⁾
assert result.passed(tol=1e-6)
"""


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 5: NumPy backprop vs autograd vs finite differences, plus δ per layer."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 5.

    Parameters
    ----------
    quick : bool
        A smaller batch (16 samples instead of 64; 128 instead of 512 for δ).
    seed : int
        Seed of the network's weights and of the random data.

    Returns
    -------
    dict
        Per parameter tensor the relative errors of the NumPy δ recursion against
        autograd (``rel_autograd``), finite differences (``rel_finite_diff``) and of
        a broken backward pass (``rel_bug``); ``gradcheck``; both losses; and the
        RMS of δ per layer in a deep net per initialisation and activation
        (``delta_rms``, ``delta_shrink``).
    """
    import torch

    from physnn.nn import MLP
    from physnn.train.gradcheck import gradcheck

    n = 16 if quick else 64
    rng = np.random.default_rng(seed)
    model = MLP(3, [5, 4], 2, activation=["tanh", "sigmoid"], seed=seed).double()
    x = rng.normal(size=(n, 3))
    y = rng.normal(size=(n, 2))
    layers = layers_from_torch(model)

    # 1) NumPy: forward and the lecture's backward pass
    yhat, cache = numpy_forward(layers, x)
    grads, deltas = numpy_backward(layers, cache, y)
    loss_np = numpy_loss(yhat, y)

    # 2) torch autograd on the same float64 weights
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    model.zero_grad()
    loss_t = torch.nn.functional.mse_loss(model(xt), yt)
    loss_t.backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    auto = [Gradient(m.weight.grad.numpy().copy(), m.bias.grad.numpy().copy()) for m in linears]

    # 3) central finite differences of the NumPy loss
    fd = numpy_finite_differences(layers, x, y)

    # 4) the classic bug: forgetting ⊙ f'(z) — the same comparison must catch it
    buggy_layers = [l._replace(df=lambda z: np.ones_like(z)) for l in layers]
    bug_grads, _ = numpy_backward(buggy_layers, numpy_forward(buggy_layers, x)[1], y)

    tensors, rel_auto, rel_fd, names, bug_rel = [], [], [], [], []
    for l, (g, ga, gf, gb) in enumerate(zip(grads, auto, fd, bug_grads), start=1):
        for sym, mine, ref_a, ref_f, wrong in (("W", g.dW, ga.dW, gf.dW, gb.dW), ("b", g.db, ga.db, gf.db, gb.db)):
            names.append(f"${sym}^{{({l})}}$")
            rel_auto.append(relative_error(mine, ref_a))
            rel_fd.append(relative_error(mine, ref_f))
            bug_rel.append(relative_error(wrong, ref_a))
            tensors.append({"shape": mine.shape, "activation": layers[l - 1].activation,
                            "norm": float(np.linalg.norm(mine))})

    gc = gradcheck(model, xt, yt, loss="mse")
    loss_torch = loss_t.item()

    # 5) δ per layer in a deeper net: backprop carries the error signal back
    depth, width = 10, 32
    xd = rng.normal(size=(128 if quick else 512, 8))
    yd = rng.normal(size=(xd.shape[0], 1))
    delta_rms: dict[str, dict[str, list[float]]] = {"auto": {}, "torch": {}}
    for init in delta_rms:
        for act in ("sigmoid", "tanh", "relu"):
            deep = MLP(8, [width] * depth, 1, activation=act, init=init, seed=seed).double()
            dl = layers_from_torch(deep)
            _, dd = numpy_backward(dl, numpy_forward(dl, xd)[1], yd)
            delta_rms[init][act] = [float(np.sqrt(np.mean(d ** 2))) for d in dd]
    shrink = {init: {a: v[0] / v[-1] for a, v in d.items()} for init, d in delta_rms.items()}
    return {
        "tol": 1e-7, "n": n, "spec": model.spec, "depth": depth, "width": width,
        "names": names, "tensors": tensors, "rel_autograd": rel_auto, "rel_finite_diff": rel_fd, "rel_bug": bug_rel,
        "max_rel_autograd": max(rel_auto), "max_rel_finite_diff": max(rel_fd), "max_rel_bug": max(bug_rel),
        "gradcheck": gc, "gradcheck_max_rel": gc.max_rel_error, "loss_numpy": loss_np, "loss_torch": loss_torch,
        "delta_rms": delta_rms, "delta_shrink": shrink,
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The relative error of each gradient tensor (log) and the RMS of δ per layer, from :func:`experiment`."""
    tol, depth, delta_rms = m["tol"], m["depth"], m["delta_rms"]
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    pos = np.arange(len(m["names"]))
    floor = 1e-17  # a bar of exactly 0 would vanish on a log axis
    w = 0.27
    ax.bar(pos - w, np.maximum(m["rel_autograd"], floor), w, label="NumPy vs autograd", color="tab:blue")
    ax.bar(pos, np.maximum(m["rel_finite_diff"], floor), w, label="NumPy vs finite diff.", color="tab:green")
    ax.bar(pos + w, np.maximum(m["rel_bug"], floor), w, label=r"bug: no $\odot f'(z)$", color="tab:red")
    ax.axhline(tol, color="k", ls="--", lw=1.5, label=f"tolerance {tol:g}")
    ax.set_yscale("log")
    ax.set_ylim(1e-17, 1e6)
    ax.set_xticks(pos, m["names"])
    ax.set_xlabel("parameter tensor")
    ax.set_ylabel(r"relative error of $\partial L/\partial\theta$")
    ax.set_title("Backprop = autograd = finite differences")
    ax.legend(loc="upper center", ncol=2, fontsize=9.5)
    ax = axes[0, 1]
    ls = np.arange(1, depth + 2)
    for act, color in (("sigmoid", "tab:orange"), ("tanh", "tab:purple"), ("relu", "tab:blue")):
        ax.semilogy(ls, delta_rms["auto"][act], "o-", color=color, label=f"{act}, {'He' if act == 'relu' else 'Xavier'} init")
        ax.semilogy(ls, delta_rms["torch"][act], "x--", color=color, alpha=0.7, lw=1.5,
                    label=f"{act}, PyTorch default init")
    ax.set_xlabel(f"layer $l$ (1 = first hidden, {depth + 1} = output)")
    ax.set_ylabel(r"RMS of $\delta^{(l)}$ over the batch")
    ax.set_title(rf"$\delta$ flows back through {depth} hidden layers")
    ax.legend(fontsize=8.5, loc="lower right")
    fig.suptitle("Backpropagation made visible: the chain rule, layer by layer", fontsize=14)
    fig.tight_layout()
    return [figure_from_matplotlib(
        fig, "backprop_errors.png",
        "Left: relative error of each gradient tensor computed by the NumPy δ recursion, against autograd "
        "and finite differences (all ~1e-10 or smaller; the red bars show that forgetting ⊙ f′(z) is caught). "
        "Right: the size of the backpropagated error δ⁽ˡ⁾ in a net of 10 hidden layers × 32, from the output "
        "(right) back to the first layer (left); solid: the initialisation matched to the activation (physnn's default), "
        "dashed: PyTorch's default for nn.Linear.",
    )]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 5: the claims measured by :func:`experiment`, a table, the text and ``figs``."""
    tol, depth, width, gc = m["tol"], m["depth"], m["width"], m["gradcheck"]
    max_auto, max_fd, max_bug = m["max_rel_autograd"], m["max_rel_finite_diff"], m["max_rel_bug"]
    loss_np, loss_torch = m["loss_numpy"], m["loss_torch"]
    loss_diff = abs(loss_np - loss_torch) / abs(loss_torch)
    shrink = m["delta_shrink"]
    he = shrink["auto"]
    checks = [
        Check(
            "Backpropagation (δ recursion in NumPy) gives the same gradients as PyTorch autograd",
            f"max rel. error < {tol:g}",
            f"{max_auto:.1e}",
            passed=max_auto < tol,
            value=max_auto,
        ),
        Check(
            "... and the same as central finite differences (no chain rule at all)",
            f"max rel. error < {tol:g}",
            f"{max_fd:.1e}",
            passed=max_fd < tol,
            value=max_fd,
        ),
        Check(
            "physnn.gradcheck confirms autograd on the torch model",
            f"max rel. error < {tol:g}",
            f"{gc.max_rel_error:.1e} over {gc.n_checked} entries",
            passed=gc.passed(tol),
            value=gc.max_rel_error,
        ),
        Check(
            "The comparison can fail: a backward pass without ⊙ f′(z) is caught",
            "max rel. error > 1e-2",
            f"{max_bug:.2f}",
            passed=max_bug > 1e-2,
            value=max_bug,
        ),
        Check(
            f"ReLU does not suffer vanishing gradients: δ⁽¹⁾/δ⁽ᴸ⁾ over {depth} hidden layers (He init)",
            "≥ 0.1",
            f"{he['relu']:.2f}",
            passed=he["relu"] >= 0.1,
            value=he["relu"],
        ),
        Check(
            "... which plague sigmoid (any init) and tanh with PyTorch's default init (section 3: not tanh with Xavier)",
            "sigmoid ≤ 1e-2 (Xavier); tanh < 0.1 with PyTorch's default init",
            f"sigmoid {he['sigmoid']:.1e}; tanh {shrink['torch']['tanh']:.1e} (default init), "
            f"{he['tanh']:.2f} with Xavier — above the 0.1 bar, so not vanishing, as section 3 found",
            passed=he["sigmoid"] <= 1e-2 and shrink["torch"]["tanh"] < 0.1,
            value=he["sigmoid"],
        ),
    ]
    for c in checks[:4]:  # the NumPy δ recursion against torch: physnn checking itself, not the lecture's claim
        c.kind = SELF_CHECK
    table = markdown_table(
        ["Parameter", "Shape", "f of layer", "‖∂L/∂·‖ (NumPy)", "rel. err vs autograd",
         "rel. err vs finite diff.", "bug (no ⊙ f′) vs autograd"],
        [[name, "×".join(map(str, t["shape"])), t["activation"], f"{t['norm']:.3e}", f"{ra:.1e}", f"{rf:.1e}",
          f"{rb:.1e}"]
         for name, t, ra, rf, rb in zip(m["names"], m["tensors"], m["rel_autograd"], m["rel_finite_diff"],
                                        m["rel_bug"])],
    )
    out = io.StringIO()
    print(f"NumPy loss {loss_np:.12f}   torch loss {loss_torch:.12f}", file=out)
    print(gc, file=out)

    text = (
        f"A {m['spec']} network (tanh, then sigmoid, then a linear output) is built in PyTorch in float64 and its "
        f"weights are copied into NumPy. On a batch of {m['n']} random samples the NumPy code runs the lecture's forward "
        "pass $z^{(l)} = W^{(l)}a^{(l-1)} + b^{(l)}$, $a^{(l)} = f(z^{(l)})$ and then the backward pass, from the "
        "output layer to the input:\n\n"
        "$$\\delta^{(L)} = \\frac{\\partial L}{\\partial a^{(L)}} \\odot f'(z^{(L)}),\\qquad "
        "\\delta^{(l)} = (W^{(l+1)\\top}\\delta^{(l+1)}) \\odot f'(z^{(l)}),\\qquad "
        "\\frac{\\partial L}{\\partial W^{(l)}} = \\delta^{(l)} a^{(l-1)\\top},\\quad "
        "\\frac{\\partial L}{\\partial b^{(l)}} = \\delta^{(l)}$$\n\n"
        "(with columns as samples, the products sum over the batch; the MSE gives "
        "$\\partial L/\\partial a^{(L)} = 2(a^{(L)} - y)/(N m)$). "
        f"The NumPy loss agrees with torch's {'exactly' if loss_diff == 0 else f'to {loss_diff:.1e} (relative)'}. Every gradient tensor is then compared with "
        "PyTorch autograd and with central finite differences $(L(\\theta+\\varepsilon) - L(\\theta-\\varepsilon))/2\\varepsilon$, "
        f"$\\varepsilon = 10^{{-6}}$, which uses no chain rule at all: the largest relative errors are {max_auto:.1e} and "
        f"{max_fd:.1e}. The finite-difference error is what float64 allows (truncation $\\mathcal O(\\varepsilon^2)$ plus "
        "rounding $\\sim 10^{-16}/\\varepsilon$); autograd and the δ recursion perform the same arithmetic, so they agree "
        "to rounding.\n\n"
        f"A check that cannot fail proves nothing, so the same comparison is run on a broken backward pass that drops the "
        f"factor $f'(z^{{(l)}})$ — a classic bug: its gradients are off by up to {max_bug:.0%} and the check flags it. "
        "`physnn.gradcheck` does the finite-difference comparison for any PyTorch model.\n\n"
        f"**Vanishing gradients.** The SimpleNet slide adds: *ReLU activations introduce non-linearity without the "
        "vanishing gradient problems that plague sigmoid and tanh functions.* The right panel runs the same NumPy "
        f"backward pass through {depth} hidden layers of {width} units. Each step back multiplies δ by $W^\\top$ and "
        "by $f'(z)$: sigmoid's $f' \\le 1/4$ shrinks it at every layer, ReLU's $f' \\in \\{0, 1\\}$ does not. From "
        "the output back to the first layer δ's RMS changes by "
        + ", ".join(f"{k} {v:.1e}" for k, v in he.items())
        + " with the initialisation suited to each activation (He for ReLU, Xavier for sigmoid and tanh; physnn's "
        "`MLP` default). The claim needs that initialisation: with PyTorch's default for `nn.Linear` (the lecture's "
        "code; weights $\\mathcal U(\\pm 1/\\sqrt{n_{in}})$) the factors are "
        + ", ".join(f"{k} {v:.1e}" for k, v in shrink["torch"].items())
        + (" — ReLU then loses the signal faster than tanh, because it switches off half of the units while its "
           "weights are too small to make up for it." if shrink["torch"]["relu"] < shrink["torch"]["tanh"]
           else ".")
        + " For SimpleNet's two hidden layers either way is harmless; for deep networks the initialisation matters. "
        "This is the story of section 3, seen from the δ recursion: with its matched (Xavier) initialisation tanh's "
        f"ratio is {he['tanh']:.2f} — above the 0.1 bar that clears ReLU, so at initialisation it does not vanish; "
        "it vanishes with PyTorch's default init, and the sigmoid vanishes with either. Section 8 therefore trains "
        "its deep ReLU nets with He initialisation."
    )
    data = {k: m[k] for k in ("rel_autograd", "rel_finite_diff", "rel_bug", "max_rel_autograd", "max_rel_finite_diff",
                              "gradcheck_max_rel", "loss_numpy", "loss_torch", "delta_rms", "delta_shrink", "names")}
    return result_block(__name__, started=started, checks=checks, text=text, figures=figs, tables=[table],
                        output=out.getvalue(), data=data)
