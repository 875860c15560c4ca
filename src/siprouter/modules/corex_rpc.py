"""corex RPC commands, with the results Kamailio 5.6.3's JSON-RPC gives (checked through
jsonrpcs):

* corex.list_sockets -> [{"PROTO", "NAME", "ADDRLIST": {"ADDR"}, "PORT" (text), "MCAST",
  "MHOMED", "VIRTUAL", "SOCKNAME" ("-" when unnamed), "ADVERTISE" (the advertised
  host, "-" when none)}, ...] over the listen sockets of this process.

Not provided: corex.list_aliases (aliases are kept without their protocol here),
corex.debug (the log level is per process in siprouter; Kamailio's is shared by all),
corex.shm_* / pkg_summary (C memory).
"""

from __future__ import annotations

from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.runtime import state


def list_sockets(*_params: Any) -> list[dict[str, Any]]:
    out = []
    for ls in state.SOCKETS.values():
        adv = state.SETTINGS.advertised.get((ls.ip, ls.port))
        out.append(
            {
                "PROTO": ls.proto,
                "NAME": ls.ip,
                "ADDRLIST": {"ADDR": ls.ip},
                "PORT": str(ls.port),
                "MCAST": "no",
                "MHOMED": "no",
                "VIRTUAL": "no",
                "SOCKNAME": ls.name or "-",
                "ADVERTISE": adv[0] if adv is not None else "-",
            }
        )
    return out


RPCS = [RpcSpec("corex.list_sockets", list_sockets, "the listen sockets")]
