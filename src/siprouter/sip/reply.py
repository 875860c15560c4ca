"""Building a local reply to a request (what sl_send_reply sends), as bytes.

The layout follows Kamailio 5.6.3's stateless replies, checked byte for byte
against the installed binary (tests/unit/sip/test_reply_kamailio.py):

    SIP/2.0 <code> <reason>
    <request headers, in request order, as written: every Via line (the top
     Via with received/rport), Record-Route lines when 180 <= code < 300,
     From, To (+ ";tag=..." when the To has no tag and code >= 180), Call-ID,
     CSeq>
    <extra headers (append_to_reply), then Content-Type when a body is set>
    Server: ...                      (server_header / server_signature)
    Content-Length: <len(body)>
    Warning: 392 ...                 (sip_warning=1, "noisy feedback")
    <empty line><body>

The To tag is ``<prefix>.<crc32 of the first Via, From, Call-ID and CSeq lines>``:
the same for every retransmission of a request, and the fixed prefix lets
the sl layer recognise ACKs to its own replies (`is_local_to_tag`).
"""

from __future__ import annotations

import hashlib
import os
import platform
import zlib

from siprouter import __version__

from . import headers as H
from .message import SipMessage
from .msg_apply import header_index
from .via import reply_via1_fix_edits

__all__ = [
    "DEFAULT_SERVER_HEADER",
    "SL_TAG_PREFIX",
    "SipWarning",
    "build_reply",
    "is_local_to_tag",
    "server_header_line",
    "sl_to_tag",
]


def _default_server_header() -> bytes:
    machine = platform.machine().lower() or "unknown"
    system = platform.system().lower() or "unknown"
    return f"Server: siprouter ({__version__} ({machine}/{system}))".encode()


#: the Server header of local replies unless server_header is set (like Kamailio's signature)
DEFAULT_SERVER_HEADER: bytes = _default_server_header()

#: fixed first part of the To tags of our stateless replies (32 hex digits, like Kamailio's)
SL_TAG_PREFIX: str = hashlib.md5(b"siprouter stateless reply", usedforsecurity=False).hexdigest()

_COPY_ALWAYS = frozenset({H.VIA, H.FROM, H.TO, H.CALL_ID, H.CSEQ})
_COPY_DIALOG = _COPY_ALWAYS | {H.RECORD_ROUTE}
_STATUS_LINES: dict[tuple[int, bytes | str], bytes] = {}
#: server_header -> its line + "Content-Length: 0" + the empty line (replies without a body)
_EMPTY_TAILS: dict[bytes | None, bytes] = {}
_WS = frozenset(b" \t\r\n")


def server_header_line(server_header: str | bytes | None, server_signature: bool) -> bytes | None:
    """The Server line for the core parameters: None when server_signature is off
    (which also silences a custom server_header, as in Kamailio)."""
    if not server_signature:
        return None
    if server_header is None or server_header == "" or server_header == b"":
        return DEFAULT_SERVER_HEADER
    if isinstance(server_header, str):
        return server_header.encode("utf-8", "surrogateescape")
    return server_header


