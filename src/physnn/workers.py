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

__all__ = ["THREAD_VARS", "set_one_thread", "restore_env", "one_thread_env", "check_shard", "shard_items"]

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


def check_shard(shard: object, *, owner: str = "shard") -> tuple[int, int]:
    """``(K, N)`` with ``1 <= K <= N``, from a pair or the command line's ``"K/N"`` (task K of N).

    A generator cut into chunks whose seeds depend only on ``(seed, chunk)`` runs on a cluster as
    ``N`` job-array tasks, task ``K`` making the chunks ``K-1, K-1+N, ...`` (:func:`shard_items`).

        >>> check_shard("3/10")
        (3, 10)
    """
    from physnn.errors import PhysnnError

    if isinstance(shard, str):
        try:
            k_s, n_s = shard.split("/")
            shard = (int(k_s), int(n_s))
        except ValueError:
            raise PhysnnError(f"{owner}: shard must be K/N, e.g. 3/10 (task 3 of 10); got {shard!r}.") from None
    try:
        k, n_shards = (int(v) for v in shard)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise PhysnnError(f"{owner}: shard must be (k, N) with 1 <= k <= N; got {shard!r}.") from None
    if not (n_shards >= 1 and 1 <= k <= n_shards):
        raise PhysnnError(f"{owner}: shard {k}/{n_shards} is out of range: K must be 1..N (SLURM: "
                          "--array=1-N with --shard $SLURM_ARRAY_TASK_ID/N).")
    return k, n_shards


def shard_items(items: list, shard: tuple[int, int] | None) -> list:
    """The items task ``K`` of ``N`` makes: every N-th from the (K-1)-th (all of them without a shard).

        >>> shard_items(list(range(7)), (2, 3))
        [1, 4]
    """
    if shard is None:
        return list(items)
    k, n_shards = shard
    return [x for i, x in enumerate(items) if i % n_shards == k - 1]
