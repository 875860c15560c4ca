"""`socket_workers = N`: the number of worker processes reading the next listen socket
(Kamailio 5.6.3: it applies to the one `listen =` line that follows, then `children`
counts again; measured by process counts, docs/process-model.md).

`per_listen(config)` maps each listen spec object that a `socket_workers` precedes to
its worker count. In siprouter every worker routes every Call-ID it owns (the owner
ring spans all workers), so the count says how many workers *read* that UDP socket
(one SO_REUSEPORT socket each); the server runs max(children, tcp_children, every
socket_workers) workers. TCP listens keep tcp_children readers.
"""

from __future__ import annotations

from typing import Any

from siprouter.cfg import ast
from siprouter.cfg.core_params import ast_value, validate_param


def per_listen(config: Any) -> dict[int, int]:
    """id(ListenSpec) -> socket_workers for the listens a socket_workers applies to."""
    out: dict[int, int] = {}
    pending: int | None = None
    for item in config.items:
        if isinstance(item, ast.Param) and item.name == "socket_workers":
            value = validate_param(item.name, ast_value(item.value), item.value_pos or item.pos)
            pending = int(value) if value else None
        elif isinstance(item, ast.Listen) and item.param == "listen":
            if pending is not None and item.spec is not None:
                out[id(item.spec)] = pending
            # a listen value with several sockets gives several Listen nodes: the value
            # applies to the whole line
            if pending is not None and _last_of_line(config.items, item):
                pending = None
    return out


def _last_of_line(items: list[Any], item: ast.Listen) -> bool:
    """Whether no later Listen node comes from the same `listen =` line."""
    idx = next(i for i, it in enumerate(items) if it is item)
    nxt = items[idx + 1] if idx + 1 < len(items) else None
    return not (
        isinstance(nxt, ast.Listen)
        and nxt.param == "listen"
        and nxt.raw == item.raw
        and nxt.pos == item.pos
    )
