"""Stateless forwarding over UDP: forward() with our Via, replies back by the 2nd Via.

SIPp UAC -> siprouter -> SIPp UAS calls (INVITE/180/200/ACK/BYE/200) complete, and the
bytes siprouter forwards (request and reply) match what Kamailio 5.6.3 forwards for the
same cfg and input, with the branch and the ports normalised."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.message import parse_message

_KAM = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

FWD_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
request_route {
    xlog("L_INFO", "req $rm $ci\\n");
    @FORWARD@
}
reply_route {
    xlog("L_INFO", "reply $rs $ci\\n");
    @REPLY@
}
"""


def cfg(uas_port: int, *, du: bool = False, reply: str = "") -> str:
    fwd = (
        f'$du = "sip:127.0.0.1:{uas_port}"; forward();'
        if du
        else (f'forward("127.0.0.1", {uas_port});')
    )
    return FWD_CFG.replace("@FORWARD@", fwd).replace("@REPLY@", reply)


def _sipp(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["sipp", "-nostdin", "-i", "127.0.0.1", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
        start_new_session=True,
    )  # fmt: skip


def _finish(p: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate(timeout=10)
    return int(p.returncode), out


@pytest.mark.sipp
@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")
@pytest.mark.parametrize("du", [False, True], ids=["forward(host,port)", "$du+forward()"])
def test_sipp_call_through_stateless_forward(
    servers: Any, free_port: Any, tmp_path: Path, du: bool
) -> None:
    calls = 10
    uas_port = free_port()
    uas = _sipp(["-sn", "uas", "-p", str(uas_port), "-m", str(calls)], tmp_path)
    uac = None
    try:
        srv = servers.siprouter(cfg(uas_port, du=du))
        uac = _sipp(
            ["-sn", "uac", "-p", str(free_port()), "-m", str(calls), "-r", "50",
             "-timeout", "30", "-timeout_error", f"127.0.0.1:{srv.port}"],
            tmp_path,
        )  # fmt: skip
        rc, out = _finish(uac)
        assert rc == 0, out[-3000:] + srv.log()[-3000:]
        rc_uas, out_uas = _finish(uas)
        assert rc_uas == 0, out_uas[-3000:]
    finally:
        for p in (uac, uas):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(10)
    log = srv.log()
    for method in ("INVITE", "ACK", "BYE"):
        assert log.count(f"INFO: <script>: req {method} ") == calls
    assert log.count("INFO: <script>: reply 200 ") == 2 * calls


REQ = (
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{cport};branch=z9hG4bK-fw-{n};rport\r\n"
    "Record-Route: <sip:rr.example.com;lr>\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: fw-{n}\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@127.0.0.1:{cport}>\r\n"
    "Content-Length: 0\r\n\r\n"
)


def _norm(data: bytes, ports: dict[int, str]) -> str:
    text = data.decode()
    for port, name in ports.items():  # whole numbers only: one port may contain another
        text = re.sub(rf"(?<!\d){port}(?!\d)", name, text)
    return re.sub(r"branch=z9hG4bK[^;\r\n]*", "branch=BRANCH", text)


def _exchange(srv: Any, client: Any, uas: Any, n: int) -> tuple[bytes, bytes]:
    client.send(srv.port, REQ.format(cport=client.port, n=n).encode())
    fwd = uas.recv()
    assert fwd is not None, srv.log()[-2000:]
    req = parse_message(fwd)
    head = [
        ln for ln in fwd.split(b"\r\n\r\n")[0].split(b"\r\n")[1:] if ln[:4] in (b"Via:", b"v: ")
    ]
    reply = (
        b"SIP/2.0 180 Ringing\r\n" + b"\r\n".join(head) + b"\r\n"
        b"From: <sip:alice@example.com>;tag=a1\r\n"
        b"To: <sip:bob@example.com>;tag=b2\r\n"
        b"Call-ID: " + (req.callid or "").encode() + b"\r\n"
        b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    uas.send(srv.port, reply)
    back = client.recv()
    assert back is not None, srv.log()[-2000:]
    return fwd, back


def test_forwarded_request_and_reply(servers: Any, udp_client: Any, udp_peer: Any) -> None:
    srv = servers.siprouter(cfg(udp_peer.port, du=True))
    fwd, back = _exchange(srv, udp_client, udp_peer, 1)
    req = parse_message(fwd)
    vias = req.vias
    assert [v.host_bare for v in vias] == ["127.0.0.1", "127.0.0.1"]
    assert vias[0].port == srv.port and (vias[0].branch or "").startswith("z9hG4bK")
    assert vias[1].rport == udp_client.port and vias[1].received == "127.0.0.1"
    assert req.ruri == "sip:bob@example.com"  # $du does not change the R-URI
    assert req.header("Record-Route") == b"<sip:rr.example.com;lr>"
    assert req.max_forwards == 70
    rpl = parse_message(back)
    assert rpl.status == 180 and len(rpl.vias) == 1 and rpl.via1.branch == "z9hG4bK-fw-1"  # type: ignore[union-attr]
    # a retransmission is forwarded with the same branch
    udp_client.send(srv.port, REQ.format(cport=udp_client.port, n=1).encode())
    again = udp_peer.recv()
    assert again is not None and parse_message(again).via1.branch == vias[0].branch  # type: ignore[union-attr]


@pytest.mark.parametrize("server", ["siprouter", pytest.param("kamailio", marks=_KAM)])
def test_reply_route_drop_and_foreign_via(
    servers: Any, udp_client: Any, udp_peer: Any, server: str
) -> None:
    start = servers.siprouter if server == "siprouter" else servers.kamailio
    srv = start(cfg(udp_peer.port, reply="if ($rs == 180) { drop; }"))
    udp_client.send(srv.port, REQ.format(cport=udp_client.port, n=2).encode())
    fwd = udp_peer.recv()
    assert fwd is not None
    vias = b"\r\n".join(ln for ln in fwd.split(b"\r\n") if ln.startswith(b"Via:"))
    base = (
        b"From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@example.com>;tag=b2\r\n"
        b"Call-ID: fw-2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    udp_peer.send(srv.port, b"SIP/2.0 180 Ringing\r\n" + vias + b"\r\n" + base)  # dropped
    # Kamailio 5.6.3 does not check that the top Via is its own: forwarded by the 2nd
    foreign = vias.replace(f"127.0.0.1:{srv.port}".encode(), b"127.0.0.9:5999", 1)
    udp_peer.send(srv.port, b"SIP/2.0 183 Progress\r\n" + foreign + b"\r\n" + base)
    udp_peer.send(srv.port, b"SIP/2.0 200 OK\r\n" + vias + b"\r\n" + base)
    # a reply with one Via only has nowhere to go
    one = b"\r\n".join(ln for ln in vias.split(b"\r\n")[:1])
    udp_peer.send(srv.port, b"SIP/2.0 202 Accepted\r\n" + one + b"\r\n" + base)
    got = []
    for _ in range(2):
        back = udp_client.recv()
        assert back is not None, srv.log()[-2000:]
        rpl = parse_message(back)
        assert len(rpl.vias) == 1 and rpl.via1.branch == "z9hG4bK-fw-2"  # type: ignore[union-attr]
        got.append(rpl.status)
    assert got == [183, 200]
    assert udp_client.recv(0.3) is None  # not the 180 (dropped), not the 202
    assert "reply 180 fw-2" in srv.log() and "reply 202 fw-2" in srv.log()


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize(
    "how",
    [
        "du",
        "rewrite",  # the R-URI changed by the script: forward() goes there
        "rport",  # force_rport() + add_local_rport()
        "advertise",  # listen=... advertise host (no port)
        "advertise-port",  # listen=... advertise host:port
        "advertised_address",  # the core parameters advertised_address/_port
        "set_advertised",  # set_advertised_address()/set_advertised_port() in the script
    ],
)
def test_forwarded_bytes_match_kamailio(
    servers: Any, udp_client: Any, udp_peer: Any, how: str
) -> None:
    if how == "du":
        text = cfg(udp_peer.port, du=True)
    elif how == "rewrite":
        text = FWD_CFG.replace(
            "@FORWARD@", f'rewritehostport("127.0.0.1:{udp_peer.port}"); forward();'
        ).replace("@REPLY@", "")
    elif how == "rport":
        text = FWD_CFG.replace(
            "@FORWARD@", f'force_rport(); add_local_rport(); forward("127.0.0.1", {udp_peer.port});'
        ).replace("@REPLY@", "")
    else:
        text = cfg(udp_peer.port)
        if how == "advertise":
            text = text.replace(":@PORT@\n", ":@PORT@ advertise 192.0.2.7\n")
        elif how == "advertise-port":
            text = text.replace(":@PORT@\n", ":@PORT@ advertise 192.0.2.8:5999\n")
        elif how == "advertised_address":
            text = text.replace(
                "children=1\n",
                'children=1\nadvertised_address="198.51.100.9"\nadvertised_port=6000\n',
            )
        else:
            text = text.replace(
                "forward(",
                'set_advertised_address("203.0.113.5"); set_advertised_port(7000); forward(',
            )
    ours = servers.siprouter(text)
    kam = servers.kamailio(text)
    results = []
    for n, srv in enumerate((ours, kam)):
        fwd, back = _exchange(srv, udp_client, udp_peer, 10 + n)
        names = {srv.port: "SPORT", udp_client.port: "CPORT", udp_peer.port: "UPORT"}
        results.append((_norm(fwd, names).replace(f"fw-{10 + n}", "fw-N"),
                        _norm(back, names).replace(f"fw-{10 + n}", "fw-N")))  # fmt: skip
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]
