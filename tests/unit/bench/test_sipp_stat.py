"""Reading SIPp's statistics CSV and short message log (bench/sipp/sippstat.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp.sippstat import (  # noqa: E402
    call_counts,
    describe_failures,
    failure_kinds,
    parse_short_log,
    parse_stat_csv,
    percentile,
)

COLUMNS = (
    "StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;"
    "CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);"
    "TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);"
    "FailedCall(C);FailedUnexpectedMessage(P);FailedUnexpectedMessage(C);"
    "FailedTimeoutOnRecv(P);FailedTimeoutOnRecv(C);OutOfCallMsgs(P);OutOfCallMsgs(C);"
    "DeadCallMsgs(P);DeadCallMsgs(C);Retransmissions(P);Retransmissions(C);"
)


def stat_text(created: int, ok: int, failed: int, unexpected: int = 0, retrans: int = 0) -> str:
    def row(created_: int, ok_: int, failed_: int) -> str:
        values = [
            "2026-11-27\t14:52:53.1\t1.1", "2026-11-27\t14:52:55.6\t1.2", "x", "00:00:00",
            "00:00:02", "2000", "0", "1996.01", "0", "0", "0", str(created_), str(created_),
            "0", "0", str(ok_), "0", str(failed_), "0", str(unexpected), "0", "0", "0", "0",
            "0", "0", "0", str(retrans),
        ]  # fmt: skip
        return ";".join(values) + ";"

    # a dump in the middle of the run, then the final one (the one that counts)
    return "\n".join([COLUMNS, row(10, 5, 0), row(created, ok, failed)]) + "\n"


def test_last_row_is_read_by_column_name() -> None:
    row = parse_stat_csv(stat_text(5000, 5000, 0, retrans=3))
    assert row["TotalCallCreated"] == "5000"
    counts = call_counts(row)
    assert counts.created == 5000 and counts.successful == 5000 and counts.failed == 0
    assert counts.retransmissions == 3
    assert counts.clean


def test_dead_call_messages_do_not_fail_a_run() -> None:
    header, first, last = stat_text(100, 100, 0).splitlines()
    values = last.split(";")
    values[header.split(";").index("DeadCallMsgs(C)")] = "7"
    counts = call_counts(parse_stat_csv("\n".join([header, first, ";".join(values)])))
    assert counts.dead_call == 7 and counts.clean


@pytest.mark.parametrize(
    ("created", "ok", "failed", "unexpected"),
    [(5000, 4999, 1, 0), (5000, 4990, 0, 0), (0, 0, 0, 0), (100, 99, 1, 1)],
)
def test_unclean_runs(created: int, ok: int, failed: int, unexpected: int) -> None:
    assert not call_counts(parse_stat_csv(stat_text(created, ok, failed, unexpected))).clean


def test_bad_files_raise() -> None:
    with pytest.raises(ValueError, match="no data row"):
        parse_stat_csv(COLUMNS + "\n")
    head, _, tail = stat_text(12, 12, 0).rpartition(";12;12;0;")  # Outgoing, Total, Current
    broken = head + ";12;ten;0;" + tail
    with pytest.raises(ValueError, match="TotalCallCreated"):
        call_counts(parse_stat_csv(broken))


def line(t: float, d: str, callid: str, cseq: str, first: str) -> str:
    return f"2026-11-27\t14:52:42.000000\t{t:.6f}\t{d}\t{callid}\tCSeq:{cseq}\t{first}\n"


def test_short_log_response_times_and_rate() -> None:
    log = [
        line(100.000000, "S", "1-9@h", "1 INVITE", "INVITE sip:s@127.0.0.1:5060 SIP/2.0"),
        line(100.000400, "R", "1-9@h", "1 INVITE", "SIP/2.0 100 Trying"),  # not final
        line(100.001500, "R", "1-9@h", "1 INVITE", "SIP/2.0 200 OK"),
        line(100.001600, "S", "1-9@h", "1 ACK", "ACK sip:s@127.0.0.1:5060 SIP/2.0"),
        line(100.010000, "S", "2-9@h", "1 INVITE", "INVITE sip:s@127.0.0.1:5060 SIP/2.0"),
        line(100.102000, "S", "1-9@h", "2 BYE", "BYE sip:s@127.0.0.1:5060 SIP/2.0"),
        line(100.102300, "R", "1-9@h", "2 BYE", "SIP/2.0 200 OK"),  # not the initial request
        line(100.510000, "S", "2-9@h", "1 INVITE", "INVITE sip:s@127.0.0.1:5060 SIP/2.0"),
        line(100.513000, "R", "2-9@h", "1 INVITE", "SIP/2.0 486 Busy Here"),  # final, counted
        line(100.513100, "R", "2-9@h", "1 INVITE", "SIP/2.0 486 Busy Here"),  # retransmission
        line(100.020000, "S", "3-9@h", "1 OPTIONS", "OPTIONS sip:s@127.0.0.1 SIP/2.0"),
        "garbage line\n",
    ]
    out = parse_short_log(log)
    assert out.initial_requests == 3
    assert [round(t * 1e6) for t in out.response_times] == [1500, 503000]
    assert out.sent == 6 and out.received == 5
    assert out.first_send == pytest.approx(100.0)
    assert out.last_send == pytest.approx(100.02)
    assert out.offered_rate == pytest.approx(2 / 0.02)


def test_short_log_of_the_real_sipp_format() -> None:
    # two lines as SIPp 3.6.1 writes them (-trace_shortmsg)
    text = (
        "2026-11-27\t14:52:42.243123\t1795791162.243123\tS\t1-7369@127.0.0.1\t"
        "CSeq:1 OPTIONS\tOPTIONS sip:service@127.0.0.1:5071 SIP/2.0\n"
        "2026-11-27\t14:52:42.243969\t1795791162.243969\tR\t1-7369@127.0.0.1\t"
        "CSeq:1 OPTIONS\tSIP/2.0 200 OK\n"
    )
    out = parse_short_log(text.splitlines(keepends=True))
    assert len(out.response_times) == 1
    assert out.response_times[0] == pytest.approx(0.000846, abs=1e-6)
    assert out.offered_rate == 0.0  # one call gives no rate


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_failure_kinds_and_description() -> None:
    header = "TotalCallCreated;FailedCall(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);FailedTimeoutOnRecv(C);FailedUnexpectedMessage(C)"
    row = parse_stat_csv(f"{header}\n10;7;9;5;2;0\n")
    assert failure_kinds(row) == {"MaxUDPRetrans": 5, "TimeoutOnRecv": 2}
    assert describe_failures(row) == "7 failed (MaxUDPRetrans 5, TimeoutOnRecv 2)"
    assert describe_failures(parse_stat_csv(f"{header}\n10;0;0;0;0;0\n")) == ""
    assert describe_failures(parse_stat_csv(f"{header}\n10;3;0;0;0;0\n")) == "3 failed"
