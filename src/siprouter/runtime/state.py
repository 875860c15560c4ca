"""Per-process runtime state the modules and the pipeline share: core settings read once
from the config, and the open sockets to send from.

`SETTINGS` holds the core parameters the hot path needs (the Server line of local
replies, sip_parser_mode, reply_to_via, ...), computed once at start-up by
runtime/server.py from the config and the command line. `SOCKETS` maps a local
(proto, ip, port) to the socket bound there; `send_udp` sends a datagram from the socket
a message arrived on (Kamailio replies from the receiving socket too). `send(proto, ...)`
sends over any transport: UDP here, the others through the sender their runtime
registered in `SENDERS` (runtime/tcp_transport.py registers "tcp" in every process that
serves TCP). `flags` carries SEND_NO_CONNECT / SEND_CLOSE, which `reply_flags` and
`forward_flags` derive from a message's set_reply_* / set_forward_* flags.
`send_from(ls, dest, data)` is `send` from a socket of SOCKETS already in hand.

Outside a running server (unit tests, the offline runner) SOCKETS is empty: senders then
only record what they would send in `ctx.sent`, and `send_udp` returns False.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from siprouter.engine.context import (
    MF_FORWARD_CLOSE,
    MF_FORWARD_NO_CONNECT,
    MF_REPLY_CLOSE,
    MF_REPLY_NO_CONNECT,
)
from siprouter.sip.reply import DEFAULT_SERVER_HEADER

from .logging import L_ERR, LOG


@dataclass(slots=True)
class RuntimeSettings:
    """Core parameters as the running server uses them."""

    server_header: bytes | None = DEFAULT_SERVER_HEADER  # the whole "Server: ..." line
    sip_parser_mode: int = 1
    reply_to_via: bool = False
    force_rport: bool = False
    max_udp_size: int = 65535
    # tcp_accept_no_cl: a TCP message without Content-Length is accepted (body empty);
    # parse_message(..., tcp_accept_no_cl=) needs it too, not only the TCP framing
    tcp_accept_no_cl: bool = False
    # per socket (ip, port) -> (host, port or None): `listen=... advertise host[:port]`
    advertised: dict[tuple[str, int], tuple[str, int | None]] = field(default_factory=dict)
    # advertised_address / advertised_port core parameters (sockets without their own)
    advertised_address: str | None = None
    advertised_port: int | None = None
    # udp_mtu / udp_mtu_try_proto: a forwarded UDP request larger than udp_mtu (0: off)
    # goes over udp_mtu_try_proto instead (or the message's udp_mtu_try_proto(...))
    udp_mtu: int = 0
    udp_mtu_try_proto: str = "udp"
    # sip_parser_log: the level of "core parsing of SIP message ... failed" (5.6.3)
    sip_parser_log: int = -1


SETTINGS = RuntimeSettings()


@dataclass(slots=True)
class LocalSocket:
    """One bound socket: what $Ri/$Rp/$pr read for messages received on it."""

    proto: str  # "udp", "tcp"
    ip: str
    port: int
    af: int  # 4 or 6
    sock: socket.socket
    name: str | None = None


SOCKETS: dict[tuple[str, str, int], LocalSocket] = {}


def register_socket(ls: LocalSocket) -> None:
    SOCKETS[(ls.proto, ls.ip, ls.port)] = ls


def clear_sockets() -> None:
    SOCKETS.clear()


def send_udp(local_ip: str, local_port: int, dest: tuple[str, int], data: bytes) -> bool:
    """Send `data` to dest from the UDP socket bound at local_ip:local_port; False when
    there is no such socket or the send failed (logged)."""
    ls = SOCKETS.get(("udp", local_ip, local_port))
    if ls is None:
        return False
    return _sendto(ls.sock, dest, data)


def _sendto(sock: socket.socket, dest: tuple[str, int], data: bytes) -> bool:
    try:
        sock.sendto(data, dest)
    except OSError as e:
        if LOG.enabled(L_ERR):
            LOG.core(L_ERR, f"udp_send(): sendto({dest[0]}:{dest[1]}) failed: {e.strerror or e}")
        return False
    return True


# (proto, local_ip, local_port, dest, data) -> data: filters run on every buffer send()
# is given (corex's nio_intercept installs one); empty in most configs
SEND_HOOKS: list[Any] = []

# Senders of the connection-oriented transports, registered by their runtime (tcp, ...):
# sender(local_ip, local_port, dest, data, flags) -> bool.
SENDERS: dict[str, Any] = {}

# send flags of connection-oriented transports
SEND_NO_CONNECT = 1  # use an open connection only (set_*_no_connect)
SEND_CLOSE = 2  # close the connection once the data is written (set_*_close)


def reply_flags(msg_flags: int) -> int:
    """The send flags of a reply to a message with these msg_flags (set_reply_*)."""
    return (SEND_NO_CONNECT if msg_flags & MF_REPLY_NO_CONNECT else 0) | (
        SEND_CLOSE if msg_flags & MF_REPLY_CLOSE else 0
    )


def forward_flags(msg_flags: int) -> int:
    """The send flags of a forwarded request with these msg_flags (set_forward_*)."""
    return (SEND_NO_CONNECT if msg_flags & MF_FORWARD_NO_CONNECT else 0) | (
        SEND_CLOSE if msg_flags & MF_FORWARD_CLOSE else 0
    )


def send_from(ls: LocalSocket, dest: tuple[str, int], data: bytes, flags: int = 0) -> bool:
    """`send(ls.proto, ls.ip, ls.port, dest, data, flags)` for `ls`, one of SOCKETS (the
    forward path's socket): a UDP datagram without send hooks goes straight to its
    socket, without looking the socket up again."""
    if SEND_HOOKS or ls.proto != "udp":
        return send(ls.proto, ls.ip, ls.port, dest, data, flags)
    return _sendto(ls.sock, dest, data)


def send(
    proto: str,
    local_ip: str,
    local_port: int,
    dest: tuple[str, int],
    data: bytes,
    flags: int = 0,
) -> bool:
    """Send `data` to dest over `proto` ("udp", "tcp", ...) from the local socket
    local_ip:local_port; False when the transport has no socket or the send failed.
    `flags` (SEND_*) matter to connection-oriented transports only."""
    if SEND_HOOKS:
        for hook in SEND_HOOKS:
            data = hook(proto, local_ip, local_port, dest, data)
    if proto == "udp":
        return send_udp(local_ip, local_port, dest, data)
    sender = SENDERS.get(proto)
    if sender is None:
        if LOG.enabled(L_ERR):
            LOG.core(L_ERR, f"send(): no {proto} transport in this server")
        return False
    return bool(sender(local_ip, local_port, dest, data, flags))
