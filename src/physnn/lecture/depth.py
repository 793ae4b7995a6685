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

The section also *trains* shallow and deep ReLU nets on :math:`g^4` with
:func:`physnn.train.fit` and measures whether gradient descent finds what
depth can represent.  Seeds are trained side by side as one
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
    "n_params", "StackedMLP", "stack_mse", "fit_stack", "member_mse", "MemberCurves",
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
K_TRAIN = 4  #: the sawtooth the networks are trained on: 8 teeth, 16 linear pieces


def _settings(quick: bool) -> dict[str, Any]:
    if quick:
        return dict(ks=list(range(1, 9)), shallow=[8, 32, 128], deep=[4, 8], seeds=3, epochs=300)
    return dict(ks=list(range(1, 13)), shallow=[8, 16, 32, 64, 128, 256, 512], deep=[4, 8, 16],
                seeds=12, epochs=2500)


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


def _trained(s: dict[str, Any], seed: int) -> dict[str, Any]:
    """Fit shallow and deep ReLU nets on g^K_TRAIN (inputs scaled to [-1, 1])."""
    k = K_TRAIN
    x_tr = np.linspace(-1.0, 1.0, 4 * 2 ** k + 1).reshape(-1, 1)  # every kink is a grid point
    x_va = np.linspace(-1.0, 1.0, 4097).reshape(-1, 1)
    f = lambda x: sawtooth((x + 1.0) / 2.0, k)  # noqa: E731
    y_tr, y_va = f(x_tr), f(x_va)
    fit_kw = dict(optimizer="adam", lr=5e-3, schedule="cosine", epochs=s["epochs"], batch_size=None, seed=seed)
    seeds = [seed * 1000 + i for i in range(s["seeds"])]

    def train(hiddens: list[list[int]]) -> list[dict[str, Any]]:
        members = [MLP(1, h, 1, activation="relu", init="torch", seed=sd) for h in hiddens for sd in seeds]
        stack, _ = fit_stack(members, x_tr, y_tr, **fit_kw)
        err = member_mse(stack, x_va, y_va).reshape(len(hiddens), len(seeds))
        out = []
        for i, h in enumerate(hiddens):
            best = int(np.argmin(err[i]))
            out.append(dict(hidden=h, params=stack.n_params()[i * len(seeds)], errors=err[i].tolist(),
                            best=float(err[i, best]), median=float(np.median(err[i])),
                            net=stack.member(i * len(seeds) + best)))
        return out

    shallow: list[dict[str, Any]] = []
    small = [[w] for w in s["shallow"] if w <= 64]  # cheap: padded into one stack
    if small:
        shallow += train(small)
    for w in s["shallow"]:
        if w > 64:
            shallow += train([[w]])
    deep = train([[w] * k for w in s["deep"]])  # narrow: one padded stack
    for r in shallow:
        r["pieces"] = shallow_kinks(r["net"], -1.0, 1.0) + 1
    for r in deep:
        r["pieces"] = count_pieces(r["net"], -1.0, 1.0)
    hand = sawtooth_net(k)  # the exact deep net, on the same validation grid
    hand_mse = float(member_mse(hand, (x_va + 1.0) / 2.0, y_va)[0])
    return dict(x_va=x_va, y_va=y_va, x_tr=x_tr, y_tr=y_tr, shallow=shallow, deep=deep,
                hand_params=n_params(hand), hand_mse=hand_mse)


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
    """Run section 8 (see the module docstring); ``quick`` shrinks the trained sweep."""
    started = time.perf_counter()
    m = experiment(quick=quick, seed=seed)
    return write_up(m, figures(m), started=started)


