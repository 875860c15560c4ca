"""Self-tests of the differential harness (no servers): case files load, requests are
built with CRLF and a right Content-Length, normalisation keeps what the harness sent and
hides what a server generates, and the diff is empty exactly when observations agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from compat_harness import (
    CASES_DIR,
    Endpoint,
    Msg,
    Server,
    all_case_files,
    build_request,
    diff,
    normalise,
    reply_to,
    with_sync,
)


def test_case_files_load_and_are_many() -> None:
    files = all_case_files()
    assert files and all(f.path.parent == CASES_DIR for f in files)
    assert sum(len(f.cases) for f in files) >= 60
    for f in files:
        assert "request_route" in f.cfg or "route {" in f.cfg
        assert all(c.requests for c in f.cases)


def test_build_request_template_and_raw() -> None:
    req = build_request({"method": "MESSAGE", "ruri": "sip:x@y", "body": "hi\n"})
    head, body = req.split("\r\n\r\n", 1)
    assert head.startswith("MESSAGE sip:x@y SIP/2.0\r\n") and "\n" not in head.replace("\r\n", "")
    assert body == "hi\r\n" and "Content-Length: 4" in head and "CSeq: 1 MESSAGE" in head
    raw = build_request({"raw": "OPTIONS sip:a@b SIP/2.0\nCall-ID: c\n"})
    assert raw.endswith("Call-ID: c\r\nContent-Length: 0\r\n\r\n")


def test_sync_handler_goes_into_the_main_route_only() -> None:
    cfg = "reply_route { drop; }\nroute[X] { exit; }\nrequest_route {\n  exit;\n}\n"
    out = with_sync(cfg)
    assert out.index("compat-sync") > out.index("request_route {")
    assert out.startswith("reply_route { drop; }\nroute[X] { exit; }\n")
    with pytest.raises(ValueError):
        with_sync("reply_route { drop; }")


def test_normalise_ports_branches_tags(tmp_path: Path) -> None:
    srv = Server("siprouter", tmp_path, "")
    try:
        srv.port = 45678
        srv.own |= {";tag=mine", "branch=z9hG4bK-mine"}
        text = (
            f"Via: SIP/2.0/UDP 127.0.0.1:{srv.port};branch=z9hG4bKgen1;rport={srv.client.port}\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{srv.nexthop.port};branch=z9hG4bK-mine\r\n"
            "To: <sip:b@x>;tag=abc123\r\nFrom: <sip:a@x>;tag=mine\r\nContent-Length: 45678"
        )
        out = normalise(text, srv)
        assert "127.0.0.1:@PORT@;branch=z9hG4bK-BRANCH;rport=@CLIENT@" in out
        assert "127.0.0.1:@NEXTHOP@;branch=z9hG4bK-mine" in out
        assert ";tag=TAG" in out and ";tag=mine" in out and "Content-Length: @PORT@" in out
    finally:
        srv.client.close()
        srv.nexthop.close()


def test_reply_to_copies_the_transaction_headers() -> None:
    req = Msg.parse(
        b"INVITE sip:b@x SIP/2.0\r\nv: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
        b"Via: SIP/2.0/UDP h2;branch=z9hG4bK2\r\nf: <sip:a@x>;tag=1\r\nt: <sip:b@x>\r\n"
        b"i: cid\r\nCSeq: 3 INVITE\r\n\r\n"
    )
    rpl = Msg.parse(reply_to(req, "180 Ringing"))
    assert rpl.is_reply and rpl.first == "SIP/2.0 180 Ringing"
    assert rpl.values("via") == ["SIP/2.0/UDP h1;branch=z9hG4bK1", "SIP/2.0/UDP h2;branch=z9hG4bK2"]
    assert rpl.callid == "cid" and rpl.values("to") == ["<sip:b@x>;tag=nexthop-tag"]


def test_diff_is_empty_only_when_equal() -> None:
    a = {"client": [{"status": "200", "reason": "ok"}], "nexthop": []}
    assert diff(a, {"client": [{"status": "200", "reason": "ok"}], "nexthop": []}) == ""
    d = diff(a, {"client": [], "nexthop": []})
    assert "-client: 1 message(s)" in d and "+client: 0 message(s)" in d


def test_endpoint_drain_does_not_wait() -> None:
    a, b = Endpoint(), Endpoint()
    try:
        assert b.drain() == []
        a.send(b.port, b"x")
        assert b.recv(2.0) == b"x"
    finally:
        a.close()
        b.close()
