"""The `xlog` module: log lines with pseudo-variables from the routing script.

Functions (every route type):

* `xlog([level,] format)`: level is a name L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR,
  L_WARN, L_NOTICE, L_INFO, L_DBG or a pseudo-variable holding the number (-5..3);
  without a level, L_ERR (as Kamailio 5.6.3). An `L_...` name Kamailio does not know is
  a config error ("unknown log level"), anything else too ("wrong log level");
* `xdbg`, `xinfo`, `xnotice`, `xwarn`, `xerr`, `xbug`, `xcrit`, `xalert` (format): one
  fixed level each;
* `xlogl([level,] format)` / `xdbgl(format)`: as xlog / xdbg with the cfg line of the
  call before the message ("12:text"; "file:12:text" with the long_format modparam);
* `xlogm(level, format)`: as xlog, but silent for a request whose method id ($rmid) is
  in the `methods_filter` modparam (default -1: every method), which is also the cfg
  variable `xlog.methods_filter` (cfg.set_now_int xlog methods_filter N changes it
  from the next message, docs/runtime-config.md).

The format is compiled once (pv/format.compile_format) and rendered only when the level
is enabled (the `debug` core parameter or -d). Lines go to the server log through
xlog_out.write_line with the `prefix` modparam ("<script>: " by default); a message of
buf_size characters or more is not printed (an error says so), as in Kamailio 5.6.3.
When the context collects log lines (`ctx.log`, tests and the offline runner) the
message is also appended there as (level as text, rendered text without the xlog prefix,
after the core's log_prefix when the message has one).
The modparams are in xlog_params.py, the `$C(fb)` color PV in xlog_color.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules import xlog_params as xp
from siprouter.modules.registry import ArgKind, FunctionSpec, ModuleExports, ParamSpec, ParamType
from siprouter.modules.xlog_color import COLOR
from siprouter.modules.xlog_out import write_line
from siprouter.modules.xlog_params import XLOG_PARAMS
from siprouter.pv.format import Format, compile_format
from siprouter.pv.impl_hdr import METHOD_IDS, METHOD_OTHER
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

_log = logging.getLogger("siprouter.xlog")


def _fmt(arg: Any) -> Format:
    xp.compile_prefix()  # ValueError: a bad prefix (prefix_mode 1) fails -c here
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


def _emit(ctx: MsgContext, level: int, fmt: Format, line: bool = False) -> int:
    collect = ctx.log
    if collect is None and not LOG.enabled(level):
        return 1
    text = fmt.render(ctx)
    if line:
        text = _line_prefix(ctx) + text
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogateescape"))
    if size >= XLOG_PARAMS.buf_size:  # Kamailio counts bytes, with room for a NUL
        _log.error(
            "xlog: buffer overflow: the message needs %d bytes, buf_size is %d",
            size + 1,
            XLOG_PARAMS.buf_size,
        )
        return 1
    if XLOG_PARAMS.auto_newline and not text.endswith("\n"):
        text += "\n"
    if collect is not None:
        cur = LOG.current  # the core's log_prefix of the message, if any
        collect.append((str(level), text if cur is None else cur.prefix() + text))
    if LOG.enabled(level):
        write_line(ctx, level, text)
    return 1


def _line_prefix(ctx: MsgContext) -> str:
    """ "LINE:" (or "FILE:LINE:" with long_format) of the running cfg statement."""
    cfg_file, cfg_line, _route = ctx.cfg_location()
    if XLOG_PARAMS.long_format:
        return f"{cfg_file}:{cfg_line}:"
    return f"{cfg_line}:"


def _dyn_level(ctx: MsgContext, level: int | Format) -> int:
    if isinstance(level, int):
        return level
    value = level.render(ctx).strip()
    try:
        return clamp_level(int(value))
    except ValueError:
        return L_ERR


def xlog(ctx: MsgContext, level: int | Format, fmt: Format) -> int:
    return _emit(ctx, _dyn_level(ctx, level), fmt)


def xlogl(ctx: MsgContext, level: int | Format, fmt: Format) -> int:
    return _emit(ctx, _dyn_level(ctx, level), fmt, line=True)


def xdbgl(ctx: MsgContext, fmt: Format) -> int:
    return _emit(ctx, L_DBG, fmt, line=True)


def method_filtered(ctx: MsgContext) -> bool:
    """Whether xlogm stays silent for this message: a request whose method id is in
    methods_filter (a reply is never filtered)."""
    msg = ctx.msg
    if not msg.is_request:
        return False
    mid = METHOD_IDS.get(msg.method or "", METHOD_OTHER)
    return bool(XLOG_PARAMS.methods_filter & mid)


def xlogm(ctx: MsgContext, level: int | Format, fmt: Format) -> int:
    if method_filtered(ctx):
        return 1
    return _emit(ctx, _dyn_level(ctx, level), fmt)


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

_I = ParamType.INT


def _int(name: str, default: int, doc: str) -> ParamSpec:
    return ParamSpec(name, _I, default, setter=xp.setter(name), doc=doc)


def _fixup_level_fmt(args: Sequence[Any]) -> list[Any]:
    return [_level(args[0]), _fmt(args[1])]


reset = xp.reset


def _init(_lm: Any) -> None:
    """mod_init: xlog declares its cfg group (xlog.methods_filter, changed at runtime by
    cfg.set_now_int; runtime/core_cfg.py updates XLOG_PARAMS); custom parameters that
    took the group's name make it fail, as in Kamailio 5.6.3."""
    from siprouter.cfg.core_cfg_vars import module_group_error
    from siprouter.runtime.lifecycle import ModuleInitError

    error = module_group_error("xlog")
    if error:
        raise ModuleInitError(error)


