"""textops multipart body functions and replace_str through running servers: the same cfg
and requests through Kamailio 5.6.3 and siprouter; replies (return codes and values in
the reason, hex-encoded where they hold CRLF) and forwarded bytes must be the same."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

from .conftest import HAS_KAMAILIO, UdpClient

HEAD = """\
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
    $var(x) = "pv";
"""

MP = (
    "--XX\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n"
    "--XX\r\nContent-Type: text/plain\r\nX-P: 1\r\n\r\nhi there\r\n--XX--\r\n"
)
MP2 = (
    "preamble\r\n--B1\r\nX-Q: 2\r\ncontent-type:text/plain\r\n\r\none\r\n"
    "--B1\r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
    "--B1\r\nContent-Type: Application/SDP;x=1\r\n\r\nv=0\r\n--B1--\r\n"
)
BODIES = {
    "mp": (MP, "multipart/mixed;boundary=XX"),
    "mp2": (MP2, 'multipart/mixed; boundary="B1"'),
    "sdp": ("v=0\r\no=x y z\r\n", "application/sdp"),
    "none": ("", None),
}


def _hex(var: str) -> str:
    return f"H$({var}{{s.encode.hexa}})H"


# name -> (statements, reply reason, body kind)
CASES: dict[str, tuple[str, str, str]] = {
    "get_part": (
        '$var(a)=get_body_part("text/plain", "$var(p)"); $var(b)=get_body_part_raw("text/plain",'
        ' "$var(r)"); $var(c)=get_body_part("text/html", "$var(n)");'
        ' $var(d)=get_body_part("application/sdp", "$var(s)");',
        f"a$var(a) {_hex('var(p)')} b$var(b) {_hex('var(r)')} c$var(c) [$var(n)]"
        f" d$var(d) {_hex('var(s)')}",
        "mp",
    ),
    "get_part_case_params": (
        '$var(a)=get_body_part("TEXT/plain", "$var(p2)"); $var(b)=get_body_part_raw("text/plain",'
        ' "$var(r2)"); $var(c)=get_body_part("application/sdp", "$var(n2)");',
        f"a$var(a) {_hex('var(p2)')} b$var(b) {_hex('var(r2)')} c$var(c) [$var(n2)]",
        "mp2",
    ),
    "get_part_no_body": (
        '$var(a)=get_body_part("application/sdp", "$var(p4)");'
        ' $var(b)=get_body_part_raw("application/sdp", "$var(r4)");',
        "a$var(a) [$var(p4)] b$var(b) [$var(r4)]",
        "none",
    ),
    "get_part_not_multipart": (
        '$var(a)=get_body_part("application/sdp", "$var(p3)");'
        ' $var(b)=get_body_part_raw("application/sdp", "$var(r3)");',
        f"a$var(a) {_hex('var(p3)')} b$var(b) {_hex('var(r3)')}",
        "sdp",
    ),
    "filter_text": ('$var(a)=filter_body("text/plain");', "a$var(a)", "mp"),
    "filter_sdp": ('$var(a)=filter_body("application/sdp");', "a$var(a)", "mp"),
    "filter_missing": ('$var(a)=filter_body("image/png");', "a$var(a)", "mp"),
    "filter_first_of_two": ('$var(a)=filter_body("text/plain");', "a$var(a)", "mp2"),
    "filter_not_multipart": ('$var(a)=filter_body("application/sdp");', "a$var(a)", "sdp"),
    "remove_last": ('$var(a)=remove_body_part("text/plain");', "a$var(a)", "mp"),
    "remove_first": ('$var(a)=remove_body_part("application/sdp");', "a$var(a)", "mp"),
    "remove_preamble": ('$var(a)=remove_body_part("text/plain");', "a$var(a)", "mp2"),
    "remove_missing": ('$var(a)=remove_body_part("application/sdp");', "a$var(a)", "mp2"),
    "remove_not_multipart": ('$var(a)=remove_body_part("application/sdp");', "a$var(a)", "sdp"),
    "append": ('$var(a)=append_body_part("hello", "text/x");', "a$var(a)", "mp"),
    "append_headers_disposition": (
        '$var(a)=append_body_part("hello $var(x)", "text/x\\r\\nX-H: 1", "render");',
        "a$var(a)",
        "mp2",
    ),
    "append_hex": (
        '$var(a)=append_body_part_hex("41 42 4a", "text/x"); $var(b)=append_body_part("two",'
        ' "text/y", "session");',
        "a$var(a) b$var(b)",
        "mp",
    ),
    "append_not_multipart": ('$var(a)=append_body_part("hello", "text/x");', "a$var(a)", "sdp"),
    "append_no_body": ('$var(a)=append_body_part("hello", "text/x");', "a$var(a)", "none"),
    "multipart_convert": ("$var(a)=set_body_multipart();", "a$var(a)", "sdp"),
    "multipart_text": ('$var(a)=set_body_multipart("txt", "text/y");', "a$var(a)", "sdp"),
    "multipart_boundary": (
        '$var(a)=set_body_multipart("t $var(x)", "text/y", "bnd");',
        "a$var(a)",
        "sdp",
    ),
    "multipart_one_arg": ('$var(a)=set_body_multipart("bnd2");', "a$var(a)", "sdp"),
    "multipart_nothing": ("$var(a)=set_body_multipart();", "a$var(a)", "none"),
    "multipart_on_multipart": (
        '$var(a)=set_body_multipart("test", "text/plain", "delimiter"); $var(b)=msg_apply_changes();'
        ' $var(c)=append_body_part("x", "text/y"); $var(d)=get_body_part("text/plain", "$var(p5)");',
        f"a$var(a) b$var(b) c$var(c) d$var(d) {_hex('var(p5)')}",
        "mp",
    ),
    "multipart_convert_multipart": ("$var(a)=set_body_multipart();", "a$var(a)", "mp"),
    "doc_flow": (
        '$var(a)=set_body_multipart("test", "text/plain", "delimiter"); $var(b)=msg_apply_changes();'
        ' $var(c)=append_body_part("x", "text/y", "render"); $var(d)=msg_apply_changes();'
        ' $var(e)=get_body_part("text/y", "$var(p6)");',
        f"a$var(a) b$var(b) c$var(c) d$var(d) e$var(e) {_hex('var(p6)')}",
        "sdp",
    ),
    "remove_then_append": (
        '$var(a)=remove_body_part("text/plain"); $var(b)=append_body_part("new", "a/b");'
        ' $var(c)=msg_apply_changes(); $var(d)=get_body_part("a/b", "$var(p7)");',
        f"a$var(a) b$var(b) c$var(c) d$var(d) {_hex('var(p7)')}",
        "mp",
    ),
    "filter_then_apply": (
        '$var(a)=filter_body("text/plain"); $var(b)=msg_apply_changes(); $var(c)=search_body("^hi");'
        ' $var(d)=remove_body_part("text/plain");',
        "a$var(a) b$var(b) c$var(c) d$var(d)",
        "mp",
    ),
    "replace_str": (
        '$var(a)=replace_str("X-A", "Y-A", "a"); $var(b)=replace_str("INVITE", "I", "f");'
        ' $var(c)=replace_str("zzz", "q", "a"); $var(d)=replace_str("v=0", "V=$var(x)", "f");',
        "a$var(a) b$var(b) c$var(c) d$var(d)",
        "sdp",
    ),
}


def request(kind: str, case: str, client_port: int) -> bytes:
    body, ctype = BODIES[kind]
    head = (
        f"INVITE sip:bob@example.org SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-mp-{case}\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
        f"Call-ID: mp-{case}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f"X-A: one\r\nX-Case: {case}\r\n"
    )
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def build_cfg(head: str, cases: dict[str, tuple[str, str, str]], uas_port: int) -> str:
    blocks = [
        f'    if ($hdr(X-Case) == "{name}") {{\n        {stmts}\n'
        f'        sl_send_reply("200", "{reason}");\n'
        f'        forward("127.0.0.1", {uas_port});\n        exit;\n    }}\n'
        for name, (stmts, reason, _kind) in cases.items()
    ]
    return head + "".join(blocks) + '    sl_send_reply("500", "no case");\n}\n'


def norm(data: bytes | None, ports: dict[int, str]) -> str | None:
    if data is None:
        return None
    text = data.decode(errors="replace")
    for port, name in ports.items():
        text = text.replace(str(port), name)
    text = re.sub(r"H([0-9a-fA-F]*)H", lambda m: repr(bytes.fromhex(m.group(1))), text)
    return re.sub(r"branch=z9hG4bK[^;\r\n]*", "branch=BRANCH", text, count=1)


def run_cases(
    start: Any, head: str, cases: dict[str, tuple[str, str, str]], make: Any
) -> dict[str, tuple[str | None, str | None]]:
    client, uas = UdpClient(), UdpClient()
    try:
        srv = start(build_cfg(head, cases, uas.port))
        ports = {srv.port: "SRV", client.port: "CLIENT", uas.port: "UAS"}
        out: dict[str, tuple[str | None, str | None]] = {}
        for name, (_s, _r, kind) in cases.items():
            client.send(srv.port, make(kind, name, client.port))
            reply = client.recv()
            assert reply is not None, (name, srv.log()[-2000:])
            fwd = uas.recv(1.0) if reply.startswith(b"SIP/2.0 200") else None
            out[name] = (norm(reply.split(b"\r\n")[0], ports), norm(fwd, ports))
        return out
    finally:
        client.close()
        uas.close()


def _body(fwd: str | None) -> str:
    assert fwd is not None
    return fwd.split("\r\n\r\n", 1)[1]


def test_siprouter_multipart(servers: Any) -> None:
    res = run_cases(servers.siprouter, HEAD, CASES, request)
    assert res["get_part"][0] == (
        "SIP/2.0 200 a1 b'X-P: 1\\r\\n\\r\\nhi there\\r\\n' b1 b'Content-Type: text/plain"
        "\\r\\nX-P: 1\\r\\n\\r\\nhi there\\r\\n--XX--\\r\\n' c-1 [0] d1 b'\\r\\nv=0\\r\\n\\r\\n'"
    )
    assert _body(res["filter_sdp"][1]) == "v=0\r\n"
    assert _body(res["remove_preamble"][1]).startswith("--B1\r\nX-Q: 2\r\nContent-Type: text")
    assert _body(res["multipart_on_multipart"][1]).endswith("\r\nx\r\n--XX\r\n")
    appended = _body(res["append_hex"][1])
    assert appended.endswith(
        "--XX\r\nContent-Type: text/x\r\n\r\nABJ\r\n--XX\r\nContent-Type: text/y\r\n"
        "Content-Disposition: session\r\n\r\ntwo\r\n--XX--\r\n"
    )
    fwd = res["multipart_boundary"][1]
    assert fwd is not None and 'Content-Type: multipart/mixed;boundary="bnd"\r\n' in fwd
    assert _body(fwd) == "--bnd\r\nContent-Type: text/y\r\n\r\nt pv\r\n--bnd\r\n"
    assert res["append_not_multipart"][0] == "SIP/2.0 200 a-1"
    assert res["replace_str"][0] == "SIP/2.0 200 a1 b1 c1 d1"


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_multipart_same_as_kamailio(servers: Any) -> None:
    ours = run_cases(servers.siprouter, HEAD, CASES, request)
    theirs = run_cases(servers.kamailio, HEAD, CASES, request)
    diff = {k: (ours[k], theirs[k]) for k in CASES if ours[k] != theirs[k]}
    assert not diff, "\n".join(f"{k}:\n  ours  {a}\n  kam.  {b}" for k, (a, b) in diff.items())


CALLS = [
    'filter_body("a/b")',
    'get_body_part("a/b", "$var(x)")',
    'get_body_part_raw("a/b", "$var(x)")',
    'remove_body_part("a/b")',
    'append_body_part("a", "a/b")',
    'append_body_part_hex("41", "a/b", "c")',
    "set_body_multipart()",
    'set_body_multipart("b")',
    'set_body_multipart("a", "a/b", "c")',
    'replace_str("a", "b", "a")',
]
ROUTES = ["reply_route", "onreply_route[x]", "failure_route[x]", "branch_route[x]", "onsend_route"]


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
            text = (
                'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "textops"\n'
                f"request_route {{ exit; }}\n{route} {{ {call}; }}\n"
            )
            cfg.write_text(text)
            kam = subprocess.run(
                ["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=30
            )
            if (kam.returncode == 0) != _ours_ok(text):
                diff.append(f"{call} in {route}: kamailio rc {kam.returncode}")
    assert not diff, "\n".join(diff)
