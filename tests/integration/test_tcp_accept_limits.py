"""tcp_accept_iplimit and tcp_accept_unique count for the whole server (as Kamailio's
one TCP main process does): with four TCP workers (SO_REUSEPORT spreads the connections
over them) six connections from 127.0.0.1 with tcp_accept_iplimit=3 get three answered and three
closed; once an answered one closes, a new one is answered again. With
tcp_accept_haproxy and tcp_accept_unique, a second connection whose PROXY header names a
source that an open connection (of any worker) holds is closed.

No differential run: tcp_accept_iplimit is newer than Kamailio 5.6.3 (its parser refuses
it), and 5.6.3 with tcp_accept_unique=yes answers connections whose PROXY
headers name one source (checked by hand), so siprouter's PROXY-source check is stricter
than 5.6.3 here (docs/process-model.md)."""

from __future__ import annotations

import socket
import time
from typing import Any

from siprouter.runtime.tcp_proxy import proxy_v1

WAIT = 8.0

CFG = """\
#!KAMAILIO
debug=2
children=4
tcp_children=4
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
@PARAMS@
loadmodule "sl"
request_route {
    sl_send_reply("200", "OK");
    exit;
}
"""


def options(callid: str) -> bytes:
    return (
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-{callid}\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: {callid}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def answered(sock: socket.socket, data: bytes) -> bool:
    """Send `data`; True when a 200 comes back, False when the server closes."""
    try:
        sock.sendall(data)
    except OSError:
        return False
    got = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:
            return False
        if not chunk:
            return False
        got += chunk
        if b"\r\n\r\n" in got:
            return got.startswith(b"SIP/2.0 200")
    raise AssertionError("neither an answer nor a close")


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT)


def iplimit(start: Any) -> dict[str, Any]:
    srv = start(CFG.replace("@PARAMS@", "tcp_accept_iplimit=3"))
    socks = [connect(srv.port) for _ in range(6)]
    try:
        results = [answered(s, options(f"ip-{i}")) for i, s in enumerate(socks)]
        kept = [s for s, ok in zip(socks, results, strict=True) if ok]
        out: dict[str, Any] = {"answered": results.count(True), "closed": results.count(False)}
        # close one answered connection: the server notices it (bounded wait), then a new
        # connection from the same IP is served again; one more is still refused
        kept.pop().close()
        deadline = time.monotonic() + WAIT
        again = False
        while not again and time.monotonic() < deadline:
            s = connect(srv.port)
            socks.append(s)
            again = answered(s, options(f"again-{len(socks)}"))
            if not again:
                time.sleep(0.05)
        out["served after a close"] = again
        extra = connect(srv.port)
        socks.append(extra)
        out["one over the limit"] = answered(extra, options("extra"))
        out["kept still served"] = all(answered(s, options(f"k-{i}")) for i, s in enumerate(kept))
        return out
    finally:
        for s in socks:
            s.close()


IPLIMIT_WANT = {
    "answered": 3,
    "closed": 3,
    "served after a close": True,
    "one over the limit": False,
    "kept still served": True,
}


def test_iplimit_counts_the_whole_server(servers: Any) -> None:
    assert iplimit(servers.siprouter) == IPLIMIT_WANT


def unique(start: Any) -> dict[str, Any]:
    srv = start(CFG.replace("@PARAMS@", "tcp_accept_haproxy=yes\ntcp_accept_unique=yes"))
    hdr = proxy_v1(("192.0.2.7", 4007), ("127.0.0.1", srv.port))
    other = proxy_v1(("192.0.2.8", 4008), ("127.0.0.1", srv.port))
    socks = [connect(srv.port) for _ in range(6)]
    try:
        first = answered(socks[0], hdr + options("u-0"))
        # more connections naming the same source, whichever worker accepts them
        dups = [answered(s, hdr + options(f"u-{i}")) for i, s in enumerate(socks[1:5], 1)]
        return {
            "first": first,
            "duplicates answered": dups.count(True),
            "another source": answered(socks[5], other + options("u-other")),
            "first still served": answered(socks[0], options("u-0b")),
        }
    finally:
        for s in socks:
            s.close()


UNIQUE_WANT = {
    "first": True,
    "duplicates answered": 0,
    "another source": True,
    "first still served": True,
}


def test_unique_counts_the_whole_server(servers: Any) -> None:
    assert unique(servers.siprouter) == UNIQUE_WANT
