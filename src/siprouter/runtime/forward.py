"""Stateless forwarding over UDP and TCP: the core function forward() and replies by the
2nd Via.

`forward_request(ctx, host=None, port=None)` (cfg `forward()`, `forward(host)`,
`forward(host, port)`; `forward_udp` / `forward_tcp` are the same with the transport
forced):

* destination: the given host/port, else $du when set, else the R-URI ($ru); the port
  defaults to the URI's port, else 5060; `uri:host` / `uri:port` as arguments take them
  from the R-URI; host names go through the system resolver (no SRV/NAPTR yet);
* transport: the URI's `;transport=` (udp without one) when the destination comes from
  $du/$ru/uri:host, else the transport the request arrived over (Kamailio 5.6.3's
  choice); udp and tcp are sent (state.send), tls/sctp/ws refused for now (-1, logged);
* the message sent: the R-URI rewritten when the script changed it, received/rport
  added to the top Via as RFC 3261/3581 say (Kamailio's placement, sip/via), our Via on
  top: the sending socket's address (or set_advertised_address/port), a branch that is
  stable across retransmissions (sip/via.stateless_branch), `;rport` with
  add_local_rport(); everything else (Record-Route, Route, Max-Forwards) untouched;
* sent from (a socket of that transport): the socket of $fs/force_send_socket when it
  names one, else the socket the request arrived on when it has the destination's
  address family, else the first socket of that family; with mhomed=1, before those, the socket on the local address
  the kernel routes the destination from (a UDP connect, cached per destination);
* onsend_route (runtime/onsend.py) runs on the bytes about to be sent; its `drop`
  blocks the send and forward() returns -510 (E_ADM_PROHIBITED), as Kamailio 5.6.3.
  Returns 1 when sent, -477 (E_SEND) when the send failed, -1 for the other errors;
  the script goes on.
* use_dst_blocklist (runtime/dst_blocklist.py): a destination (proto, ip, port) on the
  blocklist is not sent to (before onsend_route; -477, a debug line "blocklisted
  destination", drop_requests counted, as Kamailio 5.6.3); a failed send lists it with
  the reason BLST_ERR_SEND (the TCP transport adds BLST_ERR_CONNECT itself).

`forward_reply(ctx)`: a reply loses its top Via and goes to the address of the next one
(sip/via.forward_reply_address: received, rport, else its host and port), over the
transport that Via names (udp or tcp: state.send finds the connection). As in
Kamailio 5.6.3 the top Via is not checked to be ours (a reply to a
set_advertised_address() Via or to another host's Via is forwarded too); a reply with
one Via only is dropped. With onsend_route_reply=yes onsend_route runs for it too.

The core statistics count what happens (siprouter.stats.core): fwd_requests /
drop_requests (onsend_route drop, no socket, a failed send) and fwd_replies.

Every message sent is also appended to `ctx.sent` as ("request"|"reply", dest, bytes)
when that list exists.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from siprouter.engine.context import MF_ADD_LOCAL_RPORT, MF_FORCE_RPORT, MsgContext
from siprouter.sip.errors import SipParseError
from siprouter.sip.headers import VIA as H_VIA
from siprouter.sip.lumps import LumpError, splice
from siprouter.sip.msg_apply import MsgChanges
from siprouter.sip.uri import UriError, parse_uri
from siprouter.sip.via import (
    MAGIC_COOKIE,
    build_via,
    cookie_branch,
    forward_reply_address,
    forward_via1_edits,
    stateless_branch,
)
from siprouter.stats import core as stats_core

from . import dst_blocklist, state
from .logging import L_DBG, L_ERR, LOG
from .onsend import E_ADM_PROHIBITED, SendInfo, has_onsend, run_onsend

SEND_PROTOS = ("udp", "tcp")  # the transports forward() can send over
E_SEND = -477  # Kamailio's error code of a failed send, what forward() returns then
URI_HOST = "uri:host"
URI_PORT = "uri:port"

# Parameters modules add to our Via (corex via_add_srvid / via_add_xavp_params): each
# `hook(ctx) -> str` gives ";name=value..." put after the Via's own parameters.
VIA_PARAM_HOOKS: list[Any] = []


def fix_forward(args: Sequence[Any], _info: Any = None) -> list[Any]:
    """forward() -> []; forward(host) -> [host, None]; forward(host, port) -> [host, port]."""
    if not args:
        return []
    host = str(args[0]).strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError("empty host")
    port: int | str | None = None
    if len(args) > 1:
        p = args[1]
        if isinstance(p, str) and p.strip() == URI_PORT:
            port = URI_PORT
        else:
            try:
                port = int(p)
            except (TypeError, ValueError):
                raise ValueError(f"bad port {p!r}") from None
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is not in 1..65535")
    return [host, port]


def _err(text: str) -> int:
    if LOG.enabled(L_ERR):
        LOG.core(L_ERR, text)
    return -1


# Names answered before the system resolver (corex dns_cache / dns_file): each
# `lookup(name) -> (ip, af) | False | None` (False: the name must not resolve).
RESOLVE_HOOKS: list[Any] = []


# IP literal as written -> (normalised text, version): the hot path sends to the same few
# addresses over and over, and ipaddress's parse + str costs several µs each time
_LITERALS: dict[str, tuple[str, int]] = {}
_LITERALS_MAX = 4096


def resolve(host: str) -> tuple[str, int] | None:
    """(ip, af) of a host: an IP literal as is, a name by the system resolver."""
    found = _LITERALS.get(host)
    if found is not None:
        return found
    h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        pass
    else:
        found = (str(ip), ip.version)
        if len(_LITERALS) >= _LITERALS_MAX:
            _LITERALS.clear()
        _LITERALS[host] = found
        return found
    for hook in RESOLVE_HOOKS:
        found = hook(h)
        if found is not None:
            return found or None
    try:
        infos = socket.getaddrinfo(h, None, type=socket.SOCK_DGRAM)
    except OSError:
        return None
    for fam in (socket.AF_INET, socket.AF_INET6):
        for info in infos:
            if info[0] == fam:
                return str(info[4][0]), 4 if fam == socket.AF_INET else 6
    return None


@dataclass(slots=True)
class ForwardSettings:
    """Core parameters of socket selection (set by the pipeline from the config)."""

    mhomed: bool = False


SETTINGS = ForwardSettings()

# mhomed: destination IP -> the local address the kernel routes it from
_ROUTE_SOURCE: dict[str, str | None] = {}
_ROUTE_SOURCE_MAX = 1024


def kernel_source(dest_ip: str, af: int) -> str | None:
    """The local address the kernel sends from to dest_ip (a UDP connect, nothing is
    sent), as Kamailio's mhomed does; cached per destination."""
    if dest_ip in _ROUTE_SOURCE:
        return _ROUTE_SOURCE[dest_ip]
    fam = socket.AF_INET6 if af == 6 else socket.AF_INET
    src: str | None
    try:
        with socket.socket(fam, socket.SOCK_DGRAM) as probe:
            probe.connect((dest_ip, 5060))
            src = str(probe.getsockname()[0])
    except OSError:
        src = None
    if len(_ROUTE_SOURCE) >= _ROUTE_SOURCE_MAX:
        _ROUTE_SOURCE.clear()
    _ROUTE_SOURCE[dest_ip] = src
    return src


