"""Differential harness: play the same case file to Kamailio 5.6.3 and to siprouter.

A case file (TOML, under tests/compat/cases/) holds one kamailio.cfg text and a list of
cases. For a file, `ServerPair.start()` runs both servers once (`-DD -E -n 1`, each on its
own free loopback UDP port, with its own client socket and "next hop" socket); every case
of the file is then played to both with `ServerPair.play(case)`, which returns the
normalised observation of each side; `diff()` renders the difference readably.

A case sends one or more requests (raw SIP text or built from a template). After each
request the harness sends a *sync* OPTIONS (`sip:compat-sync@...`, answered by a handler
inserted at the top of request_route) and reads until its reply: whatever the client got
before it is the case's answer, and the next hop socket holds what was forwarded. This
makes "no reply" (drop, exit) observable without sleeping. With `nexthop_reply` set the
next hop answers each forwarded request (Via/From/To/Call-ID/CSeq copied, To tag added)
and the reply the server forwards back is observed by the client the same way.

Observations are normalised so that only behaviour differences remain: ports become
@PORT@/@NEXTHOP@/@CLIENT@, Via branches and tags the harness did not send itself become
`z9hG4bK-BRANCH` and `;tag=TAG`, Server and User-Agent values `AGENT`. See docs/compat.md.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"
KAMAILIO = shutil.which("kamailio")
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
RECV_TIMEOUT = 5.0

SYNC_HANDLER = (
    '\n    if (uri =~ "^sip:compat-sync@") { sl_send_reply("200", "compat sync"); exit; }\n'
)
_MAIN_ROUTE = re.compile(r"\b(?:request_route|route)\s*\{")
_COMPACT = {
    "v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
    "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding",
}  # fmt: skip
_BRANCH = re.compile(r"branch=z9hG4bK[^;,\s>]*", re.I)
_TAG = re.compile(r";tag=[^;,\s>]+", re.I)
_AGENT = re.compile(r"^(server|user-agent)\s*:.*", re.I)
_NUM = re.compile(r"(?<![\d.])\d{4,5}(?![\d])")


def siprouter_cmd() -> list[str]:
    """The siprouter executable of the running venv (or `python -m siprouter`)."""
    exe = Path(sys.executable).parent / "siprouter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siprouter"]


# --------------------------------------------------------------------------- case files


@dataclass
class Case:
    """One case: the requests to send and the parts of the traffic to compare."""

    file: str
    name: str
    requests: list[str]
    compare: list[str]
    nexthop_reply: str | None = None
    xfail: str | None = None
    spec: str = ""


@dataclass
class CaseFile:
    """A cfg shared by its cases (both servers run once per file)."""

    path: Path
    cfg: str
    cases: list[Case]


DEFAULT_COMPARE = ["status", "reason"]

REQUEST_TEMPLATE = (
    "{method} {ruri} SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:@CLIENT@;branch=z9hG4bK-@CALLID@;rport\n"
    "Max-Forwards: {max_forwards}\n"
    "From: <sip:alice@example.com>;tag=from-@CALLID@\n"
    "To: <sip:bob@example.com>\n"
    "Call-ID: @CALLID@\n"
    "CSeq: 1 {method}\n"
    "Contact: <sip:alice@127.0.0.1:@CLIENT@>\n"
    "{headers}"
)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def build_request(spec: dict[str, Any]) -> str:
    """A request from a case's table: `raw` as is (LF -> CRLF, Content-Length added when
    missing), else the template with method/ruri/headers/body/max_forwards."""
    if "raw" in spec:
        raw = _crlf(spec["raw"])
        if "\r\n\r\n" not in raw:
            raw = raw.rstrip("\r\n") + "\r\n\r\n"
        head, body = raw.split("\r\n\r\n", 1)
        if not re.search(r"^(content-length|l)\s*:", head, re.I | re.M):
            head += f"\r\nContent-Length: {len(body.encode())}"
        return head + "\r\n\r\n" + body
    method = spec.get("method", "OPTIONS")
    headers = _crlf(spec.get("headers", "").strip("\n") + "\n") if spec.get("headers") else ""
    body = _crlf(spec.get("body", ""))
    head = REQUEST_TEMPLATE.format(
        method=method,
        ruri=spec.get("ruri", "sip:bob@example.com"),
        max_forwards=spec.get("max_forwards", 70),
        headers=headers,
    )
    if body:
        head += "Content-Type: text/plain\n"
    head = _crlf(head) + f"Content-Length: {len(body.encode())}\r\n"
    return head + "\r\n" + body


def load_case_file(path: Path) -> CaseFile:
    """Parse a TOML case file (see docs/compat.md for the fields)."""
    data = tomllib.loads(path.read_text())
    cases = []
    for c in data.get("case", []):
        reqs = c.get("request", {})
        reqs = reqs if isinstance(reqs, list) else [reqs]
        cases.append(
            Case(
                file=path.stem,
                name=c["name"],
                requests=[build_request(r) for r in reqs],
                compare=c.get("compare", DEFAULT_COMPARE),
                nexthop_reply=c.get("nexthop_reply"),
                xfail=c.get("xfail"),
                spec=c.get("spec", ""),
            )
        )
    if re.search(r"^\s*children\s*=", data["cfg"], re.M):
        raise ValueError(f"{path}: no children= here: the sync probe needs one worker (-n 1)")
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: duplicate case names")
    return CaseFile(path, data["cfg"], cases)


def all_case_files() -> list[CaseFile]:
    return [load_case_file(p) for p in sorted(CASES_DIR.glob("*.toml"))]


def with_sync(cfg: str) -> str:
    """The cfg with the sync handler at the start of the main request route."""
    m = _MAIN_ROUTE.search(cfg)
    if m is None:
        raise ValueError("cfg has no request_route")
    return cfg[: m.end()] + SYNC_HANDLER + cfg[m.end() :]


# --------------------------------------------------------------------------- SIP text


@dataclass
class Msg:
    """A received datagram split for comparison (header names lowercased, long forms)."""

    raw: str
    first: str
    headers: list[tuple[str, str]]
    body: str

    @classmethod
    def parse(cls, data: bytes) -> Msg:
        text = data.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:
                headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers.append((_COMPACT.get(name, name), value.strip()))
        return cls(text, lines[0], headers, body)

    def values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for n, v in self.headers if n == name]

    @property
    def is_reply(self) -> bool:
        return self.first.startswith("SIP/2.0 ")

    @property
    def callid(self) -> str:
        return next(iter(self.values("call-id")), "")


def reply_to(req: Msg, status: str) -> bytes:
    """The next hop's reply to a forwarded request: its Vias, From, To (tagged), Call-ID,
    CSeq copied."""
    lines = [f"SIP/2.0 {status}"]
    lines += [f"Via: {v}" for v in req.values("via")]
    lines += [f"Record-Route: {v}" for v in req.values("record-route")]
    lines.append(f"From: {next(iter(req.values('from')), '')}")
    to = next(iter(req.values("to")), "")
    lines.append(to and f"To: {to}" + ("" if ";tag=" in to else ";tag=nexthop-tag"))
    lines.append(f"Call-ID: {req.callid}")
    lines.append(f"CSeq: {next(iter(req.values('cseq')), '')}")
    lines.append("Contact: <sip:nexthop@127.0.0.1:@NEXTHOP@>")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --------------------------------------------------------------------------- servers


class Endpoint:
    """A loopback UDP socket (the client or the next hop)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])

    def send(self, port: int, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", port))

    def recv(self, timeout: float) -> bytes | None:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65535)
        except TimeoutError:
            return None

    def drain(self) -> list[bytes]:
        """Everything already queued, without waiting."""
        out = []
        self.sock.setblocking(False)
        try:
            while True:
                out.append(self.sock.recv(65535))
        except BlockingIOError:
            pass
        return out

    def close(self) -> None:
        self.sock.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_counter = itertools.count(1)


