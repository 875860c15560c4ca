"""maxfwd through running servers: the same cfg and requests through Kamailio 5.6.3 and
siprouter; the replies (return codes in the reason) and the forwarded bytes must match."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "maxfwd"
@PARAMS@
request_route {
    $var(a) = $(hdr(X-Arg){s.int});
    $var(b) = $(hdr(X-Lt){s.int});
    $var(s) = "7";
    $var(r) = mf_process_maxfwd_header("$var(a)");
    $var(r2) = process_maxfwd("$var(a)");
    $var(l) = is_maxfwd_lt("$var(b)");
    $var(m) = maxfwd_at_least("5");
    $var(n) = mf_lowlimit("$var(s)");
    if ($var(r) == -1 && $hdr(X-483) != $null) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    sl_send_reply("200", "R $var(r) $var(r2) L $var(l) $var(m) $var(n)");
    forward("127.0.0.1", @UAS@);
}
"""

# (Max-Forwards value or None, X-Arg, X-Lt)
CASES: list[tuple[str | None, str, str]] = [
    ("70", "10", "80"),
    ("0", "10", "5"),
    (None, "10", "5"),
    ("abc", "10", "5"),
    ("  12 ", "10", "50"),
    ("300", "10", "5"),
    ("10", "-1", "5"),
    ("10", "256", "x"),
    ("99999", "10", "5"),
    ("123456", "10", "5"),
    ("1", "10", "1"),
    ("2", "0", "2"),
    ("10", "0", "5"),
]


def _request(client_port: int, n: int, mf: str | None, arg: str, lt: str, extra: str) -> bytes:
    h = f"Max-Forwards: {mf}\r\n" if mf is not None else ""
    return (
        f"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-mf-{n}\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: mf-{n}\r\nCSeq: 1 OPTIONS\r\n{h}X-Arg: {arg}\r\nX-Lt: {lt}\r\n{extra}"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def _norm(data: bytes | None, ports: dict[int, str]) -> str | None:
    if data is None:
        return None
    text = data.decode(errors="replace")
    for port, name in ports.items():
        text = text.replace(str(port), name)
    return re.sub(r"branch=z9hG4bK[^;\r\n]*", "branch=BRANCH", text, count=1)


def _run(
    start: Any, cfg: str, cases: list[tuple[str | None, str, str]], extra: str = ""
) -> list[tuple[str | None, str | None]]:
    client, uas = UdpClient(), UdpClient()
    try:
        srv = start(cfg.replace("@UAS@", str(uas.port)))
        ports = {srv.port: "SRV", client.port: "CLIENT", uas.port: "UAS"}
        out: list[tuple[str | None, str | None]] = []
        for n, (mf, arg, lt) in enumerate(cases):
            client.send(srv.port, _request(client.port, n, mf, arg, lt, extra))
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            fwd = uas.recv(1.0) if reply.startswith(b"SIP/2.0 200") else None
            out.append((_norm(reply.split(b"\r\n")[0], ports), _norm(fwd, ports)))
        return out
    finally:
        client.close()
        uas.close()


def _cfg(params: str = "") -> str:
    return CFG.replace("@PARAMS@", params)


def test_siprouter_forwards_decremented(servers: Any) -> None:
    res = _run(servers.siprouter, _cfg(), [("70", "10", "80"), (None, "16", "5")])
    assert res[0][0] == "SIP/2.0 200 R 1 1 L 1 -1 -1"
    assert res[0][1] is not None and "\r\nMax-Forwards: 68\r\n" in res[0][1]
    assert res[1][0] == "SIP/2.0 200 R 2 2 L -2 -2 -1"
    fwd = res[1][1]
    assert fwd is not None
    # each call adds one (as Kamailio does), before the first header, above our Via
    assert fwd.split("\r\n")[1:4] == [
        "Max-Forwards: 16",
        "Max-Forwards: 16",
        "Via: SIP/2.0/UDP 127.0.0.1:SRV;branch=BRANCH",
    ]


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize("params", ["", 'modparam("maxfwd", "max_limit", 256)'])
def test_same_as_kamailio(servers: Any, params: str) -> None:
    ours = _run(servers.siprouter, _cfg(params), CASES)
    theirs = _run(servers.kamailio, _cfg(params), CASES)
    for case, a, b in zip(CASES, ours, theirs, strict=True):
        assert a == b, case


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_483_reply_same_as_kamailio(servers: Any) -> None:
    cases: list[tuple[str | None, str, str]] = [("0", "10", "5"), ("1", "10", "5")]
    ours = _run(servers.siprouter, _cfg(), cases, extra="X-483: yes\r\n")
    theirs = _run(servers.kamailio, _cfg(), cases, extra="X-483: yes\r\n")
    assert ours == theirs
    assert ours[0] == ("SIP/2.0 483 Too Many Hops", None)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_route_types_and_modparam_same_as_kamailio_check(tmp_path: Path) -> None:
    calls = [f'{f}("10")' for f in ("mf_process_maxfwd_header", "process_maxfwd",
             "maxfwd_process", "is_maxfwd_lt", "maxfwd_at_least", "mf_lowlimit")]  # fmt: skip
    routes = ["request_route", "reply_route", "onreply_route[x]", "failure_route[x]",
              "branch_route[x]", "onsend_route"]  # fmt: skip
    params = ["", 'modparam("maxfwd", "max_limit", 10)', 'modparam("maxfwd", "max_limit", "10")']
    cfg = tmp_path / "rt.cfg"
    diff = []
    for call in calls:
        for route in routes:
            for param in params:
                # listen on loopback only: else kamailio -c reverse-resolves every address
                text = (
                    f'listen=udp:127.0.0.1:5060\nloadmodule "maxfwd"\n{param}\n'
                    f"request_route {{ exit; }}\n{route} {{ {call}; }}\n"
                )
                cfg.write_text(text)
                kam = subprocess.run(
                    ["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=30
                )
                try:
                    compile_config(parse_string(text, "rt.cfg"))
                    ours = True
                except ConfigError:
                    ours = False
                if (kam.returncode == 0) != ours:
                    diff.append(f"{call} in {route} {param}: kamailio rc {kam.returncode}")
    assert not diff, "\n".join(diff)
