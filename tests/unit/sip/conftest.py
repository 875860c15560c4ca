"""Shared fixtures of the SIP core tests: a Kamailio that answers every request statelessly.

``kamailio_sl`` starts the installed kamailio (5.6.3) on a free loopback UDP port with a cfg
whose request_route does ``force_rport(); sl_send_reply("200", "OK")`` and whose
onreply_route drops every reply (so nothing is ever forwarded off the machine). It yields a
function ``send(data) -> bytes | None``: the first line of Kamailio's answer to one request,
or None when it sent nothing (it dropped the message or could not build a reply). Tests
using it must be marked ``kamailio``; without the binary they are skipped.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
loadmodule "sl.so"
request_route {{
    force_rport();
    sl_send_reply("200", "OK");
    exit;
}}
onreply_route {{
    drop;
}}
"""

_PING = (
    b"OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKping\r\n"
    b"From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n"
    b"Call-ID: ping@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


@pytest.fixture(scope="module")
def kamailio_sl(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[bytes], bytes | None]]:
    if shutil.which("kamailio") is None:
        pytest.skip("kamailio not installed")
    tmp: Path = tmp_path_factory.mktemp("kamailio_sl")
    port = _free_udp_port()
    cfg = tmp / "sl.cfg"
    cfg.write_text(_CFG.format(port=port))
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def send(data: bytes, wait: float = 0.3) -> bytes | None:
        sock.settimeout(wait)
        sock.sendto(data, ("127.0.0.1", port))
        try:
            reply, _ = sock.recvfrom(65535)
        except TimeoutError:
            return None
        return reply.split(b"\r\n", 1)[0]

    try:
        for _ in range(50):  # until it answers
            if send(_PING, 0.2) is not None:
                break
            if proc.poll() is not None:
                pytest.fail("kamailio exited at start")
            time.sleep(0.1)
        else:
            pytest.fail("kamailio did not answer")
        yield send
    finally:
        sock.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
