"""The `xlog` module: log lines with pseudo-variables from the routing script.

Functions (every route type):

* `xlog([level,] format)`: level is a name L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR,
  L_WARN, L_NOTICE, L_INFO, L_DBG or a pseudo-variable holding the number (-5..3);
  without a level, L_ERR (as Kamailio 5.6.3). An `L_...` name Kamailio does not know is
  a config error ("unknown log level"), anything else too ("wrong log level");
* `xdbg`, `xinfo`, `xnotice`, `xwarn`, `xerr`, `xbug`, `xcrit`, `xalert` (format): one
  fixed level each.

The format is compiled once (pv/format.compile_format) and rendered only when the level
is enabled (the `debug` core parameter or -d). Lines go through runtime/logging.LOG
with the `<script>` prefix, text as rendered (formats carry their own "\\n"). When the
context collects log lines (`ctx.log`, tests and the offline runner) the line is also
appended there as (level as text, rendered text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules.registry import ArgKind, FunctionSpec, ModuleExports
from siprouter.pv.format import Format, compile_format
from siprouter.runtime.logging import (
    L_ALERT,
    L_BUG,
    L_CRIT,
    L_DBG,
    L_ERR,
    L_INFO,
    L_NOTICE,
    L_WARN,
    LEVEL_NAMES,
    LOG,
    clamp_level,
)

SCRIPT = "<script>"


def _fmt(arg: Any) -> Format:
    try:
        return compile_format(str(arg))
    except ConfigError as e:
        raise ValueError(e.message) from None


def _level(arg: Any) -> int | Format:
    text = str(arg).strip()
    if text.startswith("$"):
        return _fmt(text)
    if text in LEVEL_NAMES:
        return LEVEL_NAMES[text]
    if text.startswith("L_"):
        raise ValueError(f"unknown log level {text!r}")
    raise ValueError(f"wrong log level {text!r} (use L_ALERT .. L_DBG or a pseudo-variable)")


def fixup_xlog(args: Sequence[Any]) -> list[Any]:
    """xlog(format) -> [L_ERR, format]; xlog(level, format) -> [level, format]."""
    if len(args) == 1:
        return [L_ERR, _fmt(args[0])]
    return [_level(args[0]), _fmt(args[1])]


def _emit(ctx: MsgContext, level: int, fmt: Format) -> int:
    collect = ctx.log
    if collect is None and not LOG.enabled(level):
        return 1
    text = fmt.render(ctx)
    if collect is not None:
        collect.append((str(level), text))
    if LOG.enabled(level):
        LOG.write(level, SCRIPT, text)
    return 1


def xlog(ctx: MsgContext, level: int | Format, fmt: Format) -> int:
    if not isinstance(level, int):
        value = level.render(ctx).strip()
        try:
            level = clamp_level(int(value))
        except ValueError:
            level = L_ERR
    return _emit(ctx, level, fmt)


def _fixed(level: int) -> Callable[[MsgContext, Format], int]:
    def log_at(ctx: MsgContext, fmt: Format) -> int:
        return _emit(ctx, level, fmt)

    return log_at


def _fixup_fmt(args: Sequence[Any]) -> list[Any]:
    return [_fmt(args[0])]


_S = ArgKind.STR
_FIXED = {
    "xdbg": L_DBG,
    "xinfo": L_INFO,
    "xnotice": L_NOTICE,
    "xwarn": L_WARN,
    "xerr": L_ERR,
    "xbug": L_BUG,
    "xcrit": L_CRIT,
    "xalert": L_ALERT,
}

EXPORTS = ModuleExports.of(
    "xlog",
    functions=[
        FunctionSpec("xlog", xlog, (1, 2), (_S, _S), fixup=fixup_xlog, doc="xlog([level,] format)"),
        *(
            FunctionSpec(name, _fixed(level), (1,), (_S,), fixup=_fixup_fmt, doc=f"log at {level}")
            for name, level in _FIXED.items()
        ),
    ],
)
