"""The core statistics' counting rules against Kamailio 5.6.3: the same requests and
replies go to kamailio (its core group read over jsonrpcs) and, parsed by siprouter's
SIP layer, through stats.core.message_received plus the outcome the pipeline reports
(here every reply is dropped by the reply route: reply_dropped). Every core statistic
must end equal, which checks the names, the method and code classes, 18x and the
per-code counters, case-insensitive methods and unsupported_methods."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from siprouter import stats
from siprouter.shared import counters as counters_mod
from siprouter.shared import space as space_mod
from siprouter.sip.message import parse_message
from siprouter.stats import core

from .conftest import HAS_KAMAILIO
from .test_stats_rpc_kamailio import KamailioRpc

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "kex"
@RPC@
request_route {
    if ($rU == "sync") { sl_send_reply("200", "sync"); }
    exit;
}
reply_route { drop; }
"""

REQUESTS = [
    "INVITE",
    "invite",
    "ACK",
    "BYE",
    "CANCEL",
    "INFO",
    "MESSAGE",
    "NOTIFY",
    "OPTIONS",
    "PRACK",
    "PUBLISH",
    "REFER",
    "REGISTER",
    "SUBSCRIBE",
    "UPDATE",
    "FOOBAR",
    "KDMQ",
    "Message",
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "kdmq",
    "INVITEX",
]
REPLIES = [
    (100, "INVITE"),
    (180, "INVITE"),
    (183, "BYE"),
    (189, "MESSAGE"),
    (200, "INVITE"),
    (202, "REFER"),
    (200, "OPTIONS"),
    (301, "SUBSCRIBE"),
    (302, "INVITE"),
    (401, "REGISTER"),
    (404, "INVITE"),
    (407, "CANCEL"),
    (480, "UPDATE"),
    (486, "INVITE"),
    (488, "PRACK"),
    (500, "PUBLISH"),
    (503, "MESSAGE"),
    (603, "INVITE"),
    (699, "REGISTER"),
    (200, "info"),
]


def _request(port: int, method: str, user: str = "x") -> bytes:
    cid = uuid.uuid4().hex
    return (
        f"{method} sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-{cid};rport\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f-{cid}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {cid}\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _reply(code: int, method: str) -> bytes:
    cid = uuid.uuid4().hex
    return (
        f"SIP/2.0 {code} Some Reason\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKb\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f-{cid}\r\nTo: <sip:x@127.0.0.1>;tag=t\r\n"
        f"Call-ID: {cid}\r\nCSeq: 7 {method}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture
def fresh() -> Any:
    space_mod.reset()
    counters_mod.reset()
    stats.reset()
    yield
    stats.reset()
    counters_mod.reset()
    space_mod.reset()


def test_core_statistics_count_as_kamailio(servers, udp_client, tmp_path: Path, fresh) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "kamailio_rpc.fifo"
    srv = servers.kamailio(CFG.replace("@RPC@", KamailioRpc.modparams(fifo, tmp_path)))
    kam = KamailioRpc(fifo, tmp_path)
    before = kam.call("stats.fetchn", "core:")

    messages = [_request(srv.port, m) for m in REQUESTS] + [_reply(c, m) for c, m in REPLIES]
    for data in messages:
        udp_client.send(srv.port, data)
    udp_client.send(srv.port, _request(srv.port, "OPTIONS", "sync"))
    reply = udp_client.recv(10.0)
    assert reply is not None and b" 200 sync" in reply  # everything before it was routed
    after = kam.call("stats.fetchn", "core:")
    theirs = {k.split(".", 1)[1]: after[k] - before.get(k, 0) for k in after}

    for data in [*messages, _request(srv.port, "OPTIONS", "sync")]:
        msg = parse_message(data)
        core.message_received(msg)
        if not msg.is_request:
            core.reply_dropped()
    ours = {s.name: s.value() for s in stats.registry().in_group("core")}
    assert ours == theirs
    assert (
        ours["rcv_requests"] == len(REQUESTS) + 1 and ours["unsupported_methods"] == 2
    )  # FOOBAR INVITEX
