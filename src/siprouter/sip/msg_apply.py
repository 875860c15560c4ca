"""Message-aware changes: lumps addressed by header, and msg_apply_changes().

`MsgChanges` pairs a parsed `SipMessage` with its `LumpList` and offers
the script-level edits (add/remove headers, our Via, Record-Route, the
request URI, the body with its Content-Length, the received/rport fix of
the top Via) in terms of the message's header index.  `apply()` gives the
bytes to send; `apply_changes()` is Kamailio's ``msg_apply_changes()``: it
re-parses the changed bytes so the script sees the new message, with no
pending lumps.
"""

from __future__ import annotations

from . import headers as H
from .lumps import Lump, LumpList
from .message import HeaderField, SipMessage, parse_message
from .uri import SipUri
from .via import ViaFix, add_via_fix_lumps, via_fix

__all__ = ["MsgChanges", "apply_changes", "header_index"]


def header_index(msg: SipMessage) -> tuple[list[int], list[int]]:
    """Header ids and line start offsets of ``msg`` (plus one entry: the end of the last line).

    The parser's public ``header_ids`` / ``header_offsets()``: no per-header objects on the
    hot path. Both lists belong to the message: read only.
    """
    return msg.header_ids, msg.header_offsets()


def _line(text: bytes | str) -> bytes:
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    return text if text.endswith(b"\r\n") else text + b"\r\n"


class MsgChanges:
    """Pending changes of one message (``msg.data`` stays untouched until `apply`)."""

    __slots__ = ("_fields", "lumps", "msg")

    def __init__(self, msg: SipMessage) -> None:
        self.msg = msg
        self.lumps = LumpList(len(msg.data))
        self._fields: list[HeaderField] | None = None

    @property
    def fields(self) -> list[HeaderField]:
        f = self._fields
        if f is None:
            f = self._fields = self.msg.header_fields
        return f

    def find(self, name: str | bytes | int) -> list[HeaderField]:
        """Header fields called ``name`` (any case, compact or long form, or a header id)."""
        if isinstance(name, int):
            hid, raw = name, b""
        else:
            raw = name.encode() if isinstance(name, str) else name
            hid = H.lookup(raw)
        if hid:
            return [f for f in self.fields if f.hid == hid]
        low = raw.strip().lower().decode("utf-8", "surrogateescape")
        return [f for f in self.fields if f.hid == 0 and f.name.lower() == low]

    # ---------------------------------------------------------------- headers
    def add_header(
        self,
        line: bytes | str,
        *,
        before: HeaderField | None = None,
        after: HeaderField | None = None,
    ) -> Lump:
        """Add a header line before/after a given header, else at the end of the headers."""
        if before is not None and after is not None:
            raise ValueError("add_header: give 'before' or 'after', not both")
        if before is not None:
            offset = before.start
        elif after is not None:
            offset = after.end
        else:
            offset = self.msg.headers_end
        return self.lumps.add_header_at(offset, _line(line))

    def add_header_first(self, line: bytes | str) -> Lump:
        """Add a header line before the first header (Kamailio's insert_hf)."""
        return self.lumps.add_header_at(self.msg.headers_start, _line(line))

    def remove_header(self, field: HeaderField) -> Lump:
        """Remove one header line (by its index entry)."""
        return self.lumps.remove_span(field.start, field.end, what=f"remove header {field.name}")

    def remove_headers(self, name: str | bytes | int) -> int:
        """Remove every header called ``name``; returns how many were removed."""
        found = self.find(name)
        for f in found:
            self.remove_header(f)
        return len(found)

    def add_via(self, via_line: bytes) -> Lump:
        """Add our Via above the first Via (or before the first header when there is none)."""
        msg = self.msg
        hids = msg.header_ids
        offset = msg.header_start(hids.index(H.VIA)) if H.VIA in hids else msg.headers_start
        return self.lumps.add_via(offset, _line(via_line))

    def remove_top_via(self) -> Lump | None:
        """Remove the first via-parm (our own Via on a reply we forward), as Kamailio does:
        the whole line when it holds one Via, else up to the next via-parm on the line."""
        hids, starts = header_index(self.msg)
        if H.VIA not in hids:
            return None
        i = hids.index(H.VIA)
        vias = self.msg.parsed(i)
        if len(vias) == 1:
            return self.lumps.remove_span(starts[i], starts[i + 1], what="remove top Via")
        return self.lumps.delete(vias[0].start, vias[1].start, what="remove top Via")

    def add_record_route(self, rr_line: bytes | str) -> Lump:
        """Add a Record-Route line before the first header, as Kamailio's rr module does."""
        return self.lumps.add_record_route(self.msg.headers_start, _line(rr_line))

    def set_request_uri(self, uri: SipUri | bytes | str) -> Lump:
        """Replace the Request-URI in the request line."""
        msg = self.msg
        if not msg.is_request:
            raise ValueError("set_request_uri: the message is a reply")
        if isinstance(uri, SipUri):
            data = uri.to_bytes()
        elif isinstance(uri, str):
            data = uri.encode("utf-8", "surrogateescape")
        else:
            data = uri
        return self.lumps.set_request_uri(msg.ruri_start, msg.ruri_end, data)

    def set_body(self, body: bytes, content_type: bytes | str | None = None) -> None:
        """Replace the body, fixing Content-Length (added if missing) and optionally Content-Type."""
        msg = self.msg
        cl = self.find(H.CONTENT_LENGTH)
        span = (cl[0].value_start, cl[0].value_end) if cl else None
        self.lumps.set_body(msg.body_start, body, cl_value=span, headers_end=msg.headers_end)
        if content_type is not None:
            ct = content_type.encode() if isinstance(content_type, str) else content_type
            old = self.find(H.CONTENT_TYPE)
            if old:
                self.lumps.replace(
                    old[0].value_start, old[0].value_end, ct, what="set Content-Type"
                )
            else:
                self.lumps.insert(
                    msg.headers_end, b"Content-Type: " + ct + b"\r\n", what="add Content-Type"
                )

    def fix_top_via(self, src_ip: str, src_port: int, *, force_rport: bool = False) -> ViaFix:
        """Add received/rport to the top Via (RFC 3261 18.2.1, RFC 3581) as lumps."""
        via = self.msg.via1
        if via is None:
            return ViaFix(None, None)
        fix = via_fix(via, src_ip, src_port, force_rport=force_rport)
        add_via_fix_lumps(self.lumps, via, fix)
        return fix

    # ---------------------------------------------------------------- applying
    def apply(self) -> bytes:
        """The message bytes with all changes applied."""
        return self.lumps.apply(self.msg.data)

    def apply_changes(self) -> SipMessage:
        """msg_apply_changes(): the changed message, parsed again; this object then
        tracks the new message with no pending changes."""
        new = apply_changes(self.msg, self.lumps)
        self.msg = new
        self.lumps = LumpList(len(new.data))
        self._fields = None
        return new


def apply_changes(msg: SipMessage, lumps: LumpList) -> SipMessage:
    """Apply ``lumps`` to ``msg`` and parse the result (raises SipParseError if it is broken)."""
    if not lumps:
        return msg
    return parse_message(lumps.apply(msg.data), transport=msg.transport)
