"""One of two processes tuning one SQLite study (tests/tune/test_tune.py::test_two_processes_share_one_sqlite_study).

After its first finished trial, each process waits until the study holds a finished trial of another
process, so both take part while the other runs (a forced overlap, no timing involved).
Usage: python two_process_worker.py CONFIG OUT STORAGE N_TRIALS
"""

import os
import sys
import time

import optuna

from physnn.config import load_config
from physnn.tune import tune


def wait_for_the_other(study, trial):
    mine = f":{os.getpid()}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                        optuna.trial.TrialState.PRUNED))
        if any(not t.user_attrs.get("worker", "").endswith(mine) for t in done):
            return
        time.sleep(0.05)
    raise SystemExit("the other process never finished a trial")


if __name__ == "__main__":
    config, out, storage, n = sys.argv[1:5]
    res = tune(load_config(config), out, n_trials=int(n), storage=storage, figures=False,
               callbacks=[wait_for_the_other])
    print("finished", res.counts)
