"""Tests for siprouter.sip.uri: parsing, round-trips, phone2tel, host chars, building."""

from __future__ import annotations

import pytest

from siprouter.sip.uri import SipUri, UriError, parse_uri, set_uri_defaults, unescape

ROUND_TRIP = [
    "sip:alice@atlanta.com",
    "sip:alice:secretword@atlanta.com;transport=tcp",
    "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
    "sip:+1-212-555-1212:1234@gateway.com;user=phone",
    "sips:1212@gateway.com",
    "sip:alice@192.0.2.4",
    "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
    "sip:alice;day=tuesday@atlanta.com",
    "SIP:%61lice@AtLanTa.CoM;Transport=UDP",
    "sip:[2001:db8::10]:5070;lr;maddr=239.255.255.1;ttl=15",
    "sip:proxy.example.com;lr;r2=on;ftag=abc",
    "tel:+358-555-1234567;postd=pp22",
    "sip:host:0",
    "sip:u@h:65535;a;b=;c=d",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip_bytes_and_str(text: str) -> None:
    u = parse_uri(text.encode())
    assert u.to_bytes() == text.encode()
    assert str(u) == text
    assert str(parse_uri(text)) == text


def test_parts_of_a_full_sip_uri() -> None:
    u = parse_uri(b"sip:alice:pw@[2001:db8::1]:5070;transport=TCP;lr;maddr=10.0.0.1?Subject=hi&X=y")
    assert (u.scheme, u.type, u.user, u.password) == ("sip", "sip", "alice", "pw")
    assert (u.host, u.port, u.port_text) == ("[2001:db8::1]", 5070, "5070")
    assert u.param_list == [("transport", "TCP"), ("lr", None), ("maddr", "10.0.0.1")]
    assert u.params == {"transport": "TCP", "lr": None, "maddr": "10.0.0.1"}
    assert u.transport == "TCP" and u.lr and u.maddr == "10.0.0.1"
    assert u.ttl is None and u.method is None and not u.r2
    assert u.headers == [("Subject", "hi"), ("X", "y")]
    assert u.hostport == "[2001:db8::1]:5070"


def test_no_user_no_port() -> None:
    u = parse_uri("sip:example.com")
    assert u.user == "" and u.password is None and u.port is None and u.port_text == ""
    assert u.default_port == 5060
    assert parse_uri("sips:example.com").default_port == 5061
    assert parse_uri("sip:example.com;transport=TLS").default_port == 5061


@pytest.mark.parametrize(
    "text",
    ["sip:a@h:", "sip:a@h;;lr", "sip:h?", "sip:h?&", "sip:[1.2.3.4]", "sip:[fe80::1%25eth0]"],
)
def test_lenient_forms_kamailio_accepts(text: str) -> None:
    u = parse_uri(text)
    assert str(u) == text
    assert u.port is None and u.headers == [] and u.host
    assert [n for n, _ in u.param_list] in ([], ["lr"])


def test_empty_password_kept() -> None:
    u = parse_uri("sip:alice:@h")
    assert u.password == ""
    assert str(u) == "sip:alice:@h"


def test_param_names_case_insensitive_lookup_and_order_kept() -> None:
    u = parse_uri("sip:h;Transport=UDP;zeta=1;alpha;TTL=5;Method=INVITE;user=ip")
    assert [n for n, _ in u.param_list] == ["Transport", "zeta", "alpha", "TTL", "Method", "user"]
    assert u.transport == "UDP" and u.ttl == "5" and u.method == "INVITE" and u.user_param == "ip"
    assert u.params["alpha"] is None and u.params["zeta"] == "1"


def test_escapes_kept_raw_and_decodable() -> None:
    u = parse_uri("sip:%61lice%20b@h")
    assert u.user == "%61lice%20b"
    assert u.user_unescaped == "alice b"
    assert unescape("%E2%82%AC") == "€"
    assert unescape("a%zz") == "a%zz"


def test_phone2tel_moves_user_params() -> None:
    u = parse_uri("sip:+1234;phone-context=example.com@gw.example.com;user=phone")
    assert u.type == "tel" and u.scheme == "sip" and u.user_phone
    assert u.user == "+1234"
    assert u.param_list == [("phone-context", "example.com")]
    assert u.sip_param_list == [("user", "phone")]
    assert u.host == "gw.example.com"
    assert str(u) == "sip:+1234;phone-context=example.com@gw.example.com;user=phone"


def test_phone2tel_off_keeps_sip() -> None:
    u = parse_uri("sip:+1234;phone-context=x@gw;user=phone", phone2tel=False)
    assert u.type == "sip" and not u.user_phone
    assert u.user == "+1234;phone-context=x"
    assert u.param_list == [("user", "phone")]


def test_phone2tel_default_can_be_changed() -> None:
    try:
        set_uri_defaults(phone2tel=False)
        assert parse_uri("sip:+1@gw;user=phone").type == "sip"
    finally:
        set_uri_defaults(phone2tel=True)
    assert parse_uri("sip:+1@gw;user=phone").type == "tel"


def test_tel_uri() -> None:
    u = parse_uri("tel:+1-201-555-0123;ext=42")
    assert u.type == "tel" and u.user == "+1-201-555-0123" and u.host == "" and u.port is None
    assert u.params == {"ext": "42"}


def test_host_extra_chars() -> None:
    with pytest.raises(UriError, match="host"):
        parse_uri("sip:a@my_host.example.com")
    u = parse_uri("sip:a@my_host.example.com", host_extra_chars="_")
    assert u.host == "my_host.example.com"
    try:
        set_uri_defaults(host_extra_chars="_")
        assert parse_uri("sip:my_host").host == "my_host"
    finally:
        set_uri_defaults(host_extra_chars="")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "alice@atlanta.com",
        "http://example.com",
        "sip:",
        "sip:alice@",
        "sip:@host",
        "sip::pw@host",
        "sip:a@-h",
        "sip:a@.h",
        "sips:a@h:\u0663",
        "sip:a@h:\u0663",
        "sip:u@h?x=a@b",
        "sip:alice@host:abc",
        "sip:alice@host:65536",
        "sip:alice@host:123456",
        "sip:alice@[::1",
        "sip:alice@[::1]x",
        "sip:alice@[zz]",
        "sip:ali ce@host",
        "sip:alice@ho st",
        "tel:",
    ],
)
def test_malformed_uris_raise(bad: str) -> None:
    with pytest.raises(UriError):
        parse_uri(bad)


