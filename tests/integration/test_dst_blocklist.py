"""use_dst_blocklist with a stateless proxy, compared with Kamailio 5.6.3: forward_tcp()
to a closed TCP port fails and lists the destination; while it is listed, forward_tcp()
to it fails without connecting, even once something listens there (and whichever worker
routes the request); dst_blocklist_tcp_imask can ignore the reasons; without
use_dst_blocklist every forward tries again. The dst_blocklist.* RPC commands answer
what Kamailio's jsonrpcs answers to the same calls."""

from __future__ import annotations

import shutil
import socket
import time
from typing import Any

import pytest

from siprouter.rpc.registry import RpcError, RpcRegistry
from siprouter.runtime import dst_blocklist as dbl
from siprouter.shared import space as space_mod

from .kamailio_rpc import kamailio_rpc

HAS_KAMAILIO = shutil.which("kamailio") is not None
WAIT = 8.0

CFG = """\
#!KAMAILIO
debug=2
children=@CHILDREN@
listen=udp:127.0.0.1:@PORT@
listen=tcp:127.0.0.1:@PORT@
@PARAMS@
loadmodule "sl"
loadmodule "pv"
loadmodule "kex"
request_route {
    if (forward_tcp("127.0.0.1", @NH@)) {
        sl_send_reply("200", "sent");
    } else {
        sl_send_reply("500", "failed");
    }
    exit;
}
"""


class Target:
    """A TCP port that refuses connections (bound, not listening) until `listen()`;
    then it counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []

    def listen(self) -> None:
        self.sock.listen(16)
        self.sock.settimeout(0)

    def count(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                return len(self.accepted)
            self.accepted.append(conn)

    def close(self) -> None:
        for c in self.accepted:
            c.close()
        self.sock.close()


def options(callid: str, port: int) -> bytes:
    return (
        f"OPTIONS sip:nh@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{callid}\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f\r\nTo: <sip:nh@127.0.0.1>\r\nCall-ID: {callid}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def ask(udp: socket.socket, to: tuple[str, int], callid: str) -> str:
    """Send one OPTIONS, return the status line of its reply (bounded wait)."""
    udp.sendto(options(callid, udp.getsockname()[1]), to)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        udp.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = udp.recv(65535)
        except TimeoutError:
            break
        if f"Call-ID: {callid}\r\n".encode() in data:
            return data.split(b"\r\n", 1)[0].decode()
    raise AssertionError(f"no reply to {callid}")


def run(start: Any, params: str, children: int = 1, tries_first: int = 1) -> dict[str, Any]:
    """Forward to a refusing port (`tries_first` times at most, until one fails), let
    the port listen, forward 6 more requests; the replies and the connections made."""
    target = Target()
    try:
        cfg = (
            CFG.replace("@PARAMS@", params)
            .replace("@NH@", str(target.port))
            .replace("@CHILDREN@", str(children))
        )
        srv = start(cfg)
        to = ("127.0.0.1", srv.port)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            first = ""
            for i in range(tries_first):
                first = ask(udp, to, f"bl-first-{i}")
                if "failed" in first:
                    break
            target.listen()
            after = [ask(udp, to, f"bl-after-{i}") for i in range(6)]
        return {"first": first, "after": sorted(set(after)), "connections": target.count()}
    finally:
        target.close()


LISTED = {"first": "SIP/2.0 500 failed", "after": ["SIP/2.0 500 failed"], "connections": 0}
NOT_LISTED = {"first": "SIP/2.0 500 failed", "after": ["SIP/2.0 200 sent"], "connections": 1}
CASES = {
    "on": ("use_dst_blocklist=1", LISTED),
    "off": ("use_dst_blocklist=0", NOT_LISTED),
    "tcp-imask-ignores": ("use_dst_blocklist=1\ndst_blocklist_tcp_imask=6", NOT_LISTED),
    "udp-imask-irrelevant": ("use_dst_blocklist=1\ndst_blocklist_udp_imask=6", LISTED),
    "init-off": ("use_dst_blocklist=1\ndst_blocklist_init=0", NOT_LISTED),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_blocklist_siprouter(servers: Any, case: str) -> None:
    params, want = CASES[case]
    got = run(servers.siprouter, params)
    assert got == want


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio is not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_blocklist_same_as_kamailio(servers: Any, case: str) -> None:
    params, _want = CASES[case]
    assert run(servers.siprouter, params) == run(servers.kamailio, params)


def test_blocklist_shared_by_workers(servers: Any) -> None:
    """Four workers, distinct Call-IDs (so several workers route them): once one
    forward failed, every worker refuses the destination. With workers the first
    forward may be handed to the worker owning the destination's connections and
    answer "sent" before that worker finds the connect refused: the requests go on
    until one fails (bounded)."""
    got = run(servers.siprouter, "use_dst_blocklist=1", children=4, tries_first=10)
    assert got == LISTED


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio is not installed")
def test_blocklist_shared_by_workers_kamailio(servers: Any) -> None:
    got = run(servers.kamailio, "use_dst_blocklist=1", children=4, tries_first=10)
    assert got == LISTED


RPC_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
use_dst_blocklist=1
loadmodule "jsonrpcs"
modparam("jsonrpcs", "fifo_name", "@FIFO@")
request_route { drop; }
"""

