"""Solve a PINN problem: Adam, then L-BFGS, both through :func:`physnn.train.fit`.

    >>> from physnn.pinn.problems import poisson1d
    >>> sol = solve(poisson1d(), hidden=[16, 16], adam_steps=500, lbfgs_steps=300, n_domain=64, seed=0)
    >>> sol.errors["l2_error"] < 1e-3
    True
    >>> sorted(sol.histories)
    ['adam', 'lbfgs']

The two stages are two calls of the one training loop: the Adam stage (many
cheap steps; ``steps_per_epoch`` steps per logged epoch), then an L-BFGS
stage started from Adam's weights with a strong-Wolfe line search and no
tolerance-based exit (``tolerance_grad = tolerance_change = 0``), so it runs
the iterations it is given.  If the loss stops improving for
``lbfgs_patience`` epochs the stage ends *and says so* (``stop_reason`` and
``message`` of its History) — never silently.  A NaN loss stops either stage
with the best weights restored.

A loss that still falls, but slowly, can also end the stage: with
``lbfgs_min_decrease=r`` (0, off, by default) the stage stops once the loss
fell by less than the fraction ``r`` over the last ``lbfgs_window`` epochs
(``lbfgs_iters_per_epoch`` iterations each) — the iterations a slow tail
would cost buy little accuracy (measured on Burgers, see
``benchmarks/pinn_burgers.py``).  That stop is not a stall: it does not
start a float64 stage.

The second stage's quasi-Newton method is ``quasi_newton``: ``"lbfgs"``
(default; ``torch.optim.LBFGS``, ``lbfgs_history`` pairs), ``"bfgs"`` or
``"ssbfgs"`` (the dense inverse Hessian of :mod:`physnn.train.bfgs`, plain or
self-scaled; for networks up to a few thousand weights).  Self-scaled BFGS in
float64 (the network may stay float32) is the strongest here: on Burgers it
takes the error from ~2e-3 (L-BFGS, same time) to ~1e-4.  The stage keeps
its method's name in ``histories`` (``"lbfgs"``, ``"bfgs"``, ``"ssbfgs"``);
``lbfgs_steps`` counts its iterations whichever the method.

In float32 the L-BFGS stage often stalls on round-off rather than on the
problem: near a shock the residual is a difference of large, nearly equal
terms, and the line search finds no decrease below a loss of ~1e-5.  With
``lbfgs_float64="on_stall"`` (default) a float32 L-BFGS stage that stalls
before its budget is spent continues in float64 (model, coefficients and
points promoted) for the iterations left, as a third stage
``lbfgs_float64``; ``"always"`` runs the whole L-BFGS stage in float64 (Adam
stays float32), ``"never"`` keeps the model's dtype.  A promoted model is
returned in float64.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from physnn.errors import check_choice, check_int, check_range
from physnn.pinn.objective import PINNObjective, RAR
from physnn.pinn.problem import PINNModel, Problem
from physnn.train.callbacks import Callback

__all__ = ["solve", "PINNSolution", "make_model", "QUASI_NEWTON"]

QUASI_NEWTON = {"lbfgs": "L-BFGS", "bfgs": "BFGS (dense inverse Hessian)", "ssbfgs": "self-scaled BFGS"}
"""The second stage's methods (``solve(quasi_newton=...)``) and their names in reports and figures."""


@dataclass
class PINNSolution:
    """The trained model, its objective and what each stage did."""

    model: PINNModel
    objective: PINNObjective
    histories: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, float] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def messages(self) -> list[str]:
        return [f"{k}: {h.message}" for k, h in self.histories.items()]


def make_model(problem: Problem, *, hidden=(20, 20, 20), activation: str = "tanh", seed: int = 0,
               dtype: torch.dtype = torch.float32) -> PINNModel:
    """An MLP from the problem's coordinates to its outputs, wrapped with the coefficients."""
    from physnn.nn import MLP

    net = MLP(len(problem.names), list(hidden), problem.n_out, activation=activation, seed=seed, init="xavier")
    return PINNModel(net, problem).to(dtype)


