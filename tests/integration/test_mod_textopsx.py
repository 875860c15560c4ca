"""textopsx message functions, iterators and their PVs through running servers,
differential against Kamailio 5.6.3 (same cfg, same requests and replies): return
codes and PV values in the reply reason, and the forwarded bytes, must be the same.
Also: the route types each function is accepted in, as `kamailio -c` decides."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

from .conftest import HAS_KAMAILIO, UdpClient
from .test_mod_textops import _norm
from .test_mod_textops import _request as textops_request
from .test_mod_textops_multipart import run_cases
from .test_mod_textopsx_hfv import HEAD

SDP = "v=0\r\no=x y z\r\n"


def request(kind: str, case: str, client_port: int) -> bytes:
    if kind == "compact":  # compact names, blanks around a value, a folded header
        return (
            f"INVITE sip:bob@example.org SIP/2.0\r\n"
            f"v: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-tx-{case}\r\n"
            f"f: <sip:a@example.com>;tag=1\r\nt: <sip:bob@example.org>\r\ni: tx-{case}\r\n"
            f"CSeq: 1 INVITE\r\nk: 100rel\r\nX-A:   spaced  \r\nX-F: a,\r\n b\r\n"
            f"X-Case: {case}\r\nl: 0\r\n\r\n"
        ).encode()
    body = {"sdp": SDP, "noeol": "v=0\r\nline2\nlast"}.get(kind, "")
    ctype = "Content-Type: application/sdp\r\n" if body else ""
    return (
        f"INVITE sip:bob@example.org SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-tx-{case}\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
        f"Call-ID: tx-{case}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f"X-A: one\r\nX-B: two, three\r\nX-A: four;p=1\r\nX-Case: {case}\r\n"
        f"{ctype}Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


NEW_MSG = (
    "INVITE sip:carol@example.net SIP/2.0\\r\\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-2;rport"
    "\\r\\nFrom: <sip:a@example.com>;tag=1\\r\\nTo: <sip:c@example.net>\\r\\nCall-ID: c2\\r\\n"
    "CSeq: 2 INVITE\\r\\nX-New: $var(x)\\r\\nContent-Length: 0\\r\\n\\r\\n"
)

CASES: dict[str, tuple[str, str, str]] = {
    "apply_changes": (
        'append_hf("X-N: 1\\r\\n"); $var(b)=is_present_hf("X-N"); $var(a)=msg_apply_changes();'
        ' $var(c)=is_present_hf("X-N"); $var(d)=msg_apply_changes(); remove_hf("X-N");',
        "a$var(a) b$var(b) c$var(c) d$var(d)",
        "sdp",
    ),
    "apply_changes_ruri": (
        '$ru="sip:carol@example.net"; $var(a)=msg_apply_changes(); $var(b)=$ou;'
        ' append_hf("X-U: $ru\\r\\n");',
        "a$var(a) b[$var(b)]",
        "sdp",
    ),
    "apply_changes_body": (
        'set_body("hello", "text/plain"); $var(a)=msg_apply_changes(); $var(b)=search_body("^hel");'
        ' $var(c)=has_body("text/plain");',
        "a$var(a) b$var(b) c$var(c)",
        "sdp",
    ),
    "set_buffer": (
        f'append_hf("X-Before: 1\\r\\n"); $var(a)=msg_set_buffer("{NEW_MSG}");'
        ' $var(b)=is_present_hf("X-New"); $var(c)=$ru; append_hf("X-After: $ci\\r\\n");',
        "a$var(a) b$var(b) c[$var(c)]",
        "sdp",
    ),
    "remove_body": (
        "$var(a)=remove_body(); $var(b)=msg_apply_changes(); $var(c)=remove_body();"
        " $var(d)=has_body();",
        "a$var(a) b$var(b) c$var(c) d$var(d)",
        "sdp",
    ),
    "remove_body_empty": ("$var(a)=remove_body();", "a$var(a)", "none"),
    "keep_hf": ('$var(a)=keep_hf("X-B");', "a$var(a)", "sdp"),
    "keep_hf_anchored": ('$var(a)=keep_hf("^x-a");', "a$var(a)", "sdp"),
    "fnmatch": (
        '$var(a)=fnmatch("abc", "a*"); $var(b)=fnmatch("ABC", "a*"); $var(c)=fnmatch("ABC", "a*",'
        ' "i"); $var(d)=fnmatch("a.c", "a?c"); $var(e)=fnmatch("abc", "[!a]*");'
        ' $var(f)=fnmatch("$rU", "b[a-o]?"); $var(g)=fnmatch("", "*"); $var(h)=fnmatch("a/b", "a*b");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e) f$var(f) g$var(g) h$var(h)",
        "none",
    ),
    "hf_iterate": (
        '$var(s)=""; hf_iterator_start("i1"); while(hf_iterator_next("i1")) {'
        ' $var(s) = $var(s) + "|" + $hfitname(i1) + "=" + $hfitbody(i1); }'
        ' $var(a)=hf_iterator_next("i1"); $var(b)=hf_iterator_prev("i1"); $var(c)=$hfitname(i1);'
        ' $var(e)=hf_iterator_end("i1"); $var(d)=$hfitname(i1);',
        "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e) s[$var(s)]",
        "none",
    ),
    "hf_iterate_compact": (
        '$var(s)=""; hf_iterator_start("i1"); while(hf_iterator_next("i1")) {'
        ' $var(s) = $var(s) + "|" + $hfitname(i1); if ($hfitname(i1) =~ "^X-") {'
        ' $var(s) = $var(s) + "=" + $hfitbody(i1); } } hf_iterator_end("i1");'
        ' $var(a)=keep_hf("^X-A");',
        "a$var(a) s[$(var(s){s.encode.hexa})]",
        "compact",
    ),
    "compact_values": (
        '$var(a)=remove_hf_value("X-F[2]"); $var(b)=hf_value_exists("Supported", "100rel");',
        "a$var(a) b$var(b)",
        "compact",
    ),
    "hf_prev": (
        'hf_iterator_start("i$var(x)"); $var(a)=hf_iterator_prev("ipv"); $var(b)=$hfitname(ipv);'
        ' hf_iterator_next("ipv"); hf_iterator_next("ipv"); hf_iterator_next("ipv");'
        ' $var(c)=hf_iterator_prev("ipv"); $var(d)=$hfitname(ipv); hf_iterator_prev("ipv");'
        ' $var(e)=hf_iterator_prev("ipv"); $var(f)=$hfitname(ipv); hf_iterator_end("ipv");',
        "a$var(a) b[$var(b)] c$var(c) d[$var(d)] e$var(e) f[$var(f)]",
        "none",
    ),
    "hf_unknown": (
        '$var(a)=hf_iterator_next("zz"); $var(b)=hf_iterator_start("i1"); $var(c)=hf_iterator_rm("i1");'
        ' $var(d)=hf_iterator_end("q"); $var(e)=bl_iterator_next("zz"); hf_iterator_end("i1");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e)",
        "none",
    ),
    "hf_edit": (
        'hf_iterator_start("i1"); while(hf_iterator_next("i1")) { if ($hfitname(i1) == "X-A") {'
        ' $var(a)=hf_iterator_rm("i1"); } if ($hfitname(i1) == "X-B") {'
        ' $var(b)=hf_iterator_append("i1", "X-App: $hfitbody(i1)\\r\\n");'
        ' $var(c)=hf_iterator_insert("i1", "X-Ins: 1\\r\\n"); } }'
        ' $var(d)=hf_iterator_rm("i1"); $var(e)=hf_iterator_append("i1", "X-End: 1\\r\\n");'
        ' hf_iterator_end("i1");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e)",
        "sdp",
    ),
    "bl_edit": (
        '$var(s)=""; bl_iterator_start("b1"); while(bl_iterator_next("b1")) {'
        ' $var(s) = $var(s) + "|" + $(blitval(b1){s.encode.hexa}); if ($blitval(b1) =~ "^o=") {'
        ' $var(a)=bl_iterator_rm("b1"); $var(b)=bl_iterator_append("b1", "a=x\\r\\n");'
        ' $var(c)=bl_iterator_insert("b1", "a=y\\r\\n"); } } $var(d)=bl_iterator_next("b1");'
        ' $var(e)=bl_iterator_end("b1");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e) s[$var(s)]",
        "sdp",
    ),
    "bl_last_line": (
        'bl_iterator_start("b3"); while(bl_iterator_next("b3")) { if ($blitval(b3) =~ "^last") {'
        ' $var(a)=bl_iterator_append("b3", "+X"); $var(b)=bl_iterator_insert("b3", "-"); } }'
        ' bl_iterator_end("b3");',
        "a$var(a) b$var(b)",
        "noeol",
    ),
    "hf_edit_edges": (
        'hf_iterator_start("i"); $var(a)=hf_iterator_insert("i", "X-I: 1\\r\\n");'
        ' $var(b)=hf_iterator_append("i", "X-J: 1\\r\\n"); hf_iterator_next("i"); hf_iterator_next("i");'
        ' $var(c)=hf_iterator_rm("i"); $var(d)=hf_iterator_rm("i"); $var(e)=$hfitname(i);'
        ' hf_iterator_end("i");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e[$var(e)]",
        "sdp",
    ),
    "bl_edit_edges": (
        'bl_iterator_start("b"); $var(a)=bl_iterator_insert("b", "x"); bl_iterator_next("b");'
        ' $var(b)=bl_iterator_rm("b"); $var(c)=bl_iterator_rm("b");'
        ' $var(d)=bl_iterator_insert("b", "i=1\\r\\n"); $var(e)=$(blitval(b){s.encode.hexa});'
        ' bl_iterator_end("b");',
        "a$var(a) b$var(b) c$var(c) d$var(d) e[$var(e)]",
        "sdp",
    ),
    "bl_empty": (
        'bl_iterator_start("b2"); $var(a)=bl_iterator_next("b2"); $var(b)=bl_iterator_rm("b2");'
        ' $var(c)=bl_iterator_end("b2");',
        "a$var(a) b$var(b) c$var(c)",
        "none",
    ),
}


def test_siprouter_textopsx(servers: Any) -> None:
    res = run_cases(servers.siprouter, HEAD, CASES, request)
    assert res["apply_changes"][0] == "SIP/2.0 200 a1 b-1 c1 d1"
    assert res["keep_hf"][0] == "SIP/2.0 200 a-1"
    fwd = res["keep_hf"][1]
    assert fwd is not None and "X-A" not in fwd and "X-B: two, three" in fwd
    assert res["fnmatch"][0] == "SIP/2.0 200 a1 b-1 c-1 d1 e-1 f1 g1 h1"
    assert res["hf_prev"][0] == "SIP/2.0 200 a1 b[0] c1 d[From] e1 f[0]"
    bl = res["bl_edit"][1]
    assert bl is not None and bl.endswith("Content-Length: 15\r\n\r\nv=0\r\na=y\r\na=x\r\n")


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_textopsx_same_as_kamailio(servers: Any) -> None:
    ours = run_cases(servers.siprouter, HEAD, CASES, request)
    theirs = run_cases(servers.kamailio, HEAD, CASES, request)
    diff = {k: (ours[k], theirs[k]) for k in CASES if ours[k] != theirs[k]}
    assert not diff, "\n".join(f"{k}:\n  ours  {a}\n  kam.  {b}" for k, (a, b) in diff.items())


# ---- replies: change_reply_status ----------------------------------------------------

REPLY_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
loadmodule "textops"
loadmodule "textopsx"
request_route {
    forward("127.0.0.1", @UAS@);
}
reply_route {
    $var(x) = "pv";
    STMTS
    append_hf("X-R: $var(a) $var(b) $rs $rr\\r\\n");
}
"""

