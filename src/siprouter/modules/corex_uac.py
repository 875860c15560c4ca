"""corex forward_uac([bindex]) and forward_uac_uri(uri [, bindex]) (Kamailio 5.7+, no
5.6.3 reference): forward the request statelessly with our Via as its only Via, so
that its replies end here (useful to mirror a request already answered).

* the target: forward_uac() uses $du when set, else the R-URI; forward_uac_uri() the
  given URI (PVs allowed); `transport=tcp` sends over TCP, else UDP; port 5060 when
  none;
* the request: the script's changes, the new R-URI, every received Via removed, our
  Via on top (the sending socket's address, or the advertised one) with a stateless
  branch; `bindex` (an int or a PV) is appended to the branch as ".N"; the
  parameters of via_add_srvid / via_add_xavp_params (corex_via.py) after it;
* set_forward_no_connect() / set_forward_close() apply to a TCP send, as for forward();
* 1 when sent, -1 when the target does not parse or resolve, the message cannot be
  built (e.g. the script removed Via headers itself) or the send fails.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext
from siprouter.runtime import forward as fwd
from siprouter.runtime import state
from siprouter.sip.errors import SipParseError
from siprouter.sip.lumps import LumpError
from siprouter.sip.uri import UriError, parse_uri
from siprouter.sip.via import build_via, stateless_branch

from .corex_send import local_socket
from .corex_via import via_params
from .kex_args import IntArg, Text, err, int_value, render


def _build(ctx: MsgContext, ls: state.LocalSocket | None, proto: str, bindex: int | None) -> bytes:
    msg = ctx.msg
    changes = fwd._copy_changes(ctx)
    if ctx.new_uri is not None and ctx.new_uri != msg.ruri:
        changes.set_request_uri(ctx.new_uri)
    changes.remove_headers("Via")
    rcv = ctx.rcv
    host, port = fwd.via_address(
        ls.ip if ls is not None else rcv.dst_ip, ls.port if ls is not None else rcv.dst_port
    )
    if ctx.advertised_address:
        host = ctx.advertised_address
    if ctx.advertised_port:
        port = int(ctx.advertised_port)
    cseq = msg.cseq.num if msg.cseq else None
    branch = stateless_branch(msg.via1, msg.callid, cseq, ctx.ruri)
    if bindex is not None:
        branch = f"{branch}.{bindex}"
    changes.add_via(build_via(proto.upper(), host, port, branch, extra_params=via_params(ctx)))
    return changes.apply()


def _forward(ctx: MsgContext, target: str, bindex: IntArg | None, fname: str) -> int:
    if not ctx.msg.is_request:
        return err(fname, "the message is not a request", "corex")
    idx = None
    if bindex is not None:
        idx = int_value(ctx, bindex, fname)
        if idx is None:
            return err(fname, "no branch index value", "corex")
    try:
        uri = parse_uri(target)
    except (UriError, ValueError):
        return err(fname, f"bad target uri [{target}]", "corex")
    proto = (uri.transport or "udp").lower()
    found = fwd.resolve(uri.host)
    if found is None:
        return err(fname, f"failed to resolve [{uri.host}]", "corex")
    ip, af = found
    dest = (ip, int(uri.port or 5060))
    if not 0 < dest[1] < 65536:
        return err(fname, f"bad port in [{target}]", "corex")
    ls = local_socket(proto, ctx, af)
    if ls is None and (state.SOCKETS or ctx.sent is None):
        return err(fname, f"no {proto} socket to send to {ip}:{dest[1]}", "corex")
    try:
        data = _build(ctx, ls, proto, idx)
    except (SipParseError, LumpError, ValueError) as e:
        return err(fname, f"cannot build the request: {e}", "corex")
    if ctx.sent is not None:
        ctx.sent.append(("request", dest, data))
    if ls is None:
        return 1
    flags = state.forward_flags(ctx.msg_flags)
    return 1 if state.send(proto, ls.ip, ls.port, dest, data, flags) else -1


def forward_uac(ctx: MsgContext, bindex: IntArg | None = None) -> int:
    return _forward(ctx, ctx.dst_uri or ctx.ruri, bindex, "forward_uac")


def forward_uac_uri(ctx: MsgContext, uri: Text, bindex: IntArg | None = None) -> int:
    return _forward(ctx, render(ctx, uri), bindex, "forward_uac_uri")
