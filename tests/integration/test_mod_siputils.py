"""siputils (and sanity) through running servers, for what the compat case files cannot
hold: replies seen in reply_route (is_first_hop), values that change per run (the
generated P-Charging-Vector, a Date of now), and the route types of every function
compared with `kamailio -c`. Each test runs the same cfg in Kamailio 5.6.3 and siprouter.
"""

from __future__ import annotations

import email.utils
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config

from .conftest import HAS_KAMAILIO, UdpClient

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

REPLY_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "textops"
loadmodule "siputils"
request_route {
    $du = "sip:127.0.0.1:@UAS@";
    forward();
    exit;
}
reply_route {
    $var(a) = is_first_hop();
    $var(b) = is_first_hop("1");
    $var(c) = is_reply();
    $var(d) = has_totag();
    append_hf("X-Hop: $var(a) $var(b) $var(c) $var(d)\\r\\n");
}
"""


def _invite(client_port: int, n: int, extra_via: bool) -> bytes:
    via2 = f"Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-up-{n}\r\n" if extra_via else ""
    return (
        f"INVITE sip:b@example.org SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-fh-{n};rport\r\n{via2}"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
        f"Call-ID: fh-{n}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _answer(request: bytes, record_route: str) -> bytes:
    """A 180 for a forwarded request: its Vias, From, To (tagged), Call-ID, CSeq."""
    lines = request.split(b"\r\n")
    keep = [
        ln for ln in lines if ln.split(b":")[0].lower() in (b"via", b"from", b"call-id", b"cseq")
    ]
    to = next(ln for ln in lines if ln.lower().startswith(b"to:"))
    rr = f"Record-Route: {record_route}\r\n".encode() if record_route else b""
    return (
        b"SIP/2.0 180 Ringing\r\n"
        + b"\r\n".join(keep)
        + b"\r\n"
        + to
        + b";tag=uas\r\n"
        + rr
        + b"Content-Length: 0\r\n\r\n"
    )


def _first_hop_run(start: Any) -> list[str]:
    client, uas = UdpClient(), UdpClient()
    try:
        srv = start(REPLY_CFG.replace("@UAS@", str(uas.port)))
        rrs = [
            f"<sip:127.0.0.1:{srv.port};lr>",
            f"<sip:127.0.0.1:{srv.port + 1};lr>",
            "<sip:192.0.2.1;lr>",
            f"<sip:127.0.0.1:{srv.port};lr>, <sip:192.0.2.1;lr>",
            "",
        ]
        out = []
        for n, (rr, extra_via) in enumerate([(r, False) for r in rrs] + [(r, True) for r in rrs]):
            client.send(srv.port, _invite(client.port, n, extra_via))
            fwd = uas.recv()
            assert fwd is not None, srv.log()[-2000:]
            uas.send(srv.port, _answer(fwd, rr))
            reply = client.recv()
            assert reply is not None, srv.log()[-2000:]
            m = re.search(rb"\r\nX-Hop: ([^\r]*)\r\n", reply)
            out.append(m.group(1).decode() if m else "no X-Hop")
        return out
    finally:
        client.close()
        uas.close()


def test_is_first_hop_on_replies(servers: Any) -> None:
    ours = _first_hop_run(servers.siprouter)
    theirs = _first_hop_run(servers.kamailio)
    assert ours == theirs
    # a top Record-Route naming us (not another port of ours), or none, is a first hop
    expected = ["1 1 1 1", "-1 -1 1 1", "-1 -1 1 1", "1 1 1 1", "1 1 1 1"]
    assert ours == expected * 2


MSG_CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "siputils"
request_route {
    $var(n) = $(hdr(X-Diff){s.int});
    $var(d) = hdr_date_check("$var(n)");
    if ($hdr(X-Pcv) != $null) {
        sip_p_charging_vector("g");
        $var(v) = $pcv(value);
        $var(g) = $pcv(genaddr);
    }
    $du = "sip:127.0.0.1:@UAS@";
    forward();
    sl_send_reply("299", "d $var(d) v $var(v) g $var(g)");
    exit;
}
"""


