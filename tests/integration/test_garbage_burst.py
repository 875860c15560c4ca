"""A 10,000-datagram burst of garbage mixed with valid OPTIONS (issue 5 acceptance):
every valid OPTIONS is answered exactly once, nothing else is, and the server still
serves afterwards. Sent in rounds of 100 datagrams (90 bad, 10 valid, the valid ones
spread through the round), each round's replies awaited before the next, so the test
measures robustness, not the socket buffer's size."""

from __future__ import annotations

import random
import re
from typing import Any

from .sip_load import ask, options

CFG = """\
#!KAMAILIO
debug=1
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "sl"
request_route { sl_send_reply("200", "alive"); }
"""

BAD = [
    b"garbage\x00\xff\xfe",
    b"\r\n\r\n",
    b"OPTIONS sip:x SIP/2.0\r\nCall-ID: novia\r\n\r\n",
    b"SIP/2.0 200 OK\r\n\r\n",
    b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP ::::;;;\r\nCall-ID: x\r\n\r\n",
    b"\x00" * 1500,
    b"REGISTER sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\nContent-Length: 999\r\n\r\nx",
    b"OPTIONS  SIP/2.0\r\n\r\n",
    b"\xff" * 40,
]
ROUNDS = 100
VALID_PER_ROUND = 10
_CALLID = re.compile(rb"\r\nCall-ID: (\S+)\r\n")


def test_burst_of_garbage_and_valid_requests(servers: Any, udp_client: Any) -> None:
    srv = servers.siprouter(CFG)
    rng = random.Random(4475)
    sent = 0
    for r in range(ROUNDS):
        batch = [rng.choice(BAD) for _ in range(100 - VALID_PER_ROUND)]
        valid = {f"burst-{r}-{i}".encode() for i in range(VALID_PER_ROUND)}
        for cid in sorted(valid):
            batch.insert(
                rng.randrange(len(batch) + 1), options(udp_client.port, srv.port, "b", cid.decode())
            )
        for datagram in batch:
            udp_client.send(srv.port, datagram)
        sent += len(batch)
        answered: set[bytes] = set()
        while answered != valid:
            reply = udp_client.recv(10.0)
            assert reply is not None, (
                f"round {r}: {len(valid - answered)} valid requests unanswered"
            )
            m = _CALLID.search(reply)
            assert m and reply.startswith(b"SIP/2.0 200 alive"), reply[:100]
            assert m.group(1) in valid and m.group(1) not in answered, m.group(1)
            answered.add(m.group(1))
    assert sent == 10_000
    assert udp_client.recv(0.3) is None  # the garbage got no answer
    assert ask(udp_client, srv.port, "after", "after-burst").startswith(b"SIP/2.0 200 alive")
    assert srv.proc.poll() is None
