"""RFC 4475 torture messages against the SIP parser: what the RFC requires, what we do.

Each message of RFC 4475 is a file in ``tests/data/sip/rfc4475/`` (see the README there).
``CASES`` states, for every message, the RFC section, the RFC's verdict, what Kamailio 5.6.3
does with it over UDP (observed with a cfg whose request_route does ``force_rport();
sl_send_reply("200", "OK")``; re-checked by ``test_kamailio_agrees`` for the requests), and
the outcome we require:

- ``accept``: ``parse_message`` succeeds, ``check_mandatory()`` is None, and every listed
  value (a Python expression over the parsed message ``m``) has the value the RFC gives;
- ``flag``: ``parse_message`` succeeds (so the core can still answer) but
  ``check_mandatory()`` (or the accessor named in ``bad``) reports a SipParseError;
- ``reject``: ``parse_message`` raises SipParseError (with ``status`` when given).

Policy where the RFC only says *should* / *may* / *reasonable*: follow Kamailio (the product
runs Kamailio configurations); where it says *must* / *will*: follow the RFC. Deviations of
the current parser from that policy would be ``xfail(strict=True)`` so they flip when fixed
(there are none today). Where we refuse what Kamailio 5.6.3 lets through (``clerr``: a
Content-Length beyond the datagram; ``scalar02``: a CSeq number above 2**32-1) the difference
is deliberate, the RFC's verdict is the outcome, and the ``kamailio`` column records theirs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from siprouter.sip.errors import SipParseError
from siprouter.sip.message import frame_length, parse_message
from siprouter.sip.uri import UriError, parse_uri, unescape

DATA = Path(__file__).resolve().parents[2] / "data" / "sip" / "rfc4475"


@dataclass
class Case:
    section: str
    rfc: str  # what RFC 4475 says, in short
    kamailio: str  # what Kamailio 5.6.3 does over UDP
    outcome: str  # "accept" | "flag" | "reject"
    values: dict[str, Any] = field(default_factory=dict)
    status: int | None = None  # for reject: the suggested reply status
    bad: str | None = None  # for flag: the expression whose evaluation must raise
    xfail: str | None = None  # reason, when the parser deviates from the policy today
    problem: str | None = None  # reject/flag: regex the error's "header reason" must match


SDP150 = 150
CASES: dict[str, Case] = {
    # ---- 3.1.1 valid messages ---------------------------------------------------------
    "wsinv": Case(
        "3.1.1.1",
        "valid: folding, escaped quotes, empty Subject, LWS everywhere, mixed forms",
        "drops it: its CSeq parser does not unfold 'cseq: 0009 CRLF INVITE'",
        "accept",
        {
            "m.method": "INVITE",
            "m.ruri": "sip:vivekg@chair-dnrc.example.com;unknownparam",
            "parse_uri(m.ruri).params": {"unknownparam": None},
            "m.to.display": None,
            "m.to.uri_text": "sip:vivekg@chair-dnrc.example.com",
            "m.to.tag": "1918181833n",
            "m.from_.display": 'J Rosenberg \\"',
            "m.from_.uri_text": "sip:jdrosen@example.com",
            "m.from_.tag": "98asjd8",
            "m.max_forwards": 68,
            "m.callid": "wsinv.ndaksdj@192.0.2.1",
            "m.content_length": 150,
            "(m.cseq.num, m.cseq.method)": (9, "INVITE"),
            "[(v.transport, v.host, v.branch) for v in m.vias]": [
                ("UDP", "192.0.2.2", "390skdjuw"),
                ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
                ("UDP", "192.168.255.111", "z9hG4bK30239"),
            ],
            "m.header('Subject')": b"",
            "m.header('s')": b"",
            "m.header('NewFangledHeader')": b"newfangled value continued newfangled value",
            "m.header('UnknownHeaderWithUnusualValue')": b";;,,;;,;",
            "m.content_type.mime": "application/sdp",
            "[r.uri_text for r in m.routes]": [
                "sip:services.example.com;lr;unknownwith=value;unknown-no-value"
            ],
            "m.routes[0].uri.lr": True,
            "m.contacts[0].display": 'Quoted string ""',
            "m.contacts[0].params": [
                ("newparam", "newvalue"),
                ("secondparam", None),
                ("q", "0.33"),
            ],
            "m.contacts[0].q": 0.33,
            "len(m.body)": SDP150,
            "[f.name for f in m.header_fields][:3]": ["TO", "from", "MaX-fOrWaRdS"],
            # the unusual whitespace is kept as written; values read unfolded
            "m.header_fields[0].raw": (
                b"TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
            ),
            "m.header('CSeq')": b"0009 INVITE",
            "m.values('v')": [
                b"SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw",
                b"SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8",
                b"SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
            ],
            "m.header('m')": (
                b'"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ;'
                b" secondparam ; q = 0.33"
            ),
        },
    ),
    "intmeth": Case(
        "3.1.1.2",
        "valid: unusual method/URI/branch characters, NUL in a quoted string, UTF-8 values",
        "route runs; the reply fails: its header-name parser refuses 'extensionHeader-!.%*+_`'~'",
        "accept",
        {
            "m.method": "!interesting-Method0123456789_*+`.%indeed'~",
            "parse_uri(m.ruri).user": "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
            "parse_uri(m.ruri).password": "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
            "parse_uri(m.ruri).host": "example.com",
            "m.via1.transport": "TCP",
            "m.via1.branch": "z9hG4bK-.!%66*_+`'~",
            "m.to.display": "BEL:\x07 NUL:\x00 DEL:\x7f",
            "m.to.uri.user": "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
            "m.from_.display": "token1~` token2'+_ token3*%!.-",
            "m.from_.param(\"fromparam''~+*_!.-%\")": '"работающий"',
            "m.from_.tag": "_token~1'+`*%!-.",
            "m.callid": "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
            "(m.cseq.num, m.cseq.method)": (
                139122385,
                "!interesting-Method0123456789_*+`.%indeed'~",
            ),
            "m.max_forwards": 255,
            'm.header("extensionHeader-!.%*+_`\'~")': "\ufeff大停電".encode(),
            "m.content_length": 0,
        },
    ),
    "esc01": Case(
        "3.1.1.3",
        "valid: % HEX HEX escapes in user parts and URI parameters",
        "200",
        "accept",
        {
            "parse_uri(m.ruri).user": "sips%3Auser%40example.com",
            "parse_uri(m.ruri).user_unescaped": "sips:user@example.com",
            "parse_uri(m.ruri).host": "example.net",
            "m.to.uri.user_unescaped": "user",
            "m.from_.uri.user_unescaped": "I have spaces",
            "m.from_.tag": "938",
            "m.callid": "esc01.239409asdfakjkn23onasd0-3234",
            "m.content_type.mime": "application/sdp",
            "m.contacts[0].uri.user_unescaped": "caller",
            "m.contacts[0].uri.params": {"%6c%72": None, "n%61me": "v%61lue%25%34%31"},
            # unescaping is never recursive: n%61me=v%61lue%25%34%31 is name=value%41
            "unescape(m.contacts[0].uri.params['n%61me'])": "value%41",
            "len(m.body)": SDP150,
        },
    ),
    "escnull": Case(
        "3.1.1.4",
        "valid: %00 in user parts; two distinct Contacts",
        "200",
        "accept",
        {
            "m.to.uri.user": "null-%00-null",
            "m.to.uri.user_unescaped": "null-\x00-null",
            "[c.uri.user for c in m.contacts]": ["%00", "%00%00"],
            "[c.uri.user_unescaped for c in m.contacts]": ["\x00", "\x00\x00"],
            "m.content_length": 0,
        },
    ),
    "esc02": Case(
        "3.1.1.5",
        "valid: % is no escape in method, display names, branch, header names",
        "route runs; the reply fails: its header-name parser refuses 'C%6Fntact'",
        "accept",
        {
            "m.method": "RE%47IST%45R",
            "m.cseq.method": "RE%47IST%45R",
            "m.to.display": "%Z%45",
            "m.from_.display": "%Z%45",
            "m.via1.branch": "z9hG4bK209%fzsnel234",
            "[c.uri_text for c in m.contacts]": [
                "sip:alias1@host1.example.com",
                "sip:alias3@host3.example.com",
            ],
            "m.header('C%6Fntact')": b"<sip:alias2@host2.example.com>",
        },
    ),
    "lwsdisp": Case(
        "3.1.1.6",
        "valid in practice: no LWS between display-name token and '<'",
        "200",
        "accept",
        {
            "m.from_.display": "caller",
            "m.from_.uri_text": "sip:caller@example.com",
            "m.from_.tag": "323",
        },
    ),
    "longreq": Case(
        "3.1.1.7",
        "valid: very long values, 34 Vias in every case spelling and spacing",
        "200",
        "accept",
        {
            "m.to.display": "I have a user name of " + "extreme" * 10 + " proportion",
            "m.to.uri.port": 6000,
            "m.to.uri.params['unknownparam1']": "very" + "long" * 20 + "value",
            "m.to.uri.params['longparam' + 'name' * 25]": "shortvalue",
            "m.to.uri.params[('very' + 'long' * 25 + 'ParameterNameWithNoValue').lower()]": None,
            "m.from_.uri.user": "amazinglylongcallername" * 5,
            "m.from_.tag": "12" + "982" * 50 + "424",
            "m.from_.param('unknownheaderparam' + 'name' * 20)": "unknowheaderparam" + "value" * 15,
            "m.from_.has_param('unknownvaluelessparamnameparamnameparamnameparamnameparamname"
            "paramnameparamnameparamnameparamnameparamname')": True,
            "m.callid": "longreq.one" + "really" * 20 + "longcallid",
            "len(m.vias)": 34,
            "[v.host for v in m.vias[:33]]": [f"sip{i}.example.com" for i in range(33, 0, -1)],
            "m.vias[33].received": "192.0.2.5",
            "m.vias[33].branch": "very" + "long" * 50 + "branchvalue",
            "m.contacts[0].uri.user": "amazinglylongcallername" * 5,
            "m.content_length": 150,
        },
    ),
    "dblreq": Case(
        "3.1.1.8",
        "valid: a REGISTER; the INVITE after Content-Length 0 is datagram noise",
        "200 (to the REGISTER)",
        "accept",
        {
            "m.method": "REGISTER",
            "m.callid": "dblreq.0ha0isndaksdj99sdfafnl3lk233412",
            "m.body": b"",
            "m.data.endswith(b'Content-Length: 0\\r\\n\\r\\n')": True,
            "b'INVITE' in m.data": False,
        },
    ),
    "semiuri": Case(
        "3.1.1.9",
        "valid: the R-URI user part is 'user;par=u%40example.net'",
        "200",
        "accept",
        {
            "parse_uri(m.ruri).user": "user;par=u%40example.net",
            "parse_uri(m.ruri).host": "example.com",
            "parse_uri(m.ruri).params": {},
            "m.values('Accept')": [
                b"application/sdp",
                b"application/pkcs7-mime",
                b"multipart/mixed",
                b"multipart/signed",
                b"message/sip",
                b"message/sipfrag",
            ],
        },
    ),
    "transports": Case(
        "3.1.1.10",
        "valid: Vias with UDP, SCTP, TLS, an unknown transport, TCP",
        "200",
        "accept",
        {
            "[v.transport for v in m.vias]": ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"],
            "m.callid": "transports.kijh4akdnaqjkwendsasfdj",
        },
    ),
    "mpart01": Case(
        "3.1.1.11",
        "valid: multipart/mixed body whose binary part holds NUL and CR bytes",
        "200",
        "accept",
        {
            "m.content_length": 553,
            "len(m.body)": 553,
            "m.body.endswith(b'\\r\\n--7a9cbec02ceef655--\\r\\n')": True,
            "b'\\x00' in m.body": True,
            "m.content_type.mime": "multipart/mixed",
            "m.content_type.param('boundary')": "7a9cbec02ceef655",
            "(m.via1.host, m.via1.port, m.via1.has_rport, m.via1.rport)": (
                "127.0.0.1",
                5070,
                True,
                None,
            ),
            "m.routes[0].uri.port": 5080,
            "m.header('Date')": b"Sat, 15 Oct 2005 04:44:56 GMT",
            "m.user_agent": "SIPimp.org/0.2.5 (curses)",
        },
    ),
    "unreason": Case(
        "3.1.1.12",
        "valid: reason phrase with reserved and UTF-8 characters",
        "parsed (a reply: forwarded statelessly)",
        "accept",
        {
            "m.is_request": False,
            "m.status": 200,
            "m.reason": "= 2**3 * 5**2 но сто девяносто девять - простое".encode(),
            "m.method": "INVITE",
            "m.content_length": 154,
        },
    ),
    "noreason": Case(
        "3.1.1.13",
        "valid: empty reason phrase after the required SP",
        "parsed (a reply)",
        "accept",
        {"m.status": 100, "m.reason": b"", "m.to.tag": "902jndnke3"},
    ),
    # ---- 3.1.2 invalid messages -------------------------------------------------------
    "badinv01": Case(
        "3.1.2.1",
        "invalid: empty Via/Contact parameters; should 400",
        "drops it (bad Via)",
        "flag",
        bad="m.via1",
        problem="^Via ",
    ),
    "clerr": Case(
        "3.1.2.2",
        "invalid: Content-Length larger than the body; over UDP should 400, over TCP wait",
        "answers 200 over UDP (no length check)",
        # deliberate difference from Kamailio: the RFC says reject, and the core must be
        # able to identify a broken Content-Length (400 / core:receive-parse-error)
        "reject",
        status=400,
        problem="Content-Length 9999 larger",
    ),
    "ncl": Case(
        "3.1.2.3",
        "invalid: negative Content-Length; should answer an error, close TCP",
        "route runs; the reply fails (bad Content-Length): nothing is sent",
        "reject",
        status=400,
        problem="Content-Length",
    ),
    "scalar02": Case(
        "3.1.2.4",
        "invalid: CSeq > 2**32-1, Max-Forwards 300, huge Expires; should 400 (CSeq)",
        "answers 200",
        # deliberate difference from Kamailio: the RFC says 400 for the CSeq, so we flag it
        "flag",
        bad="m.cseq",
        problem="^CSeq .*range",
    ),
    "scalarlg": Case(
        "3.1.2.5",
        "invalid reply: CSeq > 2**32-1, huge Retry-After, 4-digit warn-code; discard",
        "parsed; its Retry-After parser fails when forwarding",
        "flag",
        bad="m.cseq",
        problem="^CSeq .*range",
    ),
    "quotbal": Case(
        "3.1.2.6",
        "invalid: unterminated quote in To; should 400",
        "drops it (bad To)",
        "flag",
        bad="m.to",
        problem="^To .*quot",
    ),
    "ltgtruri": Case(
        "3.1.2.7",
        "invalid: Request-URI inside <>; reasonable to 400",
        "route runs with an unparsable $ru; sl answers 200",
        "accept",
        {"m.ruri": "<sip:user@example.com>", "m.callid": "ltgtruri.1@192.0.2.5"},
    ),
    "lwsruri": Case(
        "3.1.2.8",
        "invalid: LWS inside the Request-URI; should 400",
        "drops it (bad first line)",
        "reject",
        status=400,
        problem="Request-URI",
    ),
    "lwsstart": Case(
        "3.1.2.9",
        "invalid: several SP between start-line elements; acceptable to reject",
        "drops it (bad first line)",
        "reject",
        status=400,
        problem="Request-URI|request line",
    ),
    "trws": Case(
        "3.1.2.10",
        "invalid: SP after SIP-Version; acceptable to reject, may ignore",
        "answers 200; $ru is sip:remote-target@example.com",
        "accept",
        {"m.ruri": "sip:remote-target@example.com", "m.version": "SIP/2.0"},
    ),
    "escruri": Case(
        "3.1.2.11",
        "invalid: escaped headers in the Request-URI; acceptable to 400",
        "answers 200",
        "accept",
        {"parse_uri(m.ruri).headers": [("Route", "%3Csip:example.com%3E")]},
    ),
    "baddate": Case(
        "3.1.2.12",
        "invalid: Date in EST; acceptable to reject, may ignore",
        "answers 200",
        "accept",
        {"m.header('Date')": b"Fri, 01 Jan 2010 16:00:00 EST"},
    ),
    "regbadct": Case(
        "3.1.2.13",
        "invalid: Contact addr-spec with '?headers' outside <>; reasonable to 400",
        "answers 200",
        "accept",
        {"m.method": "REGISTER"},
    ),
    "badaspec": Case(
        "3.1.2.14",
        "invalid: spaces inside <> in To; reasonable to 400, may ignore",
        "answers 200",
        "accept",
        {"m.from_.display": "Bell, Alexander", "m.from_.tag": "433423"},
    ),
    "baddn": Case(
        "3.1.2.15",
        "invalid: unquoted display names with non-token characters; reasonable to 400",
        "answers 200",
        "accept",
        {"m.from_.tag": "43", "m.callid": "baddn.31415@c.example.com"},
    ),
    "badvers": Case(
        "3.1.2.16",
        "invalid: SIP/7.0; should answer 505",
        "drops it (its Via parser refuses SIP/7.0)",
        "reject",
        status=505,
        problem="version",
    ),
    "mismatch01": Case(
        "3.1.2.17",
        "invalid: CSeq method differs from the request method; will 400",
        "answers 200 (the core does not compare them)",
        "flag",
        problem="^CSeq .*match",
    ),
    "mismatch02": Case(
        "3.1.2.18",
        "invalid: unknown method, CSeq method differs; 501 (or 400)",
        "answers 200",
        "flag",
        problem="^CSeq .*match",
    ),
    "bigcode": Case(
        "3.1.2.19",
        "invalid reply: status code 4294967301; drop",
        "drops it (bad first line)",
        "reject",
        status=400,
        problem="status",
    ),
    # ---- 3.2 transaction layer --------------------------------------------------------
    "badbranch": Case(
        "3.2.1",
        "parser must not break: branch is the bare magic cookie",
        "answers 200",
        "accept",
        {"m.via1.branch": "z9hG4bK"},
    ),
    # ---- 3.3 application layer --------------------------------------------------------
    "insuf": Case(
        "3.3.1",
        "missing To, From, Call-ID, Max-Forwards; should 400",
        "drops it (required headers not found)",
        "flag",
        problem="^(From|To|Call-ID) missing",
    ),
    "unkscm": Case(
        "3.3.2",
        "valid syntax, unknown R-URI scheme; 416 at the application",
        "answers 200 ($ru does not parse)",
        "accept",
        {"m.ruri": "nobodyKnowsThisScheme:totallyopaquecontent"},
    ),
    "novelsc": Case(
        "3.3.3",
        "valid syntax, unknown R-URI scheme soap.beep; 416 at the application",
        "answers 200 ($ru does not parse)",
        "accept",
        {"m.ruri": "soap.beep://192.0.2.103:3002"},
    ),
    "unksm2": Case(
        "3.3.4",
        "REGISTER with To/From/Contact in unknown schemes; application rejects",
        "answers 200",
        "accept",
        {
            "m.to.uri_text": "isbn:2983792873",
            "m.from_.uri_text": "http://www.example.com",
            "m.contacts[0].uri_text": "name:John_Smith",
        },
    ),
    "bext01": Case(
        "3.3.5",
        "unknown Require / Proxy-Require options; 420 at the application",
        "answers 200",
        "accept",
        {
            "m.require": ["nothingSupportsThis", "nothingSupportsThisEither"],
            "m.proxy_require": ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"],
            "m.via1.transport": "TLS",
        },
    ),
    "invut": Case(
        "3.3.6",
        "unknown Content-Type; 415 at the UAS",
        "answers 200",
        "accept",
        {"m.content_type.mime": "application/unknownformat", "len(m.body)": 40},
    ),
    "regaut01": Case(
        "3.3.7",
        "Authorization with an unknown scheme; registrar answers 401",
        "answers 200",
        "accept",
        {
            "m.authorization[0].scheme": "NoOneKnowsThisScheme",
            "m.authorization[0].is_digest": False,
        },
    ),
    "multi01": Case(
        "3.3.8",
        "several CSeq/Call-ID/To/From/Max-Forwards values; should 400",
        "drops it: duplicate CSeq (sip_parser_mode 1, the default)",
        "reject",
        status=400,
        problem="duplicate",
    ),
    "mcl01": Case(
        "3.3.9",
        "two different Content-Length values; should 400",
        "route runs; the reply fails (duplicate Content-Length): nothing is sent",
        "reject",
        status=400,
        problem="Content-Length",
    ),
    "bcast": Case(
        "3.3.10",
        "reply whose second Via is 255.255.255.255; do not forward to broadcast",
        "parses it and tries to forward to 255.255.255.255",
        "accept",
        {"m.status": 200, "m.via2.host": "255.255.255.255", "m.via2.branch": "z9hG4bK1saber23"},
    ),
    "zeromf": Case(
        "3.3.11",
        "Max-Forwards 0; a proxy answers 483, OPTIONS to the UAS 200",
        "answers 200",
        "accept",
        {"m.max_forwards": 0},
    ),
    "cparam01": Case(
        "3.3.12",
        "Contact without <>: ';unknownparam' is a Contact (header) parameter",
        "answers 200",
        "accept",
        {
            "m.contacts[0].has_param('unknownparam')": True,
            "m.contacts[0].uri_text": "sip:+19725552222@gw1.example.net",
            "m.contacts[0].uri.params": {},
        },
    ),
    "cparam02": Case(
        "3.3.13",
        "Contact inside <>: ';unknownparam' is a URI parameter",
        "answers 200",
        "accept",
        {
            "m.contacts[0].has_param('unknownparam')": False,
            "m.contacts[0].uri.params": {"unknownparam": None},
        },
    ),
    "regescrt": Case(
        "3.3.14",
        "Contact URI with an escaped Route header; registrar must not store it as is",
        "answers 200",
        "accept",
        {"m.contacts[0].uri.headers": [("Route", "%3Csip:sip.example.com%3E")]},
    ),
    "sdp01": Case(
        "3.3.15",
        "Accept lists no SDP but the body is SDP; 406/488 at the UAS",
        "answers 200",
        "accept",
        {"m.values('Accept')": [b"text/nobodyKnowsThis"], "m.content_type.mime": "application/sdp"},
    ),
    # ---- 3.4 backward compatibility ---------------------------------------------------
    "inv2543": Case(
        "3.4.1",
        "RFC 2543 INVITE: no branch, no Max-Forwards, no Content-Length; accept",
        "answers 200",
        "accept",
        {
            "m.via1.branch": None,
            "m.max_forwards": None,
            "m.content_length": None,
            "m.body.startswith(b'v=0')": True,
            "m.record_routes[0].uri.maddr": "ss1.example.com",
        },
    ),
}


def _load(name: str) -> bytes:
    return (DATA / f"{name}.sip").read_bytes()


def _params(kind: str) -> list[Any]:
    out = []
    for name, case in CASES.items():
        if case.outcome != kind:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        out.append(pytest.param(name, case, id=name, marks=marks))
    return out


def test_every_message_file_has_a_case() -> None:
    files = {p.stem for p in DATA.glob("*.sip")}
    assert files == set(CASES)
    assert len(files) == 49


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_content_length_matches_body(name: str) -> None:
    """Corpus self-check (no parser): a single Content-Length equals the body size, except
    where a wrong length is the test (clerr, ncl, mcl01) or the rest is noise (dblreq)."""
    data = _load(name)
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, "no empty line"
    found = re.findall(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*(-?\d+)", head, re.IGNORECASE)
    if name in ("clerr", "ncl", "mcl01", "dblreq") or not found:
        return
    assert int(found[0]) == len(body)


@pytest.mark.parametrize(("name", "case"), _params("accept"))
def test_accepted(name: str, case: Case) -> None:
    m = parse_message(_load(name))
    assert m.check_mandatory() is None
    for expr, want in case.values.items():
        got = eval(expr, {"m": m, "parse_uri": parse_uri, "unescape": unescape})
        assert got == want, f"{name}: {expr} = {got!r}, RFC 4475 says {want!r}"


@pytest.mark.parametrize(("name", "case"), _params("flag"))
def test_flagged(name: str, case: Case) -> None:
    m = parse_message(_load(name))  # parses far enough to build a reply
    assert m.callid is not None or name == "insuf"
    err = m.check_mandatory()
    assert isinstance(err, SipParseError), f"{name}: {case.rfc}"
    assert err.status == 400
    assert case.problem is not None
    assert re.search(case.problem, f"{err.header} {err.reason}"), err.reason
    if case.bad:
        with pytest.raises(SipParseError):
            eval(case.bad, {"m": m})


@pytest.mark.parametrize(("name", "case"), _params("reject"))
def test_rejected(name: str, case: Case) -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(_load(name), parser_mode=1)
    if case.status is not None:
        assert info.value.status == case.status
    assert case.problem is not None
    assert re.search(case.problem, f"{info.value.header} {info.value.reason}"), info.value.reason


def test_dblreq_tail_is_ignored_but_tcp_frames_only_the_register() -> None:
    data = _load("dblreq")
    n = frame_length(data)
    assert n is not None
    assert data[:n].endswith(b"Content-Length: 0\r\n\r\n")
    assert data[n:].startswith(b"INVITE sip:joe@example.com SIP/2.0\r\n")


def test_clerr_over_tcp_waits_for_more_bytes() -> None:
    assert frame_length(_load("clerr")) is None


def test_ncl_over_tcp_is_a_framing_error() -> None:
    with pytest.raises(SipParseError):
        frame_length(_load("ncl"))


def test_multi01_is_refused_in_lenient_mode_too() -> None:
    """sip_parser_mode=0 lets most repeated single-value headers pass, but Kamailio 5.6.3
    refuses a second Max-Forwards in either mode, and so does multi01 fail here."""
    with pytest.raises(SipParseError) as info:
        parse_message(_load("multi01"), parser_mode=0)
    assert "Max-Forwards" in info.value.reason


def test_mismatch_flags_name_cseq() -> None:
    err = parse_message(_load("mismatch01")).check_mandatory()
    assert err is not None and err.header == "CSeq"


def test_insuf_flags_a_missing_header() -> None:
    err = parse_message(_load("insuf")).check_mandatory()
    assert err is not None and "missing" in err.reason


@pytest.mark.parametrize("name", ["unkscm", "novelsc", "ltgtruri"])
def test_unparsable_request_uri_is_a_uri_error(name: str) -> None:
    """The message parses; the Request-URI does not, as for Kamailio's $ru."""
    m = parse_message(_load(name))
    assert m.ruri is not None
    with pytest.raises(UriError):
        parse_uri(m.ruri)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_accessor_raises_only_sip_errors(name: str) -> None:
    """Whatever the verdict, touching every parsed form raises nothing but SipParseError."""
    try:
        m = parse_message(_load(name))
    except SipParseError:
        return
    with contextlib.suppress(SipParseError):
        m.parse_all()
    for f in m.header_fields:
        with contextlib.suppress(SipParseError):
            m.parsed(f.index)


