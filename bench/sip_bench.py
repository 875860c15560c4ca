#!/usr/bin/env python3
"""Microbenchmarks of the SIP core hot path (timeit; not a test, no assertions on time).

Operations, on a typical ~900-byte INVITE with SDP (tests/data/sip/captures/invite_sdp.sip):

- routing-ready parse: ``parse_message`` + first line, top Via, From, To, Call-ID, CSeq,
  Max-Forwards (what request routing touches first);
- full parse: ``parse_message`` + ``parse_all()`` (every header with a parsed form);
- build 200 reply: ``build_reply`` on an already parsed request;
- full stateless reply: parse + routing-ready accessors + ``build_reply``;
- forward lumps: on a parsed request, received/rport fix of the top Via, a Record-Route, our
  Via with a stateless branch, applied to bytes;
- parse + forward: the two above together.

Prints a Markdown table (µs per operation, operations per second on one core) and compares
with the targets (routing-ready parse <= 10 µs, full stateless reply <= 30 µs). ``--save``
also writes the table to bench/results/ (git-ignored). ``--profile NAME`` runs cProfile on one
operation and prints where the time goes.

    .venv/bin/python bench/sip_bench.py [--repeat 7] [--save] [--profile stateless_reply]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import platform
import pstats
import re
import sys
import time
import timeit
from collections.abc import Callable
from itertools import repeat as repeat_
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from siprouter.sip import headers as H  # noqa: E402
from siprouter.sip.message import SipMessage, parse_message  # noqa: E402
from siprouter.sip.msg_apply import MsgChanges  # noqa: E402
from siprouter.sip.reply import build_reply  # noqa: E402
from siprouter.sip.via import build_via, stateless_branch  # noqa: E402

INVITE = (ROOT / "tests" / "data" / "sip" / "captures" / "invite_sdp.sip").read_bytes()
SRC = ("192.0.2.101", 5060)
RR_LINE = b"Record-Route: <sip:127.0.0.1:5060;lr;ftag=1928301774>\r\n"
TARGETS = {"routing_ready": 10.0, "stateless_reply": 30.0}


def routing_ready(data: bytes = INVITE) -> SipMessage:
    m = parse_message(data)
    m.method  # noqa: B018
    m.ruri  # noqa: B018
    m.via1  # noqa: B018
    m.from_  # noqa: B018
    m.to  # noqa: B018
    m.callid  # noqa: B018
    m.cseq  # noqa: B018
    m.max_forwards  # noqa: B018
    return m


def full_parse(data: bytes = INVITE) -> SipMessage:
    m = parse_message(data)
    m.parse_all()
    return m


def forward_lumps(m: SipMessage) -> bytes:
    ch = MsgChanges(m)
    ch.fix_top_via(*SRC)
    ch.add_record_route(RR_LINE)
    cs = m.cseq
    branch = stateless_branch(m.via1, m.callid, cs.num if cs else None, m.ruri or "")
    ch.add_via(build_via("UDP", "127.0.0.1", 5060, branch))
    return ch.apply()


PARSED = routing_ready()


def ops() -> dict[str, tuple[str, Callable[[], object]]]:
    return {
        "routing_ready": (
            "routing-ready parse (first line, Via, From, To, Call-ID, CSeq, Max-Forwards)",
            routing_ready,
        ),
        "full_parse": ("full parse (parse_all)", full_parse),
        "build_reply": (
            "build 200 reply (request already parsed)",
            lambda: build_reply(PARSED, 200, "OK", src=SRC),
        ),
        "stateless_reply": (
            "full stateless reply (parse + build 200)",
            lambda: build_reply(routing_ready(), 200, "OK", src=SRC),
        ),
        "forward_lumps": (
            "Via fix + Record-Route + Via lumps, apply (already parsed)",
            lambda: forward_lumps(PARSED),
        ),
        "parse_forward": (
            "parse + forward lumps + apply",
            lambda: forward_lumps(routing_ready()),
        ),
    }


def measure(fn: Callable[[], object], repeat: int) -> float:
    """Best-of-``repeat`` time per call in µs (timeit's autorange sets the loop count).

    The clock is this process's CPU time (``time.process_time``), not wall time, so other
    processes on a busy machine do not inflate the numbers; on an idle core both agree."""
    t = timeit.Timer(fn, timer=time.process_time)
    number, _ = t.autorange()
    best = min(t.repeat(repeat=repeat, number=number))
    return best / number * 1e6


def table(results: dict[str, float]) -> str:
    lines = [
        f"SIP core microbenchmarks: {len(INVITE)}-byte INVITE, Python "
        f"{platform.python_version()} on {platform.machine()}, one core, CPU time, best of runs",
        "",
        "| operation | µs/op | msgs/s per core | target |",
        "| --- | ---: | ---: | --- |",
    ]
    for key, (label, _fn) in ops().items():
        us = results[key]
        target = TARGETS.get(key)
        mark = ""
        if target is not None:
            mark = f"<= {target:g} µs: {'met' if us <= target else 'MISSED'}"
        lines.append(f"| {label} | {us:.1f} | {1e6 / us:,.0f} | {mark} |")
    return "\n".join(lines)


def _index_steps(repeat: int) -> list[str]:
    """The C-level pieces of the header index, each timed alone (what parse_message's fast
    path is made of; the rest of its time is Python glue: checks, attributes, Content-Length).
    One ``re.findall`` over the header block is shown for comparison: on this CPython it is
    slower than ``split`` + ``partition`` (the regex engine steps per byte, split uses memchr)."""
    hstart = INVITE.find(b"\n") + 1
    hend = INVITE.find(b"\r\n\r\n")
    block = INVITE[hstart:hend]
    lines = block.split(b"\r\n")
    get = H.RAW_NAME_TO_ID.get
    one_regex = re.compile(rb"([^:\r\n]*):[ \t]*([^\r\n]*)\r\n")
    steps: list[tuple[str, Callable[[], object]]] = [
        (
            "  find the empty line, split the block into lines",
            lambda: INVITE[hstart:hend].split(b"\r\n"),
        ),
        (
            "  names (partition at ':') and ids (dict lookups)",
            lambda: list(
                map(get, map(itemgetter(0), map(bytes.partition, lines, repeat_(b":"))), repeat_(0))
            ),
        ),
        (
            "  (for comparison: one re.findall over the block)",
            lambda: one_regex.findall(INVITE, hstart, hend + 2),
        ),
    ]
    return [f"| {label} | {measure(fn, repeat):.1f} |" for label, fn in steps]


def breakdown(repeat: int) -> str:
    """Cost of each step of the routing-ready parse: parse_message alone (and the C-level
    pieces of its header index), then what each accessor adds on a fresh message (so the
    lazy parse of that header is included)."""
    base = measure(lambda: parse_message(INVITE), repeat)
    rows = [f"| parse_message (first line + header index) | {base:.1f} |", *_index_steps(repeat)]
    for attr in ("via1", "from_", "to", "callid", "cseq", "max_forwards"):

        def step(attr: str = attr) -> object:
            return getattr(parse_message(INVITE), attr)

        rows.append(f"| + {attr} | {measure(step, repeat) - base:.1f} |")
    rows.append(f"| build_reply on the parsed request | {results_one('build_reply', repeat):.1f} |")
    return "\n".join(["| step | µs |", "| --- | ---: |", *rows])


def results_one(key: str, repeat: int) -> float:
    return measure(ops()[key][1], repeat)


def profile(key: str, loops: int = 20000) -> None:
    fn = ops()[key][1]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(loops):
        fn()
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(18)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7, help="timeit repeats (best is kept)")
    ap.add_argument("--save", action="store_true", help="also write bench/results/sip-*.md")
    ap.add_argument("--profile", metavar="OP", choices=sorted(ops()), help="cProfile one op")
    ap.add_argument("--breakdown", action="store_true", help="cost of each parse step")
    ns = ap.parse_args(argv)
    if ns.breakdown:
        print(breakdown(ns.repeat))
        return 0
    if ns.profile:
        profile(ns.profile)
        return 0
    # sanity: the operations do what they say before we time them
    assert forward_lumps(PARSED).count(b"\r\nVia: ") == 2
    assert build_reply(PARSED, 200, "OK", src=SRC).startswith(b"SIP/2.0 200 OK\r\n")
    results = {key: measure(fn, ns.repeat) for key, (_label, fn) in ops().items()}
    out = table(results)
    print(out)
    if ns.save:
        d = ROOT / "bench" / "results"
        d.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        (d / f"sip-{stamp}.md").write_text(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
