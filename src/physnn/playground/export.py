"""Export a playground experiment as a physnn run: TOML, data and weights in one zip.

The zip holds

* ``experiment.toml`` — the experiment for ``physnn train``: the data file,
  the selected features, the network (hidden sizes, activations, dropout,
  output), loss, optimizer, learning rate, batch size, the epochs trained so
  far, early stopping;
* ``data.csv`` — every point: ``x1, x2``, the feature columns, ``label`` and
  ``split`` (train/test, as in the playground);
* ``model.safetensors`` — the weights now, with the keys ``physnn train``'s
  model has (load them with ``safetensors.torch.load_file``);
* ``README.txt`` — how to run it.

``cd`` into the unzipped folder and ``physnn train experiment.toml`` trains
the same network on the same data with the same settings.  ``physnn train``
draws its own validation split (``val`` = the playground's test share) and
its own initial weights; L1 regularization has no key in an experiment file
(L2 becomes ``weight_decay``), which the TOML's comments say.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from physnn.playground import datasets as D
from physnn.playground.params import encode_state

if TYPE_CHECKING:  # pragma: no cover
    from physnn.playground.session import Session

__all__ = ["export_zip", "experiment_dict"]


def experiment_dict(session: "Session") -> tuple[dict[str, Any], list[str]]:
    """The experiment as a dict for :func:`physnn.config.parse_config`, and comment lines."""
    from physnn.playground.session import hidden_activations

    p, d = session.params, session.data
    assert d is not None
    feats = D.selected_features(p, curve=d.curve)
    comments = []
    all_train = bool(d.train.all())
    optimizer = {"sgd": "sgd", "momentum": "sgd", "adam": "adam"}[p["optimizer"]]
    cls_mse = d.task == "classification" and p["loss"] == "mse"
    weight_decay = 0.0
    if p["regularization"] == "L2":
        weight_decay = float(p["regularizationRate"])
        comments.append("L2 regularization of the playground = weight_decay here (it also decays the biases).")
    elif p["regularization"] == "L1" and p["regularizationRate"] > 0:
        comments.append(f"The playground used L1 regularization, rate {p['regularizationRate']:g}; "
                        "an experiment file has no L1 key, so it is left out.")
    if p["schedule"] == "step":
        comments.append("The playground's step schedule halves the learning rate every 100 epochs: "
                        "[train] schedule = 'step' with step_size = 100, gamma = 0.5.")
    cfg = {
        "name": f"playground-{d.name}",
        "seed": D.seed_of(p["seed"]) % (2**31),
        "data": {"source": "data.csv", "features": feats, "target": "label",
                 "val": 0.0 if all_train else round(1 - p["percTrainData"] / 100, 4),
                 "stratify": False, "standardize": False},
        "model": {"kind": "mlp", "hidden": list(p["networkShape"]), "activation": hidden_activations(p),
                  "dropout": float(p["dropout"]), "out_activation": "tanh" if cls_mse else "identity"},
        "train": {"loss": p["loss"], "optimizer": optimizer, "lr": float(p["learningRate"]),
                  "weight_decay": weight_decay, "momentum": 0.9 if p["optimizer"] == "momentum" else 0.0,
                  "epochs": max(1, int(session.epoch)), "batch_size": int(p["batchSize"]),
                  "schedule": "cosine" if p["schedule"] == "cosine" else ("step" if p["schedule"] == "step" else "none"),
                  "metrics": ["accuracy"] if d.task == "classification" and not cls_mse else []},
        "early_stopping": {"enabled": bool(p["earlyStopping"]), "patience": int(p["patience"]),
                           "monitor": "loss" if all_train else "val_loss"},
    }
    if not p["networkShape"]:
        cfg["model"]["activation"] = "relu"
    return cfg, comments


def _data_csv(session: "Session") -> str:
    p, d = session.params, session.data
    assert d is not None
    feats = D.selected_features(p, curve=d.curve)
    F = D.features(d.xy, p, curve=d.curve)
    if d.task == "classification":
        label = (2 * d.label - 1) if p["loss"] == "mse" else d.label
        label_s = [f"{float(v):.1f}" if p["loss"] == "mse" else str(int(v)) for v in label]
    else:
        label_s = [repr(float(v)) for v in d.target_values()]
    out = io.StringIO()
    extra = list(feats)
    out.write(",".join(["x1", "x2", *extra, "label", "split"]) + "\n")
    for i in range(d.n):
        cells = [repr(float(d.xy[i, 0])), repr(float(d.xy[i, 1]))]
        cells += [repr(float(F[i, feats.index(f)])) for f in extra]
        cells += [label_s[i], "train" if d.train[i] else "test"]
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def export_zip(session: "Session") -> tuple[bytes, str]:
    """The zip's bytes and its file name."""
    import tomli_w
    from safetensors.torch import save

    from physnn.config import parse_config

    cfg, comments = experiment_dict(session)
    parse_config(cfg, origin="playground export")  # the file physnn train will read must validate
    toml = "".join(f"# {c}\n" for c in [
        "A physnn experiment exported from the playground (physnn playground).",
        "Run it from this folder:  physnn train experiment.toml --out runs/playground",
        f"The playground's link: #{encode_state(session.params)}",
        *comments]) + "\n" + tomli_w.dumps(cfg)
    assert session.model is not None
    weights = {k: v.detach().contiguous().clone() for k, v in session.model.state_dict().items()}
    readme = (
        "physnn playground export\n\n"
        "  experiment.toml     the experiment: data, network, training settings\n"
        "  data.csv            the points (x1, x2, feature columns, label, split)\n"
        "  model.safetensors   the weights at export (epoch %d)\n\n"
        "Train it again:   physnn train experiment.toml --out runs/playground\n"
        "Load the weights: from safetensors.torch import load_file; model.load_state_dict(load_file('model.safetensors'))\n"
        % session.epoch
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("experiment.toml", toml)
        z.writestr("data.csv", _data_csv(session))
        z.writestr("model.safetensors", save(weights))
        z.writestr("README.txt", readme)
    name = session.data.name if session.data is not None else "data"
    return buf.getvalue(), f"physnn-playground-{name}-epoch{session.epoch}.zip"