REPLY_CASES = {
    "status": ("SIP/2.0 486 Busy Here", '$var(a)=change_reply_status(404, "Not Here $var(x)");'),
    "code_twice": (
        "SIP/2.0 486 Busy Here",
        "$var(a)=change_reply_status_code(603); $var(b)=change_reply_status_code(487);",
    ),
    "provisional": (
        "SIP/2.0 180 Ringing",
        '$var(a)=change_reply_status(183, "Progress"); $var(b)=change_reply_status(200, "OK");',
    ),
    "bad_code": (
        "SIP/2.0 486 Busy Here",
        '$var(a)=change_reply_status(700, "X"); $var(b)=change_reply_status_code("99");',
    ),
    "class_change": (
        "SIP/2.0 486 Busy Here",
        '$var(a)=change_reply_status(200, "OK"); $var(b)=change_reply_status(181, "");',
    ),
    "apply_in_reply": (
        "SIP/2.0 200 OK",
        '$var(a)=change_reply_status(202, "Acc"); append_hf("X-C: 1\\r\\n");'
        " $var(b)=msg_apply_changes();",
    ),
}


def _reply_run(start: Any, status: str, stmts: str) -> str | None:
    client, uas = UdpClient(), UdpClient()
    try:
        cfg = REPLY_CFG.replace("@UAS@", str(uas.port)).replace("STMTS", stmts)
        srv = start(cfg)
        ports = {srv.port: "SRV", client.port: "CLIENT", uas.port: "UAS"}
        client.send(srv.port, textops_request("body", "reply", client.port))
        fwd = uas.recv()
        assert fwd is not None, srv.log()[-2000:]
        vias = [ln for ln in fwd.split(b"\r\n\r\n")[0].split(b"\r\n") if ln.startswith(b"Via:")]
        reply = (
            status.encode() + b"\r\n" + b"\r\n".join(vias) + b"\r\n"
            b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.org>;tag=2\r\n"
            b"Call-ID: tx-reply\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        )
        uas.send(srv.port, reply)
        back = client.recv()
        assert back is not None, srv.log()[-2000:]
        return _norm(back, ports)
    finally:
        client.close()
        uas.close()


def _reply_all(start: Any) -> dict[str, str | None]:
    return {k: _reply_run(start, st, stmts) for k, (st, stmts) in REPLY_CASES.items()}


def test_siprouter_change_reply_status(servers: Any) -> None:
    res = _reply_all(servers.siprouter)
    status = res["status"]
    assert status is not None and status.startswith("SIP/2.0 404 Not Here pv\r\n")
    assert "\r\nX-R: 1 0 404 Busy Here\r\n" in status
    twice = res["code_twice"]
    assert twice is not None and twice.startswith("SIP/2.0 487 Busy Here\r\n")
    bad = res["class_change"]
    assert bad is not None and bad.startswith("SIP/2.0 486 Busy Here\r\n")


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_change_reply_status_same_as_kamailio(servers: Any) -> None:
    assert _reply_all(servers.siprouter) == _reply_all(servers.kamailio)


# ---- route types ---------------------------------------------------------------------

CALLS = [
    "msg_apply_changes()",
    'msg_set_buffer("x")',
    'change_reply_status(404, "x")',
    "change_reply_status_code(404)",
    "remove_body()",
    'keep_hf("x")',
    'fnmatch("a", "b")',
    'hf_iterator_start("i")',
    'hf_iterator_append("i", "x")',
    'bl_iterator_next("i")',
    'bl_iterator_insert("i", "x")',
    'append_hf_value("X", "y")',
    'remove_hf_value2("X[*].p")',
    'assign_hf_value("X.p", "y")',
    'hf_value_exists("X", "y")',
]
ROUTES = [
    "request_route",
    "reply_route",
    "onreply_route[x]",
    "failure_route[x]",
    "branch_route[x]",
    "onsend_route",
]


def _ours_ok(text: str) -> bool:
    try:
        compile_config(parse_string(text, "rt.cfg"))
    except ConfigError:
        return False
    return True


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_route_types_same_as_kamailio_check(tmp_path: Path) -> None:
    cfg = tmp_path / "rt.cfg"
    diff = []
    for call in CALLS:
        for route in ROUTES:
            block = f"{route} {{ {call}; }}\n"
            if route != "request_route":
                block = "request_route { exit; }\n" + block
            text = f'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "textopsx"\n{block}'
            cfg.write_text(text)
            kam = subprocess.run(
                ["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=30
            )
            if (kam.returncode == 0) != _ours_ok(text):
                diff.append(f"{call} in {route}: kamailio rc {kam.returncode}")
    assert not diff, "\n".join(diff)
