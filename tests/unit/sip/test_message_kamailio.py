"""Differential: duplicate single-value headers under sip_parser_mode 0 and 1, vs Kamailio.

Kamailio 5.6.3 is run on loopback UDP with a route that forces a parse of every header
(``$hdrc``) and answers 200 statelessly; a message it cannot parse gets no answer. For each
message, "Kamailio answers" must equal "parse_message succeeds with the same parser_mode".
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

CFG = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
sip_parser_mode={mode}
listen=udp:127.0.0.1:{port}
loadmodule "sl.so"
loadmodule "pv.so"
request_route {{
    force_rport();
    $var(n) = $hdrc(X-None);
    sl_send_reply("200", "OK");
    exit;
}}
"""

BASE = [
    b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{n}",
    b"From: <sip:a@example.com>;tag=1",
    b"To: <sip:c@example.com>",
    b"Call-ID: cid{n}",
    b"CSeq: 1 OPTIONS",
    b"Max-Forwards: 70",
    b"Content-Length: 0",
    b"Contact: <sip:a@127.0.0.1>",
    b"Expires: 10",
    b"Content-Type: text/plain",
]

# header name -> the duplicate line added right after the original
DUPLICATES = {
    "none": None,
    "Via": b"Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKdup",
    "From": b"From: <sip:a@example.com>;tag=2",
    "To": b"To: <sip:c@example.com>",
    "Call-ID": b"Call-ID: other",
    "CSeq": b"CSeq: 2 OPTIONS",
    "Max-Forwards": b"Max-Forwards: 70",
    "Max-Forwards-diff": b"Max-Forwards: 69",
    "Content-Length": b"Content-Length: 0",
    "Contact": b"Contact: <sip:b@127.0.0.1>",
    "Expires": b"Expires: 11",
    "Content-Type": b"Content-Type: text/html",
}


def _message(case: str, n: int) -> bytes:
    dup = DUPLICATES[case]
    lines = [b"OPTIONS sip:x@127.0.0.1 SIP/2.0"]
    for line in BASE:
        line = line.replace(b"{n}", str(n).encode())
        lines.append(line)
        if dup is not None and dup.split(b":")[0] == line.split(b":")[0]:
            lines.append(dup)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _ours(data: bytes, mode: int) -> bool:
    try:
        parse_message(data, parser_mode=mode)
    except SipParseError:
        return False
    return True


def _kamailio(tmp_path: Path, mode: int, messages: dict[str, bytes]) -> dict[str, bool]:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    cfg = tmp_path / f"k{mode}.cfg"
    cfg.write_text(CFG.format(mode=mode, port=port))
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-Y", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    got: dict[str, bool] = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.3)
        for _ in range(60):
            sock.sendto(_message("none", 0), ("127.0.0.1", port))
            try:
                sock.recvfrom(65535)
                break
            except TimeoutError:
                time.sleep(0.1)
        else:
            pytest.fail("kamailio did not start")
        for name, data in messages.items():
            sock.sendto(data, ("127.0.0.1", port))
            try:
                reply, _ = sock.recvfrom(65535)
                got[name] = reply.startswith(b"SIP/2.0 200 ")
            except TimeoutError:
                got[name] = False
    finally:
        sock.close()
        proc.terminate()
        proc.wait(timeout=10)
    return got


@pytest.mark.parametrize("mode", [0, 1])
def test_duplicate_headers_like_kamailio(tmp_path: Path, mode: int) -> None:
    messages = {case: _message(case, i + 1) for i, case in enumerate(DUPLICATES)}
    ours = {case: _ours(data, mode) for case, data in messages.items()}
    assert _kamailio(tmp_path, mode, messages) == ours
    # and the facts we rely on, so a Kamailio upgrade that changes them is noticed here
    assert ours["Max-Forwards"] is False
    assert ours["CSeq"] is (mode == 0)
    assert ours["Via"] is True
