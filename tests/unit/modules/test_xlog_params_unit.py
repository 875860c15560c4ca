"""xlog in-process: modparams (buf_size in bytes, prefix/prefix_mode, methods_filter,
auto_newline, long_format), $C colors and the -c errors of bad values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules import xlog
from siprouter.modules.xlog_color import color_sequence
from siprouter.sip.message import parse_message

HEAD = 'loadmodule "pv"\nloadmodule "xlog"\n'
REQ = (
    b"OPTIONS sip:a@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
    b"Call-ID: xl-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


@pytest.fixture(autouse=True)
def _defaults() -> Iterator[None]:
    xlog.reset()
    yield
    xlog.reset()


def logged(body: str, head: str = "") -> list[str]:
    cc = compile_config(parse_string(HEAD + head + "request_route {\n" + body + "\n}\n", "t.cfg"))
    ctx = MsgContext(parse_message(REQ), script=ScriptState())
    ctx.log = []
    cc.run("request", "", ctx)
    return [text for _lvl, text in ctx.log]


@pytest.mark.parametrize(
    ("spec", "seq"),
    [("rg", "\033[0;31;42m"), ("xx", "\033[0;39;49m"), ("Wx", "\033[1;37;49m"),
     ("Sb", "\033[1;30;44m")],
)  # fmt: skip
def test_color_sequences(spec: str, seq: str) -> None:
    assert color_sequence(spec) == seq


@pytest.mark.parametrize("spec", ["rG", "q", "rgb", "zx"])
def test_bad_colors_fail_at_load(spec: str) -> None:
    with pytest.raises(ConfigError):
        logged(f'xlog("$C({spec})x\\n");')


def test_buf_size_counts_bytes() -> None:
    head = 'modparam("xlog", "buf_size", 10)\n'  # as Kamailio: room for 9 bytes and a NUL
    assert logged('xlog("123456789");', head) == ["123456789"]
    assert logged('xlog("1234567890");', head) == []
    assert logged('xlog("12345é");', head) == ["12345é"]  # 7 bytes
    assert logged('xlog("12345678é");', head) == []  # 9 characters, 10 bytes


def test_xlogm_methods_filter() -> None:
    assert logged('xlogm("L_INFO", "m\\n");') == []  # default -1: every method filtered
    assert logged('xlogm("L_INFO", "m\\n");', 'modparam("xlog", "methods_filter", 1)\n') == ["m\n"]
    head = 'modparam("xlog", "methods_filter", 512)\n'  # OPTIONS
    assert logged('xlogm("L_INFO", "m\\n");', head) == []


def test_xlogl_line_and_long_format() -> None:
    assert logged('xlogl("L_INFO", "a\\n");') == ["4:a\n"]
    head = 'modparam("xlog", "long_format", 1)\n'
    assert logged('xdbgl("a\\n");', head) == ["t.cfg:5:a\n"]


def test_auto_newline() -> None:
    head = 'modparam("xlog", "auto_newline", 1)\n'
    assert logged('xlog("a"); xlog("b\\n");', head) == ["a\n", "b\n"]


@pytest.mark.parametrize(
    "param",
    ['"log_facility", "LOG_NOPE"', '"log_colors", "L_XX=rx"', '"log_colors", "L_ERR=rG"',
     '"buf_size", 0'],
)  # fmt: skip
def test_bad_modparams_fail_at_load(param: str) -> None:
    with pytest.raises(ConfigError):
        logged('xlog("x");', f'modparam("xlog", {param})\n')


def test_prefix_mode_pv_prefix_checked_at_load() -> None:
    with pytest.raises(ConfigError, match="prefix"):
        logged(
            'xlog("x");',
            'modparam("xlog", "prefix", "$nosuchpv ")\nmodparam("xlog", "prefix_mode", 1)\n',
        )
