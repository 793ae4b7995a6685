"""The one training loop: data → model → objective → optimizer → history.

Everything physnn trains goes through :func:`fit`: the lecture's regression
loop, classifiers, and (in later modules) PINNs and autoencoders, which only
supply a different :class:`~physnn.train.objectives.Objective`.

Each epoch, for each mini-batch *B* drawn by the objective::

    L_B = objective.loss(model, B)          # e.g. mean (y - ŷ)² over B
    w  ← w − η ∇_w L_B                      # via the chosen optimizer

then ``objective.evaluate`` gives validation numbers, the learning-rate
schedule steps, the history records the epoch and the callbacks decide whether
to stop.  A NaN or Inf loss stops the run at once and restores the best
weights seen so far.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.train.best import BestTracker
from physnn.train.callbacks import Callback, PrintLogger, ProgressBar, check_monitor
from physnn.train.distributed import DistInfo, all_reduce_sum, init_distributed
from physnn.train.history import FitResult, History, LazyMetrics, StopReason
from physnn.train.objectives import Objective, Supervised

__all__ = ["fit", "TrainState", "resolve_device", "PRECISIONS"]

#: fit's precisions: float32 throughout, or bfloat16 autocast of the forward pass and loss
PRECISIONS = ("32", "bf16")


def resolve_device(device: str | torch.device | None, *, owner: str = "fit") -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"`` → a usable device (a clear error otherwise).

        >>> resolve_device("auto").type in ("cpu", "cuda")
        True
    """
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise PhysnnError(
            f"{owner}: 'device' must be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'; got {device!r}."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise PhysnnError(f"{owner}: device {str(device)!r} was asked for but CUDA is not available here; "
                          "use --device cpu (or auto).")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise PhysnnError(f"{owner}: device {str(device)!r} does not exist: this machine has "
                          f"{torch.cuda.device_count()} CUDA device(s).")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise PhysnnError(f"{owner}: device 'mps' was asked for but is not available here; use device='cpu'.")
    return dev


@dataclass
class TrainState:
    """What callbacks see: the model, optimizer, history, the best epoch, and how to stop.

    ``model`` is what the loop trains (wrapped in DDP under ``torchrun``), ``raw_model`` the user's
    module; ``best`` is the loop's :class:`~physnn.train.best.BestTracker` of ``monitor`` (its value,
    epoch and weights); ``stop_reason`` a :class:`~physnn.train.history.StopReason`.
    """

    model: nn.Module
    raw_model: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Any
    objective: Objective
    history: History
    generator: torch.Generator
    callbacks: list[Callback]
    epochs: int
    dist: DistInfo
    log_keys: list[str]
    monitor: str
    mode: str
    seed: int
    best: BestTracker = field(init=False)
    epoch_start: int = 0
    epoch: int = -1
    should_stop: bool = False
    stop_reason: StopReason = StopReason.COMPLETED
    message: str = ""
    restored_epoch: int | None = None

    def __post_init__(self) -> None:
        self.best = BestTracker(self.monitor, self.mode)

    # the best epoch, by the names callbacks of earlier versions used
    @property
    def best_value(self) -> float | None:
        return self.best.value

    @property
    def best_epoch(self) -> int | None:
        return self.best.epoch

    @property
    def best_state(self) -> dict[str, torch.Tensor] | None:
        return self.best.weights

    @property
    def is_main(self) -> bool:
        return self.dist.is_main

    def request_stop(self, reason: StopReason | str, message: str) -> None:
        """Ask the loop to stop after this epoch (``reason``: a :class:`StopReason` or its value)."""
        self.should_stop = True
        try:
            self.stop_reason = StopReason(reason)
        except ValueError:  # a user callback's own reason
            self.stop_reason = StopReason.CALLBACK
        self.message = message

    def improves(self, value: float) -> bool:
        return self.best.improves(value)

    def training_state(self) -> dict[str, Any]:
        """Everything a resumed run needs, as tensors and plain values."""
        return {
            "format": "physnn-checkpoint-1",
            "epoch": self.epoch,
            "model": {k: v.detach().cpu().clone() for k, v in self.raw_model.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "history": self.history.as_dict(),
            "callbacks": [
                {"type": type(cb).__name__, "state": cb.state_dict()} for cb in self.callbacks
            ],
            "best_value": self.best.value,
            "best_epoch": self.best.epoch,
            "best_state": self.best.weights,
        }

    def load_training_state(self, st: dict[str, Any]) -> None:
        if not isinstance(st, dict) or st.get("format") != "physnn-checkpoint-1":
            raise PhysnnError("fit: the resume file is not a physnn checkpoint (format key missing).")
        self.raw_model.load_state_dict(st["model"])
        self.optimizer.load_state_dict(st["optimizer"])
        self.schedule.load_state_dict(st["schedule"])
        self.generator.set_state(st["generator"])
        torch.set_rng_state(st["torch_rng"])
        self.history = History.from_dict(st["history"])
        saved = st.get("callbacks", [])
        for cb in self.callbacks:
            for entry in saved:
                if entry["type"] == type(cb).__name__:
                    cb.load_state_dict(entry["state"])
                    saved = [e for e in saved if e is not entry]
                    break
        self.best.load_state_dict({"value": st.get("best_value"), "epoch": st.get("best_epoch"),
                                   "weights": st.get("best_state")})
        self.epoch_start = int(st["epoch"]) + 1
        self.epoch = int(st["epoch"])


def _choose_threads(threads: int | str | None, model: nn.Module) -> int | None:
    if threads is None:
        return None
    if isinstance(threads, str):
        check_choice("threads", threads, ["auto"], owner="fit")
        n_params = sum(p.numel() for p in model.parameters())
        # Small networks: thread hand-offs cost more than they save (measured:
        # one thread is fastest for MLPs under ~1M parameters on these CPUs).
        return 1 if n_params < 1_000_000 else None
    return check_int("threads", threads, low=1, owner="fit")


def fit(
    model: nn.Module,
    data: Any = None,
    *,
    val: Any = None,
    objective: Objective | None = None,
    loss: str | nn.Module = "mse",
    optimizer: Any = "adam",
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
    optimizer_options: dict[str, Any] | None = None,
    params: Any = None,
    epochs: int = 100,
    batch_size: int | None = 32,
    metrics: Sequence[str] | None = None,
    schedule: Any = "none",
    schedule_options: dict[str, Any] | None = None,
    grad_clip: float | None = None,
    callbacks: Sequence[Callback] = (),
    monitor: str | None = None,
    mode: str = "min",
    seed: int = 0,
    log_every: int | None = None,
    progress: bool | None = None,
    device: str | torch.device = "cpu",
    threads: int | str | None = "auto",
    resume: Any = None,
    precision: str = "32",
) -> FitResult:
    """Train ``model``; return its :class:`~physnn.train.history.FitResult` (a History, the best weights, the optimizer).

    Parameters
    ----------
    model : nn.Module
        Any PyTorch module; trained in place.
    data, val : ArrayData or (X, y)
        Training and validation data for supervised learning (``X``: (N, d)).
        Leave ``data`` out when passing ``objective``.
    objective : Objective, optional
        What to minimise (a PINN, an autoencoder, …); defaults to
        ``Supervised(data, val, loss=loss, batch_size=batch_size, metrics=metrics)``.
    loss : str
        ``mse``, ``mae``, ``huber``, ``bce`` (model outputs probabilities),
        ``bce_with_logits`` or ``cross_entropy`` (model outputs logits).
    optimizer : str, OptimizerSpec or callable
        ``sgd`` (with ``momentum``, ``nesterov``), ``adam`` (fused where the
        build has it), ``adamw``, ``rmsprop`` or ``lbfgs`` (the loop supplies
        the closure; use ``batch_size=None``); or the whole setting in one value,
        :class:`~physnn.train.optimizers.OptimizerSpec` (then ``lr``,
        ``weight_decay``, ``momentum``, ``nesterov``, ``optimizer_options`` stay
        unset); or a factory ``params -> torch.optim.Optimizer``.
    lr : float > 0
        The learning rate η of ``w ← w − η ∂L/∂w``.
    weight_decay : float >= 0
        L2 penalty λ (``adamw``: decoupled decay).
    params : iterable or list of dict, optional
        What to optimise: parameters or optimizer parameter groups (each with
        its own ``lr``…); default all trainable parameters of ``model``.
    epochs : int >= 1
    batch_size : int or None
        Mini-batch size; ``None`` = full batch (the lecture's loops).
    schedule : str or ScheduleSpec
        ``none``, ``step``, ``cosine`` or ``plateau`` (reduce on plateau of
        ``monitor``), with ``schedule_options`` passed on; or a
        :class:`~physnn.train.schedules.ScheduleSpec` holding both.
    grad_clip : float, optional
        Clip the global gradient norm to this value.
    callbacks : list of Callback
        E.g. ``EarlyStopping``, ``Checkpoint``, ``CSVLogger``.
    monitor, mode : str
        The value that defines the best epoch (default ``val_loss`` when there
        is validation data, else ``loss``) and whether lower is better.
    seed : int
        Seeds the batch order and the global torch RNG (dropout), so a CPU
        run is repeatable bit for bit.  Model initialisation is the caller's:
        seed before building the model.
    log_every : int, optional
        Print ``Epoch N: Loss = …`` every ``log_every`` epochs (from epoch 0).
    progress : bool, optional
        A progress bar; default: only when stderr is a terminal.
    device : str
        ``cpu``, ``cuda``, ``auto``…
    threads : "auto", int or None
        torch CPU threads during the fit (restored after). ``"auto"`` uses one
        thread for models under 1M parameters — fastest for small networks —
        and leaves torch's setting otherwise; ``None`` never touches it.
    resume : path, optional
        A ``checkpoint.pt`` written by :class:`~physnn.train.callbacks.Checkpoint`;
        training continues from the epoch after it, with the same result as an
        uninterrupted run.
    precision : "32" or "bf16"
        ``"bf16"``: mixed precision — each step's forward pass and loss run under
        ``torch.autocast(dtype=torch.bfloat16)`` (matrix products in bfloat16, 8 bits
        of mantissa; reductions and the loss kept in float32 by autocast), while the
        weights, gradients and optimizer state stay float32; validation runs in float32.
        Fast on recent GPUs (and CPUs with AMX); refused with a quasi-Newton optimizer
        (``lbfgs``), whose line search needs exact losses.

    Returns
    -------
    FitResult
        A :class:`~physnn.train.history.History` — per-epoch ``loss``, ``val_loss``,
        ``val_<metric>``, ``lr``, ``time``; ``stop_reason``, ``message``, ``best_epoch``,
        ``final`` metrics — with ``best_weights`` (a copy of the weights at ``best_epoch``)
        and ``optimizer`` (with its state, to continue from).

    Example
    -------
        >>> import torch
        >>> from physnn.nn import MLP
        >>> _ = torch.manual_seed(0)
        >>> X = torch.rand(256, 1) * 2 - 1; y = X ** 2
        >>> h = fit(MLP(1, [16], 1, activation="tanh"), (X, y), loss="mse",
        ...         lr=1e-2, epochs=200, batch_size=64, seed=0)
        >>> h["loss"][-1] < 0.05 * h["loss"][0]
        True
        >>> h.stop_reason.value, h.epochs_run
        ('completed', 200)
    """
    t0 = time.perf_counter()
    if not isinstance(model, nn.Module):
        raise PhysnnError(f"fit: 'model' must be a torch.nn.Module; got {type(model).__name__}.")
    epochs = check_int("epochs", epochs, low=1, owner="fit")
    seed = check_int("seed", seed, low=0, owner="fit")
    mode = check_choice("mode", mode, ["min", "max"], owner="fit")
    if grad_clip is not None:
        grad_clip = check_range("grad_clip", grad_clip, low=0.0, low_inclusive=False, owner="fit")
    if log_every is not None:
        log_every = check_int("log_every", log_every, low=1, owner="fit")
    dev = resolve_device(device)

    if objective is None:
        if data is None:
            raise PhysnnError("fit: pass training data (data=(X, y) or an ArrayData) or an objective=.")
        objective = Supervised(data, val, loss=loss, batch_size=batch_size, metrics=metrics)
    elif data is not None or val is not None:
        raise PhysnnError("fit: pass either data/val or objective=, not both (the objective holds its data).")

    n_threads = _choose_threads(threads, model)
    old_threads = torch.get_num_threads()
    if n_threads is not None and n_threads != old_threads:
        torch.set_num_threads(n_threads)

    opt_spec = _optimizer_spec(optimizer, lr=lr, weight_decay=weight_decay, momentum=momentum,
                               nesterov=nesterov, options=optimizer_options)
    sched_spec = _schedule_spec(schedule, schedule_options)
    precision = check_choice("precision", str(precision), list(PRECISIONS), owner="fit")
    run = _RunSettings(epochs=epochs, params=params, grad_clip=grad_clip, callbacks=list(callbacks),
                       monitor=monitor, mode=mode, seed=seed, log_every=log_every, progress=progress, resume=resume,
                       precision=precision)
    try:
        return _run(model, objective, dev, t0, opt_spec, sched_spec, run)
    finally:
        if torch.get_num_threads() != old_threads:
            torch.set_num_threads(old_threads)


@dataclass
class _RunSettings:
    """fit's loop settings, checked, in one value."""

    epochs: int
    params: Any
    grad_clip: float | None
    callbacks: list[Callback]
    monitor: str | None
    mode: str
    seed: int
    log_every: int | None
    progress: bool | None
    resume: Any
    precision: str = "32"


def _optimizer_spec(optimizer: Any, *, lr: float, weight_decay: float, momentum: float, nesterov: bool,
                    options: dict[str, Any] | None) -> Any:
    """``optimizer`` as something with ``build(params)``: an OptimizerSpec, or the user's factory."""
    from physnn.train.optimizers import OptimizerSpec

    if isinstance(optimizer, str):
        return OptimizerSpec(optimizer, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                             options=dict(options or {}))
    flat = {"lr": (lr, 1e-3), "weight_decay": (weight_decay, 0.0), "momentum": (momentum, 0.0),
            "nesterov": (nesterov, False), "optimizer_options": (options or None, None)}
    given = [k for k, (v, default) in flat.items() if v != default]
    if given:
        raise PhysnnError(f"fit: {', '.join(given)} given beside optimizer={optimizer!r}; set them in the "
                          "OptimizerSpec (or the factory) instead, in one place.")
    if isinstance(optimizer, OptimizerSpec):
        return optimizer
    if callable(optimizer):  # a factory: params -> torch.optim.Optimizer
        return _Factory(optimizer)
    raise PhysnnError(f"fit: 'optimizer' must be a name such as 'adam', an OptimizerSpec or a function "
                      f"params -> torch.optim.Optimizer; got {type(optimizer).__name__}.")


@dataclass(frozen=True)
class _Factory:
    make: Any

    def build(self, params: Any) -> torch.optim.Optimizer:
        opt = self.make(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise PhysnnError(f"fit: the optimizer factory returned {type(opt).__name__}, not a torch.optim.Optimizer.")
        return opt


def _schedule_spec(schedule: Any, options: dict[str, Any] | None) -> Any:
    from physnn.train.schedules import ScheduleSpec

    if isinstance(schedule, ScheduleSpec):
        if options:
            raise PhysnnError("fit: schedule_options given beside a ScheduleSpec; put them in the spec.")
        return schedule
    if isinstance(schedule, str):
        return ScheduleSpec(schedule, dict(options or {}))
    raise PhysnnError(f"fit: 'schedule' must be a name such as 'cosine' or a ScheduleSpec; got "
                      f"{type(schedule).__name__}.")


def _run(model: nn.Module, objective: Objective, dev: torch.device, t0: float, opt_spec: Any, sched_spec: Any,
         run: _RunSettings) -> FitResult:
    from physnn.train.optimizers import fast_stepper, needs_closure

    epochs, grad_clip, cbs, monitor, mode, seed = run.epochs, run.grad_clip, run.callbacks, run.monitor, run.mode, \
        run.seed
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    dist = init_distributed(dev)

    model.to(dev)
    objective.setup(model, dev, dist.rank, dist.world)
    train_model: nn.Module = model
    if dist.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        train_model = DDP(model, device_ids=[dev.index] if dev.type == "cuda" else None)

    params = run.params if run.params is not None else [p for p in model.parameters() if p.requires_grad]
    opt = opt_spec.build(params)
    closure_needed = needs_closure(opt)
    if run.precision == "bf16" and closure_needed:
        raise PhysnnError("fit: precision='bf16' cannot be used with a quasi-Newton optimizer (lbfgs): its line "
                          "search compares losses that bfloat16 rounds; train it in precision='32'.")
    autocast = (lambda: torch.autocast(device_type=dev.type, dtype=torch.bfloat16)) if run.precision == "bf16" \
        else contextlib.nullcontext
    fast = None if (closure_needed or dist.enabled) else fast_stepper(opt)
    sched = sched_spec.build(opt, epochs=epochs)

    log_keys = ["loss", *objective.log_keys()]
    if monitor is None:
        monitor = "val_loss" if "val_loss" in log_keys else "loss"
    check_monitor(monitor, log_keys, owner="fit")

    if run.log_every is not None and not any(isinstance(c, PrintLogger) for c in cbs):
        cbs.append(PrintLogger(run.log_every))
    if run.progress is not False and not any(isinstance(c, ProgressBar) for c in cbs):
        cbs.append(ProgressBar(enabled=run.progress))

    state = TrainState(
        model=train_model, raw_model=model, optimizer=opt, schedule=sched, objective=objective,
        history=History(monitor=monitor, mode=mode), generator=generator, callbacks=cbs,
        epochs=epochs, dist=dist, log_keys=log_keys, monitor=monitor, mode=mode, seed=seed,
    )
    if run.resume is not None:
        from physnn.train.checkpoint import load_state

        state.load_training_state(load_state(run.resume))
        if state.epoch_start >= epochs:
            state.request_stop(StopReason.COMPLETED, f"Nothing to resume: the checkpoint already has {state.epoch_start} of {epochs} epochs.")
    initial_state = copy.deepcopy(model.state_dict())

    for cb in cbs:
        cb.on_fit_start(state)

    def restore_best(why: str) -> str:
        if state.best.weights is not None:
            model.load_state_dict(state.best.weights)
            state.restored_epoch = state.best.epoch
            return f"restored the weights of epoch {state.best.epoch} (best {monitor} {state.best.value:.6g})"
        model.load_state_dict(initial_state)
        return "no epoch had finished, so the weights were reset to their values before this fit"

    try:
        for epoch in range(state.epoch_start, epochs):
            if state.should_stop:
                break
            state.epoch = epoch
            train_model.train()
            total = 0.0
            count = 0
            bad_batch = None
            for b, batch in enumerate(objective.batches(generator)):
                if closure_needed:
                    def closure(batch=batch):
                        opt.zero_grad(set_to_none=True)
                        lval = objective.loss(train_model, batch)
                        if dist.enabled:  # the line search compares the loss of all ranks' shards, the same everywhere
                            seen = lval.detach().clone()
                            torch.distributed.all_reduce(seen)
                            seen = seen / dist.world
                        else:
                            seen = lval
                        if torch.isfinite(seen):
                            lval.backward()
                            if grad_clip is not None:
                                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                        return seen.detach() if dist.enabled else lval
                    lval = opt.step(closure)  # LBFGS returns the first evaluation's loss
                    lv = float(lval.detach())
                    if not math.isfinite(lv):
                        bad_batch = b
                        break
                else:
                    with autocast():
                        lval = objective.loss(train_model, batch)
                    lv = lval.item()
                    if not math.isfinite(lv):
                        bad_batch = b
                        break
                    if fast is not None:
                        fast.zero_grad()
                    else:
                        opt.zero_grad(set_to_none=True)
                    lval.backward()
                    if grad_clip is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
                    if fast is not None:
                        fast.step()
                    else:
                        opt.step()
                n = objective.batch_size_of(batch)
                total += lv * n
                count += n
            if bad_batch is None and not all(math.isfinite(p.detach().sum().item()) for p in model.parameters()):
                bad_batch = -1
            if bad_batch is not None:
                where = "after the last step" if bad_batch < 0 else f"batch {bad_batch}"
                lr_now = opt.param_groups[0]["lr"]
                state.request_stop(
                    StopReason.NAN_LOSS,
                    f"Training diverged: the loss became NaN/Inf at epoch {epoch}, {where}; "
                    f"{restore_best('nan')}. Lower the learning rate (lr={lr_now:g}) or set grad_clip.",
                )
                break
            tot, cnt = all_reduce_sum([float(total), float(count)], dev) if dist.enabled else (float(total), float(count))
            logs: dict[str, float] = {"epoch": epoch, "loss": tot / max(cnt, 1.0)}
            logs.update(objective.evaluate(model))
            logs["lr"] = float(opt.param_groups[0]["lr"])
            logs["time"] = time.perf_counter() - t0
            value = float(logs.get(monitor, float("nan")))
            state.best.update(value, epoch, model)
            sched.step(value if math.isfinite(value) else None)
            state.history.append(logs)
            for cb in cbs:
                cb.on_epoch_end(state, logs)
    except KeyboardInterrupt:
        state.request_stop(StopReason.INTERRUPTED, f"Interrupted at epoch {state.epoch}; {restore_best('interrupt')}.")

    if not state.message:
        state.message = f"Finished {epochs} epoch{'s' if epochs != 1 else ''}" + (
            f"; best {monitor} {state.best.value:.6g} at epoch {state.best.epoch}." if state.best.epoch is not None else "."
        )
    for cb in cbs:
        cb.on_fit_end(state)
    h = state.history
    h.stop_reason = state.stop_reason
    h.message = state.message
    last_epoch = h.records[-1]["epoch"] if h.records else None
    if state.restored_epoch is not None and state.restored_epoch != last_epoch and "restored" not in h.message:
        h.message += f" Restored the weights of epoch {state.restored_epoch}."
    for cb in cbs:
        if isinstance(cb, PrintLogger):
            cb.print_message(state, h.message)
    if isinstance(objective, Supervised):
        h.final = LazyMetrics(_final_metrics(objective, model))
    h.wall_time = time.perf_counter() - t0
    return FitResult.of(h, best_weights=state.best.weights, optimizer=opt)


def _final_metrics(objective: Supervised, model: nn.Module) -> Any:
    """The end-of-fit metrics on train and validation data, to be computed when first read — with the
    weights the fit ended with, even if the model has been changed since."""
    ended = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def compute() -> dict[str, float]:
        now = {k: v.detach().clone() for k, v in model.state_dict().items()}
        where = next((p.device for p in model.parameters()), objective.X.device)
        model.to(objective.X.device)  # the model may have been moved since (e.g. .cpu() to save it)
        model.load_state_dict(ended)
        try:
            return objective.final_metrics(model)
        except PhysnnError:
            return {}
        finally:
            model.load_state_dict(now)
            model.to(where)

    return compute
