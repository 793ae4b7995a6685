r"""Section 8 — Depth: exponential expressiveness, built by hand and put to training.

The lecture: *"a deep network with relatively few neurons per layer can
represent functions that would require exponentially many neurons in a
shallow architecture."*  The textbook witness (Telgarsky, 2016) is the tent
map and its compositions, the sawtooth

.. math:: g(x) = 2\min(x, 1-x) \ \text{on}\ [0, 1], \qquad
          g^k = \underbrace{g\circ g\circ\cdots\circ g}_{k}, \qquad
          g^k \text{ has } 2^{k-1} \text{ teeth} = 2^k \text{ linear pieces.}

* **Deep.** :math:`g(x) = 2\,\mathrm{ReLU}(x) - 4\,\mathrm{ReLU}(x - \tfrac12)`
  on :math:`[0, 1]`, so one hidden layer of width 2 computes :math:`g`, and
  :func:`sawtooth_net` stacks :math:`k` of them: an ``MLP(1, [2]*k, 1)`` with
  :math:`6k + 1` parameters that equals :math:`g^k` exactly.
* **Shallow.** A one-hidden-layer ReLU net with :math:`N` units is
  :math:`\sum_i c_i\,\mathrm{ReLU}(w_i x + b_i) + c_0`: each unit bends the
  line at most once (at :math:`x = -b_i/w_i`), so it has at most :math:`N + 1`
  linear pieces.  :math:`2^k` pieces need :math:`N \ge 2^k - 1` units, i.e.
  :math:`P \ge 3(2^k - 1) + 1` parameters — exponentially many.
  :func:`shallow_sawtooth_net` meets the bound within one unit.

Beyond the lecture's claim, the section also *trains* shallow and deep ReLU
nets (He initialisation, a learning-rate sweep, many seeds) on :math:`g^6` and
:math:`g^8` with :func:`physnn.train.fit` and measures whether gradient
descent finds what depth can represent.  Seeds are trained side by side as one
:class:`StackedMLP` — independent networks in one module, which makes
"several seeds, take the best" affordable on two CPU cores (sections 9 and 10
use it too).

    >>> net = sawtooth_net(3)
    >>> net.spec, sum(p.numel() for p in net.parameters())
    ('1-2-2-2-1', 19)
    >>> import torch
    >>> x = torch.tensor([[0.0], [0.0625], [0.125], [0.25], [0.5]])
    >>> net(x).flatten().tolist()
    [0.0, 0.5, 1.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_int
from physnn.lecture.base import (
    Check,
    Figure,
    SectionResult,
    figure_from_matplotlib,
    markdown_table,
    result_block,
    subplots,
)
from physnn.lecture.stacking import MemberCurves, fit_stack, member_mse, stack_mse  # noqa: F401 (re-exported)
from physnn.nn import MLP, StackedMLP  # noqa: F401

TITLE = "Depth: exponential expressiveness"
NUMBER = 8

__all__ = [
    "TITLE", "NUMBER", "CODE", "run", "experiment", "figures", "write_up",
    "sawtooth", "sawtooth_net", "shallow_sawtooth_net", "count_pieces", "shallow_kinks",
    "n_params", "StackedMLP", "he_spread", "perturbed_sawtooth_net", "best_lr", "shallow_params_needed", "stack_mse", "fit_stack", "member_mse", "MemberCurves",
]

CLAIM = (
    "> *\"Mathematically, depth provides exponential expressiveness: a deep network with "
    "relatively few neurons per layer can represent functions that would require "
    "exponentially many neurons in a shallow architecture.\"*"
)


# --------------------------------------------------------------------------- the sawtooth
def sawtooth(x: Any, k: int) -> np.ndarray:
    r"""The composed tent map :math:`g^k(x)`, :math:`g(x) = 2\min(x, 1-x)`, in float64.

    :math:`g^k` on :math:`[0, 1]` has :math:`2^{k-1}` teeth: it rises from 0 to 1
    and falls back :math:`2^{k-1}` times, with slopes :math:`\pm 2^k`.

        >>> sawtooth([0.0, 0.125, 0.25, 0.375, 0.5], 2).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    k = check_int("k", k, low=0, owner="sawtooth")
    y = np.asarray(x, dtype=np.float64)
    for _ in range(k):
        y = 2.0 * np.minimum(y, 1.0 - y)
    return y


def n_params(model: nn.Module) -> int:
    """Number of learnable parameters (the lecture's "Total parameters")."""
    return int(sum(p.numel() for p in model.parameters()))


