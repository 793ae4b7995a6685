r"""The PINN objective: the lecture's composite loss, minimised by the one training loop.

.. math::

    L(\theta) = \lambda_{pde}\,\frac1{N_f}\sum_i \|\mathcal N[u_\theta](x_i)\|^2
              + \sum_k \lambda_k\,\frac1{N_k}\sum_j r_k(x_j)^2

where the second sum runs over the conditions (boundary, initial, and the data
term L_data).  :class:`PINNObjective` implements the
:class:`~physnn.train.objectives.Objective` interface, so
:func:`physnn.train.fit` trains a PINN exactly as it trains a classifier:
callbacks, NaN guard, checkpoints and resume all apply.

Loss weights λ are fixed (``weights={"pde": 1, "initial": 10}``) or adaptive
(``adaptive="relobralo"``: Relative Loss Balancing with Random Lookback,
Bischof & Kraus 2021, which rescales the terms from their loss ratios at no
extra gradient cost).  Collocation points can be resampled every few epochs
and refined where the residual is largest (RAR, Lu et al. 2021).

Causal weighting (Wang, Sankaran & Perdikaris 2022, "Respecting causality is
all you need for training physics-informed neural networks"), for problems
with a time coordinate ``t``: the collocation points are binned into
:math:`M` equal time slices with mean squared residuals :math:`L_1 … L_M`,
and the PDE term becomes

.. math::

    L_{pde} = \frac1M \sum_{i=1}^M w_i L_i, \qquad
    w_i = \exp\Big(-\varepsilon \sum_{k<i} L_k\Big)\ \text{(not differentiated)},

so a later slice only counts once the earlier ones are solved
(``causal=ε``, ``causal_bins=M``; the weight of the last slice is logged as
``causal_min_weight``: training has reached the final time when it nears 1).
The weights change with the losses, so the objective is not one fixed
function: fine for Adam (as in the paper), fatal for L-BFGS's line search
(measured on Burgers: every L-BFGS step failed at once).  :func:`solve`
therefore applies them in the Adam stage only (``causal_active``) and lets
L-BFGS minimise the plain residual.

Logged after every epoch: ``pinn_loss`` (the weighted loss at the weights
the epoch ends with — the value that decides the best epoch), ``loss_pde``,
``loss_<condition>`` (unweighted mean squares, last step), ``lambda_<term>`` when adaptive, ``l2_error`` (and
``l2_error_<output>``) against the problem's reference solution, and
``coef_<name>`` for learned coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.pinn.operators import Derivatives
from physnn.train.objectives import Objective

__all__ = ["PINNObjective", "RAR"]

_METHODS = ["random", "uniform", "lhs", "sobol"]


class RAR:
    """Residual-based adaptive refinement: every ``every`` epochs, add the ``add``
    points with the largest PDE residual among ``candidates`` random points."""

    def __init__(self, *, every: int = 10, add: int = 50, candidates: int = 10000, max_points: int = 20000) -> None:
        self.every = check_int("every", every, low=1, owner="RAR")
        self.add = check_int("add", add, low=1, owner="RAR")
        self.candidates = check_int("candidates", candidates, low=1, owner="RAR")
        self.max_points = check_int("max_points", max_points, low=1, owner="RAR")


def _term_names(problem: Any) -> list[str]:
    names = ["pde"]
    seen: dict[str, int] = {}
    for c in problem.conditions:
        base = c.name or c.kind
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 and sum((d.name or d.kind) == base for d in problem.conditions) == 1
                     else f"{base}{seen[base]}")
    return names


class PINNObjective(Objective):
    """Minimise the weighted sum of PDE and condition residuals of ``problem``.

    Parameters
    ----------
    problem : Problem
    n_domain : int
        Collocation points inside the domain.
    n_boundary : int
        Points per boundary/initial condition (a condition's own ``n`` wins).
    method : {"random", "uniform", "lhs", "sobol"}
        How collocation points are drawn.
    weights : dict, optional
        Fixed λ per term name: ``"pde"`` and each condition's ``name``/kind
        (``"dirichlet"``, ``"initial"``, ``"data"``…); default 1 (or the
        condition's own ``weight``).
    adaptive : {None, "relobralo"}
        Adaptive loss balancing on top of the fixed weights.
    steps_per_epoch : int
        Optimizer steps per epoch (the loop logs once per epoch).
    resample_every : int, optional
        Draw fresh collocation points every this many epochs.
    rar : RAR, optional
        Residual-based adaptive refinement.
    causal : float, optional
        ε of causal weighting over time slices (needs a coordinate named
        ``"t"``); ``None`` (default) weights all points alike.
    causal_bins : int
        M, the number of time slices for ``causal`` (default 32).
    reference_points : int
        Points of a regular grid for the ``l2_error`` against the reference.
    seed : int
        Seeds the collocation points (independent of the training seed).
    """

    def __init__(
        self,
        problem: Any,
        *,
        n_domain: int = 2000,
        n_boundary: int = 200,
        method: str = "sobol",
        weights: dict[str, float] | None = None,
        adaptive: str | None = None,
        steps_per_epoch: int = 1,
        resample_every: int | None = None,
        rar: RAR | None = None,
        causal: float | None = None,
        causal_bins: int = 32,
        reference_points: int = 10000,
        reference_x: Any = None,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self.problem = problem
        self.n_domain = check_int("n_domain", n_domain, low=1, owner="PINNObjective")
        self.n_boundary = check_int("n_boundary", n_boundary, low=1, owner="PINNObjective")
        self.method = check_choice("method", method, _METHODS, owner="PINNObjective")
        self.steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1, owner="PINNObjective")
        self.resample_every = None if resample_every is None else check_int(
            "resample_every", resample_every, low=1, owner="PINNObjective")
        self.adaptive = None if adaptive is None else check_choice(
            "adaptive", adaptive, ["relobralo"], owner="PINNObjective")
        self.rar = rar
        self.causal = None if causal is None else check_range(
            "causal", causal, low=0.0, low_inclusive=False, owner="PINNObjective")
        self.causal_bins = check_int("causal_bins", causal_bins, low=1, owner="PINNObjective")
        if self.causal is not None and "t" not in problem.names:
            raise PhysnnError(
                f"PINNObjective: causal weighting needs a time coordinate named 't'; the problem "
                f"{getattr(problem, 'name', '')!r} has coordinates {tuple(problem.names)}. Use causal=None."
            )
        self._causal_min = float("nan")
        #: causal weights in use; solve() turns them off for L-BFGS, whose line search needs a fixed objective
        self.causal_active = self.causal is not None
        self.dtype = dtype
        self.seed = seed
        self.terms = _term_names(problem)
        base = {t: 1.0 for t in self.terms}
        for t, c in zip(self.terms[1:], problem.conditions):
            base[t] = c.weight
        for k, v in (weights or {}).items():
            check_choice("weights key", k, self.terms, owner="PINNObjective")
            base[k] = check_range(f"weights[{k!r}]", v, low=0.0, owner="PINNObjective")
        self.base_weights = base
        self.lambdas = {t: 1.0 for t in self.terms}  # adaptive multipliers
        self._relo = {"init": None, "prev": None, "alpha": 0.999, "T": 0.1, "rho": 0.999}
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = 0
        self._last: dict[str, float] = {}
        self._ref_x = reference_x
        self._ref_n = check_int("reference_points", reference_points, low=1, owner="PINNObjective")
        self.points: dict[str, torch.Tensor] = {}
        self._sample_all()
        self._prepare_reference()

    # -- points -----------------------------------------------------------------
    def _sample_domain(self) -> torch.Tensor:
        return self.problem.geometry.sample_interior(
            self.n_domain, method=self.method, generator=self.generator, dtype=self.dtype)

    def _sample_all(self) -> None:
        self.points["pde"] = self._sample_domain()
        for t, c in zip(self.terms[1:], self.problem.conditions):
            n = c.n or self.n_boundary
            x = c.sample(self.problem.geometry, n, method=self.method, generator=self.generator, dtype=self.dtype)
            if not torch.isfinite(x).all():
                raise PhysnnError(f"PINNObjective: the points of condition {t!r} hold NaN or Inf.")
            self.points[t] = x

    def _prepare_reference(self) -> None:
        self.ref_x = self.ref_u = None
        if self.problem.reference is None:
            return
        if self._ref_x is not None:
            x = torch.as_tensor(np.asarray(self._ref_x), dtype=self.dtype)
        else:
            x = self.problem.geometry.uniform_grid(self._ref_n, dtype=self.dtype) if _has_dtype(
                self.problem.geometry.uniform_grid) else self.problem.geometry.uniform_grid(self._ref_n).to(self.dtype)
        u = np.asarray(self.problem.reference(x.double().numpy()), dtype=np.float64)
        if u.ndim == 1:
            u = u[:, None]
        if u.shape != (x.shape[0], self.problem.n_out):
            raise PhysnnError(
                f"the reference of {self.problem.name!r} returned shape {u.shape} for {x.shape[0]} points; "
                f"expected ({x.shape[0]}, {self.problem.n_out})."
            )
        self.ref_x, self.ref_u = x, torch.as_tensor(u)

    def to_dtype(self, dtype: torch.dtype) -> None:
        """Move the collocation, condition and reference points to ``dtype``.

        Used to continue a float32 run in float64 when float32 round-off stalls
        the optimizer (the points are the same numbers, only held more exactly).
        """
        self.dtype = dtype
        self.points = {k: v.to(dtype) for k, v in self.points.items()}
        if self.ref_x is not None:
            self.ref_x = self.ref_x.to(dtype)

    # -- Objective interface ----------------------------------------------------------
    def log_keys(self) -> list[str]:
        keys = ["pinn_loss"] + [f"loss_{t}" for t in self.terms]
        if self.adaptive:
            keys += [f"lambda_{t}" for t in self.terms]
        if self.causal is not None:
            keys.append("causal_min_weight")
        if self.ref_u is not None:
            keys.append("l2_error")
            if self.problem.n_out > 1:
                keys += [f"l2_error_{n}" for n in self.problem.output_names]
        keys += [f"coef_{k}" for k in self.problem.trainable]
        return keys

    def setup(self, model: nn.Module, device: torch.device, rank: int = 0, world: int = 1) -> None:
        self.device = device
        self.rank, self.world = rank, world
        self.points = {k: v.to(device) for k, v in self.points.items()}
        if self.ref_x is not None:
            self.ref_x = self.ref_x.to(device)
        p = next(iter(model.parameters()), None)
        if p is not None and p.dtype != self.dtype:
            raise PhysnnError(
                f"PINNObjective: the model is {p.dtype} but the points are {self.dtype}; "
                f"use model.to({self.dtype}) or PINNObjective(..., dtype={p.dtype})."
            )
        self.coefficients = getattr(model, "coefficients", None)
        if self.coefficients is None and self.problem.parameters:
            raise PhysnnError(
                "PINNObjective: the problem has coefficients but the model does not carry them; "
                "wrap the network: PINNModel(net, problem)."
            )
        with torch.no_grad():
            out = model(self.points["pde"][:2])
        if out.ndim != 2 or out.shape[1] != self.problem.n_out:
            raise PhysnnError(
                f"PINNObjective: the model gives output shape {tuple(out.shape)} but the problem "
                f"{self.problem.name!r} has n_out={self.problem.n_out}."
            )

    def batches(self, generator: torch.Generator) -> Iterator[dict[str, torch.Tensor]]:
        if self.epoch > 0:
            if self.resample_every and self.epoch % self.resample_every == 0:
                self.points["pde"] = self._sample_domain().to(self.device)
        self.epoch += 1
        # under DDP each rank takes the points rank::world of every set (all ranks hold the same seeded
        # points); DDP averages the gradients and loss() averages the terms, so a step is the full step
        # (up to one point of uneven shards)
        pts = self.points if self.world <= 1 else {k: v[self.rank :: self.world] for k, v in self.points.items()}
        for _ in range(self.steps_per_epoch):
            yield pts

    def batch_size_of(self, batch: Any) -> int:
        return 1

    def _terms(self, model: nn.Module, points: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pr = self.problem
        x = points["pde"].detach().requires_grad_(True)
        out = model(x)
        d = Derivatives(x, pr.names)
        rs = pr.pde_residuals(x, out, d, self.coefficients)
        if not self.causal_active:
            losses = {"pde": sum((r**2).mean() for r in rs)}
        else:
            losses = {"pde": self._causal_pde(x, sum((r**2).sum(dim=1) for r in rs))}
        for t, c in zip(self.terms[1:], pr.conditions):
            xc = points[t]
            if c.needs_grad:
                xc = xc.detach().requires_grad_(True)
                oc = model(xc)
                dc = Derivatives(xc, pr.names)
            else:
                oc, dc = model(xc), None
            losses[t] = (c.residual(xc, oc, dc, model) ** 2).mean()
        return losses

    def _causal_pde(self, x: torch.Tensor, r2: torch.Tensor) -> torch.Tensor:
        """Σ_i w_i L_i / M over time slices, w_i = exp(−ε Σ_{k<i} L_k) held constant (see the module doc)."""
        t = x[:, self.problem.names.index("t")].detach()
        lo, hi = float(t.min()), float(t.max())
        m = self.causal_bins
        idx = ((t - lo) / max(hi - lo, 1e-30) * m).long().clamp_(0, m - 1)
        sums = torch.zeros(m, dtype=r2.dtype, device=r2.device).index_add(0, idx, r2)
        counts = torch.bincount(idx, minlength=m).to(r2.dtype)
        per_slice = sums / counts.clamp(min=1.0)
        with torch.no_grad():
            before = torch.cumsum(per_slice.detach(), 0) - per_slice.detach()
            w = torch.exp(-self.causal * before)
            w = w * (counts > 0)
        self._causal_min = float(w[counts > 0][-1]) if bool((counts > 0).any()) else float("nan")
        return (w * per_slice).sum() / (counts > 0).sum().clamp(min=1)

    def loss(self, model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        losses = self._terms(model, batch)
        vals = {t: float(v.detach()) for t, v in losses.items()}
        if self.world > 1:  # the terms of the whole point sets: adaptive weights stay equal on every rank
            from physnn.train.distributed import all_reduce_sum

            vals = dict(zip(vals, (v / self.world for v in all_reduce_sum(list(vals.values()), self.device))))
        if self.adaptive == "relobralo" and all(math.isfinite(v) for v in vals.values()):
            self._relobralo(vals)
        self._last = vals
        return sum(self.base_weights[t] * self.lambdas[t] * losses[t] for t in self.terms)

    def _relobralo(self, vals: dict[str, float]) -> None:
        """λ ← α(ρ λ + (1−ρ) λ_bal(t, t−1)) + (1−α) λ_bal(t, 0), λ_bal = m·softmax(L(t)/(T L(t')))."""
        st = self._relo
        tiny = 1e-30
        cur = np.array([vals[t] for t in self.terms])
        if st["init"] is None:
            st["init"], st["prev"] = cur.copy(), cur.copy()
            return
        m, T = len(cur), st["T"]

        def bal(ref: np.ndarray) -> np.ndarray:
            z = cur / (T * np.maximum(ref, tiny))
            z = z - z.max()
            e = np.exp(z)
            return m * e / e.sum()

        rho = float(torch.rand((), generator=self.generator) < st["rho"])
        lam = np.array([self.lambdas[t] for t in self.terms])
        hist = rho * lam + (1 - rho) * bal(st["prev"])
        new = st["alpha"] * hist + (1 - st["alpha"]) * bal(st["init"])
        self.lambdas = {t: float(v) for t, v in zip(self.terms, new)}
        st["prev"] = cur

    def current_loss(self, model: nn.Module) -> float:
        """The weighted loss at the model's current weights (the end of an epoch)."""
        losses = self._terms(model, self.points)
        return float(sum(self.base_weights[t] * self.lambdas[t] * float(losses[t].detach()) for t in self.terms))

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        logs = {"pinn_loss": self.current_loss(model)}
        logs.update({f"loss_{t}": self._last.get(t, float("nan")) for t in self.terms})
        if self.adaptive:
            logs.update({f"lambda_{t}": self.lambdas[t] for t in self.terms})
        if self.causal is not None:
            logs["causal_min_weight"] = self._causal_min if self.causal_active else float("nan")
        if self.ref_u is not None:
            logs.update(self.errors(model))
        if self.coefficients is not None:
            for k in self.problem.trainable:
                logs[f"coef_{k}"] = float(getattr(self.coefficients, k).detach())
        if self.rar is not None and self.epoch % self.rar.every == 0:
            self._refine(model)
        return logs

    @torch.no_grad()
    def predict(self, model: nn.Module, x: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
        was = model.training
        model.eval()
        try:
            return torch.cat([model(x[i : i + chunk]) for i in range(0, x.shape[0], chunk)])
        finally:
            model.train(was)

    def errors(self, model: nn.Module) -> dict[str, float]:
        """Relative L2 error ‖u − u_ref‖ / ‖u_ref‖ on the reference points (all outputs, and each)."""
        u = self.predict(model, self.ref_x).double().cpu()
        ref = self.ref_u
        out = {"l2_error": float(torch.linalg.norm(u - ref) / torch.linalg.norm(ref))}
        if self.problem.n_out > 1:
            for i, n in enumerate(self.problem.output_names):
                out[f"l2_error_{n}"] = float(torch.linalg.norm(u[:, i] - ref[:, i]) / torch.linalg.norm(ref[:, i]))
        return out

    def residual_norm(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """``|N[u](x)|`` per point (summed over equations) — where the PDE is violated."""
        x = x.detach().requires_grad_(True)
        out = model(x)
        d = Derivatives(x, self.problem.names)
        rs = self.problem.pde_residuals(x, out, d, self.coefficients)
        return sum(r.detach().abs().sum(dim=1) for r in rs)

    def _refine(self, model: nn.Module) -> None:
        rar = self.rar
        if self.points["pde"].shape[0] >= rar.max_points:
            return
        cand = self.problem.geometry.sample_interior(
            rar.candidates, method="random", generator=self.generator, dtype=self.dtype).to(self.device)
        res = self.residual_norm(model, cand)
        k = min(rar.add, rar.max_points - self.points["pde"].shape[0])
        top = torch.topk(res, k).indices
        self.points["pde"] = torch.cat([self.points["pde"], cand[top].detach()])


def _has_dtype(fn: Any) -> bool:
    import inspect

    try:
        return "dtype" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False
