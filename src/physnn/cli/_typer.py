"""The settings every physnn command group shares (plain help, no shell completion, no rich tracebacks)."""

from __future__ import annotations

import typer

__all__ = ["command_group"]


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
