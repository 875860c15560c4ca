"""SIP message framing on a byte stream (TCP), sans-I/O: bytes in, whole messages out.

`StreamFramer.feed(data)` appends to the connection's buffer and returns what became
complete, in order: the bytes of each whole SIP message, and `PING` for every CRLF CRLF
keep-alive seen between messages (RFC 5626: the caller answers it with one CRLF, the
"pong", when tcp_crlf_ping is on). As Kamailio 5.6.3 does:

* line ends (CR, LF) before a message are skipped; a CRLF CRLF there is a ping;
* the headers end at the first empty line (CRLF CRLF, or LF LF);
* the body is `Content-Length` bytes (also the compact form `l:`); a message without
  one is an error unless tcp_accept_no_cl is on (then the body is empty);
* a message longer than `max_size` (tcp_rd_buf_size), or unfinished headers filling
  that much, is an error ("buffer overrun").

An error raises `FramingError`; the connection is then unusable (the caller closes it):
the stream has no resynchronisation point.
"""

from __future__ import annotations

import re

PING = None  # the event for a CRLF CRLF keep-alive

_CL = re.compile(rb"(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)


class FramingError(Exception):
    """The stream cannot be framed into SIP messages; the connection must be closed."""


def _body_length(buf: bytearray, start: int, end: int, accept_no_cl: bool) -> int:
    """The Content-Length of the headers in buf[start:end]."""
    m = _CL.search(buf, start, end)
    if m is None:
        if accept_no_cl:
            return 0
        raise FramingError("no Content-Length header")
    text = m.group(1).strip()
    if not text.isdigit():
        raise FramingError(f"bad Content-Length {bytes(text).decode('latin-1')!r}")
    return int(text)


class StreamFramer:
    """The receive buffer of one connection and the framing state over it."""

    __slots__ = ("accept_no_cl", "buf", "max_size")

    def __init__(self, max_size: int = 16384, accept_no_cl: bool = False) -> None:
        self.max_size = max_size
        self.accept_no_cl = accept_no_cl
        self.buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes received and not yet part of a returned message."""
        return len(self.buf)

    def feed(self, data: bytes) -> list[bytes | None]:
        """Add received bytes; the messages (bytes) and pings (PING) now complete."""
        buf = self.buf
        buf += data
        out: list[bytes | None] = []
        pos = 0  # start of what is not returned yet; the buffer is compacted once
        n = len(buf)
        try:
            while pos < n:
                if buf[pos] in (13, 10):
                    skipped = self._skip_line_ends(pos, out)
                    if not skipped:
                        break  # a partial ping
                    pos += skipped
                    continue
                end = buf.find(b"\r\n\r\n", pos)
                sep = 4
                lf = buf.find(b"\n\n", pos, n if end < 0 else end)
                if lf >= 0:
                    end, sep = lf, 2
                if end < 0:
                    if n - pos >= self.max_size:
                        raise FramingError(f"buffer overrun: no end of headers in {n - pos} bytes")
                    break
                total = end + sep - pos + _body_length(buf, pos, end, self.accept_no_cl)
                if total > self.max_size:
                    raise FramingError(
                        f"buffer overrun: message of {total} bytes, the limit is {self.max_size}"
                    )
                if n - pos < total:
                    break
                out.append(bytes(buf[pos : pos + total]))
                pos += total
        finally:
            if pos:
                del buf[:pos]
        return out

    def _skip_line_ends(self, pos: int, out: list[bytes | None]) -> int:
        """Line ends at buf[pos:]: how many bytes to skip (pings added to `out`); 0 when
        only a partial ping is there."""
        buf = self.buf
        i = pos
        n = len(buf)
        while i < n and buf[i] in (13, 10):
            if buf.startswith(b"\r\n\r\n", i):
                out.append(PING)
                i += 4
                continue
            if n - i < 4 and b"\r\n\r\n".startswith(bytes(buf[i:])):
                break  # maybe the start of a ping: wait for the rest
            i += 1
        return i - pos
