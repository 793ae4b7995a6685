r"""Check a model's backpropagated gradients against central finite differences.

Backpropagation (autograd) gives :math:`g^{AD} = \partial L / \partial\theta`
exactly, up to rounding.  A finite difference gives the same derivative from
two extra evaluations of the loss per parameter entry, without any chain rule:

.. math::

    g^{FD}_i = \frac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon}
             = g_i + \mathcal O(\varepsilon^2) + \mathcal O(\delta / \varepsilon),

where :math:`e_i` is the unit vector of entry :math:`i` and :math:`\delta
\approx 10^{-16}\,|L|` the rounding error of one float64 loss.  With the
default :math:`\varepsilon = 10^{-6}` both error terms are around
:math:`10^{-10}` for a smooth loss of order one, so the per-tensor *relative
error*

.. math::

    r = \frac{\lVert g^{AD} - g^{FD} \rVert_2}{\max(\lVert g^{AD} \rVert_2, \lVert g^{FD} \rVert_2)}

comes out near :math:`10^{-9}` when backpropagation is right and near
:math:`10^{-1}` – :math:`10^{0}` when a backward formula is wrong.  The check
runs in float64 on a deep copy of the model in eval mode (dropout off), so the
model itself is never touched.  Points where the loss is not differentiable
(a ReLU input exactly at 0, ``mae`` at a zero residual) can give a large
error for a correct implementation; move the input slightly.

    >>> import torch
    >>> from physnn.nn import MLP
    >>> model = MLP(3, [5], 2, activation="tanh", seed=0)
    >>> x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    >>> res = gradcheck(model, x)
    >>> res.passed(), res.max_rel_error < 1e-7, [r.name for r in res.rows]
    (True, True, ['0.weight', '0.bias', '2.weight', '2.bias'])
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_array, check_choice, check_int, check_range

__all__ = ["gradcheck", "GradcheckResult", "GradcheckRow"]

_TINY = 1e-300
_OWNER = "gradcheck"


@dataclass(frozen=True)
class GradcheckRow:
    """The comparison for one parameter tensor.

    Attributes:
        name: the parameter's qualified name, e.g. ``"0.weight"``.
        shape: its shape.
        n_checked: how many of its entries were perturbed.
        max_abs_error: :math:`\\max_i |g^{AD}_i - g^{FD}_i|` over those entries.
        rel_error: :math:`\\lVert g^{AD} - g^{FD}\\rVert / \\max(\\lVert g^{AD}\\rVert, \\lVert g^{FD}\\rVert)`
            over those entries (0 when both are exactly 0).
        grad_norm: :math:`\\lVert g^{AD}\\rVert` over those entries.
    """

    name: str
    shape: tuple[int, ...]
    n_checked: int
    max_abs_error: float
    rel_error: float
    grad_norm: float


@dataclass
class GradcheckResult:
    """What :func:`gradcheck` found: one :class:`GradcheckRow` per parameter tensor.

    ``max_rel_error`` is the worst relative error over all tensors;
    :meth:`passed` compares it with a tolerance.  ``str(result)`` is an aligned
    text table, :meth:`to_markdown` a Markdown one.
    """

    rows: list[GradcheckRow] = field(default_factory=list)
    loss: float = float("nan")  #: the loss at the unperturbed parameters (float64)
    eps: float = 1e-6

    @property
    def max_rel_error(self) -> float:
        """The worst per-tensor relative error (0 for no rows)."""
        return max((r.rel_error for r in self.rows), default=0.0)

    @property
    def max_abs_error(self) -> float:
        """The worst single-entry absolute error."""
        return max((r.max_abs_error for r in self.rows), default=0.0)

    @property
    def n_checked(self) -> int:
        """Entries perturbed in total."""
        return sum(r.n_checked for r in self.rows)

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every tensor's relative error is at most ``tol`` (and finite)."""
        tol = check_range("tol", tol, low=0.0, owner="GradcheckResult.passed")
        return all(math.isfinite(r.rel_error) and r.rel_error <= tol for r in self.rows)

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["Parameter", "Shape", "Checked", "‖g_AD‖", "Max abs error", "Rel. error"]
        body = [
            [r.name, "×".join(map(str, r.shape)) or "scalar", f"{r.n_checked:,}", f"{r.grad_norm:.3e}",
             f"{r.max_abs_error:.2e}", f"{r.rel_error:.2e}"]
            for r in self.rows
        ]
        return head, body

    def _verdict(self) -> str:
        return (
            f"max relative error {self.max_rel_error:.2e} over {self.n_checked:,} entries "
            f"(eps={self.eps:g}); {'PASS' if self.passed() else 'FAIL'} at tol 1e-6"
        )

    def to_markdown(self) -> str:
        """The rows as a Markdown table, the verdict below it."""
        head, body = self._cells()
        out = ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---:|---:|"]
        out += ["| " + " | ".join(row) + " |" for row in body]
        out += ["", self._verdict()[0].upper() + self._verdict()[1:] + "."]
        return "\n".join(out)

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        line = lambda cells: "  ".join(  # noqa: E731
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()
        rule = "-" * len(line(head))
        return "\n".join([rule, line(head), rule, *[line(r) for r in body], rule, self._verdict()])

    def __repr__(self) -> str:
        return (
            f"GradcheckResult(tensors={len(self.rows)}, n_checked={self.n_checked}, "
            f"max_rel_error={self.max_rel_error:.2e})"
        )


def _as_float64(x: Any, name: str) -> torch.Tensor:
    """Validate ``x`` (array or tensor) and return it as a tensor; floats become float64."""
    a = check_array(name, x, finite=True, owner=_OWNER)
    if a.ndim == 0:
        raise PhysnnError(
            f"{_OWNER}: {name!r} must hold at least one sample (a batch, e.g. shape (n, features)); "
            f"got a scalar. Reshape with {name}.reshape(1, -1)."
        )
    t = x.detach().cpu() if isinstance(x, torch.Tensor) else torch.as_tensor(a)
    return t.to(torch.float64) if (t.is_floating_point() or t.dtype == torch.bool) else t


def gradcheck(
    model: nn.Module,
    x: Any,
    y: Any = None,
    *,
    loss: str | nn.Module | Callable[..., torch.Tensor] = "mse",
    eps: float = 1e-6,
    params: Iterable[str] | None = None,
    max_per_param: int | None = None,
    seed: int = 0,
) -> GradcheckResult:
    r"""Compare autograd's gradient of ``loss(model(x), y)`` with central finite differences.

    Args:
        model: any ``nn.Module`` taking one tensor.  It is deep-copied, cast to
            float64 and put in eval mode; the original is left unchanged.
        x: the input batch (array or tensor); floating-point inputs are cast to float64.
        y: the target; ``None`` gives zeros of the output's shape (class 0 for
            ``cross_entropy``).  For a named regression or BCE loss it must have
            the output's shape (``(n,)`` counts as ``(n, 1)``).
        loss: a name from :data:`physnn.train.losses.LOSSES`, a loss module or a
            callable ``loss(output, target) -> scalar``.
        eps: the finite-difference step :math:`\varepsilon`.
        params: names of the parameters to check (``dict(model.named_parameters())``
            keys); ``None`` checks all.
        max_per_param: check at most this many entries of each tensor, drawn at
            random with ``seed`` (``None``: every entry).  Costs two forward
            passes per entry checked.
        seed: seed of that draw.

    Returns:
        :class:`GradcheckResult` with a :class:`GradcheckRow` per tensor.

    A shape mismatch is refused with both shapes named:

        >>> gradcheck(nn.Linear(3, 2), torch.zeros(4, 3), torch.zeros(4, 1))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: gradcheck: the model's output has shape (4, 2) but y has shape (4, 1); give y the output's shape, or leave y=None to compare against zeros.
    """
    if not isinstance(model, nn.Module):
        raise PhysnnError(f"{_OWNER}: 'model' must be a torch.nn.Module; got {type(model).__name__}.")
    eps = check_range("eps", eps, low=0.0, low_inclusive=False, high=1.0, owner=_OWNER)
    seed = check_int("seed", seed, low=0, owner=_OWNER)
    if max_per_param is not None:
        max_per_param = check_int("max_per_param", max_per_param, low=1, owner=_OWNER)

    from physnn.train.losses import LOSSES, check_targets, get_loss, loss_name, prepare_targets

    loss_fn = get_loss(loss)
    key = loss_name(loss_fn) if not isinstance(loss, str) else check_choice("loss", loss, LOSSES, owner=_OWNER)

    net = copy.deepcopy(model).double().eval()
    named = dict(net.named_parameters())
    if not named:
        raise PhysnnError(f"{_OWNER}: {type(model).__name__} has no parameters to check.")
    if params is None:
        names = list(named)
    else:
        if isinstance(params, str):
            params = [params]
        names = [check_choice("params", p, list(named), owner=_OWNER) for p in params]
        if not names:
            raise PhysnnError(f"{_OWNER}: 'params' is empty; name at least one of {', '.join(map(repr, named))}.")
    for p in net.parameters():
        p.requires_grad_(False)
    tensors = [named[n] for n in names]
    for p in tensors:
        p.requires_grad_(True)

    xt = _as_float64(x, "x")
    try:
        with torch.no_grad():
            out = net(xt)
    except RuntimeError as err:
        raise PhysnnError(
            f"{_OWNER}: a forward pass of {type(model).__name__} on x of shape {tuple(xt.shape)} failed; "
            f"check that x fits the model. PyTorch said: {str(err).strip().splitlines()[0]}"
        ) from err
    if not isinstance(out, torch.Tensor):
        raise PhysnnError(f"{_OWNER}: the model must return one tensor; got {type(out).__name__}.")

    if y is None:
        if key == "cross_entropy":
            yt = torch.zeros(out.shape[0], dtype=torch.long)
        else:
            yt = torch.zeros_like(out)
    else:
        if key is not None:
            n_out = out.shape[1] if out.ndim == 2 else 1
            ya = y.detach().cpu() if isinstance(y, torch.Tensor) else check_array("y", y, owner=_OWNER)
            yt = prepare_targets(key, ya, dtype=torch.float64)
            want = (out.shape[0],) if key == "cross_entropy" else tuple(out.shape)
            if tuple(yt.shape) != want:
                raise PhysnnError(
                    f"{_OWNER}: the model's output has shape {tuple(out.shape)} but y has shape "
                    f"{tuple(ya.shape)}; give y "
                    + ("one class index per row" if key == "cross_entropy" else "the output's shape")
                    + ", or leave y=None to compare against zeros."
                )
            check_targets(key, ya, n_outputs=n_out, owner=_OWNER)
        else:
            yt = _as_float64(y, "y")

    def objective() -> torch.Tensor:
        val = loss_fn(net(xt), yt)
        if not isinstance(val, torch.Tensor) or val.numel() != 1:
            raise PhysnnError(
                f"{_OWNER}: the loss must return a scalar tensor; got "
                f"{type(val).__name__}{'' if not isinstance(val, torch.Tensor) else ' of shape ' + str(tuple(val.shape))}. "
                "Use reduction='mean' or 'sum'."
            )
        return val.reshape(())

    value = objective()
    if not torch.isfinite(value):
        raise PhysnnError(f"{_OWNER}: the loss at the model's parameters is {value.item()}; check x, y and the weights.")
    grads = torch.autograd.grad(value, tensors, allow_unused=True)

    rng = np.random.default_rng(seed)
    rows = []
    with torch.no_grad():
        for name, p, g in zip(names, tensors, grads):
            g_ad_full = torch.zeros_like(p) if g is None else g.detach()
            n = p.numel()
            if max_per_param is None or max_per_param >= n:
                idx = np.arange(n)
            else:
                idx = np.sort(rng.choice(n, size=max_per_param, replace=False))
            flat = p.view(-1)
            g_fd = np.empty(len(idx))
            for k, i in enumerate(idx):
                orig = flat[i].item()
                flat[i] = orig + eps
                plus = objective().item()
                flat[i] = orig - eps
                minus = objective().item()
                flat[i] = orig
                g_fd[k] = (plus - minus) / (2.0 * eps)
            g_ad = g_ad_full.reshape(-1).numpy()[idx]
            diff = g_ad - g_fd
            norm_ad, norm_fd = float(np.linalg.norm(g_ad)), float(np.linalg.norm(g_fd))
            num = float(np.linalg.norm(diff))
            rel = 0.0 if num == 0.0 else num / max(norm_ad, norm_fd, _TINY)
            rows.append(GradcheckRow(
                name=name, shape=tuple(p.shape), n_checked=len(idx),
                max_abs_error=float(np.max(np.abs(diff))) if len(idx) else 0.0,
                rel_error=rel, grad_norm=norm_ad,
            ))
    return GradcheckResult(rows=rows, loss=value.item(), eps=eps)
