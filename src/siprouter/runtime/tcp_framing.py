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


def _body_length(head: bytes, accept_no_cl: bool) -> int:
    m = _CL.search(head)
    if m is None:
        if accept_no_cl:
            return 0
        raise FramingError("no Content-Length header")
    text = m.group(1).strip()
    if not text.isdigit():
        raise FramingError(f"bad Content-Length {text.decode('latin-1')!r}")
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
        while buf:
            skipped = self._skip_line_ends(out)
            if skipped:
                del buf[:skipped]
                continue
            end = buf.find(b"\r\n\r\n")
            sep = 4
            lf = buf.find(b"\n\n")
            if lf >= 0 and (end < 0 or lf < end):
                end, sep = lf, 2
            if end < 0:
                if len(buf) >= self.max_size:
                    raise FramingError(f"buffer overrun: no end of headers in {len(buf)} bytes")
                break
            head_len = end + sep
            total = head_len + _body_length(bytes(buf[:end]), self.accept_no_cl)
            if total > self.max_size:
                raise FramingError(
                    f"buffer overrun: message of {total} bytes, the limit is {self.max_size}"
                )
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
        return out

    def _skip_line_ends(self, out: list[bytes | None]) -> int:
        """Line ends at the start of the buffer: how many bytes to drop (pings added to
        `out`); 0 when the buffer starts with something else or only a partial ping."""
        buf = self.buf
        i = 0
        n = len(buf)
        while i < n and buf[i] in (13, 10):
            if buf.startswith(b"\r\n\r\n", i):
                out.append(PING)
                i += 4
                continue
            if n - i < 4 and b"\r\n\r\n".startswith(bytes(buf[i:])):
                break  # maybe the start of a ping: wait for the rest
            i += 1
        return i
