"""Core functions that need no network: flags, R-URI rewrites, Via/advertise settings,
logging and the destination set.

Each entry of `CORE_ACTIONS` is `CoreAction(func, fixup)`: `fixup(args, info)` runs
once at compile time over the constant arguments (Python values: int, str; flag names
as str) and returns what `func(ctx, *fixed)` receives per message. Functions return a
script return code (1 success / true, -1 failure / false).

Flag names resolve through `CompileInfo.flags`: `flags A, B:5;` declarations, where a
name without a position takes the lowest bit not taken by an earlier declaration
(Kamailio 5.6.3: `flags FA, FB:0, FC;` gives FA=0, FB=0, FC=1).

`forward`, `forward_udp` and `forward_tcp` are the stateless forward of runtime/forward.py.
Core functions listed in cfg/core_functions.py but not here (forward_tls/sctp,
send) make compilation
fail with "core function 'X' is not supported yet".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from siprouter.runtime.forward import fix_forward, forward_request, forward_tcp, forward_udp
from siprouter.sip.uri import SipUri, UriError, parse_uri, parse_uri_cached

from .context import (
    MF_ADD_LOCAL_RPORT,
    MF_FORCE_RPORT,
    MF_FORWARD_CLOSE,
    MF_FORWARD_NO_CONNECT,
    MF_REPLY_CLOSE,
    MF_REPLY_NO_CONNECT,
    MsgContext,
)
from .core_avpflags import core_exec, fix_avpflag, isavpflagset, resetavpflag, setavpflag

log = logging.getLogger("siprouter.script")


@dataclass
class CompileInfo:
    """What fixups may look at: declared flags and avpflags (name -> bit)."""

    flags: dict[str, int] = field(default_factory=dict)
    avpflags: dict[str, int] = field(default_factory=dict)


def flag_table(decls: Sequence[Any]) -> dict[str, int]:
    """name -> bit for `flags` declarations (avpflags are skipped)."""
    out: dict[str, int] = {}
    for decl in decls:
        if decl.kind != "flags":
            continue
        for f in decl.flags:
            if f.name in out:
                continue
            if f.position is not None:
                out[f.name] = f.position
            else:
                used = set(out.values())
                out[f.name] = next(b for b in range(32) if b not in used)
    return out


class FixupError(ValueError):
    """A constant argument a core function cannot use (becomes a ConfigError)."""


@dataclass(frozen=True)
class CoreAction:
    func: Callable[..., int]
    fixup: Callable[[list[Any], CompileInfo], list[Any]] | None = None


# ---- fixups ------------------------------------------------------------------------------


def _fix_flag(args: list[Any], info: CompileInfo) -> list[Any]:
    (a,) = args
    if isinstance(a, int):
        if not 0 <= a <= 31:
            raise FixupError(f"flag {a} out of range 0..31")
        return [1 << a]
    if a in info.flags:
        return [1 << info.flags[a]]
    raise FixupError(f"flag {a} not declared")


def _fix_int(args: list[Any], info: CompileInfo) -> list[Any]:
    (a,) = args
    try:
        return [int(a)]
    except (TypeError, ValueError):
        raise FixupError(f"number expected, got {a!r}") from None


def _fix_str(args: list[Any], info: CompileInfo) -> list[Any]:
    return [str(a) for a in args]


def _fix_uri(args: list[Any], info: CompileInfo) -> list[Any]:
    (a,) = args
    text = str(a)
    try:
        parse_uri(text)
    except UriError as e:
        raise FixupError(f"bad URI {text!r}: {e}") from None
    return [text]


# ---- flags -------------------------------------------------------------------------------


def setflag(ctx: MsgContext, mask: int) -> int:
    ctx.flags |= mask
    return 1


def resetflag(ctx: MsgContext, mask: int) -> int:
    ctx.flags &= ~mask
    return 1


def isflagset(ctx: MsgContext, mask: int) -> int:
    return 1 if ctx.flags & mask else -1


# ---- R-URI -------------------------------------------------------------------------------


def _cur_uri(ctx: MsgContext) -> SipUri | None:
    try:
        return parse_uri_cached(ctx.ruri)
    except UriError as e:
        log.error("bad R-URI %r: %s", ctx.ruri, e)
        return None


def _set_uri(ctx: MsgContext, make: Callable[[SipUri], SipUri]) -> int:
    u = _cur_uri(ctx)
    if u is None:
        return -1
    try:
        ctx.new_uri = str(make(u))
    except (UriError, ValueError) as e:
        log.error("cannot rewrite R-URI %r: %s", ctx.ruri, e)
        return -1
    return 1


def _set_user(ctx: MsgContext, u: SipUri, user: str) -> int:
    """The R-URI `u` with a new user part (strip/prefix/rewriteuser: no closure)."""
    try:
        ctx.new_uri = str(u.replace(user=user))
    except (UriError, ValueError) as e:
        log.error("cannot rewrite R-URI %r: %s", ctx.ruri, e)
        return -1
    return 1


def rewriteuri(ctx: MsgContext, uri: str) -> int:
    ctx.new_uri = uri
    return 1


def rewriteuser(ctx: MsgContext, user: str) -> int:
    u = _cur_uri(ctx)
    return -1 if u is None else _set_user(ctx, u, user)


def rewriteuserpass(ctx: MsgContext, userinfo: str) -> int:
    """The whole user[:password] part is replaced (Kamailio 5.6.3: setuserpass("pw")
    turns sip:alice:secret@h into sip:pw@h)."""
    user, sep, pw = userinfo.partition(":")
    return _set_uri(ctx, lambda u: u.replace(user=user, password=pw if sep else None))


def rewritehost(ctx: MsgContext, host: str) -> int:
    return _set_uri(ctx, lambda u: u.replace(host=host))


def _split_hostport(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1 :]
        return host, rest[1:] if rest.startswith(":") else None
    host, sep, port = text.rpartition(":")
    if not sep or host.count(":"):
        return text, None
    return host, port


def rewritehostport(ctx: MsgContext, hp: str) -> int:
    host, port = _split_hostport(hp)
    return _set_uri(ctx, lambda u: u.replace(host=host, port=port if port else None))


def rewritehostporttrans(ctx: MsgContext, hp: str) -> int:
    text, _, params = hp.partition(";")
    host, port = _split_hostport(text)

    def make(u: SipUri) -> SipUri:
        plist = [p for p in u.sip_param_list if p[0].lower() != "transport"]
        for item in params.split(";") if params else []:
            n, eq, v = item.partition("=")
            plist.append((n, v if eq else None))
        return u.replace(host=host, port=port if port else None, params=plist)

    return _set_uri(ctx, make)


def rewriteport(ctx: MsgContext, port: str) -> int:
    return _set_uri(ctx, lambda u: u.replace(port=port if port else None))


def prefix(ctx: MsgContext, text: str) -> int:
    u = _cur_uri(ctx)
    return -1 if u is None else _set_user(ctx, u, text + u.user)


def strip(ctx: MsgContext, n: int) -> int:
    """Remove the first n characters of the user; n >= its length removes the user
    (and password) entirely, as Kamailio does."""
    u = _cur_uri(ctx)
    if u is None:
        return -1
    user = u.user
    return _set_user(ctx, u, user[n:] if n < len(user) else "")


def strip_tail(ctx: MsgContext, n: int) -> int:
    """Remove the last n characters of the user (the whole user when n >= its length)."""
    u = _cur_uri(ctx)
    if u is None:
        return -1
    user = u.user
    return _set_user(ctx, u, user[: len(user) - n] if n < len(user) else "")


def revert_uri(ctx: MsgContext) -> int:
    ctx.new_uri = None
    return 1


def userphone(ctx: MsgContext) -> int:
    """Append `;user=phone` to the parameters of a sip/sips R-URI (before `?headers`),
    unless its last `user` URI parameter (name in any case) is exactly `phone`; the
    user part does not count, tel/tels/urn URIs stay. As Kamailio 5.6.3 builds it: the
    scheme lower-cased, everything else as written (`user=ip` stays in front)."""
    u = _cur_uri(ctx)
    if u is None:
        return -1
    if u.scheme not in ("sip", "sips"):
        return 1
    last = None
    for name, value in u.sip_param_list:
        if name.lower() == "user":
            last = value
    if last == "phone":
        return 1
    text = str(u)
    _colon, tail = u._after_host()  # ";params?headers" as written
    head = u.scheme + text[len(u.scheme_text) : len(text) - len(tail)]
    params, q, headers = tail.partition("?")
    ctx.new_uri = f"{head}{params};user=phone{q}{headers}"
    return 1


# ---- Via / sockets / connections ---------------------------------------------------------


def _msg_flag(bit: int) -> Callable[[MsgContext], int]:
    def action(ctx: MsgContext) -> int:
        ctx.msg_flags |= bit
        return 1

    action.__name__ = f"set_msg_flag_{bit}"
    return action


def set_advertised_address(ctx: MsgContext, addr: str) -> int:
    ctx.advertised_address = addr
    return 1


def set_advertised_port(ctx: MsgContext, port: str) -> int:
    ctx.advertised_port = port
    return 1


def force_send_socket(ctx: MsgContext, sock: str) -> int:
    ctx.force_socket = sock
    return 1


# ---- logging -----------------------------------------------------------------------------

_LEVELS = {-5: logging.CRITICAL, -4: logging.CRITICAL, -3: logging.CRITICAL, -2: logging.CRITICAL,
           -1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.INFO,
           3: logging.DEBUG}  # fmt: skip


def log_action(ctx: MsgContext, *args: Any) -> int:
    """log("text") at level 4 (debug in Kamailio's numbering) or log(level, "text")."""
    if len(args) == 1:
        level, text = 4, args[0]
    else:
        level, text = args
    if ctx.log is not None:
        ctx.log.append((str(level), text))
    log.log(_LEVELS.get(level, logging.DEBUG), "%s", text.rstrip("\n"))
    return 1


def _fix_log(args: list[Any], info: CompileInfo) -> list[Any]:
    if len(args) == 1:
        return [str(args[0])]
    return [int(args[0]), str(args[1])]


def error_action(ctx: MsgContext, a: str, b: str) -> int:
    log.error('error("%s", "%s")', a, b)
    if ctx.log is not None:
        ctx.log.append(("-1", f"{a} {b}"))
    return 1


# ---- destination set ---------------------------------------------------------------------


def clear_branches(ctx: MsgContext) -> int:
    ctx.branches.clear()
    return 1


def remove_branch(ctx: MsgContext, *args: int) -> int:
    if not ctx.branches:
        return -1
    idx = args[0] if args else len(ctx.branches) - 1
    if not 0 <= idx < len(ctx.branches):
        return -1
    del ctx.branches[idx]
    return 1


def force_tcp_alias(ctx: MsgContext, port: int | None = None) -> int:
    """force_tcp_alias([port]) / add_tcp_alias: alias the connection the request came on
    to its Via port (or `port`); true and nothing else for a request that came over UDP
    (Kamailio 5.6.3)."""
    if ctx.rcv.proto not in ("tcp", "tls", "ws", "wss"):
        return 1
    from siprouter.runtime.tcp_transport import force_tcp_alias as alias

    return alias(ctx, port)


def _fix_mtu_proto(args: list[Any], info: CompileInfo) -> list[Any]:
    (proto,) = args
    name = str(proto).lower()
    if name not in ("udp", "tcp", "tls", "sctp"):
        raise FixupError(f"TCP, TLS, SCTP or UDP expected, got {proto!r}")
    if name in ("tls", "sctp"):
        raise FixupError(f"siprouter has no {name.upper()} transport yet (UDP or TCP)")
    return [name]


def udp_mtu_try_proto(ctx: MsgContext, proto: str) -> int:
    """udp_mtu_try_proto(proto): like the global parameter, for this message only."""
    ctx.module_state()["udp_mtu_try_proto"] = proto
    return 1


CORE_ACTIONS: dict[str, CoreAction] = {
    "setflag": CoreAction(setflag, _fix_flag),
    "resetflag": CoreAction(resetflag, _fix_flag),
    "isflagset": CoreAction(isflagset, _fix_flag),
    "rewriteuri": CoreAction(rewriteuri, _fix_uri),
    "rewriteuser": CoreAction(rewriteuser, _fix_str),
    "rewriteuserpass": CoreAction(rewriteuserpass, _fix_str),
    "rewritehost": CoreAction(rewritehost, _fix_str),
    "rewritehostport": CoreAction(rewritehostport, _fix_str),
    "rewritehostporttrans": CoreAction(rewritehostporttrans, _fix_str),
    "rewriteport": CoreAction(rewriteport, _fix_str),
    "prefix": CoreAction(prefix, _fix_str),
    "strip": CoreAction(strip, _fix_int),
    "strip_tail": CoreAction(strip_tail, _fix_int),
    "revert_uri": CoreAction(revert_uri),
    "userphone": CoreAction(userphone),
    "force_rport": CoreAction(_msg_flag(MF_FORCE_RPORT)),
    "add_local_rport": CoreAction(_msg_flag(MF_ADD_LOCAL_RPORT)),
    "set_forward_no_connect": CoreAction(_msg_flag(MF_FORWARD_NO_CONNECT)),
    "set_forward_close": CoreAction(_msg_flag(MF_FORWARD_CLOSE)),
    "set_reply_no_connect": CoreAction(_msg_flag(MF_REPLY_NO_CONNECT)),
    "set_reply_close": CoreAction(_msg_flag(MF_REPLY_CLOSE)),
    "set_advertised_address": CoreAction(set_advertised_address, _fix_str),
    "set_advertised_port": CoreAction(set_advertised_port, _fix_str),
    "force_send_socket": CoreAction(force_send_socket, _fix_str),
    "log": CoreAction(log_action, _fix_log),
    "error": CoreAction(error_action, _fix_str),
    "clear_branches": CoreAction(clear_branches),
    "remove_branch": CoreAction(remove_branch, lambda a, i: [int(x) for x in a]),
    "forward": CoreAction(forward_request, fix_forward),
    "forward_udp": CoreAction(forward_udp, fix_forward),
    "forward_tcp": CoreAction(forward_tcp, fix_forward),
    "udp_mtu_try_proto": CoreAction(udp_mtu_try_proto, _fix_mtu_proto),
    "force_tcp_alias": CoreAction(force_tcp_alias, lambda a, i: [int(x) for x in a]),
    "setavpflag": CoreAction(setavpflag, fix_avpflag),
    "resetavpflag": CoreAction(resetavpflag, fix_avpflag),
    "isavpflagset": CoreAction(isavpflagset, fix_avpflag),
    "exec": CoreAction(core_exec, _fix_str),
}
