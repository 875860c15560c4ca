"""CPU per message of the stateless proxy path, in process (issue 5): SIPp-shaped calls
(INVITE, 200, ACK, BYE, 200) through `Pipeline.receive` with the benchmark's proxy cfg
(bench/sipp/scenarios.PROXY_CFG: maxfwd check, then forward()), real `sendto` over
loopback to two sink sockets standing for SIPp's UAC and UAS. Not a test: it prints
figures, nothing is asserted about time.

    .venv/bin/python bench/forward_bench.py [--rounds 15] [--calls 400] [--count] [--pieces]

Each call has its own Call-ID, tags and branches, as SIPp sends them; the replies are
made from the requests the proxy really forwarded (its Via on top), so they go back by
the second Via as in the benchmark. Figures are process CPU time (steadier than the wall
clock on a shared machine), best and median of the rounds, in µs per message:

- `proxy, with sendto`: the whole receive path per message, send included;
- `proxy, send stubbed`: the same with the sockets' `sendto` replaced by a no-op (the
  Python share);
- `--count`: function calls per message (Python and C, through sys.setprofile): the
  deterministic figure, unmoved by the machine's load;
- `--pieces`: parts of the forward path on a parsed INVITE / 200 (parse, route,
  forward_request, build_forwarded, stateless_branch, forward_reply).

The check at start-up asserts the forwarded bytes are what the path must produce (our
Via on top, received/rport rules, the reply without our Via), so a run on broken code
stops instead of timing it.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp.scenarios import PROXY_CFG  # noqa: E402

from siprouter.cfg.loader import load_config  # noqa: E402
from siprouter.cli import parse_args  # noqa: E402
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState  # noqa: E402
from siprouter.runtime import forward, state  # noqa: E402
from siprouter.runtime.lifecycle import child_init_modules, init_modules  # noqa: E402
from siprouter.runtime.pipeline import Pipeline  # noqa: E402
from siprouter.sip.message import parse_message  # noqa: E402
from siprouter.sip.via import stateless_branch  # noqa: E402

IP = "127.0.0.1"

INVITE = (
    "INVITE sip:service@{ip}:{uas} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {ip}:{uac};branch=z9hG4bK-{n}-1-0\r\n"
    "From: sipp <sip:sipp@{ip}:{uac}>;tag={n}\r\n"
    "To: <sip:service@{ip}:{uas}>\r\n"
    "Call-ID: {n}-bench@{ip}\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:sipp@{ip}:{uac}>\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {blen}\r\n\r\n{body}"
)
SDP = (
    "v=0\r\no=user1 53655765 2353687637 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)
INDIALOG = (
    "{method} sip:service@{ip}:{uas} SIP/2.0\r\n"
    "Via: SIP/2.0/UDP {ip}:{uac};branch=z9hG4bK-{n}-{k}-0\r\n"
    "From: sipp <sip:sipp@{ip}:{uac}>;tag={n}\r\n"
    "To: <sip:service@{ip}:{uas}>;tag={n}SIPpTag01\r\n"
    "Call-ID: {n}-bench@{ip}\r\n"
    "CSeq: {cseq} {method}\r\n"
    "Contact: <sip:sipp@{ip}:{uac}>\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n"
)


def _reply_to(forwarded: bytes, n: int, body: bool) -> bytes:
    """The UAS's 200 to a request the proxy forwarded: its Vias (on one line, as SIPp
    copies them), From, To with the UAS tag, Call-ID and CSeq (SIPp's [last_*] fields)."""
    head = forwarded.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    vias = [h[5:] for h in head if h.startswith(b"Via: ")]
    via = b"Via: " + b", ".join(vias)  # SIPp's [last_Via:] puts them on one line
    keep = [h for h in head if h.split(b":", 1)[0] in (b"From", b"Call-ID", b"CSeq")]
    to = next(h for h in head if h.startswith(b"To:"))
    if b";tag=" not in to:
        to += b";tag=%dSIPpTag01" % n
    lines = [b"SIP/2.0 200 OK", via, keep[0], to, *keep[1:]]
    lines.append(b"Contact: <sip:service@127.0.0.1>")
    sdp = SDP.format(ip=IP).encode() if body else b""
    if body:
        lines.append(b"Content-Type: application/sdp")
    lines.append(b"Content-Length: %d" % len(sdp))
    return b"\r\n".join(lines) + b"\r\n\r\n" + sdp


class Bench:
    """The proxy with its socket, the two sinks, and the calls' datagrams."""

    def __init__(self, calls: int) -> None:
        self.uac = self._sink()
        self.uas = self._sink()
        self.proxy_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.proxy_sock.bind((IP, 0))
        port = self.proxy_sock.getsockname()[1]
        with tempfile.TemporaryDirectory() as d:
            cfg = Path(d) / "proxy.cfg"
            cfg.write_text(PROXY_CFG)
            loaded = load_config(parse_args(["-c", "-f", str(cfg), "-l", f"udp:{IP}:{port}"]))
        init_modules(loaded.modules, loaded.compiled)
        child_init_modules(loaded.modules, 0)
        state.clear_sockets()
        self.ls = state.LocalSocket("udp", IP, port, 4, self.proxy_sock)
        state.register_socket(self.ls)
        self.compiled = loaded.compiled
        self.pipeline = Pipeline(loaded.compiled, ScriptState(compiled=loaded.compiled))
        self.uac_addr = self.uac.getsockname()
        self.uas_addr = self.uas.getsockname()
        self.msgs: list[tuple[bytes, tuple[str, int]]] = []
        for n in range(calls):
            self.msgs.extend(self._call(n))

    @staticmethod
    def _sink() -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((IP, 0))
        s.setblocking(False)
        return s

    def drain(self, sink: socket.socket) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(sink.recv(65535))
            except BlockingIOError:
                return out

    def _through(self, data: bytes, src: tuple[str, int], sink: socket.socket) -> bytes:
        self.drain(sink)
        self.pipeline.receive(data, src, self.ls)
        got = self.drain(sink)
        assert len(got) == 1, f"expected one forwarded datagram, got {len(got)}"
        return got[0]

    def _call(self, n: int) -> list[tuple[bytes, tuple[str, int]]]:
        uac, uas = self.uac_addr[1], self.uas_addr[1]
        sdp = SDP.format(ip=IP)
        inv = INVITE.format(ip=IP, uac=uac, uas=uas, n=n, blen=len(sdp), body=sdp).encode()
        ack = INDIALOG.format(ip=IP, uac=uac, uas=uas, n=n, k=2, cseq=1, method="ACK").encode()
        bye = INDIALOG.format(ip=IP, uac=uac, uas=uas, n=n, k=3, cseq=2, method="BYE").encode()
        fwd_inv = self._through(inv, self.uac_addr, self.uas)
        ok_inv = _reply_to(fwd_inv, n, True)
        fwd_bye = self._through(bye, self.uac_addr, self.uas)
        ok_bye = _reply_to(fwd_bye, n, False)
        if n == 0:
            self._check(inv, fwd_inv, ok_inv)
        return [
            (inv, self.uac_addr),
            (ok_inv, self.uas_addr),
            (ack, self.uac_addr),
            (bye, self.uac_addr),
            (ok_bye, self.uas_addr),
        ]

    def _check(self, inv: bytes, fwd: bytes, ok: bytes) -> None:
        """The path produces what it must: our Via on top (the branch as
        sip/via.stateless_branch makes it), the request otherwise unchanged but for
        Max-Forwards, and the reply back to the UAC without our Via."""
        msg = parse_message(inv)
        branch = stateless_branch(msg.via1, msg.callid, 1, msg.ruri)
        via = f"Via: SIP/2.0/UDP {IP}:{self.ls.port};branch={branch}\r\n".encode()
        first, rest = inv.split(b"\r\n", 1)
        want = first + b"\r\n" + via + rest.replace(b"Max-Forwards: 70", b"Max-Forwards: 69")
        assert fwd == want, (fwd, want)
        back = self._through(ok, self.uas_addr, self.uac)
        assert back == ok.replace(via[5:-2] + b", ", b""), back

    def round(self) -> None:
        receive = self.pipeline.receive
        ls = self.ls
        for data, src in self.msgs:
            receive(data, src, ls)


def _rounds(
    fn: Callable[[], None], rounds: int, per: int, between: Callable[[], Any]
) -> list[float]:
    out = []
    for _ in range(rounds):
        between()
        t0 = time.process_time()
        fn()
        out.append((time.process_time() - t0) / per * 1e6)
    return out


class _NoSend:
    """A socket stand-in whose sendto does nothing (the Python share of the path)."""

    def sendto(self, data: bytes, dest: tuple[str, int]) -> int:
        return len(data)


def _line(name: str, times: list[float]) -> None:
    print(f"| {name} | {min(times):.1f} | {statistics.median(times):.1f} |")


def pieces(b: Bench, rounds: int, n: int) -> None:
    """Parts of the forward path on one INVITE and its 200."""
    inv_data, src = b.msgs[0]
    ok_data, ok_src = b.msgs[1]
    rcv = ReceiveInfo(src[0], src[1], IP, b.ls.port, "udp", 4)
    rcv_ok = ReceiveInfo(ok_src[0], ok_src[1], IP, b.ls.port, "udp", 4)
    script = ScriptState(compiled=b.compiled)
    msg = parse_message(inv_data)
    _ = msg.via1, msg.cseq, msg.callid
    reply = parse_message(ok_data)
    _ = reply.via1, reply.via2

    def parse() -> None:
        for _ in range(n):
            parse_message(inv_data).via1  # noqa: B018

    def fwd() -> None:
        for _ in range(n):
            forward.forward_request(MsgContext(msg, rcv, script))

    def build() -> None:
        for _ in range(n):
            forward.build_forwarded(MsgContext(msg, rcv, script), b.ls)

    def branch() -> None:
        via1, callid, ruri = msg.via1, msg.callid, msg.ruri
        for _ in range(n):
            stateless_branch(via1, callid, 1, ruri)

    def fwd_reply() -> None:
        for _ in range(n):
            forward.forward_reply(MsgContext(reply, rcv_ok, script))

    def route() -> None:
        run = b.compiled.run
        for _ in range(n):
            run("request", "", MsgContext(parse_message(inv_data), rcv, script))

    for name, fn in (
        ("parse INVITE + top Via", parse),
        ("parse + request_route (maxfwd, forward())", route),
        ("forward_request, INVITE parsed", fwd),
        ("build_forwarded", build),
        ("stateless_branch", branch),
        ("forward_reply, 200 parsed", fwd_reply),
    ):
        _line(name, _rounds(fn, rounds, n, lambda: (b.drain(b.uac), b.drain(b.uas))))


def count_calls(b: Bench) -> float:
    """Function calls (Python and C) per message over one round, send stubbed."""
    calls = 0

    def prof(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(prof)
    try:
        b.round()
    finally:
        sys.setprofile(None)
    return calls / len(b.msgs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=400)
    ap.add_argument("--pieces", action="store_true", help="also time parts of the path")
    ap.add_argument("--count", action="store_true", help="also count calls per message")
    a = ap.parse_args()
    b = Bench(a.calls)
    per = len(b.msgs)

    def between() -> None:
        b.drain(b.uac)
        b.drain(b.uas)

    print(f"{per} messages per round ({a.calls} calls), CPU µs per message\n")
    print("| what | best | median |\n|---|---:|---:|")
    _line("proxy, with sendto", _rounds(b.round, a.rounds, per, between))
    b.ls.sock = _NoSend()  # type: ignore[assignment]
    try:
        _line("proxy, send stubbed", _rounds(b.round, a.rounds, per, between))
        if a.count:
            print(f"\nfunction calls per message (send stubbed): {count_calls(b):.1f}\n")
        if a.pieces:
            pieces(b, a.rounds, 2000)
    finally:
        b.ls.sock = b.proxy_sock
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
