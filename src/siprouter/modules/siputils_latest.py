"""siputils functions of Kamailio releases after 5.6.3 (5.8 and later), second group.

Kamailio 5.6.3 refuses all three ("unknown command"), so there is no reference to run
them against; the semantics below follow the module's documentation and release notes:

* is_sip(): 1 when the message is SIP (its first line's protocol is `SIP/...`), else -1;
* is_http(): 1 when the message is HTTP (`HTTP/...` as protocol, the kind of message the
  xhttp module routes), else -1. siprouter's parser accepts SIP only, so every message a
  route sees here is SIP;
* contact_param_encode_alias(pname, saddr): as contact_param_encode (siputils_contact.py)
  but the URI encoded in parameter `pname` first gets the `alias` parameter that
  nathelper's add_contact_alias() would add, `;alias=<source ip>~<source port>~<proto
  number>` (1 udp, 2 tcp, 3 tls, 4 sctp, 5 ws, 6 wss), so that after
  contact_param_decode_ruri() a later request can be sent back through the NAT binding
  the Contact was received on (handle_ruri_alias). A URI that already has an `alias`
  parameter keeps it. 1 (also without a Contact header), -1 when the edit collides with
  other pending ones.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext

from .siputils_checks import parse_ok
from .siputils_contact import _rewrite_contacts, b64url

PROTO_NUMBERS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}


def _protocol(ctx: MsgContext) -> str:
    return (ctx.msg.version or "").upper()


def is_sip(ctx: MsgContext) -> int:
    return 1 if _protocol(ctx).startswith("SIP/") else -1


def is_http(ctx: MsgContext) -> int:
    return 1 if _protocol(ctx).startswith("HTTP/") else -1


def alias_param(ctx: MsgContext) -> str:
    """The `alias` value for the message's source: ip~port~proto-number."""
    rcv = ctx.rcv
    return f"{rcv.src_ip}~{rcv.src_port}~{PROTO_NUMBERS.get(rcv.proto, 1)}"


def with_alias(text: str, alias: str) -> str:
    """The URI text with `;alias=...` appended after its parameters (before any
    `?headers`), unless it has one already or does not parse."""
    uri = parse_ok(text)
    if uri is None or any(n.lower() == "alias" for n, _v in uri.sip_param_list):
        return text
    head, q, headers = text.partition("?")
    return f"{head};alias={alias}{q}{headers}"


def contact_param_encode_alias(ctx: MsgContext, pname: str, saddr: str) -> int:
    alias = alias_param(ctx)

    def encoded(text: str) -> str:
        return f"{saddr};{pname}={b64url(with_alias(text, alias))}"

    return _rewrite_contacts(ctx, "contact_param_encode_alias", encoded, missing=1)
