"""Value stores behind $avp, $xavp, $var and $shv.

* `AvpStore`: the AVPs of one message (`ctx.avps`). Each name (a str, or an int for
  `$avp(i:N)`) holds a stack of values: the last one added is index 0, as in
  Kamailio's AVP list.
* `Xavp` / `XavpStore`: extended AVPs (`ctx.xavps`): each name holds a stack of items;
  an item has either a plain value or a list of fields (name -> stack of values, a
  value may itself be an `Xavp` list).
* `VarDefaults`: initial values of script variables (`modparam("pv", "varset", ...)`);
  the variables themselves live in `ctx.script.vars` (per worker process).
* `SharedVars`: $shv variables, shared by every worker in Kamailio. `SharedStore` is
  the small interface the network runtime backs with state shared across worker
  processes; `LocalSharedStore` is the single-process implementation (a dict, for
  tests and `-c`); a running server switches to `share_across_processes()` (the pv
  module's init hook): a map in the shared database (siprouter/shared/kv.py).
"""

from __future__ import annotations

import re
from typing import Protocol

Value = int | str | None
AvpName = int | str


class AvpStore:
    """The AVPs of one message. Values are stacks with the newest at the end of the list
    (index 0 in the script). Each AVP also carries the bits of the `avpflags` set on it
    (setavpflag): a flag belongs to that one value, not to the name."""

    __slots__ = ("_d", "_f")

    def __init__(self) -> None:
        self._d: dict[AvpName, list[int | str]] = {}
        self._f: dict[AvpName, list[int]] = {}  # flag bits, parallel to _d (when any)

    def add(self, name: AvpName, value: int | str) -> None:
        self._d.setdefault(name, []).append(value)
        f = self._f.get(name)
        if f is not None:
            f.append(0)

    def values(self, name: AvpName) -> list[int | str]:
        """Values, newest first."""
        v = self._d.get(name)
        return v[::-1] if v else []

    def first(self, name: AvpName) -> int | str | None:
        v = self._d.get(name)
        return v[-1] if v else None

    def delete_first(self, name: AvpName) -> None:
        v = self._d.get(name)
        if v:
            v.pop()
            f = self._f.get(name)
            if f is not None:
                f.pop()
            if not v:
                del self._d[name]
                self._f.pop(name, None)

    def delete_all(self, name: AvpName) -> None:
        self._d.pop(name, None)
        self._f.pop(name, None)

    def names(self) -> list[AvpName]:
        return list(self._d)

    def __len__(self) -> int:
        return sum(map(len, self._d.values()))

    def flags(self, name: AvpName) -> int | None:
        """The flag bits of the newest AVP `name`; None when there is none."""
        v = self._d.get(name)
        if not v:
            return None
        f = self._f.get(name)
        return f[-1] if f else 0

    def set_flags(self, name: AvpName, bits: int) -> bool:
        """Set the flag bits of the newest AVP `name`; False when there is none."""
        v = self._d.get(name)
        if not v:
            return False
        f = self._f.get(name)
        if f is None:
            f = self._f[name] = [0] * len(v)
        f[-1] = bits
        return True


class Xavp:
    """One XAVP item: `value` is a plain value, or None with `fields` holding the child
    list: (field name, value) pairs, newest first across all names (as Kamailio's list,
    which xavp_params_implode walks in that order)."""

    __slots__ = ("fields", "value")

    def __init__(self, value: Value = None, fields: list[tuple[str, XavpValue]] | None = None):
        self.value = value
        self.fields = fields

    def field_values(self, name: str) -> list[XavpValue]:
        """Values of field `name`, newest first."""
        f = self.fields
        return [v for n, v in f if n == name] if f else []

    def _positions(self, name: str) -> list[int]:
        f = self.fields or []
        return [i for i, (n, _) in enumerate(f) if n == name]

    def add_field(self, name: str, value: XavpValue) -> None:
        if self.fields is None:
            self.fields = []
        self.fields.insert(0, (name, value))

    def set_field(self, name: str, j: int, value: XavpValue) -> bool:
        """Replace the j-th value of `name` (negative from the end); False if none."""
        pos = self._positions(name)
        if not -len(pos) <= j < len(pos):
            return False
        assert self.fields is not None
        self.fields[pos[j]] = (name, value)
        return True

    def remove_field(self, name: str, j: int | None) -> None:
        """Remove the j-th value of `name`, or all of them when j is None."""
        pos = self._positions(name)
        if j is not None:
            if not -len(pos) <= j < len(pos):
                return
            pos = [pos[j]]
        assert self.fields is not None or not pos
        for i in reversed(pos):
            del self.fields[i]  # type: ignore[union-attr]

    def text(self) -> str:
        """How Kamailio prints an XAVP list item that holds fields."""
        return f"<<xavp:{id(self):#x}>>"

    def __repr__(self) -> str:
        return f"Xavp({self.value!r}, {self.fields!r})"


