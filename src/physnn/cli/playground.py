"""``physnn playground``: start the playground's local server and open it in the browser."""

from __future__ import annotations

import sys

import typer

from physnn.errors import check_int

__all__ = ["playground", "register"]


def playground(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; 0.0.0.0 lets anyone on the network in."),
    port: int = typer.Option(8050, "--port", help="TCP port (1-65535)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the page in a browser."),
) -> None:
    """Train networks interactively in the browser: TF Playground's knobs on physnn's engine."""
    port = check_int("port", port, low=1, high=65535, owner="physnn playground")
    if host in ("0.0.0.0", "::", ""):
        print("physnn: warning: --host 0.0.0.0 lets anyone on your network reach this playground "
              "(and make this machine train for them); use it only on a network you trust.", file=sys.stderr)
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        from physnn.errors import PhysnnError

        raise PhysnnError(f"physnn playground needs the package {exc.name!r}: pip install 'physnn[playground]'.") from None
    from physnn.playground.server import port_free, serve

    if not port_free(host, port):
        from physnn.errors import PhysnnError

        raise PhysnnError(f"physnn playground: port {port} on {host} is in use (another playground?); "
                          f"pick another with --port, e.g. --port {port + 1}.")

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"physnn playground on http://{shown}:{port}/  (Ctrl+C to stop)", file=sys.stderr)
    serve(host, port, open_browser=not no_browser)


def register(app: typer.Typer) -> None:
    """Add ``physnn playground`` to the top-level app."""
    app.command("playground", epilog="Examples:\n\n  physnn playground\n\n"
                "  physnn playground --port 8080 --no-browser\n\n"
                "  open http://127.0.0.1:8050/#dataset=xor&networkShape=8,8&activation=tanh&learningRate=0.03")(playground)
