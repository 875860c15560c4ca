"""RPC commands by name: the loaded modules' RpcSpec entries and the core's system.*.

An RPC function takes the request's positional parameters (str, int, float as the
client sent them) and returns the JSON-RPC result: Kamailio's commands check their own
parameters, so the function does too and raises `RpcError` with Kamailio's code and
message. A function that adds nothing to the reply returns None, which is the empty
object `{}` Kamailio's jsonrpcs answers then.

Some commands live in one module in Kamailio but need the state of another part of
siprouter: `ATTACHED` maps a module name to providers of extra commands (kex's stats.*
come from siprouter/stats/rpc.py); a module that exports a command itself wins.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from siprouter.modules.registry import RpcSpec


class RpcError(Exception):
    """An RPC failure with Kamailio's JSON-RPC error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def _attached_kex() -> list[RpcSpec]:
    from siprouter.stats.rpc import RPCS

    return list(RPCS)


#: module name -> commands attached to it when it is loaded (see the module docstring)
ATTACHED: dict[str, Callable[[], Iterable[RpcSpec]]] = {"kex": _attached_kex}


class RpcRegistry:
    """Commands by name (`module.command`), each with the module providing it."""

    def __init__(self) -> None:
        self._specs: dict[str, tuple[str, RpcSpec]] = {}
        self.add_all(
            "core",
            [
                RpcSpec("system.listMethods", self._list_methods, "list the RPC commands"),
                RpcSpec("system.methodHelp", self._method_help, "the help text of a command"),
                RpcSpec(
                    "system.methodSignature",
                    self._method_signature,
                    "the signature of a command (not available)",
                ),
            ],
        )
        from siprouter.runtime import dst_blocklist  # the core's own commands

        self.add_all("core", dst_blocklist.RPCS)

    @classmethod
    def from_modules(cls, modules: Any) -> RpcRegistry:
        """The core's commands, every loaded module's, and the attached ones
        (`modules` is a modules.loader.LoadedModules)."""
        reg = cls()
        for lm in modules.modules.values():
            reg.add_all(lm.name, lm.exports.rpcs.values())
        for lm in modules.modules.values():
            provider = ATTACHED.get(lm.name)
            if provider is not None:
                reg.add_all(lm.name, provider(), replace=False)
        return reg

    def add_all(self, owner: str, specs: Iterable[RpcSpec], replace: bool = True) -> None:
        for spec in specs:
            if "." not in spec.name:
                raise ValueError(f"RPC command {spec.name!r} needs a 'module.' prefix")
            if replace or spec.name not in self._specs:
                self._specs[spec.name] = (owner, spec)

    def __contains__(self, method: str) -> bool:
        return method in self._specs

    def methods(self) -> list[str]:
        return sorted(self._specs)

    def owner(self, method: str) -> str | None:
        entry = self._specs.get(method)
        return None if entry is None else entry[0]

    def call(self, method: str, *params: Any) -> Any:
        """Run `method` with `params`: its JSON-RPC result, or RpcError. A command whose
        Python signature cannot take that many parameters answers 500 "Invalid
        Parameters" (commands that word their own error check the count themselves)."""
        entry = self._specs.get(method)
        if entry is None:
            raise RpcError(500, "Method Not Found")
        func = entry[1].func
        if not _accepts(func, len(params)):
            raise RpcError(500, "Invalid Parameters")
        result = func(*params)
        return {} if result is None else result

    # ---- the core's commands ------------------------------------------------------------

    def _list_methods(self, *_params: Any) -> list[str]:
        return self.methods()

    def _method_help(self, *params: Any) -> str:
        if not params or not isinstance(params[0], str):
            raise RpcError(400, "Method Name Expected")
        entry = self._specs.get(params[0])
        if entry is None:
            raise RpcError(400, "command not found")
        return entry[1].doc

    def _method_signature(self, *_params: Any) -> str:
        raise RpcError(500, "Not Implemented Yet")


_ARITY: dict[Any, tuple[int, int | None]] = {}


def _accepts(func: Callable[..., Any], n: int) -> bool:
    """Whether `func` takes n positional arguments (its signature, computed once)."""
    arity = _ARITY.get(func)
    if arity is None:
        low, high = 0, 0
        unbounded = False
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            return True
        for p in sig.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                unbounded = True
            elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                high += 1
                if p.default is p.empty:
                    low += 1
        arity = _ARITY[func] = (low, None if unbounded else high)
    low, high = arity
    return low <= n and (high is None or n <= high)


_CURRENT: RpcRegistry | None = None


def set_current(reg: RpcRegistry | None) -> None:
    """Make `reg` the running server's registry (the control interface calls into it)."""
    global _CURRENT
    _CURRENT = reg


def current() -> RpcRegistry:
    """The running server's registry (one with the core's commands only before any
    server set one)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = RpcRegistry()
    return _CURRENT


def call(method: str, *params: Any) -> Any:
    """`current().call(method, *params)`."""
    return current().call(method, *params)
