"""$cfg(line|name|file|route) as corex exports it: where in the config the running
statement is (pv/impl_time.CfgPV reads it from the compiled route's code), with the
route names Kamailio 5.6.3 gives its unnamed blocks: DEFAULT_ROUTE (request_route),
DEFAULT_ONREPLY (reply_route / onreply_route), DEFAULT_SEND (onsend_route); a named
block (route[X], failure_route[X], event_route[htable:mod-init], ...) is its name.
"""

from __future__ import annotations

from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.impl_time import CfgPV
from siprouter.pv.pvclass import Index, Value

DEFAULT_NAMES = {
    "request_route": "DEFAULT_ROUTE",
    "route": "DEFAULT_ROUTE",
    "reply_route": "DEFAULT_ONREPLY",
    "onreply_route": "DEFAULT_ONREPLY",
    "onsend_route": "DEFAULT_SEND",
}


class CorexCfgPV(CfgPV):
    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        if name != "route":
            return super().get_at(ctx, name, idx)
        route = ctx.cfg_location()[2]
        return DEFAULT_NAMES.get(route, route) or None


CFG = CorexCfgPV()
