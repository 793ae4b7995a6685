"""Shared pytest set-up."""

import os

# One thread for torch, OpenMP and BLAS, whatever the shell exported: the thread count changes the
# order of float reductions and so every float32 trajectory, and several threads only slow tiny
# models on a shared 2-core machine. Forced (not setdefault) and set before numpy/torch are imported
# (matplotlib imports numpy); subprocesses the tests start inherit it.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import matplotlib  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

matplotlib.use("Agg")
torch.set_num_threads(1)

# helper scripts that are run as subprocesses, not imported by pytest
collect_ignore = ["train/ddp_worker.py"]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Every test starts with one torch thread, even if an earlier one changed it and failed."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    yield


def pytest_collection_modifyitems(config, items):
    """Cases marked ``slow`` run only with PHYSNN_SLOW=1 (the suite stays quick on 2 cores)."""
    if os.environ.get("PHYSNN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set PHYSNN_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
