"""Config functions of the `pv` module over pseudo-variables and XAVPs.

pv_evalx(dst, format) renders the format, reads the result as a format again and
stores that rendering in dst (so "$var(f)" holding "u=$rU" gives "u=bob").
pv_isset, pv_unset, is_int, typeof, not_empty take a PV, written as a string
(`pv_isset("$avp(x)")`) or bare; it is compiled once by the fixup. The xavp_*
functions work on `ctx.xavps`. Return codes and effects as measured on Kamailio 5.6.3:
* not_empty is true only for a non-empty string value (an int is "empty");
* xavp_rm(name) removes the newest XAVP of that name; xavp_child_rm(root, child) the
  child's values in the newest root; xavp_child_seti/sets set the child's first value in
  the newest root, adding the child, or a new root, when missing; all return 1 even
  when there was nothing to remove;
* xavp_params_explode("a=1;b;c=x", name) pushes a new XAVP with one string field per
  parameter (a valueless one is ""); xavp_params_implode(name, "$var(out)") writes
  `f=v;` for each field of the newest XAVP, newest field first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from siprouter.cfg.errors import ConfigError
from siprouter.modules.registry import ArgKind, FunctionSpec

from .access import compile_pv
from .format import Format, compile_format
from .pvclass import Getter, Setter, Value
from .stores import Xavp, XavpStore

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

_log = logging.getLogger("siprouter.pv")


class PVRef:
    """A PV argument after the fixup: its getter and setter (None when read-only)."""

    __slots__ = ("get", "raw", "set")

    def __init__(self, raw: str, get: Getter, set_: Setter | None) -> None:
        self.raw = raw
        self.get = get
        self.set = set_


def _pv_arg(arg: Any) -> PVRef:
    if isinstance(arg, str):
        try:
            acc = compile_pv(arg.strip())
        except ConfigError as e:
            raise ValueError(e.message) from None
        return PVRef(acc.raw, acc.get, acc.set)
    get = getattr(arg, "get", None)
    if callable(get):  # the engine's PVArg for a bare PV argument
        return PVRef(str(arg), get, getattr(arg, "set", None))
    raise ValueError(f"expected a pseudo-variable, got {arg!r}")


def _fix_pv(args: Sequence[Any]) -> list[Any]:
    return [_pv_arg(args[0]), *args[1:]]


def _fix_writable_pv(args: Sequence[Any]) -> list[Any]:
    ref = _pv_arg(args[0])
    if ref.set is None:
        raise ValueError(f"{ref.raw} is read-only")
    return [ref, *args[1:]]


def _fix_typeof(args: Sequence[Any]) -> list[Any]:
    # Kamailio 5.6.3 looks at the type's first letter only: i(nt), n(ull), s(tr); any
    # other type is accepted and the test is false
    text = str(args[1])
    kind = {"i": "int", "n": "null", "s": "str"}.get(text[:1].lower(), "")
    return [_pv_arg(args[0]), kind]


def pv_isset(ctx: MsgContext, pv: PVRef) -> int:
    return 1 if pv.get(ctx) is not None else -1


def pv_unset(ctx: MsgContext, pv: PVRef) -> int:
    assert pv.set is not None
    pv.set(ctx, None)
    return 1


def is_int(ctx: MsgContext, pv: PVRef) -> int:
    return 1 if isinstance(pv.get(ctx), int) else -1


def typeof(ctx: MsgContext, pv: PVRef, kind: str) -> int:
    v = pv.get(ctx)
    if kind == "null":
        ok = v is None
    elif kind == "int":
        ok = isinstance(v, int)
    elif kind == "str":
        ok = isinstance(v, str)
    else:
        ok = False
    return 1 if ok else -1


def not_empty(ctx: MsgContext, pv: PVRef) -> int:
    v = pv.get(ctx)
    return 1 if isinstance(v, str) and v != "" else -1


# ---- xavp functions ----------------------------------------------------------------------


def _store(ctx: MsgContext) -> XavpStore:
    s = ctx.xavps
    if s is None:
        s = ctx.xavps = XavpStore()
    return s  # type: ignore[no-any-return]


def xavp_rm(ctx: MsgContext, name: str) -> int:
    store = _store(ctx)
    items = store.items(name)
    if items:
        store.remove(name, items[0])
    return 1


def xavp_child_rm(ctx: MsgContext, root: str, child: str) -> int:
    items = _store(ctx).items(root)
    if items and items[0].fields:
        items[0].remove_field(child, None)
    return 1


def _child_set(ctx: MsgContext, root: str, child: str, value: Value) -> int:
    store = _store(ctx)
    items = store.items(root)
    if not items:
        store.push(root, Xavp(None, [(child, value)]))  # type: ignore[list-item]
        return 1
    item = items[0]
    if not item.set_field(child, 0, value):  # type: ignore[arg-type]
        item.add_field(child, value)  # type: ignore[arg-type]
    return 1


def xavp_child_seti(ctx: MsgContext, root: str, child: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return _child_set(ctx, root, child, number)


def xavp_child_sets(ctx: MsgContext, root: str, child: str, value: Any) -> int:
    return _child_set(ctx, root, child, "" if value is None else str(value))


def xavp_params_explode(ctx: MsgContext, params: Any, name: str) -> int:
    item = Xavp(None, [])
    for part in str(params or "").split(";"):
        part = part.strip()
        if not part:
            continue
        key, _eq, val = part.partition("=")
        item.add_field(key.strip(), val.strip())
    _store(ctx).push(name, item)
    return 1


def xavp_params_implode(ctx: MsgContext, name: str, out: PVRef) -> int:
    items = _store(ctx).items(name)
    if not items:
        return -1
    parts: list[str] = []
    for field, v in items[0].fields or []:
        parts.append(f"{field}={v if not isinstance(v, Xavp) else v.text()};")
    assert out.set is not None
    out.set(ctx, "".join(parts))
    return 1


_EVALX_CACHE: dict[str, Format] = {}


def pv_evalx(ctx: MsgContext, dst: PVRef, fmt: Format) -> int:
    """Render `fmt`, read the result as a format again, store its rendering in dst."""
    text = fmt.render(ctx)
    second = _EVALX_CACHE.get(text)
    if second is None:
        try:
            second = compile_format(text)
        except ConfigError as e:
            _log.error("pv_evalx: %s", e.message)
            return -1
        if len(_EVALX_CACHE) >= 256:
            _EVALX_CACHE.clear()
        _EVALX_CACHE[text] = second
    assert dst.set is not None
    dst.set(ctx, second.render(ctx))
    return 1


def _fix_evalx(args: Sequence[Any]) -> list[Any]:
    ref = _fix_writable_pv(args[:1])[0]
    try:
        fmt = compile_format(str(args[1]))
    except ConfigError as e:
        raise ValueError(e.message) from None
    return [ref, fmt]


def _fix_implode(args: Sequence[Any]) -> list[Any]:
    ref = _pv_arg(args[1])
    if ref.set is None:
        raise ValueError(f"{ref.raw} is read-only")
    return [args[0], ref]


S, P = ArgKind.STR, ArgKind.PV

FUNCTIONS = [
    FunctionSpec("pv_isset", pv_isset, (1,), (P,), fixup=_fix_pv),
    FunctionSpec("pv_unset", pv_unset, (1,), (P,), fixup=_fix_writable_pv),
    FunctionSpec("is_int", is_int, (1,), (P,), fixup=_fix_pv),
    FunctionSpec("typeof", typeof, (2,), (P, S), fixup=_fix_typeof),
    FunctionSpec("not_empty", not_empty, (1,), (P,), fixup=_fix_pv),
    FunctionSpec("pv_evalx", pv_evalx, (2,), (P, S), fixup=_fix_evalx),
    FunctionSpec("xavp_rm", xavp_rm, (1,), (S,)),
    FunctionSpec("xavp_child_rm", xavp_child_rm, (2,), (S, S)),
    FunctionSpec("xavp_child_seti", xavp_child_seti, (3,), (S, S, ArgKind.INT)),
    FunctionSpec("xavp_child_sets", xavp_child_sets, (3,), (S, S, S)),
    FunctionSpec("xavp_params_explode", xavp_params_explode, (2,), (S, S)),
    FunctionSpec("xavp_params_implode", xavp_params_implode, (2,), (S, P), fixup=_fix_implode),
]
