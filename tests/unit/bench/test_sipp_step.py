"""bench/sipp end to end on a small scale: both servers started with the same command line,
one short SIPp step per scenario against each, judged, with CPU and memory read; and the
rate search's verdict on a step that must fail (nobody listening)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp import proctree  # noqa: E402
from bench.sipp.loadgen import run_step  # noqa: E402
from bench.sipp.scenarios import SCENARIOS  # noqa: E402
from bench.sipp.servers import free_udp_port, server_cmd, start  # noqa: E402

needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")


def test_both_servers_get_the_same_options() -> None:
    cfg = Path("/tmp/x.cfg")
    sr = server_cmd("siprouter", cfg, 5070, 2, ["-b", "4194304"])
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        pytest.skip("kamailio not installed")
    ka = server_cmd("kamailio", cfg, 5070, 2, ["-b", "4194304"])
    tail = ["-DD", "-E", "-n", "2", "-l", "udp:127.0.0.1:5070", "-b", "4194304", "-f", str(cfg)]
    assert sr[-len(tail) :] == tail and ka[-len(tail) :] == tail
    assert ka[0].endswith("kamailio") and "siprouter" in " ".join(sr[: -len(tail)])


@needs_sipp
@pytest.mark.sipp
@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("scenario", ["options", "proxy"])
@pytest.mark.parametrize("kind", ["siprouter", "kamailio"])
def test_a_small_step_passes_on_both_servers(kind: str, scenario: str, tmp_path: Path) -> None:
    sc = SCENARIOS[scenario]
    srv = start(kind, sc.cfg, tmp_path, children=2)
    try:
        rss = proctree.rss_bytes(srv.pid)
        st = run_step(sc, kind, srv.port, srv.pid, rate=100, duration=1.0, work=tmp_path / "s")
    finally:
        srv.stop()
    # every call right; whether SIPp kept its send rate on a busy machine is timing, not
    # behaviour, so a "SIPp sent at ... only" verdict alone is accepted here
    assert "UAC" not in st.reason and "UAS" not in st.reason, st.reason + srv.log_tail()
    assert st.successful == st.calls == 100 and st.failed == 0
    assert st.answered == 100 and 0 < st.p50_ms <= st.p99_ms
    assert st.server_msgs == 100 * sc.server_msgs_per_call
    assert st.server_cpu_s is not None and st.server_cpu_s >= 0  # 100 msgs: ticks of 10 ms
    assert st.server_drops == 0
    assert rss > 1024 * 1024
    assert len(proctree.tree(srv.pid)) == 0  # stopped: the whole tree is gone


@needs_sipp
@pytest.mark.sipp
def test_a_step_against_nobody_fails(tmp_path: Path) -> None:
    st = run_step(
        SCENARIOS["options"], "siprouter", free_udp_port(), None, rate=50, duration=0.2,
        work=tmp_path,
    )  # fmt: skip
    assert not st.passed
    assert "UAC" in st.reason and st.successful == 0
