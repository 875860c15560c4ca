"""The `-c` checker: everything Kamailio checks while loading a config, and a bit more.

`check(config, modules=LoadedModules(), all_errors=False)` walks the top-level items in
source order, as Kamailio's parser applies them (a modparam or a module function used
before its loadmodule is an error there too):

* core parameters: unknown names (with did-you-mean), values of the wrong kind, out
  of range (core_params.validate_param); custom `group.var` parameters;
* listen/alias values and socket blocks;
* `flags`/`avpflags` declarations (bit range, names declared twice);
* loadmodule (module implemented by siprouter? loaded twice?) and modparam (regex over
  loaded modules, parameter known and of the right type), filling `modules`;
* cfgengine;
* route blocks (check_routes.RouteChecker): functions, arguments, route types,
  pseudo-variables, read-only assignments, route(NAME) targets, duplicate names.

Raises the first ConfigError, or with `all_errors` a ConfigErrors holding every one
found (a single one is raised as itself).
"""

from __future__ import annotations

import os
import re

from siprouter.modules.loader import LoadedModules, module_name

from . import ast
from . import core_params as cp
from .check_routes import RouteChecker
from .core_param_types import MAX_FLAG
from .errors import ConfigError, ConfigErrors, Pos
from .listen import parse_alias, parse_listen_line

KEMI_ENGINES = {
    "python": "app_python",
    "python3": "app_python3",
    "lua": "app_lua",
    "jsdt": "app_jsdt",
    "ruby": "app_ruby",
    "sqlang": "app_sqlang",
}
SOCKET_ATTRS = ("bind", "advertise", "name", "virtual")


