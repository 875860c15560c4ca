"""SIP requests for the integration tests that drive a running server from one UDP
client: an OPTIONS with a given R-URI user and Call-ID, and a windowed load of many
distinct Call-IDs (so every worker of a multi-worker server gets its share)."""

from __future__ import annotations

import re
import uuid
from typing import Any

_CALLID = re.compile(rb"\r\nCall-ID: (\S+)\r\n")


def options(client_port: int, port: int, user: str, callid: str) -> bytes:
    """An OPTIONS for sip:user@127.0.0.1:port from 127.0.0.1:client_port (with rport)."""
    return (
        f"OPTIONS sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-{callid};rport\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f-{callid}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def ask(client: Any, port: int, user: str, callid: str) -> bytes:
    """Send one OPTIONS and return its reply (an assertion error when none comes)."""
    client.send(port, options(client.port, port, user, callid))
    reply = client.recv()
    assert reply is not None, f"no reply to {user} ({callid})"
    return bytes(reply)


def windowed_load(client: Any, port: int, n: int, window: int, expect: bytes) -> None:
    """n OPTIONS to user "load", each with its own Call-ID, `window` in flight; every one
    must be answered exactly once with a reply starting with `expect`."""
    callids = [f"load-{i}-{uuid.uuid4().hex}" for i in range(n)]
    answered: set[bytes] = set()
    sent = 0
    while len(answered) < n:
        while sent < n and sent - len(answered) < window:
            client.send(port, options(client.port, port, "load", callids[sent]))
            sent += 1
        reply = client.recv(10.0)
        assert reply is not None, f"{n - len(answered)} requests unanswered"
        m = _CALLID.search(reply)
        assert m and reply.startswith(expect), reply[:120]
        assert m.group(1) not in answered
        answered.add(m.group(1))
