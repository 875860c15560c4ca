"""Real-world shaped SIP messages (``tests/data/sip/captures/``) through the parser.

The captures are hand-written in the shape phones, proxies and registrars send: an INVITE
with SDP, a REGISTER with several Contacts (q, expires, +sip.instance, reg-id), a 200 OK with
Vias across headers and comma-joined, IPv6 everywhere, compact header names, Route and
Record-Route lists, digest Authorization and a 401 challenge, and a TCP byte stream with two
messages back to back and the start of a third. Each test states the values a reader of the
message would see.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.message import SipMessage, frame_length, parse_message
from siprouter.sip.uri import parse_uri

DATA = Path(__file__).resolve().parents[2] / "data" / "sip" / "captures"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str, **kw: object) -> SipMessage:
    m = parse_message(load(name + ".sip"), **kw)  # type: ignore[arg-type]
    assert m.check_mandatory() is None
    m.parse_all()
    return m


def test_invite_with_sdp() -> None:
    m = parse("invite_sdp")
    assert m.is_request and m.method == "INVITE"
    assert m.ruri == "sip:bob@biloxi.example.com"
    v = m.via1
    assert v is not None
    assert (v.transport, v.host, v.port, v.branch) == (
        "UDP",
        "192.0.2.101",
        5060,
        "z9hG4bK776asdhds",
    )
    assert v.has_rport and v.rport is None
    assert m.max_forwards == 70
    assert m.to is not None and m.to.display == "Bob" and m.to.tag is None
    assert m.from_ is not None and m.from_.display == "Alice Liddell"
    assert m.from_.tag == "1928301774"
    assert m.callid == "a84b4c76e66710@pc33.atlanta.example.com"
    assert m.cseq is not None and (m.cseq.num, m.cseq.method) == (314159, "INVITE")
    c = m.contacts[0].uri
    assert (c.user, c.host, c.port, c.transport) == ("alice", "192.0.2.101", 5060, "udp")
    assert m.allow == ["INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REFER", "NOTIFY", "MESSAGE",
                       "SUBSCRIBE", "INFO"]  # fmt: skip
    assert m.supported == ["replaces", "timer"]
    assert m.user_agent == "ExamplePhone/4.2.1"
    assert m.session_expires.delta == 1800 and m.session_expires.refresher == "uac"
    assert m.pai[0].display == "Alice Liddell"
    assert m.pai[0].uri_text == "sip:+15551234567@atlanta.example.com;user=phone"
    assert m.pai[0].uri.user_param == "phone"
    assert m.content_type is not None and m.content_type.mime == "application/sdp"
    assert m.content_length == len(m.body) == 240
    assert m.body.startswith(b"v=0\r\no=alice ") and m.body.endswith(b"a=sendrecv\r\n")
    assert len(m.data) == 920


def test_register_with_several_contacts() -> None:
    m = parse("register_contacts")
    assert m.method == "REGISTER" and m.ruri == "sip:registrar.biloxi.example.com"
    assert m.via1 is not None and m.via1.transport == "TCP" and m.via1.has_alias
    cs = m.contacts
    assert [c.uri_text for c in cs] == [
        "sip:bob@192.0.2.4:50012;transport=tcp",
        "sip:bob@198.51.100.7:5062;ob",
        "sip:bob@203.0.113.9",
    ]
    assert [c.q for c in cs] == [0.7, 1.0, 0.1]
    assert [c.expires for c in cs] == [3600, 600, None]
    assert cs[0].instance == "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"
    assert cs[0].reg_id == 1
    assert cs[1].instance is None and cs[1].reg_id is None
    assert cs[1].display == "Bob mobile"
    assert cs[1].uri.has_param("ob")
    assert m.expires == 7200
    assert m.supported == ["path", "outbound", "gruu"]
    assert len(m.headers("Contact")) == 2  # two header lines, three contacts


def test_200_ok_vias_across_headers_and_commas() -> None:
    m = parse("ok200_vias")
    assert not m.is_request and m.status == 200 and m.reason == b"OK"
    assert m.method == "INVITE"  # a reply's method is its CSeq method
    hosts = [(v.transport, v.host, v.port) for v in m.vias]
    assert hosts == [
        ("UDP", "proxy2.example.net", 5060),
        ("UDP", "proxy1.example.com", 5060),
        ("TCP", "192.0.2.101", 5060),
        ("UDP", "10.0.0.5", 5070),
    ]
    assert [v.received for v in m.vias] == ["198.51.100.22", "192.0.2.11", "192.0.2.101", None]
    assert m.vias[2].rport == 5060
    assert m.via2 is not None and m.via2.branch == "z9hG4bK721e418c4.1"
    assert len(m.headers("Via")) == 3 and len(m.values("Via")) == 4
    assert [r.uri.host for r in m.record_routes] == ["proxy2.example.net", "proxy1.example.com"]
    assert all(r.uri.lr for r in m.record_routes)
    assert m.record_routes[1].uri.params["ftag"] == "1928301774"
    assert m.to is not None and m.to.tag == "a6c85cf"
    assert m.body == b"" and m.content_length == 0


def test_ipv6_everywhere() -> None:
    m = parse("ipv6_invite")
    u = parse_uri(m.ruri or "")
    assert (u.user, u.host, u.port, u.transport) == ("bob", "[2001:db8::10]", 5070, "udp")
    v1, v2 = m.vias
    assert (v1.host, v1.host_bare, v1.port) == ("[2001:db8::9:1]", "2001:db8::9:1", 5060)
    assert v1.received == "2001:db8::9:255" and v1.rport == 5060
    assert (v2.host, v2.port, v2.branch) == ("[2001:db8::1]", None, "z9hG4bKfirst")
    assert m.to is not None and m.to.uri.host == "[2001:db8::10]"
    assert m.from_ is not None and m.from_.uri.host == "[2001:db8::1]"
    assert m.callid == "ipv6call.12@2001:db8::1"
    c = m.contacts[0]
    assert c.display == "Alice" and (c.uri.host, c.uri.port) == ("[2001:db8::1]", 5060)
    assert m.record_routes[0].uri.host == "[2001:db8::9:1]" and m.record_routes[0].uri.lr
    assert b"c=IN IP6 2001:db8::1\r\n" in m.body


def test_compact_forms_everywhere() -> None:
    m = parse("compact_forms")
    assert m.via1 is not None and m.via1.branch == "z9hG4bKcmp1"
    assert m.from_ is not None and m.from_.tag == "cmp-from" and m.from_.display == "Alice"
    assert m.to is not None and m.to.uri.user == "carol"
    assert m.callid == "compact.9932@192.0.2.44"
    assert m.contacts[0].uri.host == "192.0.2.44"
    assert m.supported == ["100rel", "timer"]  # k
    assert m.header("Subject") == b"compact forms everywhere"  # s
    assert m.event is not None and m.event.package == "presence"  # o
    assert m.refer_to is not None and m.refer_to.uri.user == "refer-target"  # r
    assert m.referred_by is not None and m.referred_by.uri.user == "referrer"  # b
    assert m.allow_events == ["INVITE", "ACK"]  # u
    assert m.content_type is not None and m.content_type.mime == "application/sdp"  # c
    assert m.header("Content-Encoding") == b"identity"  # e
    assert m.content_length == len(m.body) == 89  # l
    # long and compact names reach the same header, in any case
    for long_name, short in [("From", "f"), ("To", "t"), ("Call-ID", "i"), ("Via", "v"),
                             ("Contact", "m"), ("Content-Type", "c"), ("Content-Length", "L")]:  # fmt: skip
        assert m.header(long_name) == m.header(short) == m.header(long_name.upper())
    # header_fields keep the names as written
    assert [f.name for f in m.header_fields][:4] == ["v", "f", "t", "i"]


def test_route_lists() -> None:
    m = parse("route_set")
    assert [r.uri_text for r in m.routes] == [
        "sip:proxy1.example.com;lr;ftag=1928301774",
        "sip:proxy2.example.net;lr",
        "sip:edge.example.org:5080;transport=tcp;lr",
    ]
    assert [r.uri.lr for r in m.routes] == [True, True, True]
    assert m.routes[2].uri.port == 5080 and m.routes[2].uri.transport == "tcp"
    assert len(m.headers("Route")) == 2
    assert m.record_routes == []


def test_digest_authorization() -> None:
    m = parse("register_auth")
    (cred,) = m.authorization
    assert cred.is_digest and cred.scheme.lower() == "digest"
    assert cred.username == "alice"
    assert cred.realm == "atlanta.example.com"
    assert cred.nonce == "ea9c8e88df84f1cec4341ae6cbe5a359"
    assert cred.uri == "sip:atlanta.example.com"
    assert cred.response == "dfe56131d1958046689d83306477ecc"
    assert cred.algorithm == "MD5"
    assert cred.qop == "auth" and cred.nc == "00000001" and cred.cnonce == "0a4f113b"
    assert cred.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert m.proxy_authorization == []
    assert m.contacts[0].expires == 3600


def test_401_challenge() -> None:
    m = parse("unauthorized_401")
    assert (m.status, m.reason) == (401, b"Unauthorized")
    assert m.method == "REGISTER"
    (ch,) = m.www_authenticate
    assert ch.is_digest
    assert ch.realm == "atlanta.example.com"
    assert ch.qop == ["auth", "auth-int"]
    assert ch.nonce == "ea9c8e88df84f1cec4341ae6cbe5a359"
    assert ch.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert ch.stale is False and ch.algorithm == "MD5"
    assert m.server == "ExampleRegistrar/1.0"
    assert m.to is not None and m.to.tag == "37GkEhwl6"


def test_tcp_stream_framing() -> None:
    buf = load("tcp_stream.bin")
    n1 = frame_length(buf)
    assert n1 == 279
    m1 = parse_message(buf[:n1], transport="tcp")
    assert (m1.method, m1.callid, m1.body) == ("OPTIONS", "tcp-stream-1@192.0.2.44", b"")
    rest = buf[n1:]
    n2 = frame_length(rest)
    assert n2 == 335
    m2 = parse_message(rest[:n2], transport="tcp")
    assert m2.method == "MESSAGE" and m2.body == b"Hello over TCP.\r\nSecond line."
    partial = rest[n2:]
    assert len(partial) == 60
    assert frame_length(partial) is None  # the third message is not complete yet
    # byte by byte, a frame appears exactly when its last byte arrives
    seen = [k for k in range(1, len(buf) + 1) if frame_length(buf[:k]) is not None]
    assert seen[0] == n1


def test_tcp_without_content_length_is_an_error() -> None:
    raw = load("route_set.sip").replace(b"Content-Length: 0\r\n", b"")
    with pytest.raises(SipParseError):
        parse_message(raw, transport="tcp")
    m = parse_message(raw, transport="tcp", tcp_accept_no_cl=True)
    assert m.body == b""
    m = parse_message(raw, transport="udp")
    assert m.content_length is None


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.sip")))
def test_every_capture_is_valid_and_mandatory_complete(name: str) -> None:
    m = parse(name)
    assert m.data == load(name + ".sip")  # nothing past the body, nothing dropped
    assert m.body_end == len(m.data)


@pytest.mark.kamailio
def test_kamailio_answers_every_request_capture(
    kamailio_sl: Callable[[bytes], bytes | None],
) -> None:
    """The captures are well formed by Kamailio's measure too: it answers each request."""
    names = sorted(p.stem for p in DATA.glob("*.sip") if not load(p.name).startswith(b"SIP/"))
    assert len(names) == 6
    got = {name: kamailio_sl(load(name + ".sip")) for name in names}
    assert got == {name: b"SIP/2.0 200 OK" for name in names}


@pytest.mark.kamailio
def test_kamailio_reads_the_same_values(
    kamailio_pvs: Callable[[bytes], list[str] | None],
    our_pvs: Callable[[SipMessage], list[str]],
) -> None:
    """Method, R-URI, Call-ID, CSeq, From/To URI, tag, display name and user parts: what
    Kamailio's pseudo-variables hold for each request capture is what we parse."""
    for p in sorted(DATA.glob("*.sip")):
        data = p.read_bytes()
        if data.startswith(b"SIP/"):
            continue
        theirs = kamailio_pvs(data)
        assert theirs is not None, p.name
        assert our_pvs(parse_message(data)) == theirs, p.name
