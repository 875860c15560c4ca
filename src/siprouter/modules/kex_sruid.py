"""$sruid: a unique id per read, as kex's "srid" generator in Kamailio 5.6.3.

The value is `srid-<start time, hex>-<pid, hex>-<counter>`: the time and pid are taken
when a process first asks (so each worker has its own prefix after the fork), the
counter (decimal) starts at 1 and grows by one per read; when it would wrap at 2^32
the prefix is taken again with the current time.
"""

from __future__ import annotations

import os
import time

from siprouter.engine.context import MsgContext

_STATE: list[int | str] = []  # [pid, prefix, counter] of this process


def _init(pid: int) -> None:
    _STATE[:] = [pid, f"srid-{int(time.time()):x}-{pid:x}-", 0]


def next_sruid() -> str:
    pid = os.getpid()
    if not _STATE or _STATE[0] != pid:
        _init(pid)
    n = int(_STATE[2]) + 1
    if n > 0xFFFFFFFF:
        _init(pid)
        n = 1
    _STATE[2] = n
    return f"{_STATE[1]}{n:x}"


def get_sruid(ctx: MsgContext) -> str:
    return next_sruid()
