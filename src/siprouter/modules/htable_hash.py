"""Kamailio's core string hashes, bit for bit: where htable puts a key and cfgutils core_hash.

`core_hash(s1, s2, size)` and `core_case_hash(s1, s2, size)` (the second folds A-Z to
lower case) give the values Kamailio 5.6.3 computes: the bytes are read four at a time
as big-endian words with C `char` semantics (signed on x86, so a byte >= 0x80 counts
as negative and spreads its sign bits into the word), each word mixed as `h += v ^ (v >> 3)`,
a 1..3 byte tail as one word, then the final fold `h + (h >> 11) + (h >> 13) + (h >> 23)`.
With `size` (a power of two) the result is masked to `size - 1`.

htable orders the items of a table by `core_case_hash(key) & (slots - 1)`, then by the
full hash: sht_print, htable.dump and the iterators list items in that order, so the
order here is Kamailio's (tests/unit/modules/test_htable_hash.py checks values printed
by Kamailio).
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(b: int) -> int:
    return b | 0x20 if 65 <= b <= 90 else b


def _update(h: int, data: bytes, icase: bool) -> int:
    vals = [_signed(_lower(b) if icase else b) for b in data]
    n = len(vals)
    i = 0
    while i <= n - 4:
        v = ((vals[i] << 24) + (vals[i + 1] << 16) + (vals[i + 2] << 8) + vals[i + 3]) & _MASK
        h = (h + (v ^ (v >> 3))) & _MASK
        i += 4
    v = 0
    for c in vals[i:]:
        v = (v << 8) + c
    v &= _MASK
    return (h + (v ^ (v >> 3))) & _MASK


def _finish(h: int) -> int:
    return ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & _MASK


def _bytes(s: str | bytes) -> bytes:
    return s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s


def core_hash(s1: str | bytes, s2: str | bytes | None = None, size: int = 0) -> int:
    """Kamailio's core_hash(); `size` 0 gives the full 32-bit value."""
    h = _update(0, _bytes(s1), False)
    if s2 is not None:
        h = _update(h, _bytes(s2), False)
    h = _finish(h)
    return h & (size - 1) if size else h


def core_case_hash(s1: str | bytes, s2: str | bytes | None = None, size: int = 0) -> int:
    """Kamailio's core_case_hash(): as core_hash with A-Z read as a-z."""
    h = _update(0, _bytes(s1), True)
    if s2 is not None:
        h = _update(h, _bytes(s2), True)
    h = _finish(h)
    return h & (size - 1) if size else h
