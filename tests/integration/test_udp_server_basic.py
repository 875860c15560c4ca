"""A running siprouter over UDP: sl replies, xlog lines, bad datagrams, shutdown."""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest

from siprouter.sip.message import parse_message

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
request_route {
    xlog("L_INFO", "got $rm $ci from $si\\n");
    if (method == "OPTIONS") {
        sl_send_reply("200", "Alive $rm");
        exit;
    }
    if (method == "ACK") {
        exit;
    }
    if (method == "MESSAGE") {
        drop;
    }
    sl_send_reply("404", "Not here");
}
"""


def test_options_answered_with_reason_pvs_and_to_tag(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    srv = servers.siprouter(CFG)
    udp_client.send(srv.port, options_req(udp_client.port, srv.port, "c-opt"))
    data = udp_client.recv()
    assert data is not None, srv.log()
    rpl = parse_message(data)
    assert rpl.status == 200 and rpl.reason == b"Alive OPTIONS"
    assert rpl.callid == "c-opt" and rpl.cseq is not None and rpl.cseq.num == 1
    via = rpl.via1
    assert via is not None and via.rport == udp_client.port and via.received == "127.0.0.1"
    assert rpl.to is not None and rpl.to.tag
    assert (rpl.server or "").startswith("siprouter")
    # a retransmission gets the same To tag
    udp_client.send(srv.port, options_req(udp_client.port, srv.port, "c-opt"))
    again = udp_client.recv()
    assert again is not None and parse_message(again).to.tag == rpl.to.tag  # type: ignore[union-attr]
    assert re.search(
        r"^ 1\(\d+\) INFO: <script>: got OPTIONS c-opt from 127\.0\.0\.1$", srv.log(), re.M
    )


def test_other_methods_and_drop(servers: Any, udp_client: Any, options_req: Any) -> None:
    srv = servers.siprouter(CFG)
    msg = options_req(udp_client.port, srv.port, "c-drop").replace(b"OPTIONS", b"MESSAGE")
    udp_client.send(srv.port, msg)  # dropped: no reply
    udp_client.send(
        srv.port, options_req(udp_client.port, srv.port, "c-sub").replace(b"OPTIONS", b"SUBSCRIBE")
    )
    data = udp_client.recv()
    assert data is not None
    rpl = parse_message(data)
    # the first reply to arrive is the SUBSCRIBE's: the MESSAGE got none
    assert rpl.status == 404 and rpl.reason == b"Not here" and rpl.callid == "c-sub"
    assert "got MESSAGE c-drop" in srv.log()


def test_garbage_keepalives_and_bad_messages_do_not_stop_the_server(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    srv = servers.siprouter(CFG)
    bad = [
        b"garbage\x00\xff\xfe",
        b"\r\n\r\n",
        b"\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nCall-ID: novia\r\n\r\n",  # no Via
        b"SIP/2.0 200 OK\r\n\r\n",
        b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP ::::;;;\r\nCall-ID: x\r\n\r\n",
        b"\x00" * 3000,
    ]
    for i in range(30):  # a round of garbage, then a valid request answered
        for b in bad:
            udp_client.send(srv.port, b)
        cid = f"after-garbage-{i}"
        udp_client.send(srv.port, options_req(udp_client.port, srv.port, cid))
        data = udp_client.recv()
        assert data is not None, srv.log()[-2000:]
        assert parse_message(data).callid == cid
    assert udp_client.recv(0.2) is None  # nothing was answered but the valid requests
    assert "core parsing of SIP message from 127.0.0.1" in srv.log()
    assert srv.proc.poll() is None


def test_sigterm_and_sigint_stop_cleanly(servers: Any, udp_client: Any, options_req: Any) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        srv = servers.siprouter(CFG)
        udp_client.send(srv.port, options_req(udp_client.port, srv.port, f"s{sig}"))
        assert udp_client.recv() is not None
        assert srv.stop(sig) == 0
        assert f"signal {int(sig)} received, shutting down" in srv.log()


def test_debug_option_and_log_levels(servers: Any, udp_client: Any, options_req: Any) -> None:
    cfg = CFG.replace('xlog("L_INFO", "got', 'xdbg("dbg $ci\\n"); xlog("L_INFO", "got')
    quiet = servers.siprouter(cfg.replace("debug=2", "debug=1"))  # INFO is off
    loud = servers.siprouter(cfg, "--debug=3")  # DBG on from the command line
    for srv in (quiet, loud):
        udp_client.send(srv.port, options_req(udp_client.port, srv.port, "lv"))
        assert udp_client.recv() is not None
    assert "got OPTIONS" not in quiet.log() and "dbg lv" not in quiet.log()
    assert "DEBUG: <script>: dbg lv" in loud.log() and "INFO: <script>: got OPTIONS" in loud.log()


def test_listen_from_command_line(
    servers: Any, udp_client: Any, options_req: Any, free_port: Any
) -> None:
    port = free_port()
    cfg = CFG.replace("listen=udp:127.0.0.1:@PORT@\n", "")
    srv = servers.siprouter(cfg, "-l", f"udp:127.0.0.1:{port}", port=port)
    assert f"udp: 127.0.0.1:{port}" in srv.stdout()
    udp_client.send(port, options_req(udp_client.port, port, "dash-l"))
    data = udp_client.recv()
    assert data is not None and parse_message(data).status == 200


def test_reply_that_cannot_be_built_is_logged_and_serving_goes_on(
    servers: Any, udp_client: Any, options_req: Any
) -> None:
    srv = servers.siprouter(CFG)
    bad = options_req(udp_client.port, srv.port, "bad-to").replace(
        b"To: <sip:probe@127.0.0.1>", b"To: <sip:probe@127.0.0.1"
    )
    udp_client.send(srv.port, bad)
    udp_client.send(srv.port, options_req(udp_client.port, srv.port, "good-after"))
    data = udp_client.recv()
    assert data is not None and parse_message(data).callid == "good-after"
    assert "got OPTIONS bad-to" in srv.log()
    assert "sl_send_reply: cannot build the 200 reply" in srv.log()


def test_ipv6_listen(servers: Any, free_port: Any) -> None:
    import socket

    probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        probe.bind(("::1", 0))
    except OSError:
        probe.close()
        pytest.skip("no IPv6 loopback")
    port = int(probe.getsockname()[1])
    try:
        srv = servers.siprouter(CFG.replace("127.0.0.1:@PORT@", "[::1]:@PORT@"), port=free_port())
        assert f"udp: ::1:{srv.port}"  # as kamailio 5.6.3 prints it in srv.stdout()
        req = (
            f"OPTIONS sip:probe@[::1]:{srv.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP [::1]:{port};branch=z9hG4bK-v6;rport\r\n"
            "From: <sip:t@[::1]>;tag=1\r\nTo: <sip:probe@[::1]>\r\nCall-ID: v6\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        probe.settimeout(5)
        probe.sendto(req.encode(), ("::1", srv.port))
        rpl = parse_message(probe.recv(65535))
        assert rpl.status == 200 and rpl.via1 is not None and rpl.via1.rport == port
        assert "got OPTIONS v6 from ::1" in srv.log()
    finally:
        probe.close()


@pytest.mark.parametrize("children", [1, 2])
def test_pid_file_written_and_removed(servers: Any, tmp_path: Any, children: int) -> None:
    pid_file = tmp_path / f"sr{children}.pid"
    srv = servers.siprouter(CFG.replace("children=1", f"children={children}"), "-P", str(pid_file))
    assert pid_file.read_text() == f"{srv.proc.pid}\n"
    assert srv.stop() == 0
    assert not pid_file.exists()
