"""Property tests: URIs built from random parts parse back to those parts and round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siprouter.sip.uri import UriError, _parse_general, parse_uri, uri_equal

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
user_s = st.text(ALNUM + "-_.!~*'()&=+$,?/", min_size=1, max_size=8)
label = st.text(ALNUM, min_size=1, max_size=6)
hostname = st.lists(label, min_size=1, max_size=3).map(".".join)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.ip_addresses(v=6).map(lambda a: f"[{a}]")
host_s = st.one_of(hostname, ipv4, ipv6)
token = st.text(ALNUM + "-_.!~*'", min_size=1, max_size=6)
param = st.tuples(token, st.one_of(st.none(), st.text(ALNUM + "-_.", max_size=5)))
header = st.tuples(token, st.text(ALNUM + "-_.%", max_size=5).filter(lambda v: "%" not in v))


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(["sip", "sips", "SIP"]),
    user=st.one_of(st.none(), user_s),
    password=st.one_of(st.none(), st.text(ALNUM, max_size=4)),
    host=host_s,
    port=st.one_of(st.none(), st.integers(0, 65535)),
    params=st.lists(param, max_size=4),
    headers=st.lists(header, max_size=3),
)
def test_parts_round_trip(scheme, user, password, host, port, params, headers) -> None:
    text = scheme + ":"
    if user is not None:
        text += user + (f":{password}" if password is not None else "") + "@"
    text += host + (f":{port}" if port is not None else "")
    text += "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)
    if headers:
        text += "?" + "&".join(f"{n}={v}" for n, v in headers)
    u = parse_uri(text.encode(), phone2tel=False)
    assert u.to_bytes() == text.encode() and str(u) == text
    assert u.scheme == scheme.lower()
    assert u.user == (user or "")
    assert u.password == (password if user is not None else None)
    assert u.host == host and u.port == port
    assert u.param_list == params and u.headers == headers
    assert uri_equal(u, text)
    rebuilt = u.replace(port=port)  # canonical rebuild of the same parts
    assert rebuilt.host == host and rebuilt.port == port and rebuilt.param_list == params
    assert uri_equal(rebuilt, u)


def _parts(u):  # type: ignore[no-untyped-def]
    return (
        u.scheme,
        u.type,
        u.user,
        u.password,
        u.host,
        u.port_text,
        u.param_list,
        u.sip_param_list,
        u.headers,
        u.user_phone,
        str(u),
    )


@settings(max_examples=150, deadline=None)
@given(
    scheme=st.sampled_from(["sip", "sips"]),
    user=st.one_of(st.none(), user_s),
    host=st.one_of(hostname, ipv4),
    port=st.one_of(st.none(), st.integers(0, 99999)),
    params=st.lists(param, max_size=4),
)
def test_fast_path_agrees_with_general_parser(scheme, user, host, port, params) -> None:
    text = scheme + ":" + (f"{user}@" if user is not None else "") + host
    text += f":{port}" if port is not None else ""
    text += "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)
    try:
        general = _parse_general(text, None, True, "")
    except UriError:
        with pytest.raises(UriError):
            parse_uri(text, phone2tel=True)
        return
    assert _parts(parse_uri(text, phone2tel=True)) == _parts(general)
