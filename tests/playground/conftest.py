"""Helpers for the playground's tests: a tab over the WebSocket (Starlette's test client)."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import pytest

pytest.importorskip("starlette", reason="the playground needs starlette: pip install 'physnn[playground]'")


class Tab:
    """One browser tab, as the protocol sees it: send messages, read them back, acknowledge frames."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.params: dict[str, Any] = {}
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.frame: dict[str, Any] | None = None

    def send(self, msg: dict[str, Any] | str) -> None:
        self.ws.send_text(msg if isinstance(msg, str) else json.dumps(msg))

    def recv(self) -> dict[str, Any]:
        msg = json.loads(self.ws.receive_text())
        self.seen.append(msg)
        if msg["type"] == "frame":
            self.frame = msg
            if msg.get("ack"):
                self.send({"type": "ack"})
        elif msg["type"] == "state":
            self.params = msg["params"]
            self.notes += msg["notes"]
        elif msg["type"] == "error":
            self.errors.append(msg["message"])
        return msg

    def until(self, pred: Callable[[dict[str, Any]], bool], limit: int = 5000) -> dict[str, Any]:
        """Read messages until one satisfies ``pred`` (at most ``limit`` messages)."""
        for _ in range(limit):
            msg = self.recv()
            if pred(msg):
                return msg
        raise AssertionError(f"no such message in {limit}; last types {[m['type'] for m in self.seen[-10:]]}")

    def frame_at(self, epoch: int) -> dict[str, Any]:
        return self.until(lambda m: m["type"] == "frame" and m["epoch"] >= epoch)

    def hello(self, **hash_values: Any) -> dict[str, Any]:
        self.send({"type": "hello", "hash": {"seed": "1", **{k: str(v) for k, v in hash_values.items()}}})
        return self.until(lambda m: m["type"] == "frame")


@pytest.fixture(scope="module")
def client():
    import torch
    from starlette.testclient import TestClient

    from physnn.playground.server import create_app

    threads = torch.get_num_threads()  # the app sets one torch thread for its sessions
    try:
        with TestClient(create_app()) as c:
            yield c
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def tab(client):
    with client.websocket_connect("/ws") as ws:
        t = Tab(ws)
        yield t
        t.send({"type": "pause"})
    time.sleep(0.05)