class SipWarning:
    """What the sip_warning=1 "noisy feedback" Warning header reports."""

    __slots__ = ("local_ip", "local_port", "out_uri", "pid", "src_ip", "src_port")

    def __init__(
        self,
        local_ip: str,
        local_port: int,
        src_ip: str,
        src_port: int,
        *,
        out_uri: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.local_ip = local_ip
        self.local_port = local_port
        self.src_ip = src_ip
        self.src_port = src_port
        self.out_uri = out_uri
        self.pid = pid

    def line(self, req: SipMessage, via_count: int) -> bytes:
        host = f"[{self.local_ip}]" if ":" in self.local_ip else self.local_ip
        in_uri = req.ruri or ""
        out_uri = self.out_uri if self.out_uri is not None else in_uri
        pid = self.pid if self.pid is not None else os.getpid()
        text = (
            f'Warning: 392 {host}:{self.local_port} "Noisy feedback tells:  pid={pid} '
            f"req_src_ip={self.src_ip} req_src_port={self.src_port} in_uri={in_uri} "
            f'out_uri={out_uri} via_cnt=={via_count}"\r\n'
        )
        return text.encode("utf-8", "surrogateescape")


_TAG_SOURCES = (H.VIA, H.FROM, H.CALL_ID, H.CSEQ)
_VIA = H.VIA
_TO = H.TO


def sl_to_tag(req: SipMessage, prefix: str = SL_TAG_PREFIX) -> str:
    """The To tag of a stateless reply: ``prefix.<8 hex>``, stable across retransmissions.

    The suffix is a CRC-32 of the first Via, From, Call-ID and CSeq header lines as written.
    """
    hids, starts = header_index(req)
    return _tag(req.data, hids, starts, prefix)


def _tag(data: bytes, hids: list[int], starts: list[int], prefix: str) -> str:
    crc = 0
    crc32 = zlib.crc32
    for hid in _TAG_SOURCES:
        try:
            i = hids.index(hid)  # one scan; a missing header is rare
        except ValueError:
            continue
        crc = crc32(data[starts[i] : starts[i + 1]], crc)
    return f"{prefix}.{crc:08x}"


def is_local_to_tag(tag: str | None, prefix: str = SL_TAG_PREFIX) -> bool:
    """True when ``tag`` was made by `sl_to_tag` with ``prefix`` (an ACK to our reply)."""
    return tag is not None and tag.startswith(prefix) and tag[len(prefix) : len(prefix) + 1] == "."


def _status_line(code: int, reason: bytes | str) -> bytes:
    """The status line; cached by (code, reason as given: str or bytes)."""
    key = (code, reason)
    line = _STATUS_LINES.get(key)
    if line is None:
        if not 100 <= code <= 699:
            raise ValueError(f"reply code {code} is not in 100..699")
        raw = reason.encode("utf-8", "surrogateescape") if isinstance(reason, str) else reason
        if b"\r" in raw or b"\n" in raw:
            raise ValueError("reply reason must not contain CR or LF")
        line = b"SIP/2.0 %d %s\r\n" % (code, raw)
        if len(_STATUS_LINES) < 1024:
            _STATUS_LINES[key] = line
    return line


def build_reply(
    req: SipMessage,
    code: int,
    reason: bytes | str,
    *,
    to_tag: bytes | str | None = None,
    extra_headers: bytes = b"",
    body: bytes = b"",
    content_type: bytes | str | None = None,
    server_header: bytes | None = DEFAULT_SERVER_HEADER,
    sip_warning: SipWarning | None = None,
    src: tuple[str, int] | None = None,
    force_rport: bool = False,
    tag_prefix: str = SL_TAG_PREFIX,
    via1_params: bytes = b"",
    via1_edits: list[tuple[int, int, bytes]] | None = None,
) -> bytes:
    """The bytes of a reply ``code reason`` to request ``req``.

    ``src`` is the request's source (ip, port): with it the top Via gets
    received/rport as for any received request (``force_rport`` adds rport).
    ``to_tag`` is used when the request's To has no tag and code >= 180;
    when None a stable tag is derived from the request (`sl_to_tag`).
    ``extra_headers`` are whole header lines (CRLF-terminated) added after
    the copied ones; ``server_header`` None means no Server header.
    ``via1_params`` (";a=1") is appended to the top Via body, after received/rport
    (needs ``src``). ``via1_edits`` are the received/rport edits of the top Via when the
    caller has them already (``via.reply_via1_fix(req.via1, *src, ...)[0]``; needs ``src``).
    """
    if not req.is_request:
        raise ValueError("build_reply: the message is a reply, not a request")
    data = req.data
    out = [_status_line(code, reason)]
    append = out.append
    copy = _COPY_DIALOG if 180 <= code < 300 else _COPY_ALWAYS
    hids = req.header_ids
    starts = req.header_offsets()
    first_via = src is not None
    tag_to = code >= 180
    # copied header lines that follow each other in the request go out as one slice
    run_start = run_end = 0
    for i, hid in enumerate(hids):
        if hid not in copy:
            continue
        start = starts[i]
        end = starts[i + 1]
        if first_via and hid == _VIA:
            first_via = False
            via = req.via1
            if via is not None:
                assert src is not None
                edits = via1_edits
                if edits is None:
                    edits = reply_via1_fix_edits(via, src[0], src[1], force_rport=force_rport)
                if via1_params:
                    edits = [*edits, (via.end, via.end, via1_params)]
                if edits:
                    if run_end > run_start:
                        append(data[run_start:run_end])
                    pos = start
                    for s, e, new in edits:
                        append(data[pos:s])
                        append(new)
                        pos = e
                    run_start, run_end = pos, end
                    continue
        elif tag_to and hid == _TO:
            tag_to = False
            to = req.to
            if to is not None and not to.tag:
                tag = to_tag if to_tag is not None else _tag(data, hids, starts, tag_prefix)
                if isinstance(tag, str):
                    tag = tag.encode("utf-8", "surrogateescape")
                vend = end
                while vend > start and data[vend - 1] in _WS:
                    vend -= 1
                if run_end == start:
                    append(data[run_start:vend])
                else:
                    if run_end > run_start:
                        append(data[run_start:run_end])
                    append(data[start:vend])
                append(b";tag=" + tag)
                run_start, run_end = vend, end
                continue
        if run_end != start:
            if run_end > run_start:
                append(data[run_start:run_end])
            run_start = start
        run_end = end
    if run_end > run_start:
        append(data[run_start:run_end])
    if extra_headers:
        out.append(extra_headers if extra_headers.endswith(b"\n") else extra_headers + b"\r\n")
    if content_type is not None:
        if isinstance(content_type, str):
            content_type = content_type.encode()
        out.append(b"Content-Type: " + content_type + b"\r\n")
    if not body and sip_warning is None:
        # the usual end (Server, Content-Length: 0, empty line) as one precomputed piece
        tail = _EMPTY_TAILS.get(server_header)
        if tail is None:
            tail = (
                server_header + b"\r\n" if server_header else b""
            ) + b"Content-Length: 0\r\n\r\n"
            if len(_EMPTY_TAILS) < 64:
                _EMPTY_TAILS[server_header] = tail
        out.append(tail)
        return b"".join(out)
    if server_header:
        out.append(server_header + b"\r\n")
    out.append(b"Content-Length: %d\r\n" % len(body))
    if sip_warning is not None:
        out.append(sip_warning.line(req, hids.count(_VIA)))
    out.append(b"\r\n")
    if body:
        out.append(body)
    return b"".join(out)
