"""``physnn predict``, ``physnn export`` and ``physnn show``: the verbs that work on every kind of run.

Each is a thin layer over :mod:`physnn.rundir`, which reads the run's
``state.json`` and hands the work to the kind's :class:`~physnn.rundir.RunKind`
(tabular, pinn, tagger, anomaly, materials, fluids, segmentation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import writes

_KINDS_HELP = (
    "What DATA is, by kind of run:\n\n"
    "  tabular (physnn train)        a table (CSV, NPZ, Parquet, HDF5, ROOT) with the feature columns\n\n"
    "  pinn (physnn pinn)            points with the problem's coordinates (x, t, ...)\n\n"
    "  tagger (physnn hep train)     a jet file as in training (jagged constituents for set networks)\n\n"
    "  anomaly (physnn hep anomaly)  a jet file -> one anomaly score per jet\n\n"
    "  materials                     structures in any file ASE reads (extxyz, POSCAR, CIF, ...)\n\n"
    "  fluids                        HDF5/NPZ arrays of input fields -> arrays of the output field\n\n"
    "  segmentation (physnn cells)   images (TIFF/PNG, a folder) -> instance masks (uint16 TIFF)"
)


def predict(
    run: Path = typer.Argument(..., help="A run directory written by any physnn training command."),
    data: Path = typer.Argument(..., help="The file (or folder of images) to predict on; see below."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.csv, .npz, .parquet, .h5) or folder (images)."),
    tree: Optional[str] = typer.Option(None, "--tree", help="TTree name for ROOT input."),
    input: Optional[str] = typer.Option(None, "--input", help="fluids: the input array's name in DATA "
                                        "(default: the name the run was trained with)."),
    diameter: Optional[float] = typer.Option(None, "--diameter", help="segmentation: nucleus diameter in "
                                             "pixels (default: estimated from each image)."),
    device: Optional[str] = typer.Option(None, "--device", help="tabular, PINN and jet-tagger runs: where the "
                                         "network runs (cpu, cuda, cuda:N, auto; default cpu)."),
) -> None:
    """Predict with a trained run of any kind on the user's data."""
    from physnn.rundir import predict as predict_any

    path = predict_any(run, data, out, tree=tree, input=input, diameter=diameter, device=device)
    typer.echo(f"Predictions written to {path}")


def export(
    run: Path = typer.Argument(..., help="A run directory written by any physnn training command."),
    onnx: Path = typer.Option(..., "--onnx", help="The .onnx file to write."),
    exporter: str = typer.Option("dynamo", "--exporter", help="dynamo (torch.onnx dynamo=True) or torchscript (legacy)."),
) -> None:
    """Export a trained run to ONNX with dynamic batch (and particle) axes; checked against onnxruntime.

    The network is exported with its preprocessing and output transform, so the
    file takes raw inputs and gives what 'physnn predict' writes: tabular runs
    take x: (batch, features) and give probabilities for classifiers; taggers
    take raw jet columns (x: (batch, features), or x: (batch, particles, F) with
    mask: (batch, particles) and, for hybrid taggers, jet: (batch, jet
    features)) and give the signal probability.
    """
    from physnn.export import export_onnx
    from physnn.rundir import onnx_module

    module, inputs, names = onnx_module(run)
    rep = export_onnx(module, inputs, onnx, input_names=names, exporter=exporter)
    axes = ", ".join(f"{k}: {v}" for k, v in rep["dynamic_axes"].items())
    typer.echo(f"wrote {onnx} ({rep['exporter']} exporter; dynamic axes {axes}); onnxruntime agrees with torch "
               f"to {rep['max_abs_diff']:.2g} at shapes {rep['shapes_checked']}")


def show(
    runs: list[Path] = typer.Argument(..., help="One run directory, or several to compare side by side."),
) -> None:
    """What a run is (kind, data, model, command, versions), its metrics and its figures; several runs as one table."""
    from physnn.rundir import show_table

    typer.echo(show_table(runs))


def register(app: typer.Typer) -> None:
    """Add the three verbs to the top-level app."""
    app.command(
        "predict",
        epilog="Examples:\n\n  physnn predict runs/simplenet new_data.csv --out predictions.csv\n\n"
               "  physnn predict runs/hep-particlenet jets.parquet --out scores.csv\n\n" + _KINDS_HELP,
    )(writes(out="file")(predict))
    app.command(
        "export",
        help="Export a trained run to ONNX (dynamic batch and particle axes), checked against onnxruntime.",
        epilog="Example:\n\n  physnn export runs/tagger --onnx tagger.onnx",
    )(writes(onnx="file")(export))
    app.command(
        "show",
        epilog="Examples:\n\n  physnn show runs/simplenet\n\n  physnn show runs/a runs/b runs/c   # compared side by side",
    )(show)
