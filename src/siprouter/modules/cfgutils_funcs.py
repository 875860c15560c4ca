"""cfgutils script functions, with Kamailio 5.6.3's return codes.

* rand_event(): 1 with the current probability (percent), else -1.
* rand_set_prob(p) (0..100; a constant outside is refused when the config is compiled,
  a runtime value outside gives -1; Kamailio 5.6.3 mishandles a PV argument there, which
  is not reproduced), rand_reset_prob() (back to initial_probability):
  1. rand_get_prob(): returns the probability itself, so 0 ends the script (Kamailio
  does the same).
* set_gflag(f), reset_gflag(f): 1; is_gflag(f): 1 when set, else -1. f is a constant
  0..31 (anything else, a PV too, is refused when the config is compiled; Kamailio
  refuses it at start-up); the flags are shared by every worker.
* lock(key), trylock(key), unlock(key): the lock of the key's hash in the lock set
  (lock_set_size); 1; trylock -1 when the lock is taken (also by this process); -1
  when no lock set is configured (lock_set_size 0). Not re-entrant, as in Kamailio.
* sleep(s), usleep(us): wait, 1. The argument is an int or one PV that must hold an int
  (a string value gives -1, as Kamailio's).
* abort(): aborts the process (SIGABRT), as Kamailio; the server then stops.
* core_hash(s1, s2, bits): Kamailio's core_hash of the two strings masked to 2^bits
  slots (bits < 1 is 1; bits >= 32 shift modulo 32, as Kamailio's C shift), plus one,
  so the value is never 0.
* check_route_exists(name): 1 when route[name] exists, else -1. route_if_exists(name):
  runs route[name] and returns its code, -1 when there is no such route.
* pkg_status, pkg_summary, shm_status, shm_summary: cfgutils_mem.py.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.engine.context import MsgContext
from siprouter.modules.registry import ArgKind, FunctionSpec, RouteType
from siprouter.pv.access import compile_pv
from siprouter.pv.format import Format, compile_format

from . import cfgutils_mem as mem
from .cfgutils_state import GFLAGS, INITIAL_PROB, PROB, state
from .htable_hash import core_hash

log = logging.getLogger("siprouter.cfgutils")

Arg = str | Format
Getter = Callable[[MsgContext], Any]


class IntPV:
    """An int argument given as one pseudo-variable (its value must be an int)."""

    __slots__ = ("get", "raw")

    def __init__(self, raw: str, get: Getter) -> None:
        self.raw = raw
        self.get = get


IntArg = int | IntPV


def _fix_int(
    lo: int | None = None, hi: int | None = None, what: str = "value", pv: bool = True
) -> Any:
    def fix(a: Any) -> IntArg:
        if isinstance(a, int):
            n = a
        else:
            text = str(a).strip()
            if text.startswith("$") and pv:
                try:
                    return IntPV(text, compile_pv(text).get)
                except ConfigError as e:
                    raise ValueError(e.message) from None
            try:
                n = int(text)
            except ValueError:
                want = "an integer or a pseudo-variable" if pv else "a constant integer"
                raise ValueError(f"{text!r} is not {want}") from None
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise ValueError(f"{what} <{n}> out of range [{lo}..{hi}]")
        return n

    return fix


def _int(ctx: MsgContext, a: IntArg, fname: str) -> int | None:
    if isinstance(a, int):
        return a
    v = a.get(ctx)
    if isinstance(v, int):
        return v
    log.error("%s: %s does not hold an integer", fname, a.raw)
    return None


def _fix_str(a: Any) -> Arg:
    text = str(a)
    if "$" not in text:
        return text
    try:
        f = compile_format(text)
    except ConfigError as e:
        raise ValueError(e.message) from None
    return f.constant if f.constant is not None else f


def _s(ctx: MsgContext, a: Arg) -> str:
    return a if isinstance(a, str) else a.render(ctx)


# ---- probability ---------------------------------------------------------------------


def rand_event(ctx: MsgContext) -> int:
    prob = state().words.get(PROB)
    return 1 if random.random() < prob / 100 else -1


def rand_set_prob(ctx: MsgContext, p: IntArg) -> int:
    n = _int(ctx, p, "rand_set_prob")
    if n is None or not 0 <= n <= 100:
        log.error("rand_set_prob: invalid probability <%s>", n)
        return -1
    state().words.set(PROB, n)
    return 1


def rand_reset_prob(ctx: MsgContext) -> int:
    w = state().words
    w.set(PROB, w.get(INITIAL_PROB))
    return 1


def rand_get_prob(ctx: MsgContext) -> int:
    return state().words.get(PROB)


# ---- global flags --------------------------------------------------------------------


def _flag(ctx: MsgContext, f: IntArg, fname: str) -> int | None:
    n = _int(ctx, f, fname)
    if n is None or not 0 <= n <= 31:
        log.error("%s: flag <%s> out of range [0..31]", fname, n)
        return None
    return n


def set_gflag(ctx: MsgContext, f: IntArg) -> int:
    n = _flag(ctx, f, "set_gflag")
    if n is None:
        return -1
    state().words.update(GFLAGS, set_bits=1 << n)
    return 1


def reset_gflag(ctx: MsgContext, f: IntArg) -> int:
    n = _flag(ctx, f, "reset_gflag")
    if n is None:
        return -1
    state().words.update(GFLAGS, clear_bits=1 << n)
    return 1


def is_gflag(ctx: MsgContext, f: IntArg) -> int:
    n = _flag(ctx, f, "is_gflag")
    if n is None:
        return -1
    return 1 if state().words.get(GFLAGS) & (1 << n) else -1


# ---- locks ---------------------------------------------------------------------------


def _lock_of(ctx: MsgContext, key: Arg, fname: str) -> Any:
    st = state()
    if st.locks is None:
        log.error("%s: no lock set (modparam lock_set_size)", fname)
        return None
    return st.locks.lock_at(st.lock_index(_s(ctx, key)))


def lock(ctx: MsgContext, key: Arg) -> int:
    lk = _lock_of(ctx, key, "lock")
    if lk is None:
        return -1
    lk.acquire()
    return 1


def trylock(ctx: MsgContext, key: Arg) -> int:
    lk = _lock_of(ctx, key, "trylock")
    if lk is None:
        return -1
    return 1 if lk.acquire(False) else -1


def unlock(ctx: MsgContext, key: Arg) -> int:
    lk = _lock_of(ctx, key, "unlock")
    if lk is None:
        return -1
    try:
        lk.release()
    except ValueError:
        log.error("unlock: the lock of [%s] is not held", _s(ctx, key))
    return 1


# ---- time, abort, hash ---------------------------------------------------------------


def sleep(ctx: MsgContext, t: IntArg) -> int:
    n = _int(ctx, t, "sleep")
    if n is None:
        return -1
    if n > 0:
        time.sleep(n)
    return 1


def usleep(ctx: MsgContext, t: IntArg) -> int:
    n = _int(ctx, t, "usleep")
    if n is None:
        return -1
    if n > 0:
        time.sleep(n / 1_000_000)
    return 1


def abort(ctx: MsgContext) -> int:
    log.critical("abort() called from the config: aborting process %d", os.getpid())
    os.abort()


def core_hash_fn(ctx: MsgContext, s1: Arg, s2: Arg, size: IntArg) -> int:
    bits = _int(ctx, size, "core_hash")
    if bits is None:
        return -1
    # a size below 1 counts as 1; C shifts by the count modulo 32 (size 32 -> 1 slot)
    mask = ((1 << (max(bits, 1) & 31)) - 1) & 0xFFFFFFFF
    h = core_hash(_s(ctx, s1), _s(ctx, s2)) & mask
    r = (h + 1) & 0xFFFFFFFF
    return r - (1 << 32) if r >= 1 << 31 else r


# ---- routes --------------------------------------------------------------------------


def _route(ctx: MsgContext, name: str) -> Any:
    compiled = ctx.script.compiled
    return compiled.subroutes.get(name) if compiled is not None else None


def check_route_exists(ctx: MsgContext, name: Arg) -> int:
    return 1 if _route(ctx, _s(ctx, name)) is not None else -1


def route_if_exists(ctx: MsgContext, name: Arg) -> int:
    fn = _route(ctx, _s(ctx, name))
    if fn is None:
        return -1
    return int(fn(ctx, 1))


# ---- the export table ----------------------------------------------------------------

# Kamailio 5.6.3's -c accepts every cfgutils function in every route type (its docs
# name fewer; tests/integration/test_mod_htable_check.py checks this)
_MAIN = RouteType.ANY


def _spec(
    name: str,
    func: Callable[..., int],
    fixes: Sequence[Any] = (),
    routes: RouteType = RouteType.ANY,
    doc: str = "",
) -> FunctionSpec:
    def fixup(args: Sequence[Any]) -> list[Any]:
        return [fixes[i](a) for i, a in enumerate(args)]

    kinds = tuple(ArgKind.INT if f is not _fix_str else ArgKind.STR for f in fixes)
    return FunctionSpec(
        name,
        func,
        (len(fixes),),
        kinds,
        route_types=routes,
        fixup=fixup if fixes else None,
        doc=doc,
    )


def function_specs() -> list[FunctionSpec]:
    prob = _fix_int(0, 100, "probability")
    flag = _fix_int(0, 31, "flag", pv=False)  # Kamailio: "bad number <$var(f)>"
    any_int = _fix_int()
    return [
        _spec("rand_event", rand_event, (), _MAIN, "true with the set probability"),
        _spec("rand_set_prob", rand_set_prob, (prob,), _MAIN, "set the probability (%)"),
        _spec("rand_reset_prob", rand_reset_prob, (), _MAIN, "back to initial_probability"),
        _spec("rand_get_prob", rand_get_prob, (), _MAIN, "the probability (0 ends the script)"),
        _spec("set_gflag", set_gflag, (flag,), _MAIN, "set a global flag"),
        _spec("reset_gflag", reset_gflag, (flag,), _MAIN, "reset a global flag"),
        _spec("is_gflag", is_gflag, (flag,), _MAIN, "test a global flag"),
        _spec("lock", lock, (_fix_str,), _MAIN, "lock the key's lock"),
        _spec("trylock", trylock, (_fix_str,), _MAIN, "lock the key's lock if free"),
        _spec("unlock", unlock, (_fix_str,), _MAIN, "unlock the key's lock"),
        _spec("sleep", sleep, (any_int,), doc="wait seconds"),
        _spec("usleep", usleep, (any_int,), doc="wait microseconds"),
        _spec("abort", abort, (), _MAIN, "abort the process"),
        _spec(
            "core_hash",
            core_hash_fn,
            (_fix_str, _fix_str, any_int),
            doc="Kamailio's core_hash over 2^size slots, plus 1",
        ),
        _spec("check_route_exists", check_route_exists, (_fix_str,), doc="route[name] exists"),
        _spec("route_if_exists", route_if_exists, (_fix_str,), doc="run route[name] if it exists"),
        _spec(
            "pkg_status",
            lambda ctx: mem.report(mem.pkg_lines, True),
            (),
            _MAIN,
            "log this process's memory (detailed)",
        ),
        _spec(
            "pkg_summary",
            lambda ctx: mem.report(mem.pkg_lines, False),
            doc="log this process's memory",
        ),
        _spec(
            "shm_status",
            lambda ctx: mem.report(mem.shm_lines, True),
            (),
            _MAIN,
            "log the shared state (detailed)",
        ),
        _spec(
            "shm_summary",
            lambda ctx: mem.report(mem.shm_lines, False),
            doc="log the shared state",
        ),
    ]
