"""Compile a pseudo-variable of the config (`ast.PV`) into fast getter/setter callables.

    compiler = PVCompiler(modules, defines)      # once per config
    acc = compiler.compile(pv_node)              # once per PV use: Kamailio's fixup
    value = acc.get(ctx)                         # per message
    if acc.set is not None: acc.set(ctx, value)  # None: read-only

What is resolved once, at compile time (errors are ConfigErrors at the PV's position,
worded like Kamailio's `-c`):
* the PV class: the core's ($rc, $env(..), $def(..), ...), then the loaded modules'
  (`LoadedModules.find_pv`); with `modules=None` the `pv` module's table is used;
* the inner name (`$var(x)`, `$hdr(Via)`), parsed by the class's `parse_name`; the
  classes that allow it in Kamailio ($avp, $hdr, $hdrc, $hfl) take a PV as inner name
  (`$avp($var(n))`), evaluated per message; for the others (`$var($var(i))`) the inner
  text is a literal name, as in Kamailio 5.6.3;
* the index `[n]`, `[-n]`, `[*]` or `[$var(i)]`, refused for PVs that take none
  (`pvar "ru" does not get index param`);
* the transformations `{s.len}...`, via `siprouter.pv.transforms.compile_transforms`
  when that module exists; a PV with transformations is read-only.

A PV name or index computed at runtime that is not valid makes the read $null (logged
as an error) and the assignment fail with PVError, as in Kamailio.

`PVCompiler.compile_text("$(avp(x)[1])")` does the same from text (KEMI, module
arguments, dynamic names). The PV value contract is in pv/pvclass.py.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError, Pos
from siprouter.cfg.parse_pv import close_group
from siprouter.modules.registry import InnerName, PVSpec

from .impl_core import core_pvs
from .names import PVNames
from .pvclass import ALL, Getter, Index, PVClass, PVError, Setter, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext
    from siprouter.modules.loader import LoadedModules

_log = logging.getLogger("siprouter.pv")
_NOWHERE = Pos("<pv>", 0, 0)
_NAME_RE = re.compile(r"[A-Za-z0-9_.]+|\?")  # as Kamailio: $err.class, $1 (unknown)
_INT_RE = re.compile(r"[+-]?\d+\Z")
_NAME_CACHE_MAX = 256


@dataclass(frozen=True, slots=True)
class PVAccess:
    """A compiled PV: `get(ctx)`, and `set(ctx, value)` or None when read-only."""

    raw: str
    name: str
    get: Getter
    set: Setter | None

    @property
    def read_only(self) -> bool:
        return self.set is None


def split_pv_text(text: str, pos: Pos | None = None) -> ast.PV:
    """Parse the text of one PV (`$ru`, `$var(x)`, `$(hdr(Via)[1]{s.len})`) into an
    ast.PV, as the config parser does."""
    where = pos or _NOWHERE

    def bad(why: str) -> ConfigError:
        return ConfigError(f"bad pseudo-variable {text}: {why}", where)

    if not text.startswith("$"):
        raise bad("it must start with '$'")
    full = text.startswith("$(")
    if full:
        if not text.endswith(")"):
            raise bad("missing ')'")
        body = text[2:-1]
    else:
        body = text[1:]
    m = _NAME_RE.match(body)
    if m is None:
        raise bad("expected a name")
    name = m.group()
    i = m.end()
    inner = index = None
    transforms: list[str] = []
    if i < len(body) and body[i] == "(":
        j = _close(body, i)
        inner = body[i + 1 : j - 1]
        i = j
    if full and i < len(body) and body[i] == "[":
        j = _close(body, i)
        index = body[i + 1 : j - 1].strip()
        i = j
    while full and i < len(body) and body[i] == "{":
        j = _close(body, i)
        transforms.append(body[i + 1 : j - 1])
        i = j
    if i != len(body):
        raise bad(f"unexpected {body[i]!r}")
    return ast.PV(name, where, inner, index, transforms, text)


def _close(text: str, i: int) -> int:
    """Offset after the bracket group opening at i, with the parser's nesting rule (only
    the opening bracket's own kind nests); ConfigError when it is never closed."""
    j = close_group(text, i)
    if j < 0:
        raise ConfigError(f"bad pseudo-variable: unbalanced '{text[i]}' in {text}", _NOWHERE)
    return j


def _default_table() -> dict[str, PVSpec]:
    from siprouter.modules.pv import EXPORTS

    return EXPORTS.pvs


