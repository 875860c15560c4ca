"""Property test: LumpList.apply agrees with a byte-by-byte reference model of the rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from siprouter.sip.lumps import LumpConflictError, LumpList

DATA = b"abcdefghijklmnopqrst"
N = len(DATA)

op = st.one_of(
    st.tuples(st.just("ins"), st.integers(0, N), st.binary(min_size=1, max_size=3), st.booleans()),
    st.tuples(st.just("del"), st.integers(0, N - 1), st.integers(1, 5), st.none()),
    st.tuples(st.just("rep"), st.integers(0, N - 1), st.integers(1, 5), st.binary(max_size=3)),
)


def reference(kept: list[tuple[str, int, int, bytes | None, int]]) -> bytes:
    """Emit, for each position, its insertions (by order) and then the byte unless deleted."""
    deleted = set()
    inserts: dict[int, list[tuple[int, bytes]]] = {}
    for kind, start, end, data, order in kept:
        if kind == "ins":
            inserts.setdefault(start, []).append((order, data or b""))
        else:
            deleted.update(range(start, end))
            if data:
                inserts.setdefault(start, []).append((order, data))
    out = bytearray()
    for pos in range(N + 1):
        for _, data in sorted(inserts.get(pos, [])):
            out += data
        if pos < N and pos not in deleted:
            out.append(DATA[pos])
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(op, max_size=8))
def test_apply_matches_reference(ops: list[tuple]) -> None:
    ll = LumpList(N)
    kept: list[tuple[str, int, int, bytes | None, int]] = []
    ranges: list[tuple[int, int, bytes | None]] = []
    for kind, a, b, c in ops:
        try:
            if kind == "ins":
                lump = ll.insert(a, b, front=c)
                kept.append(("ins", a, a, b, lump.order))
            elif kind == "del":
                end = min(a + b, N)
                duplicate = (a, end, None) in ranges
                lump = ll.delete(a, end)
                if not duplicate:
                    kept.append(("del", a, end, None, lump.order))
                    ranges.append((a, end, None))
            else:
                end = min(a + b, N)
                lump = ll.replace(a, end, c)
                kept.append(("rep", a, end, c, lump.order))
                ranges.append((a, end, c))
        except LumpConflictError as exc:
            # a conflict must be real: overlapping ranges or an insertion strictly inside one
            first, second = exc.first, exc.second
            if first.is_insert or second.is_insert:
                ins, rng = (first, second) if first.is_insert else (second, first)
                assert rng.start < ins.start < rng.end
            else:
                assert first.start < second.end and second.start < first.end
    assert ll.apply(DATA) == reference(kept)