def send_socket(
    ctx: MsgContext, af: int, dest_ip: str | None = None, proto: str = "udp"
) -> state.LocalSocket | None:
    """The `proto` socket to send from to an address of family `af` (see module doc);
    with mhomed=1 and the destination known, the socket on the address the kernel would
    send from, when there is one."""
    forced = ctx.force_socket
    if forced:
        head, sep, rest = forced.partition(":")
        text = rest if sep and head.lower() == proto else forced
        ip, _, port = text.rpartition(":")
        ip = ip.strip("[]")
        try:
            ls = state.SOCKETS.get((proto, ip, int(port)))
        except ValueError:
            ls = None
        if ls is not None and ls.af == af:
            return ls
    if SETTINGS.mhomed and dest_ip is not None and state.SOCKETS:
        src = kernel_source(dest_ip, af)
        for cand in state.SOCKETS.values():
            if cand.proto == proto and cand.ip == src:
                return cand
    rcv = ctx.rcv
    ls = state.SOCKETS.get((proto, rcv.dst_ip, rcv.dst_port))
    if ls is not None and ls.af == af:
        return ls
    for cand in state.SOCKETS.values():
        if cand.proto == proto and cand.af == af:
            return cand
    return None


def _destination(
    ctx: MsgContext, host: str | None, port: int | str | None
) -> tuple[str, int, str] | str:
    """(host, port, proto) to send to, or an error text. The proto is the URI's
    transport (udp without one) when the destination comes from $du/$ru, else the
    proto the request arrived over, as Kamailio 5.6.3 picks it."""
    proto = ctx.rcv.proto
    if host is None or host == URI_HOST or port == URI_PORT:
        target = ctx.ruri if host is not None else (ctx.dst_uri or ctx.ruri)
        found = _uri_destination(target)
        if isinstance(found, str):
            return found
        proto, uhost, uport = found
        if host is None or host == URI_HOST:
            host = uhost
        if port is None or port == URI_PORT:
            port = uport
    if proto not in SEND_PROTOS:
        return f"transport {proto} is not implemented yet (UDP and TCP only)"
    return host, int(port) if port else 5060, proto


