"""SipUri.replace() on simple URIs skips re-parsing (sip/uri.py `_replace_simple`): the
result must equal what the general path (format, then parse) gives, attribute for
attribute, and parts that leave the simple shape must still be refused or handled."""

from __future__ import annotations

import pytest

from siprouter.sip.uri import SipUri, UriError, parse_uri, parse_uri_cached

URIS = [
    "sip:alice@example.com",
    "sip:+4930123456@example.com;foo=x",
    "sips:bob@h.example.org:5071;transport=tls;lr",
    "sip:example.com",
    "sip:a@h:5060;p=;q",
]
CHANGES: list[dict[str, object]] = [
    {"user": "carol"},
    {"user": ""},
    {"user": "00" + "4930"},
    {"host": "gw.example.net"},
    {"port": 5080},
    {"port": None},
    {"user": "x", "host": "y.example", "port": "7"},
    {"user": "a%20b"},  # escapes: general path
    {"host": "[::1]"},  # IPv6: general path
    {"user": "semi;colon"},
]


def _general(u: SipUri, **kw: object) -> SipUri:
    slow = parse_uri(str(u))
    slow._simple = False  # force the general path
    return slow.replace(**kw)  # type: ignore[arg-type]


def _attrs(u: SipUri) -> tuple[object, ...]:
    return (str(u), u.scheme, u.user, u.password, u.host, u.port_text, u.port,
            u.param_list, u.sip_param_list, u.headers, u.type, u.user_phone)  # fmt: skip


@pytest.mark.parametrize("text", URIS)
@pytest.mark.parametrize("kw", CHANGES, ids=repr)
def test_fast_replace_equals_general(text: str, kw: dict[str, object]) -> None:
    u = parse_uri(text)
    assert u._simple
    try:
        want = _attrs(_general(u, **kw))
    except UriError:
        with pytest.raises(UriError):
            u.replace(**kw)  # type: ignore[arg-type]
        return
    assert _attrs(u.replace(**kw)) == want  # type: ignore[arg-type]


@pytest.mark.parametrize("port", [-1, 70000, "99999"])
def test_bad_port_is_refused(port: object) -> None:
    with pytest.raises((UriError, ValueError)):
        parse_uri("sip:a@h").replace(port=port)  # type: ignore[arg-type]


def test_cached_parse_is_shared_and_rewrites_are_remembered() -> None:
    a = parse_uri_cached("sip:cache-test@example.com")
    assert parse_uri_cached("sip:cache-test@example.com") is a
    b = a.replace(user="other")
    assert parse_uri_cached(str(b)) is b


def test_simple_change_takes_the_fast_path() -> None:
    new = parse_uri("sip:+49301@example.com;lr").replace(user="0049301")
    assert new._simple and str(new) == "sip:0049301@example.com;lr"
    assert not parse_uri("sip:a@h").replace(user="a%20b")._simple