class Checker:
    """Collects errors (or stops at the first) while checking one config."""

    def __init__(self, modules: LoadedModules, all_errors: bool) -> None:
        self.modules = modules
        self.all_errors = all_errors
        self.errors: list[ConfigError] = []
        self.flags: dict[str, int | None] = {}
        self.avpflags: set[str] = set()
        self.failed_modules: list[str] = []
        # the first modparam or route block: Kamailio sets up shared memory there, and
        # shm_mem_size/shm_force_alloc/user must come before it
        self.shm_at: tuple[str, Pos] | None = None

    def report(self, err: ConfigError) -> None:
        if not self.all_errors:
            raise err
        self.errors.append(err)

    def run(self, config: ast.Config) -> None:
        routes = RouteChecker(self)
        for item in config.items:
            try:
                self.item(item, routes)
            except ConfigError as e:
                self.report(e)
        for err in routes.finish(config):
            self.report(err)
        if self.errors:
            if len(self.errors) == 1:
                raise self.errors[0]
            raise ConfigErrors(self.errors)

    # --- top-level items ----------------------------------------------------------

    def item(self, item: object, routes: RouteChecker) -> None:
        if isinstance(item, ast.Param):
            self.param(item)
        elif isinstance(item, ast.CustomParam):
            cp.validate_custom(f"{item.group}.{item.name}", item.value.value, item.value.pos)
        elif isinstance(item, ast.Listen):
            self.listen(item)
        elif isinstance(item, ast.SocketBlock):
            self.socket_block(item)
        elif isinstance(item, ast.FlagDecl):
            self.flag_decl(item)
        elif isinstance(item, ast.LoadPath):
            self.modules.set_loadpath(item.path)
        elif isinstance(item, ast.LoadModule):
            self.loadmodule(item)
        elif isinstance(item, ast.ModParam):
            self.shm_at = self.shm_at or ("modparam", item.pos)
            self.modparam(item)
        elif isinstance(item, ast.CfgEngine):
            self.cfgengine(item.name, item.pos)
        elif isinstance(item, ast.RouteBlock):
            self.shm_at = self.shm_at or ("route block", item.pos)
            routes.block(item)

    def param(self, p: ast.Param) -> None:
        value = cp.ast_value(p.value)
        row = cp.lookup(p.name)
        if row is None:
            cp.validate_param(p.name, value, p.pos)  # unknown name: error at the name
            return
        if row.early and self.shm_at is not None:
            what, where = self.shm_at
            self.report(
                ConfigError(
                    f"{p.name} must come before any modparam or route block",
                    p.pos,
                    hint=f"the first {what} is at {where}",
                )
            )
        if p.name in ("loadpath", "mpath") and isinstance(value, str):
            self.modules.set_loadpath(value)
        if p.name == "cfgengine" and isinstance(value, str):
            self.cfgengine(value, p.value_pos or p.pos)
        cp.validate_param(p.name, value, p.value_pos or p.pos)

    def listen(self, item: ast.Listen) -> None:
        if item.spec is not None:
            return  # the parser already read it with listen.py
        try:
            if item.param == "alias":
                parse_alias(item.raw)
            else:
                parse_listen_line(item.raw)
        except ValueError as e:
            raise ConfigError(f"bad {item.param} value: {e}", item.pos) from None

    def socket_block(self, blk: ast.SocketBlock) -> None:
        seen: set[str] = set()
        for attr in blk.attrs:
            if attr.name not in SOCKET_ATTRS:
                self.report(
                    ConfigError(
                        f"unknown socket attribute '{attr.name}'",
                        attr.pos,
                        hint="socket attributes: " + ", ".join(SOCKET_ATTRS),
                    )
                )
                continue
            if attr.name in seen:
                self.report(ConfigError(f"socket attribute '{attr.name}' given twice", attr.pos))
            seen.add(attr.name)
            value = cp.ast_value(attr.value)
            try:
                if attr.name == "bind":
                    if blk.bind is None or blk.bind.spec is None:
                        parse_listen_line(attr.raw or str(value))
                elif attr.name == "advertise":
                    parse_alias(attr.raw or str(value))
                elif attr.name == "name" and not isinstance(value, str):
                    raise ValueError("a quoted string expected")
                elif attr.name == "virtual" and not isinstance(value, bool | int):
                    raise ValueError("yes or no expected")
            except ValueError as e:
                self.report(ConfigError(f"bad socket {attr.name}: {e}", attr.pos))
        if "bind" not in seen:
            self.report(ConfigError("socket block without bind = [proto:]addr[:port]", blk.pos))

    def flag_decl(self, decl: ast.FlagDecl) -> None:
        for f in decl.flags:
            if decl.kind == "avpflags":
                if f.name in self.avpflags:
                    self.report(ConfigError(f"avpflag {f.name} already declared", f.pos))
                self.avpflags.add(f.name)
                continue
            if f.name in self.flags:
                self.report(ConfigError(f"flag {f.name} already registered", f.pos))
                continue
            if f.position is not None and not 0 <= f.position <= MAX_FLAG:
                self.report(
                    ConfigError(
                        f"invalid flag {f.name} position ({f.position}), allowed 0..{MAX_FLAG}",
                        f.pos,
                    )
                )
                continue
            self.flags[f.name] = f.position

    def loadmodule(self, lm: ast.LoadModule) -> None:
        path = _expand(lm.path, lm.pos) if lm.expand else lm.path
        try:
            self.modules.load(path, lm.pos)
        except ConfigError:
            self.failed_modules.append(module_name(path))
            raise

    def modparam(self, mp: ast.ModParam) -> None:
        value = mp.value.value
        if mp.expand and isinstance(value, str):
            value = _expand(value, mp.value.pos)
        try:
            self.modules.set_param(mp.module, mp.name, value, mp.pos, mp.value.pos)
        except ConfigError as e:
            if e.message.startswith("modparam: no loaded module") and any(
                _matches(mp.module, failed) for failed in self.failed_modules
            ):
                return  # its loadmodule failed: that error is already reported
            raise

    def cfgengine(self, name: str, pos: Pos) -> None:
        if name in ("native", "default"):
            return
        module = KEMI_ENGINES.get(name)
        if module is not None and module in self.modules:
            return
        raise ConfigError(
            f"cfgengine '{name}' is not available",
            pos,
            hint=(
                f'it needs loadmodule "{module}" before it' if module else
                "siprouter runs the native routing language (cfgengine \"native\")"
            ),
        )  # fmt: skip


def _matches(module_re: str, name: str) -> bool:
    try:
        return re.fullmatch(f"({module_re})", name, re.IGNORECASE) is not None
    except re.error:
        return False


_ENV = re.compile(r"\$env\(([A-Za-z0-9_]+)\)")


def _expand(text: str, pos: Pos) -> str:
    """$env(NAME) in loadmodulex/modparamx values ($def is expanded by the preprocessor)."""

    def env(m: re.Match[str]) -> str:
        return os.environ.get(m.group(1), "")

    out = _ENV.sub(env, text)
    if "$def(" in out or "$defn(" in out:
        raise ConfigError(f"cannot expand {text!r}: $def() in this value is not supported", pos)
    return out


def check(
    config: ast.Config, *, modules: LoadedModules | None = None, all_errors: bool = False
) -> LoadedModules:
    """Check a parsed config; returns the modules it loaded (with modparams applied).

    Raises ConfigError (the first problem) or, with `all_errors`, ConfigErrors.
    """
    mods = modules if modules is not None else LoadedModules()
    from siprouter.pv.access import PVCompiler
    from siprouter.pv.format import compiling_with

    # fixups compile format arguments: with the PVs of the modules this config loads
    with compiling_with(PVCompiler(mods)):
        Checker(mods, all_errors).run(config)
    return mods
