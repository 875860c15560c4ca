"""Generated code carries the cfg file and line numbers: tracebacks and $cfg(...)."""

from __future__ import annotations

import traceback

import pytest
from conftest import REQUEST, compile_text

from siprouter.engine.context import MsgContext, ScriptState
from siprouter.sip.message import parse_message

CFG = """loadmodule "enginetest"
request_route {
    mark("a");
    where();
    if (1 == 1) {
        route(SUB);
    }
}
route[SUB] {
    where();
    $tv(x) = 1;
    boom();
}
"""


def _ctx() -> MsgContext:
    ctx = MsgContext(parse_message(REQUEST), script=ScriptState())
    ctx.log = []
    return ctx


def test_traceback_points_at_cfg_lines() -> None:
    cc = compile_text(CFG, "/etc/test/kamailio.cfg")
    with pytest.raises(RuntimeError) as info:
        cc.run("request", "", _ctx())
    frames = [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(info.tb)]
    cfg_frames = [(line, name) for fn, line, name in frames if fn == "/etc/test/kamailio.cfg"]
    # request_route calls route(SUB) at line 6, SUB calls boom() at line 12
    assert [line for line, _ in cfg_frames] == [6, 12]
    assert cfg_frames[0][1].startswith("request") and cfg_frames[1][1].startswith("route_SUB")


def test_cfg_location_file_line_route() -> None:
    cc = compile_text(CFG.replace("    boom();\n", ""), "/etc/test/kamailio.cfg")
    ctx = _ctx()
    cc.run("request", "", ctx)
    wheres = [v for k, v in ctx.log or [] if k == "where"]
    assert wheres == [
        ("/etc/test/kamailio.cfg", 4, "request_route"),
        ("/etc/test/kamailio.cfg", 10, "SUB"),
    ]


def test_sources_kept_per_file() -> None:
    cc = compile_text(CFG, "/etc/test/kamailio.cfg")
    dump = cc.dump_python()
    assert "def route_SUB_" in dump
    assert "# /etc/test/kamailio.cfg:12" in dump


def test_cfg_pv_reads_running_line_and_route() -> None:
    from conftest import run_text

    _rc, ctx = run_text(
        'loadmodule "enginetest"\nrequest_route {\n'
        "    $tv(l1) = $cfg(line);\n"
        "    route(S);\n"
        "}\n"
        "route[S] {\n"
        "    $tv(l2) = $cfg(line); $tv(r) = $cfg(route);\n"
        "}\n"
    )
    assert ctx.script.vars == {"l1": 3, "l2": 7, "r": "S"}
