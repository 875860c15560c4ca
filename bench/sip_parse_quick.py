"""Quick micro-benchmark of the SIP parser (developer aid; bench/sip_bench.py is the real one).

Run: .venv/bin/python bench/sip_parse_quick.py
Prints microseconds per routing-ready parse (first line, Via, From, To, Call-ID, CSeq,
Max-Forwards), per full-header parse of a ~900-byte INVITE, and per stateless 404 reply
(parse, check_mandatory, sip.reply.build_reply).
"""

from __future__ import annotations

import time
import timeit

from siprouter.sip.message import parse_message

SDP = (
    b"v=0\r\n"
    b"o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
    b"s=-\r\n"
    b"c=IN IP4 192.0.2.101\r\n"
    b"t=0 0\r\n"
    b"m=audio 49172 RTP/AVP 0\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
)

INVITE = (
    b"INVITE sip:bob@biloxi.example.com:5060;transport=udp SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-524287-1---c3a5c94b;received=192.0.2.10\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b'Contact: <sip:alice@pc33.atlanta.example.com:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"\r\n'
    b"Record-Route: <sip:192.0.2.1;lr>\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    b"Supported: replaces, timer, 100rel\r\n"
    b"User-Agent: ExamplePhone/1.2.3\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: %d\r\n"
    b"\r\n" % len(SDP)
) + SDP


def routing_ready() -> None:
    m = parse_message(INVITE)
    m.via1  # noqa: B018
    m.from_  # noqa: B018
    m.to  # noqa: B018
    m.callid  # noqa: B018
    m.cseq  # noqa: B018
    m.max_forwards  # noqa: B018


def index_only() -> None:
    parse_message(INVITE)


def full() -> None:
    m = parse_message(INVITE)
    m.parse_all()


def stateless_reply() -> bytes:
    """parse + the checks a proxy makes + a 404 built by sip.reply (another engineer's)."""
    from siprouter.sip.reply import build_reply

    m = parse_message(INVITE)
    if m.check_mandatory() is not None:
        raise AssertionError("bench message must be valid")
    return build_reply(m, 404, b"Not Found", src=("192.0.2.9", 5060))


def _best(fn: object, n: int = 2000) -> float:
    """Best of many runs of this process's CPU time: the machine is shared, the minimum is
    the undisturbed cost (process_time ticks coarsely, hence the longer runs)."""
    runs = timeit.repeat(fn, number=n, repeat=30, timer=time.process_time)  # type: ignore[arg-type]
    return min(runs) / n * 1e6


if __name__ == "__main__":
    print(f"message size: {len(INVITE)} bytes")
    print(f"index only (parse_message):  {_best(index_only):6.2f} us")
    print(f"routing-ready parse:         {_best(routing_ready):6.2f} us")
    print(f"full-header parse:           {_best(full):6.2f} us")
    print(f"parse + check + 404 reply:   {_best(stateless_reply):6.2f} us")
