"""The core event routes of the receive pipeline, run in-process (runtime/events.py):
what each route sees and what its outcome does to the message. The expected values are
what Kamailio 5.6.3 prints for the same cfg (tests/integration/test_event_routes.py
checks them against the installed kamailio)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.cfg.core_params import effective_params
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.runtime.events import FAKED_REQUEST, unparsed_message
from siprouter.runtime.logging import LOG
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket

SRC = ("127.0.0.1", 40000)
LS = LocalSocket("udp", "127.0.0.1", 5060, 4, None)  # type: ignore[arg-type]

ROUTES = """
event_route[core:msg-received] {
    $var(k) = $(rcv(buf){s.substr,0,4});
    xlog("L_ERR", "RCV len=$rcv(len) src=$rcv(srcip):$rcv(srcport) rcv=$rcv(rcvip):$rcv(rcvport) proto=$rcv(proto)/$rcv(sproto) af=$rcv(af) rm=$rm si=$si sp=$sp Ri=$Ri ml=$ml\\n");
    if ($var(k) == "DROP") { drop; }
    if ($var(k) == "RETN") { return -1; }
    if ($var(k) == "RET0") { return 0; }
    if ($var(k) == "EXIT") { exit; }
    if ($var(k) == "EXIM") { exit(-1); }
}
event_route[core:pre-routing] {
    xlog("L_ERR", "PRE $rm $ci\\n");
    setflag(3);
    if ($rm == "NOTIFY") { drop; }
    if ($rm == "INFO") { return -1; }
}
event_route[core:receive-parse-error] {
    xlog("L_ERR", "PERR si=$si sp=$sp Ri=$Ri Rp=$Rp pr=$pr ml=$ml rm=$rm ru=$ru ci=$ci\\n");
}
event_route[core:worker-one-init] {
    xlog("L_ERR", "WOI rm=$rm ru=$ru si=$si sp=$sp ml=$ml ci=$ci pr=$pr rcv=$rcv(len) Ri=$Ri\\n");
}
request_route {
    if (isflagset(3)) { xlog("L_ERR", "REQ $rm flag3\\n"); } else { xlog("L_ERR", "REQ $rm\\n"); }
}
reply_route {
    xlog("L_ERR", "REPLY $rs\\n");
    drop;
}
"""


def make(params: str = "received_route_mode=1\n", routes: str = ROUTES) -> Pipeline:
    text = '#!KAMAILIO\nloadmodule "pv"\nloadmodule "xlog"\n' + params + routes
    config = parse_string(text, "t.cfg")
    compiled = compile_config(config)
    return Pipeline(compiled, params=effective_params(config))


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    old = (LOG.stream, LOG.level, LOG.proc_no)
    buf = io.StringIO()
    LOG.stream, LOG.level = buf, 2
    try:
        yield buf
    finally:
        LOG.stream, LOG.level, LOG.proc_no = old


def lines(buf: io.StringIO) -> list[str]:
    out = []
    for line in buf.getvalue().splitlines():
        _, _, text = line.partition(": ")
        out.append(text)
    return out


def request(method: str, callid: str = "c1", extra: str = "") -> bytes:
    return (
        f"{method} sip:a@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def test_msg_received_sees_the_datagram_on_the_faked_request(logs: Any) -> None:
    p = make()
    data = request("OPTIONS")
    p.receive(data, SRC, LS)
    got = lines(logs)
    assert got[0] == (
        f"<script>: RCV len={len(data)} src=127.0.0.1:40000 rcv=127.0.0.1:5060 proto=1/udp "
        f"af=2 rm=OPTIONS si=1.0.0.127 sp=5060 Ri=<null> ml={len(FAKED_REQUEST)}"
    )
    assert got[1:] == ["<script>: PRE OPTIONS c1", "<script>: REQ OPTIONS flag3"]


@pytest.mark.parametrize(
    ("method", "goes_on"),
    [("DROP", False), ("RETN", False), ("EXIM", False), ("RET0", True), ("EXIT", True)],
)
def test_msg_received_outcome(logs: Any, method: str, goes_on: bool) -> None:
    p = make()
    p.receive(request(method), SRC, LS)
    assert any(line == f"<script>: REQ {method} flag3" for line in lines(logs)) is goes_on


def test_msg_received_needs_received_route_mode(logs: Any) -> None:
    p = make(params="")
    p.receive(request("DROP"), SRC, LS)
    assert lines(logs) == ["<script>: PRE DROP c1", "<script>: REQ DROP flag3"]


def test_pre_routing_drop_stops_return_does_not(logs: Any) -> None:
    p = make()
    p.receive(request("NOTIFY"), SRC, LS)
    p.receive(request("INFO"), SRC, LS)
    got = [line for line in lines(logs) if not line.startswith("<script>: RCV")]
    assert got == ["<script>: PRE NOTIFY c1", "<script>: PRE INFO c1", "<script>: REQ INFO flag3"]


def test_pre_routing_runs_for_replies(logs: Any) -> None:
    p = make(params="")
    reply = (
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r1\r\n"
        b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    p.receive(reply, SRC, LS)
    assert lines(logs) == ["<script>: PRE INVITE r1", "<script>: REPLY 180"]


def test_parse_error_route_sees_buffer_and_first_line(logs: Any) -> None:
    p = make(params="")
    bad = request("OPTIONS").replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1", b"Via: bad!!via"
    )
    p.receive(bad, SRC, LS)
    got = lines(logs)
    assert got[0].startswith("<core>: receive_msg(): core parsing of SIP message from 127.0.0.1")
    assert got[1] == (
        f"<script>: PERR si=127.0.0.1 sp=40000 Ri=127.0.0.1 Rp=5060 pr=udp ml={len(bad)} "
        "rm=OPTIONS ru=sip:a@127.0.0.1 ci=<null>"
    )
    assert len(got) == 2


def test_parse_error_route_for_garbage(logs: Any) -> None:
    p = make(params="")
    garbage = b"this is some garbage that is long enough to be a message\r\n\r\n"
    p.receive(garbage, SRC, LS)
    assert lines(logs)[1] == (
        f"<script>: PERR si=127.0.0.1 sp=40000 Ri=127.0.0.1 Rp=5060 pr=udp ml={len(garbage)} "
        "rm=<null> ru=<null> ci=<null>"
    )


def test_short_datagrams_are_probing_packets(logs: Any) -> None:
    p = make()
    p.receive(b"x" * 27 + b"\r\n\r\n", SRC, LS)  # 31 bytes: ignored before any route
    assert lines(logs) == []
    p.receive(b"x" * 28 + b"\r\n\r\n", SRC, LS)  # 32 bytes: a message (that does not parse)
    assert lines(logs)[0].startswith("<script>: RCV len=32 ")


def test_reply_with_a_bad_second_via_is_no_parse_error(logs: Any) -> None:
    reply = (
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x\r\n"
        b"From: <sip:a@b>;tag=1\r\nVia: bad!!via\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r9\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    make(params="").receive(reply, SRC, LS)  # as Kamailio 5.6.3: no parse-error route
    assert lines(logs) == [
        "<script>: PRE OPTIONS r9",
        "<core>: receive_msg(): parsing relevant headers failed",
        "<core>: receive_msg(): required headers not found in reply",
    ]


def test_probing_packets_are_udp_only(logs: Any) -> None:
    tcp = LocalSocket("tcp", "127.0.0.1", 5060, 4, None)  # type: ignore[arg-type]
    make().receive(b"x" * 27 + b"\r\n\r\n", SRC, tcp)
    assert lines(logs)[0].startswith("<script>: RCV len=31 ") and "proto=2/tcp" in lines(logs)[0]


def test_no_via_and_missing_headers_are_dropped_after_pre_routing(logs: Any) -> None:
    p = make(params="")
    novia = request("OPTIONS").replace(
        b"Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n", b""
    )
    nocid = request("OPTIONS").replace(b"Call-ID: c1\r\n", b"")
    badvia2 = request("OPTIONS", extra="Via: bad!!via\r\n").replace(b"Call-ID: c1\r\n", b"")
    badvia2 = badvia2.replace(b"Content-Length", b"Call-ID: c9\r\nContent-Length")
    for data in (novia, nocid, badvia2):
        p.receive(data, SRC, LS)
    assert lines(logs) == [
        "<script>: PRE OPTIONS c1",
        "<core>: receive_msg(): no via found in request",
        "<script>: PRE OPTIONS <null>",
        "<core>: receive_msg(): required headers not found in request",
        "<script>: PRE OPTIONS c9",
        "<core>: receive_msg(): parsing relevant headers failed",
        "<core>: receive_msg(): required headers not found in request",
    ]


@pytest.mark.parametrize(("rank", "runs"), [(0, True), (1, True), (2, False)])
def test_worker_one_init_runs_once_in_the_first_worker(logs: Any, rank: int, runs: bool) -> None:
    p = make()
    p.worker_init(rank)
    p.worker_init(rank)
    expected = (
        f"<script>: WOI rm=OPTIONS ru=sip:you@kamailio.org si=1.0.0.127 sp=5060 "
        f"ml={len(FAKED_REQUEST)} ci=123 pr=udp rcv=<null> Ri=<null>"
    )
    assert lines(logs) == ([expected] if runs else [])


def test_unparsed_message_keeps_the_whole_buffer() -> None:
    data = b"OPTIONS sip:x@y SIP/2.0\r\nVia: ???\r\nCall-ID: a\r\n\r\n"
    msg = unparsed_message(data)
    assert msg.data == data and msg.method == "OPTIONS" and msg.ruri == "sip:x@y"
    assert msg.header("Call-ID") is None
    junk = unparsed_message(b"\x00\x01 not sip at all\r\n\r\n")
    assert not junk.is_request and junk.method == "" and junk.ruri is None