def sawtooth_net(k: int) -> MLP:
    r"""A deep, narrow ReLU network that *is* :math:`g^k` on :math:`[0, 1]`.

    ``MLP(1, [2] * k, 1)`` with hand-set weights: every hidden layer holds
    :math:`h_1 = \mathrm{ReLU}(u)` and :math:`h_2 = \mathrm{ReLU}(u - \tfrac12)`
    of the previous layer's value :math:`u`, and the next layer reads
    :math:`g(u) = 2h_1 - 4h_2`.  Since :math:`g(u) \in [0, 1]` the ReLUs of the
    next layer pass it unchanged.  Parameters: :math:`4 + 6(k-1) + 3 = 6k + 1`.

        >>> [n_params(sawtooth_net(k)) for k in (1, 2, 10)]
        [7, 13, 61]
    """
    k = check_int("k", k, low=1, owner="sawtooth_net")
    net = MLP(1, [2] * k, 1, activation="relu", init="torch", seed=0)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    read = torch.tensor([[2.0, -4.0]])  # g(u) = 2 ReLU(u) - 4 ReLU(u - 1/2)
    shift = torch.tensor([0.0, -0.5])
    with torch.no_grad():
        linears[0].weight.copy_(torch.ones(2, 1))
        linears[0].bias.copy_(shift)
        for lin in linears[1:-1]:  # u = g(previous), then the two ReLUs of g again
            lin.weight.copy_(read.repeat(2, 1))
            lin.bias.copy_(shift)
        linears[-1].weight.copy_(read)
        linears[-1].bias.zero_()
    return net


def shallow_sawtooth_net(k: int) -> MLP:
    r"""A one-hidden-layer ReLU network with :math:`2^k` units that is :math:`g^k` on :math:`[0, 1]`.

    :math:`g^k(x) = \sum_{j=0}^{2^k-1} c_j\,\mathrm{ReLU}(x - j/2^k)` with
    :math:`c_0 = 2^k` (the first slope) and :math:`c_j = 2^{k+1}(-1)^j` (the
    slope flips from :math:`\pm 2^k` to :math:`\mp 2^k` at every kink).  It uses
    :math:`2^k` units, :math:`3 \cdot 2^k + 1` parameters — one unit more than
    the lower bound :math:`2^k - 1`, the extra one carrying the first slope.

        >>> n_params(shallow_sawtooth_net(4)), n_params(sawtooth_net(4))
        (49, 25)
    """
    k = check_int("k", k, low=1, high=16, owner="shallow_sawtooth_net")
    n = 2 ** k
    net = MLP(1, [n], 1, activation="relu", init="torch", seed=0)
    j = torch.arange(n, dtype=torch.float32)
    c = float(2 ** (k + 1)) * torch.where(j % 2 == 0, 1.0, -1.0)
    c[0] = float(n)
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.copy_(-j / n)
        net[2].weight.copy_(c.reshape(1, n))
        net[2].bias.zero_()
    return net


def count_pieces(model: nn.Module, lo: float = 0.0, hi: float = 1.0, *, n: int = 2 ** 15) -> int:
    r"""Count the linear pieces of a 1-D ReLU network's function on ``[lo, hi]``.

    The network is evaluated in float64 on ``n + 1`` equally spaced points;
    wherever the slope between neighbouring points changes, there is a kink.
    A kink between two grid points changes the slope twice, so each run of
    consecutive changes counts once.  Kinks closer than the grid spacing merge.

        >>> count_pieces(sawtooth_net(5))
        32
    """
    import copy

    net = copy.deepcopy(model).double().eval()
    x = torch.linspace(lo, hi, n + 1, dtype=torch.float64).reshape(-1, 1)
    with torch.no_grad():
        y = net(x).reshape(-1).numpy()
    slope = np.diff(y) / ((hi - lo) / n)
    tol = 1e-7 * (1.0 + np.abs(slope).max())
    change = np.abs(np.diff(slope)) > tol
    runs = int(np.sum(change[1:] & ~change[:-1]) + (1 if change.size and change[0] else 0))
    return runs + 1


