"""Process-shared lock sets: cfgutils lock()/unlock(), htable sht_lock().

A `LockSet` of 2^n locks is created in the main process before the workers fork (the
locks are POSIX semaphores in shared memory, from multiprocessing); a key picks its lock
by hash, as Kamailio's lock sets do, so two keys may share one lock. Locks are not
re-entrant: locking the same key twice in one process without unlocking blocks.
"""

from __future__ import annotations

import multiprocessing
import zlib
from typing import Any

_CTX = multiprocessing.get_context("fork")


class LockSet:
    """`size` process-shared locks (size rounded up to a power of two)."""

    def __init__(self, size: int) -> None:
        n = 1
        while n < max(1, size):
            n <<= 1
        self.mask = n - 1
        self._locks: list[Any] = [_CTX.Lock() for _ in range(n)]

    def __len__(self) -> int:
        return self.mask + 1

    def index(self, key: str | bytes) -> int:
        data = key.encode() if isinstance(key, str) else key
        return zlib.crc32(data) & self.mask

    def acquire(self, key: str | bytes, block: bool = True) -> bool:
        return bool(self._locks[self.index(key)].acquire(block))

    def release(self, key: str | bytes) -> bool:
        """Release the key's lock; False when it was not held."""
        try:
            self._locks[self.index(key)].release()
        except ValueError:
            return False
        return True

    def lock_at(self, index: int) -> Any:
        return self._locks[index & self.mask]
