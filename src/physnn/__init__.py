"""physnn — deep learning for physicists, on PyTorch.

The lecture "Introduction to Neural Networks and Deep Learning", runnable:
neurons and perceptrons, MLPs, one training loop with early stopping and
regularization, data readers for the formats physicists use, and safe runs
on disk.

Heavy submodules import lazily so ``import physnn`` and ``physnn --help`` stay
quick::

    >>> import physnn
    >>> physnn.__version__
    '0.1.0'
"""

from __future__ import annotations

from physnn._lazy import lazy_exports
from physnn.errors import PhysnnError  # noqa: F401 (re-exported in __all__)

__version__ = "0.1.0"

# name -> module that defines it (imported on first access)
_LAZY = {
    "Neuron": "physnn.nn",
    "Perceptron": "physnn.nn",
    "MLP": "physnn.nn",
    "SimpleNet": "physnn.nn",
    "summary": "physnn.nn",
    "ArrayData": "physnn.data",
    "Standardizer": "physnn.data",
    "fit": "physnn.train",
    "History": "physnn.train",
    "EarlyStopping": "physnn.train",
    "gradcheck": "physnn.train.gradcheck",
    "run_lecture": "physnn.lecture",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY, extra=("PhysnnError", "__version__"))