def _load_transforms() -> Callable[..., Any] | None:
    try:
        mod = importlib.import_module("siprouter.pv.transforms")
    except ModuleNotFoundError as e:
        if e.name == "siprouter.pv.transforms":
            return None
        raise
    return getattr(mod, "compile_transforms", None)


class PVCompiler:
    """Compiles PVs for one config: knows its loaded modules and #!define table."""

    def __init__(
        self,
        modules: LoadedModules | None = None,
        defines: Mapping[str, str | None] | None = None,
    ) -> None:
        self.modules = modules
        self.core = core_pvs(defines)
        self._table = None if modules is not None else _default_table()
        self._texts: dict[str, PVAccess] = {}  # compile_text results (KEMI asks by text)

    # ---- lookup ------------------------------------------------------------------------

    def spec(self, name: str) -> PVSpec | None:
        spec = self.core.get(name)
        if spec is not None:
            return spec
        if self.modules is not None:
            found = self.modules.find_pv(name)
            return found[1] if found is not None else None
        assert self._table is not None
        return self._table.get(name)

    # ---- compiling ---------------------------------------------------------------------

    def compile_text(self, text: str, pos: Pos | None = None) -> PVAccess:
        """Compile a PV given as text; results are reused for the same text."""
        acc = self._texts.get(text)
        if acc is None:
            acc = self.compile(split_pv_text(text.strip(), pos))
            if len(self._texts) >= _NAME_CACHE_MAX * 4:
                self._texts.clear()
            self._texts[text] = acc
        return acc

    def compile(self, pv: ast.PV) -> PVAccess:
        raw = pv.raw or f"${pv.name}"
        spec = self.spec(pv.name)
        if spec is None:
            hint = PVNames(self.modules).hint_for(pv.name) if self.modules is not None else None
            raise ConfigError(f"unknown pseudo-variable ${pv.name}", pv.pos, hint=hint)
        if spec.inner is InnerName.REQUIRED and not pv.inner:
            what = "an inner name" if pv.inner is None else "a non-empty inner name"
            raise ConfigError(f'pvar "{pv.name}" expects {what}: ${pv.name}(...)', pv.pos)
        if spec.inner is InnerName.NONE and pv.inner is not None:
            raise ConfigError(f'pvar "{pv.name}" does not take an inner name', pv.pos)
        cls = getattr(spec.getter, "__self__", None)
        if isinstance(cls, PVClass):
            get, set_ = self._bind_class(cls, pv)
        else:
            if pv.index is not None:
                raise ConfigError(f'pvar "{pv.name}" does not get index param', pv.pos)
            get = spec.getter
            set_ = spec.setter
            if pv.inner is not None:  # a plain (ctx, inner) PV of another module
                inner, g, s = pv.inner, spec.getter, spec.setter
                get = lambda ctx: g(ctx, inner)  # noqa: E731
                set_ = None if s is None else (lambda ctx, v: s(ctx, inner, v))
        if pv.transforms:
            get = self._transformed(get, pv)
            set_ = None
        return PVAccess(raw, pv.name, get, set_)

    def _index(self, pv: ast.PV) -> Index | PVAccess:
        text = pv.index
        if text is None:
            return None
        if text == "*":
            return ALL
        if _INT_RE.match(text):
            return int(text)
        if text.startswith("$"):
            return self.compile_text(text, pv.pos)
        raise ConfigError(
            f"bad index [{text}] in {pv.raw}", pv.pos, hint="use [n], [-n], [*] or [$var(i)]"
        )

    def _bind_class(self, cls: PVClass, pv: ast.PV) -> tuple[Getter, Setter | None]:
        if pv.index is not None and not cls.indexed:
            raise ConfigError(f'pvar "{pv.name}" does not get index param', pv.pos)
        idx = self._index(pv)
        inner = pv.inner or ""
        if cls.dynamic_name and inner.startswith("$"):
            return self._bind_dynamic(cls, self.compile_text(inner, pv.pos), idx)
        try:
            name = cls.parse_name(inner)
        except ValueError as e:
            raise ConfigError(
                f'pvar "{pv.name}" has an invalid name param [{inner}]: {e}', pv.pos
            ) from None
        if isinstance(idx, PVAccess):
            return _dynamic_index(cls, name, idx)
        get = cls.bind_get(name, idx)
        set_ = cls.bind_set(name, idx) if cls.settable else None
        return get, set_

    def _bind_dynamic(
        self, cls: PVClass, inner: PVAccess, idx: Index | PVAccess
    ) -> tuple[Getter, Setter | None]:
        cache: dict[str, Any] = {}
        inner_get = inner.get
        get_at, set_at = cls.get_at, cls.set_at

        def name_of(ctx: MsgContext) -> Any:
            text = inner_get(ctx)
            key = "" if text is None else str(text)
            n = cache.get(key)
            if n is None:
                try:
                    n = cls.parse_name(key)
                except ValueError as e:
                    raise PVError(f"${cls.name}: bad name {key!r} from {inner.raw}: {e}") from None
                if len(cache) >= _NAME_CACHE_MAX:
                    cache.clear()
                cache[key] = n
            return n

        def index_of(ctx: MsgContext) -> Index:
            return _eval_index(idx, ctx) if isinstance(idx, PVAccess) else idx

        def get(ctx: MsgContext) -> Value:
            try:
                return get_at(ctx, name_of(ctx), index_of(ctx))
            except PVError as e:  # Kamailio logs it and the value is $null
                _log.error("%s", e)
                return None

        def set_(ctx: MsgContext, value: Value) -> None:
            set_at(ctx, name_of(ctx), index_of(ctx), value)

        return get, (set_ if cls.settable else None)

    def _transformed(self, get: Getter, pv: ast.PV) -> Getter:
        compile_transforms = _load_transforms()
        if compile_transforms is None:
            raise ConfigError(
                f"transformations are not supported yet: {pv.raw}",
                pv.pos,
                hint="siprouter.pv.transforms is not available in this build",
            )
        self._check_transform_modules(pv)

        def arg_getter(text: str, pos: Pos) -> Getter:
            return self.compile_text(text, pos).get

        tr = compile_transforms(pv.transforms, pv.pos, arg_getter=arg_getter)
        return lambda ctx: tr(get(ctx), ctx)

    def _check_transform_modules(self, pv: ast.PV) -> None:
        """A transformation class needs its Kamailio module loaded ({re.subst}: textops)."""
        if self.modules is None:
            return
        try:
            from .transforms import CLASS_MODULE
        except ImportError:
            return
        for spec in pv.transforms:
            cls = spec.split(".", 1)[0].strip()
            mod = CLASS_MODULE.get(cls)
            if mod is not None and mod not in self.modules:
                raise ConfigError(
                    f"transformation {{{spec}}} needs module {mod}",
                    pv.pos,
                    hint=f'add loadmodule "{mod}.so"',
                )