def test_uri_error_is_value_error() -> None:
    assert issubclass(UriError, ValueError)


def test_replace_builds_canonical_uri() -> None:
    u = parse_uri("sip:alice@a.example.com;lr")
    v = u.replace(user="bob", host="b.example.com", port=5080, params=[("transport", "tcp")])
    assert str(v) == "sip:bob@b.example.com:5080;transport=tcp"
    assert v.to_bytes() == b"sip:bob@b.example.com:5080;transport=tcp"
    assert v.port == 5080 and v.transport == "tcp"
    assert str(u) == "sip:alice@a.example.com;lr"  # original untouched


def test_replace_removes_port_and_password() -> None:
    u = parse_uri("sip:alice:pw@h:5070")
    assert str(u.replace(port=None)) == "sip:alice:pw@h"
    assert str(u.replace(password=None)) == "sip:alice@h:5070"
    assert str(u.replace(user="", password=None, port=None)) == "sip:h"


def test_replace_validates() -> None:
    with pytest.raises(UriError):
        parse_uri("sip:h").replace(host="bad host")


def test_replace_tel_and_phone_user() -> None:
    t = parse_uri("tel:+1;ext=2").replace(user="+3")
    assert str(t) == "tel:+3;ext=2"
    p = parse_uri("sip:+1;isub=2@gw;user=phone").replace(user="+9")
    assert str(p) == "sip:+9;isub=2@gw;user=phone"


def test_is_sip_uri_instance() -> None:
    assert isinstance(parse_uri("sip:h"), SipUri)


def test_replace_like_kamailio_rewrites() -> None:
    assert str(parse_uri("SIP:A@H;;lr").replace(host="h2")) == "sip:A@h2;;lr"
    assert str(parse_uri("sip:a@h:").replace(user="b")) == "sip:b@h:"
    assert str(parse_uri("sip:a@h:").replace(port=5)) == "sip:a@h:5"
    assert str(parse_uri("sip:a:pw@h;lr").replace(user="")) == "sip:h;lr"
    assert str(parse_uri("sip:+1;isub=2@gw;user=phone").replace(user="")) == "sip:gw;user=phone"
    assert str(parse_uri("tel:+1;ext=2").replace(host="gw", port=5070)) == (
        "sip:+1;ext=2@gw:5070;user=phone"
    )
    with pytest.raises(UriError):
        parse_uri("tel:+1").replace(port=5070)
