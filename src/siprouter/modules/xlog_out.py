"""Where an xlog line goes: the server log (stderr or syslog) with the xlog prefix.

A line is "<proc>(<pid>) LEVEL: <log_prefix><prefix><message>" on stderr, as the core's
lines (runtime/logging.ServerLog) but with the xlog `prefix` modparam in place of
"<script>: ", rendered per line when prefix_mode is 1; <log_prefix> is the core's
log_prefix of the message being handled (runtime/log_prefix.py), empty outside one. On
syslog the priority is the level's and the facility xlog's `log_facility`, else the
core's.
"""

from __future__ import annotations

import syslog
from typing import TYPE_CHECKING

from siprouter.modules.xlog_params import XLOG_PARAMS
from siprouter.runtime.logging import _SYSLOG_PRIO, LEVEL_WORDS, LOG, clamp_level

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def prefix_text(ctx: MsgContext) -> str:
    fmt = XLOG_PARAMS.prefix_format
    return fmt.render(ctx) if fmt is not None else XLOG_PARAMS.prefix


def write_line(ctx: MsgContext, level: int, text: str) -> None:
    """Write one xlog message at `level` (the caller checked that the level is on)."""
    level = clamp_level(level)
    if LOG.json is not None:  # --log-engine=json: the message without the xlog prefix
        LOG.write(level, "xlog", text)
        return
    cur = LOG.current
    body = ("" if cur is None else cur.prefix()) + prefix_text(ctx) + text
    if LOG.stream is not None:
        if not body.endswith("\n"):
            body += "\n"
        LOG.emit(LOG.colored(level, f"{LOG.proc_no:2d}({LOG.pid}) {LEVEL_WORDS[level]}: {body}"))
        return
    prio = _SYSLOG_PRIO[level]
    if XLOG_PARAMS.facility is not None:
        prio |= XLOG_PARAMS.facility
    syslog.syslog(prio, f"{LEVEL_WORDS[level]}: {body.rstrip()}")
