"""Per-message work of the process-model experiments: the request the load generator
sends, and the server side "handle one message" step.

Two work kinds, chosen per run:
- ``fast``: plain bytes operations only — first line, Call-ID and CSeq found with
  ``find``/``split``, a ~400-byte 200 OK built from the copied Via/From/To/Call-ID/CSeq
  (what sl_send_reply does), joined once;
- ``siprouter``: the project's own parser and reply builder
  (``siprouter.sip.message.parse_message`` + ``siprouter.sip.reply.build_reply``).

``spin_us`` adds a busy loop per message standing in for a routing script.
Everything here is pure (no I/O) so every candidate runs the same code.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

GEN_HOST = "127.0.0.1"

# A typical OPTIONS ping (~430 bytes) as SIPp's uac_options or an SBC sends it.
REQUEST_TEMPLATE = (
    "OPTIONS sip:ping@{host}:{port} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {ghost}:{gport};branch=z9hG4bK-{cid}-{seq};rport\r\n"
    "Max-Forwards: 70\r\n"
    'From: "bench" <sip:bench@{ghost}:{gport}>;tag=bt{cid}\r\n'
    "To: <sip:ping@{host}:{port}>\r\n"
    "Call-ID: {cid}-pm@{ghost}\r\n"
    "CSeq: {seq} OPTIONS\r\n"
    "Contact: <sip:bench@{ghost}:{gport}>\r\n"
    "User-Agent: process-model-bench\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
)

SERVER_LINE = b"Server: siprouter process-model bench (Python)\r\n"
ALLOW_LINE = (
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
)


def make_request(host: str, port: int, gport: int, cid: int, seq: int) -> bytes:
    """One OPTIONS request; ``cid`` names the Call-ID, ``seq`` the CSeq number."""
    return REQUEST_TEMPLATE.format(
        host=host, port=port, ghost=GEN_HOST, gport=gport, cid=cid, seq=seq
    ).encode()


def callid_of(data: bytes) -> bytes:
    """The Call-ID value (long or compact form), b"" when absent. Bytes ops only."""
    i = data.find(b"\r\nCall-ID:")
    if i < 0:
        i = data.find(b"\r\ni:")
        if i < 0:
            return b""
        i += 4
    else:
        i += 10
    j = data.find(b"\r\n", i)
    return data[i:j].strip()


def owner_of(callid: bytes, n: int) -> int:
    """The worker owning a Call-ID: crc32 (stable across processes, unlike hash())."""
    return zlib.crc32(callid) % n


def cseq_of(data: bytes) -> int:
    """The CSeq number (used by the ordering analysis only)."""
    i = data.find(b"\r\nCSeq:")
    if i < 0:
        return -1
    j = data.find(b" ", i + 8)
    return int(data[i + 7 : j])


def _handle_fast(data: bytes, addr: tuple[str, int]) -> tuple[bytes, bytes]:
    head, _, _body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    first = lines[0]
    if first.startswith(b"SIP/2.0 "):
        # a reply: a proxy would forward it; here it is echoed with its status line
        status = int(first[8:11])
        out = [first, b"\r\n"]
        start = b"SIP/2.0 %d" % status
    else:
        _method, _uri, _ver = first.split(b" ", 2)
        out = [b"SIP/2.0 200 OK\r\n"]
        start = b""
    callid = b""
    for line in lines[1:]:
        c = line[:1].lower()
        if c == b"v" and line[:4].lower() == b"via:":
            if b";rport" in line and not start:
                line = line.replace(
                    b";rport", b";rport=%d;received=%s" % (addr[1], addr[0].encode()), 1
                )
            out.append(line)
            out.append(b"\r\n")
        elif c == b"f" and line[:5].lower() == b"from:":
            out.append(line)
            out.append(b"\r\n")
        elif c == b"t" and line[:3].lower() == b"to:":
            out.append(line)
            out.append(b";tag=ab12cd34ef56.0\r\n" if b";tag=" not in line else b"\r\n")
        elif c == b"c" and line[:8].lower() == b"call-id:":
            callid = line[8:].strip()
            out.append(line)
            out.append(b"\r\n")
        elif c == b"c" and line[:5].lower() == b"cseq:":
            out.append(line)
            out.append(b"\r\n")
    out.append(SERVER_LINE)
    out.append(ALLOW_LINE)
    out.append(b"Content-Length: 0\r\n\r\n")
    return b"".join(out), callid


def _handle_siprouter(data: bytes, addr: tuple[str, int]) -> tuple[bytes, bytes]:
    from siprouter.sip.message import parse_message
    from siprouter.sip.reply import build_reply

    msg = parse_message(data)
    cid = msg.callid or ""
    return build_reply(msg, 200, b"OK", src=addr), cid.encode()


def make_handler(kind: str, spin_us: float) -> Callable[[bytes, tuple[str, int]], bytes]:
    """The per-message work: returns the reply bytes for one received datagram."""
    base = _handle_fast if kind == "fast" else _handle_siprouter
    if kind == "siprouter":
        base(make_request("127.0.0.1", 5060, 5061, 1, 1), ("127.0.0.1", 5061))  # import now
    if spin_us <= 0:

        def handle(data: bytes, addr: tuple[str, int]) -> bytes:
            return base(data, addr)[0]

        return handle
    spin_ns = int(spin_us * 1000)
    clock = time.perf_counter_ns

    def handle_spin(data: bytes, addr: tuple[str, int]) -> bytes:
        end = clock() + spin_ns
        reply = base(data, addr)[0]
        while clock() < end:
            pass
        return reply

    return handle_spin