def shallow_kinks(model: MLP, lo: float = 0.0, hi: float = 1.0) -> int:
    r"""Kinks inside ``(lo, hi)`` of a one-hidden-layer ReLU net, read from its weights.

    Unit :math:`i` bends the output at :math:`x = -b_i / w_i` — if its output
    weight is not zero.  Units bending at the same point count once.  The net
    has ``shallow_kinks + 1`` linear pieces there, never more than ``width + 1``.

        >>> shallow_kinks(shallow_sawtooth_net(3))
        7
    """
    linears = [m for m in model if isinstance(m, nn.Linear)]
    if len(linears) != 2 or linears[0].in_features != 1:
        raise PhysnnError("shallow_kinks: expects a 1-input MLP with one hidden layer.")
    w = linears[0].weight.detach().double().reshape(-1).numpy()
    b = linears[0].bias.detach().double().numpy()
    c = linears[1].weight.detach().double().reshape(-1).numpy()
    ok = (w != 0) & (c != 0)
    t = -b[ok] / w[ok]
    t = t[(t > lo) & (t < hi)]
    return int(np.unique(np.round(t, 12)).size)


# --------------------------------------------------------------------------- seeds side by side
# --------------------------------------------------------------------------- the experiment
K_TRAIN = 6  #: the smallest sawtooth of the trainability study (beyond the lecture): 32 teeth, 64 linear pieces
ONE_TWELFTH = 1.0 / 12.0  #: MSE of predicting the mean of g^k (uniform on [0, 1] for x uniform): the "learned nothing" line


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return dict(ks=list(range(1, 9)), train_ks=[4], lrs={4: [1e-2]}, seeds=2, epochs=100, noise=[0.01, 0.1])
    return dict(ks=list(range(1, 13)), train_ks=[6, 8], lrs={6: [1e-3, 1e-2], 8: [1e-3, 1e-2]}, seeds=10, epochs=1000,
                noise=[0.01, 0.1])


