r"""Section 7 — SimpleNet: the lecture's 10 → 64 → 32 → 1 network, counted and trained.

The lecture builds ``SimpleNet`` (``Linear(10, 64)``, ReLU, ``Linear(64, 32)``,
ReLU, ``Linear(32, 1)``) and states its parameter count: 704 + 2,080 + 33 =
2,817.  A ``Linear(n_in, n_out)`` holds ``n_in·n_out`` weights and ``n_out``
biases, so the numbers are measured here from the model's own tensors, then
the network is trained on the 10-feature regression task
:func:`physnn.data.simplenet_task` and compared with two baselines: predicting
the mean, and linear least squares.

    >>> counts = layer_parameter_counts()
    >>> counts
    [('layers.0', 704), ('layers.2', 2080), ('layers.4', 33)]
"""

from __future__ import annotations

import io
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

__all__ = ["TITLE", "NUMBER", "LECTURE_COUNTS", "layer_parameter_counts", "run", "experiment",
           "figures", "write_up"]

TITLE = "SimpleNet: a simple deep network in PyTorch"
NUMBER = 7

CLAIM = (
    "“Let's construct a three-layer feedforward neural network for regression or classification tasks.” "
    "Input layer $10 \\rightarrow 64$ neurons: 704 parameters; hidden layer $64 \\rightarrow 32$: 2,080 "
    "parameters; output layer $32 \\rightarrow 1$: 33 parameters; “Total: 2,817 learnable parameters.” And "
    "why networks at all: “Traditional machine learning models like linear regression … often struggle when "
    "confronted with complex, high-dimensional data.”"
)

#: the lecture's numbers: (layer, its description, parameters)
LECTURE_COUNTS = [("Input layer", "10 → 64", 704), ("Hidden layer", "64 → 32", 2080), ("Output layer", "32 → 1", 33)]
LECTURE_TOTAL = 2817


def _model(seed: int) -> Any:
    import torch

    from physnn.nn import SimpleNet

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return SimpleNet()  # PyTorch's default initialisation, as in the lecture


def layer_parameter_counts(model: Any = None) -> list[tuple[str, int]]:
    """``(name, weights + biases)`` of every ``Linear`` layer, counted from its tensors."""
    from torch import nn

    model = _model(0) if model is None else model
    return [(name, sum(p.numel() for p in m.parameters(recurse=False)))
            for name, m in model.named_modules() if isinstance(m, nn.Linear)]


