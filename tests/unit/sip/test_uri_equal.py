"""Tests for RFC 3261 19.1.4 URI comparison (siprouter.sip.uri.uri_equal)."""

from __future__ import annotations

import pytest

from siprouter.sip.uri import parse_uri, uri_equal

EQUAL = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    (
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ),
    (
        "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ),
    ("sip:a@h;lr", "sip:a@h;LR"),
    ("sip:a@h;maddr=10.0.0.1", "sip:a@h;MADDR=10.0.0.1"),
    ("sip:a%2fb@h", "sip:a%2Fb@h"),  # escaped reserved char: hex case does not matter
    ("tel:+1-201-555-0123", "tel:+12015550123"),
    ("tel:+1;ext=5;isub=x", "tel:+1;isub=x;EXT=5"),
]

NOT_EQUAL = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:a@h", "sips:a@h"),
    ("sip:a@h;user=phone", "sip:a@h"),
    ("sip:a@h;ttl=1", "sip:a@h"),
    ("sip:a@h;method=INVITE", "sip:a@h"),
    ("sip:a@h;maddr=1.2.3.4", "sip:a@h"),
    ("sip:a@h;x=1", "sip:a@h;x=2"),
    ("sip:a@h;lr", "sip:a@h;lr=on"),
    ("sip:a:p@h", "sip:a@h"),
    ("sip:a:p@h", "sip:a:P@h"),
    ("sip:a%2fb@h", "sip:a/b@h"),  # escaped reserved char differs from the raw char
    ("sip:a@h?x=1", "sip:a@h?x=2"),
    ("tel:+1", "tel:+2"),
    ("tel:+1;ext=5", "tel:+1"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal(a: str, b: str) -> None:
    assert uri_equal(a, b)
    assert uri_equal(b, a)
    assert parse_uri(a) == parse_uri(b)


@pytest.mark.parametrize(("a", "b"), NOT_EQUAL)
def test_not_equal(a: str, b: str) -> None:
    assert not uri_equal(a, b)
    assert not uri_equal(b, a)


def test_accepts_bytes() -> None:
    assert uri_equal(b"sip:a@H", "sip:a@h")


def test_not_transitive_is_allowed_by_rfc_but_each_pair_consistent() -> None:
    # RFC 3261: equality with "other" params ignored when only in one URI.
    assert uri_equal("sip:a@h;x=1", "sip:a@h")
    assert uri_equal("sip:a@h", "sip:a@h;x=2")
    assert not uri_equal("sip:a@h;x=1", "sip:a@h;x=2")
