"""Training: one loop (:func:`fit`) for everything, with callbacks, metrics and safe checkpoints.

Names are imported lazily, so importing one submodule (``physnn.train.metrics``)
does not pull in the others.
"""

from __future__ import annotations

from physnn._lazy import lazy_exports
_LAZY = {
    "fit": "physnn.train.loop",
    "TrainState": "physnn.train.loop",
    "resolve_device": "physnn.train.loop",
    "History": "physnn.train.history",
    "StopReason": "physnn.train.history",
    "FitResult": "physnn.train.history",
    "LazyMetrics": "physnn.train.history",
    "BestTracker": "physnn.train.best",
    "index_batches": "physnn.train.batching",
    "Objective": "physnn.train.objectives",
    "Supervised": "physnn.train.objectives",
    "Callback": "physnn.train.callbacks",
    "EarlyStopping": "physnn.train.callbacks",
    "Checkpoint": "physnn.train.callbacks",
    "PrintLogger": "physnn.train.callbacks",
    "CSVLogger": "physnn.train.callbacks",
    "ProgressBar": "physnn.train.callbacks",
    "TensorBoardLogger": "physnn.train.loggers",
    "MLflowLogger": "physnn.train.loggers",
    "save_weights": "physnn.train.checkpoint",
    "load_weights": "physnn.train.checkpoint",
    "save_state": "physnn.train.checkpoint",
    "load_state": "physnn.train.checkpoint",
    "get_loss": "physnn.train.losses",
    "LOSSES": "physnn.train.losses",
    "make_optimizer": "physnn.train.optimizers",
    "OptimizerSpec": "physnn.train.optimizers",
    "ScheduleSpec": "physnn.train.schedules",
    "OPTIMIZERS": "physnn.train.optimizers",
    "make_schedule": "physnn.train.schedules",
    "SCHEDULES": "physnn.train.schedules",
    "compute_metrics": "physnn.train.metrics",
    "METRICS": "physnn.train.metrics",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _LAZY)
