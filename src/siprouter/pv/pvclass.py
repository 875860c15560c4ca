"""The contract between pseudo-variable implementations and the access layer.

A PV is exported by a module as a `PVSpec` (modules/registry.py). Two shapes exist:

* a plain PV without inner name (`$ru`, `$si`): `PVSpec.getter` is `get(ctx) -> Value`
  and `PVSpec.setter` is `set(ctx, value) -> None` (None when read-only);
* a PV class with an inner name and/or an index (`$var(x)`, `$(avp(a)[1])`,
  `$hdr(Via)`): an instance of `PVClass` below, exported as
  `PVSpec(name, cls.get, cls.set or None, inner)`. Its bound methods let the access
  layer (pv/access.py) find the instance through `getter.__self__` and bind the inner
  name once per use in the config (Kamailio's "parse name" fixup), so that at runtime
  a getter is a closure over the parsed name, never a parse per message.

Values are `int`, `str` or `None` ($null / no value), as in engine/context.py. A
setter that cannot do its job at runtime raises `PVError`: Kamailio then logs the
error and the assignment fails (the script goes on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from siprouter.modules.registry import InnerName

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

Value = int | str | None
Getter = Callable[["MsgContext"], Value]
Setter = Callable[["MsgContext", Value], None]


class _All:
    """The `[*]` index: every value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ALL"


ALL: Final = _All()
Index = int | _All | None  # None: no index written


class PVError(Exception):
    """A PV could not be read or written at runtime (bad value for $ru, no socket...)."""


class PVClass:
    """Base of PV classes taking an inner name and/or an index.

    Subclasses set the class attributes and implement `get_at` (and `set_at` when
    settable). `parse_name` turns the inner text into what `get_at`/`set_at` receive
    (raise ValueError with the reason for a bad name: the access layer turns it into a
    ConfigError at the PV's position). Override `bind_get` / `bind_set` for a faster
    closure when the name allows it.
    """

    name: str = ""
    inner: InnerName = InnerName.REQUIRED
    indexed: bool = False  # accepts $(name(x)[n]) / [*] / [-1]
    settable: bool = False
    dynamic_name: bool = False  # the inner text may be a PV: $avp($var(n))
    doc: str = ""

    # ---- to implement ----------------------------------------------------------------

    def parse_name(self, text: str) -> Any:
        if not text:
            raise ValueError("empty name")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        raise NotImplementedError

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        raise PVError(f"${self.name} is read-only")

    # ---- binding (once per use in the config) ------------------------------------------

    def bind_get(self, name: Any, idx: Index) -> Getter:
        get_at = self.get_at
        return lambda ctx: get_at(ctx, name, idx)

    def bind_set(self, name: Any, idx: Index) -> Setter:
        set_at = self.set_at
        return lambda ctx, value: set_at(ctx, name, idx, value)

    # ---- generic slow path (PVSpec.getter / setter: KEMI, tests) -----------------------

    def get(self, ctx: MsgContext, inner: str, idx: Index = None) -> Value:
        return self.get_at(ctx, self.parse_name(inner), idx)

    def set(self, ctx: MsgContext, inner: str, value: Value, idx: Index = None) -> None:
        self.set_at(ctx, self.parse_name(inner), idx, value)

    def spec(self) -> Any:
        """The PVSpec exporting this class."""
        from siprouter.modules.registry import PVSpec

        return PVSpec(
            self.name, self.get, self.set if self.settable else None, self.inner, self.doc
        )


def pick(values: list[Any], idx: Index, sep: str = ",") -> Value:
    """Kamailio's index rule over a list (first = index 0): no index is the first,
    negative counts from the end, `[*]` joins every value with `sep`; out of range is
    $null."""
    if idx is None:
        return values[0] if values else None
    if idx is ALL:
        return sep.join(str(v) for v in values) if values else None
    assert isinstance(idx, int)
    if -len(values) <= idx < len(values):
        return values[idx]
    return None
