"""$cfg(line|file|name|route) through compiled routes (the engine maps code to cfg lines);
the values for request_route and a sub-route are what Kamailio 5.6.3 (corex) logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ScriptState
from siprouter.modules.loader import register, unregister
from siprouter.modules.registry import ModuleExports
from siprouter.pv.impl_time import CFG
from siprouter.sip.message import parse_message

CFG_TEXT = """loadmodule "pv"
loadmodule "cfgpvtest"
request_route {
  $var(l) = $cfg(line);
  $var(r) = $cfg(route);
  route(SUB);
}
route[SUB] {
  $var(f) = $cfg(file); $var(n) = $cfg(name);
  $var(sr) = $cfg(route);
  $var(l2) = $cfg(line);
}
"""


@pytest.fixture
def cfg_module() -> Iterator[None]:
    register(ModuleExports.of("cfgpvtest", pvs=[CFG.spec()]))
    yield
    unregister("cfgpvtest")


def test_cfg_pv_in_routes(cfg_module: None, pvt: object) -> None:
    cc = compile_config(parse_string(CFG_TEXT, "/conf/t.cfg"))
    ctx = MsgContext(parse_message(pvt.INVITE), script=ScriptState())  # type: ignore[attr-defined]
    cc.run("request", "", ctx)
    assert ctx.script.vars == {"l": 4, "r": "DEFAULT_ROUTE", "f": "/conf/t.cfg",
                               "n": "/conf/t.cfg", "sr": "SUB", "l2": 11}  # fmt: skip


def test_cfg_pv_outside_routes(pvt: object) -> None:
    from siprouter.pv.access import PVCompiler

    comp = PVCompiler()
    ctx = MsgContext(parse_message(pvt.INVITE))  # type: ignore[attr-defined]
    assert CFG.get(ctx, "line") == 0 and CFG.get(ctx, "route") is None
    with pytest.raises(ValueError):
        CFG.parse_name("column")
    assert comp.spec("cfg") is None  # pv does not export it (corex does in Kamailio)
