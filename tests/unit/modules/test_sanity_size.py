"""sanity's size limits (size_checks and size_*) in-process. Kamailio 5.6.3 has no such
parameters (it refuses them), so there is no 5.6.3 reference: the expected failures are
siprouter's documented reading (sanity_size.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.modules import sanity
from siprouter.modules import sanity_size as ss
from siprouter.sip.message import parse_message


def request(extra: str = "", ruri: str = "sip:a@example.org", body: str = "") -> bytes:
    return (
        f"INVITE {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: s-1\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    sanity.reset()
    yield
    sanity.reset()


def failure(data: bytes, **limits: int) -> tuple[int, str] | None:
    table = {**ss.DEFAULTS, "size_checks": 1, **limits}
    msg = parse_message(data)
    got = ss.run_size_checks(msg, msg.ruri or "", table)
    return None if got is None else (got.code, got.reason)


def test_off_by_default_and_within_defaults() -> None:
    big = request(body="x" * 70000)
    assert ss.run_size_checks(parse_message(big), "", ss.DEFAULTS) is None
    assert failure(request()) is None


@pytest.mark.parametrize(
    ("data", "limits", "expected"),
    [
        (request(body="x" * 100), {"size_message": 200}, (513, "Message Too Large")),
        (request(body="x" * 100), {"size_body": 99}, (513, "Message Too Large")),
        (request(body="x" * 100), {"size_body": 100}, None),
        (request("X-A: 1\r\nX-B: 2\r\n"), {"size_headers": 7}, (400, "Too Many Headers")),
        (request("X-A: 1\r\nX-B: 2\r\n"), {"size_headers": 8}, None),
        (request("X-Long: " + "v" * 60 + "\r\n"), {"size_header": 67}, (400, "Header Too Large")),
        (request("X-Long: " + "v" * 60 + "\r\n"), {"size_header": 68}, None),
        (request(), {"size_method": 5}, (400, "Method Too Long")),
        (request(ruri="sip:" + "u" * 40 + "@h"), {"size_ruri": 40}, (414, "Request-URI Too Long")),
        (request(), {"size_from_uri": 10}, (400, "From URI Too Long")),
        (request(), {"size_to_uri": 10}, (400, "To URI Too Long")),
        (request("Contact: *\r\n"), {"size_contact_uri": 1}, None),
        (
            request("Contact: <sip:c@h>, <sip:" + "c" * 20 + "@h>\r\n"),
            {"size_contact_uri": 20},
            (400, "Contact URI Too Long"),
        ),
        (
            request("P-Asserted-Identity: <sip:pai@example.org>\r\n"),
            {"size_pai_uri": 10},
            (400, "PAI URI Too Long"),
        ),
        (
            request("Path: <sip:p.example.org;lr>\r\n"),
            {"size_path_uri": 10},
            (400, "Path URI Too Long"),
        ),
        (
            request("Route: <sip:r1;lr>\r\nRoute: <sip:r2.example.org;lr>\r\n"),
            {"size_route_uri": 12},
            (400, "Route URI Too Long"),
        ),
        # a limit of 0 is not checked
        (request(body="x" * 100), {"size_message": 0, "size_body": 0}, None),
    ],
)
def test_limits(data: bytes, limits: dict[str, int], expected: tuple[int, str] | None) -> None:
    assert failure(data, **limits) == expected


def test_first_in_table_order() -> None:
    data = request(ruri="sip:" + "u" * 40 + "@h", body="x" * 100)
    assert failure(data, size_body=10, size_ruri=10) == (513, "Message Too Large")
