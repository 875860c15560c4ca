"""The core event routes through running servers, against Kamailio 5.6.3: the same cfg
and datagrams to kamailio and to siprouter; what the routes log (xlog lines, ports
normalised) and what the client gets back must be the same.

event_route[core:worker-one-init] runs once, in the first worker of both (siprouter's
process model calls Pipeline.worker_init); its line is also checked against what a
Pipeline prints in-process for the same cfg."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from siprouter.cfg.core_params import effective_params
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.runtime.logging import LOG
from siprouter.runtime.pipeline import Pipeline

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
received_route_mode=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
event_route[core:worker-one-init] {
    xlog("L_ERR", "WOI rm=[$rm] ru=[$ru] si=[$si] sp=[$sp] ml=[$ml] ci=[$ci] pr=[$pr] rcv=[$rcv(len)] mb=[$mb]\\n");
}
event_route[core:msg-received] {
    $var(k) = $(rcv(buf){s.substr,0,4});
    xlog("L_ERR", "RCV len=[$rcv(len)] af=[$rcv(af)] proto=[$rcv(proto)] sproto=[$rcv(sproto)] src=[$rcv(srcip):$rcv(srcport)] rcv=[$rcv(rcvip):$rcv(rcvport)] rm=[$rm] si=[$si] sp=[$sp] Ri=[$Ri] ml=[$ml] ci=[$ci]\\n");
    if ($var(k) == "DROP") { drop; }
    if ($var(k) == "RETN") { return -1; }
    if ($var(k) == "RET0") { return 0; }
    if ($var(k) == "EXIT") { exit; }
    if ($var(k) == "EXIM") { exit(-1); }
    if ($var(k) == "BUFF") { xlog("L_ERR", "BUF [$rcv(buf)]\\n"); }
}
event_route[core:pre-routing] {
    xlog("L_ERR", "PRE rm=[$rm] rs=[$rs] ci=[$ci]\\n");
    setflag(3);
    if ($rm == "NOTIFY") { drop; }
    if ($rm == "INFO") { return -1; }
}
event_route[core:receive-parse-error] {
    xlog("L_ERR", "PERR si=[$si] Ri=[$Ri] pr=[$pr] ml=[$ml] rm=[$rm] ru=[$ru] ci=[$ci] rcv=[$rcv(len)]\\n");
    xlog("L_ERR", "PERRMB [$mb]\\n");
}
request_route {
    if (isflagset(3)) { $var(f) = "f3"; } else { $var(f) = "nof"; }
    xlog("L_ERR", "REQ $rm $var(f)\\n");
    sl_send_reply("200", "ok $rm $var(f)");
}
reply_route {
    xlog("L_ERR", "REPLY $rs\\n");
}
"""


def _request(method: str, client: int, n: int, via: str | None = None, extra: str = "") -> bytes:
    v = via if via is not None else f"SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-ev{n};rport"
    return (
        f"{method} sip:ev@127.0.0.1 SIP/2.0\r\nVia: {v}\r\n"
        f"From: <sip:a@example.com>;tag=f{n}\r\nTo: <sip:b@example.com>\r\n"
        f"Call-ID: ev-{n}\r\nCSeq: {n} {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def _datagrams(client: int, server: int) -> list[bytes]:
    reply = (
        f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:{server};branch=z9hG4bK-x\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-r\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: ev-r\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    return [
        _request("OPTIONS", client, 1),
        _request("DROP", client, 2),
        _request("RETN", client, 3),
        _request("RET0", client, 4),
        _request("EXIT", client, 5),
        _request("EXIM", client, 6),
        _request("BUFF", client, 7),
        _request("NOTIFY", client, 8),
        _request("INFO", client, 9),
        b"this is some garbage that is long enough to pass any minimum size check\r\n\r\n",
        _request("OPTIONS", client, 10, via="bad!!via"),
        b"x" * 27 + b"\r\n\r\n",  # 31 bytes: a probing packet
        _request("OPTIONS", client, 11).replace(b"Call-ID: ev-11\r\n", b""),
        reply,
    ]


_RECORD = re.compile(r"^\s*\d+\(\d+\) [A-Z]+: ")


def _script_lines(log: str, ports: dict[int, str]) -> list[str]:
    """The `<script>` log records (a record goes on over the lines without a log
    prefix: xlog of $mb), ports replaced by names."""
    out: list[str] = []
    is_script = False
    for line in log.splitlines():
        if _RECORD.match(line):
            _, sep, text = line.partition("<script>: ")
            is_script = bool(sep)
            if is_script:
                out.append(text)
        elif is_script:
            out[-1] += "\n" + line
    for port, name in ports.items():
        out = [text.replace(str(port), name) for text in out]
    return out


def _play(start: Any) -> tuple[list[str], list[str]]:
    """(first lines of what the client got, the script's log lines)."""
    client = UdpClient()
    try:
        srv = start(CFG)
        got: list[str] = []
        for data in _datagrams(client.port, srv.port):
            client.send(srv.port, data)
            sync = _request("OPTIONS", client.port, 99)
            client.send(srv.port, sync)
            while True:
                answer = client.recv()
                assert answer is not None, srv.log()[-3000:]
                first = answer.split(b"\r\n", 1)[0].decode()
                if b"ev-99" in answer and first == "SIP/2.0 200 ok OPTIONS f3":
                    break
                got.append(first)
        srv.stop()
        ports = {srv.port: "SRV", client.port: "CLIENT"}
        return got, _script_lines(srv.log(), ports)
    finally:
        client.close()


def test_siprouter_event_routes(servers: Any) -> None:
    got, lines = _play(servers.siprouter)
    # replies: OPTIONS, RET0, EXIT, BUFF and INFO reach request_route; the reply goes back
    assert got == [
        "SIP/2.0 200 ok OPTIONS f3",
        "SIP/2.0 200 ok RET0 f3",
        "SIP/2.0 200 ok EXIT f3",
        "SIP/2.0 200 ok BUFF f3",
        "SIP/2.0 200 ok INFO f3",
        "SIP/2.0 200 OK",
    ]
    assert [line for line in lines if line.startswith("WOI")] == _in_process_woi()
    assert lines[1].startswith("RCV len=[") and "si=[1.0.0.127] sp=[5060] Ri=[<null>]" in lines[1]
    assert any(line.startswith("PERR si=[127.0.0.1] Ri=[127.0.0.1] pr=[udp]") for line in lines)


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_event_routes_match_kamailio(servers: Any) -> None:
    kam_got, kam_lines = _play(servers.kamailio)
    our_got, our_lines = _play(servers.siprouter)
    assert our_got == kam_got
    assert our_lines == kam_lines
    assert [line for line in kam_lines if line.startswith("WOI")] == _in_process_woi()


def _in_process_woi() -> list[str]:
    """What Pipeline.worker_init prints for the cfg (the servers' process model calls it)."""
    config = parse_string(re.sub(r"listen=.*\n", "", CFG), "ev.cfg")
    pipe = Pipeline(compile_config(config), params=effective_params(config))
    old = (LOG.stream, LOG.level)
    buf = io.StringIO()
    LOG.stream, LOG.level = buf, 2
    try:
        pipe.worker_init(1)
    finally:
        LOG.stream, LOG.level = old
    return _script_lines(buf.getvalue(), {})
