"""AVP flags (`avpflags` declarations, setavpflag/resetavpflag/isavpflagset) and the core
`exec` function.

Kamailio 5.6.3 semantics, checked on the wire:

* `avpflags a, b;` declares names; each gets its own bit in declaration order.
* The first argument names an AVP the old way, as a quoted string: "name", "s:name",
  "i:7" or "$name"; an index suffix ("x[1]") is accepted and ignored. The form
  "$avp(x)" is accepted by the parser but names no AVP that a script can set, so the
  functions always fail on it.
* The flag belongs to one AVP value: the newest of that name when set. Adding a value
  later gives a new AVP without the flag; deleting the newest reveals the older one's.
* setavpflag is true when the AVP exists; isavpflagset when it exists with the flag;
  resetavpflag clears the flag and is always false in a condition.

`exec(cmd)` runs `cmd` with /bin/sh like C system(), waiting for it; it is true
whenever the shell could be started, whatever the command's exit status.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from typing import Any

from .context import MsgContext

AVPFLAG_FIRST_BIT = 0
_INDEX = re.compile(r"\[[^\]]*\]\Z")


def avpflag_table(decls: Sequence[Any]) -> dict[str, int]:
    """name -> bit for `avpflags` declarations, in declaration order."""
    out: dict[str, int] = {}
    for decl in decls:
        if decl.kind != "avpflags":
            continue
        for f in decl.flags:
            out.setdefault(f.name, AVPFLAG_FIRST_BIT + len(out))
    return out


def avp_ident(text: str) -> int | str:
    """The AVP a string argument names (ValueError: "error when parsing AVP")."""
    t = _INDEX.sub("", text.strip())
    if t.startswith("$"):
        t = t[1:]
    if t.startswith("i:"):
        try:
            return int(t[2:], 10)
        except ValueError:
            raise ValueError(f"error when parsing AVP {text!r}") from None
    if t.startswith("s:"):
        t = t[2:]
    if not t:
        raise ValueError(f"error when parsing AVP {text!r}")
    return t


def fix_avpflag(args: list[Any], info: Any) -> list[Any]:
    name, flag = args
    table: dict[str, int] = getattr(info, "avpflags", {})
    if flag not in table:
        raise ValueError(f"avpflag {flag} not declared")
    return [avp_ident(str(name)), 1 << table[flag]]


def setavpflag(ctx: MsgContext, name: int | str, bit: int) -> int:
    store = ctx.avps
    if store is None:
        return -1
    bits = store.flags(name)
    if bits is None:
        return -1
    store.set_flags(name, bits | bit)
    return 1


def resetavpflag(ctx: MsgContext, name: int | str, bit: int) -> int:
    store = ctx.avps
    if store is not None:
        bits = store.flags(name)
        if bits is not None:
            store.set_flags(name, bits & ~bit)
    return -1


def isavpflagset(ctx: MsgContext, name: int | str, bit: int) -> int:
    store = ctx.avps
    bits = store.flags(name) if store is not None else None
    return 1 if bits is not None and bits & bit else -1


def core_exec(ctx: MsgContext, command: str) -> int:
    """Run the command through the shell and wait (Kamailio's core exec uses system())."""
    try:
        subprocess.run(["/bin/sh", "-c", command], check=False)
    except OSError:
        return -1
    return 1