# destination URI text -> (transport, host, port): a proxy sends to the same few
# Request-URIs / $du values over and over; parse_uri costs ~2.3 us each time
_URI_DESTS: dict[str, tuple[str, str, int | None]] = {}
_URI_DESTS_MAX = 4096


def _uri_destination(target: str) -> tuple[str, str, int | None] | str:
    """(transport lowercased, udp without one; host; port or None) of a destination URI,
    or an error text."""
    found = _URI_DESTS.get(target)
    if found is not None:
        return found
    try:
        uri = parse_uri(target)
    except UriError as e:
        return f"bad destination URI '{target}': {e}"
    found = ((uri.transport or "udp").lower(), uri.host, uri.port)
    if len(_URI_DESTS) >= _URI_DESTS_MAX:
        _URI_DESTS.clear()
    _URI_DESTS[target] = found
    return found


def forward_udp(ctx: MsgContext, host: str | None = None, port: int | str | None = None) -> int:
    """Core forward_udp(): forward() over UDP whatever the destination's transport."""
    return forward_request(ctx, host, port, "udp")


def forward_tcp(ctx: MsgContext, host: str | None = None, port: int | str | None = None) -> int:
    """Core forward_tcp(): forward() over TCP whatever the destination's transport."""
    return forward_request(ctx, host, port, "tcp")


def forward_request(
    ctx: MsgContext,
    host: str | None = None,
    port: int | str | None = None,
    proto: str | None = None,
) -> int:
    """Core forward() (see the module docstring); `proto` forces the transport."""
    msg = ctx.msg
    if not msg.is_request:
        return _err("forward(): the message is a reply (replies are forwarded by the core)")
    dest = _destination(ctx, host, port)
    if isinstance(dest, str):
        return _err(f"forward(): {dest}")
    dhost, dport, dproto = dest
    proto = proto or dproto
    resolved = resolve(dhost)
    if resolved is None:
        return _err(f"forward(): could not resolve '{dhost}'")
    dip, af = resolved
    ls = send_socket(ctx, af, dip, proto)
    if ls is None and (state.SOCKETS or ctx.sent is None):
        stats_core.request_dropped()
        return _err(f"forward(): no {proto.upper()} socket to send to {dip}:{dport}")
    try:
        data = build_forwarded(ctx, ls, proto)
    except (SipParseError, LumpError, ValueError) as e:
        return _err(f"forward(): cannot build the request: {e}")
    if proto == "udp" and state.SETTINGS.udp_mtu and len(data) > state.SETTINGS.udp_mtu:
        switched = _mtu_switch(ctx, af, dip, data)
        if isinstance(switched, int):
            return switched
        ls, proto, data = switched
    blocklist = dst_blocklist.BLOCKLIST
    if blocklist.settings.enabled and blocklist.listed(proto, dip, dport):
        stats_core.request_dropped()
        if LOG.enabled(L_DBG):
            LOG.core(
                L_DBG,
                f"forward_request(): blocklisted destination:{dip}:{dport} "
                f"({dst_blocklist.proto_number(proto)})",
            )
        return E_SEND
    if has_onsend(ctx) and not _onsend_allows(ctx, ls, af, (dip, dport), data, False):
        stats_core.request_dropped()
        return E_ADM_PROHIBITED
    if ctx.sent is not None:
        ctx.sent.append(("request", (dip, dport), data))
    mflags = ctx.msg_flags
    if ls is not None and not state.send_from(
        ls, (dip, dport), data, state.forward_flags(mflags) if mflags else 0
    ):
        stats_core.request_dropped()
        if blocklist.settings.enabled:
            blocklist.report(dst_blocklist.BLST_ERR_SEND, ls.proto, dip, dport)
        return E_SEND
    stats_core.request_forwarded()
    if LOG.enabled(L_DBG):
        LOG.core(L_DBG, f"forward(): {msg.method} sent to {dip}:{dport}")
    return 1


