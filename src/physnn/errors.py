"""One error type and the few shared validators every layer of physnn uses.

Every message names the *owner* (which function, class or config field), the
*parameter*, *what is allowed* and *what came in*, and where possible *the fix*
— in the spirit of scikit-learn's ``InvalidParameterError``::

    >>> check_range("lr", -1.0, low=0.0, low_inclusive=False, owner="fit")
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: fit: 'lr' must be a number in (0, inf); got -1.0.

``PhysnnError`` subclasses ``ValueError`` so code that already catches
``ValueError`` keeps working.  The CLI turns it into one line on stderr and
exit code 2.
"""

from __future__ import annotations

import difflib
import math
import numbers
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PhysnnError",
    "check_choice",
    "check_range",
    "check_int",
    "check_array",
    "check_finite",
    "check_columns",
    "check_file",
    "check_input_file",
    "sniff_file",
]


class PhysnnError(ValueError):
    """A bad input to physnn: the message names the value and how to fix it."""


def _prefix(owner: str | None) -> str:
    return f"{owner}: " if owner else ""


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_choice(
    name: str,
    value: Any,
    choices: Iterable[str],
    *,
    owner: str | None = None,
) -> str:
    """Return ``value`` if it is one of ``choices`` (case-insensitive for strings).

    A wrong name lists the valid ones and, when one is close, suggests it::

        >>> check_choice("activation", "relu", ["relu", "tanh"])
        'relu'
        >>> check_choice("activation", "rleu", ["relu", "tanh"])
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'activation' must be one of 'relu', 'tanh'; got 'rleu'. Did you mean 'relu'?
    """
    choices = list(choices)
    if isinstance(value, str):
        key = value.strip().lower()
        for c in choices:
            if key == c.lower():
                return c
        lowered = {str(c).lower(): c for c in choices}
        close = difflib.get_close_matches(key, list(lowered), n=1)
        hint = f" Did you mean {lowered[close[0]]!r}?" if close else ""
    else:
        hint = ""
    allowed = ", ".join(repr(c) for c in choices)
    raise PhysnnError(
        f"{_prefix(owner)}{name!r} must be one of {allowed}; got {_fmt(value)}.{hint}"
    )


def check_range(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    owner: str | None = None,
) -> float:
    """Return ``float(value)`` if it is a finite real number inside the interval.

        >>> check_range("dropout", 0.3, low=0, high=1, high_inclusive=False)
        0.3
        >>> check_range("dropout", 1.5, low=0, high=1, high_inclusive=False)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'dropout' must be a number in [0, 1); got 1.5.
    """
    lo_b = "[" if (low_inclusive and low is not None) else "("
    hi_b = "]" if (high_inclusive and high is not None) else ")"
    lo_s = "-inf" if low is None else f"{low:g}"
    hi_s = "inf" if high is None else f"{high:g}"
    interval = f"{lo_b}{lo_s}, {hi_s}{hi_b}"
    msg = f"{_prefix(owner)}{name!r} must be a number in {interval}; got {_fmt(value)}."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PhysnnError(msg)
    v = float(value)
    if not math.isfinite(v):
        raise PhysnnError(msg)
    if low is not None and (v < low or (v == low and not low_inclusive)):
        raise PhysnnError(msg)
    if high is not None and (v > high or (v == high and not high_inclusive)):
        raise PhysnnError(msg)
    return v


def check_int(
    name: str,
    value: Any,
    *,
    low: int | None = None,
    high: int | None = None,
    owner: str | None = None,
) -> int:
    """Return ``int(value)`` if it is an integer in ``[low, high]``.

        >>> check_int("epochs", 0, low=1)
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'epochs' must be an integer >= 1; got 0.
    """
    parts = []
    if low is not None:
        parts.append(f">= {low}")
    if high is not None:
        parts.append(f"<= {high}")
    what = "an integer" + (" " + " and ".join(parts) if parts else "")
    msg = f"{_prefix(owner)}{name!r} must be {what}; got {_fmt(value)}."
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise PhysnnError(msg)
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise PhysnnError(msg)
    return v


