"""$xavi, $xavu, $vn and $vz: the variants of $xavp and $var (pv module, Kamailio 5.6.3).

* $xavi(name[i]=>field[j]): as $xavp, over its own list, with names compared without
  case (`$xavi(Ab=>Cd)` and `$xavi(ab=>cd)` are the same);
* $xavu(name=>field): a single value per name and per field, no index: assigning
  replaces the value (`$xavu(a=>b) = 1; $xavu(a=>b) = 2` leaves 2), `$null` removes it;
  `$xavu(a)` with fields reads as `<<xavp:0x...>>`;
* $vz(name) is $var(name) (the same variables, 0 when never set);
* $vn(name): per-process variables of their own that read $null when never set (and
  can be set to $null).

The $xavi and $xavu lists live per message in the module state (`xavi`, `xavu`),
beside $xavp's ctx.xavps.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .impl_vars import VarPV, XavpPV, _xtext
from .pvclass import Index, PVClass, PVError, Value
from .stores import Xavp, XavpStore

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


def module_store(ctx: MsgContext, key: str, create: bool) -> XavpStore | None:
    """The per-message XavpStore kept in the module state under `key`."""
    mod = ctx.mod
    store = mod.get(key) if mod else None
    if store is None and create:
        store = ctx.module_state()[key] = XavpStore()
    return store


class XaviPV(XavpPV):
    name = "xavi"
    doc = "extended AVP with case-insensitive names: $xavi(name[i]=>field[j])"

    def parse_name(self, text: str) -> Any:
        root, ridx, field, fidx = super().parse_name(text)
        return (root.lower(), ridx, field.lower() if field is not None else None, fidx)

    def store(self, ctx: MsgContext, create: bool) -> XavpStore | None:
        return module_store(ctx, "xavi", create)


_UNAME = re.compile(r"\s*([^\[\]=\s>]+)\s*\Z")


class XavuPV(PVClass):
    name = "xavu"
    settable = True
    doc = "extended AVP with one value per name: $xavu(name=>field)"

    def parse_name(self, text: str) -> Any:
        root, arrow, field = text.partition("=>")
        m = _UNAME.match(root)
        if m is None:
            raise ValueError(f"bad xavu name {root!r} (no index allowed)")
        if not arrow:
            return (m.group(1), None)
        f = _UNAME.match(field)
        if f is None:
            raise ValueError(f"bad xavu field {field!r} (no index allowed)")
        return (m.group(1), f.group(1))

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        store = module_store(ctx, "xavu", False)
        if store is None:
            return None
        root, field = name
        items = store.items(root)
        if not items:
            return None
        if field is None:
            return _xtext(items[0])
        values = items[0].field_values(field)
        return _xtext(values[0]) if values else None

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        root, field = name
        store = module_store(ctx, "xavu", True)
        assert store is not None
        set_unique(store, root, field, value)


def set_unique(store: XavpStore, root: str, field: str | None, value: Value) -> None:
    """$xavu assignment: replace the one value of root (or of root=>field)."""
    items = store.items(root)
    if field is None:
        store.delete_all(root)
        if value is not None:
            store.push(root, Xavp(value))
        return
    if not items or items[0].fields is None:
        if value is None:
            return
        store.delete_all(root)
        store.push(root, Xavp(None, [(field, value)]))
        return
    item = items[0]
    item.remove_field(field, None)
    if value is not None:
        item.add_field(field, value)


class VnPV(PVClass):
    name = "vn"
    settable = True
    doc = "script variable that is $null until set (per process)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return VN_VARS.get(name)

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        if value is None:
            VN_VARS.pop(name, None)
        elif isinstance(value, int | str):
            VN_VARS[name] = value
        else:  # pragma: no cover - values are int, str or None
            raise PVError(f"$vn({name}): bad value {value!r}")


class VzPV(VarPV):
    name = "vz"
    doc = "script variable, 0 until set: the same variables as $var"


#: $vn values of this process (one config per process; pv.reset() clears them)
VN_VARS: dict[str, int | str] = {}

XAVI = XaviPV()
XAVU = XavuPV()
VN = VnPV()
VZ = VzPV()


def xvar_specs() -> list[Any]:
    return [XAVI.spec(), XAVU.spec(), VN.spec(), VZ.spec()]
