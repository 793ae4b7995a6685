"""``physnn playground`` on the command line: a busy port is one clear line and exit code 2."""

from __future__ import annotations

import socket

import physnn.cli.app as cli


def test_a_busy_port_is_a_clear_error(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        assert cli.main(["playground", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physnn: error:") and f"port {port}" in err and "--port" in err
    assert len(err.strip().splitlines()) == 1