def _to_numpy(x: Any) -> np.ndarray:
    # a tensor can only exist if torch is already imported: never import it here
    # (3 s), so validators stay cheap in worker processes that never touch torch
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def check_finite(name: str, x: Any, *, owner: str | None = None) -> None:
    """Raise if ``x`` (array or tensor) holds NaN or Inf, saying where and how many.

        >>> check_finite("X", np.array([[1.0, float("nan")]]))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'X' holds 1 NaN and 0 Inf values (first at index (0, 1)); drop or impute those rows first (e.g. X[np.isfinite(X).all(axis=1)]).
    """
    torch = sys.modules.get("torch")  # never imported here: see _to_numpy
    if torch is not None and isinstance(x, torch.Tensor):
        if not x.is_floating_point() or bool(torch.isfinite(x).all()):
            return
    a = _to_numpy(x)
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.complexfloating):
        return
    bad = ~np.isfinite(a)
    if not bad.any():
        return
    n_nan = int(np.isnan(a).sum())
    n_inf = int(bad.sum()) - n_nan
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    where = first[0] if len(first) == 1 else first
    fix = (
        f"(e.g. {name}[np.isfinite({name}).all(axis=1)])" if a.ndim == 2
        else "(e.g. keep the rows where np.isfinite(values))"
    )
    raise PhysnnError(
        f"{_prefix(owner)}{name!r} holds {n_nan} NaN and {n_inf} Inf values "
        f"(first at index {where}); drop or impute those rows first {fix}."
    )


