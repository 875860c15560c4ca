"""Reading what SIPp writes: the statistics CSV (`-trace_stat -stf`) and the short message
log (`-trace_shortmsg`), plus the percentiles of the response times taken from it.

The statistics CSV has one header line and one line per dump, fields separated by ';';
the last line holds the cumulative counters (the "(C)" columns) of the whole run.

The short message log has one line per message sent (S) or received (R), tab-separated:
date, time, epoch seconds with microseconds, direction, Call-ID, "CSeq:<n> <method>", the
first line. SIPp's own response-time counters have a resolution of one millisecond, too
coarse for a server that answers in a fraction of one; the log's timestamps have one of a
microsecond, so the response times here come from it: for each Call-ID, from the first
sending of the initial request (the call's first CSeq) to the first final response (2xx-6xx)
to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CallCounts:
    """The cumulative counters of one SIPp run that decide whether a step passed."""

    created: int
    successful: int
    failed: int
    retransmissions: int
    unexpected: int
    out_of_call: int
    dead_call: int
    timeouts_on_recv: int

    @property
    def clean(self) -> bool:
        """Every created call succeeded and nothing unexpected arrived. Messages for calls
        already over (DeadCallMsgs: a 200 retransmitted because the ACK came late) do not
        make a call fail."""
        return (
            self.created > 0
            and self.failed == 0
            and self.successful == self.created
            and self.unexpected == 0
        )


def parse_stat_csv(text: str) -> dict[str, str]:
    """The last data row of a SIPp statistics CSV as a column -> value mapping."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise ValueError("SIPp statistics file has no data row")
    header = lines[0].rstrip(";").split(";")
    row = lines[-1].rstrip(";").split(";")
    return dict(zip(header, row, strict=False))


def _int(row: dict[str, str], key: str) -> int:
    value = row.get(key, "")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"SIPp statistics: column {key!r} is {value!r}") from None


def call_counts(row: dict[str, str]) -> CallCounts:
    """The counters that matter for a verdict, from a parsed statistics row."""
    return CallCounts(
        created=_int(row, "TotalCallCreated"),
        successful=_int(row, "SuccessfulCall(C)"),
        failed=_int(row, "FailedCall(C)"),
        retransmissions=_int(row, "Retransmissions(C)"),
        unexpected=_int(row, "FailedUnexpectedMessage(C)"),
        out_of_call=_int(row, "OutOfCallMsgs(C)"),
        dead_call=_int(row, "DeadCallMsgs(C)"),
        timeouts_on_recv=_int(row, "FailedTimeoutOnRecv(C)"),
    )


def failure_kinds(row: dict[str, str]) -> dict[str, int]:
    """The non-zero "Failed<kind>(C)" counters of a statistics row, by kind
    (MaxUDPRetrans, TimeoutOnRecv, UnexpectedMessage, ...), FailedCall itself left out."""
    kinds: dict[str, int] = {}
    for name, value in row.items():
        if name.startswith("Failed") and name.endswith("(C)") and name != "FailedCall(C)":
            if value.isdigit() and int(value) > 0:
                kinds[name[len("Failed") : -len("(C)")]] = int(value)
    return kinds


def describe_failures(row: dict[str, str]) -> str:
    """'N failed (Kind n, ...)' for a statistics row; '' when no call failed."""
    failed = _int(row, "FailedCall(C)")
    if failed == 0:
        return ""
    kinds = ", ".join(f"{k} {n}" for k, n in failure_kinds(row).items())
    return f"{failed} failed ({kinds})" if kinds else f"{failed} failed"


@dataclass(frozen=True)
class ShortLog:
    """What the short message log tells about one UAC run."""

    response_times: list[float]  # seconds, one per call that got a final response
    first_send: float  # epoch seconds of the first initial request
    last_send: float  # and of the last one
    initial_requests: int  # calls started (first sendings of initial requests)
    sent: int  # messages sent, retransmissions included
    received: int  # messages received

    @property
    def offered_rate(self) -> float:
        """The rate at which initial requests actually went out (calls per second)."""
        span = self.last_send - self.first_send
        if self.initial_requests < 2 or span <= 0:
            return 0.0
        return (self.initial_requests - 1) / span


def parse_short_log(lines: Iterable[str]) -> ShortLog:
    """Response times and send rate from the lines of a SIPp short message log."""
    started: dict[str, tuple[str, float]] = {}  # Call-ID -> (CSeq number, time sent)
    answered: set[str] = set()
    times: list[float] = []
    first = last = 0.0
    sent = received = 0
    for line in lines:
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) < 7:
            continue
        try:
            when = float(parts[2])
        except ValueError:
            continue
        direction, callid, cseq, first_line = parts[3], parts[4], parts[5], parts[6]
        seq = cseq.removeprefix("CSeq:").split(" ", 1)[0]
        if direction == "S":
            sent += 1
            if callid not in started and not first_line.startswith("SIP/2.0"):
                started[callid] = (seq, when)
                if not first:
                    first = when
                last = when
        elif direction == "R":
            received += 1
            if callid in answered or not first_line.startswith("SIP/2.0 "):
                continue
            start = started.get(callid)
            if start is None or start[0] != seq:
                continue
            code = first_line[8:11]
            if code.isdigit() and int(code) >= 200:
                answered.add(callid)
                times.append(when - start[1])
    return ShortLog(times, first, last, len(started), sent, received)


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (pct in 0..100) of `values`; NaN when empty."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError("percentile must be within 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
