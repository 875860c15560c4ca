"""PVs of Kamailio versions after 5.6.3 (5.6.3 refuses them at -c, so these tests check
the documented behaviour in-process): dotted aliases of URI parts, $utime/$utimef in
UTC, $shvinc."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from siprouter.engine.context import MsgContext
from siprouter.modules import pv
from siprouter.pv.access import PVCompiler
from siprouter.sip.message import parse_message

REQ = (
    b"INVITE sip:bob@h.org SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n"
    b"From: <sip:al@f.org>;tag=1\r\nTo: <sip:b@t.org>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    pv.reset()
    yield
    pv.reset()


def get(text: str, ctx: MsgContext) -> object:
    return PVCompiler().compile_text(text).get(ctx)


@pytest.mark.parametrize(
    ("alias", "value"),
    [("$ruri.user", "bob"), ("$ruri.domain", "h.org"), ("$from.user", "al"),
     ("$from.domain", "f.org"), ("$to.user", "b"), ("$to.domain", "t.org")],
)  # fmt: skip
def test_dotted_aliases_read_the_uri_parts(alias: str, value: str) -> None:
    assert get(alias, MsgContext(parse_message(REQ))) == value


def test_ruri_user_assignment_is_ru_user() -> None:
    ctx = MsgContext(parse_message(REQ))
    acc = PVCompiler().compile_text("$ruri.user")
    assert acc.set is not None
    acc.set(ctx, "carol")
    assert get("$ru", ctx) == "sip:carol@h.org"


def test_utime_is_utc() -> None:
    ctx = MsgContext(parse_message(REQ))
    now = time.gmtime(time.time())
    assert get("$utime(year)", ctx) == now.tm_year
    assert get("$utimef(%Y-%m)", ctx) == time.strftime("%Y-%m", now)


def test_shvinc_counts_from_the_shared_value() -> None:
    ctx = MsgContext(parse_message(REQ))
    c = PVCompiler()
    shv = c.compile_text("$shv(n)")
    assert shv.set is not None
    shv.set(ctx, 41)
    assert get("$shvinc(n)", ctx) == 42
    assert get("$shvinc(n)", ctx) == 43
    assert get("$shv(n)", ctx) == 43
    assert get("$shvinc(fresh)", ctx) == 1
