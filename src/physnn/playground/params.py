"""The playground's state: every setting, its default and what is allowed.

The whole state lives in the page's URL hash with TensorFlow Playground's own
keys (``dataset``, ``networkShape``, ``learningRate`` ...), so a link to TF
Playground opens the same experiment here; physnn adds keys of its own for
what TF Playground never had (``loss``, ``optimizer``, ``dropout``,
``activations`` per layer, ``schedule``, ``earlyStopping`` ...).  The hash is
parsed here, on the server, so the page and the tests share one truth:

    >>> p, notes = parse_state({"dataset": "xor", "networkShape": "8,8", "learningRate": "0.03"})
    >>> p["dataset"], p["networkShape"], p["learningRate"], notes
    ('xor', [8, 8], 0.03, [])
    >>> p, notes = parse_state({"activation": "swish", "noise": "75"})
    >>> p["activation"], p["noise"], len(notes)
    ('tanh', 0, 2)

An unknown key or a bad value never fails: the default is used and a note
that names the key, the value and what is allowed goes back to the page.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "DEFAULTS",
    "CLASSIFY_DATASETS",
    "REGRESS_DATASETS",
    "LEARNING_RATES",
    "REGULARIZATION_RATES",
    "MAX_LAYERS",
    "MAX_NEURONS",
    "FEATURES",
    "parse_state",
    "encode_state",
    "RESET_KEYS",
    "RESTART_KEYS",
    "LIVE_KEYS",
    "DATA_KEYS",
]

#: TF Playground's classification sets, then physnn's (the lecture's four XOR points,
#: top vs QCD jets, three Gaussian blobs for softmax, the user's own data).
CLASSIFY_DATASETS = ("circle", "xor", "gauss", "spiral", "xor4", "jets", "blobs", "custom")
#: TF Playground's regression sets, then the lecture's noisy polynomial.
REGRESS_DATASETS = ("reg-plane", "reg-gauss", "polynomial", "custom-reg")
#: TF Playground's learning-rate list.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: TF Playground's regularization-rate list.
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS = 10
MAX_NEURONS = 64
#: The input features, by their TF Playground key.
FEATURES = ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")

DEFAULTS: dict[str, Any] = {
    # TF Playground's keys and defaults
    "dataset": "circle",
    "regDataset": "reg-plane",
    "problem": "classification",
    "learningRate": 0.03,
    "regularization": "none",
    "regularizationRate": 0.0,
    "noise": 0,
    "networkShape": [4, 2],
    "seed": "0.50000",
    "showTestData": False,
    "discretize": False,
    "percTrainData": 50,
    "x": True,
    "y": True,
    "xTimesY": False,
    "xSquared": False,
    "ySquared": False,
    "sinX": False,
    "sinY": False,
    "batchSize": 10,
    "activation": "tanh",
    "initZero": False,
    "collectStats": False,
    "hideText": False,
    # physnn's own keys
    "loss": "mse",               # mse (TF Playground: tanh output, labels ±1) or cross_entropy (softmax)
    "optimizer": "sgd",          # sgd, momentum (0.9), adam
    "dropout": 0.0,              # after every hidden layer
    "activations": [],           # one per hidden layer (empty: `activation` everywhere)
    "schedule": "none",          # none, step (halve every 100 epochs), cosine (over `epochs`)
    "epochs": 0,                 # stop after this many epochs (0: never)
    "earlyStopping": False,      # stop when the test loss has not improved for `patience` epochs
    "patience": 50,
}

_BOOLS = ("showTestData", "discretize", *FEATURES, "initZero", "collectStats", "hideText", "earlyStopping")
_CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": CLASSIFY_DATASETS,
    "regDataset": REGRESS_DATASETS,
    "problem": ("classification", "regression"),
    "regularization": ("none", "L1", "L2"),
    "activation": ACTIVATIONS,
    "loss": ("mse", "cross_entropy"),
    "optimizer": ("sgd", "momentum", "adam"),
    "schedule": ("none", "step", "cosine"),
}
_INTS: dict[str, tuple[int, int]] = {
    "noise": (0, 50),
    "percTrainData": (10, 90),
    "batchSize": (1, 30),
    "epochs": (0, 1_000_000),
    "patience": (1, 10_000),
}

#: Keys whose change rebuilds the data (and so the network).
DATA_KEYS = ("dataset", "regDataset", "problem", "noise", "percTrainData", "seed")
#: Keys whose change builds a new network (on the same data).
RESET_KEYS = ("networkShape", "activation", "activations", "dropout", "loss", "initZero", *FEATURES)
#: Keys whose change keeps the weights but starts a new fit (new optimizer state).
RESTART_KEYS = ("optimizer", "regularization", "regularizationRate", "batchSize", "schedule", "epochs",
                "earlyStopping", "patience")
#: Keys that change at once, while it trains.
LIVE_KEYS = ("learningRate", "showTestData", "discretize", "collectStats", "hideText")


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "on"):
        return True
    if s in ("false", "0", "no", "off"):
        return False
    raise ValueError("true or false")


def _as_number(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError("a number")
    x = float(v)
    if not math.isfinite(x):
        raise ValueError("a finite number")
    return x


def _nearest(value: float, allowed: tuple[float, ...]) -> float:
    """The allowed value that ``value`` equals to 1e-9 relative; else raise."""
    for a in allowed:
        if math.isclose(value, a, rel_tol=1e-9, abs_tol=1e-12):
            return a
    raise ValueError("one of " + ", ".join(f"{a:g}" for a in allowed))


def _parse_one(key: str, raw: Any) -> Any:
    if key in _BOOLS:
        return _as_bool(raw)
    if key in _CHOICES:
        s = str(raw).strip()
        if s == "" and key == "regularization":  # TF writes regularization= for none
            return "none"
        for c in _CHOICES[key]:
            if s == c or s.lower() == c.lower():
                return c
        raise ValueError("one of " + ", ".join(_CHOICES[key]))
    if key in _INTS:
        lo, hi = _INTS[key]
        x = _as_number(raw)
        if x != int(x) or not lo <= x <= hi:
            raise ValueError(f"an integer from {lo} to {hi}")
        return int(x)
    if key == "learningRate":
        x = _as_number(raw)
        if not 0 < x <= 10:
            raise ValueError("a number in (0, 10]")
        return x  # any rate in (0, 10]; the page's list holds TF Playground's values
    if key == "regularizationRate":
        x = _as_number(raw)
        if not 0 <= x <= 10:
            raise ValueError("a number in [0, 10]")
        return x
    if key == "dropout":
        x = _as_number(raw)
        if not 0 <= x <= 0.9:
            raise ValueError("a number in [0, 0.9]")
        return x
    if key == "networkShape":
        s = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).split(",") if p.strip() != ""]
        sizes = []
        for p in s:
            x = _as_number(p)
            if x != int(x) or not 1 <= x <= MAX_NEURONS:
                raise ValueError(f"up to {MAX_LAYERS} comma-separated layer sizes, each 1 to {MAX_NEURONS}")
            sizes.append(int(x))
        if len(sizes) > MAX_LAYERS:
            raise ValueError(f"up to {MAX_LAYERS} comma-separated layer sizes, each 1 to {MAX_NEURONS}")
        return sizes
    if key == "activations":
        s = raw if isinstance(raw, (list, tuple)) else [p for p in str(raw).split(",") if p.strip() != ""]
        out = []
        for p in s:
            name = str(p).strip().lower()
            if name not in ACTIVATIONS:
                raise ValueError("comma-separated names from " + ", ".join(ACTIVATIONS))
            out.append(name)
        return out
    if key == "seed":
        s = str(raw).strip()
        if not s or len(s) > 40 or not all(c.isalnum() or c in ".-_" for c in s):
            raise ValueError("letters, digits, '.', '-' or '_' (at most 40)")
        return s
    raise KeyError(key)


def _show(raw: Any) -> str:
    text = ",".join(map(str, raw)) if isinstance(raw, (list, tuple)) else str(raw)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse_state(values: dict[str, Any], base: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Validate settings, e.g. the key/value pairs of a URL hash.

    Parameters
    ----------
    values : dict
        Key → value as text (from the hash) or as JSON values (from the page).
    base : dict, optional
        The settings to start from (default :data:`DEFAULTS`).

    Returns
    -------
    params : dict
        ``base`` with every valid value of ``values`` applied.
    notes : list of str
        One line per unknown key or bad value: what came in, what is allowed,
        and the value used instead.
    """
    params = {k: (list(v) if isinstance(v, list) else v) for k, v in (base or DEFAULTS).items()}
    notes: list[str] = []
    if not isinstance(values, dict):
        return params, [f"settings must be key/value pairs; got {type(values).__name__}, ignored"]
    for key, raw in values.items():
        if not isinstance(key, str) or key not in DEFAULTS:
            notes.append(f"unknown setting {_show(key)} ignored")
            continue
        try:
            params[key] = _parse_one(key, raw)
        except (ValueError, TypeError, OverflowError) as exc:
            notes.append(f"{key}={_show(raw)} is not allowed (must be {exc}); "
                         f"using {_show(params[key])}")
    if params["problem"] == "regression" and params["loss"] == "cross_entropy":
        notes.append("loss=cross_entropy needs problem=classification; using loss=mse")
        params["loss"] = "mse"
    n = len(params["networkShape"])
    if params["activations"] and len(params["activations"]) != n:
        notes.append(f"activations has {len(params['activations'])} entries for {n} hidden layers; "
                     f"using activation={params['activation']} for every layer")
        params["activations"] = []
    if not any(params[f] for f in FEATURES):
        notes.append("no input feature was selected; using x and y")
        params["x"] = params["y"] = True
    return params, notes


def encode_state(params: dict[str, Any]) -> str:
    """The URL hash (without ``#``) for ``params``, keys in TF Playground's order.

        >>> h = encode_state({**DEFAULTS, "networkShape": [8, 8]})
        >>> h.split("&")[0], "networkShape=8,8" in h, parse_state(dict(kv.split("=") for kv in h.split("&")))[1]
        ('activation=tanh', True, [])
    """
    parts = []
    for key in sorted(DEFAULTS, key=str.lower):
        v = params.get(key, DEFAULTS[key])
        if isinstance(v, bool):
            text = "true" if v else "false"
        elif isinstance(v, list):
            text = ",".join(map(str, v))
        elif isinstance(v, float):
            text = f"{v:g}"
        else:
            text = str(v)
        parts.append(f"{key}={text}")
    return "&".join(parts)