def _exactness(ks: list[int], seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    rows = []
    for k in ks:
        net = sawtooth_net(k)
        x = np.concatenate([np.linspace(0.0, 1.0, 2 ** (k + 3) + 1), rng.uniform(0.0, 1.0, 2000)])
        truth = sawtooth(x, k)
        with torch.no_grad():
            y32 = net(torch.tensor(x, dtype=torch.float32).reshape(-1, 1)).double().reshape(-1).numpy()
            y64 = net.double()(torch.tensor(x).reshape(-1, 1)).reshape(-1).numpy()
        net.float()
        rows.append(dict(
            k=k, teeth=2 ** (k - 1), pieces=count_pieces(net), p_deep=n_params(net),
            units_shallow=2 ** k - 1, p_shallow=3 * (2 ** k - 1) + 1,
            err64=float(np.max(np.abs(y64 - truth))), err32=float(np.max(np.abs(y32 - truth))),
        ))
    return {"rows": rows}


def he_spread(net: MLP, seed: int) -> MLP:
    r"""He-initialised ReLU net whose first-layer kinks are spread uniformly over :math:`[-1, 1]`.

    ``MLP(..., activation="relu")`` is He-initialised with zero biases (sections 3
    and 5: ReLU needs the He variance), which puts every first-layer kink at
    :math:`x = 0` for a 1-D input.  Here the first layer's biases become
    :math:`b_i = -w_i t_i` with :math:`t_i \sim U(-1, 1)`, so unit :math:`i` bends at
    :math:`t_i`.  Changes ``net`` in place and returns it.

        >>> net = he_spread(MLP(1, [8], 1, activation="relu", seed=0), 0)
        >>> kinks = -net[0].bias / net[0].weight[:, 0]
        >>> bool(kinks.abs().max() <= 1.0)
        True
    """
    g = torch.Generator().manual_seed(10_000 + int(seed))
    lin = net[0]
    with torch.no_grad():
        t = torch.rand(lin.out_features, generator=g) * 2.0 - 1.0
        lin.bias.copy_(-lin.weight[:, 0] * t)
    return net


def perturbed_sawtooth_net(k: int, sigma: float, seed: int) -> MLP:
    r"""The exact deep net :func:`sawtooth_net` read on :math:`x \in [-1, 1]`, every weight and bias
    multiplied by :math:`1 + \sigma\varepsilon`, :math:`\varepsilon \sim N(0, 1)`.

    The first layer reads :math:`u = (x + 1)/2`; ``sigma=0`` gives :math:`g^k((x+1)/2)` exactly.

        >>> net = perturbed_sawtooth_net(3, 0.0, 0)
        >>> net(torch.tensor([[-1.0], [-0.75], [1.0]])).flatten().tolist()
        [0.0, 1.0, 0.0]
    """
    net = sawtooth_net(k)
    g = torch.Generator().manual_seed(20_000 + int(seed))
    with torch.no_grad():
        net[0].bias.add_(0.5 * net[0].weight[:, 0])  # u = (x + 1) / 2
        net[0].weight.mul_(0.5)
        for p in net.parameters():
            p.mul_(1.0 + sigma * torch.randn(p.shape, generator=g))
    return net


def _grid(k: int) -> tuple[np.ndarray, ...]:
    x_tr = np.linspace(-1.0, 1.0, 4 * 2 ** k + 1).reshape(-1, 1)  # every kink of g^k is a grid point
    x_va = np.linspace(-1.0, 1.0, 8 * 2 ** k + 3).reshape(-1, 1)  # a finer grid, mostly between them
    return x_tr, sawtooth((x_tr + 1.0) / 2.0, k), x_va, sawtooth((x_va + 1.0) / 2.0, k)


def _trained(s: dict[str, Any], seed: int) -> dict[str, Any]:
    """Beyond the lecture: can training *find* the deep net?  Shallow and deep ReLU nets on g^k, k = 6, 8."""
    from physnn.lecture.base import timed

    seeds = [seed * 1000 + i for i in range(s["seeds"])]
    groups: list[dict[str, Any]] = []
    for k in s["train_ks"]:
        x_tr, y_tr, x_va, y_va = _grid(k)
        p4 = n_params(MLP(1, [4] * k, 1))
        kinds = {  # name -> (stack it trains in, builder(seed))
            f"deep 2×{k} (the exact net's shape)": ("deep", lambda sd, k=k: he_spread(MLP(1, [2] * k, 1, activation="relu", seed=sd), sd)),
            f"deep 4×{k}": ("deep", lambda sd, k=k: he_spread(MLP(1, [4] * k, 1, activation="relu", seed=sd), sd)),
            **{f"exact deep net, weights ×(1 + {sg:g}·N(0,1))": ("deep", lambda sd, k=k, sg=sg: perturbed_sawtooth_net(k, sg, sd))
               for sg in s["noise"]},
            f"shallow {p4 // 3} (as many params as deep 4×{k})": ("shallow", lambda sd, k=k, w=p4 // 3: he_spread(MLP(1, [w], 1, activation="relu", seed=sd), sd)),
            f"shallow {2 ** k} (the exact shallow size)": ("shallow", lambda sd, k=k: he_spread(MLP(1, [2 ** k], 1, activation="relu", seed=sd), sd)),
        }
        for lr in s["lrs"][k]:
            for stack_name in ("deep", "shallow"):
                names = [n for n, (st, _) in kinds.items() if st == stack_name]
                members = [kinds[n][1](sd) for n in names for sd in seeds]
                start = member_mse(StackedMLP(members), x_va, y_va).reshape(len(names), len(seeds))
                with timed(f"depth study: g^{k}, {stack_name} nets, lr {lr:g}"):
                    stack, _ = fit_stack(members, x_tr, y_tr, optimizer="adam", lr=lr, schedule="cosine",
                                         epochs=s["epochs"], batch_size=None, seed=seed)
                err = member_mse(stack, x_va, y_va).reshape(len(names), len(seeds))
                for i, n in enumerate(names):
                    best = int(np.argmin(err[i]))
                    groups.append(dict(k=k, lr=lr, name=n, kind=stack_name, params=stack.n_params()[i * len(seeds)],
                                       errors=err[i].tolist(), start=start[i].tolist(),
                                       fvu=(err[i] / ONE_TWELFTH).tolist(),
                                       net=stack.member(i * len(seeds) + best)))
    return dict(groups=groups, seeds=seeds)


def shallow_params_needed(shallow: list[tuple[int, float]], err: float) -> float | None:
    """Parameters a shallow net needs to reach ``err``, read off the measured (params, error) curve.

    The curve is made monotone (best error of any net with at most that many
    parameters) and interpolated linearly in log-log.  ``None`` if no shallow
    net in the sweep reached ``err``.

        >>> round(shallow_params_needed([(10, 1.0), (100, 0.01)], 0.1), 2)
        31.62
        >>> shallow_params_needed([(10, 1.0), (100, 0.01)], 0.001) is None
        True
    """
    pts = sorted(shallow)
    env, best = [], math.inf
    for p, e in pts:
        best = min(best, e)
        env.append((p, best))
    if env[0][1] <= err:
        return float(env[0][0])
    for (p0, e0), (p1, e1) in zip(env[:-1], env[1:]):
        if e1 <= err < e0:
            t = (math.log(err) - math.log(e0)) / (math.log(e1) - math.log(e0))
            return float(math.exp(math.log(p0) + t * (math.log(p1) - math.log(p0))))
    return None


def run(*, quick: bool = False, seed: int = 0) -> SectionResult:
    """Run section 8 (see the module docstring); ``quick`` shrinks the trainability study."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 8.

    Parameters
    ----------
    quick : bool
        A smaller trainability study (see ``_settings``): one k, one learning rate, 2 seeds.
    seed : int
        The first seed of the trained networks.

    Returns
    -------
    dict
        ``rows``: per k the hand-set deep net's error against g^k (float64 and float32), its linear pieces
        and the parameters a shallow net needs (the lecture's claim); ``trained``: beyond the lecture, the
        shallow and deep networks trained on g^k for each k and learning rate, every seed's validation MSE.
    """
    seed = check_int("seed", seed, low=0, owner="depth.run")
    s = _settings(quick)
    return {"quick": quick, "settings": s, "rows": _exactness(s["ks"], seed)["rows"], "trained": _trained(s, seed)}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The hand-set construction for every k, and the trainability study (beyond the lecture)."""
    return [_figure_construction(m["rows"], 4), _figure_trained(m["trained"], m["settings"])]


def best_lr(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each (k, network) the learning rate with the lowest median validation MSE over the seeds."""
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for g in groups:
        key = (g["k"], g["name"])
        if key not in out or np.median(g["errors"]) < np.median(out[key]["errors"]):
            out[key] = g
    return list(out.values())


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 8: the lecture's claim (checks 1-2), then the trainability study."""
    from physnn.lecture.base import mean_ci

    s, rows, tr = m["settings"], m["rows"], m["trained"]
    checks: list[Check] = []
    kmax = rows[-1]
    worst64 = max(r["err64"] for r in rows)
    worst32 = max(r["err32"] for r in rows if r["k"] <= 4)
    checks.append(Check(
        claim=f"A deep ReLU net of width 2 (k layers, 6k+1 parameters) represents the sawtooth g^k exactly, k = 1..{kmax['k']}",
        expected="max |net − g^k| < 1e-5",
        measured=f"{worst64:.1e} in float64 (float32: {worst32:.1e} for k ≤ 4; rounding grows as 2^k)",
        passed=bool(worst64 < 1e-5 and worst32 < 1e-5), value=worst64,
    ))
    pieces_ok = all(r["pieces"] == 2 ** r["k"] for r in rows)
    ratio = kmax["p_shallow"] / kmax["p_deep"]
    checks.append(Check(
        claim="Depth gives exponentially many linear pieces: a shallow net needs exponentially more neurons for g^k",
        expected="pieces counted = 2^k for every k, so one hidden layer needs ≥ 2^k − 1 units",
        measured=(f"pieces = 2^k for all k: {'yes' if pieces_ok else 'no'}; k = {kmax['k']}: "
                  f"deep {kmax['p_deep']} params vs shallow ≥ {kmax['p_shallow']:,} ({ratio:.0f}×)"),
        passed=bool(pieces_ok and kmax["p_shallow"] > kmax["p_deep"]), value=ratio,
    ))

    best = best_lr(tr["groups"])
    study = []
    for g in best:
        mean, lo, hi = mean_ci(g["fvu"])
        study.append(dict(k=g["k"], name=g["name"], params=g["params"], lr=g["lr"], median=float(np.median(g["errors"])),
                          best=float(min(g["errors"])), fvu=mean, fvu_lo=lo, fvu_hi=hi,
                          start=float(np.median(g["start"])),
                          learned=int(sum(e < 0.5 * ONE_TWELFTH for e in g["errors"])), n=len(g["errors"])))
    ci = lambda r: "" if not np.isfinite(r["fvu_lo"]) else f" [{r['fvu_lo']:.2f}, {r['fvu_hi']:.2f}]"  # noqa: E731
    tables = [markdown_table(
        ["k", "teeth", "pieces (counted)", "deep net params (6k+1)", "max error float64", "max error float32",
         "shallow units ≥ 2^k−1", "shallow params ≥"],
        [[r["k"], r["teeth"], r["pieces"], r["p_deep"], f"{r['err64']:.1e}", f"{r['err32']:.1e}",
          f"{r['units_shallow']:,}", f"{r['p_shallow']:,}"] for r in rows],
    ), markdown_table(
        ["target", "network (beyond the lecture)", "params", "best lr", "median val MSE at start",
         "median val MSE trained", "val MSE ÷ (1/12), mean [95% CI]", "seeds below ½ · 1/12"],
        [[f"g^{r['k']}", r["name"], r["params"], f"{r['lr']:g}", f"{r['start']:.3g}", f"{r['median']:.3g}",
          f"{r['fvu']:.2f}{ci(r)}", f"{r['learned']} of {r['n']}"] for r in study],
    )]
    data = dict(exact=rows, study=study,
                groups=[{kk: v for kk, v in g.items() if kk != "net"} for g in tr["groups"]])
    return result_block(
        __name__, started=started, checks=checks, figures=figs, tables=tables, output=_output(), data=data,
        text=_text(s, rows, study, m["quick"]),
    )


CODE = '''\
import torch
from physnn.lecture.depth import sawtooth, sawtooth_net, count_pieces, n_params

net = sawtooth_net(4)                      # MLP(1, [2, 2, 2, 2], 1) with hand-set weights
print(net.spec, "parameters:", n_params(net))
x = torch.linspace(0, 1, 4097).reshape(-1, 1)
err = (net(x).detach().squeeze().double() - torch.tensor(sawtooth(x.squeeze().numpy(), 4))).abs().max()
print(f"max error: {float(err):.3g}   linear pieces: {count_pieces(net)}")
print("a one-hidden-layer ReLU net needs at least", 2 ** 4 - 1, "units for 16 pieces")
'''


def _output() -> str:
    """What :data:`CODE` prints (it runs in well under a second)."""
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(CODE, "<section 8 code>", "exec"), {})
    return buf.getvalue().rstrip()


def _text(s, rows, study, quick) -> str:
    kmax = rows[-1]
    hand = next(r for r in rows if r["k"] == 4)
    lines = [
        "**The construction.** The tent map is one hidden layer of two ReLUs, "
        "g(x) = 2·ReLU(x) − 4·ReLU(x − ½) on [0, 1]. Feeding a layer's output into the next "
        f"composes g with itself, so `MLP(1, [2]*k, 1)` with hand-set weights computes g^k: "
        f"2^(k−1) teeth, 2^k linear pieces, with only 6k+1 parameters. We built it for k = 1…{kmax['k']}, "
        f"compared it with g^k on a dense grid plus random points, and counted its linear pieces "
        f"numerically: they double with every layer (k = {kmax['k']}: {kmax['pieces']:,} pieces from "
        f"{kmax['p_deep']} parameters).",
        "",
        "**Why g^k has 2^k pieces.** g maps each half of [0, 1] linearly onto all of [0, 1] (slope ±2). "
        "So g^k = g^(k−1)∘g runs through the whole of g^(k−1) once on [0, ½] and once, mirrored, on [½, 1]: "
        "the number of pieces doubles with every composition, 2 · 2^(k−1) = 2^k, and the slopes are ±2^k.",
        "",
        "**Why a shallow net cannot keep up.** One hidden layer computes Σᵢ cᵢ·ReLU(wᵢx + bᵢ) + c₀; "
        "each unit bends the line once, at x = −bᵢ/wᵢ, so N units give at most N + 1 pieces. "
        "2^k pieces therefore need at least 2^k − 1 units, i.e. 3(2^k − 1) + 1 parameters — "
        f"{hand['p_shallow']} for k = 4 (deep: {hand['p_deep']}), {kmax['p_shallow']:,} for "
        f"k = {kmax['k']} (deep: {kmax['p_deep']}). A hand-built shallow net with 2^k units comes within "
        "one unit of the bound (`shallow_sawtooth_net`). Note the float32 column: each layer doubles the "
        "rounding error, so the deep net is exact in exact arithmetic, and to ~2^k·10⁻⁷ in float32. "
        "This is Telgarsky's construction (M. Telgarsky, 'Benefits of depth in neural networks', COLT 2016), "
        "and the two checks above are the section's verdict on the lecture's claim, which is about what a "
        "network *can represent*.",
        "",
        "### Beyond the lecture: does training find the deep net?",
        "",
        "The lecture does not claim that gradient descent finds these networks, so what follows is not "
        "scored against it. We trained on g^k for k = "
        f"{', '.join(str(k) for k in s['train_ks'])} — where an exact shallow net needs "
        f"{', '.join(str(3 * 2 ** k + 1) for k in s['train_ks'])} parameters against "
        f"{', '.join(str(6 * k + 1) for k in s['train_ks'])} for the deep one — on 4·2^k + 1 grid points "
        "(every kink a grid point, inputs scaled to [−1, 1]), and scored on a finer grid. Every ReLU net "
        "starts from He initialisation (section 3 measured that ReLU needs it; section 5 traced the "
        "gradients), with the first layer's kinks spread over [−1, 1] (zero biases would put them all at "
        f"x = 0); Adam with a cosine schedule, full batch, {s['epochs']} epochs, learning rates "
        + "; ".join(f"{', '.join(f'{lr:g}' for lr in lrs)} for g^{k}" for k, lrs in s["lrs"].items())
        + f" (the table keeps each network's best, by the median "
        f"over seeds), {s['seeds']} seeds each. A network that learned nothing predicts the mean of g^k and "
        "scores 1/12 ≈ 0.083 — the table divides by it (1 = nothing learned, 0 = perfect). We also started "
        "from the exact deep net with every weight multiplied by 1 + σ·N(0, 1), to see whether training "
        "returns to it.",
        "",
    ]
    def get(pred):
        return [r for r in study if pred(r)]
    for k in s["train_ks"]:
        rs = get(lambda r, k=k: r["k"] == k)
        learned = [r for r in rs if not r["name"].startswith("exact") and r["fvu"] < 0.5]
        random_start = [r for r in rs if not r["name"].startswith("exact")]
        best_r = min(random_start, key=lambda r: r["median"])
        pert = [r for r in rs if r["name"].startswith("exact")]
        line = (f"**g^{k}, measured.** From a random start the best median is {best_r['median']:.3g} "
                f"({best_r['name']}), {best_r['fvu']:.2f} of the 1/12 line; ")
        line += ("no network from a random start got below half of it on average. " if not learned else
                 f"{len(learned)} network type(s) got below half of it on average. ")
        for r in pert:
            line += (f"Started from the exact net perturbed by σ = {r['name'].split('(1 + ')[1].split('·')[0]}: "
                     f"median val MSE {r['start']:.3g} at the start, {r['median']:.3g} after training. ")
        lines += [line, ""]
    random_start = [r for r in study if not r["name"].startswith("exact")]
    found = [r for r in random_start if r["fvu"] < 0.5]
    k0 = s["train_ks"][0]
    if not found:
        lines += [
            f"So depth's advantage here is one of *representation*: the {6 * k0 + 1}-parameter solution for "
            f"g^{k0} exists and is exact, but from a random start gradient descent did not find it at these "
            "budgets, and the shallow nets of the exact size did not find theirs either — high-frequency "
            "targets are learned last (the spectral bias of ReLU nets, Rahaman et al. 2019), and functions "
            "that need depth are hard to learn (Malach & Shalev-Shwartz 2019). Whether a perturbed exact net "
            "comes back shows how narrow its basin is.",
        ]
    else:
        lines += [
            "Some networks trained from a random start got well below the 1/12 line: "
            + "; ".join(f"{r['name']} on g^{r['k']} ({r['params']} params, {r['fvu']:.2f} of the line)" for r in found)
            + ". Compare their parameter counts with the exact constructions in the first table.",
        ]
    if quick:
        lines += ["", "*Quick mode: one k, one learning rate, 2 seeds and few epochs — run the full section for the real numbers.*"]
    return "\n".join(lines)


def _figure_construction(rows: list[dict[str, Any]], k: int):
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    x = np.linspace(0.0, 1.0, 2001)
    for kk, color in zip(range(1, k + 1), ["C0", "C1", "C2", "C3", "C4"]):
        teeth = 2 ** (kk - 1)
        ax.plot(x, sawtooth(x, kk) + 1.2 * (kk - 1), color=color, lw=1.6,
                label=f"g^{kk}: {teeth} {'tooth' if teeth == 1 else 'teeth'}, {6 * kk + 1} params")
    net = sawtooth_net(k)
    xs = np.linspace(0.0, 1.0, 81)
    with torch.no_grad():
        ys = net(torch.tensor(xs, dtype=torch.float32).reshape(-1, 1)).reshape(-1).numpy()
    ax.plot(xs, ys + 1.2 * (k - 1), "k.", ms=5, label=f"output of MLP 1-{'-'.join(['2'] * k)}-1")
    ax.set_xlabel("x")
    ax.set_ylabel("g^k(x)  (shifted up by 1.2 per k)")
    ax.set_title("Claim: a deep, narrow net represents g^k exactly —\nthe teeth double with every width-2 layer")
    ax.set_ylim(-0.1, 1.2 * (k - 1) + 2.6)
    ax.legend(loc="upper center", ncol=2, fontsize=9, framealpha=0.95)

    ax = axes[0, 1]
    ks = [r["k"] for r in rows]
    ax.semilogy(ks, [r["p_shallow"] for r in rows], "o-", color="C3",
                label="shallow: ≥ 3(2^k−1)+1 params (≥ 2^k−1 units)")
    ax.semilogy(ks, [3 * 2 ** r["k"] + 1 for r in rows], "--", color="C3", alpha=0.5,
                label="shallow, hand-built exact: 3·2^k+1")
    ax.semilogy(ks, [r["p_deep"] for r in rows], "s-", color="C0", label="deep, width 2, exact: 6k+1 params")
    ax.set_xlabel("k (compositions; g^k has 2^k linear pieces)")
    ax.set_ylabel("parameters to represent g^k exactly")
    ax.set_title("Parameters to represent g^k exactly:\ndeep grows linearly in k, shallow exponentially")
    ax.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "depth_sawtooth.png",
        "Left: the composed tent map g^k and the hand-built deep ReLU net (dots) that computes it exactly. "
        "Right: parameters needed to represent g^k exactly — deep (width 2) grows linearly with k, "
        "a one-hidden-layer net exponentially.")


