"""kex functions over the routing state: the destination URI, pv_printf, `myself`
checks and the per-process log level (Kamailio 5.6.3 behaviour, see
tests/compat/cases/kex.toml).

* `setdsturi(uri)` sets $du to the text (pseudo-variables allowed, as 5.6.3 accepts
  them; the text is not checked to be a URI); `resetdsturi()` unsets it;
  `isdsturiset()` is 1 when $du is set, else -1.
* `pv_printf(var, format)` / `avp_printf`: renders the format and assigns the text to
  the writable pseudo-variable `var` (1; -1 when the assignment fails, e.g. a bad $ru).
* `is_myself(text)`: a `sip:`/`sips:` URI is checked with its host, its port (no port
  means any port, unlike `uri == myself`) and its `transport` (the server must listen
  on that protocol); any other text is taken whole as a host name checked on any port
  ("127.0.0.1:5060" is not a host, hence false). A URI that does not parse: -1.
* `is_myhost(text)`: the same with the host part only (port and transport ignored;
  from Kamailio 5.7, not in 5.6.3).
* `setdebug(level)` sets the log level of this process; `resetdebug()` restores the
  level the server was started with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.pvclass import PVError
from siprouter.runtime import state
from siprouter.runtime.logging import LOG, python_level
from siprouter.sip.uri import UriError, parse_uri

from .kex_args import IntArg, Text, err, int_value, render

# ---- $du ------------------------------------------------------------------------------


def setdsturi(ctx: MsgContext, uri: Text) -> int:
    # an empty value resets $du (Kamailio 5.6.3: 1, and $du is $null after)
    ctx.dst_uri = render(ctx, uri) or None
    return 1


def resetdsturi(ctx: MsgContext) -> int:
    ctx.dst_uri = None
    return 1


def isdsturiset(ctx: MsgContext) -> int:
    return 1 if ctx.dst_uri else -1


# ---- pv_printf ------------------------------------------------------------------------


def pv_printf(ctx: MsgContext, setter: Callable[[MsgContext, Any], None], fmt: Text) -> int:
    try:
        setter(ctx, render(ctx, fmt))
    except PVError as e:
        return err("pv_printf", f"cannot set the value: {e}")
    return 1


# ---- myself ---------------------------------------------------------------------------


def _matcher(ctx: MsgContext) -> Any:
    return getattr(ctx.script.compiled, "myself", None)


def _listens_on(proto: str) -> bool:
    """Whether the server has a socket of `proto` (UDP always: siprouter's base)."""
    return proto == "udp" or any(s.proto == proto for s in state.SOCKETS.values())


_PARSED: dict[str, tuple[str, int, str | None] | None] = {}  # URI text -> parts (bounded)


def _uri_parts(text: str) -> tuple[str, int, str | None] | None:
    """(host, port or 0, transport or None) of a sip:/sips: URI; None when it does not
    parse. Cached by text: the same URIs come again and again."""
    parts = _PARSED.get(text, _PARSED)
    if parts is not _PARSED:
        return parts  # type: ignore[return-value]
    try:
        uri = parse_uri(text)
        t = uri.transport
        found: tuple[str, int, str | None] | None = (
            uri.host,
            int(uri.port or 0),
            t.lower() if t is not None else None,
        )
    except (UriError, ValueError):
        found = None
    if len(_PARSED) >= 4096:
        _PARSED.clear()
    _PARSED[text] = found
    return found


def check_self(ctx: MsgContext, text: str, host_only: bool) -> int:
    if not text:
        return -1
    matcher = _matcher(ctx)
    if matcher is None:
        return -1
    if text[:4].lower() == "sip:" or text[:5].lower() == "sips:":
        parts = _uri_parts(text)
        if parts is None:
            return err("is_myself", f"failed to parse uri [{text}]")
        host, port, proto = parts
        if not host:
            return -1
        if host_only:
            port, proto = 0, None
        if proto is not None and not _listens_on(proto):
            return -1
        return 1 if matcher.check(host, port) else -1
    return 1 if matcher.check(text, 0) else -1


def is_myself(ctx: MsgContext, text: Text) -> int:
    return check_self(ctx, render(ctx, text), host_only=False)


def is_myhost(ctx: MsgContext, text: Text) -> int:
    return check_self(ctx, render(ctx, text), host_only=True)


# ---- log level ------------------------------------------------------------------------

_BASE_LEVEL: list[int] = []  # the level before the first setdebug() of this process


def _apply_level(level: int) -> None:
    """The server log level, and the threshold of the `logging` tree bridged into it."""
    LOG.level = level
    root = logging.getLogger("siprouter")
    if any(type(h).__name__ == "_Bridge" for h in root.handlers):
        root.setLevel(python_level(level))


def setdebug(ctx: MsgContext, level: IntArg) -> int:
    lvl = int_value(ctx, level, "setdebug")
    if lvl is None:
        return err("setdebug", "no debug level value")
    if not _BASE_LEVEL:
        _BASE_LEVEL.append(LOG.level)
    _apply_level(lvl)
    return 1


def resetdebug(ctx: MsgContext) -> int:
    if _BASE_LEVEL:
        _apply_level(_BASE_LEVEL.pop())
    return 1
