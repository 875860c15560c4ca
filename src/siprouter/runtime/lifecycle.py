"""Module life-cycle hooks of a running server, as Kamailio's mod_init/child_init.

`init_modules` runs once in the main process after the config is compiled and before
any worker is forked: a module creates its shared state there (shared tables, counters,
lock sets) so every worker inherits it. `child_init_modules` runs in each process that
will handle messages, right after the fork, with that process's rank (1..N for the
workers; 0 for the main process of a single-process server): a module opens its
per-process handles there (a database connection, a per-process counter column).

A hook fails start-up by raising `ModuleInitError` (or any exception): the server then
stops with the module's name and the reason, as Kamailio does for a failing mod_init.

`init_modules` first runs `init_core(compiled)`: the core settings Kamailio's main()
applies before the sockets are made and the modules initialized: the socket options of
the core parameters (runtime/sockopts.configure), the refusal of the parameters refused
at start-up only (cfg/core_param_support.STARTUP_ONLY), and Kamailio's warnings for
enable_tls=yes without a tls module (siprouter has none: the server runs without TLS;
no warning with disable_tcp=yes, as Kamailio; -T is not seen here and still warns).
"""

from __future__ import annotations

from typing import Any

from siprouter.shared import counters as shared_counters
from siprouter.shared import space as shared_space
from siprouter.stats.registry import setup as stats_setup

from .logging import L_WARN, LOG


class ModuleInitError(Exception):
    """A module could not initialise; the message says why."""


def _call(hook: Any, what: str, name: str, *args: Any) -> None:
    try:
        hook(*args)
    except ModuleInitError as e:
        raise ModuleInitError(f"{what} of module {name} failed: {e}") from None
    except Exception as e:  # a hook bug must stop start-up with its cause
        raise ModuleInitError(f"{what} of module {name} failed: {type(e).__name__}: {e}") from e


# The compiled config of the running server (engine.compiler.CompiledConfig), set before
# the init hooks run: a module that runs an event route at init time (htable:mod-init)
# finds the block with COMPILED.get("event", "htable:mod-init").
COMPILED: Any = None


def init_core(compiled: Any) -> None:
    """The core settings of the config `compiled` was built from (main process, before
    any socket is made); ModuleInitError for a value refused at start-up."""
    from siprouter.cfg import core_params as cp
    from siprouter.cfg.errors import ConfigError

    from . import sockopts
    from .latency import params_of

    config = getattr(compiled, "config", None)
    for p in getattr(config, "params", ()):
        row = cp.lookup(p.name)
        if row is None or row.name not in cp.STARTUP_ONLY:
            continue
        pos = p.value_pos or p.pos
        try:
            cp.check_supported(row, p.name, cp.validate_param(p.name, cp.ast_value(p.value)), pos)
        except ConfigError as e:
            raise ModuleInitError(f"{e.pos}: {e.message}" if e.pos else e.message) from None
    params = params_of(compiled)
    sockopts.configure(params)
    tls = params.get("enable_tls") or params.get("disable_tls") is False
    if tls and not params.get("disable_tcp") and LOG.enabled(L_WARN):  # TLS needs TCP
        LOG.core(
            L_WARN,
            "main(): tls support enabled, but no tls engine  available "
            "(forgot to load the tls module?)",
        )
        LOG.core(L_WARN, "main(): disabling tls...")


def init_modules(modules: Any, compiled: Any = None) -> None:
    """Run `init_core`, then every loaded module's `init(loaded_module)` in load order
    (main process), then close the main process's shared database connection before
    the fork."""
    global COMPILED
    COMPILED = compiled
    init_core(compiled)
    stats_setup()  # the core statistics live in the shared counters, made before the fork
    for lm in modules.modules.values():
        if lm.exports.init is not None:
            _call(lm.exports.init, "mod_init", lm.name, lm)
    shared_space.before_fork()


def child_init_modules(modules: Any, rank: int) -> None:
    """Give the new process its row of the shared counters, then run every loaded
    module's `child_init(loaded_module, rank)`."""
    shared_counters.set_rank(rank)
    for lm in modules.modules.values():
        if lm.exports.child_init is not None:
            _call(lm.exports.child_init, "child_init", lm.name, lm, rank)
