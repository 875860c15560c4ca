"""textops functions of Kamailio releases after 5.6.3: str_any_in, str_all_in, subst_v,
via_param_rm, set_body_hex and set_reply_body_hex.

Kamailio 5.6.3 does not have them (its `-c` rejects them), so there is no reference
to run them against; they follow the module's documentation:

* str_any_in(txt, clist) / str_all_in(txt, clist): 1 when any / every character of
  `clist` occurs in `txt`, else -1 (also -1 when either is empty);
* subst_v(itext, subexp, opv): the `/re/repl/flags` expression (rendered, then parsed;
  a bad one is -1 with an error log) applied to `itext`; the result goes into `opv`,
  1. -1 when the regex does not match (`opv` untouched);
* via_param_rm(name, idx): removes `;name[=value]` from Via body `idx` (0 the first,
  negative from the last); 1 when removed, -1 when there is no such Via or parameter;
* set_body_hex(hex, ctype) / set_reply_body_hex(hex, ctype): set_body / set_reply_body
  with the body given as hex digit pairs (blanks ignored); bad hex is -1.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.sip.errors import SipParseError
from siprouter.sip.lumps import LumpError

from . import textops_msg as tm
from . import textops_reply as trpl
from .textops_multipart import hex_text
from .textops_re import Subst, parse_subst, to_text

log = logging.getLogger("siprouter.textops")


def str_any_in(txt: str, clist: str) -> int:
    if not txt or not clist:
        return -1
    return 1 if any(c in txt for c in clist) else -1


def str_all_in(txt: str, clist: str) -> int:
    if not txt or not clist:
        return -1
    return 1 if all(c in txt for c in clist) else -1


@functools.lru_cache(maxsize=128)
def _subst(spec: str) -> Subst | None:
    try:
        return parse_subst(spec)
    except ValueError as e:
        log.error("subst_v: bad substitution %r: %s", spec, e)
        return None


def subst_v(ctx: MsgContext, itext: str, subexp: str, out: Callable[[MsgContext, Any], Any]) -> int:
    sub = _subst(subexp)
    if sub is None:
        return -1
    result = tm.subst_text(ctx, sub, itext)
    if result is None:
        return -1
    out(ctx, result)
    return 1


def via_param_rm(ctx: MsgContext, name: str, idx: int) -> int:
    try:
        vias = ctx.msg.vias
    except SipParseError as e:
        log.error("via_param_rm: bad Via: %s", e)
        return -1
    if idx < 0:
        idx += len(vias)
    if not 0 <= idx < len(vias):
        return -1
    span = vias[idx].param_span(name)
    if span is None:
        return -1
    try:
        ctx.changes.lumps.delete(span[0], span[1], what="via_param_rm")
    except LumpError as e:
        log.error("via_param_rm: %s", e)
        return -1
    return 1


def _hex(text: str, fname: str) -> str | None:
    data = hex_text(text)
    if data is None or not data:
        log.error("%s: bad hex content %r", fname, text)
        return None
    return to_text(data)


def set_body_hex(ctx: MsgContext, hexa: str, ctype: str) -> int:
    body = _hex(hexa, "set_body_hex")
    return -1 if body is None else tm.set_body(ctx, body, ctype)


def set_reply_body_hex(ctx: MsgContext, hexa: str, ctype: str) -> int:
    body = _hex(hexa, "set_reply_body_hex")
    return -1 if body is None else trpl.set_reply_body(ctx, body, ctype)
