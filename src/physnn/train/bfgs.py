r"""BFGS with a dense inverse Hessian: the quasi-Newton method for small networks.

L-BFGS keeps only the last ``m`` curvature pairs; for a network of a few
thousand weights the *full* BFGS inverse Hessian fits in memory
(n² numbers: 1,341 weights → 14 MB in float64) and its update costs O(n²),
less than one forward/backward pass of a PINN.  Keeping all curvature
information makes BFGS converge much faster than L-BFGS on the badly
conditioned losses of PINNs (Urbán, Stefanou & Pons 2025, "Unveiling the
optimization process of physics informed neural networks").

The update of the inverse Hessian H with step s = x_{k+1} − x_k and gradient
change y = g_{k+1} − g_k, ρ = 1/(yᵀs), is

.. math::

    H_{k+1} = (I - \rho s y^T) H_k (I - \rho y s^T) + \rho s s^T
            = H_k - \rho (s\,(H_k y)^T + (H_k y)\,s^T) + (\rho^2\, y^T H_k y + \rho)\, s s^T,

written in the second, O(n²) form (SciPy's ``BFGS`` multiplies n×n matrices:
O(n³), 100× slower here at n ≈ 1,300).  H₀ is scaled by yᵀs / yᵀy after the
first step (Nocedal & Wright, eq. 6.20); a pair with yᵀs ≤ 1e-10·|y||s| is
skipped so H stays positive definite.  Steps come from torch's strong-Wolfe
line search (the one ``torch.optim.LBFGS`` uses).

    >>> import torch
    >>> A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    >>> b = torch.tensor([1.0, -1.0], dtype=torch.float64)
    >>> opt = BFGS([x], max_iter=10)
    >>> def closure():
    ...     opt.zero_grad()
    ...     f = 0.5 * x @ A @ x - b @ x
    ...     f.backward()
    ...     return f
    >>> _ = opt.step(closure)
    >>> torch.allclose(x.detach(), torch.linalg.solve(A, b))   # exact on a quadratic in n steps
    True
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch.optim.lbfgs import _strong_wolfe

from physnn.errors import check_int, check_range

__all__ = ["BFGS"]


class BFGS(torch.optim.Optimizer):
    """Dense-inverse-Hessian BFGS with a strong-Wolfe line search.

    Same calling convention as :class:`torch.optim.LBFGS`: ``step(closure)``
    runs up to ``max_iter`` iterations and returns the first loss; the state
    (H, the last gradient) carries over between calls.  One parameter group.

    Parameters
    ----------
    lr : float
        The first trial step of each line search (1 is the quasi-Newton step).
    max_iter : int
        Iterations per :meth:`step`.
    max_eval : int, optional
        Loss evaluations per :meth:`step` (default ``1.25 × max_iter``).
    tolerance_grad, tolerance_change : float
        Stop a :meth:`step` early when max|g| or the change of loss/step falls
        below these; 0 (default) never stops early.
    max_params : int
        Refuse models larger than this (H has ``n²`` entries).
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 0.0,
        tolerance_change: float = 0.0,
        max_params: int = 20000,
    ) -> None:
        check_range("lr", lr, low=0.0, low_inclusive=False, owner="BFGS")
        max_iter = check_int("max_iter", max_iter, low=1, owner="BFGS")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("BFGS: one parameter group only (it keeps one Hessian for all weights).")
        self._params = self.param_groups[0]["params"]
        n = sum(p.numel() for p in self._params)
        if n > max_params:
            raise ValueError(
                f"BFGS: the model has {n} parameters; a dense inverse Hessian needs {n}² numbers. "
                f"Use 'lbfgs' for models above max_params={max_params}."
            )

    # -- flat views -------------------------------------------------------------------
    def _gather_grad(self) -> torch.Tensor:
        return torch.cat([
            (p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in self._params
        ])

    def _add(self, t: float, d: torch.Tensor) -> None:
        i = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[i:i + n].view_as(p), alpha=t)
            i += n

    def _set(self, x: list[torch.Tensor]) -> None:
        for p, v in zip(self._params, x):
            p.copy_(v)

    def _eval_at(self, closure: Callable, x: list[torch.Tensor], t: float, d: torch.Tensor):
        self._add(t, d)
        with torch.enable_grad():
            loss = float(closure().detach())
        g = self._gather_grad()
        self._set(x)
        return loss, g

    @torch.no_grad()
    def step(self, closure: Callable) -> torch.Tensor:  # type: ignore[override]
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_g, tol_c = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("n_iter", 0)
        state.setdefault("func_evals", 0)

        with torch.enable_grad():
            orig_loss = closure()
        loss = float(orig_loss.detach())
        g = self._gather_grad()
        evals = 1
        state["func_evals"] += 1
        if g.abs().max() <= tol_g:
            return orig_loss
        H = state.get("H")
        for _ in range(max_iter):
            state["n_iter"] += 1
            if H is None:
                d = -g
                t = min(1.0, 1.0 / float(g.abs().sum())) * lr
            else:
                d = -(H @ g)
                t = lr
            gtd = float(g @ d)
            if gtd > -tol_c or gtd >= 0:
                if H is None or gtd >= 0:  # not a descent direction: restart from steepest descent
                    H = None
                    d = -g
                    t = min(1.0, 1.0 / float(g.abs().sum())) * lr
                    gtd = float(g @ d)
                if gtd > -tol_c:
                    break
            x0 = [p.detach().clone() for p in self._params]
            loss_new, g_new, t, ls_evals = _strong_wolfe(
                lambda x, tt, dd: self._eval_at(closure, x, tt, dd), x0, t, d, loss, g, gtd)
            self._add(t, d)
            evals += ls_evals
            state["func_evals"] += ls_evals
            s = d * t
            y = g_new - g
            ys = float(y @ s)
            if ys > 1e-10 * float(y.norm() * s.norm()):
                if H is None:
                    H = torch.eye(len(g), dtype=g.dtype, device=g.device) * (ys / float(y @ y))
                rho = 1.0 / ys
                Hy = H @ y
                H.addr_(s, Hy, alpha=-rho).addr_(Hy, s, alpha=-rho)
                H.addr_(s, s, alpha=rho * rho * float(y @ Hy) + rho)
            change = abs(loss_new - loss)
            loss, g = loss_new, g_new
            if evals >= max_eval or g.abs().max() <= tol_g:
                break
            if float(s.abs().max()) <= tol_c or change < tol_c:
                break
        state["H"] = H
        return orig_loss
