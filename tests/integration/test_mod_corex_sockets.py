"""corex socket functions and $lsock through running servers with a named listen
socket: the same cfg and requests through Kamailio 5.6.3 and siprouter, return codes and
values in the reply reason; replies follow set_recv_socket/set_source_address."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient, free_udp_port

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@ name "s1"
loadmodule "pv"
loadmodule "sl"
loadmodule "kex"
loadmodule "corex"
request_route {
    switch ($rU) {
        case "send":
            $var(a) = set_send_socket("udp:127.0.0.1:@PORT@");
            $var(r) = "s " + $var(a) + " fs=" + $fs;
            $fs = $null;
            $var(a) = set_send_socket("udp:127.0.0.1:1");
            $var(r) = $var(r) + " " + $var(a) + " fs=" + $fs;
            $var(a) = set_send_socket_name("s1");
            $var(r) = $var(r) + " " + $var(a) + " fs=" + $fs;
            $var(a) = set_send_socket_name("nope");
            $var(r) = $var(r) + " " + $var(a) + " fs=" + $fs;
            $var(a) = set_send_socket("");
            $var(r) = $var(r) + " " + $var(a) + " fs=" + $fs;
            break;
        case "recv":
            $var(a) = set_recv_socket("udp:127.0.0.1:@PORT@");
            $var(b) = set_recv_socket("udp:127.0.0.1:1");
            $var(c) = set_recv_socket_name("s1");
            $var(d) = set_recv_socket_name("nope");
            $var(e) = set_recv_socket_name("");
            $var(r) = "r " + $var(a) + $var(b) + $var(c) + $var(d) + $var(e) + " " + $Ri + ":" + $Rp + " " + $pr;
            break;
        case "names":
            $var(n) = "s1";
            $var(r) = "n " + is_socket_name("s1") + is_socket_name("$var(n)") + is_socket_name("s2") + is_socket_name("$rU") + is_socket_name("S1");
            break;
        case "lsock":
            $var(n) = "s1";
            $var(r) = "l " + $lsock(n/s1/listen) + "|" + $lsock(n/s1/name) + "|" + $lsock(n/s1/index) + "|" + $lsock(n/s1/adv) + "|" + $lsock(l/udp:127.0.0.1:@PORT@/name) + "|" + $lsock(n/s2/listen) + "|" + $lsock(n/$var(n)/listen) + "|" + $lsock(x/s1/name) + "|" + $lsock(n/s1/proto) + "|" + $lsock(n/s1/n) + "|" + $lsock(l/udp:127.0.0.1:1/name);
            break;
        case "src":
            set_source_address("udp:127.0.0.1:$hdr(X-Port)");
            $var(r) = "moved " + $si + ":" + $sp;
            break;
        default:
            $var(r) = "none";
    }
    sl_send_reply("200", "r $var(r)");
    exit;
}
"""

CASES = ["send", "recv", "names", "lsock"]


def _request(user: str, client_port: int, n: int, extra: str = "") -> bytes:
    return (
        f"OPTIONS sip:{user}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-cx-{n};rport\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: corex-sock-{n}\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def _run(start: Any) -> tuple[list[str], str | None, bool]:
    """(reason of each case, reason received by the moved-to socket, whether the
    client got a reply for the moved case)."""
    client, other = UdpClient(), UdpClient()
    try:
        srv = start(CFG)
        out = []
        for n, user in enumerate(CASES):
            client.send(srv.port, _request(user, client.port, n))
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            first = reply.split(b"\r\n")[0].decode().replace(str(srv.port), "PORT")
            out.append(first)
        client.send(srv.port, _request("src", client.port, 99, f"X-Port: {other.port}\r\n"))
        moved = other.recv()
        # the reply went to the moved source, not to the client
        direct = client.recv(0.5)
        moved_first = None
        if moved is not None:
            moved_first = moved.split(b"\r\n")[0].decode().replace(str(other.port), "OTHER")
        return out, moved_first, direct is not None
    finally:
        client.close()
        other.close()


def test_siprouter_socket_functions(servers: Any) -> None:
    out, moved, direct = _run(servers.siprouter)
    assert out[0] == (
        "SIP/2.0 200 r s 1 fs=udp:127.0.0.1:PORT 1 fs= 1 fs=udp:127.0.0.1:PORT"
        " 1 fs=udp:127.0.0.1:PORT -1 fs=udp:127.0.0.1:PORT"
    )
    assert out[1] == "SIP/2.0 200 r r 1111-1 127.0.0.1:PORT udp"
    assert out[2] == "SIP/2.0 200 r n 11001"
    assert out[3] == "SIP/2.0 200 r l udp:127.0.0.1:PORT|s1|0||s1||udp:127.0.0.1:PORT||||"
    assert moved == "SIP/2.0 200 r moved 127.0.0.1:OTHER"
    assert not direct


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_same_as_kamailio(servers: Any) -> None:
    assert _run(servers.siprouter) == _run(servers.kamailio)


ADV_CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@ name "s1"
listen=udp:127.0.0.1:@P2@ advertise 1.2.3.4:5000 name "s2"
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    $var(r) = $lsock(n/s2/adv) + "|" + $lsock(n/s2/listen) + "|" + $lsock(n/s1/adv)
        + "|" + $lsock(n/s2/index) + "|" + $lsock(l/udp:127.0.0.1:@P2@/name);
    $var(a) = set_send_socket_name("S2");
    $var(r) = $var(r) + "|" + $var(a) + " " + $fs;
    sl_send_reply("200", "r $var(r)");
    exit;
}
"""


def _adv(start: Any) -> str:
    client = UdpClient()
    p2 = free_udp_port()
    try:
        srv = start(ADV_CFG.replace("@P2@", str(p2)))
        client.send(srv.port, _request("adv", client.port, 0))
        reply = client.recv()
        assert reply is not None, srv.log()[-2000:]
        srv.stop()  # frees the second port for the next server
        return reply.split(b"\r\n")[0].decode().replace(str(p2), "P2")
    finally:
        client.close()


def test_siprouter_advertised_socket(servers: Any) -> None:
    assert _adv(servers.siprouter) == (
        "SIP/2.0 200 r udp:1.2.3.4:5000|udp:127.0.0.1:P2||1|s2|1 udp:127.0.0.1:P2"
    )


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_advertised_socket_same_as_kamailio(servers: Any) -> None:
    assert _adv(servers.siprouter) == _adv(servers.kamailio)


RECV_CFG = """\
#!KAMAILIO
children=1
listen=udp:127.0.0.1:@PORT@ name "s1"
listen=udp:127.0.0.1:@P2@ name "s2"
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
request_route {
    set_recv_socket_name("s2");
    sl_send_reply("200", "r $Rp");
    exit;
}
"""


def _reply_source(start: Any) -> tuple[str, int]:
    """(reply line, port the reply came from: 1 = the switched-to socket)."""
    client = UdpClient()
    p2 = free_udp_port()
    try:
        srv = start(RECV_CFG.replace("@P2@", str(p2)))
        client.send(srv.port, _request("recv", client.port, 0))
        client.sock.settimeout(5.0)
        data, src = client.sock.recvfrom(65535)
        srv.stop()
        line = data.split(b"\r\n")[0].decode().replace(str(p2), "P2")
        return line, 1 if src[1] == p2 else 0
    finally:
        client.close()


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_reply_leaves_from_the_switched_socket_as_kamailio(servers: Any) -> None:
    ours = _reply_source(servers.siprouter)
    assert ours == ("SIP/2.0 200 r P2", 1)
    assert ours == _reply_source(servers.kamailio)