# ---- differential: the requests through Kamailio 5.6.3 --------------------------------

# what Kamailio does with the requests: True = answers 200, False = no answer at all
KAMAILIO_ANSWERS = {
    name: not (
        case.kamailio.startswith("drops")
        or "nothing is sent" in case.kamailio
        or "the reply fails" in case.kamailio
    )
    for name, case in CASES.items()
    if not _load(name).startswith(b"SIP/")
}


@pytest.mark.kamailio
def test_kamailio_agrees(kamailio_sl: Callable[[bytes], bytes | None]) -> None:
    """Send each request over loopback UDP to Kamailio; the table's column must be right."""
    got = {}
    for name in KAMAILIO_ANSWERS:
        first = kamailio_sl(_load(name))
        got[name] = first is not None and first.startswith(b"SIP/2.0 200 ")
    assert got == KAMAILIO_ANSWERS


@pytest.mark.kamailio
def test_kamailio_reads_the_same_values(
    kamailio_pvs: Callable[[bytes], list[str] | None],
    our_pvs: Callable[[Any], list[str]],
) -> None:
    """For every torture request both accept, Kamailio's $rm/$ru/$ci/$cs/From/To values are
    ours (a URI neither can parse reads <null> on both sides)."""
    compared = []
    for name, case in CASES.items():
        data = _load(name)
        if data.startswith(b"SIP/") or case.outcome != "accept" or case.xfail:
            continue
        theirs = kamailio_pvs(data)
        if theirs is None:  # Kamailio drops it (wsinv, intmeth, esc02): nothing to compare
            continue
        assert our_pvs(parse_message(data)) == theirs, name
        compared.append(name)
    assert len(compared) >= 25
