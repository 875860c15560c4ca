"""Run a config's routes on one SIP message without the network (`--run-message`).

`siprouter -f kamailio.cfg --run-message msg.sip` loads and checks the config as `-c`
does, reads one SIP message from the file (bare LF line ends become CRLF; the body is
taken as it is, and Content-Length is not rewritten), and runs it the way a worker
would: request_route for a request, the core reply route for a reply. Nothing is
sent: what the routes would have sent is collected and printed instead:

* the route's return value, and whether the message was dropped;
* every reply and every forwarded request, with its destination and its bytes;
* the log lines of xlog/log/... (they also go to the log as usual: stderr here),
  after the config's log_prefix when it has one;
* the final R-URI, destination URI ($du), message flags and branches.

`--run-source=IP:PORT` sets where the message seems to come from (default
127.0.0.1:5060), `--run-proto=udp|tcp` the transport it came over (default udp). The
receiving address is the first listen address of the config or of `-l`, else
127.0.0.1:5060. This is the seed of a config unit-testing tool: the output is stable
text a test can compare.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.runtime.log_prefix import PREFIX, configure_offline
from siprouter.sip.message import parse_message

DEFAULT_SOURCE = ("127.0.0.1", 5060)


class OfflineError(Exception):
    """The message file or an option cannot be used; the message says why."""


@dataclass
class OfflineResult:
    """What the routes did with the message."""

    block: str  # "request_route", "reply_route", or "" when there is none
    rc: int | None
    dropped: bool
    sent: list[tuple[str, tuple[str, int], bytes]] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)
    ruri: str | None = None
    dst_uri: str | None = None
    flags: int = 0
    branches: list[str] = field(default_factory=list)
    reply_forwarded: bool | None = None  # replies: whether the core would forward it


def read_message(path: str) -> bytes:
    """The message in `path`, with bare LF line ends in the header part made CRLF."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise OfflineError(f"cannot read the message file {path}: {e.strerror or e}") from None
    if not data.strip():
        raise OfflineError(f"the message file {path} is empty")
    if b"\r\n" not in data:
        head, sep, body = data.partition(b"\n\n")
        data = head.replace(b"\n", b"\r\n") + (b"\r\n\r\n" + body if sep else b"\r\n\r\n")
    return data


def parse_address(text: str, what: str) -> tuple[str, int]:
    """IP:PORT (or [IPv6]:PORT)."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        value = int(port)
    except ValueError:
        raise OfflineError(f"{what}: IP:PORT expected, got {text!r}") from None
    if not sep or not 0 < value < 65536:
        raise OfflineError(f"{what}: IP:PORT expected, got {text!r}")
    return host, value


def receiving_address(loaded: Any, options: Any) -> tuple[str, int]:
    """The first concrete listen address of -l or the config, else 127.0.0.1:5060."""
    from siprouter.runtime.server import endpoints, listen_specs

    try:
        eps = endpoints(listen_specs(loaded.config, options), 5060)
    except Exception:  # an address that needs the network: use the default
        eps = []
    for ep in eps:
        if ep.ip not in ("0.0.0.0", "::"):
            return ep.ip, ep.port
    return "127.0.0.1", 5060


def run_message(
    loaded: Any,
    data: bytes,
    source: tuple[str, int] = DEFAULT_SOURCE,
    dest: tuple[str, int] = ("127.0.0.1", 5060),
    proto: str = "udp",
) -> OfflineResult:
    """Run the routes of `loaded` (cfg.loader.LoadedConfig) on one message."""
    if proto not in ("udp", "tcp"):
        raise OfflineError(f"--run-proto: udp or tcp expected, got {proto!r}")
    try:
        msg = parse_message(data)
    except Exception as e:
        raise OfflineError(f"the message does not parse: {e}") from None
    af = 6 if ":" in dest[0] else 4
    rcv = ReceiveInfo(source[0], source[1], dest[0], dest[1], proto, af)
    compiled = loaded.compiled
    ctx = MsgContext(msg, rcv, ScriptState(compiled=compiled))
    ctx.sent = []
    ctx.log = []
    configure_offline(loaded)  # log_prefix: the lines of this message carry it
    if PREFIX.on:
        PREFIX.begin(ctx)
    try:
        block, rc, forwarded = _route(compiled, msg, ctx)
    finally:
        PREFIX.end()
        PREFIX.configure(None)  # no prefix left for what this process does next
    return OfflineResult(
        block=block,
        rc=rc,
        dropped=ctx.dropped,
        sent=list(ctx.sent),
        log=list(ctx.log),
        ruri=ctx.new_uri if ctx.new_uri is not None else msg.ruri,
        dst_uri=ctx.dst_uri,
        flags=ctx.flags,
        branches=[b.uri for b in ctx.branches],
        reply_forwarded=forwarded,
    )


def _route(compiled: Any, msg: Any, ctx: MsgContext) -> tuple[str, int | None, bool | None]:
    """Run the block for the message: (block name, its return value, reply forwarded)."""
    block, rc, forwarded = "", None, None
    if msg.is_request:
        if compiled.get("request", "") is not None:
            block = "request_route"
            rc = compiled.run("request", "", ctx)
    else:
        for kind, name in (("reply", ""), ("onreply", ""), ("onreply", "0")):
            if compiled.get(kind, name) is not None:
                block = "reply_route"
                rc = compiled.run(kind, name, ctx)
                break
        forwarded = not (ctx.dropped or (rc is not None and rc <= 0 and not ctx.exited))
    return block, rc, forwarded


_LEVELS = {"-5": "ALERT", "-4": "BUG", "-3": "CRIT", "-2": "CRIT", "-1": "ERROR",
           "0": "WARNING", "1": "NOTICE", "2": "INFO", "3": "DEBUG"}  # fmt: skip


def _indent(data: bytes) -> list[str]:
    head, _sep, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = ["    " + line for line in head.split("\r\n")]
    lines.append("    ")  # the empty line ending the headers
    if body:
        lines.extend("    " + line for line in body.split("\r\n"))
    return lines


def format_result(r: OfflineResult) -> str:
    """The report printed by --run-message."""
    out = []
    if not r.block:
        out.append("no route block for this message")
    else:
        out.append(f"{r.block}: returned {r.rc}" + (" (dropped)" if r.dropped else ""))
    if r.reply_forwarded is not None:
        out.append(
            "the reply would be forwarded by its second Via"
            if r.reply_forwarded
            else "the reply would not be forwarded"
        )
    for kind, (host, port), data in r.sent:
        what = {"reply": "reply sent", "request": "request forwarded"}.get(kind, f"{kind} sent")
        out.append(f"{what} to {host}:{port}:")
        out.extend(_indent(data))
    if not r.sent:
        out.append("nothing sent")
    for level, text in r.log:
        out.append(f"log {_LEVELS.get(str(level), level)}: {text.rstrip()}")
    if r.ruri is not None:
        out.append(f"$ru: {r.ruri}")
    out.append(f"$du: {r.dst_uri if r.dst_uri is not None else '<null>'}")
    out.append(f"flags: {r.flags:#x}")
    for i, uri in enumerate(r.branches):
        out.append(f"branch {i + 1}: {uri}")
    return "\n".join(out) + "\n"
