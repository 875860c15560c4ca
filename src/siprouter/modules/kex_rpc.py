"""kex's core.* RPC commands that need no other part of siprouter, with the results
Kamailio 5.6.3's JSON-RPC gives (checked through jsonrpcs):

* core.echo a 5 -> ["a", "5"] (every parameter as text); core.prints likewise;
  core.printi 1 2 -> [1, 2] (a text is read as C reads an int: "x" is 0);
* core.pwd -> [working directory]; core.arg -> the command line as a list;
* core.version -> "siprouter X (kamailio 5.6.3 compatible) (arch/os)";
* core.uptime -> {"now": ctime, "up_since": ctime, "uptime": seconds}, from the time
  the module was initialised (the server's start, before the workers fork);
* core.sockets_list -> [{"socket": {"proto", "address", "port" (text), "mcast",
  "mhomed", "virtual"}}, ...] over the listen sockets of this process.

The statistics commands kex provides in Kamailio (stats.*) are attached from
siprouter/stats (rpc/registry.ATTACHED). Not provided: core.ps/psx, core.modules,
core.ppdefines, core.info, core.flags, core.shmmem, core.tcp_*, core.kill, pkg.stats,
mod.*: they need the process table, the loaded config or C memory figures.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from typing import Any

from siprouter import __version__
from siprouter.modules.registry import RpcSpec
from siprouter.runtime import state

#: when the server started (set by the module's init in the main process)
STARTED: list[float] = [time.time()]

KAMAILIO_COMPAT = "5.6.3"


def mark_start() -> None:
    STARTED[0] = time.time()


def core_echo(*params: Any) -> list[str]:
    return [str(p) for p in params]


def _leading_int(text: str) -> int:
    """The integer a C string-to-int conversion reads: leading sign and digits, else 0."""
    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else 0


def core_printi(*params: Any) -> list[int]:
    return [p if type(p) is int else _leading_int(str(p)) for p in params]


def core_pwd(*_params: Any) -> list[str]:
    return [os.getcwd()]


def core_arg(*_params: Any) -> list[str]:
    return [os.path.basename(sys.argv[0]) or "siprouter", *sys.argv[1:]]


def core_version(*_params: Any) -> str:
    arch = f"{platform.machine()}/{platform.system().lower()}"
    return f"siprouter {__version__} (kamailio {KAMAILIO_COMPAT} compatible) ({arch})"


def core_uptime(*_params: Any) -> dict[str, Any]:
    now = time.time()
    return {
        "now": time.ctime(now),
        "up_since": time.ctime(STARTED[0]),
        "uptime": int(now - STARTED[0]),
    }


def core_sockets_list(*_params: Any) -> list[dict[str, Any]]:
    return [
        {
            "socket": {
                "proto": ls.proto,
                "address": ls.ip,
                "port": str(ls.port),
                "mcast": "no",
                "mhomed": "no",
                "virtual": "no",
            }
        }
        for ls in state.SOCKETS.values()
    ]


RPCS = [
    RpcSpec("core.echo", core_echo, "returns back its parameters"),
    RpcSpec("core.prints", core_echo, "returns the strings given as parameters"),
    RpcSpec("core.printi", core_printi, "returns the integers given as parameters"),
    RpcSpec("core.pwd", core_pwd, "working directory of the server"),
    RpcSpec("core.arg", core_arg, "command line arguments of the server"),
    RpcSpec("core.version", core_version, "version of the server"),
    RpcSpec("core.uptime", core_uptime, "uptime of the server"),
    RpcSpec("core.sockets_list", core_sockets_list, "the listen sockets"),
]