EXPORTS = ModuleExports.of(
    "xlog",
    functions=[
        FunctionSpec("xlog", xlog, (1, 2), (_S, _S), fixup=fixup_xlog, doc="xlog([level,] format)"),
        *(
            FunctionSpec(name, _fixed(level), (1,), (_S,), fixup=_fixup_fmt, doc=f"log at {level}")
            for name, level in _FIXED.items()
        ),
        FunctionSpec(
            "xlogl", xlogl, (1, 2), (_S, _S), fixup=fixup_xlog, doc="xlog with the cfg line"
        ),
        FunctionSpec("xdbgl", xdbgl, (1,), (_S,), fixup=_fixup_fmt, doc="xdbg with the cfg line"),
        FunctionSpec(
            "xlogm",
            xlogm,
            (2,),
            (_S, _S),
            fixup=_fixup_level_fmt,
            doc="xlog unless the method is in methods_filter",
        ),
    ],
    params=[
        ParamSpec("buf_size", _I, 4096, validator=xp.valid_buf_size, setter=xp.setter("buf_size")),
        _int("force_color", 0, "print $C(..) colors also to syslog"),
        _int("long_format", 0, "xlogl/xdbgl print file:line: instead of line:"),
        ParamSpec("prefix", ParamType.STR, xp.DEFAULT_PREFIX, setter=xp.set_prefix),
        ParamSpec("prefix_mode", _I, 0, setter=xp.set_prefix_mode, doc="1: prefix has PVs"),
        ParamSpec(
            "log_facility",
            ParamType.STR,
            None,
            validator=xp.valid_facility,
            setter=xp.set_facility,
        ),
        ParamSpec(
            "log_colors",
            ParamType.STR,
            None,
            validator=xp.valid_log_colors,
            setter=xp.set_log_colors,
            multi=True,
        ),
        _int("methods_filter", -1, "method ids xlogm does not log"),
        _int("auto_newline", 0, "add a missing newline (Kamailio 5.7+)"),
    ],
    pvs=[COLOR.spec()],
    init=_init,
)
