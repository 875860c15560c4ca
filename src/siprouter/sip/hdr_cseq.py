"""Parsed CSeq header (RFC 3261 section 20.16): sequence number and method."""

from __future__ import annotations

import re

from .errors import SipParseError

_CSEQ_RE = re.compile(rb"[ \t\r\n]*([0-9]+)[ \t\r\n]+([A-Za-z0-9.!%*_+`'~-]+)[ \t\r\n]*\Z")


class CSeq:
    """``CSeq: 314159 INVITE`` -> ``CSeq(num=314159, method="INVITE")``."""

    __slots__ = ("method", "num")

    def __init__(self, num: int, method: str) -> None:
        self.num = num
        self.method = method

    def __repr__(self) -> str:
        return f"CSeq({self.num}, {self.method!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CSeq) and other.num == self.num and other.method == self.method

    def __hash__(self) -> int:
        return hash((self.num, self.method))


def parse_cseq(data: bytes, start: int, end: int) -> CSeq:
    """Parse data[start:end] as a CSeq value; the number must fit in 32 bits unsigned."""
    m = _CSEQ_RE.match(data, start, end)
    if m is None:
        raise SipParseError(
            f"bad CSeq {data[start:end][:40].decode('utf-8', 'surrogateescape')!r}",
            offset=start,
        )
    num_b = m.group(1)
    if len(num_b) > 10 or int(num_b) > 0xFFFFFFFF:
        raise SipParseError(f"CSeq number {num_b[:20].decode()} out of range", offset=start)
    return CSeq(int(num_b), m.group(2).decode())
