"""Parsed Via (hdr_via): sent-protocol, sent-by (IPv4/IPv6/host), params, offsets."""

from __future__ import annotations

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_via import Via, parse_via


def vias(value: bytes) -> list[Via]:
    data = b"Via: " + value + b"\r\n"
    return parse_via(data, 5, len(data) - 2)


def test_full_via() -> None:
    (v,) = vias(
        b"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=198.51.100.7;rport=5070"
        b";maddr=224.0.0.1;ttl=16;alias;comp=sigcomp;i=5"
    )
    assert (v.protocol, v.version, v.transport) == ("SIP", "2.0", "UDP")
    assert (v.host, v.host_bare, v.port, v.sent_by) == (
        "192.0.2.1",
        "192.0.2.1",
        5060,
        "192.0.2.1:5060",
    )
    assert v.branch == "z9hG4bK776"
    assert v.received == "198.51.100.7"
    assert v.has_rport and v.rport == 5070
    assert v.maddr == "224.0.0.1" and v.ttl == 16
    assert v.has_alias and v.i == "5"
    assert v.param("comp") == "sigcomp"
    assert [n for n, _ in v.params] == [
        "branch",
        "received",
        "rport",
        "maddr",
        "ttl",
        "alias",
        "comp",
        "i",
    ]


def test_rport_without_value_vs_absent() -> None:
    (a,) = vias(b"SIP/2.0/UDP h;rport;branch=z9hG4bK1")
    assert a.has_rport and a.rport is None
    (b,) = vias(b"SIP/2.0/UDP h;branch=z9hG4bK1")
    assert not b.has_rport and b.rport is None
    assert b.port is None and b.ttl is None and b.received is None and not b.has_alias


def test_ipv6_sent_by() -> None:
    (v,) = vias(b"SIP/2.0/TLS [2001:db8::9:1]:5061;branch=z9hG4bKx;received=2001:db8::2")
    assert v.host == "[2001:db8::9:1]" and v.host_bare == "2001:db8::9:1"
    assert v.port == 5061 and v.transport == "TLS"
    assert v.received == "2001:db8::2"
    (w,) = vias(b"SIP/2.0/UDP [::1];branch=z9hG4bKy")
    assert w.host == "[::1]" and w.port is None and w.sent_by == "[::1]"


def test_lws_everywhere_and_lowercase_transport() -> None:
    (v,) = vias(b"SIP / 2.0 / tcp   example.com : 5062 ; branch = z9hG4bK9 ; rport")
    assert v.transport == "TCP" and v.host == "example.com" and v.port == 5062
    assert v.branch == "z9hG4bK9" and v.has_rport


def test_several_via_parms_and_offsets() -> None:
    data = b"Via: SIP/2.0/UDP a;branch=1 ,SIP/2.0/WS b.invalid;branch=2,SIP/2.0/SCTP c:1\r\n"
    out = parse_via(data, 5, len(data) - 2)
    assert [v.host for v in out] == ["a", "b.invalid", "c"]
    assert [v.transport for v in out] == ["UDP", "WS", "SCTP"]
    assert [data[v.start : v.end] for v in out] == [
        b"SIP/2.0/UDP a;branch=1",
        b"SIP/2.0/WS b.invalid;branch=2",
        b"SIP/2.0/SCTP c:1",
    ]
    assert out[2].port == 1
    assert data[out[0].params_start : out[0].end] == b";branch=1"
    assert out[1].text == "SIP/2.0/WS b.invalid;branch=2"


def test_param_span_for_in_place_edits() -> None:
    data = b"Via: SIP/2.0/UDP h:5060;rport;branch=z9hG4bK1;received = 1.2.3.4\r\n"
    (v,) = parse_via(data, 5, len(data) - 2)
    s, e = v.param_span("rport") or (0, 0)
    assert data[s:e] == b";rport"
    s, e = v.param_span("received") or (0, 0)
    assert data[s:e] == b";received = 1.2.3.4"
    assert v.param_span("maddr") is None


def test_quoted_extension_param() -> None:
    (v,) = vias(b'SIP/2.0/UDP h;branch=z9hG4bK1;x="a;b,c"')
    assert v.param("x") == '"a;b,c"'
    assert v.branch == "z9hG4bK1"


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"garbage",
        b"SIP/2.0 UDP h",
        b"SIP/2.0/UDP",
        b"SIP/2.0/UDP h:99999",
        b"SIP/2.0/UDP h:",
        b"SIP/2.0/UDP h;rport=abc",
        b"SIP/2.0/UDP h;rport=70000",
        b"SIP/2.0/UDP h;ttl=256",
        b"SIP/2.0/UDP h;;branch=1",
        b"SIP/2.0/UDP h junk",
        b"SIP/2.0/UDP [2001:db8::1",
        b'SIP/2.0/UDP h;x="unterminated',
    ],
)
def test_bad_vias(bad: bytes) -> None:
    with pytest.raises(SipParseError):
        vias(bad)


def test_folded_via_value() -> None:
    data = b"Via: SIP/2.0/UDP h\r\n ;branch=z9hG4bK1\r\n\t;rport\r\n"
    (v,) = parse_via(data, 5, len(data) - 2)
    assert v.branch == "z9hG4bK1" and v.has_rport
