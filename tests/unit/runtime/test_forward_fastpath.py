"""The stateless forward's fast paths give the bytes of the general lump path.

runtime/forward.build_forwarded splices the received/rport edits (sip/via.forward_via1_edits)
and our Via in one copy (sip/lumps.splice) when the script left no lump; forward_reply
cuts the top via-parm out the same way. Each is compared here with the lump path it
replaces (MsgChanges.fix_top_via / add_via / set_request_uri / remove_top_via), whose Via
edits tests/unit/sip/test_via.py and test_via_kamailio.py check against Kamailio 5.6.3.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from siprouter.engine.context import (
    MF_ADD_LOCAL_RPORT,
    MF_FORCE_RPORT,
    MsgContext,
    ReceiveInfo,
)
from siprouter.runtime import forward
from siprouter.sip.lumps import LumpList, splice
from siprouter.sip.message import parse_message
from siprouter.sip.msg_apply import MsgChanges
from siprouter.sip.via import add_via_fix_lumps, build_via, forward_via1_edits, via_fix

# top Via lines of every shape the Via rules distinguish (rport with/without value,
# received before/after, blanks, several via-parms on a line, compact form, IPv6)
VIA_LINES = [
    "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.1:25080;rport;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 127.0.0.1:25080;branch=z9hG4bK1;rport=1234",
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=1.2.3.4",
    "Via: SIP/2.0/UDP 10.0.0.1;received=1.2.3.4;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 10.0.0.1;rport;received=1.2.3.4;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP localhost:25080;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP [::1]:5060;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP [::1];branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 10.0.0.1 ; branch=z9hG4bK1 ; rport",
    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2",
    "v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport",
    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport=",
    "Via: SIP/2.0/UDP 10.0.0.1",
    "Via: SIP/2.0/UDP 10.0.0.1 ",
    "Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK1",
    "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;RPORT;Received=9.9.9.9",
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=1;received=1.1.1.1",
    "Via: SIP/2.0/UDP 10.0.0.1:5060 ,SIP/2.0/UDP 10.0.0.2",
    'Via: SIP/2.0/UDP 10.0.0.1;branch=1;x="a;rport"',  # no cookie: Call-ID/CSeq seed
]
SOURCES = [("127.0.0.1", 25080), ("10.0.0.1", 5060), ("::1", 58410), ("[::1]", 7)]


def request(via_line: str, *, via_first: bool = True) -> bytes:
    head = ["Max-Forwards: 70", "From: <sip:alice@a.com>;tag=1"]
    lines = [via_line, *head] if via_first else [*head, via_line]
    return (
        "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
        + "\r\n".join(lines)
        + "\r\nTo: <sip:bob@b.com>\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\n"
        "Content-Length: 4\r\n\r\nbody"
    ).encode()


def lump_path(ctx: MsgContext, force_rport: bool) -> bytes:
    """build_forwarded as the general path makes it: every change a lump."""
    msg = ctx.msg
    ch = MsgChanges(msg)
    if ctx.has_changes:
        for lump in ctx.changes.lumps:
            ch.lumps.replace(lump.start, lump.end, lump.data or b"", what=lump.what)
    if ctx.new_uri is not None and ctx.new_uri != msg.ruri:
        ch.set_request_uri(ctx.new_uri)
    ch.fix_top_via(ctx.rcv.src_ip, ctx.rcv.src_port, force_rport=force_rport)
    ch.add_via(forward._our_via(ctx, msg, None, "udp", ctx.msg_flags))
    return ch.apply()


@pytest.mark.parametrize("via_line", VIA_LINES)
@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("force", [False, True])
def test_via1_edits_are_the_lumps(via_line: str, src: tuple[str, int], force: bool) -> None:
    msg = parse_message(request(via_line))
    via = msg.via1
    assert via is not None
    lumps = LumpList(len(msg.data))
    add_via_fix_lumps(lumps, via, via_fix(via, src[0], src[1], force_rport=force))
    edits = forward_via1_edits(via, src[0], src[1], force_rport=force)
    assert [(x.start, x.end, x.data) for x in lumps] == edits  # in application order
    assert splice(msg.data, edits) == lumps.apply(msg.data)


@pytest.mark.parametrize("via_line", VIA_LINES)
@pytest.mark.parametrize("new_uri", [None, "sip:bob@127.0.0.1", "sip:carol@10.0.0.3:5070"])
@pytest.mark.parametrize("flags", [0, MF_FORCE_RPORT, MF_ADD_LOCAL_RPORT])
@pytest.mark.parametrize("via_first", [True, False])
def test_build_forwarded_equals_the_lump_path(
    via_line: str, new_uri: str | None, flags: int, via_first: bool
) -> None:
    msg = parse_message(request(via_line, via_first=via_first))
    ctx = MsgContext(msg, ReceiveInfo("127.0.0.1", 25080, "127.0.0.1", 5060, "udp", 4))
    ctx.new_uri = new_uri
    ctx.msg_flags = flags
    out = forward.build_forwarded(ctx, None)
    assert out == lump_path(ctx, bool(flags & MF_FORCE_RPORT))
    # our Via sits above the first Via, the body is untouched
    assert out.endswith(b"\r\n\r\nbody")
    ours = [
        line for line in out.split(b"\r\n") if line.startswith(b"Via: SIP/2.0/UDP 127.0.0.1:5060;")
    ]
    assert len(ours) == 1 and ours[0].endswith(b";rport") == bool(flags & MF_ADD_LOCAL_RPORT)


def test_script_lumps_and_via_hooks_take_the_same_bytes() -> None:
    msg = parse_message(request("Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;rport"))
    ctx = MsgContext(msg, ReceiveInfo("127.0.0.1", 25080, "127.0.0.1", 5060, "udp", 4))
    ctx.changes.add_header("X-Added: 1")
    forward.VIA_PARAM_HOOKS.append(lambda _ctx: ";srvid=7")
    try:
        out = forward.build_forwarded(ctx, None)
        assert out == lump_path(ctx, False)
        assert b"X-Added: 1\r\n" in out and b";srvid=7\r\nVia: SIP/2.0/UDP 10.0.0.1;rec" in out
        bare = MsgContext(msg, ctx.rcv)  # no script lump: the splice
        assert forward.build_forwarded(bare, None) == out.replace(b"X-Added: 1\r\n", b"")
    finally:
        forward.VIA_PARAM_HOOKS.pop()


def test_build_via_from_the_cached_prefix() -> None:
    assert build_via("udp", "::1", 5070, "z9hG4bKa", rport=True) == (
        b"Via: SIP/2.0/UDP [::1]:5070;branch=z9hG4bKa;rport\r\n"
    )
    assert (
        build_via("UDP", "::1", 5070, "z9hG4bKb")
        == b"Via: SIP/2.0/UDP [::1]:5070;branch=z9hG4bKb\r\n"
    )
    assert build_via("tcp", "h.example", 5, "x", extra_params=";i=2") == (
        b"Via: SIP/2.0/TCP h.example:5;branch=x;i=2\r\n"
    )


REPLY_VIAS = [
    ["Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr1", "Via: SIP/2.0/UDP 10.0.0.1;branch=a"],
    ["Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr1, SIP/2.0/UDP 10.0.0.1;branch=a"],
    ["v: SIP/2.0/UDP 127.0.0.1;branch=x ,  SIP/2.0/UDP 10.0.0.1 , SIP/2.0/TCP 10.0.0.2"],
    ["Via: SIP/2.0/UDP 127.0.0.1;branch=x", "Via: SIP/2.0/UDP a;branch=b, SIP/2.0/UDP c"],
]


@pytest.mark.parametrize("vias", REPLY_VIAS)
@pytest.mark.parametrize("script_lump", [False, True])
def test_reply_loses_its_top_via_as_with_lumps(vias: list[str], script_lump: bool) -> None:
    data = (
        "SIP/2.0 200 OK\r\nFrom: <sip:a@b>;tag=1\r\n"
        + "\r\n".join(vias)
        + "\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    msg = parse_message(data)
    ctx = MsgContext(msg, ReceiveInfo("127.0.0.1", 5090, "127.0.0.1", 5060, "udp", 4))
    ref = MsgChanges(msg)
    if script_lump:
        ctx.changes.add_header("X-R: 1")
        ref.add_header("X-R: 1")
    ref.remove_top_via()
    out = forward._without_top_via(ctx)
    assert out == ref.apply()
    assert b"z9hG4bKsr1" not in out and (b"branch=x" not in out or "branch=x" not in vias[0])


def test_splice_is_lumplist_apply() -> None:
    rnd = random.Random(5)
    data = bytes(range(48, 48 + 60))
    for _ in range(300):
        cuts = sorted(rnd.sample(range(len(data) + 1), rnd.randint(1, 8)))
        edits: list[tuple[int, int, bytes]] = []
        lumps = LumpList(len(data))
        pos = 0
        for c in cuts:
            if c < pos:
                continue
            end = c if rnd.random() < 0.5 else min(len(data), c + rnd.randint(1, 4))
            if edits and end == c and edits[-1][1] > c:
                continue
            new = bytes([rnd.randint(97, 122)]) * rnd.randint(0, 3)
            if end == c and not new:
                new = b"+"
            edits.append((c, end, new))
            lumps.replace(c, end, new)
            pos = end
        assert splice(data, edits) == lumps.apply(data), edits


REPLIES_VIA = [
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr1, SIP/2.0/UDP 10.0.0.1;branch=a",
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr1\r\nVia: SIP/2.0/UDP 10.0.0.1",
    "v:  SIP/2.0/TCP [::1];branch=x ;rport=5 , SIP/2.0/UDP 10.0.0.1",
    "Via: SIP/2.0/UDP 127.0.0.1:99999;branch=x, SIP/2.0/UDP 10.0.0.1",  # bad port
    "Via: SIP/2.0/UDP 127.0.0.1;rport=x, SIP/2.0/UDP 10.0.0.1",  # bad rport
    "Via: SIP/2.0/UDP 127.0.0.1;branch=x,, SIP/2.0/UDP 10.0.0.1",
]


def _reply(via: str) -> bytes:
    return (
        f"SIP/2.0 200 OK\r\n{via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
        "Call-ID: r1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("via", REPLIES_VIA)
def test_reply_via1_is_msg_via1(via: str) -> None:
    from siprouter.runtime.pipeline import _reply_via1
    from siprouter.sip.errors import SipParseError

    def outcome(get: Any) -> Any:
        try:
            v = get(parse_message(_reply(via)))
        except SipParseError as e:
            return ("error", str(e))
        return (v.transport, v.host, v.port, v.params, v.start, v.end, v.params_start)

    assert outcome(_reply_via1) == outcome(lambda m: m.via1)


@pytest.mark.parametrize(
    ("lines", "ok"),
    [
        (
            "Via: SIP/2.0/UDP a\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: 1\r\nCSeq: 1 A",
            True,
        ),
        ("Via: SIP/2.0/UDP a\r\nTo: <sip:b@c>\r\nCall-ID: 1\r\nCSeq: 1 A", False),
        ("Via: SIP/2.0/UDP a\r\nFrom: <sip:a@b>;tag=1\r\nCall-ID: 1\r\nCSeq: 1 A", False),
        ("Via: SIP/2.0/UDP a\r\nFrom: <sip:a@b>\r\nTo: <sip:b@c>\r\nCSeq: 1 A", False),
        ("Via: SIP/2.0/UDP a\r\nFrom: <sip:a@b>\r\nTo: <sip:b@c>\r\nCall-ID: 1", False),
        # a second Via that does not parse: before the last required header it fails
        (
            "Via: SIP/2.0/UDP a\r\nVia: bad\r\nFrom: <sip:a@b>\r\nTo: <sip:b@c>\r\nCall-ID: 1\r\nCSeq: 1 A",
            False,
        ),
        (
            "Via: SIP/2.0/UDP a\r\nFrom: <sip:a@b>\r\nTo: <sip:b@c>\r\nCall-ID: 1\r\nCSeq: 1 A\r\nVia: bad",
            True,
        ),
        (
            "Via: SIP/2.0/UDP a\r\nVia: SIP/2.0/UDP b\r\nFrom: <sip:a@b>\r\nTo: <sip:b@c>\r\nCall-ID: 1\r\nCSeq: 1 A",
            True,
        ),
    ],
)
def test_required_headers(lines: str, ok: bool) -> None:
    from siprouter.runtime.pipeline import _has_required_headers

    msg = parse_message(f"OPTIONS sip:x@y SIP/2.0\r\n{lines}\r\nContent-Length: 0\r\n\r\n".encode())
    assert msg.via1 is not None
    assert _has_required_headers(msg) is ok


def test_cookie_branch_is_stateless_branch() -> None:
    from siprouter.sip.via import cookie_branch, stateless_branch

    msg = parse_message(request("Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabc"))
    via = msg.via1
    assert via is not None
    b = stateless_branch(via, "c1", 7, "sip:x@y")
    assert b == cookie_branch("z9hG4bKabc", "10.0.0.1:5070", "sip:x@y")
    assert b == stateless_branch(via, "other", 8, "sip:x@y")  # Call-ID/CSeq not in it
    assert b != cookie_branch("z9hG4bKabc", "10.0.0.1:5070", "sip:z@y")


def test_send_from_a_registered_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from siprouter.runtime import state

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(5)
        out.bind(("127.0.0.1", 0))
        ls = state.LocalSocket("udp", "127.0.0.1", out.getsockname()[1], 4, out)
        dest = sink.getsockname()
        assert state.send_from(ls, dest, b"one")
        assert sink.recvfrom(100) == (b"one", out.getsockname())
        monkeypatch.setattr(state, "SEND_HOOKS", [lambda p, i, port, d, data: data + b"!"])
        monkeypatch.setattr(state, "SOCKETS", {("udp", ls.ip, ls.port): ls})
        assert state.send_from(ls, dest, b"two")  # hooks: through send()
        assert sink.recvfrom(100)[0] == b"two!"
        tcp = state.LocalSocket("tcp", "127.0.0.1", 1, 4, out)
        assert not state.send_from(tcp, dest, b"x")  # no tcp sender in this process
        out.close()
        monkeypatch.setattr(state, "SEND_HOOKS", [])
        assert not state.send_from(ls, dest, b"three")  # a failed sendto is False
    finally:
        sink.close()
        out.close()
