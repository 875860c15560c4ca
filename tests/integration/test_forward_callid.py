"""forward() of a request whose Call-ID has spaces: Kamailio 5.6.3 forwards it as is, so
does siprouter (with a RFC 3261 branch and with an old-style branch, where the stateless
branch is seeded from the Call-ID text). The forwarded bytes are compared with what
Kamailio sends for the same cfg and input, our Via's branch and the ports normalised."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from .conftest import UdpClient, options_request

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
request_route {
    forward("127.0.0.1", @UP@);
}
"""

CALLID = "a b  c@x"


def _request(client: UdpClient, port: int, branch: str) -> bytes:
    req = options_request(client.port, port, callid="cid1")
    req = req.replace(b"branch=z9hG4bK-cid1-1", branch.encode())
    return req.replace(b"Call-ID: cid1", f"Call-ID: {CALLID}".encode())


def _forwarded(start: Any, branch: str) -> bytes | None:
    upstream = UdpClient()
    client = UdpClient()
    try:
        srv = start(CFG.replace("@UP@", str(upstream.port)))
        client.send(srv.port, _request(client, srv.port, branch))
        data = upstream.recv(5.0)
    finally:
        upstream.close()
        client.close()
    if data is None:
        return None
    data = re.sub(rb"^(Via: [^;\r\n]*;branch=)[^;\r\n]*", rb"\1B", data, count=1, flags=re.M)
    data = re.sub(rb"127\.0\.0\.1:\d+", b"127.0.0.1:P", data)
    return re.sub(rb"rport=\d+", b"rport=P", data)


BRANCHES = ["branch=z9hG4bK-cid1-1", "branch=old-style-1"]


@pytest.mark.parametrize("branch", BRANCHES, ids=["rfc3261", "rfc2543"])
def test_callid_with_spaces_is_forwarded(servers: Any, branch: str) -> None:
    got = _forwarded(servers.siprouter, branch)
    assert got is not None, "siprouter did not forward the request"
    assert f"\r\nCall-ID: {CALLID}\r\n".encode() in got


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("branch", BRANCHES, ids=["rfc3261", "rfc2543"])
def test_callid_with_spaces_like_kamailio(servers: Any, branch: str) -> None:
    ours = _forwarded(servers.siprouter, branch)
    theirs = _forwarded(servers.kamailio, branch)
    assert theirs is not None
    assert ours == theirs
