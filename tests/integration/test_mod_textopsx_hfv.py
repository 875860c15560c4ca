"""textopsx header-value functions through running servers, differential against
Kamailio 5.6.3: the same cfg and requests; return codes (in the reply reason) and the
forwarded bytes must be the same."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import HAS_KAMAILIO
from .test_mod_textops_multipart import run_cases

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


def request(kind: str, case: str, client_port: int) -> bytes:
    extra = 'Authorization: Digest username="u", realm="r", nonce="n"\r\n'
    if kind == "compact":
        extra += "k: 100rel, path\r\nSupported: timer\r\n"
    if kind == "repeats":  # one value several times in a header
        extra += "X-R: a, a, b\r\nX-T: a, b, a\r\nX-U: b, a, a\r\nX-Y: b,a,a\r\nX-V: a, b, b, c\r\n"
    if kind == "empty":  # an empty header, an empty value, blanks before the CRLF
        extra += "X-E:\r\nX-H: a,,b , \r\nX-S: one  \r\n"
    return (
        f"INVITE sip:bob@example.org SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-hv-{case}\r\n"
        f"From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.org>\r\n"
        f"Call-ID: hv-{case}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        f'X-A: one\r\nX-B: two, three\r\nX-A: four;p=1\r\nX-Q: "a,b", <sip:x;y=1,z>\r\n'
        f"{extra}X-Case: {case}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


_CALLS: dict[str, str] = {
    "append_new": 'append_hf_value("X-B", "new $var(x)")',
    "append_1": 'append_hf_value("X-B[1]", "new")',
    "append_2": 'append_hf_value("X-B[2]", "new")',
    "append_last": 'append_hf_value("X-B[-1]", "new")',
    "append_out_of_range": 'append_hf_value("X-B[3]", "new")',
    "append_missing": 'append_hf_value("X-Z[1]", "new")',
    "append_across": 'append_hf_value("X-A[2]", "new")',
    "insert_new": 'insert_hf_value("X-B", "new")',
    "insert_1": 'insert_hf_value("X-B[1]", "new")',
    "insert_2": 'insert_hf_value("X-B[2]", "new")',
    "insert_across": 'insert_hf_value("X-A[2]", "new")',
    "insert_out_of_range": 'insert_hf_value("X-B[5]", "new")',
    "insert_negative_out": 'insert_hf_value("X-B[-3]", "new")',
    "insert_missing": 'insert_hf_value("X-Z[1]", "new")',
    "remove_first": 'remove_hf_value("X-B")',
    "remove_2": 'remove_hf_value("X-B[2]")',
    "remove_all": 'remove_hf_value("X-B[*]")',
    "remove_only_value": 'remove_hf_value("X-A[-1]")',
    "remove_param": 'remove_hf_value("X-A[2].p")',
    "remove_param_all": 'remove_hf_value("X-A[*].p")',
    "remove_missing": 'remove_hf_value("X-Z")',
    "remove_out_of_range": 'remove_hf_value("X-B[7]")',
    "remove_quoted": 'remove_hf_value("X-Q[2]")',
    "remove2_first": 'remove_hf_value2("X-B")',
    "remove2_out_of_range": 'remove_hf_value2("X-B[2]")',
    "remove2_all": 'remove_hf_value2("X-A[*]")',
    "remove2_no_param": 'remove_hf_value2("X-A.p")',
    "remove2_auth_param": 'remove_hf_value2("Authorization.realm")',
    "remove2_auth_first": 'remove_hf_value2("Authorization.username")',
    "remove2_auth_last": 'remove_hf_value2("Authorization.nonce")',
    "assign2_auth_flag": 'assign_hf_value2("Authorization.nonce", "")',
    "remove_auth_value_param": 'remove_hf_value("Authorization.realm")',
    "assign_first": 'assign_hf_value("X-B", "nv")',
    "assign_2": 'assign_hf_value("X-B[2]", "nv $var(x)")',
    "assign_param": 'assign_hf_value("X-A[-1].p", "9")',
    "assign_new_param": 'assign_hf_value("X-A[1].q", "9")',
    "assign_flag_all": 'assign_hf_value("X-A[*].q", "")',
    "assign_missing": 'assign_hf_value("X-Z", "nv")',
    "assign_empty_param": 'assign_hf_value("X-A[2].p", "")',
    "assign_out_of_range": 'assign_hf_value("X-B[9]", "nv")',
    "assign2_whole": 'assign_hf_value2("X-B", "nv")',
    "assign2_out_of_range": 'assign_hf_value2("X-B[2]", "nv")',
    "assign2_auth_param": 'assign_hf_value2("Authorization.realm", "\\"r2\\"")',
    "assign2_auth_new": 'assign_hf_value2("Authorization.qop", "auth")',
    "include_present": 'include_hf_value("X-B", "three")',
    "include_new": 'include_hf_value("X-B", "four")',
    "include_missing": 'include_hf_value("X-Z", "four")',
    "include_case": 'include_hf_value("X-A", "ONE")',
    "exclude_last": 'exclude_hf_value("X-B", "three")',
    "exclude_first": 'exclude_hf_value("X-B", "two")',
    "exclude_only": 'exclude_hf_value("X-A", "one")',
    "exclude_none": 'exclude_hf_value("X-B", "zz")',
    "exclude_missing": 'exclude_hf_value("X-Z", "zz")',
    "exists": 'hf_value_exists("X-B", "three")',
    "exists_case": 'hf_value_exists("X-B", "THREE")',
    "exists_with_params": 'hf_value_exists("X-A", "four")',
    "exists_underscore": 'hf_value_exists("x_b", "two")',
    "exists_missing": 'hf_value_exists("X-Z", "two")',
    "exists_full": 'hf_value_exists("X-A", "four;p=1")',
}
CASES: dict[str, tuple[str, str, str]] = {
    name: (f"$var(a)={call};", "a$var(a)", "plain") for name, call in _CALLS.items()
}
CASES["empty_values"] = (
    '$var(a)=remove_hf_value("X-H[2]"); $var(b)=append_hf_value("X-H[4]", "z");'
    ' $var(c)=remove_hf_value("X-E"); $var(d)=hf_value_exists("X-S", "one");',
    "a$var(a) b$var(b) c$var(c) d$var(d)",
    "empty",
)
CASES["empty_values_2"] = (
    '$var(a)=assign_hf_value("X-H[2]", "m"); $var(b)=insert_hf_value("X-E[1]", "y");'
    ' $var(c)=exclude_hf_value("X-H", "b"); $var(d)=include_hf_value("X-S", "two");',
    "a$var(a) b$var(b) c$var(c) d$var(d)",
    "empty",
)
CASES["empty_values_3"] = (
    '$var(a)=hf_value_exists("X-E", ""); $var(b)=assign_hf_value2("X-S", "new");'
    ' $var(c)=include_hf_value("X-E", "q");',
    "a$var(a) b$var(b) c$var(c)",
    "empty",
)
CASES["exclude_repeats"] = (
    '$var(a)=exclude_hf_value("X-R", "a"); $var(b)=exclude_hf_value("X-T", "a");'
    ' $var(c)=exclude_hf_value("X-U", "a"); $var(d)=exclude_hf_value("X-Y", "A");'
    ' $var(e)=exclude_hf_value("X-V", "b");',
    "a$var(a) b$var(b) c$var(c) d$var(d) e$var(e)",
    "repeats",
)
CASES["compact_supported"] = (
    '$var(a)=hf_value_exists("Supported", "path"); $var(b)=include_hf_value("k", "norefersub");'
    ' $var(c)=remove_hf_value("Supported[2]");',
    "a$var(a) b$var(b) c$var(c)",
    "compact",
)


def _fwd_headers(fwd: str | None) -> list[str]:
    assert fwd is not None
    return fwd.split("\r\n\r\n")[0].split("\r\n")


def test_siprouter_hf_values(servers: Any) -> None:
    res = run_cases(servers.siprouter, HEAD, CASES, request)
    assert res["append_1"][0] == "SIP/2.0 200 a1"
    assert "X-B: two,new, three" in _fwd_headers(res["append_1"][1])
    assert "X-B: two,new, three" in _fwd_headers(res["insert_2"][1])
    assert _fwd_headers(res["append_new"][1])[-1] == "X-B: new pv"
    assert res["insert_out_of_range"][0] == "SIP/2.0 200 a-1"
    assert "X-B:  three" in _fwd_headers(res["remove_first"][1])
    assert not any(h.startswith("X-B") for h in _fwd_headers(res["remove_all"][1]))
    assert "X-A: four" in _fwd_headers(res["remove_param"][1])
    assert "X-A: one;q" in _fwd_headers(res["assign_flag_all"][1])
    assert res["exists_with_params"][0] == "SIP/2.0 200 a-1"
    assert res["exists_case"][0] == "SIP/2.0 200 a1"


@pytest.mark.kamailio
@pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed")
def test_hf_values_same_as_kamailio(servers: Any) -> None:
    ours = run_cases(servers.siprouter, HEAD, CASES, request)
    theirs = run_cases(servers.kamailio, HEAD, CASES, request)
    diff = {k: (ours[k], theirs[k]) for k in CASES if ours[k] != theirs[k]}
    assert not diff, "\n".join(f"{k}:\n  ours  {a}\n  kam.  {b}" for k, (a, b) in diff.items())
