"""The HAProxy PROXY protocol header (v1 text, v2 binary) at the start of a TCP
connection, sans-I/O (tcp_accept_haproxy).

`parse_proxy_header(buf)` returns None while more bytes are needed, else a
`ProxyHeader` with the number of bytes the header took and the addresses it carries:
the client's (which become $si/$sp) and the one it connected to. A v1 `UNKNOWN` or a v2
`LOCAL` command carries none (the connection's own addresses stay). A connection that
does not start with either signature has no header (length 0): Kamailio 5.6.3 serves it
as a plain connection although its documentation says it is refused. A header that
starts as PROXY but is malformed raises `ProxyError` (the connection is closed).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_MAX = 107  # the longest v1 line, CRLF included


class ProxyError(Exception):
    """The connection does not start with a valid PROXY protocol header."""


@dataclass(frozen=True, slots=True)
class ProxyHeader:
    length: int  # bytes taken by the header
    src: tuple[str, int] | None  # the proxied client, None for UNKNOWN / LOCAL
    dst: tuple[str, int] | None


def parse_proxy_header(buf: bytes) -> ProxyHeader | None:
    """The PROXY header at the start of `buf`; None when it is not complete yet."""
    if buf[: len(V2_SIGNATURE)] == V2_SIGNATURE[: len(buf)]:
        return _v2(buf) if len(buf) >= 16 else None
    if b"PROXY "[: len(buf)] == buf[:6]:
        return _v1(buf) if len(buf) >= 6 else None
    return ProxyHeader(0, None, None)  # no PROXY header: a plain connection


def _port(text: bytes) -> int:
    if not text.isdigit() or (len(text) > 1 and text.startswith(b"0")):
        raise ProxyError(f"bad port {text!r}")
    port = int(text)
    if port > 65535:
        raise ProxyError(f"bad port {port}")
    return port


def _v1(buf: bytes) -> ProxyHeader | None:
    end = buf.find(b"\r\n", 0, V1_MAX)
    if end < 0:
        if len(buf) >= V1_MAX:
            raise ProxyError("PROXY v1 line too long")
        return None
    parts = buf[:end].split(b" ")
    if len(parts) >= 2 and parts[1] == b"UNKNOWN":
        return ProxyHeader(end + 2, None, None)
    if len(parts) != 6 or parts[1] not in (b"TCP4", b"TCP6"):
        raise ProxyError("bad PROXY v1 line")
    version = 4 if parts[1] == b"TCP4" else 6
    try:
        src_ip = ipaddress.ip_address(parts[2].decode("ascii"))
        dst_ip = ipaddress.ip_address(parts[3].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise ProxyError("bad address in PROXY v1 line") from None
    if src_ip.version != version or dst_ip.version != version:
        raise ProxyError("PROXY v1 address family mismatch")
    return ProxyHeader(end + 2, (str(src_ip), _port(parts[4])), (str(dst_ip), _port(parts[5])))


_V2_HEAD = struct.Struct("!12sBBH")


def _v2(buf: bytes) -> ProxyHeader | None:
    _sig, ver_cmd, fam, length = _V2_HEAD.unpack_from(buf)
    if ver_cmd >> 4 != 2:
        raise ProxyError(f"PROXY v2: bad version {ver_cmd >> 4}")
    total = 16 + length
    if len(buf) < total:
        return None
    cmd = ver_cmd & 0x0F
    if cmd == 0:  # LOCAL: a health check of the proxy itself
        return ProxyHeader(total, None, None)
    if cmd != 1:
        raise ProxyError(f"PROXY v2: bad command {cmd}")
    family, proto = fam >> 4, fam & 0x0F
    if proto != 1 and family in (1, 2):  # only STREAM is TCP
        raise ProxyError("PROXY v2: not a TCP connection")
    body = buf[16:total]
    if family == 1:
        if length < 12:
            raise ProxyError("PROXY v2: short IPv4 address block")
        src, dst = body[0:4], body[4:8]
        sport, dport = struct.unpack_from("!HH", body, 8)
        af = socket.AF_INET
    elif family == 2:
        if length < 36:
            raise ProxyError("PROXY v2: short IPv6 address block")
        src, dst = body[0:16], body[16:32]
        sport, dport = struct.unpack_from("!HH", body, 32)
        af = socket.AF_INET6
    elif family == 0:  # UNSPEC
        return ProxyHeader(total, None, None)
    else:
        raise ProxyError(f"PROXY v2: unsupported address family {family}")
    return ProxyHeader(
        total,
        (socket.inet_ntop(af, src), sport),
        (socket.inet_ntop(af, dst), dport),
    )


def proxy_v1(src: tuple[str, int], dst: tuple[str, int]) -> bytes:
    """A v1 header line (for tests and tools)."""
    fam = "TCP6" if ":" in src[0] else "TCP4"
    return f"PROXY {fam} {src[0]} {dst[0]} {src[1]} {dst[1]}\r\n".encode()


def proxy_v2(src: tuple[str, int], dst: tuple[str, int]) -> bytes:
    """A v2 PROXY header (for tests and tools)."""
    v6 = ":" in src[0]
    af = socket.AF_INET6 if v6 else socket.AF_INET
    addrs = socket.inet_pton(af, src[0]) + socket.inet_pton(af, dst[0])
    body = addrs + struct.pack("!HH", src[1], dst[1])
    fam = 0x21 if v6 else 0x11
    return V2_SIGNATURE + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body
