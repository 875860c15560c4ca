"""siputils options_reply(): answer an OPTIONS request addressed to this server.

For an OPTIONS request whose R-URI has no user part, sends `200 OK` statelessly (sl)
with the capability headers, each present even when its modparam is empty:
`Accept:` (options_accept, "*/*"), `Accept-Encoding:` (options_accept_encoding, ""),
`Accept-Language:` (options_accept_language, "en"), `Supported:` (options_support, "").
They are reply lumps of the message, as in Kamailio 5.6.3: a later reply to the same
request carries them too. Returns 1 when sent; -1 for another method, an R-URI with a
user or one that does not parse, or when the reply cannot be sent.
"""

from __future__ import annotations

from siprouter.engine.context import MsgContext
from siprouter.modules.sl import send_sl_reply
from siprouter.runtime.reply_lumps import add_header

from .siputils_checks import parse_ok

PARAMS: dict[str, str] = {
    "options_accept": "*/*",
    "options_accept_encoding": "",
    "options_accept_language": "en",
    "options_support": "",
}

_HEADERS = (
    ("Accept", "options_accept"),
    ("Accept-Encoding", "options_accept_encoding"),
    ("Accept-Language", "options_accept_language"),
    ("Supported", "options_support"),
)


def capability_headers() -> bytes:
    """The header lines options_reply adds, from the current modparams."""
    return "".join(f"{name}: {PARAMS[key]}\r\n" for name, key in _HEADERS).encode()


def options_reply(ctx: MsgContext) -> int:
    msg = ctx.msg
    if not msg.is_request or msg.method != "OPTIONS":
        return -1
    uri = parse_ok(ctx.ruri)
    if uri is None or uri.user:
        return -1
    add_header(ctx, capability_headers())
    return 1 if send_sl_reply(ctx, 200, "OK") > 0 else -1
