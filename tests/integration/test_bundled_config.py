"""The bundled etc/siprouter.cfg, run as README's first command runs it: it answers
OPTIONS for itself, 404s other requests for itself, 483s exhausted Max-Forwards, and
relays requests for other hosts statelessly (our Via on top)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

BUNDLED = Path(__file__).resolve().parents[2] / "etc" / "siprouter.cfg"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def options_request(client_port: int, server_port: int, callid: str) -> bytes:
    return (
        f"OPTIONS sip:probe@127.0.0.1:{server_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-{callid};rport\r\n"
        f"From: <sip:tester@127.0.0.1>;tag=ft-{callid}\r\n"
        f"To: <sip:probe@127.0.0.1>\r\n"
        f"Call-ID: {callid}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()


def _start(servers: Any) -> int:
    port = free_udp_port()
    servers.siprouter(BUNDLED.read_text(), "-A", f"LISTEN_PORT={port}", port=port)
    return port


def _status(reply: bytes | None) -> bytes:
    assert reply is not None, "no reply"
    return reply.split(b"\r\n", 1)[0]


def test_answers_options_and_404_for_itself(servers: Any, udp_client: Any) -> None:
    port = _start(servers)
    udp_client.send(port, options_request(udp_client.port, port, "b-1"))
    assert _status(udp_client.recv()) == b"SIP/2.0 200 OK"
    invite = options_request(udp_client.port, port, "b-2").replace(b"OPTIONS", b"INVITE")
    udp_client.send(port, invite)
    assert _status(udp_client.recv()) == b"SIP/2.0 404 Not here"
    worn = options_request(udp_client.port, port, "b-3").replace(
        b"Max-Forwards: 70", b"Max-Forwards: 0"
    )
    udp_client.send(port, worn)
    assert _status(udp_client.recv()) == b"SIP/2.0 483 Too Many Hops"


def test_relays_requests_for_other_hosts(servers: Any, udp_client: Any) -> None:
    port = _start(servers)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nexthop:
        nexthop.bind(("127.0.0.1", 0))
        nexthop.settimeout(5.0)
        hop_port = nexthop.getsockname()[1]
        # same host, another port: not `myself`, so relayed to the R-URI
        req = options_request(udp_client.port, port, "b-4").replace(
            f"OPTIONS sip:probe@127.0.0.1:{port}".encode(),
            f"OPTIONS sip:bob@127.0.0.1:{hop_port}".encode(),
        )
        udp_client.send(port, req)
        data, _ = nexthop.recvfrom(65535)
    lines = data.split(b"\r\n")
    assert lines[0] == f"OPTIONS sip:bob@127.0.0.1:{hop_port} SIP/2.0".encode()
    assert lines[1].startswith(f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK".encode())
    assert lines[2].startswith(f"Via: SIP/2.0/UDP 127.0.0.1:{udp_client.port};".encode())
    assert b"Max-Forwards: 70" in data  # the bundled cfg leaves Max-Forwards alone


@pytest.mark.skipif(shutil.which("sipsak") is None, reason="sipsak not installed")
def test_sipsak_gets_200(servers: Any) -> None:
    port = _start(servers)
    proc = subprocess.run(
        # sipsak cuts a 5-digit port out of the R-URI: name the host by its alias
        # (`localhost`, any port is ours) and give the port with -r
        ["sipsak", "-s", "sip:probe@localhost", "-r", str(port), "-vv"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "200 OK" in proc.stdout
