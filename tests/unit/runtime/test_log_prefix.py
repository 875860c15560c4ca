"""log_prefix (runtime/log_prefix.py) and the json engine's c/p/j/U output
(runtime/logging.ServerLog), without a server: where the prefix goes in a line, when it
is evaluated per log_prefix_mode, the 1024-byte limit, a prefix that does not compile."""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections.abc import Iterator

import pytest

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.modules.loader import LoadedModules
from siprouter.pv.access import PVCompiler
from siprouter.runtime.log_prefix import (
    PREFIX,
    LogPrefix,
    Part,
    compile_parts,
    message_only,
    render,
)
from siprouter.runtime.logging import L_ERR, L_INFO, LOG
from siprouter.sip.message import parse_message

REQ = (
    b"OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\n"
    b"Call-ID: c-1\r\nCSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


@pytest.fixture
def out() -> Iterator[io.StringIO]:
    """LOG writing classic lines at L_INFO to a buffer; restored afterwards."""
    saved = (LOG.level, LOG.stream, LOG.json, LOG.current, LOG.colors, LOG.proc_no, LOG.name)
    buf = io.StringIO()
    LOG.level, LOG.stream, LOG.json, LOG.current, LOG.colors = L_INFO, buf, None, None, None
    LOG.proc_no, LOG.name = 1, "lp"
    try:
        yield buf
    finally:
        LOG.level, LOG.stream, LOG.json, LOG.current, LOG.colors, LOG.proc_no, LOG.name = saved
        PREFIX.configure(None)


def _compiler() -> PVCompiler:
    mods = LoadedModules()
    mods.load("pv")
    return PVCompiler(mods)


def _ctx() -> MsgContext:
    return MsgContext(parse_message(REQ), ReceiveInfo("127.0.0.1", 5070), ScriptState())


def _prefix(source: str, mode: int = 0) -> LogPrefix:
    p = LogPrefix()
    p.configure(source, mode)
    assert p.use(_compiler())
    return p


def _lines(buf: io.StringIO) -> list[str]:
    return [re.sub(r"^ 1\(\d+\) ", "", line) for line in buf.getvalue().splitlines()]


def test_prefix_goes_after_the_level_and_only_while_a_message_is_handled(out: io.StringIO) -> None:
    p = _prefix("{$mt $hdr(CSeq) $ci} ")
    LOG.write(L_INFO, "<core>", "before")
    p.begin(_ctx())
    LOG.write(L_INFO, "<script>", "inside")
    LOG.core(L_ERR, "a core error")
    p.end()
    LOG.write(L_INFO, "<core>", "after")
    assert _lines(out) == [
        "INFO: <core>: before",
        "INFO: {1 7 OPTIONS c-1} <script>: inside",
        "ERROR: {1 7 OPTIONS c-1} <core>: a core error",
        "INFO: <core>: after",
    ]


def test_mode0_values_of_reception_mode1_values_of_each_line(out: io.StringIO) -> None:
    ctx = _ctx()
    eager = _prefix("[$var(n)] ")
    assert not eager.lazy  # $var changes while routing: rendered when the message arrives
    eager.begin(ctx)
    ctx.script.vars["n"] = 5
    LOG.write(L_INFO, "<script>", "m0")
    per_line = _prefix("[$var(n)] ", mode=1)
    per_line.begin(ctx)
    LOG.write(L_INFO, "<script>", "m1")
    ctx.script.vars["n"] = 6
    LOG.write(L_INFO, "<script>", "m1 again")
    assert _lines(out) == [
        "INFO: [0] <script>: m0",
        "INFO: [5] <script>: m1",
        "INFO: [6] <script>: m1 again",
    ]


def test_mode0_lazy_prefix_reads_the_message_as_received(out: io.StringIO) -> None:
    p = _prefix("{$ci $hdr(Max-Forwards)} ")
    assert p.lazy
    ctx = _ctx()
    p.begin(ctx)
    assert LOG.current._text is None  # nothing rendered for a message that logs nothing
    # a module replacing the message (maxfwd's in-place decrement) before the first line
    ctx.msg = parse_message(REQ.replace(b"Max-Forwards: 70", b"Max-Forwards: 69"))
    LOG.write(L_INFO, "<script>", "x")
    assert ctx.msg.header("Max-Forwards") == b"69"
    assert _lines(out) == ["INFO: {c-1 70} <script>: x"]


def test_message_only_classification() -> None:
    comp = _compiler()
    assert message_only(compile_parts("{$mt $(hdr(CSeq){s.len}) $si:$sp $fu} ", comp))
    for source in ("$ru", "$var(x)", "$TV(s)", "$(hdr($var(h)))", "$avp(a)"):
        assert not message_only(compile_parts(source, comp)), source


def test_1024_bytes_do_not_fit(out: io.StringIO) -> None:
    for size, shown in ((1023, True), (1024, False)):
        out.seek(0)
        out.truncate()
        p = _prefix("x" * (size - 7) + "$rm")  # OPTIONS: 7 bytes
        p.begin(_ctx())
        LOG.write(L_INFO, "<script>", "m")
        lines = _lines(out)
        assert (lines[-1] == "INFO: " + "x" * (size - 7) + "OPTIONS<script>: m") is shown
    assert lines == [
        "ERROR: <core>: pv_printf_mode(): no more space for spec value - "
        "printed:1017 token:7 buffer:1024",
        "ERROR: <core>: pv_printf_mode(): buffer overflow -- increase the buffer size...",
        "INFO: <script>: m",
    ]
    out.seek(0)
    out.truncate()
    p = _prefix("é" * 512 + "$rm")  # bytes are counted, not characters
    p.begin(_ctx())
    LOG.write(L_INFO, "<script>", "m")
    assert _lines(out)[0].endswith("printed:0 token:1024 buffer:1024")


def test_a_prefix_that_does_not_compile_is_an_error_and_no_prefix(out: io.StringIO) -> None:
    p = LogPrefix()
    p.configure("[$cfg(line)] ")  # corex's PV, not loaded
    assert not p.use(_compiler())
    assert not p.on and p.parts is None
    assert _lines(out) == ["ERROR: <core>: log_prefix_init(): wrong format[[$cfg(line)] ]"]
    off = LogPrefix()
    off.configure(None)
    assert off.use(_compiler()) and not off.on  # nothing to do per message


def _json(flags: str, text: str = "hi\n", prefix: str | None = None) -> str:
    LOG.json = flags
    if prefix is not None:
        p = LogPrefix()
        p.configure(prefix, callid="c" in flags)
        assert p.use(_compiler())
        p.begin(_ctx())
    try:
        return LOG.json_line(L_INFO, "xlog", text)
    finally:
        LOG.current = None


def test_json_c_p_j(out: io.StringIO) -> None:
    # c: the Call-ID of the message, "" outside one
    assert '"function": "", "callid": "", "logprefix": "", "message"' in _json("c")
    doc = json.loads(_json("c", prefix="{$mt} "))
    assert (doc["callid"], doc["logprefix"]) == ("c-1", "{1} ")
    # p: a prefix starting with a comma is fields of the document; no prefix, no field
    doc = json.loads(_json("p", prefix=', "src": "$si", "mt": $mt'))
    assert list(doc)[6:] == ["function", "src", "mt", "message"]
    assert '"function": "", "message": "hi\\n"' in _json("p")
    assert json.loads(_json("p", prefix="{$mt} "))["logprefix"] == "{1} "
    # j: a prefix in braces is an object, any other a text; the prefix is not escaped
    assert json.loads(_json("j", prefix='{"mt": $mt}'))["logprefix"] == {"mt": 1}
    assert '"logprefix": { "text": "a"b " }' in _json("j", prefix='a"b ')
    assert _json("N").endswith(" }") and _json("").endswith(" }\n")


def test_json_u_is_the_cee_document(out: io.StringIO) -> None:
    line = _json("UM", prefix="{$mt} ")
    doc = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", doc.pop("time"))
    assert doc.pop("hostname")
    assert doc == {
        "proc": {"id": str(os.getpid()), "tid": threading.get_ident()}, "pri": "INFO",
        "subsys": "xlog", "file": {"name": "", "line": 0}, "native": {"function": ""},
        "msg": "hi", "pname": "siprouter", "appname": "lp",
    }  # fmt: skip
    assert line.startswith('{"time":"') and line.endswith('"}\n') and " " not in line[:60]
    assert not _json("UN").endswith("\n")
    LOG.json = "U"
    assert '"subsys":"core"' in LOG.json_line(L_ERR, "<core>", "x")


def test_a_pv_that_fails_prints_null_and_routing_goes_on() -> None:
    def broken(ctx: MsgContext) -> str:
        raise ValueError("cannot read")

    parts = [Part("[", broken), Part("] ", lambda ctx: ctx.msg.callid)]
    assert render(parts, _ctx()) == "[<null>] c-1"