def _msg_run(start: Any, cases: list[str]) -> list[tuple[str, str]]:
    client, uas = UdpClient(), UdpClient()
    try:
        srv = start(MSG_CFG.replace("@UAS@", str(uas.port)))
        out = []
        for n, extra in enumerate(cases):
            req = (
                f"OPTIONS sip:b@example.org SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{client.port};branch=z9hG4bK-m-{n};rport\r\n"
                f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.org>\r\n"
                f"Call-ID: m-{n}\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
            )
            client.send(srv.port, req.encode())
            reply = client.recv()
            fwd = uas.recv()
            assert reply is not None and fwd is not None, srv.log()[-2000:]
            pcv = re.search(rb"\r\nP-Charging-Vector: ([^\r]*)\r\n", fwd)
            out.append((reply.split(b"\r\n")[0].decode(), pcv.group(1).decode() if pcv else ""))
        return out
    finally:
        client.close()
        uas.close()


def _date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def test_date_check_and_generated_charging_vector(servers: Any) -> None:
    cases = [
        f"Date: {_date(0)}\r\nX-Diff: 3600\r\n",
        f"Date: {_date(-7200)}\r\nX-Diff: 60\r\n",
        f"Date: {_date(3600)}\r\nX-Diff: 0\r\n",
        "Date: yesterday\r\nX-Diff: 60\r\n",
        "X-Diff: 60\r\nX-Pcv: 1\r\n",
        "X-Diff: 60\r\nX-Pcv: 1\r\nP-Charging-Vector: icid-value=abc;icid-generated-at=192.0.2.1\r\n",
    ]
    ours = _msg_run(servers.siprouter, cases)
    theirs = _msg_run(servers.kamailio, cases)
    icid = re.compile(r"[0-9A-F]{32}")

    def norm(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(icid.sub("ICID", a), icid.sub("ICID", b)) for a, b in rows]

    assert norm(ours) == norm(theirs)
    assert [r[0].split(" v ")[0] for r in ours[:4]] == [
        "SIP/2.0 299 d 1",
        "SIP/2.0 299 d -4",
        "SIP/2.0 299 d 1",
        "SIP/2.0 299 d -1",
    ]
    assert icid.fullmatch(ours[4][1].split("=")[1].split(";")[0])
    assert ours[4][1].endswith("; icid-generated-at=127.0.0.1")
    assert ours[5][1] == "icid-value=abc;icid-generated-at=192.0.2.1"


# ---- route types: kamailio -c against siprouter's compile, function by function --------

CALLS = {
    "siputils": [
        "has_totag()", "is_request()", "is_reply()", 'is_numeric("1")', 'is_alphanum("a")',
        'is_alphanumex("a", "-")', 'is_tel_number("1")', 'is_e164("$var(x)")',
        'is_uri_user_e164("$var(x)")', 'is_uri("sip:a@b")', 'cmp_uri("sip:a@b", "sip:a@b")',
        'cmp_aor("sip:a@b", "sip:a@b")', 'cmp_hdr_name("a", "b")', 'is_supported("path")',
        "is_gruu()", 'is_gruu("sip:a@b")', "is_first_hop()", 'is_first_hop("1")',
        'is_user("a")', 'hdr_date_check("10")', 'uri_param("a")', 'uri_param("a", "b")',
        'uri_param_any("a")', 'add_uri_param("a=1")', 'get_uri_param("a", "$var(x)")',
        'uri_param_rm("a")', 'tel2sip("$ru", "h", "$var(x)")', 'set_uri_user("$var(x)", "u")',
        'set_uri_host("$var(x)", "h")', "options_reply()", 'encode_contact("p", "h")',
        "decode_contact()", "decode_contact_header()", 'contact_param_encode("k", "sip:h")',
        'contact_param_decode("k")', 'contact_param_decode_ruri("k")', 'contact_param_rm("k")',
        "append_rpid_hf()", 'append_rpid_hf("<", ">")', "is_rpid_user_e164()",
        'sip_p_charging_vector("g")',
    ],
    "sanity": ["sanity_check()", 'sanity_check("1")', 'sanity_check("1", "1")', "sanity_reply()"],
}  # fmt: skip
ROUTES = ["request_route", "failure_route[x]", "onreply_route[x]", "branch_route[x]",
          "onsend_route", "reply_route"]  # fmt: skip