CODE = """\
from physnn.nn import SimpleNet, summary
from physnn.data import simplenet_task, standardize
from physnn.train import fit

model = SimpleNet()
print(model)
print(summary(model, (10,)))          # 704 + 2,080 + 33 = 2,817 parameters

parts, scaler = standardize(simplenet_task(2000, seed=0).split(val=0.2, seed=0))
history = fit(model, parts.train, val=parts.val, loss="mse",
              optimizer="adam", lr=1e-3, epochs=100, batch_size=32)
print(history["val_r2"][-1])          # R² on the validation set
"""


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 7: print SimpleNet, check its parameter counts, train it and beat two baselines."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 7.

    Parameters
    ----------
    quick : bool
        1000 samples and 50 epochs (instead of 2000 and 100), with the R² threshold 0.75 (instead of 0.85).
    seed : int
        Seed of the initial weights, the data, the split and the batches.

    Returns
    -------
    dict
        The parameters per layer counted from the tensors (``layer_counts``, ``total_params``) and by
        ``physnn.nn.summary``; the loss curves; the validation MSE and R² of SimpleNet, of linear least
        squares and of predicting the mean, with the validation targets and both predictions.
    """
    import torch

    from physnn.data import simplenet_task, standardize
    from physnn.nn import summary
    from physnn.train import fit
    from physnn.train.metrics import mse, r2

    model = _model(seed)
    out = io.StringIO()
    print(model, file=out)
    print(f"Total parameters: {sum(p.numel() for p in model.parameters())}", file=out)
    summ = summary(model, (10,))
    counts = layer_parameter_counts(model)
    total = sum(p.numel() for p in model.parameters())

    # ---- training on the 10-feature task
    n, epochs, r2_min = (1000, 50, 0.75) if quick else (2000, 100, 0.85)
    data = simplenet_task(n, seed=seed)
    parts, _ = standardize(data.split(val=0.2, seed=seed))
    train, val = parts.train, parts.val
    h = fit(model, train, val=val, loss="mse", optimizer="adam", lr=1e-3, epochs=epochs, batch_size=32,
            seed=seed, progress=False)
    model.eval()
    with torch.no_grad():
        pred = model(torch.as_tensor(val.X, dtype=torch.float32)).numpy().astype(np.float64)
    yv = val.y.astype(np.float64)

    # baselines: the training mean, and least squares on the same standardized features
    mean_pred = np.full_like(yv, float(train.y.mean()))
    A = np.c_[train.X.astype(np.float64), np.ones(len(train))]
    coef, *_ = np.linalg.lstsq(A, train.y.astype(np.float64), rcond=None)
    lin_pred = np.c_[val.X.astype(np.float64), np.ones(len(val))] @ coef
    return {
        "quick": quick, "printed": out.getvalue(), "summary": summ, "layer_counts": counts, "total_params": total,
        "summary_total": summ.total_params, "n_train": len(train), "n_val": len(val), "epochs": epochs,
        "r2_threshold": r2_min, "y_val": yv, "pred": pred, "linear_pred": lin_pred,
        "val_r2": r2(yv, pred), "val_mse": mse(yv, pred), "linear_r2": r2(yv, lin_pred), "linear_mse": mse(yv, lin_pred),
        "mean_r2": r2(yv, mean_pred), "mean_mse": mse(yv, mean_pred),
        "noise_mse": 0.1 ** 2,  # simplenet_task's noise: the best any model can do
        "train_mse": float(h.final.get("train_loss", h["loss"][-1])),
        "loss": [float(v) for v in h["loss"]], "val_loss": [float(v) for v in h["val_loss"]],
    }


def figures(m: dict[str, Any]) -> list[Figure]:
    """The loss curves against the two baselines, and predicted against true values on the validation set."""
    yv, pred, lin_pred = m["y_val"], m["pred"], m["linear_pred"]
    mean_mse, lin_mse, noise_mse = m["mean_mse"], m["linear_mse"], m["noise_mse"]
    net_r2, lin_r2 = m["val_r2"], m["linear_r2"]
    fig, axes = subplots(1, 2, width=6.4, height=4.8)
    ax = axes[0, 0]
    ep = np.arange(1, len(m["loss"]) + 1)
    ax.semilogy(ep, m["loss"], color="tab:blue", label="SimpleNet, training")
    ax.semilogy(ep, m["val_loss"], color="tab:orange", label="SimpleNet, validation")
    ax.axhline(mean_mse, color="tab:gray", ls="--", lw=1.8, label=f"predict the mean ({mean_mse:.3f})")
    ax.axhline(lin_mse, color="tab:red", ls="--", lw=1.8, label=f"linear least squares ({lin_mse:.3f})")
    ax.axhline(noise_mse, color="k", ls=":", lw=1.5, label=f"noise floor σ² = {noise_mse:g}")
    ax.set_xlabel("epoch (Adam, lr = 1e-3, batch 32)")
    ax.set_ylabel("MSE")
    ax.set_xlim(1, len(ep))
    ax.set_title("Loss curves against two baselines")
    ax.legend(loc="lower left", fontsize=9.5)
    ax = axes[0, 1]
    lo, hi = float(min(yv.min(), pred.min(), lin_pred.min())), float(max(yv.max(), pred.max(), lin_pred.max()))
    ax.plot([lo, hi], [lo, hi], color="k", lw=1.2, label="perfect prediction")
    ax.scatter(yv, lin_pred, s=12, alpha=0.5, color="tab:red", label=f"linear, R² = {lin_r2:.2f}")
    ax.scatter(yv, pred, s=12, alpha=0.6, color="tab:blue", label=f"SimpleNet, R² = {net_r2:.2f}")
    ax.set_xlabel("true y (validation set)")
    ax.set_ylabel("predicted y")
    ax.set_title("Validation predictions")
    ax.legend(loc="upper left", fontsize=10)
    fig.suptitle(f"SimpleNet (2,817 parameters) on a 10-feature regression task: R² {net_r2:.2f} vs "
                 f"linear {lin_r2:.2f}", fontsize=14)
    fig.tight_layout()
    return [figure_from_matplotlib(
        fig, "simplenet_training.png",
        f"Left: SimpleNet's training and validation MSE per epoch, with the validation MSE of predicting the mean "
        f"and of linear least squares, and the noise floor. Right: predicted against true values on the "
        f"{m['n_val']} validation samples.",
    )]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 7: the counted and trained claims, the count and baseline tables, the text."""
    counts, total, summ = m["layer_counts"], m["total_params"], m["summary"]
    net_r2, net_mse, lin_r2, lin_mse = m["val_r2"], m["val_mse"], m["linear_r2"], m["linear_mse"]
    mean_r2, mean_mse, noise_mse, r2_min = m["mean_r2"], m["mean_mse"], m["noise_mse"], m["r2_threshold"]
    gain = net_r2 - lin_r2
    checks = []
    for (label, desc, lecture), (name, measured) in zip(LECTURE_COUNTS, counts):
        checks.append(Check(
            f"{label} {desc}: {lecture:,} parameters",
            f"{lecture:,}",
            f"{measured:,} ({name})",
            passed=measured == lecture,
            value=float(measured),
            kind=SELF_CHECK,
        ))
    checks.append(Check(
        f"Total: {LECTURE_TOTAL:,} learnable parameters",
        f"{LECTURE_TOTAL:,}",
        f"{total:,} (summary: {summ.total_params:,}, trainable {summ.trainable_params:,})",
        passed=total == LECTURE_TOTAL == summ.total_params == summ.trainable_params,
        value=float(total),
        kind=SELF_CHECK,
    ))
    checks += [
        Check(
            "SimpleNet learns the task: validation R² (predicting the mean scores 0)",
            f"R² ≥ {r2_min}" + (" (quick run: fewer samples and epochs)" if m["quick"] else ""),
            f"R² = {net_r2:.3f} (MSE {net_mse:.4f} vs mean {mean_mse:.4f})",
            passed=net_r2 >= r2_min,
            value=net_r2,
        ),
        Check(
            "Linear regression struggles where the network does not: SimpleNet beats least squares",
            "R² higher by ≥ 0.2",
            f"{net_r2:.3f} vs {lin_r2:.3f} (+{gain:.3f})",
            passed=gain >= 0.2,
            value=gain,
        ),
    ]
    count_table = markdown_table(
        ["Layer", "Shape", "Formula", "Lecture", "Measured (weights + biases)"],
        [[f"{label} (`{name}`)", desc, f"{desc.split(' → ')[0]}·{desc.split(' → ')[1]} + {desc.split(' → ')[1]}",
          f"{lecture:,}", f"{measured:,}"]
         for (label, desc, lecture), (name, measured) in zip(LECTURE_COUNTS, counts)]
        + [["**Total**", "", "", f"**{LECTURE_TOTAL:,}**", f"**{total:,}**"]],
    )
    table = markdown_table(
        ["Model", "Parameters", "Validation MSE", "Validation R²"],
        [["predict the training mean", "1", f"{mean_mse:.4f}", f"{mean_r2:.3f}"],
         ["linear least squares", "11", f"{lin_mse:.4f}", f"{lin_r2:.3f}"],
         ["SimpleNet", f"{total:,}", f"{net_mse:.4f}", f"{net_r2:.3f}"],
         ["(noise floor)", "", f"{noise_mse:.4f}", f"{1 - noise_mse / float(np.var(m['y_val'])):.3f}"]],
    )
    text = (
        "`print(model)` shows the three `Linear` layers with a `ReLU` between them, exactly as the lecture's "
        "`nn.Sequential`. A `Linear(n_in, n_out)` has $n_{in} n_{out}$ weights and $n_{out}$ biases, so the "
        "layers hold $10\\cdot64+64 = 704$, $64\\cdot32+32 = 2{,}080$ and $32\\cdot1+1 = 33$ parameters, "
        f"{total:,} in all. These numbers are counted from the model's own tensors (and by `physnn.nn.summary`), "
        "not copied from the slide. A word on the slide's names: what it calls the *input layer 10 → 64* is "
        "the first hidden layer — the input layer is the 10 features themselves and has no parameters — so "
        "SimpleNet has two hidden layers. By the lecture's own definition (many hidden layers) it is a small "
        "network rather than a deep one; section 8 is where depth is measured.\n\n"
        f"**Training.** The regression task `simplenet_task` has 10 Gaussian features and the target "
        "$y = \\sin x_0 + 0.5x_1x_2 + 0.3x_3^2 - 0.4x_4 + 0.5\\tanh 2x_5 + 0.3x_6|x_7| + 0.4\\cos(x_8+x_9) + "
        f"\\varepsilon$, $\\varepsilon \\sim N(0, 0.1^2)$. {m['n_train']} samples train SimpleNet (features "
        f"standardized on the training set, Adam, lr = $10^{{-3}}$, batch 32, {m['epochs']} epochs); {m['n_val']} are "
        f"held out. SimpleNet reaches a validation R² of {net_r2:.3f} (MSE {net_mse:.4f}; the noise alone costs "
        f"{noise_mse:g}). Linear least squares on the same features gets R² = {lin_r2:.3f}: the products, squares, "
        "absolute values and cosines in the target are beyond a linear model, and the ReLU network learns "
        f"them from the data without hand-made features. The training MSE ({m['train_mse']:.4f}) is below the "
        "validation MSE, as it almost always is; a gap alone is not yet overfitting — overfitting is the "
        "validation error *rising* while the training error falls, which section 9 measures, and section 10 "
        "what the lecture's regularization techniques do about it."
    )
    data = {k: m[k] for k in ("layer_counts", "total_params", "summary_total", "val_r2", "val_mse", "linear_r2",
                              "linear_mse", "mean_r2", "mean_mse", "r2_threshold", "loss", "val_loss")}
    return result_block(__name__, started=started, checks=checks, text=text, figures=figs,
                        tables=[count_table, table], output=m["printed"] + "\n" + str(summ) + "\n", data=data)