MTU_PROTO_KEY = "udp_mtu_try_proto"


def _mtu_switch(
    ctx: MsgContext, af: int, dip: str, data: bytes
) -> tuple[state.LocalSocket | None, str, bytes] | int:
    """udp_mtu exceeded: the socket, transport and bytes to send over the
    udp_mtu_try_proto transport (the message's own, else the global one); the UDP ones
    when that is UDP. Only our Via changes (as in Kamailio)."""
    mod = ctx.mod
    to = (mod.get(MTU_PROTO_KEY) if mod else None) or state.SETTINGS.udp_mtu_try_proto
    if to == "udp":
        return send_socket(ctx, af, dip, "udp"), "udp", data
    ls = send_socket(ctx, af, dip, to)
    if ls is None and (state.SOCKETS or ctx.sent is None):
        stats_core.request_dropped()
        return _err(
            f"forward(): {len(data)} bytes exceed udp_mtu and there is no {to.upper()} "
            f"socket to send to {dip}"
        )
    try:
        return ls, to, build_forwarded(ctx, ls, to)
    except (SipParseError, LumpError, ValueError) as e:
        return _err(f"forward(): cannot build the request: {e}")


def _onsend_allows(
    ctx: MsgContext,
    ls: state.LocalSocket | None,
    af: int,
    dest: tuple[str, int],
    data: bytes,
    reply: bool,
) -> bool:
    """Run onsend_route for `data` going from `ls` (the receiving socket when there is
    no socket, offline) to dest; False when it dropped the message."""
    if ls is not None:
        src = (ls.proto, ls.ip, ls.port)
    else:
        src = ("udp", ctx.rcv.dst_ip, ctx.rcv.dst_port)
    return run_onsend(ctx, SendInfo(*src, af, dest[0], dest[1], data), reply=reply)


def build_forwarded(ctx: MsgContext, ls: state.LocalSocket | None, proto: str = "udp") -> bytes:
    """The bytes of the request with the script's changes, the Via fix and our Via."""
    msg = ctx.msg
    rcv = ctx.rcv
    flags = ctx.msg_flags
    force_rport = state.SETTINGS.force_rport or bool(flags & MF_FORCE_RPORT)
    new_uri = ctx.new_uri
    if new_uri is not None and new_uri == msg.ruri:
        new_uri = None
    changes = ctx.changes if ctx.has_changes else None
    via1 = msg.via1
    if via1 is None or (changes is not None and changes.lumps):
        # script edits (or no Via): the general way, every change a lump
        out = _copy_changes(ctx)
        if new_uri is not None:
            out.set_request_uri(new_uri)
        out.fix_top_via(rcv.src_ip, rcv.src_port, force_rport=force_rport)
        out.add_via(_our_via(ctx, msg, ls, proto, flags))
        return out.apply()
    # the usual forward (no lump): the same edits spliced in one copy
    fix = forward_via1_edits(via1, rcv.src_ip, rcv.src_port, force_rport=force_rport)
    line = _our_via(ctx, msg, ls, proto, flags)
    if line[-2:] != b"\r\n":
        line += b"\r\n"
    at = msg.header_start(msg.header_ids.index(H_VIA))
    if new_uri is None:
        edits = [(at, at, line), *fix]
    else:
        uri = new_uri.encode("utf-8", "surrogateescape")
        edits = [(msg.ruri_start, msg.ruri_end, uri), (at, at, line), *fix]
    return splice(msg.data, edits)


