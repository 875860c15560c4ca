"""corex socket functions and $lsock, over the server's listen sockets
(runtime/state.SOCKETS), as Kamailio 5.6.3 runs them.

* `set_send_socket(addr)` / `set_send_socket_name(name)`: the socket requests are sent
  from ($fs). An address is "proto:ip:port"; a socket that does not exist is logged
  as a warning and leaves $fs as it was, yet the function gives 1; an empty argument
  gives -1.
* `set_recv_socket(addr)` / `set_recv_socket_name(name)`: the message is taken as
  received on that socket ($Ri, $Rp, $pr, replies sent from it); same return codes.
* `set_source_address(addr)`: "[proto:]ip[:port]" becomes the source ($si, $sp; replies
  go there; received/rport of a forward name it). An IPv6 address in brackets is not
  resolved by Kamailio 5.6.3, nor here: -1, nothing changed.
* `add_tcp_alias(port)` (Kamailio 5.7+; in 5.6.3 a core name only, which the native
  cfg still resolves to the core function): requests to the message's source IP and
  `port` use the TCP connection the message came on; port 0 (or a PV holding 0) means
  the top Via's port. 1 when added, -1 for a message not received over TCP (the
  transport's force_tcp_alias, runtime/tcp_transport.py).
* `is_socket_name(name)`: 1 when a listen socket has that name (any case), else -1.
* `$lsock(match/value/field)`: the inner text may hold PVs; match `n` (by socket name)
  or `l` (by listen address "udp:127.0.0.1:5060"); the field is read by its first
  letter: n(ame), l(isten), a(dvertised "proto:host:port", empty when none),
  i(ndex, 0-based in listen order). No such socket: $null; a malformed expression:
  $null and an error log.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.format import Format, compile_format
from siprouter.pv.pvclass import Index, PVClass, Value
from siprouter.runtime import state
from siprouter.runtime.logging import L_WARN, LOG

from .kex_args import IntArg, Text, err, int_value, render

PROTOS = ("udp", "tcp", "tls", "sctp", "ws", "wss")


def split_socket(text: str) -> tuple[str | None, str, int] | None:
    """ "[proto:]host[:port]" as (proto or None, host, port or 0); None when malformed."""
    proto: str | None = None
    head, sep, rest = text.partition(":")
    if sep and head.lower() in PROTOS:
        proto, text = head.lower(), rest
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, tail = text[: end + 1], text[end + 1 :]
        if tail and not tail.startswith(":"):
            return None
        port_text = tail[1:]
    else:
        host, _, port_text = text.partition(":")
    if not host:
        return None
    if port_text and (not port_text.isdigit() or int(port_text) > 65535):
        return None  # Kamailio 5.6.3 wraps a port above 65535; here it is malformed
    return proto, host, int(port_text or 0)


def sock_str(ls: state.LocalSocket) -> str:
    host = f"[{ls.ip}]" if ":" in ls.ip else ls.ip
    return f"{ls.proto}:{host}:{ls.port}"


def find_by_address(text: str) -> state.LocalSocket | None:
    parts = split_socket(text)
    if parts is None:
        return None
    proto, host, port = parts
    h = host.strip("[]")
    for ls in state.SOCKETS.values():
        if proto is not None and ls.proto != proto:
            continue
        if port and ls.port != port:
            continue
        if ls.ip == h or (ls.name is not None and ls.name == h):
            return ls
    return None


def find_by_name(name: str) -> state.LocalSocket | None:
    """The listen socket with this name (compared case-insensitively, as Kamailio)."""
    low = name.lower()
    for ls in state.SOCKETS.values():
        if ls.name is not None and ls.name.lower() == low:
            return ls
    return None


def _not_found(what: str, recv: bool) -> int:
    if LOG.enabled(L_WARN):
        LOG.write(
            L_WARN,
            "corex",
            f"ki_set_socket_helper(): no socket found to match [{what}] ({int(recv)})",
        )
    return 1


def _set_send(ctx: MsgContext, ls: state.LocalSocket) -> None:
    ctx.force_socket = sock_str(ls)


def _set_recv(ctx: MsgContext, ls: state.LocalSocket) -> None:
    ctx.rcv = dataclasses.replace(ctx.rcv, dst_ip=ls.ip, dst_port=ls.port, proto=ls.proto, af=ls.af)


def set_send_socket(ctx: MsgContext, addr: Text) -> int:
    text = render(ctx, addr)
    if not text:
        return err("w_set_send_socket", "cannot get socket address value", "corex")
    ls = find_by_address(text)
    if ls is None:
        return _not_found(text, False)
    _set_send(ctx, ls)
    return 1


def set_send_socket_name(ctx: MsgContext, name: Text) -> int:
    text = render(ctx, name)
    if not text:
        return err("w_set_send_socket_name", "cannot get socket name value", "corex")
    ls = find_by_name(text)
    if ls is None:
        return _not_found(text, False)
    _set_send(ctx, ls)
    return 1


def set_recv_socket(ctx: MsgContext, addr: Text) -> int:
    text = render(ctx, addr)
    if not text:
        return err("w_set_recv_socket", "cannot get socket address value", "corex")
    ls = find_by_address(text)
    if ls is None:
        return _not_found(text, True)
    _set_recv(ctx, ls)
    return 1


def set_recv_socket_name(ctx: MsgContext, name: Text) -> int:
    text = render(ctx, name)
    if not text:
        return err("w_set_recv_socket_name", "cannot get socket name value", "corex")
    ls = find_by_name(text)
    if ls is None:
        return _not_found(text, True)
    _set_recv(ctx, ls)
    return 1


def set_source_address(ctx: MsgContext, addr: Text) -> int:
    text = render(ctx, addr)
    parts = split_socket(text) if text else None
    if parts is None:
        return err("ki_set_source_address", f"failed to resolve address [{text}]", "corex")
    _proto, host, port = parts
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is None:
        from siprouter.runtime.forward import resolve

        found = None if host.startswith("[") else resolve(host)
        if found is None:
            return err("ki_set_source_address", f"failed to resolve address [{text}]", "corex")
        ip = ipaddress.ip_address(found[0])
    ctx.rcv = dataclasses.replace(ctx.rcv, src_ip=str(ip), src_port=port or 5060, af=ip.version)
    return 1


def add_tcp_alias(ctx: MsgContext, port: IntArg) -> int:
    from siprouter.runtime.tcp_transport import force_tcp_alias

    p = int_value(ctx, port, "add_tcp_alias")
    if p is None or not 0 <= p <= 65535:
        return err("add_tcp_alias", "invalid port value", "corex")
    return force_tcp_alias(ctx, p or None)


def is_socket_name(ctx: MsgContext, name: Text) -> int:
    text = render(ctx, name)
    if not text:
        return err("w_is_socket_name", "cannot get socket name value", "corex")
    return 1 if find_by_name(text) is not None else -1


class LsockPV(PVClass):
    """$lsock(match/value/field): attributes of a listen socket."""

    name = "lsock"
    doc = "$lsock(n/NAME/field) or $lsock(l/proto:ip:port/field); fields name, listen, adv, index"

    def parse_name(self, text: str) -> Any:
        if not text:
            raise ValueError("empty name")
        fmt = compile_format(text) if "$" in text else text
        return fmt.constant if isinstance(fmt, Format) and fmt.constant is not None else fmt

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        expr = name if isinstance(name, str) else name.render(ctx)
        parts = expr.split("/")
        if (
            len(parts) != 3
            or parts[0] not in ("n", "l", "i", "a")
            or len(parts[2]) < 2
            or parts[2][0] not in "nlia"
        ):
            err("pv_parse_lsock_expr", f"invalid expression format: {expr}", "corex")
            return None
        match, value, field = parts
        if match == "n":
            ls = find_by_name(value)
        elif match == "l":
            ls = find_by_address(value)
        else:
            ls = None
        if ls is None:
            return None
        key = field[0]
        if key == "n":
            return ls.name or ""
        if key == "l":
            return sock_str(ls)
        if key == "a":
            adv = state.SETTINGS.advertised.get((ls.ip, ls.port))
            if adv is None:
                return ""
            return f"{ls.proto}:{adv[0]}:{adv[1] or ls.port}"
        return list(state.SOCKETS.values()).index(ls)


LSOCK = LsockPV()
