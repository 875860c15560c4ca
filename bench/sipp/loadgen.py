"""One load step: SIPp offers `rate` calls per second for `duration` seconds, and the step
is judged.

The UAC sends to the server (OPTIONS), or to the proxy with a SIPp UAS as Request-URI
(`-rsa`), or straight to the UAS (the `sipp` baseline). Every SIPp process has a global
`-timeout`, a per-message `-recv_timeout` and a subprocess timeout on top; a lost message
fails its call within seconds. Around the UAC run the server's process tree CPU time is
read, so each step also gives CPU seconds per message; so are the drop counters of the
server's UDP sockets (/proc/net/udp) and of the whole network namespace (/proc/net/snmp),
which tell whether a lost message died in the server's receive buffer or in another one
(SIPp's, when the load generator falls behind).

A step passes when every created call succeeded with nothing unexpected (SIPp's exit status
0 and its counters), the UAS (if any) exited cleanly, and SIPp really sent at the asked
rate (at least `MIN_OFFERED` of it: beyond its own limit SIPp silently sends slower).
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import proctree, sippstat
from .scenarios import Scenario
from .servers import free_udp_port, udp_drops, udp_port_bound, udp_rcvbuf_errors

SIPP = "sipp"
RECV_TIMEOUT_MS = 4000
MAX_RETRANS = 3
MIN_OFFERED = 0.9
UAS_START_TIMEOUT = 10.0
UAS_GRACE = 5.0  # seconds the UAS gets to finish its last calls after the UAC


def sipp_timeout(duration: float) -> float:
    """SIPp's own global timeout (-timeout) for a step of `duration` seconds."""
    return duration * 1.5 + 10


def step_bound(duration: float) -> float:
    """The longest a step of `duration` seconds takes when SIPp keeps its -timeout; the
    subprocess timeouts around it allow 10 s more for the UAC before it is killed."""
    return sipp_timeout(duration) + UAS_GRACE


@dataclass
class StepResult:
    """What one step measured."""

    scenario: str
    target: str
    rate: int
    duration: float
    calls: int
    passed: bool = False
    reason: str = ""
    successful: int = 0
    failed: int = 0
    retransmissions: int = 0
    offered: float = 0.0  # calls/s SIPp actually sent at
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    answered: int = 0  # calls with a response time
    server_cpu_s: float | None = None
    server_msgs: int = 0
    server_drops: int | None = None  # datagrams the server's sockets dropped (buffer full)
    other_drops: int = 0  # dropped by other UDP sockets of the namespace (SIPp's, mostly)
    wall_s: float = 0.0
    response_times: list[float] = field(default_factory=list, repr=False)

    @property
    def cpu_per_1000(self) -> float | None:
        if self.server_cpu_s is None or self.server_msgs <= 0:
            return None
        return self.server_cpu_s / self.server_msgs * 1000

    def summary(self) -> dict[str, Any]:
        """The fields worth keeping in the JSON record (no per-call times)."""
        out = asdict(self)
        out.pop("response_times")
        out["cpu_per_1000"] = self.cpu_per_1000
        return out


