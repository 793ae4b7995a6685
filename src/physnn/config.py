"""Experiment files: a TOML document, validated by pydantic, that fully describes a run.

A complete example (every key optional except where noted; defaults shown)::

    name = "simplenet"            # the run directory: runs/<name>
    seed = 0                      # split, batch order, dropout and weight init

    [data]
    source = "toy:simplenet"      # a built-in set ("toy:<name>") or a file path
    features = []                 # columns to use (empty: all but the target)
    target = "y"                  # target column(s); a list for several
    tree = ""                     # ROOT files: the TTree (empty: the only one)
    val = 0.2                     # validation fraction
    test = 0.0                    # test fraction (reported once, at the end)
    stratify = false              # keep class proportions in each part
    standardize = true            # z-score inputs, fitted on the training part only
    stream = false                # Parquet/ROOT larger than memory: read in chunks (split by chunk)
    chunk_rows = 262144           # streaming: ROOT entries per chunk (Parquet: its row groups)
    buffer_chunks = 4             # streaming: chunks mixed in one shuffle buffer
    workers = 0                   # streaming: DataLoader processes reading chunks beside training
    sample_rows = 1000000         # streaming: rows the standardization is fitted on (0 = all)
    [data.options]                # keyword arguments for a toy set, e.g. n = 2000

    [model]
    kind = "mlp"                  # "mlp" or "simplenet" (the lecture's 10-64-32-1)
    hidden = [64, 32]
    activation = "relu"           # or a list, one per hidden layer
    dropout = 0.0                 # or a list
    out_activation = "identity"   # "sigmoid" with loss = "bce"

    [train]
    loss = "mse"                  # mse, mae, huber, bce, bce_with_logits, cross_entropy
    optimizer = "adam"            # sgd, adam, adamw, rmsprop, lbfgs
    lr = 0.001
    weight_decay = 0.0
    momentum = 0.0
    epochs = 200
    batch_size = 32               # 0 = full batch
    schedule = "none"             # none, step, cosine, plateau
    grad_clip = 0.0               # 0 = off
    metrics = []                  # empty: the defaults for the loss
    log_every = 0                 # print "Epoch N: Loss = ..." every N epochs (0 = off)
    device = "cpu"                # cpu, cuda, cuda:N, auto (a GPU when there is one)
    precision = "32"              # "bf16": bfloat16 autocast of forward and loss (weights stay float32)

    [early_stopping]
    enabled = false
    monitor = "val_loss"
    patience = 20
    min_delta = 0.0
    mode = "min"
    restore_best = true

    [tune]                        # physnn tune only (see physnn.tune)
    metric = "val_loss"           # a logged value: loss, val_loss, val_<metric>
    direction = ""                # minimize / maximize ("" = by the metric)
    pruner = "median"             # median or none
    [tune.params]                 # dotted keys of this file -> a range or choices
    "train.lr" = {low = 1e-4, high = 1e-1, log = true}
    "model.hidden" = {choices = [[16], [32, 32]]}

:func:`load_config` reads and validates a file; every error names the
section, the key, the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from physnn.errors import PhysnnError, check_choice, check_input_file

__all__ = ["ExperimentConfig", "DataConfig", "ModelConfig", "TrainConfig", "EarlyStoppingConfig", "TuneConfig",
           "load_config", "parse_config", "config_to_toml", "builtin_examples"]

from physnn.nn.activations import ACTIVATIONS as _ACTIVATIONS  # noqa: E402  (the registries are the truth)
from physnn.train.losses import LOSSES as _LOSSES  # noqa: E402
from physnn.train.optimizers import OPTIMIZERS as _OPTIMIZERS  # noqa: E402
from physnn.train.schedules import SCHEDULES as _SCHEDULES  # noqa: E402


def _choice(value: Any, allowed: Any) -> str:
    """The shared check_choice, re-raised as the ValueError pydantic expects (it names the field)."""
    try:
        return check_choice("value", value, list(allowed))
    except PhysnnError as exc:
        raise ValueError(str(exc).split(" ", 1)[1]) from None


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(_Section):
    source: str = "toy:simplenet"
    options: dict[str, Any] = Field(default_factory=dict)
    features: list[str] = Field(default_factory=list)
    target: str | list[str] = "y"
    tree: str = ""
    val: float = Field(0.2, ge=0.0, lt=1.0)
    test: float = Field(0.0, ge=0.0, lt=1.0)
    stratify: bool = False
    standardize: bool = True
    # data larger than memory (physnn.data.stream): Parquet row groups / ROOT entry ranges read in chunks
    stream: bool = False
    chunk_rows: int = Field(262_144, ge=1)
    buffer_chunks: int = Field(4, ge=1)
    workers: int = Field(0, ge=0)
    sample_rows: int = Field(1_000_000, ge=0)

    @model_validator(mode="after")
    def _fractions(self) -> "DataConfig":
        if self.val + self.test >= 1.0:
            raise ValueError(f"val + test must be < 1 (some data must remain for training); got {self.val} + {self.test}.")
        return self

    @property
    def targets(self) -> list[str]:
        return [self.target] if isinstance(self.target, str) else list(self.target)


class ModelConfig(_Section):
    kind: Literal["mlp", "simplenet"] = "mlp"
    hidden: list[int] = Field(default_factory=lambda: [64, 32])
    activation: str | list[str] = "relu"
    dropout: float | list[float] = 0.0
    out_activation: str = "identity"

    @field_validator("hidden")
    @classmethod
    def _hidden(cls, v: list[int]) -> list[int]:
        for h in v:
            if h < 1:
                raise ValueError(f"hidden layer sizes must be >= 1; got {v}.")
        return v

    @field_validator("activation")
    @classmethod
    def _act(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            return [_choice(a, _ACTIVATIONS) for a in v]
        return _choice(v, _ACTIVATIONS)

    @field_validator("out_activation")
    @classmethod
    def _out(cls, v: str) -> str:
        return _choice(v, _ACTIVATIONS)

    @field_validator("dropout")
    @classmethod
    def _drop(cls, v: float | list[float]) -> float | list[float]:
        for p in v if isinstance(v, list) else [v]:
            if not 0.0 <= p < 1.0:
                raise ValueError(f"dropout must be in [0, 1); got {p}.")
        return v

    @model_validator(mode="after")
    def _lists(self) -> "ModelConfig":
        for key in ("activation", "dropout"):
            v = getattr(self, key)
            if isinstance(v, list) and len(v) != len(self.hidden):
                raise ValueError(f"{key} has {len(v)} entries but hidden has {len(self.hidden)} layers; give one per hidden layer or a single value.")
        return self


class TrainConfig(_Section):
    loss: str = "mse"
    optimizer: str = "adam"
    lr: float = Field(1e-3, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    nesterov: bool = False
    epochs: int = Field(200, ge=1)
    batch_size: int = Field(32, ge=0)
    schedule: str = "none"
    grad_clip: float = Field(0.0, ge=0.0)
    metrics: list[str] = Field(default_factory=list)
    log_every: int = Field(0, ge=0)
    threads: int = Field(0, ge=0)
    device: str = "cpu"
    precision: Literal["32", "bf16"] = "32"

    @field_validator("loss")
    @classmethod
    def _loss(cls, v: str) -> str:
        return _choice(v, _LOSSES)

    @field_validator("optimizer")
    @classmethod
    def _opt(cls, v: str) -> str:
        return _choice(v, _OPTIMIZERS)

    @field_validator("schedule")
    @classmethod
    def _sched(cls, v: str) -> str:
        return _choice(v, _SCHEDULES)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, v: list[str]) -> list[str]:
        from physnn.train.metrics import METRICS

        return [_choice(m, list(METRICS)) for m in v]


class EarlyStoppingConfig(_Section):
    enabled: bool = False
    monitor: str = "val_loss"
    patience: int = Field(20, ge=1)
    min_delta: float = Field(0.0, ge=0.0)
    mode: Literal["min", "max"] = "min"
    restore_best: bool = True


class TuneConfig(_Section):
    """``[tune]``: the search space and objective of ``physnn tune`` (checked in :mod:`physnn.tune`).

    ``params`` maps a dotted key of the experiment to a range ``{low, high, log, step}`` (floats,
    or ints when both ends are integers) or to ``{choices = [...]}``.
    """

    metric: str = "val_loss"
    direction: Literal["", "minimize", "maximize"] = ""
    pruner: Literal["median", "none"] = "median"
    startup_trials: int = Field(5, ge=0)
    warmup_epochs: int = Field(0, ge=0)
    sampler: Literal["tpe", "random"] = "tpe"
    params: dict[str, Any] = Field(default_factory=dict)


class ExperimentConfig(_Section):
    name: str = "run"
    seed: int = Field(0, ge=0)
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)
    tune: TuneConfig | None = None  # physnn tune only; physnn train ignores it

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", v):
            raise ValueError(f"must be letters, digits, '_', '-' or '.' (it names a directory); got {v!r}.")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "ExperimentConfig":
        if self.model.kind == "simplenet" and self.train.loss not in ("mse", "mae", "huber", "bce_with_logits"):
            raise ValueError("model.kind = 'simplenet' has one linear output; use loss 'mse', 'mae', 'huber' or 'bce_with_logits'.")
        if self.train.loss == "bce" and self.model.out_activation != "sigmoid":
            raise ValueError("loss = 'bce' expects probabilities: set [model] out_activation = 'sigmoid', or use loss = 'bce_with_logits' with out_activation = 'identity'.")
        if self.train.loss in ("bce_with_logits", "cross_entropy") and self.model.out_activation != "identity":
            raise ValueError(f"loss = {self.train.loss!r} takes logits: set [model] out_activation = 'identity'.")
        if self.early_stopping.enabled and self.early_stopping.monitor.startswith("val_") and self.data.val == 0:
            raise ValueError("early_stopping monitors a validation value but [data] val = 0; set val > 0 or monitor 'loss'.")
        return self


def _format_error(err: ValidationError, origin: str) -> str:
    e = err.errors()[0]
    loc = [str(p) for p in e["loc"]]
    if len(loc) >= 2:
        where = f"[{loc[0]}] {'.'.join(loc[1:])}"
    elif loc:
        where = loc[0]
    else:
        where = "config"
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        section = ExperimentConfig
        for part in loc[:-1]:
            fld = section.model_fields.get(part)
            ann = fld.annotation if fld is not None else None
            if ann is not None and not isinstance(ann, type):  # an optional section: TuneConfig | None
                import typing

                ann = next((t for t in typing.get_args(ann) if isinstance(t, type) and issubclass(t, BaseModel)), None)
            section = ann if isinstance(ann, type) else section
        allowed = ", ".join(section.model_fields) if hasattr(section, "model_fields") else ""
        msg = f"unknown key; allowed keys here: {allowed}"
    got = e.get("input")
    got_s = "" if e["type"] in ("extra_forbidden", "value_error") or isinstance(got, dict) else f"; got {got!r}"
    more = len(err.errors()) - 1
    tail = f" ({more} more problem{'s' if more > 1 else ''} after fixing this one)" if more else ""
    return f"{origin}: {where}: {msg}{got_s}{tail}"


def parse_config(data: dict[str, Any], *, origin: str = "config") -> ExperimentConfig:
    """Validate a config dict; errors name the section, key, value and what is allowed.

        >>> parse_config({"train": {"lr": -1}})
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: config: [train] lr: Input should be greater than 0; got -1
    """
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise PhysnnError(_format_error(err, origin)) from None


def builtin_examples() -> dict[str, Path]:
    """Example configs shipped inside the package: name → path."""
    d = Path(__file__).with_name("examples")
    return {p.stem: p for p in sorted(d.glob("*.toml"))}


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate a TOML experiment file (or a built-in example by name).

    The file must be UTF-8 TOML with a ``[data]`` table naming its ``source``:
    an empty file, or one without the data it trains on, is a mistake, not a
    request for the defaults.

        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty.toml"
        >>> _ = p.write_text("# nothing yet\\n")
        >>> load_config(p)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: .../empty.toml: the experiment file has no [data] table (it holds no keys at all); ...
    """
    p = Path(path)
    if not p.exists() and p.suffix == "" and str(path) in builtin_examples():
        p = builtin_examples()[str(path)]
    elif not p.exists():
        names = ", ".join(builtin_examples())
        raise PhysnnError(
            f"config {str(path)!r} does not exist; give a TOML file path or a built-in example ({names})."
        )
    example = "physnn train simplenet"
    p = check_input_file(p, "text", what="config",
                         hint=f"Give an experiment TOML file (see the built-in examples: 'physnn examples', '{example}').")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PhysnnError(f"{p}: not a UTF-8 text file (byte {exc.start} is not UTF-8); "
                          "an experiment file is TOML text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise PhysnnError(f"{p}: not valid TOML ({exc}).") from None
    data_table = data.get("data")
    if not isinstance(data_table, dict) or "source" not in data_table:
        where = "no [data] table" if data_table is None else "a [data] table without 'source'"
        keys = ", ".join(data) if data else "no keys at all"
        raise PhysnnError(
            f"{p}: the experiment file has {where} (it holds {keys}); add e.g. "
            f"[data] source = \"toy:moons\" or source = \"events.csv\" with target = \"label\" "
            f"(see 'physnn examples')."
        )
    return parse_config(data, origin=str(p))


def config_to_toml(cfg: ExperimentConfig) -> str:
    """The fully resolved config as TOML text (every default written out)."""
    import tomli_w

    return tomli_w.dumps(cfg.model_dump(mode="json", exclude_none=True))
