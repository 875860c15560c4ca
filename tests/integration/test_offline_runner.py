"""`siprouter --run-message`: the routes run on a message from a file, nothing sent,
and the report shows what a running server does with the same message: the same
forwarded bytes, the same reply, the log lines, the final R-URI/$du/flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

CFG = """\
#!KAMAILIO
debug=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
loadmodule "textops"
request_route {
    xlog("L_INFO", "got $rm for $rU\\n");
    if ($rU == "fwd") {
        setflag(3);
        $du = "sip:127.0.0.1:@PEER@";
        append_hf("X-Seen: yes\\r\\n");
        forward();
        exit;
    }
    sl_send_reply("200", "OK $rU");
}
reply_route {
    if ($rs == 180) drop;
}
"""


def _message(user: str, port: int, client_port: int) -> bytes:
    return (
        f"OPTIONS sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-off-{user}\r\n"
        "From: <sip:bob@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
        f"Call-ID: off-{user}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _offline(cfg: Path, msg: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "siprouter"
    return subprocess.run(
        [str(exe), "-f", str(cfg), "--run-message", str(msg), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _block(report: str, title: str) -> bytes:
    """The indented message under `title` in the report, as wire bytes."""
    lines = report.splitlines()
    start = lines.index(title) + 1
    body = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        body.append(line[4:])
    return ("\r\n".join(body) + "\r\n").encode()


def test_forward_matches_a_running_server(servers: Any, udp_client: Any, udp_peer: Any, tmp_path: Path) -> None:  # fmt: skip
    cfg_text = CFG.replace("@PEER@", str(udp_peer.port))
    srv = servers.siprouter(cfg_text)
    data = _message("fwd", srv.port, udp_client.port)
    udp_client.send(srv.port, data)
    online = udp_peer.recv(10.0)
    assert online is not None
    cfg = tmp_path / "offline.cfg"
    cfg.write_text(cfg_text.replace("@PORT@", str(srv.port)))
    msg = tmp_path / "fwd.sip"
    msg.write_bytes(data)
    proc = _offline(cfg, msg, f"--run-source=127.0.0.1:{udp_client.port}")
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout
    assert report.startswith("request_route: returned 0\n")
    assert _block(report, f"request forwarded to 127.0.0.1:{udp_peer.port}:") == online
    assert "log INFO: got OPTIONS for fwd" in report
    assert f"$du: sip:127.0.0.1:{udp_peer.port}" in report
    assert "flags: 0x8" in report


def test_reply_and_reply_route(tmp_path: Path) -> None:
    cfg = tmp_path / "offline.cfg"
    cfg.write_text(CFG.replace("@PORT@", "5070").replace("@PEER@", "5080"))
    msg = tmp_path / "plain.sip"
    msg.write_bytes(_message("plain", 5070, 5062).replace(b"\r\n", b"\n"))  # LF file
    report = _offline(cfg, msg, "--run-source", "10.1.2.3:5062").stdout
    assert "request_route: returned 1" in report
    assert "reply sent to 10.1.2.3:5062:" in report  # Via 127.0.0.1 -> received=10.1.2.3
    assert "    SIP/2.0 200 OK plain" in report
    assert ";received=10.1.2.3" in report
    ringing = tmp_path / "r180.sip"
    ringing.write_text(
        "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-x\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\nFrom: <sip:b@x>;tag=1\n"
        "To: <sip:a@x>;tag=2\nCall-ID: c\nCSeq: 1 INVITE\nContent-Length: 0\n\n"
    )
    report = _offline(cfg, ringing).stdout
    assert report.startswith(
        "reply_route: returned 0 (dropped)\nthe reply would not be forwarded\n"
    )
    ok = tmp_path / "r200.sip"
    ok.write_text(ringing.read_text().replace("180 Ringing", "200 OK"))
    assert "the reply would be forwarded by its second Via" in _offline(cfg, ok).stdout


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "offline.cfg"
    cfg.write_text(CFG.replace("@PORT@", "5070").replace("@PEER@", "5080"))
    missing = _offline(cfg, tmp_path / "nope.sip")
    assert missing.returncode != 0 and "cannot read the message file" in missing.stderr
    garbage = tmp_path / "garbage.sip"
    garbage.write_text("this is not SIP\n\n")
    bad = _offline(cfg, garbage)
    assert bad.returncode != 0 and "does not parse" in bad.stderr
    msg = tmp_path / "m.sip"
    msg.write_bytes(_message("plain", 5070, 5062))
    src = _offline(cfg, msg, "--run-source=nowhere")
    assert src.returncode != 0 and "--run-source: IP:PORT expected" in src.stderr
