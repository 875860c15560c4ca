"""`myself` against the installed Kamailio 5.6.3: one cfg, run by Kamailio on loopback
UDP and by siprouter's engine, answers each request with `200 yes` / `404 no`
(`uri == myself`) and the verdicts of further `myself` conditions in the reason.

`KamailioProbe` (also used by test_ipmatch_kamailio.py) starts Kamailio once for a cfg,
sends requests from 127.0.0.1 or ::1, and reads the status lines; every wait is bounded
(retries of 0.3 s), the server is killed at the end. `ours()` runs the same cfg text
through our compiler with the same ReceiveInfo.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest

from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.sip.message import parse_message

pytestmark = pytest.mark.kamailio


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def program(head: str, conds: list[str], port: int, v6: bool = True) -> str:
    """The cfg: listens on 127.0.0.1:port and (with `v6`) [::1]:port; the first
    condition picks 200 yes / 404 no, the reason ends with one 0/1 per condition."""
    body = '$var(r) = "";\n'
    for c in conds:
        body += f'if ({c}) {{ $var(r) = $var(r) + "1"; }} else {{ $var(r) = $var(r) + "0"; }}\n'
    head = head.replace("PORT1", str(port + 1)).replace("PORT", str(port))
    return (
        "#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\n"
        f"listen=udp:127.0.0.1:{port}\n"
        + (f"listen=udp:[::1]:{port}\n" if v6 else "")
        + f"{head}\n"
        'loadmodule "pv.so"\nloadmodule "sl.so"\n'
        "request_route {\n" + body + f"if ({conds[0]}) {{\n"
        ' sl_send_reply("200", "yes $var(r)");\n} else {\n'
        ' sl_send_reply("404", "no $var(r)");\n}\nexit;\n}\n'
    )


def request(uri: str, frm: str, src: str, sport: int) -> bytes:
    via_host = f"[{src}]" if ":" in src else src
    return (
        f"OPTIONS {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {via_host}:{sport};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
        f"From: <{frm}>;tag=1\r\nTo: <{uri}>\r\nCall-ID: {uuid.uuid4().hex}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def status_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode().removeprefix("SIP/2.0 ")


class KamailioProbe:
    """Kamailio running `program(head, conds, port)` until `close()`."""

    def __init__(self, tmp: Path, head: str, conds: list[str], v6: bool = True) -> None:
        if shutil.which("kamailio") is None:
            pytest.skip("kamailio not installed")
        self.port = free_port()
        self.text = program(head, conds, self.port, v6)
        cfg = tmp / "myself.cfg"
        cfg.write_text(self.text)
        self.err = tmp / "stderr"
        self.proc = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-M", "32", "-Y", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=self.err.open("w"),
            start_new_session=True,
        )

    def ask(self, uri: str, frm: str, src: str = "127.0.0.1") -> str:
        fam = socket.AF_INET6 if ":" in src else socket.AF_INET
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            s.bind((src, 0))
            data = request(uri, frm, src, s.getsockname()[1])
            for _ in range(30):  # at most ~9 s, start-up included
                s.sendto(data, (src, self.port))
                try:
                    return status_line(s.recv(65535))
                except TimeoutError:
                    if self.proc.poll() is not None:
                        break
        pytest.fail("kamailio did not answer: " + self.err.read_text()[-1500:])

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: only ours
        self.proc.wait()


def ours(text: str, port: int, uri: str, frm: str, src: str = "127.0.0.1") -> str:
    cc = compile_config(parse_string(text, "/test/myself.cfg"))
    af = 6 if ":" in src else 4
    ctx = MsgContext(
        parse_message(request(uri, frm, src, 5999)),
        ReceiveInfo(src, 5999, src, port, "udp", af),
        ScriptState(),
    )
    ctx.sent = []
    cc.run("request", "", ctx)
    assert len(ctx.sent) == 1, ctx.sent
    return status_line(ctx.sent[0][2])


HEAD = """auto_aliases=no
listen=udp:127.0.0.1:PORT1 advertise 127.0.0.9:5099
alias="Alias.Example.com"
alias=portal.example.com:5070
alias="quoted.example.com:5071"
alias=sipsname:5061
alias=[::2]
alias=tcp:tcponly.example.com
"""
CONDS = [
    "uri==myself",
    "uri!=myself",
    "myself==uri",
    "uri eq myself",
    "from_uri==myself",
    "to_uri!=myself",
    "src_ip==myself",
    "dst_ip==myself",
    "myself!=src_ip",
]
FROM = "sip:a@alias.example.com"
# (R-URI, From URI, source address); PORT / PORT1 are replaced by the listen ports
CASES = [
    ("sip:x@127.0.0.1:PORT", FROM, "127.0.0.1"),
    ("sip:x@127.0.0.1", FROM, "127.0.0.1"),
    ("sip:x@127.0.0.1:5099", FROM, "127.0.0.1"),
    ("sip:x@127.0.0.9:PORT1", FROM, "127.0.0.1"),
    ("sip:x@127.0.0.9:PORT", FROM, "127.0.0.1"),
    ("sip:x@127.0.0.2:PORT", "sip:a@127.0.0.1:PORT", "127.0.0.1"),
    ("sip:x@alias.example.com", "sip:a@other.example.com", "127.0.0.1"),
    ("sip:x@ALIAS.EXAMPLE.COM:9999", FROM, "127.0.0.1"),
    ("sip:x@alias.example.com.", FROM, "127.0.0.1"),
    ("sip:x@portal.example.com:5070", FROM, "127.0.0.1"),
    ("sip:x@portal.example.com", FROM, "127.0.0.1"),
    ("sip:x@quoted.example.com:5071", FROM, "127.0.0.1"),
    ("sips:x@sipsname", FROM, "127.0.0.1"),
    ("sip:x@sipsname;transport=TLS", FROM, "127.0.0.1"),
    ("sip:x@sipsname:5061;transport=tcp", FROM, "127.0.0.1"),
    ("sip:x@sipsname;transport=tcp", FROM, "127.0.0.1"),
    ("sip:x@tcponly.example.com;transport=udp", FROM, "127.0.0.1"),
    ("sip:x@[::1]:PORT", FROM, "::1"),
    ("sip:x@[0::1]:PORT", FROM, "::1"),
    ("sip:x@[::1]", FROM, "::1"),
    ("sip:x@[::2]", FROM, "::1"),
    ("sip:x@[0::2]", FROM, "::1"),
    ("tel:+1234", FROM, "127.0.0.1"),
]


@pytest.fixture(scope="module")
def kamailio_verdicts(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int, list[str]]:
    probe = KamailioProbe(tmp_path_factory.mktemp("myself"), HEAD, CONDS)
    try:
        p = str(probe.port)
        p1 = str(probe.port + 1)
        got = [
            probe.ask(u.replace("PORT1", p1).replace("PORT", p), f.replace("PORT", p), s)
            for u, f, s in CASES
        ]
    finally:
        probe.close()
    return probe.text, probe.port, got


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_myself_matches_kamailio(kamailio_verdicts: tuple[str, int, list[str]], i: int) -> None:
    text, port, theirs = kamailio_verdicts
    uri, frm, src = CASES[i]
    p, p1 = str(port), str(port + 1)
    mine = ours(
        text, port, uri.replace("PORT1", p1).replace("PORT", p), frm.replace("PORT", p), src
    )
    assert mine == theirs[i], f"{uri}: kamailio {theirs[i]!r}, siprouter {mine!r}"


def _hosts_has_loopback() -> bool:
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            return any(line.split()[:1] == ["127.0.0.1"] for line in fh)
    except OSError:
        return False


# auto_aliases=yes (the default): reverse look-up of the listen IPs. IPv4 loopback only,
# answered by /etc/hosts (no DNS query); the second socket is given by host name.
AUTO_CASES = [
    "sip:x@localhost:PORT",
    "sip:x@LOCALHOST:PORT1",
    "sip:x@localhost",
    "sip:x@localhost:9",
    "sip:x@127.0.0.1:PORT1",
]


@pytest.mark.skipif(not _hosts_has_loopback(), reason="no 127.0.0.1 line in /etc/hosts")
def test_auto_aliases_match_kamailio(tmp_path: Path) -> None:
    head = "auto_aliases=yes\nlisten=udp:localhost:PORT1\n"
    probe = KamailioProbe(tmp_path, head, ["uri==myself"], v6=False)
    p, p1 = str(probe.port), str(probe.port + 1)
    uris = [u.replace("PORT1", p1).replace("PORT", p) for u in AUTO_CASES]
    try:
        theirs = [probe.ask(u, FROM) for u in uris]
    finally:
        probe.close()
    mine = [ours(probe.text, probe.port, u, FROM) for u in uris]
    assert mine == theirs
    assert theirs[0].startswith("200") and theirs[2].startswith("404")  # not vacuous
