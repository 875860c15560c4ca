"""siprouter and Kamailio 5.6.3 run the same cfg and get the same UDP requests: the
replies (status line, reason, header names and values) and the xlog lines must match,
with the To tag and the Server text normalised."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from siprouter.sip.message import parse_message

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

CFG = """\
#!KAMAILIO
debug=2
children=1
log_stderror=yes
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
request_route {
    xlog("L_NOTICE", "req $rm $ci from $si cseq=$cs ru=$ru\\n");
    xerr("err-$ci\\n");
    if (method == "OPTIONS") {
        if ($hdr(X-Var) != $null) {
            $var(c) = 480;
            sl_send_reply("$var(c)", "Var $var(c) $hdr(X-Var)");
            exit;
        }
        if ($hdr(X-Code) != $null) {
            sl_send_reply("$hdr(X-Code)", "Coded $rU");
            exit;
        }
        sl_send_reply("200", "Alive $rm");
        exit;
    }
    if (method == "ACK") { exit; }
    if (method == "INFO") { sl_reply_error(); exit; }
    if (method == "MESSAGE") { drop; }
    sl_send_reply("404", "Not here");
}
"""

_TAG = re.compile(r";tag=[^;>\s]+")


def normalise(data: bytes, has_to_tag: bool) -> list[str]:
    """Status line + header lines, the To tag replaced when we set it, Server dropped."""
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    out = [head[0]]
    for line in head[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name == "server":
            out.append("server: <normalised>")
            continue
        if name == "to" and not has_to_tag:
            line = _TAG.sub(";tag=<ours>", line)
        out.append(line)
    return out


REQUESTS: list[tuple[str, str, bool]] = [
    ("OPTIONS", "", False),
    ("OPTIONS", "X-Code: 486\r\n", False),
    ("OPTIONS", "X-Code: 183\r\n", False),
    ("OPTIONS", "X-Code: 100\r\n", False),
    ("OPTIONS", "X-Var: v1\r\nRecord-Route: <sip:rr2.example;lr>\r\n", False),
    ("OPTIONS", "Record-Route: <sip:a.example;lr>, <sip:b.example;lr>\r\n", False),
    ("SUBSCRIBE", "Record-Route: <sip:rr1.example;lr>\r\n", False),
    ("INFO", "", False),
    ("OPTIONS", "", True),  # a To tag already there is kept
]


def _request(
    req: Any, client_port: int, server_port: int, i: int, method: str, extra: str, tagged: bool
) -> bytes:
    data: bytes = req(client_port, server_port, f"kd-{i}", i + 1, extra)
    if tagged:
        data = data.replace(b"To: <sip:probe@127.0.0.1>", b"To: <sip:probe@127.0.0.1>;tag=pre")
    return data.replace(b"OPTIONS", method.encode())


def test_replies_match_kamailio(servers: Any, udp_client: Any, options_req: Any) -> None:
    ours = servers.siprouter(CFG)
    kam = servers.kamailio(CFG)
    for i, (method, extra, tagged) in enumerate(REQUESTS):
        replies = []
        for srv in (ours, kam):
            udp_client.send(
                srv.port, _request(options_req, udp_client.port, srv.port, i, method, extra, tagged)
            )
            data = udp_client.recv()
            assert data is not None, f"{method} {extra}: no reply\n{srv.log()[-1500:]}"
            replies.append(data)
        a, b = (
            normalise(re.sub(rb"(?<!\d)%d(?!\d)" % s.port, b"SPORT", r), tagged)
            for r, s in zip(replies, (ours, kam), strict=True)
        )
        assert a == b, f"{method} {extra!r}"
        # the To tag of siprouter is stable for the request (retransmission)
        if not tagged and parse_message(replies[0]).status >= 180:
            udp_client.send(
                ours.port,
                _request(options_req, udp_client.port, ours.port, i, method, extra, tagged),
            )
            again = udp_client.recv()
            assert again is not None
            assert parse_message(again).to.tag == parse_message(replies[0]).to.tag  # type: ignore[union-attr]


def _script_lines(log: str) -> list[str]:
    return [re.sub(r"^\s*\d+\(\d+\) ", "", ln) for ln in log.splitlines() if "<script>" in ln]


def test_xlog_lines_and_drop_match_kamailio(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    ours = servers.siprouter(CFG)
    kam = servers.kamailio(CFG)
    for srv in (ours, kam):
        msg = options_req(udp_client.port, srv.port, "xl-drop").replace(b"OPTIONS", b"MESSAGE")
        udp_client.send(srv.port, msg)
        udp_client.send(srv.port, options_req(udp_client.port, srv.port, "xl-opt"))
        data = udp_client.recv()
        assert data is not None and parse_message(data).callid == "xl-opt"  # MESSAGE: no reply
    ours.stop()
    kam.stop()
    a = [re.sub(rf"(?<!\d){ours.port}(?!\d)", "SPORT", ln) for ln in _script_lines(ours.log())]
    b = [re.sub(rf"(?<!\d){kam.port}(?!\d)", "SPORT", ln) for ln in _script_lines(kam.log())]
    assert a and a == b
