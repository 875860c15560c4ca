"""The text keywords (`method`, `uri`, `from_uri`, `to_uri`) compared with a string:
`==`, `!=`, `eq`, `ne` ignore ASCII case and need the same length, `=~` is the usual
case-insensitive regex, `method == INVITE` compares with the bare name.

The differential test runs the same program in Kamailio's `event_route[htable:mod-init]`,
whose message is Kamailio's faked `OPTIONS sip:you@kamailio.org` request; siprouter runs
it as request_route on the same request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REQUEST, kamailio_program, marks, run_text

# Kamailio's faked message of event routes (what `$rm|$ru|$fu|$tu` show there)
FAKED = (
    b"OPTIONS sip:you@kamailio.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1\r\n"
    b"From: <sip:you@kamailio.org>;tag=123\r\n"
    b"To: <sip:you@kamailio.org>\r\n"
    b"Call-ID: 123\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)

PROGRAM = """
if (method == "options") { mark("eq-lower"); }
if (method == "OpTiOnS") { mark("eq-mixed"); }
if (method != "options") { mark("ne-lower"); } else { mark("not-ne-lower"); }
if (method == "OPTION") { mark("eq-prefix"); }
if (method == "OPTIONSX") { mark("eq-longer"); }
if (method eq "options") { mark("streq"); }
if (method ne "OPTIONS") { mark("strne"); }
if (method == OPTIONS) { mark("ident"); }
if (method == options) { mark("ident-lower"); }
if (method != INVITE) { mark("ident-ne"); }
if (method =~ "^opt") { mark("re"); }
if (method =~ OPTIONS) { mark("re-ident"); }
$var(m) = "Options";
if (method == $var(m)) { mark("pv"); }
if (method != $var(m)) { mark("pv-ne"); }
if (method == "opt" + "ions") { mark("expr"); }
$var(i) = 5;
if (method == $var(i)) { mark("int-pv"); }
if (method == 1) { mark("int"); }
if (method != 1) { mark("int-ne"); }
if (method == $var(undefined)) { mark("undef"); }
if (method != $var(undefined)) { mark("undef-ne"); }
if (!(method == "options")) { mark("negated"); }
if (uri == "SIP:YOU@KAMAILIO.ORG") { mark("uri"); }
if (uri != "sip:you@Kamailio.org") { mark("uri-ne"); }
$var(u) = "sip:YOU@kamailio.org";
if (uri == $var(u)) { mark("uri-pv"); }
if (from_uri == "sip:You@Kamailio.Org") { mark("from"); }
if (to_uri eq "SIP:you@kamailio.org") { mark("to"); }
if (to_uri == "sip:you@kamailio.or") { mark("to-shorter"); }
if (uri == "sip:you@\u212aamailio.org") { mark("kelvin-sign"); }
"""

# `kelvin-sign` (U+212A, lower() is "k" in Python) stays out: only ASCII letters fold.
EXPECTED = [
    "eq-lower",
    "eq-mixed",
    "not-ne-lower",
    "streq",
    "ident",
    "ident-lower",
    "ident-ne",
    "re",
    "re-ident",
    "pv",
    "expr",
    "int-ne",
    "undef-ne",
    "uri",
    "uri-pv",
    "from",
    "to",
]


def ours(body: str, data: bytes = FAKED) -> list[str]:
    text = 'loadmodule "pv"\nrequest_route {\n' + body + "\n}\n"
    _rc, ctx = run_text(text.replace("$var(", "$tv("), data=data)
    return marks(ctx)


def test_text_keywords_ignore_case() -> None:
    assert ours(PROGRAM) == EXPECTED


@pytest.mark.kamailio
def test_text_keywords_against_kamailio(tmp_path: Path) -> None:
    assert kamailio_program(tmp_path, PROGRAM) == EXPECTED


INVITE_LOWER = (
    b"invite sip:bob@example.org SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    b"From: <sip:alice@example.com>;tag=a1\r\n"
    b"To: <sip:bob@example.org>\r\n"
    b"Call-ID: engine-test-2\r\nCSeq: 1 invite\r\nMax-Forwards: 70\r\n"
    b"Content-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize("data", [REQUEST, INVITE_LOWER], ids=["INVITE", "invite"])
def test_method_of_an_invite(data: bytes) -> None:
    body = """
    if (method == "invite") { mark("lower"); }
    if (method == "INVITE") { mark("upper"); }
    if (method == "REGISTER") { mark("register"); }
    if (method != "Invite") { mark("ne"); }
    """
    assert ours(body, data) == ["lower", "upper"]
