"""Functions of Kamailio releases after 5.6.3 (textops: str_any_in, str_all_in, subst_v,
via_param_rm, set_body_hex, set_reply_body_hex; textopsx: msg_changed_route) through a
running siprouter. Kamailio 5.6.3 refuses them at `-c`, so there is nothing to diff
against: the expected values follow the modules' documentation."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAS_KAMAILIO
from .test_mod_textops_multipart import run_cases
from .test_mod_textopsx import request
from .test_mod_textopsx_hfv import HEAD

CASES: dict[str, tuple[str, str, str]] = {
    "str_in": (
        '$var(a)=str_any_in("a;b", ",;"); $var(b)=str_any_in("ab", ",;");'
        ' $var(c)=str_all_in("$rU-.", ".-"); $var(d)=str_all_in("ab", "ax");',
        "a$var(a) b$var(b) c$var(c) d$var(d)",
        "none",
    ),
    "subst_v": (
        '$var(a)=subst_v("$ru", "/^sip:([a-z]+)@(.*)$/\\2-\\1/", "$var(o)");'
        ' $var(b)=subst_v("abc", "/z/y/", "$var(n)");',
        "a$var(a) [$var(o)] b$var(b) [$var(n)]",
        "none",
    ),
    "via_param_rm": (
        '$var(a)=via_param_rm("branch", "0"); $var(b)=via_param_rm("branch", "3");',
        "a$var(a) b$var(b)",
        "none",
    ),
    "set_body_hex": ('$var(a)=set_body_hex("68 69", "text/plain");', "a$var(a)", "sdp"),
    "changed_route": (
        'append_hf("X-N: 1\\r\\n"); $var(a)=msg_changed_route("CHK");'
        ' $var(b)=is_present_hf("X-N");',
        "a$var(a) b$var(b) c$var(c)",
        "none",
    ),
}
TAIL = "route[CHK] { $var(c) = $hdr(X-N); }\n"


def test_newer_functions(servers: Any) -> None:
    def start(cfg: str) -> Any:
        return servers.siprouter(cfg + TAIL)

    res = run_cases(start, HEAD, CASES, request)
    assert res["str_in"][0] == "SIP/2.0 200 a1 b-1 c1 d-1"
    assert res["subst_v"][0] == "SIP/2.0 200 a1 [example.org-bob] b-1 [0]"
    assert res["via_param_rm"][0] == "SIP/2.0 200 a1 b-1"
    fwd = res["via_param_rm"][1]
    assert fwd is not None and "Via: SIP/2.0/UDP 127.0.0.1:CLIENT\r\n" in fwd
    body = res["set_body_hex"][1]
    assert body is not None and body.endswith("Content-Type: text/plain\r\n\r\nhi")
    assert res["changed_route"][0] == "SIP/2.0 200 a1 b-1 c1"
    changed = res["changed_route"][1]
    assert changed is not None and "\r\nX-N: 1\r\n" in changed


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
@pytest.mark.parametrize(
    "call",
    ['str_any_in("a", "b")', 'subst_v("a", "/a/b/", "$var(x)")', 'msg_changed_route("X")'],
)
def test_kamailio_563_lacks_them(tmp_path: Path, call: str) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text(
        'listen=udp:127.0.0.1:5060\nloadmodule "pv"\nloadmodule "textops"\n'
        f'loadmodule "textopsx"\nrequest_route {{ {call}; }}\nroute[X] {{ exit; }}\n'
    )
    kam = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, timeout=30)
    assert kam.returncode != 0
    assert b"unknown command" in kam.stderr or b"failed to find command" in kam.stderr
