"""The `cfgutils` module: probability, global flags, locks, delays, hashes and route
checks for the config, as Kamailio 5.6.3's cfgutils.

Functions: cfgutils_funcs.py (rand_event, rand_set_prob, rand_reset_prob, rand_get_prob,
set_gflag, reset_gflag, is_gflag, lock, trylock, unlock, sleep, usleep, abort,
core_hash, check_route_exists, route_if_exists) and cfgutils_mem.py (pkg_status,
pkg_summary, shm_status, shm_summary: Python process memory and the shared state, the
nearest honest equivalent of Kamailio's allocator reports). RPC commands:
cfgutils_rpc.py. Shared state (flags, probability, lock set): cfgutils_state.py.

Parameters (int unless said; a string value is refused, as Kamailio does):
* initial_probability (10): the rand_event probability at start-up, 0..100 (outside:
  start-up fails, as Kamailio's mod_init);
* initial_gflags (0): the global flags at start-up;
* lock_set_size (0): the lock set has 2^size locks (size brought into 1..10); 0: no
  lock set, and lock()/trylock()/unlock() return -1;
* hash_file (string): a file whose MD5 is taken at start-up (start-up fails when it
  cannot be read) for the cfgutils.get_config_hash / check_config_hash RPCs.

$RANDOM: a random integer in [0, 2^31).
"""

from __future__ import annotations

import random
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.modules.registry import ModuleExports, ParamSpec, ParamType, PVSpec, mark_dynamic
from siprouter.runtime import lifecycle

from . import cfgutils_rpc, cfgutils_state
from .cfgutils_funcs import function_specs


def init(lm: Any) -> None:
    """Create the shared flags, probability and lock set; hash hash_file."""
    prob = int(lm.param("initial_probability"))
    if not 0 <= prob <= 100:
        raise lifecycle.ModuleInitError(f"invalid probability <{prob}>")
    cfgutils_state.create(int(lm.param("initial_gflags")), prob, int(lm.param("lock_set_size")))
    cfgutils_rpc.CONFIG_HASH.clear()
    path = lm.param("hash_file")
    if path:
        try:
            digest = cfgutils_rpc.file_md5(path)
        except OSError as e:
            raise lifecycle.ModuleInitError(
                f"could not hash the config file {path}: {e.strerror or e}"
            ) from None
        cfgutils_rpc.CONFIG_HASH.update(path=path, md5=digest)


def child_init(lm: Any, rank: int) -> None:
    """A fresh random seed per process: forked workers would repeat one sequence."""
    random.seed()


def random_pv(ctx: MsgContext) -> int:
    """$RANDOM: a random integer in [0, 2^31)."""
    return random.randrange(1 << 31)


# Functions Kamailio 5.6.3's `-c` accepts with expression arguments (each value is fixed
# up per call, engine/call_args.py); verdicts from tools/probe_dynamic_args.py, pinned in
# tests/unit/modules/test_dynamic_args_table.py.
DYNAMIC_ARGS: dict[str, bool | tuple[int, ...]] = dict.fromkeys(
    ("lock", "trylock", "unlock", "sleep", "usleep", "check_route_exists", "route_if_exists"),
    True,
)

EXPORTS = ModuleExports.of(
    "cfgutils",
    functions=mark_dynamic(function_specs(), DYNAMIC_ARGS),
    params=[
        ParamSpec("initial_probability", ParamType.INT, 10, doc="rand_event probability (%)"),
        ParamSpec("initial_gflags", ParamType.INT, 0, doc="global flags at start-up"),
        ParamSpec("lock_set_size", ParamType.INT, 0, doc="2^size locks for lock()"),
        ParamSpec("hash_file", ParamType.STR, "", doc="file hashed (MD5) at start-up"),
    ],
    pvs=[PVSpec("RANDOM", random_pv, doc="random integer in [0, 2^31)")],
    rpcs=cfgutils_rpc.rpc_specs(),
    init=init,
    child_init=child_init,
)