def _our_via(
    ctx: MsgContext, msg: Any, ls: state.LocalSocket | None, proto: str, flags: int
) -> bytes:
    """Our Via line: the sending socket's (or advertised) address, the stateless branch,
    `;rport` with add_local_rport(), then the modules' Via parameters."""
    rcv = ctx.rcv
    ip = ls.ip if ls is not None else rcv.dst_ip
    lport = ls.port if ls is not None else rcv.dst_port
    host, port = via_address(ip, lport)
    if ctx.advertised_address:
        host = ctx.advertised_address
    if ctx.advertised_port:
        port = int(ctx.advertised_port)
    via1 = msg.via1
    top_branch = via1.branch if via1 is not None else None
    cseq = msg.cseq  # read in any case: a CSeq that does not parse fails the forward
    if top_branch is not None and top_branch.startswith(MAGIC_COOKIE):
        branch = cookie_branch(top_branch, via1.sent_by, ctx.ruri)  # type: ignore[union-attr]
    else:  # (the Call-ID only matters here; reading it cannot fail, see _callid_text)
        branch = stateless_branch(via1, _callid_text(msg), cseq.num if cseq else None, ctx.ruri)
    via = build_via(proto, host, port, branch, rport=bool(flags & MF_ADD_LOCAL_RPORT))
    if VIA_PARAM_HOOKS:  # modules' Via parameters (corex via_add_srvid, ...)
        extra = "".join(hook(ctx) for hook in VIA_PARAM_HOOKS)
        via = via[:-2] + extra.encode("utf-8", "surrogateescape") + b"\r\n"
    return via


def _without_top_via(ctx: MsgContext) -> bytes:
    """The reply's bytes with the script's changes and without its top via-parm (the
    whole line when it holds one Via, else up to the next via-parm, as Kamailio)."""
    if ctx.has_changes and ctx.changes.lumps:
        changes = _copy_changes(ctx)
        changes.remove_top_via()
        return changes.apply()
    msg = ctx.msg
    hids = msg.header_ids
    if H_VIA not in hids:
        return msg.data  # type: ignore[no-any-return]
    i = hids.index(H_VIA)
    vias = msg.parsed(i)
    data = msg.data
    if len(vias) == 1:
        return data[: msg.header_start(i)] + data[msg.header_start(i + 1) :]  # type: ignore[no-any-return]
    return data[: vias[0].start] + data[vias[1].start :]  # type: ignore[no-any-return]


def _callid_text(msg: Any) -> str | None:
    """The Call-ID for the branch seed: as parsed, else the header's text as it is (a
    Call-ID with spaces is forwarded, as Kamailio 5.6.3 does; only the branch uses it)."""
    try:
        return msg.callid  # type: ignore[no-any-return]
    except SipParseError:
        raw = msg.header("Call-ID")
        return None if raw is None else raw.decode("utf-8", "surrogateescape").strip()


def _copy_changes(ctx: MsgContext) -> MsgChanges:
    """A change list of its own for one send: the script's edits, to which the Via fix
    and our Via are added (the script may forward again, to another destination)."""
    out = MsgChanges(ctx.msg)
    if ctx.has_changes:
        lumps = out.lumps
        for lump in ctx.changes.lumps:
            if lump.is_insert:
                lumps.insert(lump.start, lump.data or b"", what=lump.what)
            elif lump.data is None:
                lumps.delete(lump.start, lump.end, what=lump.what)
            else:
                lumps.replace(lump.start, lump.end, lump.data, what=lump.what)
    return out


def via_address(ip: str, port: int) -> tuple[str, int]:
    """The host and port our Via names for the socket ip:port: its own advertise, else
    the advertised_address/advertised_port core parameters, else the socket's."""
    settings = state.SETTINGS
    adv = settings.advertised.get((ip, port))
    if adv is not None:
        return adv[0], adv[1] or port
    return settings.advertised_address or ip, settings.advertised_port or port


def forward_reply(ctx: MsgContext) -> None:
    """Forward a received reply by its second Via (see the module docstring)."""
    msg = ctx.msg
    via2 = msg.via2
    if via2 is None:
        if LOG.enabled(L_DBG):
            LOG.core(L_DBG, "forward_reply(): no 2nd via found in reply: dropped")
        return
    proto = via2.transport.lower()
    if proto not in SEND_PROTOS:
        _err(
            f"forward_reply(): transport {via2.transport} is not implemented yet (UDP and TCP only)"
        )
        return
    host, port = forward_reply_address(via2)
    resolved = resolve(host)
    if resolved is None:
        _err(f"forward_reply(): could not resolve '{host}'")
        return
    dip, af = resolved
    data = _without_top_via(ctx)
    ls = send_socket(ctx, af, dip, proto)
    if has_onsend(ctx) and not _onsend_allows(ctx, ls, af, (dip, port), data, True):
        return
    if ctx.sent is not None:
        ctx.sent.append(("reply", (dip, port), data))
    if ls is None:
        if state.SOCKETS:
            _err(f"forward_reply(): no {proto.upper()} socket to send to {dip}:{port}")
        return
    if state.send_from(ls, (dip, port), data):
        stats_core.reply_forwarded()
