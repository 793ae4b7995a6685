"""Atomic file writes: a reader never sees a half-written file.

Every file physnn writes goes through :func:`atomic_write`: the content goes to
a temporary file in the same directory, is flushed and ``fsync``-ed, and is
then renamed over the target with :func:`os.replace` (atomic on POSIX and
Windows).  If anything fails on the way the temporary file is removed and the
old target, if any, is left untouched.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "hello.txt") as f:
    ...     _ = f.write("hi")
    >>> (d / "hello.txt").read_text()
    'hi'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_path", "write_text", "write_json", "cache_dir", "removed_on_error", "read_json", "nan_as_null"]


def cache_dir(kind: str) -> Path:
    """Where generated data of ``kind`` are kept between runs: ``$PHYSNN_CACHE/<kind>``,
    else ``~/.cache/physnn/<kind>``.  Simulated data (jets, alloys, flows) are
    expensive; a second run reads them from here instead of simulating again.

        >>> import os; os.environ["PHYSNN_CACHE"] = "/tmp/pc"
        >>> str(cache_dir("hep"))
        '/tmp/pc/hep'
        >>> del os.environ["PHYSNN_CACHE"]
    """
    base = os.environ.get("PHYSNN_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "physnn") / kind


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    Use this for libraries that want a file name rather than a file object
    (``safetensors.torch.save_file``, ``h5py.File``, ``pyarrow.parquet``)::

        with atomic_path("model.safetensors") as tmp:
            save_file(tensors, tmp)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; give it the mode an ordinary open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; rename it over ``path`` on success."""
    if "b" in mode:
        encoding = None
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding, newline="" if "b" not in mode else None) as fh:
            yield fh
            fh.flush()


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_write(path) as fh:
        fh.write(text)
    return Path(path)


def _builtin(obj: Any) -> Any:
    """JSON fallback: NumPy scalars and arrays, tensors and paths become plain values."""
    if hasattr(obj, "item") and getattr(obj, "ndim", 0) == 0 and callable(obj.item):
        return obj.item()
    if hasattr(obj, "tolist") and callable(obj.tolist):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def nan_as_null(obj: Any) -> Any:
    """``obj`` with every NaN/Inf float (also NumPy scalars) replaced by ``None``, recursively.

    For metrics that can be undefined on small data (e.g. a maximum over an
    empty set): :func:`write_json` refuses NaN, so a caller that means
    "undefined" says so and gets JSON ``null``.

        >>> nan_as_null({"auc": 0.9, "max_sic": float("nan"), "curve": [1.0, float("inf")]})
        {'auc': 0.9, 'max_sic': None, 'curve': [1.0, None]}
    """
    import math

    if isinstance(obj, dict):
        return {k: nan_as_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [nan_as_null(v) for v in obj]
    if isinstance(obj, float) or (hasattr(obj, "dtype") and getattr(obj, "ndim", None) == 0
                                  and getattr(obj.dtype, "kind", "") == "f"):
        return None if not math.isfinite(float(obj)) else obj
    return obj


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN/Inf are refused; NumPy values converted)."""
    text = json.dumps(obj, indent=2, sort_keys=False, allow_nan=False, default=_builtin)
    return write_text(path, text + "\n")


@contextlib.contextmanager
def removed_on_error(*paths: str | os.PathLike | None) -> Iterator[None]:
    """Remove what a failed command created at ``paths``; leave what was there before.

    A command that writes ``--out`` runs its body inside this context.  If the
    body raises an ``Exception``, each path that did not exist on entry is
    removed (a file, or a directory with everything in it), and so are the
    parent directories that were created for it and are empty now.  A path that
    existed on entry is never touched, and neither is anything when the body
    succeeds or is interrupted (``KeyboardInterrupt``: an interrupted run keeps
    its checkpoint, to be resumed).

    Parameters
    ----------
    *paths : path-like or None
        The outputs the body may create (``None`` entries are skipped).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> try:
    ...     with removed_on_error(d / "runs" / "a"):
    ...         (d / "runs" / "a").mkdir(parents=True)
    ...         raise ValueError("bad input")
    ... except ValueError:
    ...     pass
    >>> sorted(p.name for p in d.iterdir())
    []
    """
    watched = []
    for path in paths:
        if path is None:
            continue
        target = Path(path).absolute()
        if os.path.lexists(target):
            continue
        first_missing = target
        while not os.path.lexists(first_missing.parent) and first_missing.parent != first_missing:
            first_missing = first_missing.parent
        watched.append((target, first_missing))
    try:
        yield
    except Exception:
        for target, first_missing in watched:
            with contextlib.suppress(OSError):
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                elif os.path.lexists(target):
                    target.unlink()
            parent = target.parent
            while target != first_missing and parent != first_missing.parent:
                try:
                    parent.rmdir()  # only if empty: something else may have been put there meanwhile
                except OSError:
                    break
                parent = parent.parent
        raise


def read_json(path: str | os.PathLike, *, owner: str | None = None, what: str = "JSON file",
              hint: str = "") -> dict[str, Any]:
    """Read a JSON object from ``path``; anything else is a clear :class:`~physnn.errors.PhysnnError`.

    Parameters
    ----------
    path : path-like
        The file (e.g. a run's ``state.json``).
    owner : str, optional
        Who reads it, the start of an error message.
    what : str
        What the file is, for the messages.
    hint : str
        The fix, appended to every message (e.g. how to make such a file).

    Returns
    -------
    dict

    Raises
    ------
    PhysnnError
        Missing, a directory, empty, not UTF-8 text, not JSON, or not a JSON object.
    """
    from physnn.errors import PhysnnError, check_input_file

    p = check_input_file(path, "text", owner=owner, what=what, hint=hint)
    pre = f"{owner}: " if owner else ""
    fix = f" {hint}" if hint else ""
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PhysnnError(f"{pre}{what} {str(p)!r} is not UTF-8 text (byte {exc.start}).{fix}") from None
    except json.JSONDecodeError as exc:
        raise PhysnnError(f"{pre}{what} {str(p)!r} is not valid JSON ({exc}).{fix}") from None
    if not isinstance(obj, dict):
        raise PhysnnError(f"{pre}{what} {str(p)!r} holds a JSON {type(obj).__name__}, not an object.{fix}")
    return obj