@dataclass
class Server:
    """One running server (kamailio or siprouter) with its client and next hop sockets."""

    name: str
    workdir: Path
    cfg_text: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    client: Endpoint = field(default_factory=Endpoint)
    nexthop: Endpoint = field(default_factory=Endpoint)
    own: set[str] = field(default_factory=lambda: {";tag=nexthop-tag"})
    dead: str = ""  # set when a sync probe went unanswered: later cases fail at once

    def _cmd(self, cfg: Path) -> list[str]:
        common = ["-DD", "-E", "-n", "1", "-l", f"udp:127.0.0.1:{self.port}", "-f", str(cfg)]
        if self.name == "kamailio":
            rundir = self.workdir / "run"
            rundir.mkdir(exist_ok=True)
            extra = ["-m", "16", "-M", "4", "-Y", str(rundir), "-w", str(self.workdir)]
            return [KAMAILIO or "kamailio", *extra, *common]
        return [*siprouter_cmd(), "-w", str(self.workdir), *common]

    def subst(self, text: str) -> str:
        return (
            text.replace("@PORT@", str(self.port))
            .replace("@NEXTHOP@", str(self.nexthop.port))
            .replace("@CLIENT@", str(self.client.port))
        )

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        cfg = self.workdir / "test.cfg"
        cfg.write_text(self.subst(with_sync(self.cfg_text)))
        with open(self.workdir / "out", "wb") as fo, open(self.workdir / "err", "wb") as fe:
            self.proc = subprocess.Popen(
                self._cmd(cfg), stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while "Listening on" not in (self.workdir / "out").read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.log()}")
            time.sleep(0.02)

    def log(self, tail: int = 4000) -> str:
        try:
            return (self.workdir / "err").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_TIMEOUT)
        if self.proc is not None:
            # the whole group: kamailio's children too, whatever the main process did
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_TIMEOUT)
        self.client.close()
        self.nexthop.close()

    # -- playing

    def _sync(self) -> list[Msg]:
        """Send a sync probe; return what the client received before its reply."""
        cid = f"compat-sync-{next(_counter)}"
        probe = build_request(
            {"ruri": f"sip:compat-sync@127.0.0.1:{self.port}", "method": "OPTIONS"}
        ).replace("@CALLID@", cid)
        self.client.send(self.port, self.subst(probe).encode())
        got: list[Msg] = []
        deadline = time.monotonic() + RECV_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            data = self.client.recv(max(left, 0.001)) if left > 0 else None
            if data is None:
                alive = self.proc is not None and self.proc.poll() is None
                self.dead = (
                    f"{self.name} ({'running' if alive else 'exited'}) did not answer a sync probe"
                )
                raise RuntimeError(f"{self.dead}\n{self.log()}")
            msg = Msg.parse(data)
            if msg.callid == cid:
                return got
            got.append(msg)

    def play(self, case: Case) -> tuple[list[Msg], list[Msg]]:
        """Send the case's requests; (messages at the client, messages at the next hop)."""
        if self.dead:
            raise RuntimeError(f"{self.dead} earlier in this case file")
        at_client: list[Msg] = []
        at_nexthop: list[Msg] = []
        for i, req in enumerate(case.requests):
            data = self.subst(req.replace("@CALLID@", f"{case.file}-{case.name}-{i}"))
            self.own.update(_TAG.findall(data) + _BRANCH.findall(data))
            self.client.send(self.port, data.encode())
            at_client += self._sync()
            fwd = [Msg.parse(d) for d in self.nexthop.drain()]
            at_nexthop += fwd
            if case.nexthop_reply and fwd:
                for m in fwd:
                    if not m.is_reply:
                        self.nexthop.send(
                            self.port, self.subst(reply_to(m, case.nexthop_reply).decode()).encode()
                        )
                at_client += self._sync()
                at_nexthop += [Msg.parse(d) for d in self.nexthop.drain()]
        return at_client, at_nexthop


