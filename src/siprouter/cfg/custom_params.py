"""Custom global parameters (`group.var = value desc "text"`): their declarations and
the store of their current values, shared by every process of the server.

* `declare(config)` records the config's declarations (the `-c` checker calls it when
  it has seen the whole config; the declared values are the defaults). It runs in the
  main process before the workers fork, so every worker knows them.
* Values changed at runtime (the cfg.* RPCs of modules/cfg_rpc.py, `set_value`) go to
  a `SharedMap` in the server's shared space (shared/kv.py), so a change made in one
  process is seen by all. Nothing is written until something changes: a process reads
  the declared value while the map holds none.
* `value(ctx, key)` is what `@cfg_get.group.var` / `$sel(cfg_get.group.var)` read. As
  Kamailio updates a worker's cfg values only between messages, a message takes the
  values once (kept in its module state): a change made while it is routed is seen
  from the next message on. A process keeps the values it read, tagged with a
  generation number shared in memory by every process; a change publishes a new
  number, so the shared database is read again only after a change.

The generation word is shared with the runtime values of the core and tcp cfg groups
(runtime/core_cfg.py): `GEN` is read by a process's per-message check, `publish_change()`
bumps it. `declare()` also records the core/tcp start values of the config
(cfg/core_cfg_vars.py). `parse_int` converts a string for an integer variable as
Kamailio does (leading blanks, a sign, digits; the result wrapped to 32 bits).

Names used by a select before the declarations are known (the checker meets route
blocks before the end of the config) are kept in `PENDING` and checked by
`check_pending()` once `declare()` ran.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siprouter.shared.kv import SharedMap
from siprouter.shared.locks import LockSet

from . import ast, core_cfg_vars

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

    from .errors import Pos

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_STATE_KEY = "cfg_custom"


@dataclass(frozen=True, slots=True)
class Declared:
    """One declared parameter: its default value (int or str) and description."""

    group: str
    name: str
    default: int | str
    desc: str | None

    @property
    def is_int(self) -> bool:
        return isinstance(self.default, int)


# "group.var" -> Declared, in declaration order; None until a config declared its own.
DECLARED: dict[str, Declared] | None = None
# (key, position or None) of names used before the declarations were known
PENDING: list[tuple[str, Pos | None]] = []
STORE = SharedMap("cfg_custom")
# The generation of the shared values, one word of memory shared with every process
# forked after this import (the config's checker imports this module in the main
# process, before the fork): a writer stores a value, then a new unique generation; a
# reader reads the generation, then the values, so a cache tagged with the generation
# is current while the word holds the same number. Writers bump it under a lock.
_GEN_MEM = mmap.mmap(-1, 8)
_GEN = memoryview(_GEN_MEM).cast("q")
GEN = _GEN  # the public name of the shared generation word (read-only for others)
_GEN_LOCK = LockSet(1)
_CACHE: list[Any] = [None, -1, None]  # (values, generation, declarations they are for)


def begin() -> None:
    """Forget the declarations: a new config is being checked."""
    global DECLARED
    DECLARED = None
    PENDING.clear()


def declare(config: ast.Config) -> None:
    """Record the config's custom parameters (the last declaration of a name wins)."""
    global DECLARED
    table: dict[str, Declared] = {}
    for c in config.custom_params:
        table[f"{c.group}.{c.name}"] = Declared(c.group, c.name, c.value.value, c.desc)
    DECLARED = table
    core_cfg_vars.declare(config)
    publish_change()  # every process's view of the values is out of date


def use(key: str, pos: Pos | None = None) -> None:
    """A select names `key`: ValueError when the declarations are known and lack it;
    kept for `check_pending` while they are not known yet."""
    if DECLARED is None:
        PENDING.append((key, pos))
    elif key not in DECLARED:
        raise ValueError(f"unknown custom parameter {key} (declare it: {key} = value)")


def check_pending() -> list[tuple[str, Pos | None]]:
    """The pending names that are not declared (and forget the pending list)."""
    table = DECLARED or {}
    bad = [(k, p) for k, p in PENDING if k not in table]
    PENDING.clear()
    return bad


def lookup(group: str, name: str) -> Declared | None:
    return (DECLARED or {}).get(f"{group}.{name}")


def groups() -> dict[str, list[Declared]]:
    """Declared parameters by group, in declaration order."""
    out: dict[str, list[Declared]] = {}
    for d in (DECLARED or {}).values():
        out.setdefault(d.group, []).append(d)
    return out


# ---- values ------------------------------------------------------------------------------


def current(key: str) -> int | str | None:
    """The value now (the shared one, else the declared one); None when not declared."""
    d = (DECLARED or {}).get(key)
    if d is None:
        return None
    v = STORE.get(key)
    return d.default if v is None else v


def _snapshot() -> dict[str, int | str]:
    """Every value now: the process's cache while the shared generation is unchanged,
    else read again (one query)."""
    gen = _GEN[0]
    values, cached_gen, decl = _CACHE
    if values is None or cached_gen != gen or decl is not DECLARED:
        values = {k: d.default for k, d in (DECLARED or {}).items()}
        if values:
            values.update((k, v) for k, v in STORE.items() if k in values and v is not None)
        _CACHE[:] = [values, gen, DECLARED]
    return values  # type: ignore[no-any-return]


def value(ctx: MsgContext, key: str) -> int | str | None:
    """The value for this message: the values are taken once per message, so a change
    made while a message is routed is seen from the next one."""
    state = ctx.module_state()
    snap = state.get(_STATE_KEY)
    if snap is None:
        snap = state[_STATE_KEY] = _snapshot()
    return snap.get(key)


def publish_change() -> None:
    """Publish a change: the next generation in the shared word."""
    _GEN_LOCK.acquire("gen")
    try:
        _GEN[0] += 1
    finally:
        _GEN_LOCK.release("gen")


def clamp_int(v: int) -> int:
    """An integer outside 32 bits, as Kamailio stores it (INT_MIN)."""
    return v if _INT_MIN <= v <= _INT_MAX else _INT_MIN


_BLANKS = " \t\n\v\f\r"


def parse_int(text: str) -> int:
    """A string set on an integer variable, as Kamailio 5.6.3 converts it: leading
    blanks, an optional sign, decimal digits and nothing after them ("\t3", "+3",
    "007"; not "3 ", "", "0x10"); a number beyond 32 bits keeps its low 32 bits (as a
    C long cast to int). ValueError when it is not a number."""
    body = text.lstrip(_BLANKS)
    digits = body[1:] if body[:1] in "+-" else body
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a number: {text!r}")
    n = max(-(2**63), min(2**63 - 1, int(body, 10)))  # strtol saturates
    n &= 0xFFFFFFFF
    return n - 2**32 if n > _INT_MAX else n


def set_value(group: str, name: str, new: int | str) -> None:
    """Change a parameter for every process; ValueError when it is not declared or a
    string for an integer parameter is not a number."""
    d = lookup(group, name)
    if d is None:
        raise ValueError(f"unknown custom parameter {group}.{name}")
    if d.is_int:
        if isinstance(new, str):
            try:
                new = parse_int(new)
            except ValueError:
                raise ValueError(f"{group}.{name} is an integer: {new!r}") from None
        stored: int | str = clamp_int(new)
    else:
        stored = str(new)
    STORE.set(f"{group}.{name}", stored)
    publish_change()


def reset_values() -> None:
    """Back to the declared values (tests; cfg reload)."""
    for key in STORE.names():
        STORE.delete(key)
    publish_change()
