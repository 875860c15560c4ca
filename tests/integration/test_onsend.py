"""onsend_route through running servers, against Kamailio 5.6.3: the keywords
(snd_ip, snd_port, snd_proto, snd_af, to_ip, to_port, msg:len), $snd/$sndto/$sndfrom,
drop blocking the forward and forward()'s value then, and that sl replies do not run
it. The script's log lines, the replies and what reaches the next hop (our Via
branch normalised) must be the same."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO, UdpClient

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@ name "main"
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "textops"
onsend_route {
    $var(o) = "";
    if (snd_ip == 127.0.0.1) $var(o) = $var(o) + " snd_ip";
    if (snd_ip == myself) $var(o) = $var(o) + " snd_ip-myself";
    if (snd_port == @PORT@) $var(o) = $var(o) + " snd_port";
    if (snd_proto == UDP) $var(o) = $var(o) + " snd_proto";
    if (snd_af == INET) $var(o) = $var(o) + " snd_af";
    if (to_ip == 127.0.0.0/8) $var(o) = $var(o) + " to_ip-net";
    if (to_port == @NEXTHOP@) $var(o) = $var(o) + " to_port";
    if (msg:len == $(snd(buf){s.len})) $var(o) = $var(o) + " msglen";
    if (msg:len == $ml) $var(o) = $var(o) + " msglen-is-ml";
    if (uri == "sip:changed@127.0.0.1") $var(o) = $var(o) + " new-uri";
    xlog("L_ERR", "OS$var(o)\\n");
    xlog("L_ERR", "OS snd=[$snd(ip):$snd(port)/$snd(proto)/$snd(sproto)/$snd(af)] to=[$sndto(ip):$sndto(port)] from=[$sndfrom(ip):$sndfrom(port)/$sndfrom(sproto)] fsn=[$fsn] rm=[$rm] ru=[$ru]\\n");
    xlog("L_ERR", "OSBUF [$snd(buf)]\\n");
    if (is_present_hf("X-Drop")) { xlog("L_ERR", "OS drop\\n"); drop; }
    if (is_present_hf("X-Exit")) { exit; }
}
request_route {
    if ($rU == "sync") { sl_send_reply("200", "sync"); exit; }
    $ru = "sip:changed@127.0.0.1";
    if (is_present_hf("X-Fsn")) { $fsn = "main"; }
    $var(r) = forward("127.0.0.1", @NEXTHOP@);
    sl_send_reply("200", "r $var(r)");
}
"""


def _request(ruri: str, client: int, n: int, extra: str = "") -> bytes:
    return (
        f"OPTIONS {ruri} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client};branch=z9hG4bK-os{n};rport\r\n"
        f"From: <sip:a@example.com>;tag=f{n}\r\nTo: <sip:b@example.com>\r\n"
        f"Call-ID: os-{n}\r\nCSeq: {n} OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


_RECORD = re.compile(r"^\s*\d+\(\d+\) [A-Z]+: ")
_BRANCH = re.compile(r"branch=z9hG4bK[^;\r\n]*")


def _norm(text: str, ports: dict[int, str]) -> str:
    text = _BRANCH.sub("branch=BRANCH", text)
    for port, name in ports.items():
        text = text.replace(str(port), name)
    return text


def _script(log: str) -> list[str]:
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
    return out


CASES = ["", "X-Drop: 1\r\n", "X-Exit: 1\r\n", "X-Fsn: 1\r\n"]


def _play(start: Any) -> tuple[list[str], list[str], list[str]]:
    """(replies' first lines, next hop messages, script log lines), normalised."""
    client, hop = UdpClient(), UdpClient()
    try:
        srv = start(CFG.replace("@NEXTHOP@", str(hop.port)))
        ports = {srv.port: "SRV", client.port: "CLIENT", hop.port: "HOP"}
        replies: list[str] = []
        forwarded: list[str] = []
        for n, extra in enumerate(CASES):
            client.send(srv.port, _request("sip:os@127.0.0.1", client.port, n, extra))
            client.send(srv.port, _request("sip:sync@127.0.0.1", client.port, 100 + n))
            while True:
                answer = client.recv()
                assert answer is not None, srv.log()[-3000:]
                first = answer.split(b"\r\n", 1)[0].decode()
                if first == "SIP/2.0 200 sync":
                    break
                replies.append(first)
            while (data := hop.recv(0.2 if forwarded else 1.0)) is not None:
                forwarded.append(_norm(data.decode(), ports))
        srv.stop()
        lines = [_norm(line, ports) for line in _script(srv.log())]
        return replies, forwarded, lines
    finally:
        client.close()
        hop.close()


def test_siprouter_onsend(servers: Any) -> None:
    replies, forwarded, lines = _play(servers.siprouter)
    # drop blocks the forward: forward() gives -510 (E_ADM_PROHIBITED); exit does not
    assert replies == [
        "SIP/2.0 200 r 1",
        "SIP/2.0 200 r -510",
        "SIP/2.0 200 r 1",
        "SIP/2.0 200 r 1",
    ]
    assert len(forwarded) == 3
    assert lines[0] == (
        "OS snd_ip snd_ip-myself snd_port snd_proto snd_af to_ip-net to_port msglen new-uri"
    )
    assert lines[1].startswith("OS snd=[127.0.0.1:HOP/1/udp/2] to=[127.0.0.1:HOP] ")
    assert "from=[127.0.0.1:SRV/udp]" in lines[1]
    assert lines[2].startswith("OSBUF [OPTIONS sip:changed@127.0.0.1 SIP/2.0\n")
    assert any(
        line.endswith("fsn=[main] rm=[OPTIONS] ru=[sip:changed@127.0.0.1]") for line in lines
    )


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_onsend_matches_kamailio(servers: Any) -> None:
    kam = _play(servers.kamailio)
    ours = _play(servers.siprouter)
    assert ours[0] == kam[0]
    assert ours[1] == kam[1]
    assert ours[2] == kam[2]
