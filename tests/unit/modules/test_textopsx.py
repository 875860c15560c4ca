"""textopsx in-process: what the differential tests cannot reach (functions Kamailio
5.6.3 lacks, config-time refusals, limits) and the pure helpers."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules.textopsx_hfv import ALL, parse_spec
from siprouter.modules.textopsx_msg import fnmatch, glob_regex
from siprouter.sip.message import parse_message

from .test_textops import REQ

HEAD = 'loadmodule "pv"\nloadmodule "textops"\nloadmodule "textopsx"\n'


def run(body: str, extra: str = "", data: bytes = REQ) -> tuple[MsgContext, bytes]:
    text = HEAD + "request_route {\n" + body + "\n}\n" + extra
    cc = compile_config(parse_string(text, "t.cfg"))
    ctx = MsgContext(parse_message(data), script=ScriptState())
    ctx.script.compiled = cc
    cc.run("request", "", ctx)
    out = ctx.changes.apply() if ctx.has_changes else ctx.msg.data
    return ctx, out


def var(ctx: MsgContext, name: str) -> object:
    return ctx.script.vars.get(name)


def test_msg_changed_route_sees_changes_and_keeps_the_message() -> None:
    ctx, out = run(
        'append_hf("X-N: 1\\r\\n"); $var(a)=msg_changed_route("CHK"); $var(c)=is_present_hf("X-N");'
        ' $var(d)=msg_changed_route("NONE");',
        'route[CHK] { $var(b)=is_present_hf("X-N"); $var(h)=$hdr(X-N); append_hf("X-L: 1\\r\\n");'
        " exit; }\n",
    )
    assert [var(ctx, n) for n in "abcd"] == [1, 1, -1, -1]
    assert var(ctx, "h") == "1"
    assert b"X-N: 1\r\n" in out and b"X-L" not in out


def test_msg_apply_changes_then_more_changes() -> None:
    ctx, out = run(
        'append_hf("X-N: 1\\r\\n"); msg_apply_changes(); $var(a)=remove_hf("X-N");'
        ' $var(b)=is_present_hf("X-N");'
    )
    assert [var(ctx, n) for n in "ab"] == [1, 1]
    assert b"X-N" not in out


def test_msg_set_buffer_garbage_stops_the_script() -> None:
    ctx, _ = run('$var(a)=1; msg_set_buffer("garbage"); $var(a)=2;')
    assert var(ctx, "a") == 1


def test_at_most_four_iterators() -> None:
    ctx, _ = run(
        'hf_iterator_start("a"); hf_iterator_start("b"); hf_iterator_start("c");'
        ' hf_iterator_start("d"); $var(e)=hf_iterator_start("e"); $var(f)=hf_iterator_start("a");'
        ' hf_iterator_end("d"); $var(g)=hf_iterator_start("e"); $var(h)=bl_iterator_start("e");'
    )
    assert [var(ctx, n) for n in "efgh"] == [-1, 1, 1, 1]


def test_keep_hf_without_regex_keeps_the_listed_headers() -> None:
    ctx, out = run("$var(a)=keep_hf();")
    assert var(ctx, "a") == -1
    assert b"X-A" not in out and b"X-B" not in out
    for name in (b"Via:", b"From:", b"To:", b"Call-ID:", b"CSeq:", b"Max-Forwards:"):
        assert name in out


@pytest.mark.parametrize(
    "call",
    [
        'append_hf_value("X[*]", "v")',
        'insert_hf_value("X.p", "v")',
        'assign_hf_value("X[*]", "v")',
        'include_hf_value("X[1]", "v")',
        'remove_hf_value("X[0]")',
        'keep_hf("(")',
        'change_reply_status("abc", "x")',
    ],
)
def test_config_errors(call: str) -> None:
    text = HEAD + f"request_route {{ exit; }}\nonreply_route {{ {call}; }}\n"
    with pytest.raises(ConfigError):
        compile_config(parse_string(text, "t.cfg"))


def test_parse_spec() -> None:
    spec = parse_spec("X-Foo[-2].tag")
    assert (spec.name, spec.idx, spec.param) == ("X-Foo", -2, "tag")
    assert parse_spec("v[*]").idx == ALL
    assert parse_spec("Via").param is None
    with pytest.raises(ValueError):
        parse_spec("a b")


@pytest.mark.parametrize(
    ("value", "pattern", "rc"),
    [
        ("abc", "a*", 1),
        ("abc", "A*", -1),
        ("a]", "a[]]", 1),
        ("ab", "a[!b]", -1),
        ("ac", "a[^b]", 1),
        ("a*", "a\\*", 1),
        ("ab", "a\\*", -1),
        ("a[", "a[", 1),
        ("a-", "a[x-]", 1),
        ("a\nb", "a?b", 1),
    ],
)
def test_fnmatch(value: str, pattern: str, rc: int) -> None:
    assert fnmatch(value, pattern) == rc


def test_glob_regex_escapes_regex_characters() -> None:
    assert glob_regex("a.b+(c)").fullmatch("a.b+(c)")
    assert not glob_regex("a.b").fullmatch("axb")