def experiment(*, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """The measured numbers of section 8.

    Parameters
    ----------
    quick : bool
        A smaller trained sweep (see ``_settings``).
    seed : int
        The first seed of the trained networks.

    Returns
    -------
    dict
        ``rows``: per k the hand-set deep net's error against g^k (float64 and float32), its linear pieces
        and the parameters a shallow net needs; ``trained``: the shallow and deep networks trained on
        g^K_TRAIN, with their errors and pieces.
    """
    seed = check_int("seed", seed, low=0, owner="depth.run")
    s = _settings(quick)
    return {"quick": quick, "settings": s, "rows": _exactness(s["ks"], seed)["rows"], "trained": _trained(s, seed)}


def figures(m: dict[str, Any]) -> list[Figure]:
    """The hand-set construction for every k, and the trained shallow and deep networks."""
    return [_figure_construction(m["rows"], K_TRAIN), _figure_trained(m["trained"], m["rows"], K_TRAIN)]


def write_up(m: dict[str, Any], figs: list[Figure], *, started: float) -> SectionResult:
    """The result block of section 8: the claims measured by :func:`experiment`, two tables, the text."""
    s, rows, tr = m["settings"], m["rows"], m["trained"]
    k = K_TRAIN
    checks: list[Check] = []

    # ---- checks: the construction
    kmax = rows[-1]
    worst64 = max(r["err64"] for r in rows)
    worst32 = max(r["err32"] for r in rows if r["k"] <= k)
    checks.append(Check(
        claim=f"A deep ReLU net of width 2 (k layers, 6k+1 parameters) represents the sawtooth g^k exactly, k = 1..{kmax['k']}",
        expected="max |net − g^k| < 1e-5",
        measured=f"{worst64:.1e} in float64 (float32: {worst32:.1e} for k ≤ {k}; rounding grows as 2^k)",
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

    # ---- check: training
    sh = [(r["params"], r["best"]) for r in tr["shallow"]]
    p_max = max(p for p, _ in sh)
    best_ratio, best_row, reached = 0.0, None, True
    needed = []
    for r in tr["deep"]:
        need = shallow_params_needed(sh, r["best"])
        rr = (p_max / r["params"]) if need is None else need / r["params"]
        if rr > best_ratio:
            best_ratio, best_row, reached = rr, r, need is not None
        needed.append(need)
    assert best_row is not None
    bound = "" if reached else " (no shallow net in the sweep reached it: a lower bound)"
    trained_pass = best_ratio >= 3.0
    checks.append(Check(
        claim=f"Trained on g^{k} (Adam, best of {s['seeds']} seeds), a deep net reaches an error shallow nets need several times more parameters for",
        expected="shallow parameters needed / deep parameters ≥ 3",
        measured=(f"best case: deep {best_row['hidden'][0]}×{k} ({best_row['params']} params, val MSE "
                  f"{best_row['best']:.2g}) — ratio {'≥ ' if not reached else ''}{best_ratio:.1f}{bound}"),
        passed=bool(trained_pass), value=best_ratio,
    ))

    # ---- tables
    tables = [markdown_table(
        ["k", "teeth", "pieces (counted)", "deep net params (6k+1)", "max error float64", "max error float32",
         "shallow units ≥ 2^k−1", "shallow params ≥"],
        [[r["k"], r["teeth"], r["pieces"], r["p_deep"], f"{r['err64']:.1e}", f"{r['err32']:.1e}",
          f"{r['units_shallow']:,}", f"{r['p_shallow']:,}"] for r in rows],
    ), markdown_table(
        ["network", "params", "best val MSE", "median val MSE", "linear pieces of best (need 16)"],
        [[f"shallow 1-{r['hidden'][0]}-1", r["params"], f"{r['best']:.2e}", f"{r['median']:.2e}", r["pieces"]]
         for r in tr["shallow"]]
        + [[f"deep 1-{'-'.join(map(str, r['hidden']))}-1", r["params"], f"{r['best']:.2e}", f"{r['median']:.2e}",
            r["pieces"]] for r in tr["deep"]],
    )]

    hand = next(r for r in rows if r["k"] == k)
    best_sh = min(tr["shallow"], key=lambda r: r["best"])
    data = dict(
        exact=rows, k_train=k,
        shallow=[{kk: v for kk, v in r.items() if kk != "net"} for r in tr["shallow"]],
        deep=[{**{kk: v for kk, v in r.items() if kk != "net"}, "shallow_needed": need}
              for r, need in zip(tr["deep"], needed)],
        best_ratio=best_ratio, ratio_is_lower_bound=not reached,
    )
    return result_block(
        __name__, started=started, checks=checks, figures=figs, tables=tables, output=_output(), data=data,
        text=_text(s, rows, hand, tr, best_row, best_ratio, reached, best_sh, trained_pass, m["quick"]),
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


def _text(s, rows, hand, tr, best_row, best_ratio, reached, best_sh, trained_pass, quick) -> str:
    k = K_TRAIN
    kmax = rows[-1]
    spread_d = np.median([r["median"] / r["best"] for r in tr["deep"]])
    spread_s = np.median([r["median"] / r["best"] for r in tr["shallow"]])
    neurons = sum(best_row["hidden"])
    lines = [
        "**The construction.** The tent map is one hidden layer of two ReLUs, "
        "g(x) = 2·ReLU(x) − 4·ReLU(x − ½) on [0, 1]. Feeding a layer's output into the next "
        f"composes g with itself, so `MLP(1, [2]*k, 1)` with hand-set weights computes g^k: "
        f"2^(k−1) teeth, 2^k linear pieces, with only 6k+1 parameters. We built it for k = 1…{kmax['k']}, "
        f"compared it with g^k on a dense grid plus random points, and counted its linear pieces "
        f"numerically: they double with every layer (k = {kmax['k']}: {kmax['pieces']:,} pieces from "
        f"{kmax['p_deep']} parameters).",
        "",
        "**Why a shallow net cannot keep up.** One hidden layer computes Σᵢ cᵢ·ReLU(wᵢx + bᵢ) + c₀; "
        "each unit bends the line once, at x = −bᵢ/wᵢ, so N units give at most N + 1 pieces. "
        "2^k pieces therefore need at least 2^k − 1 units, i.e. 3(2^k − 1) + 1 parameters — "
        f"{hand['p_shallow']} for k = {k} (deep: {hand['p_deep']}), {kmax['p_shallow']:,} for "
        f"k = {kmax['k']} (deep: {kmax['p_deep']}). A hand-built shallow net with 2^k units comes within "
        "one unit of the bound (`shallow_sawtooth_net`). Note the float32 column: each layer doubles the "
        "rounding error, so the deep net is exact in exact arithmetic, and to ~2^k·10⁻⁷ in float32.",
        "",
        f"**Does training find it?** We fitted shallow (one hidden layer, widths "
        f"{', '.join(str(r['hidden'][0]) for r in tr['shallow'])}) and deep ({k} hidden layers of width "
        f"{', '.join(str(r['hidden'][0]) for r in tr['deep'])}) ReLU nets to g^{k} on 65 grid points "
        f"(inputs scaled to [−1, 1]), Adam lr 5e-3 with a cosine schedule, full batch, "
        f"{s['epochs']} epochs, PyTorch's default initialisation, {s['seeds']} seeds each, and kept "
        f"the best seed by the validation MSE on 4,097 grid points. The seeds were trained side by "
        f"side as one `StackedMLP` (independent networks in one module, each getting exactly its "
        f"own gradient).",
        "",
        f"Deep, narrow ReLU nets are notoriously sensitive to the seed (dead ReLUs, plateaus, whole "
        f"teeth left out): the median seed's error is {spread_d:.1f}× the best one's for the deep nets, "
        f"{spread_s:.1f}× for the shallow ones (typical values over the widths). The best deep net, {best_row['hidden'][0]}×{k} with "
        f"{best_row['params']} parameters, reached a validation MSE of {best_row['best']:.2g}; the "
        f"best shallow net in the sweep ({best_sh['params']} parameters) reached {best_sh['best']:.2g}. ",
    ]
    if reached:
        lines[-1] += (f"A shallow net needs about {best_ratio * best_row['params']:.0f} parameters "
                      f"({best_ratio:.1f}× as many) to match it.")
    else:
        lines[-1] += (f"No shallow net in the sweep matched it, so a shallow net needs more than "
                      f"{best_ratio:.1f}× its parameters.")
    lines += ["", f"A telling count: the best trained deep net has {best_row['pieces']} linear pieces from "
              f"{neurons} ReLUs (a shallow net with as many units can have at most {neurons + 1}), while the "
              f"hand-built deep net makes {2 ** k} from {2 * k} — placed exactly where g^{k} bends. Trained "
              "deep nets typically have about as many pieces as neurons, far fewer than their depth "
              "allows (Hanin & Rolnick, 2019, 'Deep ReLU networks have surprisingly few activation "
              "patterns')."]
    if trained_pass:
        lines += ["", "So here training shows the depth advantage too — but only for the lucky seeds, "
                  "and far from the hand-built net's exact answer with 25 parameters."]
    else:
        lines += ["", "**The trained comparison does not confirm the claim at this budget** (the check "
                  "fails, and we report it as measured). The lecture's claim is about what a network "
                  "can *represent* — that part holds exactly — not about what gradient descent finds: "
                  "the exact 25-parameter deep net exists, but from a random start Adam rarely gets "
                  "near it. That functions which need depth are hard to *learn* is a known result "
                  "(Malach & Shalev-Shwartz, 2019, 'Is deeper better only when shallow is good?')."]
    if quick:
        lines += ["", "*Quick mode: fewer k, seeds, widths and epochs — run the full section for the real numbers.*"]
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


def _figure_trained(tr: dict[str, Any], rows: list[dict[str, Any]], k: int):
    fig, axes = subplots(1, 2, width=6.4, height=4.6)
    ax = axes[0, 0]
    sh, dp = tr["shallow"], tr["deep"]
    ax.loglog([r["params"] for r in sh], [r["best"] for r in sh], "o-", color="C3",
              label="shallow (1 hidden layer), best seed")
    ax.loglog([r["params"] for r in sh], [r["median"] for r in sh], "o:", color="C3", alpha=0.4,
              label="shallow, median seed")
    ax.loglog([r["params"] for r in dp], [r["best"] for r in dp], "s-", color="C0",
              label=f"deep ({k} hidden layers), best seed")
    ax.loglog([r["params"] for r in dp], [r["median"] for r in dp], "s:", color="C0", alpha=0.4,
              label="deep, median seed")
    errs = [r["best"] for r in sh + dp] + [r["median"] for r in sh + dp]
    lo, hi = min(min(errs) / 6.0, max(errs) / 30.0), max(errs) * 2.0
    ax.set_ylim(lo, hi)
    from matplotlib.ticker import NullFormatter

    ps = [r["params"] for r in sh + dp] + [tr["hand_params"]]
    ticks = [t for t in (25, 50, 100, 250, 500, 1000, 2000, 5000) if min(ps) * 0.8 <= t <= max(ps) * 1.25]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:,}" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.plot([tr["hand_params"]], [lo * 1.6], "v", color="k", ms=14, zorder=5,
            label=f"hand-built deep net: {tr['hand_params']} params, MSE {tr['hand_mse']:.0e} (below the axis)")
    bound = 3 * (2 ** k - 1) + 1
    ax.axvline(bound, color="grey", ls="--", lw=1)
    ax.text(bound * 1.06, lo * 2.2, f"← an exact shallow net\n    needs ≥ {bound} params", fontsize=10,
            color="grey", va="center")
    ax.set_xlabel("parameters")
    ax.set_ylabel(f"validation MSE on g^{k} (4,097 points)")
    ax.set_title(f"Claim, trained on g^{k}: deep nets reach errors\nshallow nets need several× more parameters for")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=10, frameon=False,
               bbox_to_anchor=(0.5, 0.0))

    ax = axes[0, 1]
    xv = tr["x_va"].reshape(-1)
    ax.plot(xv, tr["y_va"].reshape(-1), color="k", lw=2.5, alpha=0.35, label=f"g^{k} (truth)")
    best_d = min(dp, key=lambda r: r["best"])
    best_s = min(sh, key=lambda r: r["best"])
    with torch.no_grad():
        xt = torch.tensor(tr["x_va"], dtype=torch.float32)
        yd = best_d["net"](xt).reshape(-1).numpy()
        ys = best_s["net"](xt).reshape(-1).numpy()
    ax.plot(xv, yd, color="C0", lw=1.6,
            label=f"deep {best_d['hidden'][0]}×{k}: {best_d['params']} params, MSE {best_d['best']:.1e}")
    ax.plot(xv, ys, color="C3", lw=1.6, ls="--",
            label=f"shallow {best_s['hidden'][0]}: {best_s['params']} params, MSE {best_s['best']:.1e}")
    ax.set_xlabel("x (scaled to [−1, 1])")
    ax.set_ylabel("output")
    ax.set_title("The best trained fits of each kind")
    ax.set_ylim(-0.15, 1.45)
    ax.legend(fontsize=9, loc="upper center", ncol=1, framealpha=0.9)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return figure_from_matplotlib(
        fig, "depth_trained.png",
        f"Left: validation MSE against parameter count for one-hidden-layer and {k}-hidden-layer ReLU nets "
        f"trained on g^{k} (best and median of the seeds), with the exact hand-built deep net as a star. "
        "Right: the best fit of each kind.")