def check_array(
    name: str,
    x: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    n_features: int | None = None,
    min_rows: int = 1,
    finite: bool = True,
    owner: str | None = None,
) -> np.ndarray:
    """Validate and return ``x`` as a NumPy array.

    Checks, in order: numeric, the number of dimensions (with the reshape that
    fixes a 1-D input), the number of columns, at least ``min_rows`` rows and,
    unless ``finite=False``, no NaN/Inf.

        >>> check_array("X", [1.0, 2.0], ndim=2).shape
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'X' must be a 2-D array (rows = samples); got a 1-D array of shape (2,). Reshape with X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one sample.
    """
    a = _to_numpy(x)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise PhysnnError(
            f"{_prefix(owner)}{name!r} must be numeric; got dtype {a.dtype}. "
            "Convert text columns to numbers or select numeric columns only."
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            fix = ""
            if a.ndim == 1 and 2 in allowed:
                fix = (
                    f" Reshape with {name}.reshape(-1, 1) for one feature "
                    f"or {name}.reshape(1, -1) for one sample."
                )
            raise PhysnnError(
                f"{_prefix(owner)}{name!r} must be a {want} array (rows = samples); "
                f"got a {a.ndim}-D array of shape {a.shape}.{fix}"
            )
    if n_features is not None and a.ndim >= 2 and a.shape[1] != n_features:
        raise PhysnnError(
            f"{_prefix(owner)}{name!r} has {a.shape[1]} features (columns) but "
            f"{n_features} are expected; pass data with the same columns, in the "
            "same order, as the model was trained on."
        )
    if a.ndim >= 1 and a.shape[0] < min_rows:
        raise PhysnnError(
            f"{_prefix(owner)}{name!r} has {a.shape[0]} rows; at least {min_rows} "
            "are needed. Check the file, the filter or the split fractions."
        )
    if finite:
        check_finite(name, a, owner=owner)
    return a


def check_columns(
    name: str,
    wanted: Iterable[str],
    available: Sequence[str],
    *,
    owner: str | None = None,
) -> list[str]:
    """Return ``wanted`` as a list if every column exists in ``available``.

        >>> check_columns("features", ["pt", "eta"], ["pt", "phi"], owner="read_csv")
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: read_csv: column 'eta' named in 'features' is not in the data; available columns: 'pt', 'phi'.
    """
    wanted = list(wanted)
    avail = list(available)
    for w in wanted:
        if w not in avail:
            close = difflib.get_close_matches(w, avail, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            shown = ", ".join(repr(c) for c in avail[:30])
            more = f" (and {len(avail) - 30} more)" if len(avail) > 30 else ""
            raise PhysnnError(
                f"{_prefix(owner)}column {w!r} named in {name!r} is not in the data; "
                f"available columns: {shown}{more}.{hint}"
            )
    return wanted


def check_file(path: Any, *, owner: str | None = None, what: str = "file") -> Path:
    """Return ``Path(path)`` if it exists and is a file; else say so clearly."""

    p = Path(path)
    if not p.exists():
        raise PhysnnError(
            f"{_prefix(owner)}{what} {str(p)!r} does not exist; check the path "
            f"(working directory: {Path.cwd()})."
        )
    if p.is_dir():
        raise PhysnnError(f"{_prefix(owner)}{what} {str(p)!r} is a directory, not a file.")
    return p


# ------------------------------------------------------------- file kinds
#: The kinds :func:`check_input_file` tells apart, and how a message names each.
FILE_KINDS: dict[str, str] = {
    "text": "a UTF-8 text file",
    "parquet": "a Parquet file",
    "hdf5": "an HDF5 file",
    "npz": "a NumPy .npz archive",
    "root": "a ROOT file",
    "tiff": "a TIFF image",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "safetensors": "a safetensors file",
    "binary": "binary data of no known format",
    "empty": "an empty file (0 bytes)",
}

_SNIFF_BYTES = 65536


def _is_text(head: bytes, truncated: bool) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sniffing window is still text
        return truncated and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def sniff_file(path: Any) -> str:
    """Say what a file holds by its first bytes: one of the keys of :data:`FILE_KINDS`.

    Parquet (``PAR1``), HDF5 (``\\x89HDF``, also after a user block), NPZ (a zip
    archive, ``PK``), ROOT (``root``), TIFF, PNG, JPEG, safetensors (a JSON header
    after its 8-byte length), UTF-8 text; anything else is ``"binary"``.

        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
        >>> _ = p.write_text("x,y\\n1,2\\n")
        >>> sniff_file(p)
        'text'
        >>> _ = p.write_bytes(bytes(range(256)))
        >>> sniff_file(p)
        'binary'
    """
    p = Path(path)
    size = p.stat().st_size
    if size == 0:
        return "empty"
    with open(p, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    hdf5 = b"\x89HDF\r\n\x1a\n"
    if any(head[o:o + 8] == hdf5 for o in (0, 512, 1024, 2048, 4096, 8192, 16384, 32768)):
        return "hdf5"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "npz"
    if head.startswith(b"root"):
        return "root"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) > 9 and head[8:9] == b"{":
        n = int.from_bytes(head[:8], "little")
        if 2 <= n <= size - 8:
            return "safetensors"
    if _is_text(head, truncated=size > len(head)):
        return "text"
    return "binary"


def check_input_file(
    path: Any,
    kinds: str | Iterable[str],
    *,
    owner: str | None = None,
    what: str = "file",
    hint: str = "",
) -> Path:
    """Return ``Path(path)`` if it is an existing, non-empty file of one of ``kinds``.

    The checks tell apart a missing path, a directory, an empty file and a file
    of another format (sniffed by :func:`sniff_file`, never by its suffix), and
    each message says what the file is and what was expected.

    Parameters
    ----------
    path : path-like
        The file to check.
    kinds : str or iterable of str
        Allowed kinds, keys of :data:`FILE_KINDS` (e.g. ``"text"``, ``"hdf5"``).
    owner : str, optional
        Who asks (a command or function), the start of the message.
    what : str
        What the file is for, e.g. ``"experiment file"``.
    hint : str
        The fix, appended to a wrong-format or empty-file message (e.g. how to
        write such a file).

    Returns
    -------
    Path

    Raises
    ------
    PhysnnError
        If the file is missing, a directory, empty, or of another kind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.h5"
    >>> _ = p.write_text("x,y\\n1,2\\n")
    >>> check_input_file(p, "hdf5", what="data file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: data file '.../data.h5' is not an HDF5 file: it holds a UTF-8 text file.
    """
    allowed = [kinds] if isinstance(kinds, str) else list(kinds)
    for k in allowed:
        if k not in FILE_KINDS:
            raise ValueError(f"check_input_file: unknown kind {k!r}; known: {', '.join(FILE_KINDS)}")
    p = check_file(path, owner=owner, what=what)
    try:
        found = sniff_file(p)
    except PermissionError:
        raise PhysnnError(f"{_prefix(owner)}{what} {str(p)!r} cannot be read (permission denied).") from None
    if found in allowed:
        return p
    expected = " or ".join(FILE_KINDS[k] for k in allowed)
    fix = f" {hint}" if hint else ""
    if found == "empty":
        raise PhysnnError(f"{_prefix(owner)}{what} {str(p)!r} is empty (0 bytes); expected {expected}.{fix}")
    raise PhysnnError(
        f"{_prefix(owner)}{what} {str(p)!r} is not {expected}: it holds {FILE_KINDS[found]}.{fix}"
    )
