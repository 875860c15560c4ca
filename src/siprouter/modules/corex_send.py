"""corex sending functions, over runtime/state.send (UDP, and TCP where the server
runs it), as Kamailio 5.6.3 behaves.

* `send_udp([dest])` / `send_tcp([dest])`: the message as received (no Via added, no
  change applied) to "host[:port]" (port 5060 when none; IPv6 in brackets; PVs
  allowed), else to $du when set, else to the R-URI's host and port. 1 when sent,
  -1 when the destination does not resolve or the send fails. UDP goes out from the
  socket forward() would use; TCP from a TCP listen socket.
* `send_data(uri, data)`: the rendered data to a SIP URI (its `transport` picks UDP or
  TCP; udp when none); `sendx(uri, sock, data)` the same from the listen socket
  `sock` ("proto:ip:port", like $fs; when no socket matches, from the one send_data
  would use, as 5.6.3 does). A URI that does not parse: -1.
* `forward_reply()` (core reply route): the reply goes to the address of its second
  Via, as the core forwards it (runtime/forward.forward_reply); -1 when it has no
  second Via or it is not a reply.

Every datagram is also appended to `ctx.sent` as ("request"|"data"|"reply", (ip, port),
bytes) when that list exists (tests, offline runner).
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext
from siprouter.runtime import forward as fwd
from siprouter.runtime import state
from siprouter.sip.uri import UriError, parse_uri

from .corex_sock import find_by_address, split_socket
from .kex_args import Text, err, render


def _host_port(ctx: MsgContext, dest: str) -> tuple[str, int] | None:
    if dest:
        parts = split_socket(dest)
        if parts is None:
            return None
        _p, host, port = parts
        return host.strip("[]"), port or 5060
    target = ctx.dst_uri or ctx.ruri
    try:
        uri = parse_uri(target)
    except (UriError, ValueError):
        return None
    return uri.host.strip("[]"), int(uri.port or 5060)


def local_socket(proto: str, ctx: MsgContext, af: int) -> state.LocalSocket | None:
    if proto == "udp":
        return fwd.send_socket(ctx, af)
    rcv = ctx.rcv
    ls = state.SOCKETS.get((proto, rcv.dst_ip, rcv.dst_port))
    if ls is not None and ls.af == af:
        return ls
    for cand in state.SOCKETS.values():
        if cand.proto == proto and cand.af == af:
            return cand
    return None


def deliver(
    ctx: MsgContext,
    proto: str,
    dest: tuple[str, int],
    data: bytes,
    kind: str,
    ls: state.LocalSocket | None = None,
) -> int:
    """Resolve dest and send data over proto; 1 sent, -1 not."""
    if not 0 < dest[1] < 65536:
        return err("corex_send", f"bad port {dest[1]}", "corex")
    found = fwd.resolve(dest[0])
    if found is None:
        return err("corex_send", f"failed to resolve [{dest[0]}]", "corex")
    ip, af = found
    if ls is None:
        ls = local_socket(proto, ctx, af)
    if ctx.sent is not None:
        ctx.sent.append((kind, (ip, dest[1]), data))
    if ls is None:
        if state.SOCKETS or ctx.sent is None:
            return err("corex_send", f"no {proto} socket to send to {ip}:{dest[1]}", "corex")
        return 1  # offline: recorded only
    return 1 if state.send(proto, ls.ip, ls.port, (ip, dest[1]), data) else -1


def _send(ctx: MsgContext, dest: Text | None, proto: str) -> int:
    text = render(ctx, dest) if dest is not None else ""
    hp = _host_port(ctx, text)
    if hp is None or not hp[0]:
        return err("corex_send", "bad destination, dropping packet", "corex")
    return deliver(ctx, proto, hp, ctx.msg.data, "request")


def send_udp(ctx: MsgContext, dest: Text | None = None) -> int:
    return _send(ctx, dest, "udp")


def send_tcp(ctx: MsgContext, dest: Text | None = None) -> int:
    return _send(ctx, dest, "tcp")


def _uri_dest(text: str) -> tuple[str, tuple[str, int]] | None:
    try:
        uri = parse_uri(text)
    except (UriError, ValueError):
        return None
    proto = (uri.transport or "udp").lower()
    return proto, (uri.host.strip("[]"), int(uri.port or 5060))


def send_data(ctx: MsgContext, uri: Text, data: Text) -> int:
    text = render(ctx, uri)
    target = _uri_dest(text)
    if target is None:
        return err("corex_send_data", f"bad dst sip uri <{text}>", "corex")
    proto, dest = target
    return deliver(ctx, proto, dest, render(ctx, data).encode("utf-8", "surrogateescape"), "data")


def sendx(ctx: MsgContext, uri: Text, sock: Text, data: Text) -> int:
    text = render(ctx, uri)
    target = _uri_dest(text)
    if target is None:
        return err("sendx", f"bad dst sip uri <{text}>", "corex")
    sock_text = render(ctx, sock)
    ls = find_by_address(sock_text)
    proto, dest = target
    payload = render(ctx, data).encode("utf-8", "surrogateescape")
    if ls is None:  # Kamailio 5.6.3 then sends from the socket it would pick anyway
        return deliver(ctx, proto, dest, payload, "data")
    return deliver(ctx, ls.proto, dest, payload, "data", ls)


def forward_reply(ctx: MsgContext) -> int:
    msg = ctx.msg
    if msg.is_request or msg.via2 is None:
        return -1
    fwd.forward_reply(ctx)
    return 1
