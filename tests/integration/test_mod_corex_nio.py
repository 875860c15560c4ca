"""corex network I/O interception (nio_intercept, nio_min_msg_len, nio_msg_avp,
event_route[network:msg], is_incoming) through running servers: each config runs in
Kamailio 5.6.3 and in siprouter and the replies' status lines must match."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import HAS_KAMAILIO, UdpClient, siprouter_cmd

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

HEAD = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "corex"
"""

ROUTES = """\
event_route[network:msg] {
    if (is_incoming()) {
        $avp(msg) = $(mb{s.replace,ping,pong});
    } else {
        $avp(msg) = $(mb{s.replace,Sane,Fine});
    }
}
request_route {
    $var(x) = is_incoming();
    sl_send_reply("200", "Sane $hdr(Subject) $var(x)");
    exit;
}
"""

NIO = 'modparam("corex", "nio_intercept", 1)\nmodparam("corex", "nio_msg_avp", "$avp(msg)")\n'

CASES = {
    # both directions rewritten through the AVP; is_incoming() still 1 in request_route
    "intercept": NIO + ROUTES,
    # data shorter than nio_min_msg_len skips the route in both directions
    "min_len": NIO + 'modparam("corex", "nio_min_msg_len", 4000)\n' + ROUTES,
    # without nio_msg_avp the route runs but the data stays as it was
    "no_avp": 'modparam("corex", "nio_intercept", 1)\n' + ROUTES,
    # interception off: the event route never runs, is_incoming() is false
    "off": ROUTES,
}


def _options(client_port: int, server_port: int) -> bytes:
    return (
        f"OPTIONS sip:a@127.0.0.1:{server_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-nio;rport\r\n"
        "From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        "Call-ID: nio-1\r\nCSeq: 1 OPTIONS\r\nSubject: ping\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _status(server, client: UdpClient) -> str:  # type: ignore[no-untyped-def]
    client.send(server.port, _options(client.port, server.port))
    reply = client.recv()
    assert reply is not None, server.log()
    return reply.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_reply_as_kamailio(servers, udp_client: UdpClient, case: str) -> None:  # type: ignore[no-untyped-def]
    cfg = HEAD + CASES[case]
    kam = _status(servers.kamailio(cfg), udp_client)
    ours = _status(servers.siprouter(cfg), udp_client)
    assert ours == kam
    if case == "intercept":
        assert ours == "SIP/2.0 200 Fine pong 1"


def _starts(cmd: list[str], cfg: Path) -> bool:
    """Whether the server gets past module init (it is stopped right after)."""
    proc = subprocess.Popen(
        [*cmd, "-DD", "-E", "-f", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=8)
        return False if proc.returncode != 0 else "Listening on" in out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.communicate(timeout=10)
        return True


@pytest.mark.parametrize(
    "extra",
    [
        'modparam("corex", "nio_intercept", 1)\nrequest_route { exit; }\n',
        'modparam("corex", "nio_intercept", 1)\nmodparam("corex", "nio_msg_avp", "$var(x)")\n'
        + ROUTES,
    ],
    ids=["no_event_route", "not_an_avp"],
)
def test_start_up_refused_as_kamailio(tmp_path: Path, free_port, extra: str) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "n.cfg"
    cfg.write_text((HEAD + extra).replace("@PORT@", str(free_port())))
    rundir = tmp_path / "run"
    rundir.mkdir()
    kam = _starts(["kamailio", "-m", "64", "-M", "8", "-Y", str(rundir)], cfg)
    ours = _starts(siprouter_cmd(), cfg)
    assert kam is False and ours is False