RPC_CALLS: list[tuple[Any, ...]] = [
    ("dst_blocklist.view",),
    ("dst_blocklist.debug",),
    ("dst_blocklist.mem_info",),
    ("dst_blocklist.add", "1.2.3.4", 1, 1),
    ("dst_blocklist.debug",),
    ("dst_blocklist.add", "1.2.3.4", "x", 1, 0),
    ("dst_blocklist.debug",),
    ("dst_blocklist.delete_all",),
    ("dst_blocklist.add", "::1", 7001, 2, 0),
    ("dst_blocklist.view",),
    ("dst_blocklist.debug",),
    ("dst_blocklist.delete_all",),
    ("dst_blocklist.add", "1.2.3.4", 5, 3, 4),
    ("dst_blocklist.add", "1.2.3.4", 5, 3, 16),
    ("dst_blocklist.debug",),
    ("dst_blocklist.add", "1.2.3.4", 5, 0, 64),
    ("dst_blocklist.debug",),
    ("dst_blocklist.delete_all",),
    ("dst_blocklist.add", "1.2.3.4", 5, 256, 64),
    ("dst_blocklist.debug",),
    ("dst_blocklist.delete_all",),
    ("dst_blocklist.add", "1.2.3.4", 70000, 1, 2),
    ("dst_blocklist.view",),
    ("dst_blocklist.add", "bad", 1, 1, 1),
    ("dst_blocklist.add", "1.2.3.4", 1, 9, 1),
    ("dst_blocklist.add", "1.2.3.4", 1, -1, 0),
    ("dst_blocklist.add", "1.2.3.4", 1, 1, 1),
    ("dst_blocklist.delete_all",),
    ("dst_blocklist.view",),
    ("dst_blocklist.nosuch",),
]


def siprouter_rpc_answers() -> list[Any]:
    """The answers of siprouter's dst_blocklist.* commands (in this process)."""
    space_mod.reset()
    saved = dbl.BLOCKLIST
    dbl.configure({"use_dst_blocklist": True})
    reg = RpcRegistry()
    reg.add_all("core", dbl.RPCS)
    out: list[Any] = []
    try:
        for method, *params in RPC_CALLS:
            try:
                out.append(reg.call(method, *params))
            except RpcError as e:
                out.append(("error", e.code, e.message))
    finally:
        dbl.BLOCKLIST = saved
        space_mod.reset()
    return out


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio is not installed")
def test_rpc_same_as_kamailio(servers: Any, tmp_path: Any) -> None:
    fifo = str(tmp_path / "blocklist.fifo")
    servers.kamailio(RPC_CFG.replace("@FIFO@", fifo))
    kam = [kamailio_rpc(fifo, method, *params) for method, *params in RPC_CALLS]
    assert siprouter_rpc_answers() == kam
    assert kam[2] == 256000 and kam[9] == "    flags: 1\n}"  # the calls did something
