r"""Optimizers by name, with validated hyperparameters.

Each optimizer updates the parameters :math:`\theta` from the gradient
:math:`g_t=\nabla_\theta L` of the loss at step :math:`t` (learning rate
:math:`\eta`, weight decay :math:`\lambda`):

==============  ==========================================================================
name            update
==============  ==========================================================================
``"sgd"``       :math:`v_t=\mu v_{t-1}+g_t+\lambda\theta`, :math:`\theta\leftarrow\theta-\eta v_t`
                (``momentum`` :math:`\mu`; ``nesterov`` uses :math:`g_t+\mu v_t` instead of :math:`v_t`)
``"adam"``      :math:`m_t=\beta_1 m_{t-1}+(1-\beta_1)g_t`, :math:`s_t=\beta_2 s_{t-1}+(1-\beta_2)g_t^2`,
                :math:`\theta\leftarrow\theta-\eta\,\hat m_t/(\sqrt{\hat s_t}+\epsilon)`
                with bias corrections :math:`\hat m_t=m_t/(1-\beta_1^t)`, :math:`\hat s_t=s_t/(1-\beta_2^t)`;
                ``weight_decay`` adds :math:`\lambda\theta` to :math:`g_t` (L2 penalty)
``"adamw"``     Adam with *decoupled* weight decay: :math:`\theta\leftarrow\theta(1-\eta\lambda)` each step
``"rmsprop"``   :math:`s_t=\alpha s_{t-1}+(1-\alpha)g_t^2`, :math:`\theta\leftarrow\theta-\eta g_t/(\sqrt{s_t}+\epsilon)`
``"lbfgs"``     quasi-Newton: a limited-memory estimate of the inverse Hessian from the last
                ``history_size`` steps, with a strong-Wolfe line search; needs a closure
``"bfgs"``      quasi-Newton with the full n×n inverse Hessian (:class:`physnn.train.bfgs.BFGS`),
                O(n²) per step: for small networks (PINNs); needs a closure
``"ssbfgs"``    self-scaled BFGS (:class:`physnn.train.bfgs.SSBFGS`): H is enlarged by
                :math:`\max(1, s^TBs / y^Ts)` before each update; the fastest here for PINNs
==============  ==========================================================================

    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([3.0]))
    >>> opt = make_optimizer("sgd", [w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step()
    >>> round(float(w.detach()), 4)  # 3 - 0.1 * 2 * 3
    2.4
"""

from __future__ import annotations

from dataclasses import dataclass, field

import inspect
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_range
from physnn.train.bfgs import BFGS, SSBFGS

__all__ = ["OPTIMIZERS", "OptimizerSpec", "make_optimizer", "needs_closure", "FusedAdamStepper", "fast_stepper"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "lbfgs", "bfgs", "ssbfgs")
"""The optimizer names :func:`make_optimizer` knows."""

_CLASSES: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "lbfgs": torch.optim.LBFGS,
    "bfgs": BFGS,
    "ssbfgs": SSBFGS,
}

_OWNER = "make_optimizer"
_DEFAULT_BETAS = (0.9, 0.999)
_LBFGS_DEFAULTS = {"line_search_fn": "strong_wolfe", "history_size": 50, "max_iter": 20}


