"""SIP parse errors: one exception type carrying a reason and the status a server should answer.

Every failure of the SIP parser (``parse_message``, ``frame_length``, lazily parsed header
forms, ``SipMessage.check_mandatory``) is a :class:`SipParseError`; no other exception type
leaves the parser for any input bytes. ``status`` is the suggested reply code (400 Bad
Request in most cases, 505 for an unsupported SIP version, 513 for an oversized message);
the core may answer with it or drop the message and run
``event_route[core:receive-parse-error]``.
"""

from __future__ import annotations


class SipParseError(ValueError):
    """A SIP message (or one header of it) could not be parsed.

    ``reason`` is a short human text (it names the header when one header is at fault),
    ``status`` the suggested SIP reply code, ``header`` the canonical header name or None,
    ``offset`` the byte offset in the message where the problem was seen, when known.
    """

    def __init__(
        self,
        reason: str,
        status: int = 400,
        *,
        header: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.header = header
        self.offset = offset

    def __repr__(self) -> str:
        return f"SipParseError({self.reason!r}, status={self.status})"

    @property
    def reason_phrase(self) -> str:
        """The standard reason phrase for ``status`` (for building the reply)."""
        return _PHRASES.get(self.status, "Bad Request")


_PHRASES = {
    400: "Bad Request",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    483: "Too Many Hops",
    505: "Version Not Supported",
    513: "Message Too Large",
}
