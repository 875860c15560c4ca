"""Process-tree CPU and memory from /proc (bench/sipp/proctree.py): the parsing on fixed
text, the tree walk on a fake /proc, and the live reading on this test's own children; the
UDP drop counter of a port (bench/sipp/servers.udp_drops)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sipp import proctree, servers  # noqa: E402

# a real /proc/<pid>/stat line, with a command name holding a space and a parenthesis
STAT = (
    "4242 (kam ail)o) S 4200 4242 4242 0 -1 4194560 1517 0 0 0 "
    "150 37 9 4 20 0 1 0 5012 98304000 5120 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 "
    "17 1 0 0 0 0 0"
)


def test_parse_stat_fields() -> None:
    st = proctree.parse_stat(STAT)
    assert (st.pid, st.ppid) == (4242, 4200)
    assert (st.utime, st.stime, st.cutime, st.cstime) == (150, 37, 9, 4)
    with pytest.raises(ValueError):
        proctree.parse_stat("no parens here")


def test_status_kib() -> None:
    text = "Name:\tkamailio\nVmRSS:\t   20480 kB\nVmSwap:\t0 kB\n"
    assert proctree.status_kib(text, "VmRSS") == 20480
    assert proctree.status_kib(text, "Pss") == 0
    assert proctree.status_kib("Rss:  900 kB\nPss:  310 kB\n", "Pss") == 310


def fake_proc(tmp: Path, procs: dict[int, tuple[int, int, int]]) -> Path:
    """pid -> (ppid, utime, rss KiB) as /proc files under tmp."""
    for pid, (ppid, utime, rss) in procs.items():
        d = tmp / str(pid)
        d.mkdir()
        (d / "stat").write_text(
            f"{pid} (p) S {ppid} 1 1 0 -1 0 0 0 0 0 {utime} 1 0 0 20 0 1 0 1 1 1"
        )
        (d / "status").write_text(f"Name:\tp\nVmRSS:\t{rss} kB\n")
        (d / "smaps_rollup").write_text(f"Rss: {rss} kB\nPss: {rss // 2} kB\n")
    (tmp / "self").mkdir()  # not a pid: ignored
    return tmp


def test_tree_cpu_and_memory_on_a_fake_proc(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        {
            1: (0, 5, 100),
            10: (1, 100, 2000),  # the server
            11: (10, 50, 1000),  # a worker
            12: (10, 30, 1000),  # a worker
            13: (12, 20, 500),  # a worker's child
            20: (1, 999, 9999),  # someone else
        },
    )
    assert proctree.tree(10, proc) == [10, 11, 12, 13]
    ticks = (100 + 1) + (50 + 1) + (30 + 1) + (20 + 1)
    assert proctree.cpu_seconds(10, proc) == pytest.approx(ticks / proctree.CLK_TCK)
    assert proctree.rss_bytes(10, proc) == (2000 + 1000 + 1000 + 500) * 1024
    assert proctree.pss_bytes(10, proc) == (1000 + 500 + 500 + 250) * 1024
    assert proctree.tree(99, proc) == []
    assert proctree.cpu_seconds(99, proc) == 0


def test_live_tree_of_a_child_that_forks() -> None:
    code = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(30); os._exit(0)\n"
        "print('ready', flush=True); time.sleep(30)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"
        pids = proctree.tree(parent.pid)
        assert pids[0] == parent.pid and len(pids) == 2
        assert proctree.rss_bytes(parent.pid) > 1024 * 1024
        assert proctree.cpu_seconds(parent.pid) >= 0
        assert os.getpid() not in pids
    finally:
        os.killpg(parent.pid, 9)
        parent.wait(10)


UDP_TABLE = """\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  496: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1287686 2 00000000eb811168 17
  497: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1288697 2 0000000032b552bd 5
  498: 0100007F:13C5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1288698 2 0000000032b552be 99
"""


def test_udp_drops_adds_the_sockets_of_a_port(tmp_path: Path) -> None:
    table = tmp_path / "udp"
    table.write_text(UDP_TABLE)
    missing = tmp_path / "udp6"
    assert servers.udp_drops(5060, (table, missing)) == 22  # 0x13C4: two REUSEPORT sockets
    assert servers.udp_drops(5061, (table,)) == 99
    assert servers.udp_drops(5062, (table,)) == 0


def test_udp_drops_live_counts_a_full_receive_buffer() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx,
    ):
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        rx.bind(("127.0.0.1", 0))
        port = rx.getsockname()[1]
        before = servers.udp_drops(port)
        for _ in range(200):  # never read: most of these cannot be queued
            tx.sendto(b"x" * 1000, ("127.0.0.1", port))
        assert servers.udp_drops(port) - before > 100


def test_rcvbuf_errors_of_the_namespace(tmp_path: Path) -> None:
    snmp = tmp_path / "snmp"
    snmp.write_text(
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "Udp: 31826461 153246 607202 32605903 607199 0\n"
        "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "UdpLite: 0 0 0 0 0 0\n"
    )
    assert servers.udp_rcvbuf_errors(snmp) == 607199
    assert servers.udp_rcvbuf_errors(tmp_path / "missing") == 0
    assert servers.udp_rcvbuf_errors() >= 0  # the live file parses