def _collect(params: Any) -> list[Any]:
    """``params`` as a list of tensors or of param-group dicts; trainable ones only for a module."""
    if isinstance(params, nn.Module):
        return [p for p in params.parameters() if p.requires_grad]
    if isinstance(params, torch.Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise PhysnnError(
            f"{_OWNER}: 'params' must be a model (nn.Module), an iterable of tensors "
            f"(model.parameters()) or of parameter-group dicts; got {type(params).__name__}."
        )
    return list(params)


def _tensors(groups: list[Any]) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []
    for g in groups:
        if isinstance(g, dict):
            ps = g.get("params", [])
            out.extend([ps] if isinstance(ps, torch.Tensor) else list(ps))
        elif isinstance(g, tuple) and len(g) == 2 and isinstance(g[1], torch.Tensor):
            out.append(g[1])  # (name, tensor) pairs from named_parameters()
        else:
            out.append(g)
    return out


def _fusable(tensors: list[torch.Tensor]) -> bool:
    return all(
        isinstance(t, torch.Tensor)
        and t.is_floating_point()
        and t.device.type in ("cpu", "cuda")
        and not t.is_sparse
        for t in tensors
    )


def make_optimizer(
    name: str,
    params: Any,
    *,
    lr: float,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
    betas: tuple[float, float] = _DEFAULT_BETAS,
    fused: bool | None = None,
    **kwargs: Any,
) -> torch.optim.Optimizer:
    r"""Return the ``torch.optim`` optimizer ``name`` over ``params`` (formulas in the module docstring).

    Parameters
    ----------
    name : one of :data:`OPTIMIZERS`.
    params : a model (its trainable parameters are used), ``model.parameters()``
        or a list of parameter-group dicts.
    lr : learning rate :math:`\eta > 0`.
    weight_decay : :math:`\lambda \ge 0`; an L2 penalty for ``sgd``/``adam``/``rmsprop``,
        decoupled decay for ``adamw`` (note: 0 here, not torch's 0.01). Not for ``lbfgs``.
    momentum : :math:`\mu\in[0, 1)`, for ``sgd`` and ``rmsprop`` only.
    nesterov : Nesterov momentum, ``sgd`` only, needs ``momentum > 0``.
    betas : :math:`(\beta_1, \beta_2)`, each in ``[0, 1)``, for ``adam``/``adamw`` only.
    fused : ``adam``/``adamw``/``sgd``: use torch's fused kernel. ``None`` (default)
        turns it on for ``adam``/``adamw`` whenever every parameter is a floating
        CPU/CUDA tensor and this torch build supports it (about 25 % faster a step
        for small nets), and off otherwise.
    **kwargs : passed to the torch class (e.g. ``eps``, ``alpha``, ``amsgrad``).
        ``lbfgs`` defaults to ``line_search_fn="strong_wolfe"``, ``history_size=50``,
        ``max_iter=20``; override them here.

        >>> w = torch.nn.Parameter(torch.zeros(2))
        >>> make_optimizer("adam", [w], lr=1e-3).defaults["fused"]
        True
        >>> make_optimizer("adam", [w], lr=0)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: make_optimizer: 'lr' must be a number in (0, inf); got 0.
        >>> make_optimizer("sgd", [w], lr=0.1, nesterov=True)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: make_optimizer: 'nesterov=True' needs momentum > 0 (e.g. momentum=0.9); got momentum=0.0.
    """
    key = check_choice("optimizer", name, OPTIMIZERS, owner=_OWNER)
    lr = check_range("lr", lr, low=0.0, low_inclusive=False, owner=_OWNER)
    weight_decay = check_range("weight_decay", weight_decay, low=0.0, owner=_OWNER)
    momentum = check_range("momentum", momentum, low=0.0, high=1.0, high_inclusive=False, owner=_OWNER)
    if not isinstance(nesterov, bool):
        raise PhysnnError(f"{_OWNER}: 'nesterov' must be True or False; got {nesterov!r}.")
    if fused is not None and not isinstance(fused, bool):
        raise PhysnnError(f"{_OWNER}: 'fused' must be True, False or None; got {fused!r}.")

    if momentum > 0 and key not in ("sgd", "rmsprop"):
        raise PhysnnError(
            f"{_OWNER}: 'momentum' applies to 'sgd' and 'rmsprop' only; got momentum={momentum} "
            f"for {key!r}." + (" Adam's betas play that role." if key.startswith("adam") else "")
        )
    if nesterov and key != "sgd":
        raise PhysnnError(f"{_OWNER}: 'nesterov' applies to 'sgd' only; got nesterov=True for {key!r}.")
    if nesterov and momentum == 0:
        raise PhysnnError(
            f"{_OWNER}: 'nesterov=True' needs momentum > 0 (e.g. momentum=0.9); got momentum={momentum}."
        )
    if key in ("lbfgs", "bfgs", "ssbfgs") and weight_decay > 0:
        raise PhysnnError(
            f"{_OWNER}: {key!r} has no weight_decay; got weight_decay={weight_decay}. "
            "Add an L2 penalty to the objective instead."
        )
    if key in ("adam", "adamw"):
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise PhysnnError(f"{_OWNER}: 'betas' must be a pair (beta1, beta2); got {betas!r}.") from None
        betas = (
            check_range("betas[0]", b1, low=0.0, high=1.0, high_inclusive=False, owner=_OWNER),
            check_range("betas[1]", b2, low=0.0, high=1.0, high_inclusive=False, owner=_OWNER),
        )
    elif tuple(betas) != _DEFAULT_BETAS:
        raise PhysnnError(f"{_OWNER}: 'betas' applies to 'adam' and 'adamw' only; got betas={betas!r} for {key!r}.")
    if fused and key not in ("sgd", "adam", "adamw"):
        raise PhysnnError(f"{_OWNER}: 'fused' applies to 'sgd', 'adam' and 'adamw' only; got fused=True for {key!r}.")

    groups = _collect(params)
    tensors = _tensors(groups)
    if not tensors:
        raise PhysnnError(
            f"{_OWNER}: the model has no trainable parameters (all are frozen or the model is empty); "
            "unfreeze some with p.requires_grad_(True) or check the model."
        )

    args: dict[str, Any] = {"lr": lr}
    if key == "sgd":
        args.update(momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    elif key in ("adam", "adamw"):
        args.update(betas=betas, weight_decay=weight_decay)
    elif key == "rmsprop":
        args.update(momentum=momentum, weight_decay=weight_decay)
    elif key == "lbfgs":
        args.update(_LBFGS_DEFAULTS)
    args.update(kwargs)

    cls = _CLASSES[key]
    sig = inspect.signature(cls.__init__).parameters
    accepted = [p for p, v in sig.items() if p not in ("self", "params") and v.kind != v.VAR_KEYWORD]
    open_ended = any(v.kind == v.VAR_KEYWORD for v in sig.values())
    unknown = [] if open_ended else [k for k in args if k not in accepted]
    if unknown:
        raise PhysnnError(
            f"{_OWNER}: {key!r} takes the keyword arguments {', '.join(repr(a) for a in accepted)}; "
            f"got {', '.join(repr(u) for u in unknown)}."
        )

    if fused is None and key in ("adam", "adamw") and _fusable(tensors) and "foreach" not in kwargs:
        try:
            return cls(groups, fused=True, **args)
        except (RuntimeError, ValueError, TypeError):
            pass  # this build or these tensors do not support the fused kernel
    if fused is not None and key in ("sgd", "adam", "adamw"):
        args["fused"] = fused
    try:
        return cls(groups, **args)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise PhysnnError(f"{_OWNER}: cannot build {key!r}: {exc}") from exc


@dataclass(frozen=True)
class OptimizerSpec:
    """Which optimizer :func:`physnn.train.fit` builds, and with what settings — one value to pass around.

    ``fit(model, data, optimizer=OptimizerSpec("sgd", lr=0.1, momentum=0.9))`` is
    ``fit(model, data, optimizer="sgd", lr=0.1, momentum=0.9)``; ``options`` go to
    :func:`make_optimizer` (``betas``, ``history_size``, ...).

        >>> import torch
        >>> OptimizerSpec("sgd", lr=0.1, momentum=0.9).build(torch.nn.Linear(2, 1).parameters())
        ... # doctest: +ELLIPSIS
        SGD (...
    """

    name: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.0
    nesterov: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def build(self, params: Any) -> torch.optim.Optimizer:
        """The optimizer over ``params`` (parameters or parameter groups)."""
        return make_optimizer(self.name, params, lr=self.lr, weight_decay=self.weight_decay,
                              momentum=self.momentum, nesterov=self.nesterov, **self.options)


def needs_closure(optimizer: torch.optim.Optimizer | str) -> bool:
    """True if ``optimizer.step`` must be given a closure that recomputes the loss (L-BFGS, BFGS).

    The loop then calls ``optimizer.step(closure)`` where ``closure`` zeroes the
    gradients, computes the loss, calls ``backward()`` and returns the loss.

        >>> w = torch.nn.Parameter(torch.zeros(1))
        >>> needs_closure(make_optimizer("lbfgs", [w], lr=1.0)), needs_closure("adam")
        (True, False)
    """
    if isinstance(optimizer, str):
        return check_choice("optimizer", optimizer, OPTIMIZERS, owner="needs_closure") in ("lbfgs", "bfgs", "ssbfgs")
    return isinstance(optimizer, (torch.optim.LBFGS, BFGS))


class FusedAdamStepper:
    """Step a fused CPU ``Adam``/``AdamW`` by calling its kernel directly.

    For a small network, ``Optimizer.step`` spends most of its time in Python
    around the kernel (hooks, profiler records, grouping tensors by device):
    measured here ~140 µs per SimpleNet step of which the fused kernel is
    ~12 µs.  This stepper calls the same kernel (``torch._fused_adam_`` /
    ``torch._fused_adamw_``) on the optimizer's own state tensors, so the
    arithmetic, ``state_dict()``, checkpoints and LR schedules are unchanged —
    a test compares it with ``opt.step()`` bit for bit.  It is used only when
    it is exactly equivalent (:meth:`applies`); the first step, which creates
    the state, goes through ``opt.step()``; if the private kernel ever changes
    its signature the stepper falls back to ``opt.step()`` for good.
    """

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.opt = opt
        self.params = [p for g in opt.param_groups for p in g["params"]]
        self.kernel = torch._fused_adamw_ if self._decoupled(opt) else torch._fused_adam_
        self.broken = False

    @staticmethod
    def _decoupled(opt: torch.optim.Optimizer) -> bool:
        return type(opt) is torch.optim.AdamW or bool(opt.param_groups[0].get("decoupled_weight_decay"))

    @staticmethod
    def applies(opt: torch.optim.Optimizer) -> bool:
        """True when the direct kernel call is exactly what ``opt.step()`` would do."""
        if type(opt) not in (torch.optim.Adam, torch.optim.AdamW) or len(opt.param_groups) != 1:
            return False
        if not (hasattr(torch, "_fused_adam_") and hasattr(torch, "_fused_adamw_")):
            return False
        g = opt.param_groups[0]
        if not g.get("fused") or any(g.get(k) for k in ("amsgrad", "maximize", "capturable", "differentiable")):
            return False
        if isinstance(g["lr"], torch.Tensor) or any(isinstance(b, torch.Tensor) for b in g["betas"]):
            return False
        if getattr(opt, "_optimizer_step_pre_hooks", None) or getattr(opt, "_optimizer_step_post_hooks", None):
            return False
        from torch.optim import optimizer as _o

        if getattr(_o, "_global_optimizer_pre_hooks", None) or getattr(_o, "_global_optimizer_post_hooks", None):
            return False
        ps = g["params"]
        return bool(ps) and all(p.device.type == "cpu" and p.dtype == ps[0].dtype and not p.is_sparse for p in ps)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        opt, ps = self.opt, self.params
        grads = [p.grad for p in ps]
        st = opt.state
        if self.broken or any(g is None or g.is_sparse for g in grads) or any(p not in st for p in ps):
            opt.step()
            return
        g = opt.param_groups[0]
        states = [st[p] for p in ps]
        steps = [s["step"] for s in states]
        b1, b2 = g["betas"]
        torch._foreach_add_(steps, 1)
        try:
            self.kernel(
                ps, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [], steps,
                amsgrad=False, lr=g["lr"], beta1=b1, beta2=b2, weight_decay=g["weight_decay"],
                eps=g["eps"], maximize=False, grad_scale=None, found_inf=None,
            )
        except (TypeError, RuntimeError):  # pragma: no cover - a future torch changed the kernel
            torch._foreach_add_(steps, -1)
            self.broken = True
            opt.step()


def fast_stepper(opt: torch.optim.Optimizer) -> FusedAdamStepper | None:
    """A :class:`FusedAdamStepper` for ``opt`` when it applies, else ``None``."""
    return FusedAdamStepper(opt) if FusedAdamStepper.applies(opt) else None