XavpValue = int | str | Xavp


class XavpStore:
    """The XAVPs of one message: name -> items, newest first."""

    __slots__ = ("_d",)

    def __init__(self) -> None:
        self._d: dict[str, list[Xavp]] = {}

    def items(self, name: str) -> list[Xavp]:
        return self._d.get(name, [])

    def push(self, name: str, item: Xavp) -> None:
        self._d.setdefault(name, []).insert(0, item)

    def remove(self, name: str, item: Xavp) -> None:
        lst = self._d.get(name)
        if lst and item in lst:
            lst.remove(item)
            if not lst:
                del self._d[name]

    def delete_all(self, name: str) -> None:
        self._d.pop(name, None)

    def names(self) -> list[str]:
        return list(self._d)


# ---- typed initial values: "name=i:1" / "name=s:text" ------------------------------------

_TYPED = re.compile(r"([^=\s]+)\s*=\s*([is]):(.*)\Z", re.DOTALL)


def parse_typed_assignment(text: str) -> tuple[str, int | str]:
    """Parse the `varset`/`shvset` modparam value `name=i:INT` or `name=s:TEXT`."""
    m = _TYPED.match(text.strip())
    if m is None:
        raise ValueError(f"expected name=i:number or name=s:text, got {text!r}")
    name, kind, raw = m.groups()
    if kind == "i":
        try:
            return name, int(raw.strip(), 0)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number (in {text!r})") from None
    return name, raw


class VarDefaults:
    """Initial values of $var variables set by modparam("pv", "varset", "x=i:1")."""

    def __init__(self) -> None:
        self.values: dict[str, int | str] = {}

    def set(self, text: str) -> None:
        name, value = parse_typed_assignment(text)
        self.values[name] = value


class SharedStore(Protocol):
    """Where $shv values live: one store for every worker of a server."""

    def get(self, name: str) -> Value: ...

    def set(self, name: str, value: Value) -> None: ...

    def names(self) -> list[str]: ...


class LocalSharedStore:
    """Single-process SharedStore (a dict); the network runtime replaces it with a
    store shared across worker processes."""

    def __init__(self) -> None:
        self._d: dict[str, Value] = {}

    def get(self, name: str) -> Value:
        return self._d.get(name)

    def set(self, name: str, value: Value) -> None:
        self._d[name] = value

    def names(self) -> list[str]:
        return list(self._d)


class SharedVars:
    """The $shv variables of a server, over a SharedStore. A $shv never set reads 0, a
    $shv set to $null reads "" (Kamailio 5.6.3)."""

    def __init__(self, store: SharedStore | None = None) -> None:
        self.store: SharedStore = store if store is not None else LocalSharedStore()

    def get(self, name: str) -> int | str:
        v = self.store.get(name)
        return 0 if v is None else v

    def set(self, name: str, value: Value) -> None:
        self.store.set(name, "" if value is None else value)

    def set_text(self, text: str) -> None:
        """modparam("pv", "shvset", "name=i:1")."""
        name, value = parse_typed_assignment(text)
        self.store.set(name, value)


def share_across_processes() -> None:
    """Move the $shv values into a map of the server's shared database (before fork)."""
    from siprouter.shared.kv import SharedMap

    shared = SharedMap("shv")
    for name in SHARED_VARS.store.names():
        shared.set(name, SHARED_VARS.store.get(name))
    SHARED_VARS.store = shared


# Process-level instances: one config runs per process (tests reset them with reset()).
VAR_DEFAULTS = VarDefaults()
SHARED_VARS = SharedVars()


def reset() -> None:
    """Forget varset/shvset values (for tests loading several configs in one process)."""
    VAR_DEFAULTS.values.clear()
    SHARED_VARS.store = LocalSharedStore()