def _figure_trained(tr: dict[str, Any], s: dict[str, Any]):
    best = best_lr(tr["groups"])
    ks = s["train_ks"]
    fig, axes = subplots(1, len(ks) + 1, width=6.0, height=5.0)
    for ax, k in zip(axes[0, :], ks):
        gs = [g for g in best if g["k"] == k]
        for i, g in enumerate(gs):
            color = "C0" if g["kind"] == "deep" and not g["name"].startswith("exact") else (
                "C2" if g["name"].startswith("exact") else "C3")
            ax.plot([i] * len(g["errors"]), g["errors"], "o", color=color, ms=5, alpha=0.7)
            ax.plot([i - 0.3, i + 0.3], [np.median(g["errors"])] * 2, color="k", lw=2)
            if g["name"].startswith("exact"):
                ax.plot([i] * len(g["start"]), g["start"], "o", mfc="none", color="grey", ms=7)
        ax.axhline(ONE_TWELFTH, color="k", ls="--", lw=1.2, label="1/12: predict the mean (learned nothing)")
        ax.set_yscale("log")
        ax.set_xticks(range(len(gs)))
        ax.set_xticklabels([f"{g['name'].split(' (')[0].replace('exact deep net, weights ', 'exact net ')}\n"
                            f"{g['params']} params, lr {g['lr']:g}" for g in gs], rotation=35, ha="right", fontsize=9)
        ax.set_ylabel(f"validation MSE on g^{k} (dots: seeds; bar: median)")
        ax.set_title(f"Beyond the lecture: trained on g^{k}\n(grey rings: perturbed exact net before training)")
        ax.legend(fontsize=9, loc="lower left")
    ax = axes[0, -1]
    k = ks[0]
    _, _, x_va, y_va = _grid(k)
    xv = x_va.reshape(-1)
    ax.plot(xv, y_va.reshape(-1), color="k", lw=2.5, alpha=0.3, label=f"g^{k} (truth)")
    gs = [g for g in best if g["k"] == k]
    pick = [min([g for g in gs if g["kind"] == "deep" and not g["name"].startswith("exact")], key=lambda g: min(g["errors"])),
            min([g for g in gs if g["kind"] == "shallow"], key=lambda g: min(g["errors"])),
            min([g for g in gs if g["name"].startswith("exact")], key=lambda g: min(g["errors"]))]
    with torch.no_grad():
        xt = torch.tensor(x_va, dtype=torch.float32)
        for g, c in zip(pick, ["C0", "C3", "C2"]):
            ax.plot(xv, g["net"](xt).reshape(-1).numpy(), color=c, lw=1.4,
                    label=f"{g['name'].split(' (')[0]}: best seed, MSE {min(g['errors']):.2g}")
    ax.set_xlim(-1.0, -0.5)
    ax.set_xlabel("x (scaled to [−1, 1]; the first quarter shown)")
    ax.set_ylabel("output")
    ax.set_title(f"Best trained fits on g^{k}")
    ax.set_ylim(-0.15, 1.5)
    ax.legend(fontsize=9, loc="upper center", framealpha=0.9)
    fig.tight_layout()
    return figure_from_matplotlib(
        fig, "depth_trained.png",
        "Beyond the lecture. Left panels: validation MSE of every seed (dots) and the median (bar) for each "
        "network at its best learning rate, against the 1/12 line of a net that predicts the mean; green: "
        "the exact deep net perturbed, grey rings before training. Right: the best trained fit of each kind.")
