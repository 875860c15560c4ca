"""htable pseudo-variables, as Kamailio 5.6.3 reads and writes them.

* `$sht(t=>k)`: the item's value; initval (else $null) when missing or expired; an
  assignment stores an int or a string, `= $null` deletes the item. The key may hold
  PVs (`$sht(a=>$ci::n)`); the table name is literal, as in Kamailio 5.6.3. An
  undefined table reads $null (error log) and an assignment to it fails.
* `$shtex(t=>k)`: seconds until the item expires (0: no expiry, missing item, or a
  table without autoexpire; also 0 for an expired item not yet purged, where Kamailio
  shows the negative difference as an unsigned number); an assignment sets them (no
  effect without autoexpire).
* `$shtcn(t=>exp)` / `$shtcv(t=>exp)`: how many items match by name / by string value
  (expired items not yet purged count, as in Kamailio);
  `exp` starts with an operator: `==` equal, `%~` starts with, `~%` ends with, `~~`
  regex; otherwise it is a regex (POSIX extended, case-insensitive); `.*` counts all.
* `$shtinc(t=>k)` / `$shtdec(t=>k)`: add 1 / -1 atomically and read the new value;
  $null for a string item, or a missing one in a table without initval.
* `$shtitkey(it)` / `$shtitval(it)`: key and value at iterator `it` (htable_iter.py).
* `$shtrecord(key)` / `$shtrecord(value)`: the expired item in
  event_route[htable:expired:<table>].
"""

from __future__ import annotations

from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import PVSpec
from siprouter.pv.pvclass import Index, PVClass, PVError, Value

from . import htable_iter
from .htable_store import Matcher
from .htable_tables import TableKey, table

EXPIRED_STATE = "htable.expired"  # ctx.mod key of the expired item in the event route


def count_matcher(exp: str) -> Matcher:
    """The $shtcn/$shtcv expression: an operator prefix, else a regex."""
    ops = {"==": "eq", "%~": "sw", "~%": "ew", "~~": "re"}
    op = ops.get(exp[:2])
    if op is not None:
        return Matcher(op, exp[2:])
    return Matcher("re", exp)


class _TablePV(PVClass):
    """Base of the `table=>key` PVs."""

    def parse_name(self, text: str) -> Any:
        return TableKey.parse(text)

    def _table(self, ctx: MsgContext, name: TableKey) -> tuple[Any, str]:
        tname, key = name.render(ctx)
        return table(tname, f"${self.name}"), key


class ShtPV(_TablePV):
    name = "sht"
    settable = True
    doc = "hash table item"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        t, key = self._table(ctx, name)
        return None if t is None else t.read(key)

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        t, key = self._table(ctx, name)
        if t is None:
            raise PVError(f"$sht: no hash table [{name.render(ctx)[0]}]")
        if value is None:
            t.delete(key)
        else:
            t.set(key, value)


class ShtExPV(_TablePV):
    name = "shtex"
    settable = True
    doc = "seconds until a hash table item expires"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        t, key = self._table(ctx, name)
        return None if t is None else t.expires_in(key)

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        t, key = self._table(ctx, name)
        if t is None:
            raise PVError(f"$shtex: no hash table [{name.render(ctx)[0]}]")
        if not isinstance(value, int):
            raise PVError("$shtex: the value must be an integer")
        if t.spec.autoexpire:
            t.set_expire(key, value)


class ShtCountPV(_TablePV):
    """$shtcn (by name) and $shtcv (by string value)."""

    def __init__(self, name: str, by_value: bool) -> None:
        self.name = name
        self.by_value = by_value
        self.doc = f"number of hash table items matching by {'value' if by_value else 'name'}"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        t, exp = self._table(ctx, name)
        if t is None:
            return None
        try:
            m = count_matcher(exp)
        except Exception as e:  # a bad regex computed at runtime
            raise PVError(f"${self.name}: bad expression [{exp}]: {e}") from None
        return t.count(m, self.by_value)


class ShtAddPV(_TablePV):
    """$shtinc (+1) and $shtdec (-1)."""

    def __init__(self, name: str, delta: int) -> None:
        self.name = name
        self.delta = delta
        self.doc = f"add {delta} to a hash table item and read it"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        t, key = self._table(ctx, name)
        return None if t is None else t.add(key, self.delta)


class ShtIterPV(PVClass):
    """$shtitkey / $shtitval."""

    def __init__(self, name: str, want_key: bool) -> None:
        self.name = name
        self.want_key = want_key
        self.doc = "key at a hash table iterator" if want_key else "value at a hash table iterator"

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return htable_iter.key_of(name) if self.want_key else htable_iter.value_of(name)


class ShtRecordPV(PVClass):
    """$shtrecord(key|value) in event_route[htable:expired:<table>]."""

    name = "shtrecord"
    doc = "key or value of the expired item (htable:expired event route)"

    def parse_name(self, text: str) -> Any:
        if text not in ("key", "value"):
            raise ValueError(f"unknown pv name {text}")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        item = ctx.mod.get(EXPIRED_STATE) if ctx.mod else None
        if item is None:
            return None
        return item.key if name == "key" else item.value


def pv_specs() -> list[PVSpec]:
    return [
        ShtPV().spec(),
        ShtExPV().spec(),
        ShtCountPV("shtcn", False).spec(),
        ShtCountPV("shtcv", True).spec(),
        ShtAddPV("shtinc", 1).spec(),
        ShtAddPV("shtdec", -1).spec(),
        ShtIterPV("shtitkey", True).spec(),
        ShtIterPV("shtitval", False).spec(),
        ShtRecordPV().spec(),
    ]
