"""Tests for siprouter.sip.msg_apply: header-addressed lumps on a parsed message and
msg_apply_changes()."""

from __future__ import annotations

import pytest

from siprouter.sip import headers as H
from siprouter.sip.lumps import LumpConflictError
from siprouter.sip.message import parse_message
from siprouter.sip.msg_apply import MsgChanges, apply_changes, header_index
from siprouter.sip.uri import parse_uri

INVITE = (
    b"INVITE sip:bob@b.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"From: <sip:alice@a.com>;tag=1\r\n"
    b"To: <sip:bob@b.com>\r\n"
    b"Call-ID: c1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"X-Foo: a\r\n"
    b"x-foo: b\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def changes(data: bytes = INVITE) -> MsgChanges:
    return MsgChanges(parse_message(data))


def test_untouched_message_is_identical() -> None:
    ch = changes()
    assert ch.apply() == INVITE
    assert ch.apply_changes() is ch.msg


def test_add_header_end_before_after() -> None:
    ch = changes()
    cseq = ch.find("CSeq")[0]
    ch.add_header(b"X-End: 1")
    ch.add_header("X-Before: 2", before=cseq)
    ch.add_header(b"X-After: 3\r\n", after=cseq)
    ch.add_header_first(b"X-First: 0")
    lines = ch.apply().split(b"\r\n")
    assert lines[1] == b"X-First: 0"
    i = lines.index(b"CSeq: 1 INVITE")
    assert lines[i - 1] == b"X-Before: 2" and lines[i + 1] == b"X-After: 3"
    assert lines[lines.index(b"Content-Length: 4") + 1] == b"X-End: 1"


def test_add_header_rejects_both_anchors() -> None:
    ch = changes()
    f = ch.find("CSeq")[0]
    with pytest.raises(ValueError):
        ch.add_header(b"X: 1", before=f, after=f)


def test_remove_headers_by_name_any_case() -> None:
    ch = changes()
    assert ch.remove_headers("X-FOO") == 2
    out = ch.apply()
    assert b"X-Foo" not in out and b"x-foo" not in out
    assert ch.remove_headers(b"X-Absent") == 0


def test_remove_same_header_twice_is_fine_but_adding_inside_it_conflicts() -> None:
    ch = changes()
    f = ch.find("Call-ID")[0]
    ch.remove_header(f)
    ch.remove_header(f)
    assert b"Call-ID" not in ch.apply()
    with pytest.raises(LumpConflictError, match="remove header Call-ID"):
        ch.lumps.insert(f.value_start, b"x", what="edit Call-ID")


def test_via_record_route_and_ruri() -> None:
    ch = changes()
    ch.fix_top_via("127.0.0.1", 5099)
    ch.add_record_route(b"Record-Route: <sip:127.0.0.1;lr>")
    ch.add_via(b"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnew")
    ch.set_request_uri(parse_uri("sip:carol@c.example.com:5070"))
    new = ch.apply_changes()
    assert new.ruri == "sip:carol@c.example.com:5070"
    assert [v.branch for v in new.vias] == ["z9hG4bKnew", "z9hG4bKabc"]
    assert new.vias[1].received == "127.0.0.1" and new.vias[1].rport == 5099
    assert new.header_fields[0].hid == H.RECORD_ROUTE
    assert not ch.lumps  # the script now sees the new message with no pending changes
    assert ch.msg is new


def test_set_request_uri_on_reply_is_refused() -> None:
    reply = parse_message(
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
        b"To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    with pytest.raises(ValueError):
        MsgChanges(reply).set_request_uri("sip:x")


def test_set_body_updates_content_length_and_type() -> None:
    ch = changes()
    ch.set_body(b"hello world", "text/plain")
    new = ch.apply_changes()
    assert new.body == b"hello world" and new.content_length == 11
    assert new.header(H.CONTENT_TYPE) == b"text/plain"


def test_set_body_adds_content_length_when_missing() -> None:
    data = INVITE.replace(b"Content-Length: 4\r\n", b"")
    ch = changes(data)
    ch.set_body(b"abc", b"text/plain")
    new = ch.apply_changes()
    assert new.content_length == 3 and new.body == b"abc"


def test_second_round_of_changes_after_apply() -> None:
    ch = changes()
    ch.add_header(b"X-One: 1")
    ch.apply_changes()
    ch.add_header(b"X-Two: 2")
    one = ch.find("X-One")
    assert len(one) == 1
    ch.remove_header(one[0])
    new = ch.apply_changes()
    assert new.header("X-Two") == b"2" and new.header("X-One") is None


def test_apply_changes_function() -> None:
    msg = parse_message(INVITE)
    ch = MsgChanges(msg)
    ch.add_header(b"X-Z: z")
    new = apply_changes(msg, ch.lumps)
    assert new.header("X-Z") == b"z" and msg.header("X-Z") is None


def test_header_index_paths_agree() -> None:
    """The fast index (two lists) says what the HeaderField objects say."""
    msg = parse_message(INVITE)
    fields = msg.header_fields
    hids, starts = header_index(msg)
    assert hids == [f.hid for f in fields]
    assert starts == [f.start for f in fields] + [fields[-1].end]
    assert len(starts) == len(hids) + 1 and starts[-1] == msg.headers_end
    assert INVITE[starts[0] : starts[1]].startswith(b"Via:")


@pytest.mark.parametrize(
    ("vias", "expected"),
    [
        ("Via: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b", "Via: SIP/2.0/UDP b\r\n"),
        (
            "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\nVia: SIP/2.0/UDP c",
            "Via: SIP/2.0/UDP b\r\nVia: SIP/2.0/UDP c\r\n",
        ),
        ("v: SIP/2.0/UDP a ,\r\n SIP/2.0/UDP b", "v: SIP/2.0/UDP b\r\n"),
    ],
)
def test_remove_top_via(vias: str, expected: str) -> None:
    data = (
        f"SIP/2.0 200 OK\r\n{vias}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
        "Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    ch = MsgChanges(parse_message(data))
    ch.remove_top_via()
    out = ch.apply().decode()
    assert out.startswith("SIP/2.0 200 OK\r\n" + expected + "From:")
