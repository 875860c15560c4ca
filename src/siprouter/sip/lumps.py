"""Lumps: changes to a received SIP message kept as edits of its original bytes.

Like Kamailio, we never re-serialize a message we forward.  Routing code
records *lumps* — insert bytes at an offset, delete a byte range, replace a
byte range — against the original buffer (``msg.data``); `LumpList.apply()`
copies the original once, splicing the edits in, when the message is sent.

Rules (tested in tests/unit/sip/test_lumps.py):

* Offsets are positions in the original buffer, ``0 <= offset <= len(data)``.
* Several insertions at one offset come out in the order they were added
  (``front=True`` puts one ahead of those already there).  A replacement's
  new bytes count as an insertion at its start, made when it was added.
* Insertions at the start of a deleted range come before it, insertions at
  its end after it; an insertion strictly inside a deleted range conflicts.
* Two deletions/replacements whose ranges overlap conflict, except that
  deleting exactly the same range twice (e.g. removing one header twice) is
  one deletion.  Conflicts raise `LumpConflictError` naming both changes,
  at the time the second change is added, so the error points at the
  script line that caused it; a message is never silently corrupted.

The helpers below build the usual changes from offsets: add/remove a header
line, add Via / Record-Route, set the request URI, replace the body and fix
(or add) Content-Length.  `msg_apply.py` has the message-aware versions.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = [
    "Lump",
    "LumpConflictError",
    "LumpError",
    "LumpList",
    "splice",
]


class LumpError(ValueError):
    """A lump with bad offsets (outside the buffer, or end before start)."""


class LumpConflictError(LumpError):
    """Two changes to the message overlap; ``first`` and ``second`` are the two lumps."""

    def __init__(self, first: Lump, second: Lump, why: str) -> None:
        super().__init__(
            f"conflicting message changes: {second.describe()} {why} {first.describe()}"
        )
        self.first = first
        self.second = second


class Lump:
    """One change: ``start == end`` is an insertion, else a deletion (``data`` None)
    or a replacement (``data`` the new bytes).  ``what`` names it in errors."""

    __slots__ = ("data", "end", "order", "start", "what")

    def __init__(self, start: int, end: int, data: bytes | None, order: int, what: str) -> None:
        self.start = start
        self.end = end
        self.data = data
        self.order = order
        self.what = what

    @property
    def is_insert(self) -> bool:
        return self.start == self.end

    def describe(self) -> str:
        if self.is_insert:
            kind = f"insert at {self.start}"
        elif self.data is None:
            kind = f"delete {self.start}..{self.end}"
        else:
            kind = f"replace {self.start}..{self.end}"
        return f"{self.what!r} ({kind})" if self.what else f"({kind})"

    def __repr__(self) -> str:
        return f"Lump{self.describe()}"


class LumpList:
    """The pending changes of one message.  ``size`` is the length of its buffer."""

    __slots__ = ("_front", "_inserts", "_ranges", "_seq", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._inserts: list[Lump] = []
        self._ranges: list[Lump] = []  # deletions and replacements
        self._seq = 0
        self._front = 0

    def __len__(self) -> int:
        return len(self._inserts) + len(self._ranges)

    def __bool__(self) -> bool:
        return bool(self._inserts) or bool(self._ranges)

    def __iter__(self) -> Iterator[Lump]:
        """All lumps in application order."""
        return iter(self._ordered())

    def clear(self) -> None:
        self._inserts.clear()
        self._ranges.clear()

    def _check_offset(self, off: int, what: str) -> None:
        if not 0 <= off <= self.size:
            raise LumpError(f"{what!r}: offset {off} outside the message (0..{self.size})")

    def _next_order(self, front: bool) -> int:
        if front:
            self._front -= 1
            return self._front
        self._seq += 1
        return self._seq

    # ------------------------------------------------------------ primitives
    def insert(self, offset: int, data: bytes, *, what: str = "", front: bool = False) -> Lump:
        """Insert ``data`` at ``offset`` of the original buffer."""
        self._check_offset(offset, what)
        lump = Lump(offset, offset, bytes(data), self._next_order(front), what)
        for r in self._ranges:
            if r.start < offset < r.end:
                raise LumpConflictError(r, lump, "falls inside")
        self._inserts.append(lump)
        return lump

    def delete(self, start: int, end: int, *, what: str = "") -> Lump:
        """Delete bytes ``start..end`` (end exclusive) of the original buffer."""
        return self._add_range(start, end, None, what)

    def replace(self, start: int, end: int, data: bytes, *, what: str = "") -> Lump:
        """Replace bytes ``start..end`` with ``data`` (``start == end`` is an insertion)."""
        if start == end:
            return self.insert(start, data, what=what)
        return self._add_range(start, end, bytes(data), what)

    def _add_range(self, start: int, end: int, data: bytes | None, what: str) -> Lump:
        self._check_offset(start, what)
        self._check_offset(end, what)
        if end <= start:
            raise LumpError(f"{what!r}: empty or reversed range {start}..{end}")
        lump = Lump(start, end, data, self._next_order(False), what)
        for r in self._ranges:
            if r.start < end and start < r.end:
                if data is None and r.data is None and r.start == start and r.end == end:
                    return r  # the same deletion twice is one deletion
                raise LumpConflictError(r, lump, "overlaps")
        for ins in self._inserts:
            if start < ins.start < end:
                raise LumpConflictError(ins, lump, "would swallow")
        self._ranges.append(lump)
        return lump

    # --------------------------------------------------------------- applying
    def _ordered(self) -> list[Lump]:
        # (position, kind, order): at one position insertions (kind 0) come before the
        # deletion that starts there (kind 1); among insertions, in the order added.
        # A replacement contributes its data as an insertion at its start.
        keyed = [(x.start, 0, x.order, x) for x in self._inserts]
        keyed += [(x.start, 0 if x.data is not None else 1, x.order, x) for x in self._ranges]
        keyed.sort(key=_sort_key)
        return [k[3] for k in keyed]

    def apply(self, data: bytes) -> bytes:
        """The buffer with every change applied (``data`` is not modified)."""
        if not self._inserts and not self._ranges:
            return data
        if len(data) != self.size:
            raise LumpError(f"lumps were made for {self.size} bytes, buffer has {len(data)}")
        inserts, ranges = self._inserts, self._ranges
        # the usual single change (our Via on a request, our Via off a reply): one splice
        if not ranges and len(inserts) == 1:
            x = inserts[0]
            return data[: x.start] + (x.data or b"") + data[x.start :]
        if not inserts and len(ranges) == 1:
            x = ranges[0]
            return data[: x.start] + (x.data or b"") + data[x.end :]
        out: list[bytes] = []
        pos = 0
        mv = memoryview(data)
        for lump in self._ordered():
            start = lump.start
            if start > pos:
                out.append(mv[pos:start])
            if lump.data:
                out.append(lump.data)
            if lump.end > pos:
                pos = lump.end
        out.append(mv[pos:])
        return b"".join(out)

    def delta(self) -> int:
        """How many bytes longer the changed message is than the original."""
        return sum(len(x.data or b"") - (x.end - x.start) for x in (*self._inserts, *self._ranges))

    # ---------------------------------------------------------------- helpers
    def add_header_at(
        self, offset: int, line: bytes, *, what: str = "", front: bool = False
    ) -> Lump:
        """Insert a whole header line (CRLF added when missing) at a line start ``offset``."""
        if not line.endswith(b"\r\n"):
            line += b"\r\n"
        return self.insert(offset, line, what=what or _hname(line), front=front)

    def remove_span(self, start: int, end: int, *, what: str = "") -> Lump:
        """Remove a header line ``start..end`` (end just after its CRLF)."""
        return self.delete(start, end, what=what or "remove header")

    def add_via(self, first_via_offset: int, via_line: bytes) -> Lump:
        """Add our Via above the first Via line.

        Kamailio adds its Via when sending, after the script's lumps, so a Record-Route
        added before the first header (which often is the first Via) comes out above it.
        """
        return self.add_header_at(first_via_offset, via_line, what="add Via")

    def add_record_route(self, offset: int, rr_line: bytes) -> Lump:
        """Add a Record-Route line at ``offset`` (Kamailio: before the first header)."""
        return self.add_header_at(offset, rr_line, what="add Record-Route")

    def set_request_uri(self, uri_start: int, uri_end: int, new_uri: bytes) -> Lump:
        """Replace the Request-URI of the request line."""
        return self.replace(uri_start, uri_end, new_uri, what="set request URI")

    def set_body(
        self,
        body_start: int,
        new_body: bytes,
        *,
        cl_value: tuple[int, int] | None,
        headers_end: int,
    ) -> None:
        """Replace the body (``body_start`` to the end) and fix Content-Length.

        ``cl_value`` is the byte span of the Content-Length value or None when
        the message has none; then ``Content-Length: N`` is added at
        ``headers_end`` (the offset of the empty line ending the headers).
        """
        saved = (list(self._inserts), list(self._ranges))
        try:
            if body_start < self.size:
                self.replace(body_start, self.size, new_body, what="set body")
            elif new_body:
                self.insert(body_start, new_body, what="set body")
            length = str(len(new_body)).encode()
            if cl_value is not None:
                self.replace(cl_value[0], cl_value[1], length, what="set Content-Length")
            else:
                self.insert(
                    headers_end, b"Content-Length: " + length + b"\r\n", what="add Content-Length"
                )
        except LumpError:
            self._inserts, self._ranges = saved  # all or nothing
            raise


def splice(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with ``edits`` (start, end, new bytes; ``start == end`` inserts) applied in
    one copy: what a `LumpList` holding them as insertions/replacements gives, for edits
    already in application order (by start; at one offset in the order they were made)
    that do not overlap. The stateless forward's hot path, without the lump objects."""
    out: list[bytes] = []
    pos = 0
    for start, end, new in edits:
        out.append(data[pos:start])
        out.append(new)
        pos = end if end > pos else pos
    out.append(data[pos:])
    return b"".join(out)


def _sort_key(k: tuple[int, int, int, Lump]) -> tuple[int, int, int]:
    return k[0], k[1], k[2]


def _hname(line: bytes) -> str:
    name = line.split(b":", 1)[0].strip()
    return "add header " + name.decode("latin-1")
