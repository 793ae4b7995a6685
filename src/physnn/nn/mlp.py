r"""Multilayer perceptrons from a spec, the lecture's ``SimpleNet``, and configs.

Each layer :math:`l` of an MLP computes the lecture's forward pass

.. math:: a^{(l)} = f\big(W^{(l)} a^{(l-1)} + b^{(l)}\big),

so a network is fully described by its layer sizes, written as a *spec*
string ``"n_in-h1-...-n_out"`` (``"10-64-32-1"`` is the lecture's
``SimpleNet``), its activation, dropout and output activation.

* :class:`MLP` builds that network as an ``nn.Sequential``;
* :func:`parse_spec` reads a spec string;
* :class:`SimpleNet` is the lecture's class, verbatim;
* :func:`model_config` / :func:`build_model` turn a model into a JSON-able
  dict and back, so a run on disk can rebuild its model before loading the
  weights.
"""

from __future__ import annotations

import copy
import numbers
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from physnn.errors import PhysnnError, check_choice, check_int, check_range
from physnn.nn.activations import activation_name, get_activation, init_gain_kind

__all__ = ["MLP", "SimpleNet", "parse_spec", "build_model", "model_config", "INITS"]

#: The named weight initialisations of :class:`MLP` (a callable is accepted too).
INITS: tuple[str, ...] = ("auto", "xavier", "kaiming", "torch")

_SPEC_RE = re.compile(r"\s*\d+(\s*-\s*\d+)+\s*")


def parse_spec(spec: str) -> list[int]:
    """Read a layer-size spec ``"n_in-h1-...-n_out"`` into a list of ints.

    At least two sizes (input and output), each a positive integer,
    separated by ``-``.

        >>> parse_spec("10-64-32-1")
        [10, 64, 32, 1]
        >>> parse_spec("10--3")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: parse_spec: 'spec' must look like 'n_in-h1-...-n_out' with positive integer layer sizes, e.g. '10-64-32-1' (or '4-1' for no hidden layer); got '10--3'.
    """
    bad = PhysnnError(
        "parse_spec: 'spec' must look like 'n_in-h1-...-n_out' with positive integer "
        f"layer sizes, e.g. '10-64-32-1' (or '4-1' for no hidden layer); got {spec!r}."
    )
    if not isinstance(spec, str) or not _SPEC_RE.fullmatch(spec):
        raise bad
    sizes = [int(part) for part in spec.split("-")]
    if min(sizes) < 1:
        raise bad
    return sizes


def _as_list(value: Any) -> list[Any]:
    """``value`` as a list; a non-iterable becomes ``[value]`` (each entry is validated later)."""
    try:
        return list(value)
    except TypeError:
        return [value]


def _per_layer(name: str, value: Any, n_hidden: int) -> tuple[list[Any], bool]:
    """Broadcast a single value to ``n_hidden`` layers, or check a per-layer list's length."""
    if isinstance(value, (list, tuple)):
        if len(value) != n_hidden:
            raise PhysnnError(
                f"MLP: {name!r} is a per-layer list of {len(value)} entries but 'hidden' has "
                f"{n_hidden} layers; give one entry per hidden layer or a single value for all."
            )
        return list(value), True
    return [value] * n_hidden, False


