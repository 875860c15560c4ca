"""latency_cfg_log / latency_limit_action / latency_log through running servers, against
Kamailio 5.6.3: the route duration lines at the latency_cfg_log level and the action
alerts at the latency_log level, with the same action names, cfg files and lines.

The limit is 1 us: the alerts compared are those of actions that send a datagram
(forward, sl_send_reply), which take longer than that in both servers; which of the
fast actions cross 1 us is timing and is not compared."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
latency_cfg_log=2
latency_limit_action=1
latency_log=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "textops"
request_route {
    $var(a) = 1;
    forward("127.0.0.1", @NEXTHOP@);
    sl_send_reply("200", "ok");
}
reply_route {
    $var(b) = 2;
}
"""

_LINE = re.compile(r"^\s*\d+\(\d+\) ([A-Z]+): <core>.*?: (\w+\(\): .*)$")
SLOW = ("[corefunc (1)]", "[sl_send_reply (26)]")


def _play(start: Any) -> list[tuple[str, str]]:
    """(level word, text from the function name on) of the latency lines, numbers and
    the cfg path normalised."""
    client, hop = UdpClient(), UdpClient()
    try:
        srv = start(CFG.replace("@NEXTHOP@", str(hop.port)))
        client.send(
            srv.port,
            (
                f"OPTIONS sip:l@127.0.0.1 SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-l1;rport\r\n"
                "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: lat-1\r\n"
                "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
        )
        assert client.recv() is not None, srv.log()[-2000:]
        fwd = hop.recv()
        assert fwd is not None
        client.send(  # a reply to what was forwarded comes back through reply_route
            srv.port,
            fwd.replace(b"OPTIONS sip:l@127.0.0.1 SIP/2.0", b"SIP/2.0 200 OK", 1),
        )
        assert client.recv() is not None, srv.log()[-2000:]
        srv.stop()
        out = []
        for line in srv.log().splitlines():
            m = _LINE.match(line)
            if m and ("executed in" in m.group(2) or "alert - action" in m.group(2)):
                text = re.sub(r"cfg \[[^\]:]*:", "cfg [CFG:", m.group(2))
                out.append((m.group(1), re.sub(r"\d+ (us|usec)\b", r"N \1", text)))
        return out
    finally:
        client.close()
        hop.close()


def _compared(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (lvl, text)
        for lvl, text in lines
        if "executed in" in text or any(name in text for name in SLOW)
    ]


def test_siprouter_latency_lines(servers: Any) -> None:
    got = _compared(_play(servers.siprouter))
    assert got == [
        ("NOTICE", "run_actions(): alert - action [corefunc (1)] cfg [CFG:13] took too long [N us]"),
        ("NOTICE", "run_actions(): alert - action [sl_send_reply (26)] cfg [CFG:14] took too long [N us]"),
        ("INFO", "receive_msg(): request-route executed in: N usec"),
        ("INFO", "receive_msg(): reply-route executed in: N usec"),
    ]  # fmt: skip


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_latency_lines_match_kamailio(servers: Any) -> None:
    kam = _compared(_play(servers.kamailio))
    ours = _compared(_play(servers.siprouter))
    assert ours == kam
