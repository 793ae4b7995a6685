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

H and its updates are kept in float64 whatever the parameters' dtype (the
direction is rounded to it): in float32 the rank-two updates lose H's
accuracy within a few hundred steps and the method stalls (measured on
Burgers: 3.6e-2 error with a float32 H).  So a float32 network gets float64
curvature at float32 evaluation cost, and an H built in float32 training can
carry on when the network is promoted to float64 (``initial_inverse_hessian``).

**Self-scaled BFGS** (``self_scaling=True``, the ``"ssbfgs"`` optimizer;
Oren & Luenberger 1974 with Al-Baali's cap, Al-Baali 1998; for PINNs Urbán,
Stefanou & Pons 2025 and Kiyani et al. 2025) rescales the old estimate before
each update,

.. math::

    H_{k+1} = \mathrm{BFGS}(H_k / \tau_k;\ s, y), \qquad
    \tau_k = \min\Big(1, \frac{1}{b_k}\Big), \qquad
    b_k = \frac{s^T B_k s}{y^T s} = \frac{-t\, g_k^T s}{y^T s},

(B_k = H_k⁻¹; with s = t·d and d = −H_k g_k, B_k s = −t g_k, so b_k needs no
inverse).  When the model curvature along the step, sᵀB s, exceeds the
measured one, yᵀs, the whole estimate is enlarged by b_k instead of only its
s-direction.  On the badly scaled losses of PINNs this keeps the quasi-Newton
steps from shrinking: measured on Burgers (``benchmarks/pinn_burgers.py``,
2-[20]×4-1 tanh, float64, after the same Adam stage), 3,000 iterations of plain
BFGS reach a relative L2 error of 1.3e-3, self-scaled BFGS 7.5e-5.

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

__all__ = ["BFGS", "SSBFGS"]


def _update(H: torch.Tensor, s: torch.Tensor, y: torch.Tensor, Hy: torch.Tensor, scale: float,
            v: torch.Tensor, Hv: torch.Tensor) -> torch.Tensor:
    """H ← BFGS(scale·H; s, y) in place, as one rank-two ``addmm`` (one pass over H); returns the new H·v.

    With H' = scale·H and ρ = 1/yᵀs:  H'' = H' + U C Uᵀ, U = [s, H'y],
    C = [[ρ²·yᵀH'y + ρ, −ρ], [−ρ, 0]] — the second form of the module doc.
    ``Hy`` and ``Hv`` are the *old* H times y and v; the new H''v then costs
    O(n), so an iteration needs one n² product (H g) besides the update.
    """
    rho = 1.0 / float(y @ s)
    Hy = Hy * scale
    U = torch.stack([s, Hy], dim=1)
    C = torch.tensor([[rho * rho * float(y @ Hy) + rho, -rho], [-rho, 0.0]], dtype=H.dtype, device=H.device)
    UC = U @ C
    H.addmm_(UC, U.T, beta=scale)
    return Hv * scale + UC @ (U.T @ v)


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
    self_scaling : bool
        Rescale H by 1/τ_k = max(1, b_k) before each update (self-scaled BFGS,
        see the module doc); ``False`` (default) is classical BFGS.
    initial_inverse_hessian : Tensor, optional
        Start from this n×n inverse Hessian (e.g. ``opt.state[p]["H"]`` of an
        earlier run on the same parameters) instead of the scaled identity.
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
        self_scaling: bool = False,
        initial_inverse_hessian: torch.Tensor | None = None,
    ) -> None:
        check_range("lr", lr, low=0.0, low_inclusive=False, owner="BFGS")
        max_iter = check_int("max_iter", max_iter, low=1, owner="BFGS")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if not isinstance(self_scaling, bool):
            raise ValueError(f"BFGS: self_scaling must be True or False; got {self_scaling!r}.")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, self_scaling=self_scaling)
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
        if initial_inverse_hessian is not None:
            H0 = initial_inverse_hessian
            if not isinstance(H0, torch.Tensor) or tuple(H0.shape) != (n, n):
                shape = tuple(H0.shape) if isinstance(H0, torch.Tensor) else type(H0).__name__
                raise ValueError(f"BFGS: initial_inverse_hessian must be a {n}×{n} tensor for these "
                                 f"parameters; got {shape}.")
            if not bool(torch.isfinite(H0).all()):
                raise ValueError("BFGS: initial_inverse_hessian has NaN or Inf entries.")
            dev = self._params[0].device
            self.state[self._params[0]]["H"] = H0.detach().to(device=dev, dtype=torch.float64).clone()

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
        self_scaling = group["self_scaling"]
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
        f64 = torch.float64
        g64 = g.to(f64)
        Hg = None if H is None else H @ g64
        for _ in range(max_iter):
            state["n_iter"] += 1
            if H is None:
                d = -g
                t = min(1.0, 1.0 / float(g.abs().sum())) * lr
            else:
                d = (-Hg).to(g.dtype)
                t = lr
            gtd = float(g @ d)
            if gtd > -tol_c or gtd >= 0:
                if H is None or gtd >= 0:  # not a descent direction: restart from steepest descent
                    H = Hg = None
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
            g_new64 = g_new.to(f64)
            s = (d * t).to(f64)
            y = g_new64 - g64
            ys = float(y @ s)
            Hg_new = None if H is None else H @ g_new64  # the one n² product of the iteration
            if ys > 1e-10 * float(y.norm() * s.norm()):
                if H is None:
                    gamma = ys / float(y @ y)
                    H = torch.eye(len(g), dtype=f64, device=g.device) * gamma
                    Hy, Hg_new, scale = y * gamma, g_new64 * gamma, 1.0
                else:
                    Hy = Hg_new - Hg  # = H y
                    scale = 1.0
                    if self_scaling:
                        b = -t * float(g64 @ s) / ys  # sᵀ B s / yᵀ s
                        scale = max(b, 1.0)  # 1/τ with τ = min(1, 1/b)
                        state["last_scale"] = scale
                Hg_new = _update(H, s, y, Hy, scale, g_new64, Hg_new)
            change = abs(loss_new - loss)
            loss, g, g64, Hg = loss_new, g_new, g_new64, Hg_new
            if evals >= max_eval or g.abs().max() <= tol_g:
                break
            if float(s.abs().max()) <= tol_c or change < tol_c:
                break
        state["H"] = H
        return orig_loss


class SSBFGS(BFGS):
    """Self-scaled BFGS: :class:`BFGS` with ``self_scaling=True`` (the ``"ssbfgs"`` optimizer).

    The update that made PINNs reach errors near float64 round-off in
    Urbán, Stefanou & Pons (2025); see the module doc for τ_k and a measurement.
    Same arguments as :class:`BFGS`.

        >>> import torch
        >>> x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        >>> opt = SSBFGS([x], max_iter=200)
        >>> def closure():
        ...     opt.zero_grad()
        ...     f = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        ...     f.backward()
        ...     return f
        >>> _ = opt.step(closure)
        >>> torch.allclose(x.detach(), torch.ones(2, dtype=torch.float64))
        True
    """

    def __init__(self, params: Any, lr: float = 1.0, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 0.0, tolerance_change: float = 0.0, max_params: int = 20000,
                 self_scaling: bool = True, initial_inverse_hessian: torch.Tensor | None = None) -> None:
        super().__init__(params, lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                         tolerance_change=tolerance_change, max_params=max_params, self_scaling=self_scaling,
                         initial_inverse_hessian=initial_inverse_hessian)