def _init_linear(linear: nn.Linear, init: Any, follows: Any) -> None:
    """Initialise one Linear layer; ``follows`` is the activation applied to its output."""
    if isinstance(init, str) and init == "torch":
        return
    with torch.no_grad():
        if callable(init):
            init(linear.weight)
        else:
            kind = init
            name = activation_name(follows) if follows is not None else "identity"
            if init == "auto":
                if name is None:  # an unknown activation module: keep PyTorch's default
                    return
                kind = init_gain_kind(name)
            if kind == "kaiming":
                if name == "leaky_relu":
                    slope = follows.negative_slope if isinstance(follows, nn.LeakyReLU) else 0.01
                    nn.init.kaiming_uniform_(linear.weight, a=slope, nonlinearity="leaky_relu")
                else:
                    nn.init.kaiming_uniform_(linear.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(linear.weight)
        if linear.bias is not None:
            linear.bias.zero_()


class MLP(nn.Sequential):
    r"""A multilayer perceptron built from its layer sizes.

    Every hidden size ``h`` adds ``Linear(previous, h)``, the activation and,
    if its dropout ``p > 0``, ``Dropout(p)``; then ``Linear(previous, n_out)``
    and the output activation, if any.  Exactly (``nn.Sequential`` indices 0, 1, ...):

    * ``MLP(4, [], 1)``: ``Linear(4, 1)`` — a linear / logistic-regression model;
    * ``MLP(4, [], 1, out_activation="sigmoid")``: ``Linear(4, 1), Sigmoid``;
    * ``MLP(10, [64, 32], 1)``, the same as ``MLP.from_spec("10-64-32-1")``:
      ``Linear(10, 64), ReLU, Linear(64, 32), ReLU, Linear(32, 1)``;
    * ``MLP(2, [8, 8], 3, activation=["tanh", "relu"], dropout=[0.1, 0.0])``:
      ``Linear(2, 8), Tanh, Dropout(0.1), Linear(8, 8), ReLU, Linear(8, 3)``.

    The output has no activation by default: it gives logits (classification,
    with ``BCEWithLogitsLoss`` / ``CrossEntropyLoss``) or values (regression).

    Args:
        n_in: input features.
        hidden: hidden layer sizes, e.g. ``[64, 32]``; empty for no hidden
            layer; a single int ``h`` means ``[h]``.
        n_out: outputs.
        activation: a name from :data:`~physnn.nn.activations.ACTIVATIONS`
            (or an ``nn.Module``) for every hidden layer, or a list with one
            per hidden layer.
        dropout: dropout probability in ``[0, 1)`` after every hidden
            activation, or a list with one per hidden layer; ``0`` adds no
            ``Dropout`` module.
        out_activation: ``None`` or ``"identity"`` for none, else a name.
        init: the weight initialisation, biases set to zero:

            * ``"auto"``: each Linear by the activation that follows it
              (:func:`~physnn.nn.activations.init_gain_kind`):
              Xavier-uniform :math:`\mathcal U(\pm\sqrt{6/(n_{in}+n_{out})})`
              for sigmoid, tanh, softplus, identity and the output layer
              without activation; Kaiming-uniform (He)
              :math:`\mathcal U(\pm\sqrt{6/n_{in}})` for the ReLU family;
              an activation module without a name keeps PyTorch's default;
            * ``"xavier"`` / ``"kaiming"``: that one for every Linear;
            * ``"torch"``: PyTorch's default, untouched (biases not zero);
            * a callable ``init(weight) -> None`` changing each Linear's
              weight in place (under ``torch.no_grad``).
        bias: Linear layers learn a bias.
        seed: if given, the initial weights come from this seed (the global
            torch random state is left as it was); ``None`` uses the global
            state.

    Shape: input ``(N, n_in)`` (or ``(N, *, n_in)``), output ``(N, n_out)``.

    The configuration is kept as attributes (``n_in``, ``hidden`` as a tuple,
    ``n_out``, ``activation``, ``dropout``, ``out_activation``, ``init``,
    ``bias``, ``seed``); :attr:`spec` and :meth:`config` describe the network.

        >>> model = MLP.from_spec("10-64-32-1")
        >>> model
        MLP(
          (0): Linear(in_features=10, out_features=64, bias=True)
          (1): ReLU()
          (2): Linear(in_features=64, out_features=32, bias=True)
          (3): ReLU()
          (4): Linear(in_features=32, out_features=1, bias=True)
        )
        >>> model.spec, sum(p.numel() for p in model.parameters())
        ('10-64-32-1', 2817)
        >>> [type(m).__name__ for m in MLP(2, [8, 8], 3, activation=["tanh", "relu"], dropout=[0.1, 0.0])]
        ['Linear', 'Tanh', 'Dropout', 'Linear', 'ReLU', 'Linear']
        >>> MLP(4, [], 1, out_activation="sigmoid")
        MLP(
          (0): Linear(in_features=4, out_features=1, bias=True)
          (1): Sigmoid()
        )
    """

    def __init__(
        self,
        n_in: int,
        hidden: Sequence[int] | int,
        n_out: int,
        *,
        activation: Any = "relu",
        dropout: float | Sequence[float] = 0.0,
        out_activation: str | nn.Module | None = None,
        init: str | Callable[[torch.Tensor], None] = "auto",
        bias: bool = True,
        seed: int | None = None,
    ) -> None:
        n_in = check_int("n_in", n_in, low=1, owner="MLP")
        n_out = check_int("n_out", n_out, low=1, owner="MLP")
        if isinstance(hidden, str):
            raise PhysnnError(
                f"MLP: 'hidden' must be a list of layer sizes such as [64, 32]; got {hidden!r}. "
                "For a spec string use MLP.from_spec('10-64-32-1')."
            )
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else _as_list(hidden)
        sizes = tuple(check_int(f"hidden[{i}]", h, low=1, owner="MLP") for i, h in enumerate(hidden))

        acts, acts_per_layer = _per_layer("activation", activation, len(sizes))
        if not acts_per_layer:
            get_activation(activation)  # validate the name even when there is no hidden layer
        act_modules = [_fresh_activation(a) for a in acts]
        if isinstance(dropout, (list, tuple)):
            drops, _ = _per_layer("dropout", dropout, len(sizes))
            drops = [check_range(f"dropout[{i}]", p, low=0.0, high=1.0, high_inclusive=False, owner="MLP")
                     for i, p in enumerate(drops)]
            dropout_attr: float | tuple[float, ...] = tuple(drops)
        else:
            dropout_attr = check_range("dropout", dropout, low=0.0, high=1.0,
                                       high_inclusive=False, owner="MLP")
            drops = [dropout_attr] * len(sizes)
        if out_activation is None or activation_name(out_activation) == "identity":
            out_module = None
        else:
            out_module = _fresh_activation(out_activation)
        if not callable(init):
            init = check_choice("init", init, INITS, owner="MLP")
        if seed is not None:
            seed = check_int("seed", seed, low=0, owner="MLP")

        def build() -> list[nn.Module]:
            layers: list[nn.Module] = []
            prev = n_in
            for h, act, p in zip(sizes, act_modules, drops):
                linear = nn.Linear(prev, h, bias=bool(bias))
                _init_linear(linear, init, act)
                layers += [linear, act]
                if p > 0:
                    layers.append(nn.Dropout(p))
                prev = h
            linear = nn.Linear(prev, n_out, bias=bool(bias))
            _init_linear(linear, init, out_module)
            layers.append(linear)
            if out_module is not None:
                layers.append(out_module)
            return layers

        if seed is None:
            layers = build()
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                layers = build()
        super().__init__(*layers)

        def _named(a: Any) -> Any:
            return activation_name(a) or a

        self.n_in = n_in
        self.hidden = sizes
        self.n_out = n_out
        self.dropout = dropout_attr
        # plain attributes, never registered as submodules (an activation module
        # stored here would otherwise become an extra layer of the Sequential)
        object.__setattr__(self, "activation",
                           tuple(_named(a) for a in acts) if acts_per_layer else _named(activation))
        object.__setattr__(self, "out_activation", None if out_module is None else _named(out_activation))
        self.init = init
        self.bias = bool(bias)
        self.seed = seed

    def __getitem__(self, idx: int | slice) -> nn.Module:
        """``model[i]`` is layer ``i``; a slice ``model[:-1]`` is a plain ``nn.Sequential``
        of those layers (shared, not copied), e.g. to read a hidden representation."""
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    @property
    def spec(self) -> str:
        """The layer sizes as a spec string, e.g. ``"10-64-32-1"`` (see :func:`parse_spec`)."""
        return "-".join(str(n) for n in (self.n_in, *self.hidden, self.n_out))

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> MLP:
        """Build from a spec string: ``MLP.from_spec("10-64-32-1", dropout=0.1)``.

            >>> MLP.from_spec("3-5-2", activation="tanh").hidden
            (5,)
        """
        sizes = parse_spec(spec)
        return cls(sizes[0], sizes[1:-1], sizes[-1], **kwargs)

    def config(self) -> dict[str, Any]:
        """A JSON-able dict of the constructor arguments, so ``MLP(**model.config())`` rebuilds it.

        A callable ``init`` cannot be written down and is left out (the
        architecture is complete without it; load the weights after).
        Activations given as modules without a registry name cannot be
        recorded and raise an error.

            >>> MLP(10, [64, 32], 1, dropout=0.1).config()
            {'n_in': 10, 'hidden': [64, 32], 'n_out': 1, 'activation': 'relu', 'dropout': 0.1, 'out_activation': None, 'bias': True, 'init': 'auto', 'seed': None}
        """
        acts = self.activation if isinstance(self.activation, tuple) else (self.activation,)
        for a in (*acts, self.out_activation):
            if a is not None and not isinstance(a, str):
                raise PhysnnError(
                    f"MLP.config: activation {a!r} has no name in physnn's registry, so the "
                    "model cannot be saved by config; use one of the names in "
                    "physnn.nn.ACTIVATIONS, or save and rebuild the model in code."
                )
        cfg: dict[str, Any] = {
            "n_in": self.n_in,
            "hidden": list(self.hidden),
            "n_out": self.n_out,
            "activation": list(self.activation) if isinstance(self.activation, tuple) else self.activation,
            "dropout": list(self.dropout) if isinstance(self.dropout, tuple) else self.dropout,
            "out_activation": self.out_activation,
            "bias": self.bias,
        }
        if isinstance(self.init, str):
            cfg["init"] = self.init
        cfg["seed"] = self.seed
        return cfg


def _fresh_activation(activation: Any) -> nn.Module:
    """A module of its own for one layer: a copy of a given instance, else a new one."""
    if isinstance(activation, nn.Module):
        return copy.deepcopy(activation)
    return get_activation(activation)


class SimpleNet(nn.Module):
    r"""The lecture's example network, exactly as written there.

    Three fully connected layers with ReLU in between, for regression or
    binary classification (one output, no output activation):

    ======  ===============  ======================  ===========
    layer   sizes            parameters              count
    ======  ===============  ======================  ===========
    input   10 → 64          10·64 + 64              704
    hidden  64 → 32          64·32 + 32              2,080
    output  32 → 1           32·1 + 1                33
    total                                            **2,817**
    ======  ===============  ======================  ===========

    Weights keep PyTorch's default initialisation, as in the lecture.  It is
    the same network as ``MLP.from_spec("10-64-32-1", init="torch")`` (whose
    parameter names lack the ``layers.`` prefix).

    Shape: input ``(N, 10)``, output ``(N, 1)``.

        >>> model = SimpleNet()
        >>> print(model)
        SimpleNet(
          (layers): Sequential(
            (0): Linear(in_features=10, out_features=64, bias=True)
            (1): ReLU()
            (2): Linear(in_features=64, out_features=32, bias=True)
            (3): ReLU()
            (4): Linear(in_features=32, out_features=1, bias=True)
          )
        )
        >>> print(f'Total parameters: {sum(p.numel() for p in model.parameters())}')
        Total parameters: 2817
        >>> model(torch.zeros(5, 10)).shape
        torch.Size([5, 1])
    """

    n_in = 10
    n_out = 1

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(10, 64),  # Input: 10 features
            nn.ReLU(),
            nn.Linear(64, 32),  # Hidden layer 1
            nn.ReLU(),
            nn.Linear(32, 1),  # Output: 1 prediction
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def config(self) -> dict[str, Any]:
        """SimpleNet has no arguments: ``{}``."""
        return {}


_KINDS = {"mlp": MLP, "simplenet": SimpleNet}
_MLP_KEYS = ("n_in", "hidden", "n_out", "activation", "dropout", "out_activation", "init", "bias", "seed")


def model_config(model: nn.Module) -> dict[str, Any]:
    """The JSON-able config of ``model`` with its ``"kind"``; :func:`build_model` is the inverse.

        >>> model_config(MLP(2, [4], 1, activation="tanh"))["activation"]
        'tanh'
        >>> model_config(SimpleNet())
        {'kind': 'simplenet'}
    """
    for kind, cls in _KINDS.items():
        if type(model) is cls:
            return {"kind": kind, **model.config()}
    raise PhysnnError(
        f"model_config: only MLP and SimpleNet can be saved by config; got {type(model).__name__}. "
        "Save the weights and rebuild such a model in code before loading them."
    )


def build_model(config: Mapping[str, Any]) -> nn.Module:
    """Rebuild a model from its config: ``{"kind": "mlp", **MLP config}`` or ``{"kind": "simplenet"}``.

    Used by a run on disk to recreate the network before loading its weights.

        >>> build_model({"kind": "mlp", "n_in": 10, "hidden": [64, 32], "n_out": 1}).spec
        '10-64-32-1'
        >>> build_model({"kind": "mlp", "n_in": 2, "hiden": [4], "n_out": 1})
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: build_model: 'key of an mlp config' must be one of 'kind', 'n_in', 'hidden', 'n_out', 'activation', 'dropout', 'out_activation', 'init', 'bias', 'seed'; got 'hiden'. Did you mean 'hidden'?
    """
    if not isinstance(config, Mapping):
        raise PhysnnError(
            f"build_model: 'config' must be a dict such as {{'kind': 'mlp', 'n_in': 10, "
            f"'hidden': [64, 32], 'n_out': 1}}; got {type(config).__name__}."
        )
    kind = check_choice("kind", config.get("kind"), tuple(_KINDS), owner="build_model")
    allowed = ("kind", *_MLP_KEYS) if kind == "mlp" else ("kind",)
    what = "key of an mlp config" if kind == "mlp" else "key of a simplenet config"
    rest = {}
    for key, value in config.items():
        key = check_choice(what, key, allowed, owner="build_model")
        if key != "kind":
            rest[key] = value
    if kind == "simplenet":
        return SimpleNet()
    for key in ("n_in", "hidden", "n_out"):
        if key not in rest:
            raise PhysnnError(
                f"build_model: an mlp config needs 'n_in', 'hidden' and 'n_out'; {key!r} is missing."
            )
    return MLP(**rest)
