"""Shared pytest set-up."""

import os

import matplotlib

matplotlib.use("Agg")

# helper scripts that are run as subprocesses, not imported by pytest
collect_ignore = ["train/ddp_worker.py"]

# Keep the suite quick and repeatable on small shared machines.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(config, items):
    """Cases marked ``slow`` run only with PHYSNN_SLOW=1 (the suite stays quick on 2 cores)."""
    import pytest

    if os.environ.get("PHYSNN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set PHYSNN_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
