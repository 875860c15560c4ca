"""tcp cfg values changed at runtime on an open TCP connection: cfg.set_now_int tcp
crlf_ping turns the answer to CRLF keep-alives off and on again, from the next read of
the connection on, in siprouter as in Kamailio 5.6.3."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, options_request
from .kamailio_rpc import jsonrpcs_cfg, kamailio_rpc
from .test_core_cfg_runtime import forked_siprouter

CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
@EXTRA@
loadmodule "sl"
loadmodule "cfg_rpc"
request_route { sl_send_reply("200", "ok"); }
"""

WAIT = 5.0


def _until_reply(sock: socket.socket) -> bytes:
    """What the connection gives until the end of a reply's headers (bounded)."""
    data = b""
    while b"\r\n\r\n" not in data.lstrip(b"\r\n") or b"SIP/2.0" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed: {data!r}"
        data += chunk
    return data


def _observe(port: int, rpc: Any) -> list[tuple[str, bool]]:
    """For each crlf_ping value: whether a CRLF keep-alive sent before a request was
    answered (the answer comes before the request's reply on the stream)."""
    seen = []
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        local = sock.getsockname()[1]
        for n, value in enumerate([None, 0, 1]):
            if value is not None:
                assert rpc("cfg.set_now_int", "tcp", "crlf_ping", value) == {}
            req = options_request(local, port, callid=f"tcp-ping-{n}", cseq=n + 1)
            req = req.replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP")
            sock.sendall(b"\r\n\r\n" + req)
            data = _until_reply(sock)
            seen.append((f"crlf_ping={value}", data.startswith(b"\r\n")))
    return seen


def test_crlf_ping_follows_the_change(tmp_path: Path) -> None:
    with forked_siprouter(tmp_path, CFG.replace("@EXTRA@", "")) as t:
        seen = _observe(t.port, t.rpc)
    assert seen == [("crlf_ping=None", True), ("crlf_ping=0", False), ("crlf_ping=1", True)]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_crlf_ping_as_kamailio(servers: Any, tmp_path: Path) -> None:
    fifo = str(tmp_path / "kam.fifo")
    extra = jsonrpcs_cfg(fifo)
    kam = servers.kamailio(CFG.replace("@EXTRA@", extra))
    theirs = _observe(kam.port, lambda *c: kamailio_rpc(fifo, *c))
    with forked_siprouter(tmp_path, CFG.replace("@EXTRA@", "")) as t:
        assert _observe(t.port, t.rpc) == theirs
