"""cfgutils' shared state: global flags, the rand_event probability, the lock set.

`SharedWords` is a small anonymous shared memory map of 32-bit words, created when the
module is imported and filled by the module's init hook (main process, before the
workers fork), so every process reads and writes the same global flags and probability; read-modify-write updates (set_gflag,
reset_gflag) hold a process-shared lock. `STATE` is this server's instance; outside a
server (tests, an offline run) it is created on first use, in one process.

The lock set of lock()/trylock()/unlock() has 2^lock_set_size locks (a size outside
1..10 is brought into it; 0, the default, means no lock set: the functions then fail
with -1; both as Kamailio 5.6.3 behaves). A key picks its lock with Kamailio's core_hash(key) masked to the set size.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass

from siprouter.shared.locks import LockSet

from .htable_hash import core_hash

_WORD = struct.Struct("=I")
GFLAGS, PROB, INITIAL_PROB = 0, 1, 2


class SharedWords:
    """A few unsigned 32-bit words shared by the processes forked after creation."""

    def __init__(self, count: int) -> None:
        self._mem = mmap.mmap(-1, count * 4)
        self._lock = LockSet(1)

    def get(self, i: int) -> int:
        return int(_WORD.unpack_from(self._mem, i * 4)[0])

    def set(self, i: int, value: int) -> None:
        _WORD.pack_into(self._mem, i * 4, value & 0xFFFFFFFF)

    def update(self, i: int, set_bits: int = 0, clear_bits: int = 0) -> int:
        """Atomically set and clear bits of word i; the new value."""
        with self._lock.lock_at(0):
            v = (self.get(i) | set_bits) & ~clear_bits & 0xFFFFFFFF
            self.set(i, v)
            return v


@dataclass
class CfgutilsState:
    words: SharedWords
    locks: LockSet | None
    lock_bits: int

    def lock_index(self, key: str) -> int:
        return core_hash(key, None, 1 << self.lock_bits)


_STATE: list[CfgutilsState] = []

# Created when the module is imported (while the config loads, before any process is
# forked), so every process of the server shares the words, also the ones forked by a
# module initialised before cfgutils (htable's expiry timer).
_WORDS = SharedWords(3)
_WORDS.set(PROB, 10)
_WORDS.set(INITIAL_PROB, 10)


def create(
    initial_gflags: int = 0, initial_prob: int = 10, lock_set_size: int = 0
) -> CfgutilsState:
    """Set the shared state up (main process, before the fork)."""
    words = _WORDS
    words.set(GFLAGS, initial_gflags)
    words.set(PROB, initial_prob)
    words.set(INITIAL_PROB, initial_prob)
    bits = 0 if lock_set_size == 0 else min(max(lock_set_size, 1), 10)
    st = CfgutilsState(words, LockSet(1 << bits) if bits else None, bits)
    _STATE[:] = [st]
    return st


def state() -> CfgutilsState:
    """The state; a process that has none (outside a server, or forked before cfgutils'
    init) uses the shared words as they are, without a lock set."""
    if not _STATE:
        _STATE.append(CfgutilsState(_WORDS, None, 0))
    return _STATE[0]


def reset() -> None:
    _STATE.clear()
