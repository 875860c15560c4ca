"""CPU time and memory of a server's process tree, read from /proc (Linux).

`tree(pid)` is the server's main process and all its descendants at the moment of the call.
`cpu_seconds(pids)` adds user + system time of each process and of its reaped children
(fields utime, stime, cutime, cstime of /proc/<pid>/stat). `rss_bytes` adds the resident
set sizes (VmRSS): pages shared between processes (a forked server's copy-on-write pages,
Kamailio's shared memory) count once per process, as the brief's "sum of RSS" asks;
`pss_bytes` adds the proportional set sizes instead (each shared page split between its
users), which does not count them twice. Processes that exit while being read are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class StatFields:
    """The fields of /proc/<pid>/stat used here (times in clock ticks)."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int


def parse_stat(text: str) -> StatFields:
    """Parse one /proc/<pid>/stat line (the command name may hold spaces and parens)."""
    head, sep, tail = text.rpartition(")")
    if not sep:
        raise ValueError("not a /proc stat line")
    pid = int(head.split("(", 1)[0])
    fields = tail.split()
    # fields[0] is the state (field 3); ppid is field 4; utime..cstime are fields 14..17
    return StatFields(
        pid=pid,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:  # the process exited meanwhile
        return None


def all_stats(proc: Path = PROC) -> dict[int, StatFields]:
    """The stat fields of every process visible in `proc`."""
    out: dict[int, StatFields] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        text = _read(entry / "stat")
        if text is not None:
            st = parse_stat(text)
            out[st.pid] = st
    return out


def descendants(root: int, stats: dict[int, StatFields]) -> list[int]:
    """`root` and every process below it (breadth first), among `stats`."""
    children: dict[int, list[int]] = {}
    for st in stats.values():
        children.setdefault(st.ppid, []).append(st.pid)
    found = [root] if root in stats else []
    i = 0
    while i < len(found):
        found.extend(sorted(children.get(found[i], ())))
        i += 1
    return found


def tree(root: int, proc: Path = PROC) -> list[int]:
    """The pids of `root`'s process tree now."""
    return descendants(root, all_stats(proc))


def cpu_seconds(root: int, proc: Path = PROC) -> float:
    """User + system CPU seconds of `root`'s tree, reaped children included."""
    stats = all_stats(proc)
    ticks = 0
    for pid in descendants(root, stats):
        st = stats[pid]
        ticks += st.utime + st.stime + st.cutime + st.cstime
    return ticks / CLK_TCK


def status_kib(text: str, key: str) -> int:
    """A 'Key:  N kB' value (in KiB) from /proc/<pid>/status or smaps_rollup text; 0 if absent."""
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return int(value.split()[0])
    return 0


def _sum_kib(pids: Iterable[int], file: str, key: str, proc: Path) -> int:
    total = 0
    for pid in pids:
        text = _read(proc / str(pid) / file)
        if text is not None:
            total += status_kib(text, key)
    return total * 1024


def rss_bytes(root: int, proc: Path = PROC) -> int:
    """The sum of VmRSS over `root`'s tree, in bytes."""
    return _sum_kib(tree(root, proc), "status", "VmRSS", proc)


def pss_bytes(root: int, proc: Path = PROC) -> int:
    """The sum of Pss over `root`'s tree, in bytes (0 where smaps_rollup is unreadable)."""
    return _sum_kib(tree(root, proc), "smaps_rollup", "Pss", proc)
