"""sanity module in-process: each check bit, the replies it records and the return codes
(the expected reasons are Kamailio 5.6.3's; tests/compat/cases/sanity.toml plays them
against Kamailio)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import sanity
from siprouter.modules import sanity_checks as sc
from siprouter.sip.message import parse_message


def request(
    extra: str = "",
    ruri: str = "sip:a@example.org",
    cseq: str = "1 OPTIONS",
    method: str = "OPTIONS",
    frm: str = "<sip:a@example.com>;tag=1",
    to: str = "<sip:b@example.org>",
) -> bytes:
    return (
        f"{method} {ruri} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        f"From: {frm}\r\nTo: {to}\r\n"
        f"Call-ID: s-1\r\nCSeq: {cseq}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    sanity.reset()
    yield
    sanity.reset()


def fail(
    data: bytes, checks: int, uris: int = 7, supported: tuple[str, ...] = ("foo", "bar")
) -> object:
    msg = parse_message(data)
    got = sc.run_checks(msg, msg.ruri or "", checks, uris, supported)
    return None if got is None else (got.code, got.reason, got.header)


GOOD_DIGEST = 'Digest username="a", realm="r", nonce="n", uri="u", response="r"'


@pytest.mark.parametrize(
    ("kw", "checks", "uris", "expected"),
    [
        ({}, 32767, 15, None),
        ({"ruri": "http://a@b"}, 2, 7, (400, "Bad Request URI", b"")),
        ({"ruri": "tels:+123"}, 2, 7, (400, "Bad Request URI", b"")),
        ({"ruri": "tel:+123"}, 2, 7, None),
        ({"ruri": "urn:service:sos"}, 2, 7, None),
        ({"cseq": "1 options"}, 32, 7, (400, "CSeq method does not match request method", b"")),
        ({"cseq": "4294967296 OPTIONS"}, 64, 7, None),
        ({"cseq": "4294967297 OPTIONS"}, 64, 7, (400, "CSeq number is illegal", b"")),
        ({"cseq": "00000000001 OPTIONS"}, 64, 7, (400, "CSeq number is illegal", b"")),
        ({"cseq": "1x OPTIONS"}, 64, 7, (400, "CSeq number is illegal", b"")),
        ({"extra": "Expires: x\r\n"}, 256, 7, (400, "Expires value is illegal", b"")),
        ({"extra": "Expires: 12 x\r\n"}, 256, 7, None),
        ({"extra": "Expires: +5\r\n"}, 256, 7, (400, "Expires value is illegal", b"")),
        ({"extra": "Expires: \r\n"}, 256, 7, (400, "Bad Expires Header", b"")),
        (
            {"extra": "Proxy-Require: foo, baz, qux\r\n"},
            512,
            7,
            (420, "Bad Proxy Require Extension", b"Unsupported: baz\r\n"),
        ),
        ({"ruri": "sip:a@b:abc"}, 1024, 1, (400, "Bad Request URI", b"")),
        ({"frm": "<sip:a@x:99999>;tag=1"}, 1024, 2, (400, "Invalid From Header", b"")),
        ({"to": "<sip:b@y:abc>"}, 1024, 4, (400, "Ivalid To Header", b"")),
        ({"to": "<sip:b@y:abc>"}, 1024, 3, None),
        (
            {"extra": "Contact: <sip:x@y>, <sip:z@w:abc>\r\n"},
            1024,
            8,
            (400, "Bad Contact URI", b""),
        ),
        ({"extra": "Contact: <sip:x@y>\r\nContact: <sip:z@w:abc>\r\n"}, 1024, 8, None),
        ({"extra": "Contact: *\r\n"}, 1024, 8, None),
        ({"extra": "Contact: <sip:x@y\r\n"}, 1024, 8, (400, "Bad Contact Header", b"")),
        ({"frm": "<sip:a@x>;tag=1;tag=2"}, 4096, 7, (400, "Many From Tag Params", b"")),
        ({"to": "<sip:b@y>;tag=3;tag=4"}, 4096, 7, (400, "Many To Tag Params", b"")),
        ({"extra": "Authorization: Basic abc\r\n"}, 2048, 7, (0, "", b"")),
        ({"extra": "Authorization: Basic abc\r\n"}, 8192, 7, None),
        ({"extra": f"Authorization: {GOOD_DIGEST}\r\n"}, 2048, 7, None),
        (
            {"extra": f"Authorization: {GOOD_DIGEST}\r\nProxy-Authorization: Basic x\r\n"},
            2048,
            7,
            (0, "", b""),
        ),
        (
            {"extra": 'Proxy-Authorization: Digest username="a", realm="r"\r\n'},
            2048,
            7,
            (400, "Bad Auth Credentials", b""),
        ),
        (
            {"extra": f"Authorization: {GOOD_DIGEST}, qop=auth\r\n"},
            2048,
            7,
            (400, "Bad Auth Credentials", b""),
        ),
        (
            {"extra": f'Authorization: {GOOD_DIGEST}, qop=auth, cnonce="", nc=""\r\n'},
            2048,
            7,
            None,
        ),
        (
            {"extra": GOOD_DIGEST.join(["Authorization: ", "\r\n"]).replace('"a"', '""')},
            2048,
            7,
            (400, "Auth Empty User", b""),
        ),
        (
            {"extra": GOOD_DIGEST.join(["Authorization: ", "\r\n"]).replace('"n"', '""')},
            8192,
            7,
            (400, "Auth Empty Nonce", b""),
        ),
        (
            {"extra": f'Authorization: {GOOD_DIGEST[:-3]}""\r\n'},
            2048,
            7,
            (400, "Auth Empty Response", b""),
        ),
    ],
)
def test_checks(kw: dict[str, str], checks: int, uris: int, expected: object) -> None:
    assert fail(request(**kw), checks, uris) == expected


def test_order_first_failure_wins() -> None:
    data = request(cseq="x INVITE", extra="Expires: x\r\nProxy-Require: foo\r\n")
    assert fail(data, 32767)[1] == "CSeq method does not match request method"  # type: ignore[index]
    data = request(cseq="x OPTIONS", extra="Expires: x\r\n")
    assert fail(data, 32767)[1] == "CSeq number is illegal"  # type: ignore[index]


def test_proxy_require_supported_list() -> None:
    data = request(extra="Proxy-Require: foo, bar\r\n")
    assert fail(data, 512, supported=("foo", "bar")) is None
    assert fail(data, 512, supported=("FOO", "bar")) is not None


def test_valid_uint() -> None:
    assert sc.valid_uint("0") and sc.valid_uint("4294967296")
    assert not sc.valid_uint("") and not sc.valid_uint("4294967297") and not sc.valid_uint("١")


HEAD = 'loadmodule "pv"\nloadmodule "sl"\nloadmodule "sanity"\n'


def run(body: str, data: bytes, head: str = "") -> MsgContext:
    cc = compile_config(parse_string(HEAD + head + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(data), script=ScriptState())
    ctx.sent = []
    cc.run("request", "", ctx)
    return ctx


def replies(ctx: MsgContext) -> list[str]:
    return [d.split(b"\r\n")[0].decode() for kind, _dest, d in ctx.sent or [] if kind == "reply"]


def test_autodrop_stops_script_after_reply() -> None:
    ctx = run('sanity_check("32"); $var(after) = 1;', request(cseq="1 INVITE"))
    assert replies(ctx) == ["SIP/2.0 400 CSeq method does not match request method"]
    assert "after" not in ctx.script.vars


def test_no_autodrop_returns_minus_one() -> None:
    ctx = run(
        '$var(rc) = sanity_check("512");',
        request(extra="Proxy-Require: x\r\n"),
        'modparam("sanity", "autodrop", 0)\n',
    )
    assert ctx.script.vars["rc"] == -1
    assert replies(ctx) == ["SIP/2.0 420 Bad Proxy Require Extension"]
    assert b"\r\nUnsupported: x\r\n" in (ctx.sent or [])[0][2]


def test_noreply_and_sanity_reply() -> None:
    head = 'modparam("sanity", "autodrop", 0)\nmodparam("sanity", "noreply", 1)\n'
    ctx = run(
        '$var(rc) = sanity_check("64"); $var(sr) = sanity_reply();',
        request(cseq="x OPTIONS"),
        head,
    )
    assert ctx.script.vars["rc"] == -1 and ctx.script.vars["sr"] == 1
    assert replies(ctx) == ["SIP/2.0 400 CSeq number is illegal"]
    ctx = run("sanity_reply();", request(), head)
    assert replies(ctx) == ["SIP/2.0 500 Server Sanity Failure"]


def test_sanity_reply_without_noreply_sends_nothing() -> None:
    ctx = run("$var(sr) = sanity_reply();", request())
    assert ctx.script.vars["sr"] == 1 and replies(ctx) == []


@pytest.mark.parametrize("args", ['"0"', '"32768"', '"1024", "16"', '"1", "0"'])
def test_out_of_range_args(args: str) -> None:
    ctx = run(f"$var(rc) = sanity_check({args});", request(cseq="1 INVITE"))
    assert ctx.script.vars["rc"] == -1 and replies(ctx) == []


def test_pv_args_and_default_params() -> None:
    ctx = run(
        '$var(c) = 64; $var(rc) = sanity_check("$var(c)");',
        request(cseq="1 INVITE"),
        'modparam("sanity", "autodrop", 0)\n',
    )
    assert ctx.script.vars["rc"] == 1
    ctx = run(
        '$var(rc) = sanity_check("$var(s)");', request(), 'modparam("sanity", "autodrop", 0)\n'
    )
    assert ctx.script.vars["rc"] == -1  # $var(s) unset: not an int
    ctx = run(
        "$var(rc) = sanity_check();",
        request(),
        'modparam("sanity", "autodrop", 0)\nmodparam("sanity", "default_checks", 0)\n',
    )
    assert ctx.script.vars["rc"] == -1


def test_bad_constant_arg_is_config_error() -> None:
    with pytest.raises(ConfigError):
        run('sanity_check("abc");', request())


REPLY = (
    b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r-1\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(
    ("checks", "uris", "failed"),
    [
        (1, 7, True),
        (2, 7, True),
        (32, 7, True),
        (1024, 1, True),
        (1024, 14, False),
        (31708, 14, False),
    ],
)
def test_reply_fails_request_only_checks(checks: int, uris: int, failed: bool) -> None:
    msg = parse_message(REPLY)
    got = sc.run_checks(msg, "", checks, uris, ())
    assert (got == sc.SILENT) if failed else got is None