def _eval_index(acc: PVAccess, ctx: MsgContext) -> Index:
    v = acc.get(ctx)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and _INT_RE.match(v.strip()):
        return int(v)
    raise PVError(f"index {acc.raw} is not a number: {v!r}")


def _dynamic_index(cls: PVClass, name: Any, idx: PVAccess) -> tuple[Getter, Setter | None]:
    get_at, set_at = cls.get_at, cls.set_at

    def get(ctx: MsgContext) -> Value:
        try:
            return get_at(ctx, name, _eval_index(idx, ctx))
        except PVError as e:  # Kamailio logs it and the value is $null
            _log.error("%s", e)
            return None

    def set_(ctx: MsgContext, value: Value) -> None:
        set_at(ctx, name, _eval_index(idx, ctx), value)

    return get, (set_ if cls.settable else None)


_LAST: list[Any] = [None, None, None]  # (modules, defines, compiler) of the last call


def compile_pv(
    pv: ast.PV | str,
    modules: LoadedModules | PVCompiler | None = None,
    defines: Mapping[str, str | None] | None = None,
) -> PVAccess:
    """Compile one PV (node or text) for a config with these loaded modules (None: the
    core and the pv module's table) and #!define table; a PVCompiler may be given
    instead. The compiler for the same modules/defines is reused between calls; with
    neither given, the config's compiler while its routes compile (format.compiling_with)."""
    if modules is None and defines is None:
        from .format import _ACTIVE

        if _ACTIVE:
            modules = _ACTIVE[-1]
    if isinstance(modules, PVCompiler):
        compiler = modules
    elif _LAST[2] is not None and _LAST[0] is modules and _LAST[1] is defines:
        compiler = _LAST[2]
    else:
        compiler = PVCompiler(modules, defines)
        _LAST[:] = [modules, defines, compiler]
    if isinstance(pv, str):
        return compiler.compile_text(pv)
    return compiler.compile(pv)
