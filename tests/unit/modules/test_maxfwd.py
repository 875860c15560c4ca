"""maxfwd module in-process: return codes and the message bytes after the changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import maxfwd
from siprouter.sip.message import parse_message

HEAD = 'loadmodule "pv"\nloadmodule "maxfwd"\n'


def request(mf: str | None, extra: str = "") -> bytes:
    h = f"Max-Forwards: {mf}\r\n" if mf is not None else ""
    return (
        "OPTIONS sip:a@example.org SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: mf-1\r\nCSeq: 1 OPTIONS\r\n{h}{extra}Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    maxfwd.reset()
    yield
    maxfwd.reset()


def run(body: str, data: bytes, head: str = "") -> tuple[MsgContext, bytes]:
    cc = compile_config(parse_string(HEAD + head + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(data), script=ScriptState())
    cc.run("request", "", ctx)
    out = ctx.changes.apply() if ctx.has_changes else ctx.msg.data
    return ctx, out


def rv(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


@pytest.mark.parametrize(
    ("mf", "code", "line"),
    [
        ("70", 1, b"Max-Forwards: 69\r\n"),
        ("10", 1, b"Max-Forwards:  9\r\n"),  # in place, right-aligned in the old width
        ("1", 1, b"Max-Forwards: 0\r\n"),
        ("0", -1, b"Max-Forwards: 0\r\n"),  # the cfg sends 483
        ("300", 1, b"Max-Forwards:  70\r\n"),  # > max_limit: lowered to it, width 3
        ("abc", -2, b"Max-Forwards: abc\r\n"),
        ("123456", -2, b"Max-Forwards: 123456\r\n"),
        ("99999", 1, b"Max-Forwards:    70\r\n"),
    ],
)
def test_process(mf: str, code: int, line: bytes) -> None:
    ctx, out = run("$var(r) = mf_process_maxfwd_header(10);", request(mf))
    assert rv(ctx, "r") == code
    assert line in out
    assert out.count(b"Max-Forwards") == 1


def test_missing_header_is_added_before_the_first_header_with_2() -> None:
    ctx, out = run('$var(r) = mf_process_maxfwd_header("16");', request(None))
    assert rv(ctx, "r") == 2
    assert out.split(b"\r\n")[1] == b"Max-Forwards: 16"
    assert parse_message(out).max_forwards == 16


def test_second_call_decrements_again_and_hdr_sees_it() -> None:
    ctx, out = run(
        "$var(a) = mf_process_maxfwd_header(10); $var(b) = process_maxfwd(10);"
        " $var(h) = $hdr(Max-Forwards); $var(l) = is_maxfwd_lt(69);",
        request("70"),
    )
    assert (rv(ctx, "a"), rv(ctx, "b"), rv(ctx, "h"), rv(ctx, "l")) == (1, 1, "68", 1)
    assert b"Max-Forwards: 68\r\n" in out


def test_max_limit_param() -> None:
    ctx, out = run(
        "$var(r) = mf_process_maxfwd_header(10);",
        request("70"),
        head='modparam("maxfwd", "max_limit", 16)\n',
    )
    assert rv(ctx, "r") == 1
    assert b"Max-Forwards: 16\r\n" in out


@pytest.mark.parametrize(
    ("mf", "arg", "code"),
    [("5", 10, 1), ("10", 10, -1), ("11", 10, -1), (None, 10, -2), ("x", 10, -3), ("0", 1, 1)],
)
def test_is_maxfwd_lt(mf: str | None, arg: int, code: int) -> None:
    for name in ("is_maxfwd_lt", "maxfwd_at_least", "mf_lowlimit"):
        ctx, out = run(f"$var(r) = {name}({arg});", request(mf))
        assert rv(ctx, "r") == code, name
        assert out == request(mf)  # no change


def test_pv_argument_must_hold_an_int() -> None:
    ctx, _ = run(
        '$var(i) = 5; $var(s) = "5"; $var(a) = is_maxfwd_lt("$var(i)");'
        ' $var(b) = is_maxfwd_lt("$var(s)"); $var(c) = mf_process_maxfwd_header("$var(s)");',
        request("3"),
    )
    assert (rv(ctx, "a"), rv(ctx, "b"), rv(ctx, "c")) == (1, -1, -1)


@pytest.mark.parametrize(("arg", "code"), [("-1", -1), ("256", -1), ("255", 1), ("0", 1)])
def test_process_argument_range(arg: str, code: int) -> None:
    ctx, out = run(f'$var(a) = {arg}; $var(r) = mf_process_maxfwd_header("$var(a)");', request("7"))
    assert rv(ctx, "r") == code
    assert (b"Max-Forwards: 6" in out) == (code == 1)


def test_non_numeric_constant_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        run('mf_process_maxfwd_header("abc");', request("7"))


def test_process_only_in_request_route() -> None:
    with pytest.raises(ConfigError):
        compile_config(
            parse_string(HEAD + "request_route { exit; }\nreply_route { maxfwd_process(10); }\n")
        )
