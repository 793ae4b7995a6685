"""One BLAS / OpenMP thread per worker process: the environment that parallel generators set.

Small numerical jobs run fastest on one thread each, and two threads per
process on a busy 2-core machine can make them hundreds of times slower.
A pool of spawned workers inherits the parent's environment, so the parent
sets the thread variables to 1 before it starts the pool and restores them
afterwards.

    >>> import os
    >>> with one_thread_env():
    ...     os.environ["OMP_NUM_THREADS"]
    '1'
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["THREAD_VARS", "set_one_thread", "restore_env", "one_thread_env"]

#: the variables that cap BLAS / OpenMP / numexpr threads
THREAD_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def set_one_thread() -> dict[str, str | None]:
    """Set every :data:`THREAD_VARS` to ``"1"``; return the old values for :func:`restore_env`."""
    old = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update({k: "1" for k in THREAD_VARS})
    return old


def restore_env(old: dict[str, str | None]) -> None:
    """Put back the values :func:`set_one_thread` returned (unset what was unset)."""
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@contextlib.contextmanager
def one_thread_env() -> Iterator[None]:
    """``with one_thread_env(): ...`` — one thread per library inside, the old environment after."""
    old = set_one_thread()
    try:
        yield
    finally:
        restore_env(old)
