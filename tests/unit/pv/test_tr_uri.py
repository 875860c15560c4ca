"""uri.* transformations: parts, absent parts, rebuilt URIs, failures."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.transforms import compile_transforms

POS = Pos("u.cfg", 1, 1)
URI = "sip:alice:pw@Example.com:05070;transport=TCP;lr;maddr=1.2.3.4?h=v"


def run(value: Any, spec: str) -> Any:
    return compile_transforms([spec], POS)(value, None)


@pytest.mark.parametrize(
    ("spec", "out"),
    [
        ("uri.user", "alice"),
        ("uri.passwd", "pw"),
        ("uri.host", "Example.com"),
        ("uri.params", "transport=TCP;lr;maddr=1.2.3.4"),
        ("uri.param,MADDR", "1.2.3.4"),
        ("uri.param,lr", ""),
        ("uri.headers", "h=v"),
        ("uri.transport", "TCP"),
        ("uri.maddr", "1.2.3.4"),
        ("uri.scheme", "sip"),
        ("uri.tosocket", "tcp:Example.com:5070"),
        ("uri.saor", "sip:alice@Example.com"),
        ("uri.suri", "sip:alice@Example.com:05070;transport=TCP"),
        ("uri.duri", "sip:Example.com:05070;transport=TCP"),
    ],
)
def test_parts(spec: str, out: str) -> None:
    assert run(URI, spec) == out


def test_port_is_an_integer_or_empty() -> None:
    p = run(URI, "uri.port")
    assert type(p) is int and p == 5070
    assert run("sip:h", "uri.port") == ""


def test_trailing_semicolon_is_ignored() -> None:
    assert run("sip:bob@h;", "uri.user") == "bob"


@pytest.mark.parametrize("value", [None, "", "no uri", 5060, "sip:@h"])
def test_not_a_uri_fails(value: Any) -> None:
    assert run(value, "uri.user") is None


def test_tosocket_needs_a_transport() -> None:
    assert run("sip:h", "uri.tosocket") == ""
    assert run("sip:h;transport=udp", "uri.tosocket") == "udp:h:5060"


def test_param_argument_from_a_pv() -> None:
    apply = compile_transforms(
        ["uri.param,$var(p)"], POS, arg_getter=lambda text, pos: lambda ctx: ctx
    )
    assert apply("sip:h;a=1;b=2", "b") == "2"
    assert apply("sip:h;a=1;b=2", "") is None  # an empty name fails, as in kamailio
