"""The playground's web server: Starlette on uvicorn, one WebSocket and one session per tab.

``GET /`` serves the page, ``/static/...`` its script and style (all inside
the package: nothing is fetched from the internet), and ``/ws`` is the tab's
WebSocket: JSON messages from the page go to the tab's
:class:`~physnn.playground.session.Session`, which answers with state, data
and frame messages.  When the tab closes, the socket closes and the session
ends.  A crash in one session is reported in its own tab and never reaches
another: each runs in its own thread with its own data and network.

Torch runs one intra-op thread for the whole server (small networks are
fastest on one thread, and the sessions' threads then never compete inside
torch).
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Any

from physnn.playground.datasets import MAX_UPLOAD_BYTES
from physnn.playground.session import Session, encode

__all__ = ["create_app", "serve", "port_free", "MAX_MESSAGE_BYTES"]

#: The largest message the page may send (an upload's text plus a little).
MAX_MESSAGE_BYTES = MAX_UPLOAD_BYTES + 64 * 1024


def _static_dir() -> str:
    return str(resources.files("physnn.playground").joinpath("static"))


def create_app() -> Any:
    """The ASGI application (a Starlette app); sets torch to one intra-op thread."""
    import torch
    from starlette.applications import Starlette
    from starlette.responses import FileResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocket, WebSocketDisconnect

    torch.set_num_threads(1)
    # The first optimizer a process makes imports torch._dynamo (seconds): do it now, not on the first Play.
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    static = _static_dir()
    sessions: set[Session] = set()

    async def index(request: Any) -> Response:
        return FileResponse(f"{static}/index.html", headers={"Cache-Control": "no-store"})

    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def send(msg: dict[str, Any]) -> None:  # called from the session's thread
            loop.call_soon_threadsafe(outbox.put_nowait, msg)

        session = Session(send)
        sessions.add(session)
        session.start()

        async def pump() -> None:
            while True:
                msg = await outbox.get()
                if msg is None:
                    return
                await ws.send_text(encode(msg))

        sender = asyncio.create_task(pump())
        try:
            while True:
                text = await ws.receive_text()
                if len(text) > MAX_MESSAGE_BYTES:
                    send({"type": "error", "message": f"message of {len(text) / 1e6:.1f} MB refused; "
                          f"files up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB can be uploaded."})
                    continue
                try:
                    msg = json.loads(text)
                except ValueError:
                    send({"type": "error", "message": "a message must be JSON; it was ignored."})
                    continue
                session.command(msg)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            session.close()
            sessions.discard(session)
            sender.cancel()
            await asyncio.to_thread(session.close, 5.0)  # wait for its thread to end

    async def health(request: Any) -> Response:
        return Response(json.dumps({"sessions": sum(s.alive for s in sessions)}), media_type="application/json")

    return Starlette(routes=[
        Route("/", index),
        Route("/health", health),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=static), name="static"),
    ])


def port_free(host: str, port: int) -> bool:
    """True if a server could listen on ``host:port`` now."""
    import socket

    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return True  # let the server report a bad host itself
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError:
            return False
    return True


def serve(host: str = "127.0.0.1", port: int = 8050, *, open_browser: bool = True,
          ready: Any = None) -> None:
    """Run the server until interrupted; open the page in the browser unless told not to."""
    import threading
    import webbrowser

    import torch
    import uvicorn

    torch.set_num_threads(1)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning",
                            ws_max_size=MAX_MESSAGE_BYTES + 1024, ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    if open_browser:
        def _open() -> None:
            import time

            while not server.started:
                time.sleep(0.05)
            webbrowser.open(url)

        threading.Thread(target=_open, daemon=True).start()
    server.run()
