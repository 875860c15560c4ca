"""Route code objects keep their route names when the same config is compiled twice
and the first compile is dropped (a reload): latency tracing and $cfg(route) read
them through engine.context.ROUTE_CODE_NAMES."""

from __future__ import annotations

import gc

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import ROUTE_CODE_NAMES

CFG = 'loadmodule "pv"\nrequest_route { route(R); }\nroute[R] { $var(x) = 1; }\n'


def test_names_survive_a_dropped_first_compile() -> None:
    first = compile_config(parse_string(CFG, "t.cfg"))
    second = compile_config(parse_string(CFG, "t.cfg"))
    code = second.routes["route"]["R"].__code__
    del first
    gc.collect()
    assert ROUTE_CODE_NAMES.get(code) == "R"
