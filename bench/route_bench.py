"""Microseconds per request for a realistic 40-line request_route (issue 4's benchmark):
initial checks (maxfwd, sanity-like header tests), flags, header tests, R-URI rewrites,
a switch, sub-routes and a stateless reply, compiled by siprouter and run in process on
a parsed INVITE (the reply is built but not sent: no sockets). Prints the best and the
median of several rounds.

    .venv/bin/python bench/route_bench.py [--rounds 9] [--n 2000] [--cpu] [--fresh]

The message is parsed once and each run gets a fresh MsgContext (what a worker pays per
message for routing, without the network and the parse). That reuse is optimistic: header
forms parsed on the first run stay cached in the shared message. `--fresh` parses the
message again for every run (as a worker does) and also times the parse alone, so the
route's own share is the difference. `--cpu` times the process's
CPU time instead of the wall clock: steadier on a machine shared with other work.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args
from siprouter.engine.context import MsgContext, ReceiveInfo, ScriptState
from siprouter.sip.message import parse_message

CFG = r"""#!KAMAILIO
listen=udp:127.0.0.1:5060
loadmodule "sl"
loadmodule "pv"
loadmodule "maxfwd"
loadmodule "textops"
loadmodule "siputils"
flags FLT_NAT:5, FLT_ACC:1;

request_route {
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (is_method("OPTIONS") && uri == myself) {
        sl_send_reply("200", "Keepalive");
        exit;
    }
    route(CHECKS);
    if (has_totag()) {
        route(WITHINDLG);
        exit;
    }
    if (is_present_hf("X-Trace")) setflag(FLT_ACC);
    if ($rU =~ "^\+?[0-9]+$") {
        route(PSTN);
    }
    switch ($rd) {
        case "example.com":
            $var(realm) = "ex";
            break;
        case "other.org":
            $var(realm) = "ot";
            break;
        default:
            $var(realm) = "def";
    }
    if (isflagset(FLT_ACC) && $var(realm) == "ex") {
        append_hf("X-Realm: $var(realm)\r\n");
    }
    sl_send_reply("404", "Not here $var(realm)");
    exit;
}

route[CHECKS] {
    if ($ua =~ "friendly-scanner|sipvicious") exit;
    if ($si == "10.0.0.1") setflag(FLT_NAT);
}

route[PSTN] {
    strip(1);
    prefix("00");
    $rd = "gw.example.net";
}

route[WITHINDLG] {
    sl_send_reply("404", "No dialog");
}
"""

MSG = (
    b"INVITE sip:+4930123456@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:+4930123456@example.com>\r\n"
    b'From: "Alice" <sip:alice@example.com>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.10:5060>\r\n"
    b"User-Agent: bench-phone/1.0\r\n"
    b"X-Trace: 1\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 0\r\n\r\n"
)


# the same route without the two calls that run the SIP core (the Max-Forwards edit and
# the reply): what the routing engine, the PVs and the core actions cost on their own
MAXFWD_CHECK = """    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
"""
FINAL_REPLY = 'sl_send_reply("404", "Not here $var(realm)");'
ENGINE_ONLY_CFG = CFG.replace(MAXFWD_CHECK, "").replace(FINAL_REPLY, "")


def _compile(text: str) -> Any:
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "route.cfg"
        cfg.write_text(text)
        return load_config(parse_args(["-c", "-f", str(cfg)])).compiled


def _time(compiled: Any, rounds: int, n: int, clock: Any, fresh: bool = False) -> list[float]:
    msg = parse_message(MSG)
    rcv = ReceiveInfo("192.0.2.10", 5060, "127.0.0.1", 5060, "udp", 4)
    script = ScriptState(compiled=compiled)
    times = []
    for _ in range(rounds):
        t0 = clock()
        if fresh:
            for _ in range(n):
                ctx = MsgContext(parse_message(MSG), rcv, script)
                ctx.sent = []
                compiled.run("request", "", ctx)
        else:
            for _ in range(n):
                ctx = MsgContext(msg, rcv, script)
                ctx.sent = []
                compiled.run("request", "", ctx)
        times.append((clock() - t0) / n * 1e6)
    return times


def _time_parse(rounds: int, n: int, clock: Any) -> list[float]:
    times = []
    for _ in range(rounds):
        t0 = clock()
        for _ in range(n):
            parse_message(MSG)
        times.append((clock() - t0) / n * 1e6)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--cpu", action="store_true", help="time CPU time, not wall time")
    ap.add_argument(
        "--engine-only",
        action="store_true",
        help="also time the route without the Max-Forwards check and the final reply",
    )
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="parse the message again for every run (no header forms cached across runs)",
    )
    a = ap.parse_args()
    clock = time.process_time if a.cpu else time.perf_counter
    compiled = _compile(CFG)
    check = MsgContext(
        parse_message(MSG),
        ReceiveInfo("192.0.2.10", 5060, "127.0.0.1", 5060, "udp", 4),
        ScriptState(compiled=compiled),
    )
    check.sent = []
    compiled.run("request", "", check)
    assert check.sent and check.sent[0][2].startswith(b"SIP/2.0 404 Not here def"), check.sent
    unit = " (CPU time)" if a.cpu else ""
    times = _time(compiled, a.rounds, a.n, clock)
    print(
        f"40-line request_route, INVITE to a PSTN number, reply built: "
        f"best {min(times):.1f} us, median {statistics.median(times):.1f} us per request{unit}"
    )
    if a.fresh:
        times = _time(compiled, a.rounds, a.n, clock, fresh=True)
        print(
            f"the same, message parsed again per run: best {min(times):.1f} us, "
            f"median {statistics.median(times):.1f} us per request{unit}"
        )
        times = _time_parse(a.rounds, a.n, clock)
        print(
            f"  of which the parse alone: best {min(times):.1f} us, "
            f"median {statistics.median(times):.1f} us{unit}"
        )
    if a.engine_only:
        assert ENGINE_ONLY_CFG != CFG and "mf_process" not in ENGINE_ONLY_CFG
        times = _time(_compile(ENGINE_ONLY_CFG), a.rounds, a.n, clock, fresh=a.fresh)
        print(
            f"the same without the Max-Forwards check and the reply"
            f"{' (message parsed per run)' if a.fresh else ''}: best {min(times):.1f} us, median {statistics.median(times):.1f} us per request{unit}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
