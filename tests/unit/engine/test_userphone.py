"""`userphone()`: `;user=phone` appended to a sip/sips R-URI's parameters (before its
headers) unless the last `user` URI parameter is already exactly `phone`.

The table is what Kamailio 5.6.3 forwarded for each request URI (played on the wire);
the differential test sets `$ru` in Kamailio's event route and compares the result.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import kamailio_program, ours_program, run_text

ADD = object()  # the URI with ";user=phone" appended (before "?" when there is one)

CASES: list[tuple[str, object]] = [
    ("sip:u@h", ADD),
    ("sip:u@h;user=phone", None),
    ("sip:u@h;user=ip", ADD),
    ("sip:u@h;USER=PHONE", ADD),
    ("sip:u@h;user=Phone", ADD),
    ("sip:u@h;user=PHONE", ADD),
    ("sip:u@h;USER=phone", None),
    ("sip:u@h;User=phone", None),
    ("sip:u@h;x=1;user=phone", None),
    ("sip:u@h;user=phone;x=1", None),
    ("sip:u@h;lr;user=phone;maddr=1.2.3.4", None),
    ("sip:u@h;user=phonex", ADD),
    ("sip:u@h;xuser=phone", ADD),
    ("sip:u@h;user=ph%6Fne", ADD),
    ("sip:u@h;user", ADD),
    ("sip:u@h;user=", ADD),
    ("sip:u@h;user=phone;user=ip", ADD),
    ("sip:u@h;user=phone;USER=ip", ADD),
    ("sip:u@h;user=ip;user=phone", None),
    ("sip:u@h;user=phone;user=ip;user=phone", None),
    ("sip:u;user=phone@h", "sip:u;user=phone@h;user=phone"),
    ("sip:+12;isub=1@h;user=phone", None),
    ("sip:+12;isub=1@h;user=ip", ADD),
    ("sip:+1-23@h;user=phone", None),
    ("sip:%75@h;user=phone", None),
    ("sip:u@h?X=user%3Dphone", "sip:u@h;user=phone?X=user%3Dphone"),
    ("sip:u@h;transport=udp?X=1", "sip:u@h;transport=udp;user=phone?X=1"),
    ("sip:u@h;user=phone?X=1", None),
    (
        "sip:u@h:5060;Transport=UDP?a=b&c=d",
        "sip:u@h:5060;Transport=UDP;user=phone?a=b&c=d",
    ),
    ("sip:u@h:5080;user=phone", None),
    ("sip:u@[::1];user=phone", None),
    ("sip:u:pw@h", ADD),
    ("sip:h", ADD),
    ("sips:u@h", ADD),
    ("SIP:U@H", "sip:U@H;user=phone"),
    ("tel:+123", None),
    ("tel:+123;user=phone", None),
    ("tels:+123", None),
]


def expected(uri: str, want: object) -> str:
    if want is None:
        return uri
    if want is ADD:
        return uri + ";user=phone"
    assert isinstance(want, str)
    return want


def request(ruri: str) -> bytes:
    return (
        f"INVITE {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        "From: <sip:alice@example.com>;tag=a1\r\n"
        "To: <sip:bob@example.org>\r\n"
        "Call-ID: userphone-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(("uri", "want"), CASES, ids=[c[0] for c in CASES])
def test_userphone_on_the_request_uri(uri: str, want: object) -> None:
    rc, ctx = run_text("request_route { userphone(); return(ret(7)); }", data=request(uri))
    assert rc == 7  # userphone() did not stop the route
    assert ctx.ruri == expected(uri, want)


def test_userphone_twice_adds_once() -> None:
    _rc, ctx = run_text("request_route { userphone(); userphone(); }", data=request("sip:u@h"))
    assert ctx.ruri == "sip:u@h;user=phone"


def _program(uris: list[str]) -> str:
    return "\n".join(f'$ru = "{u}"; userphone(); $var(u) = $ru; show("u");' for u in uris)


@pytest.mark.kamailio
def test_userphone_against_kamailio(tmp_path: Path) -> None:
    # checked on the wire only: `tels:+123` (Kamailio's $ru reads 0 after setting it),
    # `sip:u@h;` and `sip:u@h:` (empty parameter / port: ";user=phone" appended)
    cases = [(u, w) for u, w in CASES if not u.startswith("tels:")]
    uris = [u for u, _ in cases]
    want = [f"u=[{expected(u, w)}]" for u, w in cases]
    assert kamailio_program(tmp_path, _program(uris)) == want
    assert ours_program(_program(uris), pv=True) == want


@pytest.mark.parametrize("uri", ["sip:u@h;", "sip:u@h:"])
def test_userphone_keeps_empty_parts(uri: str) -> None:
    _rc, ctx = run_text("request_route { userphone(); }", data=request(uri))
    assert ctx.ruri == uri + ";user=phone"
