"""tcp_accept_no_cl=yes: a request over TCP without Content-Length is framed at the end
of its headers and answered (not dropped by the parser); without the parameter the
connection is closed. Differential against kamailio."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from .test_tcp_server import connect, eof, read_until, replies, req

CFG = """\
#!KAMAILIO
debug=2
listen=127.0.0.1:@PORT@
@EXTRA@
loadmodule "sl"
request_route { sl_send_reply("200", "OK no-cl"); }
"""


def _first_lines(servers: Any, which: str, extra: str) -> list[str]:
    srv = getattr(servers, which)(CFG.replace("@EXTRA@", extra))
    sock = connect(srv.port)
    try:
        sock.sendall(req("nocl", cl=False))
        data = read_until(sock, eof if not extra else replies(1))
    finally:
        sock.close()
    return [line for line in data.decode(errors="replace").split("\r\n") if line.startswith(("SIP/", "<EOF>"))]  # fmt: skip


def test_no_content_length_accepted_when_configured(servers: Any) -> None:
    assert _first_lines(servers, "siprouter", "tcp_accept_no_cl=yes") == ["SIP/2.0 200 OK no-cl"]
    assert _first_lines(servers, "siprouter", "") == ["<EOF>"]  # closed, no reply


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_no_content_length_matches_kamailio(servers: Any) -> None:
    for extra in ("tcp_accept_no_cl=yes", ""):
        ours = _first_lines(servers, "siprouter", extra)
        servers.stop_all()
        assert ours == _first_lines(servers, "kamailio", extra), extra
        servers.stop_all()
