"""sl's later exports through running servers, differential against Kamailio 5.6.3:
default_reason (a reason PV without value), send_reply_mode, the 3xx Contact built from
the destination set (rich_redirect 0 and 1), $ltt(s|t|x) (the To tag of the reply), and
sl_forward_reply in onreply_route (new code of the same class, refused class change,
the core still forwarding the original). To tags and branch values are normalised."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from .conftest import Servers, UdpClient

KAM = pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")

REPLY_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "corex"
loadmodule "textops"
loadmodule "kex"
@PARAMS@
request_route {
    append_to_reply("X-Ltt: s=$ltt(s) t=$ltt(t) x=$ltt(x)\\r\\n");
    if ($hdr(X-T) == "null") { $var(code) = "abc"; sl_send_reply("$var(code)", "$avp(none)"); }
    else if ($hdr(X-T) == "int") { $var(r) = 5; sl_send_reply("404", "$var(r)"); }
    else if ($hdr(X-T) == "text") { sl_send_reply("404", "No $avp(none) here"); }
    else if ($hdr(X-T) == "mode") {
        if (send_reply_mode("486", "Busy $rm", "3") != 1) { xlog("L_ERR", "mode failed\\n"); }
    }
    else if ($hdr(X-T) == "redir") {
        $ru = "sip:new@10.0.0.1"; setbflag(2);
        append_branch("sip:b1@10.0.0.2", "0.5");
        append_branch("sip:b2@10.0.0.3;transport=tcp");
        sl_send_reply("302", "Moved");
    }
    else if ($hdr(X-T) == "redir_pv") {
        $var(c) = 301; append_branch("sip:b1@10.0.0.2", "1");
        sl_send_reply("$var(c)", "Perm");
    }
    else if ($hdr(X-T) == "redir_empty") { sl_send_reply("302", "Nothing"); }
    else { sl_send_reply("180", "Ringing"); }
}
"""

KINDS = ["null", "int", "text", "mode", "redir", "redir_pv", "redir_empty", "other"]


def _request(port: int, kind: str) -> bytes:
    return (
        f"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{kind}\r\n"
        f"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: sl-{kind}\r\n"
        f"CSeq: 1 INVITE\r\nX-T: {kind}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _norm_reply(data: bytes | None) -> str:
    assert data is not None
    text = data.decode()
    tag = re.search(r"^To: .*;tag=(\S+)\r$", text, re.M)
    if tag:
        assert f"s={tag.group(1)} t=<null> x={tag.group(1)}" in text  # $ltt(s) is the reply's tag
        text = text.replace(tag.group(1), "TAG")
    text = re.sub(r"^Server: .*\r\n", "", text, flags=re.M)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:P", text)


def _replies(server: Any) -> dict[str, str]:
    client = UdpClient()
    out = {}
    try:
        for kind in KINDS:
            client.send(server.port, _request(client.port, kind))
            out[kind] = _norm_reply(client.recv())
    finally:
        client.close()
    return out


@pytest.mark.kamailio
@KAM
@pytest.mark.parametrize(
    "params",
    [
        "",
        'modparam("sl", "default_reason", "Oops")\nmodparam("sl", "rich_redirect", 1)',
    ],
)
def test_replies_match_kamailio(servers: Servers, params: str) -> None:
    cfg = REPLY_CFG.replace("@PARAMS@", params)
    kam = _replies(servers.kamailio(cfg))
    ours = _replies(servers.siprouter(cfg))
    for kind in KINDS:
        assert ours[kind] == kam[kind], kind


def test_default_reason_and_redirect_contact(servers: Servers) -> None:
    params = 'modparam("sl", "default_reason", "Oops")\nmodparam("sl", "rich_redirect", 1)'
    got = _replies(servers.siprouter(REPLY_CFG.replace("@PARAMS@", params)))
    assert got["null"].startswith("SIP/2.0 500 Oops\r\n")
    assert got["text"].startswith("SIP/2.0 404 No <null> here\r\n")
    assert "Contact: <sip:new@10.0.0.1>;flags=4, <sip:b1@10.0.0.2>;q=0.5;flags=4" in got["redir"]
    assert "Contact:" not in got["redir_empty"]


FWD_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
request_route { forward("127.0.0.1", @UAS@); }
onreply_route {
    if ($rs == 200) { $var(rc) = sl_forward_reply("$hdr(X-C)", "$hdr(X-R)"); }
    else if ($rs == 180) { $var(rc) = sl_forward_reply(); }
    else { $var(rc) = sl_forward_reply("$rs"); }
    if ($hdr(X-D) == "1") drop;
}
"""

FWD_REPLIES = [
    ("180", "X-D: 0"),
    ("200", "X-C: 202\r\nX-R: Acc Changed\r\nX-D: 1"),
    ("200", "X-C: 404\r\nX-R: Bad Class\r\nX-D: 1"),
    ("183", "X-D: 0"),
    ("200", "X-C: 299\r\nX-D: 0"),
]


def _forward_run(server: Any, uas: UdpClient) -> list[str]:
    uac = UdpClient()
    got: list[str] = []
    try:
        req = (
            f"INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{uac.port};branch=z9hG4bK-fr\r\n"
            f"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: fr-1\r\nCSeq: 1 INVITE\r\n"
            f"Content-Length: 0\r\n\r\n"
        ).encode()
        uac.send(server.port, req)
        fwd = uas.recv()
        assert fwd is not None
        hdrs = fwd.decode().partition("\r\n")[2].split("\r\n\r\n")[0]
        hdrs = hdrs.replace("To: <sip:b@y>", "To: <sip:b@y>;tag=u1")
        hdrs = re.sub(r"Content-Length: \d+\r\n?", "", hdrs)
        for code, extra in FWD_REPLIES:
            uas.send(server.port, f"SIP/2.0 {code} Orig\r\n{hdrs}\r\n{extra}\r\n\r\n".encode())
            # the reply (and its copy) arrive before the next one is sent: ordered output
            while (data := uac.recv(timeout=0.4)) is not None:
                got.append(f"{code}->{data.decode().split(chr(13))[0]}")
    finally:
        uac.close()
    return got


@pytest.mark.kamailio
@KAM
def test_sl_forward_reply_matches_kamailio(servers: Servers) -> None:
    results = []
    for start in (servers.kamailio, servers.siprouter):
        uas = UdpClient()
        try:
            results.append(
                sorted(_forward_run(start(FWD_CFG.replace("@UAS@", str(uas.port))), uas))
            )
        finally:
            uas.close()
    kam, ours = results
    assert "200->SIP/2.0 202 Acc Changed" in kam
    assert ours == kam