def test_route_types_same_as_kamailio_check(tmp_path: Path) -> None:
    head = 'listen=udp:127.0.0.1:5060\nloadmodule "sl"\nloadmodule "pv"\n'
    head += 'loadmodule "siputils"\nloadmodule "sanity"\n'
    lines, where = [head], {}
    for route in ROUTES:
        lines.append(f"{route} {{")
        for calls in CALLS.values():
            for call in calls:
                where[head.count("\n") + len(lines)] = (route, call)
                lines.append(f"    {call};")
        lines.append("}")
    text = "\n".join(lines).replace(head + "\n", head) + "\n"
    cfg = tmp_path / "rt.cfg"
    cfg.write_text(text)
    kam = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=60)
    misused = {int(n) for n in re.findall(rb"line (\d+), column \d+: Command cannot", kam.stderr)}
    assert misused, kam.stderr.decode()[-2000:]
    theirs = {where[n] for n in misused}
    ours = set()
    for route, call in where.values():
        one = f"{head}request_route {{ exit; }}\n" if route != "request_route" else head
        try:
            compile_config(parse_string(f"{one}{route} {{ {call}; }}\n", "rt.cfg"))
        except ConfigError:
            ours.add((route, call))
    assert ours == theirs


# ---- -c verdicts on parameters and arguments --------------------------------------

CHECK_HEAD = (
    'listen=udp:127.0.0.1:5060\nloadmodule "sl"\nloadmodule "pv"\n'
    'loadmodule "siputils"\nloadmodule "sanity"\n'
)
CHECKS = [
    'modparam("siputils", "rpid_avp", "$avp(x)")',
    'modparam("siputils", "rpid_avp", "")',
    'modparam("siputils", "options_accept", 1)',
    'modparam("siputils", "contact_flds_separator", "-")',
    'modparam("sanity", "proxy_require", 1)',
    'modparam("sanity", "autodrop", "1")',
    'modparam("sanity", "default_checks", 99999)',
    "request_route { $var(x) = $pcv(all); }",
    "request_route { $var(x) = $pcv(bad); }",
    'request_route { is_supported("path"); }',
    'request_route { sanity_check("1", "2", "3"); }',
    'request_route { options_reply("x"); }',
    'request_route { tel2sip("a", "b"); }',
    'request_route { append_rpid_hf("a"); }',
    'request_route { uri_param("a", "b", "c"); }',
]
# newer than 5.6.3 (siputils_newer.py, siputils_latest.py, sanity_size.py): Kamailio
# 5.6.3 refuses them, siprouter has them
NEWER = [
    'modparam("sanity", "size_checks", 1)',
    "request_route { is_sip(); }",
    "request_route { is_http(); }",
    'request_route { contact_param_encode_alias("a", "b"); }',
    'modparam("siputils", "e164_max_len", 10)',
    'request_route { tel2sip2("a", "b", "$var(x)"); }',
    'request_route { contact_param_check("a"); }',
    "request_route { sip_parse_headers(); }",
]


def _verdicts(tmp_path: Path, line: str) -> tuple[bool, bool, str]:
    text = CHECK_HEAD + line + "\n"
    if "request_route" not in line:
        text += "request_route { exit; }\n"
    cfg = tmp_path / "c.cfg"
    cfg.write_text(text)
    kam = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=60)
    try:
        compile_config(parse_string(text, "c.cfg"))
        ours = True
    except ConfigError:
        ours = False
    return ours, kam.returncode == 0, kam.stderr.decode()[-1500:]


@pytest.mark.parametrize("line", CHECKS)
def test_check_verdict_same_as_kamailio(tmp_path: Path, line: str) -> None:
    ours, theirs, log = _verdicts(tmp_path, line)
    assert ours == theirs, log


@pytest.mark.parametrize("line", NEWER)
def test_newer_than_kamailio_accepted(tmp_path: Path, line: str) -> None:
    assert _verdicts(tmp_path, line)[:2] == (True, False)
