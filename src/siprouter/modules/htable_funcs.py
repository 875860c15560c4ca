"""htable script functions, with Kamailio 5.6.3's return codes (checked by
tests/integration/test_mod_htable*.py against the installed Kamailio).

Every text argument is a format (may hold PVs), rendered per call. An unknown table
gives -1 and an error log, except sht_rm_name_re/sht_rm_value_re, which return 1 (as
Kamailio does). Removal functions return 1 whether or not something matched.

* sht_rm(t, k); sht_rm_name_re("t=>re"), sht_rm_value_re("t=>re"); sht_rm_name(t, op, v),
  sht_rm_value(t, op, v) with op `re` or `sw` (other ops: -1); sht_reset(t).
* sht_match_name / sht_has_name (t, op, v) and sht_match_str_value /
  sht_has_str_value (t, op, v), op one of eq, ne, re, sw: 1 when some item matches, else -1.
* sht_setxs(t, k, s, exp) / sht_setxi(t, k, i, exp): set a value expiring in exp
  seconds (0: never). sht_setxs returns 1; sht_setxi returns 0 in Kamailio 5.6.3, which
  ends the script after storing the value: kept, so configs behave the same.
* sht_lock("t=>k") / sht_unlock("t=>k"): the table's process-shared lock of the key's
  slot (re-entrant within a process, as Kamailio's); 1; -11 for an undefined table.
* sht_print(): every table, slot by slot, at the error level (Kamailio's layout; the
  `msize` figure is Kamailio's cell size formula on 64-bit).
* sht_inc(t, k), sht_dec(t, k), sht_is_null(t, k): not script functions in Kamailio 5.6.3
  (KEMI only there, listed by newer versions): inc/dec add ±1 as $shtinc/$shtdec and
  return 1 (-1 when nothing could be added); sht_is_null returns 1 when the item is
  missing or expired, -1 when it has a value.
* sht_iterator_*: htable_iter.py.

Regexes are POSIX extended, case-insensitive (Kamailio compiles them with REG_ICASE).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import ArgKind, FunctionSpec
from siprouter.pv.format import Format

from . import htable_iter, htable_locks
from .htable_store import HTable, Matcher
from .htable_tables import TableKey, fmt, listing_order, table

log = logging.getLogger("siprouter.htable")

Arg = str | Format
IntArg = int | Format

_RM_OPS = ("re", "sw")
_MATCH_OPS = ("eq", "ne", "re", "sw")
_CELL_SIZE = 72  # sizeof(ht_cell_t) in Kamailio 5.6 on 64-bit


def _s(ctx: MsgContext, a: Arg) -> str:
    return a if isinstance(a, str) else a.render(ctx)


def _i(ctx: MsgContext, a: IntArg) -> int | None:
    if isinstance(a, int):
        return a
    text = a.render(ctx).strip()
    try:
        return int(text)
    except ValueError:
        log.error("htable: not an integer: %r", text)
        return None


def _matcher(op: str, value: str, allowed: Sequence[str], fname: str) -> Matcher | None:
    if op not in allowed:
        log.error("%s: unsupported match operator [%s]", fname, op)
        return None
    try:
        return Matcher(op, value)
    except re.error as e:
        log.error("%s: bad regular expression [%s]: %s", fname, value, e)
        return None


# ---- removal -------------------------------------------------------------------------


def sht_rm(ctx: MsgContext, t: Arg, k: Arg) -> int:
    ht = table(_s(ctx, t), "sht_rm")
    if ht is None:
        return -1
    ht.delete(_s(ctx, k))
    return 1


def _rm_re(by_value: bool) -> Callable[[MsgContext, TableKey], int]:
    def rm(ctx: MsgContext, tk: TableKey) -> int:
        tname, exp = tk.render(ctx)
        ht = table(tname, "sht_rm_value_re" if by_value else "sht_rm_name_re")
        if ht is None:
            return 1  # Kamailio 5.6.3 reports success here
        m = _matcher("re", exp, ("re",), "sht_rm_re")
        if m is None:
            return -1
        ht.remove_matching(m, by_value)
        return 1

    return rm


def _rm_op(by_value: bool) -> Callable[[MsgContext, Arg, Arg, Arg], int]:
    fname = "sht_rm_value" if by_value else "sht_rm_name"

    def rm(ctx: MsgContext, t: Arg, op: Arg, v: Arg) -> int:
        ht = table(_s(ctx, t), fname)
        if ht is None:
            return -1
        m = _matcher(_s(ctx, op), _s(ctx, v), _RM_OPS, fname)
        if m is None:
            return -1
        ht.remove_matching(m, by_value)
        return 1

    return rm


def sht_reset(ctx: MsgContext, t: Arg) -> int:
    ht = table(_s(ctx, t), "sht_reset")
    if ht is None:
        return -1
    ht.reset()
    return 1


# ---- matching ------------------------------------------------------------------------


def _match(by_value: bool, fname: str) -> Callable[[MsgContext, Arg, Arg, Arg], int]:
    def match(ctx: MsgContext, t: Arg, op: Arg, v: Arg) -> int:
        ht = table(_s(ctx, t), fname)
        if ht is None:
            return -1
        m = _matcher(_s(ctx, op), _s(ctx, v), _MATCH_OPS, fname)
        if m is None:
            return -1
        return 1 if ht.count(m, by_value) > 0 else -1

    return match


# ---- setting -------------------------------------------------------------------------


def sht_setxs(ctx: MsgContext, t: Arg, k: Arg, v: Arg, exp: IntArg) -> int:
    ht = table(_s(ctx, t), "sht_setxs")
    seconds = _i(ctx, exp)
    if ht is None or seconds is None:
        return -1
    ht.set_with_expire(_s(ctx, k), _s(ctx, v), seconds)
    return 1


def sht_setxi(ctx: MsgContext, t: Arg, k: Arg, v: IntArg, exp: IntArg) -> int:
    ht = table(_s(ctx, t), "sht_setxi")
    value, seconds = _i(ctx, v), _i(ctx, exp)
    if ht is None or value is None or seconds is None:
        return -1
    ht.set_with_expire(_s(ctx, k), value, seconds)
    return 0  # Kamailio 5.6.3: the script ends here


def _add(delta: int, fname: str) -> Callable[[MsgContext, Arg, Arg], int]:
    def add(ctx: MsgContext, t: Arg, k: Arg) -> int:
        ht = table(_s(ctx, t), fname)
        if ht is None:
            return -1
        return 1 if ht.add(_s(ctx, k), delta) is not None else -1

    return add


def sht_is_null(ctx: MsgContext, t: Arg, k: Arg) -> int:
    ht = table(_s(ctx, t), "sht_is_null")
    if ht is None:
        return -1
    return 1 if ht.get(_s(ctx, k)) is None else -1


# ---- locks ---------------------------------------------------------------------------


def _lock(acquire: bool) -> Callable[[MsgContext, TableKey], int]:
    def lock(ctx: MsgContext, tk: TableKey) -> int:
        tname, key = tk.render(ctx)
        ht = table(tname, "sht_lock" if acquire else "sht_unlock")
        if ht is None:
            return -11  # Kamailio 5.6.3's code for an undefined table here
        if acquire:
            htable_locks.lock(ht, key)
        else:
            htable_locks.unlock(ht, key)
        return 1

    return lock


# ---- sht_print -----------------------------------------------------------------------


def print_lines(tables: Sequence[HTable]) -> list[str]:
    """sht_print's lines (Kamailio's layout)."""
    out: list[str] = []
    for ht in tables:
        out.append(f"htable[{ht.name}] hid: {_table_hid(ht.name)} exp: {ht.spec.autoexpire}>")
        by_slot: dict[int, list[Any]] = {}
        for it in ht.items():
            by_slot.setdefault(it.slot, []).append(it)
        for slot in range(ht.spec.slots):
            cells = by_slot.get(slot, [])
            out.append(f"htable[{slot}] -- <{len(cells)}>")
            for it in cells:
                size = _CELL_SIZE + len(it.key.encode()) + 1
                if isinstance(it.value, str):
                    size += len(it.value.encode()) + 1
                flags = 2 if isinstance(it.value, str) else 0
                out.append(f"\tcell: {it.key}")
                out.append(f"\thid: {it.hid} msize: {size} flags: {flags} expire: {it.expire}")
                out.append(f"\tv-s:{it.value}" if flags else f"\tv-i:{it.value}")
    return out


def _table_hid(name: str) -> int:
    from .htable_hash import core_case_hash

    return core_case_hash(name)


def sht_print(ctx: MsgContext) -> int:
    for line in print_lines(listing_order()):
        log.error("%s", line)
    return 1


# ---- iterators -----------------------------------------------------------------------


def _it1(f: Callable[[str], int]) -> Callable[[MsgContext, Arg], int]:
    return lambda ctx, a: f(_s(ctx, a))


def _it_start(ctx: MsgContext, i: Arg, t: Arg) -> int:
    return htable_iter.start(_s(ctx, i), _s(ctx, t))


def _it_sets(ctx: MsgContext, i: Arg, v: Arg) -> int:
    return htable_iter.set_value(_s(ctx, i), _s(ctx, v))


def _it_int(f: Callable[[str, int], int]) -> Callable[[MsgContext, Arg, IntArg], int]:
    def call(ctx: MsgContext, i: Arg, v: IntArg) -> int:
        n = _i(ctx, v)
        return -1 if n is None else f(_s(ctx, i), n)

    return call


# ---- the export table ----------------------------------------------------------------


def _fix_str(a: Any) -> Arg:
    text = str(a)
    if "$" not in text:
        return text
    f = fmt(text)
    return f.constant if f.constant is not None else f


def _fix_int(a: Any) -> IntArg:
    if isinstance(a, int):
        return a
    text = str(a).strip()
    if "$" in text:
        return fmt(text)
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None


_FIX: dict[str, Callable[[Any], Any]] = {
    "s": _fix_str,
    "i": _fix_int,
    "k": lambda a: TableKey.parse(str(a)),
}


def _spec(name: str, func: Callable[..., int], kinds: str, doc: str) -> FunctionSpec:
    def fixup(args: Sequence[Any]) -> list[Any]:
        return [_FIX[kinds[i]](a) for i, a in enumerate(args)]

    return FunctionSpec(
        name,
        func,
        (len(kinds),),
        tuple(ArgKind.INT if k == "i" else ArgKind.STR for k in kinds) if kinds else (),
        fixup=fixup if kinds else None,
        doc=doc,
    )


def function_specs() -> list[FunctionSpec]:
    return [
        _spec("sht_print", sht_print, "", "log every table (error level)"),
        _spec("sht_rm", sht_rm, "ss", "delete one item"),
        _spec("sht_rm_name_re", _rm_re(False), "k", "delete items whose name matches"),
        _spec("sht_rm_value_re", _rm_re(True), "k", "delete items whose value matches"),
        _spec("sht_rm_name", _rm_op(False), "sss", "delete items by name (re, sw)"),
        _spec("sht_rm_value", _rm_op(True), "sss", "delete items by value (re, sw)"),
        _spec("sht_reset", sht_reset, "s", "delete every item of a table"),
        _spec("sht_lock", _lock(True), "k", "lock the slot of table=>key"),
        _spec("sht_unlock", _lock(False), "k", "unlock the slot of table=>key"),
        _spec("sht_match_name", _match(False, "sht_match_name"), "sss", "some name matches"),
        _spec("sht_has_name", _match(False, "sht_has_name"), "sss", "some name matches"),
        _spec(
            "sht_match_str_value",
            _match(True, "sht_match_str_value"),
            "sss",
            "some string value matches",
        ),
        _spec("sht_has_str_value", _match(True, "sht_has_str_value"), "sss", "some value matches"),
        _spec("sht_setxs", sht_setxs, "sssi", "set a string with its expiry"),
        _spec("sht_setxi", sht_setxi, "ssii", "set an integer with its expiry"),
        _spec("sht_inc", _add(1, "sht_inc"), "ss", "add 1 to an item"),
        _spec("sht_dec", _add(-1, "sht_dec"), "ss", "subtract 1 from an item"),
        _spec("sht_is_null", sht_is_null, "ss", "the item is missing"),
        _spec("sht_iterator_start", _it_start, "ss", "start iterator over a table"),
        _spec("sht_iterator_next", _it1(htable_iter.next_item), "s", "next item"),
        _spec("sht_iterator_end", _it1(htable_iter.end), "s", "close an iterator"),
        _spec("sht_iterator_rm", _it1(htable_iter.remove), "s", "delete the current item"),
        _spec("sht_iterator_sets", _it_sets, "ss", "set the current item to a string"),
        _spec(
            "sht_iterator_seti",
            _it_int(htable_iter.set_value),
            "si",
            "set the current item to an integer",
        ),
        _spec(
            "sht_iterator_setex",
            _it_int(htable_iter.set_expire),
            "si",
            "set the expiry of the current item",
        ),
    ]
