"""The modparams of the xlog module, validated at `-c` and kept for the process.

* buf_size (int, 4096): the rendered message must be shorter than this; a longer one is
  not printed, an error is logged instead (Kamailio 5.6.3: "buffer overflow");
* force_color (int, 0): print $C(..) sequences also when logging to syslog;
* long_format (int, 0): xlogl/xdbgl prefix the message with "file:line:" instead of
  "line:";
* prefix (str, "<script>: "): what precedes the message in the log line;
* prefix_mode (int, 0): 1 renders the prefix as a format (pseudo-variables) per line,
  0 prints it as written;
* log_facility (str): the syslog facility of xlog lines (LOG_DAEMON, LOG_USER,
  LOG_LOCAL0..7); unset: the core's;
* log_colors (str, may repeat): "L_NAME=fb" sets the color of a level for the core's
  colored log; an unknown level name or color fails at `-c` as in Kamailio. The colors
  are kept in `level_colors`; Kamailio uses them only with the core's log_color=1, which
  siprouter's core does not implement, so (as in Kamailio without log_color) they do not
  change the output;
* methods_filter (int, -1): method ids (as $rmid) xlogm does not print for; -1 filters
  every method;
* auto_newline (int, 0): add a newline to a message that has none. Kamailio 5.6.3 does
  not have this parameter (5.7 added it); implemented from the later docs.
"""

from __future__ import annotations

import syslog
from dataclasses import dataclass, field
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.runtime.logging import LEVEL_NAMES

FACILITIES: dict[str, int] = {
    "LOG_DAEMON": syslog.LOG_DAEMON,
    "LOG_USER": syslog.LOG_USER,
    **{f"LOG_LOCAL{i}": getattr(syslog, f"LOG_LOCAL{i}") for i in range(8)},
}

DEFAULT_PREFIX = "<script>: "


@dataclass(slots=True)
class XlogParams:
    """The values of the xlog modparams (one config per process)."""

    buf_size: int = 4096
    force_color: int = 0
    long_format: int = 0
    prefix: str = DEFAULT_PREFIX
    prefix_mode: int = 0
    facility: int | None = None
    methods_filter: int = -1
    auto_newline: int = 0
    level_colors: dict[int, str] = field(default_factory=dict)
    prefix_format: Any = None  # pv.format.Format when prefix_mode is 1

    def reset(self) -> None:
        fresh = XlogParams()
        for name in self.__slots__:
            setattr(self, name, getattr(fresh, name))


XLOG_PARAMS = XlogParams()


def valid_buf_size(value: Any) -> int:
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"buf_size must be a positive number, got {value!r}")
    return value


def valid_facility(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in FACILITIES:
        raise ValueError(f"unknown log facility {value!r} (LOG_DAEMON, LOG_USER, LOG_LOCAL0..7)")
    return text


def valid_log_colors(value: Any) -> str:
    parse_log_colors(str(value))
    return str(value)


def parse_log_colors(text: str) -> dict[int, str]:
    """'L_ERR=cr;L_WARN=px' -> {level: escape sequence}."""
    from siprouter.modules.xlog_color import color_sequence

    out: dict[int, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, spec = part.partition("=")
        level = LEVEL_NAMES.get(name.strip())
        if level is None:
            raise ValueError(f"invalid level name {name.strip()}")
        if not eq:
            raise ValueError(f"log_colors {part!r}: expected L_NAME=colors")
        out[level] = color_sequence(spec.strip())
    return out


def set_prefix(value: str) -> None:
    XLOG_PARAMS.prefix = value
    XLOG_PARAMS.prefix_format = None


def set_prefix_mode(value: int) -> None:
    XLOG_PARAMS.prefix_mode = value
    XLOG_PARAMS.prefix_format = None


def compile_prefix() -> None:
    """With prefix_mode 1 the prefix is a format: compiled by the first xlog fixup (every
    module's PVs are known by then), so a bad prefix fails `-c` at that call."""
    if XLOG_PARAMS.prefix_mode != 1 or XLOG_PARAMS.prefix_format is not None:
        return
    from siprouter.pv.format import compile_format

    try:
        XLOG_PARAMS.prefix_format = compile_format(XLOG_PARAMS.prefix)
    except ConfigError as e:
        raise ValueError(f"xlog prefix {XLOG_PARAMS.prefix!r}: {e.message}") from None


def set_facility(value: str) -> None:
    XLOG_PARAMS.facility = FACILITIES[valid_facility(value)]


def set_log_colors(value: str) -> None:
    XLOG_PARAMS.level_colors.update(parse_log_colors(value))


def reset() -> None:
    """Back to the defaults (tests loading several configs in one process)."""
    XLOG_PARAMS.reset()


def setter(name: str) -> Any:
    """A setter storing an int modparam into XLOG_PARAMS."""

    def set_(value: Any) -> None:
        setattr(XLOG_PARAMS, name, value)

    return set_
