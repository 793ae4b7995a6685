"""Data for physnn: arrays with names, splits, scaling, toy sets and file readers.

* :class:`ArrayData` — features ``X`` ``(n, d)``, targets ``y``, column names;
  :meth:`ArrayData.split` into a :class:`Split` (train / val / test,
  optionally stratified).
* :class:`Standardizer` — mean 0, std 1 per feature, fitted on the training
  set only (:func:`fit_standardizer`, :func:`standardize`).
* Toy data sets for the lecture (:data:`TOY_DATASETS`, :func:`load_toy`).
* :func:`read_data` / :func:`write_data` — CSV, NPZ, Parquet, HDF5, ROOT.

Importing this package does not import torch (nor pyarrow, h5py, uproot).

    >>> from physnn.data import load_toy, standardize
    >>> parts, scaler = standardize(load_toy("circles", n=200).split(val=0.25, seed=0))
    >>> len(parts.train), len(parts.val), scaler.n_features_in_
    (150, 50, 2)
"""

from __future__ import annotations

from physnn.data.arrays import ArrayData, Split, Standardizer, fit_standardizer, standardize
from physnn.data.io import (
    FORMATS,
    read_csv,
    read_data,
    read_hdf5,
    read_npz,
    read_parquet,
    read_root,
    write_data,
)
from physnn.data.toy import (
    TOY_DATASETS,
    and_gate,
    circles,
    gaussians,
    load_toy,
    moons,
    or_gate,
    polynomial,
    polynomial_truth,
    simplenet_task,
    simplenet_truth,
    spirals,
    xor,
)

__all__ = [
    "ArrayData",
    "Split",
    "Standardizer",
    "fit_standardizer",
    "standardize",
    "FORMATS",
    "read_data",
    "read_csv",
    "read_npz",
    "read_parquet",
    "read_hdf5",
    "read_root",
    "write_data",
    "TOY_DATASETS",
    "load_toy",
    "xor",
    "and_gate",
    "or_gate",
    "circles",
    "moons",
    "spirals",
    "gaussians",
    "polynomial",
    "polynomial_truth",
    "simplenet_task",
    "simplenet_truth",
]
