"""Variables: $var(name) (per process), $avp(name) and $xavp(name=>field) (per message),
$shv(name) (shared by all workers). Stores are in pv/stores.py.

Semantics measured on Kamailio 5.6.3 (tests/unit/pv/test_pv_kamailio.py):
* $var: a variable never set reads 0 (or its `varset` value); `$var(x) = $null` sets 0;
  the inner name is literal text (`$var($var(i))` is the variable named "$var(i)");
* $avp: `$avp(name)` / `$avp(s:name)` are the same AVP, `$avp(i:N)` an integer-named
  one, `avp_aliases` names either; the inner name may be a PV (`$avp($var(n))`).
  Assigning adds a value on top (an index on the left is ignored); `$null` removes the
  top value only (whatever the index), `$(avp(x)[*]) = $null` removes them all, and
  `$(avp(x)[*]) = v` replaces them all with v. Reading: [n] counts from the top, [*]
  joins every value with ", ";
* $xavp(name[i]=>field[j]) (i and j may be PVs: $xavp(x[$var(i)]=>a)): `$xavp(x=>f) = v` pushes a new x holding f=v;
  `$xavp(x[i]=>f) = v` adds f=v on top of the fields of the i-th x (nothing when there
  is none), `=>f[j] = v` replaces the j-th f, `=>f[*] = v` replaces every f;
  `$xavp(x) = v` pushes a plain value, `$xavp(x[i]) = v` replaces the i-th;
  `$null` removes the item (index 0 when none is given, all with [*]). An item with
  fields reads as `<<xavp:0x...>>`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from siprouter.cfg.errors import ConfigError

from .pvclass import ALL, Getter, Index, PVClass, PVError, Setter, Value, pick
from .stores import SHARED_VARS, VAR_DEFAULTS, AvpStore, Xavp, XavpStore, XavpValue

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


# ---- $var --------------------------------------------------------------------------------


class VarPV(PVClass):
    name = "var"
    settable = True
    doc = "script variable (per process)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        v = ctx.script.vars.get(name)
        if v is None:
            return VAR_DEFAULTS.values.get(name, 0)
        return v

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        ctx.script.vars[name] = 0 if value is None else value

    def bind_get(self, name: Any, idx: Index) -> Getter:
        defaults = VAR_DEFAULTS.values

        def get(ctx: MsgContext) -> Value:
            v = ctx.script.vars.get(name)
            return defaults.get(name, 0) if v is None else v

        return get

    def bind_set(self, name: Any, idx: Index) -> Setter:
        def set_(ctx: MsgContext, value: Value) -> None:
            ctx.script.vars[name] = 0 if value is None else value

        return set_


# ---- $avp --------------------------------------------------------------------------------


class AvpPV(PVClass):
    name = "avp"
    settable = True
    indexed = True
    dynamic_name = True
    doc = "AVP (per message)"

    def __init__(self) -> None:
        self.aliases: dict[str, int | str] = {}

    def add_aliases(self, text: str) -> None:
        """modparam("pv", "avp_aliases", "alias=i:1;other=s:name")."""
        for part in text.split(";"):
            part = part.strip()
            if not part:
                continue
            alias, eq, target = part.partition("=")
            if not eq or not alias.strip():
                raise ValueError(f"expected alias=i:N or alias=s:name, got {part!r}")
            self.aliases[alias.strip()] = self._ident(target.strip())

    @staticmethod
    def _ident(text: str) -> int | str:
        if text.startswith("i:"):
            try:
                return int(text[2:].strip(), 10)
            except ValueError:
                raise ValueError(f"invalid ID <{text[2:]}> - not a number") from None
        if text.startswith("s:"):
            text = text[2:]
        if not text:
            raise ValueError("empty AVP name")
        return text

    def parse_name(self, text: str) -> Any:
        text = text.strip()
        if text in self.aliases:
            return self.aliases[text]
        return self._ident(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        store: AvpStore | None = ctx.avps
        if store is None:
            return None
        if idx is None:
            return store.first(name)
        if isinstance(idx, int) and idx < 0:
            return None  # Kamailio 5.6.3 has no negative AVP indexes
        return pick(store.values(name), idx, ", ")

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        store = ctx.avps
        if store is None:
            store = ctx.avps = AvpStore()
        if value is None:
            if idx is ALL:
                store.delete_all(name)
            else:
                store.delete_first(name)
            return
        if idx is ALL:
            store.delete_all(name)
        store.add(name, value)


# ---- $xavp -------------------------------------------------------------------------------

_XNAME = re.compile(r"\s*([^\[\]=\s>]+)\s*(?:\[(.+)\])?\s*\Z")
_INT = re.compile(r"\s*[+-]?\d+\s*\Z")


def _xindex(text: str | None) -> Any:
    """An index of an xavp name: None, ALL, an int, or a compiled PV ($var(i))."""
    if text is None:
        return None
    t = text.strip()
    if t == "*":
        return ALL
    if _INT.match(t):
        return int(t)
    if t.startswith("$"):
        from .access import compile_pv  # here: access imports the module tables

        try:
            return compile_pv(t)
        except ConfigError as e:
            raise ValueError(e.message) from None
    raise ValueError(f"bad index [{text}]")


def _resolve(idx: Any, ctx: MsgContext) -> Index:
    if idx is None or idx is ALL or isinstance(idx, int):
        return idx  # type: ignore[no-any-return]
    v = idx.get(ctx)
    try:
        return int(v)
    except (TypeError, ValueError):
        raise PVError(f"xavp index {idx.raw} is not a number: {v!r}") from None


def _xtext(v: XavpValue | None) -> Value:
    if isinstance(v, Xavp):
        return v.value if v.fields is None and v.value is not None else v.text()
    return v


class XavpPV(PVClass):
    name = "xavp"
    settable = True
    doc = "extended AVP (per message): $xavp(name[i]=>field[j])"

    def parse_name(self, text: str) -> Any:
        root, arrow, field = text.partition("=>")
        m = _XNAME.match(root)
        if m is None:
            raise ValueError(f"bad xavp name {root!r}")
        if not arrow:
            return (m.group(1), _xindex(m.group(2)), None, None)
        f = _XNAME.match(field)
        if f is None:
            raise ValueError(f"bad xavp field {field!r}")
        return (m.group(1), _xindex(m.group(2)), f.group(1), _xindex(f.group(2)))

    @staticmethod
    def _item(items: list[Xavp], idx: Index) -> Xavp | None:
        i = 0 if idx is None or idx is ALL else idx
        assert isinstance(i, int)
        return items[i] if -len(items) <= i < len(items) else None

    def store(self, ctx: MsgContext, create: bool) -> XavpStore | None:
        """The store this class reads and writes ($xavp: ctx.xavps)."""
        store: XavpStore | None = ctx.xavps
        if store is None and create:
            store = ctx.xavps = XavpStore()
        return store

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        store = self.store(ctx, False)
        if store is None:
            return None
        root, ridx, field, fidx = name
        try:
            ridx, fidx = _resolve(ridx, ctx), _resolve(fidx, ctx)
        except PVError:
            return None
        item = self._item(store.items(root), ridx)
        if item is None:
            return None
        if field is None:
            return _xtext(item)
        values = item.field_values(field)
        if fidx is ALL:
            return ", ".join(str(_xtext(v)) for v in values) if values else None
        return _xtext(pick(values, fidx))  # type: ignore[arg-type]

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        store = self.store(ctx, True)
        assert store is not None
        root, ridx, field, fidx = name
        ridx, fidx = _resolve(ridx, ctx), _resolve(fidx, ctx)
        items = store.items(root)
        if field is None:
            self._set_root(store, root, ridx, value)
            return
        if ridx is None and value is not None:
            store.push(root, Xavp(None, [(field, value)]))
            return
        item = self._item(items, ridx)
        if item is None:
            raise PVError(f"$xavp({root}[{ridx}]) does not exist")
        if value is None:
            if fidx is ALL:
                item.remove_field(field, None)
            else:
                j = 0 if fidx is None else fidx
                assert isinstance(j, int)
                item.remove_field(field, j)
            return
        if fidx is None:
            item.add_field(field, value)
        elif fidx is ALL:
            item.remove_field(field, None)
            item.add_field(field, value)
        else:
            assert isinstance(fidx, int)
            if not item.set_field(field, fidx, value):
                raise PVError(f"$xavp({root}=>{field}[{fidx}]) does not exist")

    @staticmethod
    def _set_root(store: XavpStore, root: str, ridx: Index, value: Value) -> None:
        items = store.items(root)
        if value is None:
            if ridx is ALL:
                store.delete_all(root)
                return
            i = 0 if ridx is None else ridx
            assert isinstance(i, int)
            if -len(items) <= i < len(items):
                store.remove(root, items[i])
            return
        if ridx is None:
            store.push(root, Xavp(value))
        elif ridx is ALL:
            store.delete_all(root)
            store.push(root, Xavp(value))
        else:
            assert isinstance(ridx, int)
            if not -len(items) <= ridx < len(items):
                raise PVError(f"$xavp({root}[{ridx}]) does not exist")
            items[ridx] = Xavp(value)


# ---- $shv --------------------------------------------------------------------------------


class ShvPV(PVClass):
    name = "shv"
    settable = True
    doc = "shared variable (all workers)"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return SHARED_VARS.get(name)

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        SHARED_VARS.set(name, value)


# ---- $cnt ---------------------------------------------------------------------------------


class CntPV(PVClass):
    """$cnt($avp(x)) / $cnt($xavp(x)): how many values the AVP / items the XAVP has."""

    name = "cnt"
    doc = "number of values of an AVP or items of an XAVP"

    def parse_name(self, text: str) -> Any:
        t = text.strip()
        m = re.fullmatch(r"\$(avp|xavp)\((.+)\)", t)
        if m is None:
            raise ValueError("expected $avp(name) or $xavp(name)")
        if m.group(1) == "avp":
            return ("avp", AVP.parse_name(m.group(2)))
        root, _ridx, field, _fidx = XAVP.parse_name(m.group(2))
        if field is not None:
            raise ValueError("expected $xavp(name) without =>field")
        return ("xavp", root)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        kind, key = name
        store = ctx.avps if kind == "avp" else ctx.xavps
        if store is None:
            return 0
        return len(store.values(key) if kind == "avp" else store.items(key))


VAR = VarPV()
AVP = AvpPV()
XAVP = XavpPV()
SHV = ShvPV()
CNT = CntPV()
