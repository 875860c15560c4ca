"""corex append_branch([uri [, q]]): add a branch to the destination set (Kamailio 5.6.3).

* Without a URI (or with an empty one) the branch is the current R-URI, and the R-URI's
  branch attributes move to it: $du, the forced socket ($fs) and the branch flags
  ($bf) are copied into the branch and then reset on the message.
* With a URI (a format: "sip:$rU@gw"), the branch gets that URI and a copy of the
  current $du, forced socket and branch flags, which stay as they are.
* `q` is a text ("0.5", "1", "$hdr(X-Q)"): 0..1 with up to three decimals; a value that
  does not parse fails (-1, logged) and nothing is added.
* At most `max_branches` - 1 branches (the core parameter, 12 by default): one more
  fails with "max nr of branches exceeded" (-1).
"""

from __future__ import annotations

import re

from siprouter.engine.context import Branch, MsgContext

from .kex_args import Text, core_param, err, render

DEFAULT_MAX_BRANCHES = 12


def max_branches(ctx: MsgContext) -> int:
    """The max_branches core parameter of the running config (12 unless set)."""
    return int(core_param(ctx, "max_branches", DEFAULT_MAX_BRANCHES))


def parse_q(text: str) -> int | None:
    """Kamailio's q value text as 0..1000 (str2q); None when it does not parse."""
    t = text.strip()
    if re.fullmatch(r"1(?:\.0{0,3})?", t):
        return 1000
    m = re.fullmatch(r"0?\.(\d{1,3})|0\.?", t)
    if m is None:
        return None
    return int((m.group(1) or "").ljust(3, "0"))


def add_branch(ctx: MsgContext, uri: str | None, q: int = -1) -> int:
    """Append a branch (the R-URI when `uri` is None), honouring max_branches."""
    if len(ctx.branches) >= max_branches(ctx) - 1:
        return err("append_branch", "max nr of branches exceeded", "<core>")
    ctx.branches.append(
        Branch(
            uri if uri is not None else ctx.ruri,
            dst_uri=ctx.dst_uri,
            q=q,
            flags=ctx.bflags,
            force_socket=ctx.force_socket,
        )
    )
    if uri is None:
        ctx.dst_uri = None
        ctx.force_socket = None
        ctx.bflags = 0
    return 1


def append_branch(ctx: MsgContext, uri: Text | None = None, q: Text | None = None) -> int:
    qv = -1
    if q is not None:
        qtext = render(ctx, q)
        if qtext:
            parsed = parse_q(qtext)
            if parsed is None:
                return err("corex_append_branch", "cannot parse the Q parameter", "corex")
            qv = parsed
    text = render(ctx, uri) if uri is not None else ""
    return add_branch(ctx, text or None, qv)