@dataclass
class ServerPair:
    """Kamailio and siprouter running one case file's cfg."""

    kamailio: Server
    siprouter: Server

    @classmethod
    def start(cls, cf: CaseFile, tmp: Path) -> ServerPair:
        pair = cls(
            Server("kamailio", tmp / f"{cf.path.stem}-kamailio", cf.cfg),
            Server("siprouter", tmp / f"{cf.path.stem}-siprouter", cf.cfg),
        )
        try:
            pair.kamailio.start()
            pair.siprouter.start()
        except BaseException:
            pair.stop()
            raise
        return pair

    def stop(self) -> None:
        for s in (self.kamailio, self.siprouter):
            s.stop()

    def observe(self, case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
        return observe(self.kamailio, case), observe(self.siprouter, case)


# --------------------------------------------------------------------------- comparing


def normalise(text: str, srv: Server) -> str:
    """Ports by name, branches, tags and agent strings made stable."""
    names = {
        str(srv.port): "@PORT@",
        str(srv.nexthop.port): "@NEXTHOP@",
        str(srv.client.port): "@CLIENT@",
    }
    text = _NUM.sub(lambda m: names.get(m.group(0), m.group(0)), text)
    own = srv.own
    text = _BRANCH.sub(lambda m: m.group(0) if m.group(0) in own else "branch=z9hG4bK-BRANCH", text)
    return _TAG.sub(lambda m: m.group(0) if m.group(0) in own else ";tag=TAG", text)


def _part(msg: Msg, what: str, srv: Server) -> Any:
    if what == "status":
        return msg.first.split(" ", 2)[1] if msg.is_reply else None
    if what == "reason":
        reason = msg.first.split(" ", 2)[2] if msg.is_reply and msg.first.count(" ") >= 2 else ""
        return normalise(reason, srv)
    if what in ("first", "ruri"):
        return normalise(msg.first if what == "first" else msg.first.split(" ")[1], srv)
    if what == "body":
        return normalise(msg.body, srv)
    if what == "headers":
        return [n for n, _ in msg.headers]
    if what.startswith("hdr:"):
        return [normalise(v, srv) for v in msg.values(what[4:])]
    if what == "all":
        head = msg.raw.partition("\r\n\r\n")[0].split("\r\n")
        lines = [_AGENT.sub(r"\1: AGENT", line) for line in head]
        return [normalise(x, srv) for x in lines] + ["", normalise(msg.body, srv)]
    raise ValueError(f"unknown compare item {what!r}")


def observe(srv: Server, case: Case) -> dict[str, Any]:
    """The normalised parts of what `srv` sent back and forward for `case`."""
    at_client, at_nexthop = srv.play(case)
    client_items = [c for c in case.compare if not c.startswith("fwd:")]
    fwd_items = [c[4:] for c in case.compare if c.startswith("fwd:")]
    return {
        "client": [{w: _part(m, w, srv) for w in client_items} for m in at_client],
        "nexthop": [{w: _part(m, w, srv) for w in fwd_items} for m in at_nexthop],
    }


def _lines(obs: dict[str, Any]) -> list[str]:
    out = []
    for side in ("client", "nexthop"):
        out.append(f"{side}: {len(obs[side])} message(s)")
        for i, parts in enumerate(obs[side]):
            for key, val in parts.items():
                if isinstance(val, list):
                    out.append(f"  [{i}] {key}:")
                    out += [f"      {v}" for v in val]
                else:
                    out.append(f"  [{i}] {key}: {val}")
    return out


def diff(kam: dict[str, Any], ours: dict[str, Any]) -> str:
    """A unified diff kamailio -> siprouter of two observations ('' when equal)."""
    if kam == ours:
        return ""
    return "\n".join(
        difflib.unified_diff(_lines(kam), _lines(ours), "kamailio", "siprouter", lineterm="")
    )
