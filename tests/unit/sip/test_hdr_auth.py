"""Parsed auth headers (hdr_auth): digest credentials and challenges."""

from __future__ import annotations

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.hdr_auth import parse_challenge, parse_credentials
from siprouter.sip.message import parse_message


def test_digest_credentials() -> None:
    v = (
        b'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",'
        b' uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b",'
        b' response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41",'
        b" algorithm=MD5"
    )
    c = parse_credentials(v, 0, len(v))
    assert c.scheme == "Digest" and c.is_digest
    assert c.username == "bob" and c.realm == "biloxi.com"
    assert c.nonce == "dcd98b7102dd2f0e8b11d0f600bfb0c093"
    assert c.uri == "sip:bob@biloxi.com"
    assert c.qop == "auth" and c.nc == "00000001" and c.cnonce == "0a4f113b"
    assert c.response == "6629fae49393a05397450978507c4ef1"
    assert c.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert c.algorithm == "MD5"
    assert c.get("missing") is None


def test_case_insensitive_names_escapes_and_commas_in_quotes() -> None:
    v = b'digest USERNAME="a\\"b", Realm="x,y" ,\r\n NONCE=abc'
    c = parse_credentials(v, 0, len(v))
    assert c.username == 'a"b' and c.realm == "x,y" and c.nonce == "abc"
    assert c.is_digest


def test_challenge() -> None:
    v = (
        b'Digest realm="atlanta.com", domain="sip:ss1.carrier.com", qop="auth,auth-int",'
        b' nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=TRUE, algorithm=MD5'
    )
    ch = parse_challenge(v, 0, len(v))
    assert ch.realm == "atlanta.com" and ch.domain == "sip:ss1.carrier.com"
    assert ch.qop == ["auth", "auth-int"]
    assert ch.stale and ch.opaque == "" and ch.algorithm == "MD5"
    assert ch.nonce == "f84f1cec41e6cbe5aea9c8e88d359"
    v2 = b'Digest realm="r", nonce="n"'
    plain = parse_challenge(v2, 0, len(v2))
    assert plain.qop == [] and not plain.stale


def test_other_schemes() -> None:
    b = parse_credentials(b"Basic dXNlcjpwYXNz", 0, 18)
    assert b.scheme == "Basic" and b.token == "dXNlcjpwYXNz" and b.params == {}
    assert not b.is_digest
    assert parse_credentials(b"Foo", 0, 3).params == {}


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b'Digest username="a", username="b"',
        b'Digest username="a" realm="r"',
        b'Digest username="unterminated',
        b"Digest a=1,,",
        b"Basic a b",
        b'Digest"x"',
    ],
)
def test_bad_auth(bad: bytes) -> None:
    with pytest.raises(SipParseError):
        parse_credentials(bad, 0, len(bad))


def test_message_accessors_one_per_header_line() -> None:
    data = (
        b"SIP/2.0 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Digest realm="a", nonce="1"\r\n'
        b'Proxy-Authenticate: Digest realm="b", nonce="2", qop="auth"\r\n'
        b'WWW-Authenticate: Digest realm="c", nonce="3"\r\n'
        b"Content-Length: 0\r\n\r\n"
    )
    m = parse_message(data)
    assert [c.realm for c in m.proxy_authenticate] == ["a", "b"]
    assert m.proxy_authenticate[1].qop == ["auth"]
    assert [c.realm for c in m.www_authenticate] == ["c"]
    req = (
        b"REGISTER sip:r SIP/2.0\r\n"
        b'Authorization: Digest username="u", realm="r", nonce="n", uri="sip:r", response="x"\r\n'
        b'Proxy-Authorization: Digest username="p", realm="q", nonce="n", uri="sip:r", response="y"\r\n'
        b"l: 0\r\n\r\n"
    )
    m = parse_message(req)
    assert [c.username for c in m.authorization] == ["u"]
    assert [c.username for c in m.proxy_authorization] == ["p"]