def _start_uas(
    xml: Path, calls: int, timeout_s: float, work: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_udp_port()
    cmd = [
        SIPP, "-sf", str(xml), "-i", "127.0.0.1", "-p", str(port), "-m", str(calls),
        "-nostdin", "-timeout", f"{int(timeout_s)}s", "-timeout_error",
        "-trace_stat", "-stf", str(work / "uas_stat.csv"),
        "-trace_err", "-error_file", str(work / "uas_errors.log"),
    ]  # fmt: skip
    with open(work / "uas.out", "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + UAS_START_TIMEOUT
    while not udp_port_bound(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            _end(proc)
            raise RuntimeError(f"SIPp UAS did not start: {(work / 'uas.out').read_text()[-500:]}")
        time.sleep(0.02)
    return proc, port


def _end(proc: subprocess.Popen[bytes], grace: float = 0.0) -> int | None:
    """Wait up to `grace` seconds for `proc` to exit, then kill it; its exit status."""
    try:
        return proc.wait(grace) if grace > 0 else proc.wait(0.001)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        return None


def run_step(
    scenario: Scenario,
    target: str,
    server_port: int | None,
    server_pid: int | None,
    rate: int,
    duration: float,
    work: Path,
) -> StepResult:
    """Run one step in the fresh directory `work` and judge it."""
    work.mkdir(parents=True, exist_ok=True)
    calls = max(2, round(rate * duration))
    res = StepResult(scenario.name, target, rate, duration, calls)
    timeout_s = sipp_timeout(duration)
    started = time.monotonic()

    uas: subprocess.Popen[bytes] | None = None
    if target == "sipp":
        uas, uas_port = _start_uas(scenario.baseline_uas_xml, calls, timeout_s + UAS_GRACE, work)
        remote, rsa = f"127.0.0.1:{uas_port}", None
    elif scenario.uas_xml is not None:
        uas, uas_port = _start_uas(scenario.uas_xml, calls, timeout_s + UAS_GRACE, work)
        remote, rsa = f"127.0.0.1:{uas_port}", f"127.0.0.1:{server_port}"
    else:
        remote, rsa = f"127.0.0.1:{server_port}", None

    cmd = [
        SIPP, "-sf", str(scenario.uac_xml), "-i", "127.0.0.1", "-p", str(free_udp_port()),
        "-r", str(rate), "-m", str(calls), "-nostdin",
        "-timeout", f"{int(timeout_s)}s", "-timeout_error",
        "-recv_timeout", str(RECV_TIMEOUT_MS), "-max_retrans", str(MAX_RETRANS),
        "-trace_stat", "-stf", str(work / "uac_stat.csv"),
        "-trace_shortmsg", "-shortmessage_file", str(work / "uac_short.log"),
    ]  # fmt: skip
    if rsa:
        cmd += ["-rsa", rsa]
    cmd.append(remote)

    cpu0 = proctree.cpu_seconds(server_pid) if server_pid else None
    drops0 = udp_drops(server_port) if server_port else None
    all_drops0 = udp_rcvbuf_errors()
    try:
        with open(work / "uac.out", "wb") as out:
            uac_rc: int | None = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=work,
                timeout=timeout_s + 10, check=False,
            ).returncode  # fmt: skip
    except subprocess.TimeoutExpired:
        uac_rc = None
    if server_pid and cpu0 is not None:
        res.server_cpu_s = proctree.cpu_seconds(server_pid) - cpu0
    if server_port and drops0 is not None:
        res.server_drops = udp_drops(server_port) - drops0
    res.other_drops = max(0, udp_rcvbuf_errors() - all_drops0 - (res.server_drops or 0))
    uas_rc = _end(uas, grace=UAS_GRACE) if uas is not None else 0
    res.wall_s = time.monotonic() - started

    _judge(res, work, uac_rc, uas_rc, proxied=scenario.proxied)
    return res


def _judge(
    res: StepResult, work: Path, uac_rc: int | None, uas_rc: int | None, proxied: bool
) -> None:
    reasons: list[str] = []
    if uac_rc is None:
        reasons.append("UAC killed at its time limit")
    elif uac_rc != 0:
        reasons.append(f"UAC exit {uac_rc}")
    if uas_rc is None:
        reasons.append("UAS did not finish")
    elif uas_rc != 0:
        reasons.append(f"UAS exit {uas_rc}")
    try:
        row = sippstat.parse_stat_csv((work / "uac_stat.csv").read_text())
        counts = sippstat.call_counts(row)
    except (OSError, ValueError) as exc:
        reasons.append(f"no UAC statistics ({exc})")
    else:
        res.successful, res.failed = counts.successful, counts.failed
        res.retransmissions = counts.retransmissions
        if not counts.clean or counts.created != res.calls:
            failures = sippstat.describe_failures(row) or "none failed"
            reasons.append(
                f"UAC: {counts.successful}/{res.calls} calls ok, {failures}"
                + (f", {counts.unexpected} unexpected messages" if counts.unexpected else "")
            )
    uas_stat = work / "uas_stat.csv"
    if uas_stat.exists():
        try:
            failures = sippstat.describe_failures(sippstat.parse_stat_csv(uas_stat.read_text()))
        except ValueError:
            failures = ""
        if failures:
            reasons.append(f"UAS: {failures}")
    try:
        with open(work / "uac_short.log", errors="replace") as fh:
            log = sippstat.parse_short_log(fh)
    except OSError:
        reasons.append("no UAC message log")
    else:
        res.offered = log.offered_rate
        res.response_times = log.response_times
        res.answered = len(log.response_times)
        res.p50_ms = sippstat.percentile(log.response_times, 50) * 1000
        res.p99_ms = sippstat.percentile(log.response_times, 99) * 1000
        # a server receives what the UAC sends less what its full buffers dropped; a proxy
        # also what the UAS sends, which (less the same drops) is what the UAC receives;
        # there the drops cannot be split by direction, so a step with drops counts a few
        # too many messages (its CPU per message reads a little low)
        if proxied:
            res.server_msgs = log.sent + log.received
        else:
            res.server_msgs = max(0, log.sent - (res.server_drops or 0))
        if res.offered < MIN_OFFERED * res.rate:
            reasons.append(f"SIPp sent at {res.offered:.0f}/s only")
    res.passed = not reasons
    res.reason = "; ".join(reasons)