def solve(
    problem: Problem,
    *,
    model: PINNModel | None = None,
    hidden=(20, 20, 20),
    activation: str = "tanh",
    n_domain: int = 2000,
    n_boundary: int = 200,
    method: str = "sobol",
    weights: dict[str, float] | None = None,
    adaptive: str | None = None,
    resample_every: int | None = None,
    rar: RAR | None = None,
    causal: float | None = None,
    causal_bins: int = 32,
    adam_steps: int = 5000,
    adam_lr: float = 1e-3,
    coefficient_lr: float | None = None,
    lbfgs_steps: int = 2000,
    lbfgs_iters_per_epoch: int = 50,
    lbfgs_patience: int = 10,
    lbfgs_history: int = 50,
    lbfgs_min_decrease: float = 0.0,
    lbfgs_window: int = 10,
    steps_per_epoch: int = 100,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
    log_every: int | None = None,
    callbacks: tuple = (),
    reference_points: int = 10000,
    reference_x: Any = None,
    lbfgs_float64: str = "on_stall",
    quasi_newton: str = "lbfgs",
    device: str | torch.device = "cpu",
) -> PINNSolution:
    """Train a PINN for ``problem``; return the :class:`PINNSolution`.

    ``adam_steps`` and ``lbfgs_steps`` count optimizer steps (L-BFGS:
    iterations, ``lbfgs_iters_per_epoch`` per logged epoch).  ``seed`` fixes
    the initial weights, the collocation points and the batch order.
    ``quasi_newton`` picks the second stage's method (``"lbfgs"``, ``"bfgs"``,
    ``"ssbfgs"``; see the module doc), ``lbfgs_steps`` its iterations;
    ``lbfgs_history`` is L-BFGS's memory (curvature pairs kept; 50 by default);
    ``lbfgs_min_decrease`` / ``lbfgs_window`` end the stage once its loss fell
    by less than that fraction over that many epochs (0: never; module doc);
    ``causal=ε`` turns on causal weighting of the PDE residual over
    ``causal_bins`` time slices in the Adam stage (see
    :class:`~physnn.pinn.objective.PINNObjective`); the other point and
    weighting options are passed to the objective too. ``device`` (``cpu``, ``cuda``, ``auto``) is
    where both stages train; the returned model and points are on the CPU.
    """
    adam_steps = check_int("adam_steps", adam_steps, low=0, owner="solve")
    # choices are checked before any training, so a typo does not cost the Adam stage
    lbfgs_float64 = check_choice("lbfgs_float64", lbfgs_float64, ["never", "on_stall", "always"], owner="solve")
    quasi_newton = check_choice("quasi_newton", quasi_newton, list(QUASI_NEWTON), owner="solve")
    lbfgs_steps = check_int("lbfgs_steps", lbfgs_steps, low=0, owner="solve")
    check_range("adam_lr", adam_lr, low=0.0, low_inclusive=False, owner="solve")
    check_range("lbfgs_min_decrease", lbfgs_min_decrease, low=0.0, high=1.0, high_inclusive=False, owner="solve")
    lbfgs_window = check_int("lbfgs_window", lbfgs_window, low=1, owner="solve")
    from physnn.train import fit
    from physnn.train.callbacks import EarlyStopping
    from physnn.train.loop import resolve_device

    dev = resolve_device(device, owner="solve")
    if model is None:
        model = make_model(problem, hidden=hidden, activation=activation, seed=seed, dtype=dtype)
    spe = max(1, min(steps_per_epoch, adam_steps or 1))
    obj = PINNObjective(problem, n_domain=n_domain, n_boundary=n_boundary, method=method, weights=weights,
                        adaptive=adaptive, steps_per_epoch=spe, resample_every=resample_every, rar=rar,
                        causal=causal, causal_bins=causal_bins,
                        reference_points=reference_points, reference_x=reference_x, seed=seed, dtype=dtype)
    sol = PINNSolution(model=model, objective=obj)
    if adam_steps:
        t0 = time.perf_counter()
        epochs = max(1, adam_steps // spe)
        sol.histories["adam"] = fit(
            model, objective=obj, optimizer="adam", lr=adam_lr, epochs=epochs, seed=seed,
            params=model.param_groups(adam_lr, coefficient_lr), log_every=log_every,
            callbacks=list(callbacks), progress=False, monitor="pinn_loss", device=dev,
        )
        sol.seconds["adam"] = time.perf_counter() - t0
    if lbfgs_steps and lbfgs_float64 == "always" and dtype != torch.float64:
        model.to(torch.float64)
        obj.to_dtype(torch.float64)
    if lbfgs_steps:
        obj.steps_per_epoch = 1
        obj.causal_active = False  # L-BFGS's line search needs a fixed objective (see PINNObjective)
        k = max(1, min(lbfgs_iters_per_epoch, lbfgs_steps))

        slow = _SlowDecrease(lbfgs_min_decrease, lbfgs_window, k)

        def lbfgs_stage(name: str, iterations: int) -> Any:
            t0 = time.perf_counter()
            stall = EarlyStopping(monitor="pinn_loss", patience=lbfgs_patience, min_delta=0.0, restore_best=True)
            slow.reset()
            sol.histories[name] = fit(
                model, objective=obj, optimizer=quasi_newton, lr=1.0, epochs=max(1, iterations // k), seed=seed,
                optimizer_options=options,
                callbacks=[stall, slow, *callbacks], log_every=log_every, progress=False, monitor="pinn_loss",
                device=dev,
            )
            sol.seconds[name] = time.perf_counter() - t0
            return sol.histories[name]

        options: dict[str, Any] = {"max_iter": k, "max_eval": int(k * 1.25) + 1,
                                   "tolerance_grad": 0.0, "tolerance_change": 0.0}
        if quasi_newton == "lbfgs":
            options["history_size"] = lbfgs_history
        h = lbfgs_stage(quasi_newton, lbfgs_steps)
        left = lbfgs_steps - k * h.epochs_run
        if (lbfgs_float64 == "on_stall" and obj.dtype == torch.float32 and h.stop_reason == "early_stopping"
                and not slow.fired and left >= k):
            model.to(torch.float64)
            obj.to_dtype(torch.float64)
            if quasi_newton != "lbfgs":  # carry the dense H (kept in float64) into the float64 stage
                H = _dense_hessian(h)
                if H is not None:
                    options["initial_inverse_hessian"] = H
            name64 = f"{quasi_newton}_float64"
            h.message += (f" The float32 stage stalled with {left} of {lbfgs_steps} iterations left: continued "
                          f"in float64 from the same weights{' and H' if 'initial_inverse_hessian' in options else ''}"
                          f" as stage '{name64}' ({left} iterations).")
            lbfgs_stage(name64, left)
    for stage in sol.histories.values():  # let go of the optimizers: a dense H holds n_params² numbers
        stage.optimizer = None
    if obj.ref_u is not None:
        sol.errors = obj.errors(model)
    if dev.type != "cpu":
        model.cpu()
        obj.setup(model, torch.device("cpu"))
    sol.coefficients = model.coefficients.values()
    return sol


def _dense_hessian(result: Any) -> torch.Tensor | None:
    """The dense inverse Hessian H of a finished quasi-Newton stage (None for L-BFGS)."""
    opt = result.optimizer
    if opt is None:
        return None
    for st in opt.state.values():
        if isinstance(st, dict) and st.get("H") is not None:
            return st["H"]
    return None


class _SlowDecrease(Callback):
    """Ends a quasi-Newton stage once its loss fell by less than ``min_decrease`` over ``window`` epochs.

    ``update`` is the rule alone: fed one epoch's loss at a time, it answers whether to stop — when
    ``loss > (1 − min_decrease) · loss[window epochs earlier]`` or the loss did not fall at all;
    ``min_decrease = 0`` never stops.

        >>> rule = _SlowDecrease(0.5, 2, iterations_per_epoch=25)
        >>> [rule.update(v) for v in [1.0, 0.4, 0.3, 0.2, 0.16]]   # 0.16 > 0.5 · 0.3: fell less than half
        [False, False, False, False, True]
    """

    def __init__(self, min_decrease: float, window: int, iterations_per_epoch: int) -> None:
        self.min_decrease = float(min_decrease)
        self.window = int(window)
        self.iterations = int(iterations_per_epoch)
        self.reset()

    def reset(self) -> None:
        self.losses: list[float] = []
        self.fired = False

    def update(self, loss: float) -> bool:
        """Record one epoch's loss; True when the stage should stop."""
        self.losses.append(float(loss))
        if self.min_decrease <= 0.0 or len(self.losses) <= self.window:
            return False
        then, now = self.losses[-1 - self.window], self.losses[-1]
        return now >= then or now > (1.0 - self.min_decrease) * then

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        if state.should_stop or not self.update(logs["pinn_loss"]):
            return
        self.fired = True
        then, now = self.losses[-1 - self.window], self.losses[-1]
        fell = 100.0 * (1.0 - now / then) if then > 0 else 0.0
        state.request_stop(
            "early_stopping",
            f"Stopped at epoch {state.epoch}: pinn_loss fell by {fell:.1f}% over the last {self.window} epochs "
            f"({self.window * self.iterations} iterations), less than lbfgs_min_decrease={self.min_decrease:g}; "
            f"more iterations would buy little.",
        )
