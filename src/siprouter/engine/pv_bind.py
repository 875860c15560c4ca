"""Bind a pseudo-variable of the AST (`ast.PV`) to a getter and a setter, once per use.

The PV layer's access module (`siprouter.pv.access.PVCompiler`) does this when it is
present (`make_binder`): it knows the core PVs, PV classes with inner names and
indexes, and transformations. Until then (and for modules that only export plain
`PVSpec`s) this file binds directly from the export tables:

* core: `$null` (None, not assignable), `$rc` / `$retcode` / `$?` (ctx.rc);
* a PVSpec whose getter is a bound method of a `PVClass` (pv/pvclass.py): the inner
  name is parsed once (`parse_name`) and `bind_get`/`bind_set` give the closures;
* another PVSpec: `getter(ctx)` / `setter(ctx, value)` without inner name, or
  `getter(ctx, inner)` / `setter(ctx, inner, value)` with one.

A bad name, an index or transformation we cannot bind is a ConfigError at the PV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError
from siprouter.modules.loader import LoadedModules

Getter = Callable[[Any], Any]
Setter = Callable[[Any, Any], None]


def _rc(ctx: Any) -> Any:
    return ctx.rc


def _null(ctx: Any) -> Any:
    return None


_CORE: dict[str, Getter] = {"rc": _rc, "retcode": _rc, "?": _rc, "null": _null}


def make_binder(
    modules: LoadedModules, defines: Any = None
) -> Callable[[ast.PV], tuple[Getter, Setter | None]]:
    """A `bind(node) -> (getter, setter)` for one config: the PV layer's PVCompiler
    when present (it knows #!define values for $def), else `bind_pv` below."""
    try:
        from siprouter.pv.access import PVCompiler
    except ImportError:
        return lambda node: bind_pv(node, modules)
    compiler = PVCompiler(modules, defines)

    def bind(node: ast.PV) -> tuple[Getter, Setter | None]:
        acc = compiler.compile(node)
        return acc.get, acc.set

    return bind


def _transforms(node: ast.PV) -> Callable[[Any], Any] | None:
    if not node.transforms:
        return None
    try:
        from siprouter.pv.transforms import compile_transforms  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError(f"transformations are not supported yet ({node.raw})", node.pos) from None
    try:
        return compile_transforms(node.transforms, node.pos)  # type: ignore[no-any-return]
    except ValueError as e:
        raise ConfigError(f"bad transformation in {node.raw}: {e}", node.pos) from None


def _index(node: ast.PV) -> Any:
    if node.index is None:
        return None
    from siprouter.pv.pvclass import ALL

    text = node.index.strip()
    if text == "*":
        return ALL
    try:
        return int(text)
    except ValueError:
        raise ConfigError(
            f"index {node.index!r} of {node.raw} is not supported yet", node.pos
        ) from None


def bind_pv(node: ast.PV, modules: LoadedModules) -> tuple[Getter, Setter | None]:
    """(getter(ctx) -> value, setter(ctx, value) or None when read-only), bound from
    the export tables alone (no PV access layer)."""
    tr = _transforms(node)
    getter, setter = _bind_plain(node, modules)
    if tr is not None:
        base = getter

        def getter(ctx: Any) -> Any:
            return tr(base(ctx))

        setter = None
    return getter, setter


def _bind_plain(node: ast.PV, modules: LoadedModules) -> tuple[Getter, Setter | None]:
    core = _CORE.get(node.name)
    if core is not None and node.inner is None:
        return core, None
    found = modules.find_pv(node.name)
    if found is None:
        raise ConfigError(f"unknown pseudo-variable ${node.name}", node.pos)
    _mod, spec = found
    owner = getattr(spec.getter, "__self__", None)
    if owner is not None and hasattr(owner, "bind_get") and hasattr(owner, "parse_name"):
        try:
            name = owner.parse_name(node.inner or "")
        except ValueError as e:
            raise ConfigError(f"bad name in {node.raw}: {e}", node.pos) from None
        idx = _index(node)
        get = owner.bind_get(name, idx)
        put = owner.bind_set(name, idx) if spec.setter is not None else None
        return get, put
    if node.index is not None:
        raise ConfigError(f"${node.name} takes no index", node.pos)
    g, s = spec.getter, spec.setter
    if node.inner is None:
        return g, s
    inner = node.inner

    def get_inner(ctx: Any) -> Any:
        return g(ctx, inner)

    set_inner: Setter | None = None
    if s is not None:

        def set_inner(ctx: Any, value: Any) -> None:
            s(ctx, inner, value)

    return get_inner, set_inner
