"""Shared pytest set-up."""

import os

import matplotlib

matplotlib.use("Agg")

# helper scripts that are run as subprocesses, not imported by pytest
collect_ignore = ["train/ddp_worker.py"]

# Keep the suite quick and repeatable on small shared machines.
os.environ.setdefault("OMP_NUM_THREADS", "1")
