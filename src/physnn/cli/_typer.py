"""The settings every physnn command group shares, and the output contract of every command.

:func:`command_group` makes a sub-app (plain help, no shell completion, no rich
tracebacks; errors go through :func:`physnn.cli.app.main`).  :func:`writes`
declares which parameters of a command name its outputs: a command that fails
leaves nothing there (see :func:`physnn.files.removed_on_error`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

__all__ = ["command_group", "writes", "OUTPUT_KINDS"]

#: How :func:`writes` treats an output parameter.
OUTPUT_KINDS = {
    "file": "a file the command writes (atomically)",
    "dir": "a directory the command creates and fills",
    "run": "a run directory, never overwritten: the command gets the first free name OUT, OUT-2, OUT-3, ...",
}

F = TypeVar("F", bound=Callable[..., Any])


def command_group(name: str, help: str) -> typer.Typer:
    """A typer app for ``physnn <name> ...``: ``--help`` when called bare; errors go through ``physnn.cli.app.main``.

        >>> command_group("demo", "A demo.").info.name
        'demo'
    """
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


def is_secondary_rank() -> bool:
    """True in the processes of rank > 0 of a ``torchrun`` launch (they train, rank 0 writes)."""
    try:
        return int(os.environ.get("RANK", "0")) > 0
    except ValueError:
        return False


def _as_secondary_rank(fn: Callable[..., Any], outputs: dict[str, str], args: tuple, kwargs: dict) -> Any:
    """Run a writing command on a rank > 0: it trains in step with rank 0, but its outputs go to a
    temporary folder that is removed afterwards, so the user's ``--out`` holds rank 0's run alone."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"physnn-rank{os.environ.get('RANK')}-") as tmp:
        for name in outputs:
            if kwargs.get(name) is not None:
                kwargs[name] = Path(tmp) / Path(kwargs[name]).name
        return fn(*args, **kwargs)


def writes(**outputs: str) -> Callable[[F], F]:
    """Declare a command's output parameters; if the command fails, what it created there is removed.

    Under ``torchrun`` only rank 0 writes them: the other ranks run the command with its outputs in a
    temporary folder (they take part in training, then their copies are dropped).

    Parameters
    ----------
    **outputs : str
        Parameter name -> kind, one of :data:`OUTPUT_KINDS`.  For ``"run"`` the
        command receives ``unique_run_dir(value)`` (so what it creates is known
        beforehand).  A ``None`` value (an output not asked for) is skipped.

    Returns
    -------
    callable
        A decorator; the decorated command keeps its signature (typer reads the
        wrapped function's) and carries the declaration as ``physnn_outputs``.

    Examples
    --------
    >>> @writes(out="file")
    ... def toy(out: Path) -> None: ...
    >>> toy.physnn_outputs
    {'out': 'file'}
    """
    for name, kind in outputs.items():
        if kind not in OUTPUT_KINDS:
            raise ValueError(f"writes: {name}={kind!r}; kinds are {', '.join(OUTPUT_KINDS)}")

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def command(*args: Any, **kwargs: Any) -> Any:
            from physnn.files import removed_on_error

            if is_secondary_rank():
                return _as_secondary_rank(fn, outputs, args, kwargs)
            paths = []
            for name, kind in outputs.items():
                value = kwargs.get(name)
                if value is None:
                    continue
                if kind == "run":
                    from physnn.rundir import unique_run_dir

                    value = kwargs[name] = unique_run_dir(Path(value))
                paths.append(value)
            with removed_on_error(*paths):
                return fn(*args, **kwargs)

        command.physnn_outputs = dict(outputs)  # type: ignore[attr-defined]
        return command  # type: ignore[return-value]

    return decorate
