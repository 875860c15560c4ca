"""textops functions reading the SDP body and adding a Date header.

* is_audio_on_hold(): for an application/sdp body, looks at every audio stream (m=audio):
  1 when one is on hold the RFC 2543 way (its connection address, media-level c= over
  session-level, is 0.0.0.0), else 2 when one is on hold the RFC 3264 way (a=sendonly
  or a=inactive, media-level over session-level), else -1. No body, another content
  type, or no audio stream: -1. (Checked against Kamailio 5.6.3.)
* append_time_to_request(): adds `Date: <RFC 1123 time, GMT>` right after the first Via
  header field (where Kamailio 5.6.3 puts it), even when a Date header exists; 1.
"""

from __future__ import annotations

import time

from siprouter.engine.context import MsgContext
from siprouter.sip import headers as H
from siprouter.sip.lumps import LumpError

from .textops_re import to_text
from .textops_str import log

RFC2543_HOLD = 1
RFC3264_HOLD = 2
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def _is_sdp(ctx: MsgContext) -> bool:
    raw = ctx.msg.header("Content-Type")
    if raw is None:
        return False
    return to_text(raw).split(";", 1)[0].strip().lower() == "application/sdp"


def _conn_addr(value: str) -> str:
    parts = value.split()
    return parts[2].split("/", 1)[0] if len(parts) >= 3 else ""


def audio_hold_state(body: str) -> int:
    """The hold verdict for an SDP body (see the module docstring)."""
    sess_c = ""
    sess_dir = "sendrecv"
    streams: list[list[str]] = []  # [media, c address or "", direction or ""]
    for line in body.replace("\r\n", "\n").split("\n"):
        if len(line) < 2 or line[1] != "=":
            continue
        key, value = line[0], line[2:].strip()
        cur = streams[-1] if streams else None
        if key == "m":
            streams.append([value.split(" ", 1)[0].lower(), "", ""])
        elif key == "c":
            if cur is None:
                sess_c = _conn_addr(value)
            else:
                cur[1] = _conn_addr(value)
        elif key == "a" and value.lower() in _DIRECTIONS:
            if cur is None:
                sess_dir = value.lower()
            else:
                cur[2] = value.lower()
    verdict = -1
    for media, c_addr, direction in streams:
        if media != "audio":
            continue
        if (c_addr or sess_c) == "0.0.0.0":
            return RFC2543_HOLD
        if (direction or sess_dir) in ("sendonly", "inactive"):
            verdict = RFC3264_HOLD
    return verdict


def is_audio_on_hold(ctx: MsgContext) -> int:
    body = ctx.msg.body
    if not body or not _is_sdp(ctx):
        return -1
    return audio_hold_state(to_text(body))


def append_time_to_request(ctx: MsgContext) -> int:
    via = [f for f in ctx.msg.header_fields if f.hid == H.VIA]
    if not via:
        log.error("append_time_to_request: no Via header")
        return -1
    line = time.strftime("Date: %a, %d %b %Y %H:%M:%S GMT\r\n", time.gmtime())
    try:
        ctx.changes.lumps.insert(via[0].end, line.encode(), what="append_time")
    except LumpError as e:
        log.error("append_time_to_request: %s", e)
        return -1
    return 1
