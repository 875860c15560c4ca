"""Parsed name-addr headers (hdr_nameaddr): display names, URIs, header params, Contact."""

from __future__ import annotations

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_nameaddr import NameAddr, parse_nameaddr, parse_nameaddr_list


def one(value: bytes, star: bool = False) -> NameAddr:
    return parse_nameaddr(value, 0, len(value), star)


def many(value: bytes, star: bool = True) -> list[NameAddr]:
    return parse_nameaddr_list(value, 0, len(value), star)


def test_quoted_display_with_escapes() -> None:
    n = one(b'"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8')
    assert n.display_raw == '"J Rosenberg \\\\\\""'
    assert n.display == 'J Rosenberg \\"'
    assert n.uri_text == "sip:jdrosen@example.com"
    assert n.tag == "98asjd8"
    assert n.bracketed


def test_token_display_and_lws() -> None:
    n = one(b"Bob  Smith   <sip:bob@example.com> ; tag = 1")
    assert n.display == "Bob  Smith"
    assert n.tag == "1"


def test_no_display() -> None:
    n = one(b"<sip:a@b>")
    assert n.display is None and n.display_raw is None and n.params == []


def test_addr_spec_params_are_header_params() -> None:
    n = one(b"sip:alice@example.com;tag=abc;transport=tcp")
    assert n.uri_text == "sip:alice@example.com"
    assert not n.bracketed
    assert n.tag == "abc" and n.param("transport") == "tcp"


def test_bracketed_uri_params_stay_in_uri() -> None:
    n = one(b"<sip:alice@example.com;transport=tcp>;tag=1")
    assert n.uri_text == "sip:alice@example.com;transport=tcp"
    assert n.params == [("tag", "1")]


def test_offsets() -> None:
    data = b'To: "Bob" <sip:bob@example.com>;tag=x\r\n'
    n = parse_nameaddr(data, 4, len(data) - 2)
    assert data[n.start : n.end] == b'"Bob" <sip:bob@example.com>;tag=x'
    assert data[n.uri_start : n.uri_end] == b"sip:bob@example.com"


def test_lazy_uri() -> None:
    n = one(b"<sip:alice@example.com:5070;transport=tcp>")
    u = n.uri
    assert u is n.uri
    assert u.user == "alice" and u.host == "example.com" and u.port == 5070


def test_bad_uri_raises_sip_parse_error_on_access_only() -> None:
    n = one(b"<sip:>")
    with pytest.raises(SipParseError, match="bad URI"):
        n.uri  # noqa: B018


def test_contact_star_and_params() -> None:
    (s,) = many(b"*")
    assert s.star and s.uri_text == "*"
    c = many(
        b'<sip:a@192.0.2.1:5060;ob>;expires=3600;q=0.7;+sip.instance="<urn:uuid:f81d4fae>"'
        b';reg-id=1, "x, y" <sip:b@h>;q=1.0'
    )
    assert [x.uri_text for x in c] == ["sip:a@192.0.2.1:5060;ob", "sip:b@h"]
    assert c[0].expires == 3600 and c[0].q == 0.7
    assert c[0].instance == "<urn:uuid:f81d4fae>"
    assert c[0].param("+sip.instance") == '"<urn:uuid:f81d4fae>"'
    assert c[0].reg_id == 1
    assert c[1].display == "x, y" and c[1].q == 1.0
    assert c[1].expires is None and c[1].instance is None and c[1].reg_id is None


def test_star_only_where_allowed() -> None:
    with pytest.raises(SipParseError):
        one(b"*")


def test_expires_capped() -> None:
    (c,) = many(b"<sip:a@h>;expires=99999999999")
    assert c.expires == 2**32 - 1


@pytest.mark.parametrize("param", [b"expires=abc", b"q=1.5", b"q=x", b"q=-0", b"reg-id=z"])
def test_bad_contact_params_raise_on_access(param: bytes) -> None:
    (c,) = many(b"<sip:a@h>;" + param)
    name = param.split(b"=")[0].decode().replace("-", "_")
    with pytest.raises(SipParseError):
        getattr(c, name)


def test_param_without_value_vs_empty_value() -> None:
    n = one(b"<sip:a@h>;lr;x=;tag=1")
    assert n.params == [("lr", None), ("x", ""), ("tag", "1")]
    assert n.has_param("lr") and n.param("lr") is None and not n.has_param("zz")


def test_quoted_param_with_semicolon_and_angle() -> None:
    n = one(b'sip:a@h;x="<a;b>";tag=2')
    assert n.uri_text == "sip:a@h"
    assert n.param("x") == '"<a;b>"' and n.tag == "2"


def test_route_list_and_repr() -> None:
    r = many(b"<sip:p1.example.com;lr>,<sip:p2.example.com;lr;ftag=x>", star=False)
    assert [x.uri_text for x in r] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr;ftag=x"]
    assert "p1.example.com" in repr(r[0])


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b'"unterminated <sip:a@b>',
        b'"display" sip:a@b',
        b"<sip:a@b",
        b"<>",
        b"sip:a b@c",
        b"<sip:a@b> junk",
        b"<sip:a@b>;;tag=1",
    ],
)
def test_bad_name_addrs(bad: bytes) -> None:
    with pytest.raises(SipParseError):
        one(bad)


def test_empty_list_is_an_error() -> None:
    with pytest.raises(SipParseError):
        many(b" , ")
