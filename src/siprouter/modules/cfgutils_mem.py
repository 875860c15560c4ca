"""pkg_status/pkg_summary/shm_status/shm_summary: memory reports, the honest equivalent.

Kamailio's functions dump its C allocators (pkg: per-process, shm: shared). A Python
process has neither, so they report the nearest real figures, logged like Kamailio's
reports at the `memlog` level (debug, 3, by default; a line appears when `debug` is at
least that level):

* pkg_status / pkg_summary: this process's memory: resident and virtual size (from
  /proc/self/status), peak resident size, and the Python heap (objects tracked by the
  garbage collector per generation; with tracemalloc running, its current and peak
  traced bytes); pkg_status adds the ten object types with the most instances;
* shm_status / shm_summary: the state shared by the workers: the shared database files
  (size of the database and its write-ahead log) of shared/space.py; shm_status adds
  the row count of each shared table.

Each returns 1.
"""

from __future__ import annotations

import collections
import gc
import logging
import os
import resource
import tracemalloc
from collections.abc import Callable

log = logging.getLogger("siprouter.cfgutils")

MEMLOG = logging.DEBUG


def _proc_status() -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def pkg_lines(detailed: bool) -> list[str]:
    st = _proc_status()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines = [
        f"pkg (process {os.getpid()}): resident {st.get('VmRSS', '?')}, "
        f"virtual {st.get('VmSize', '?')}, peak resident {peak_kb} kB",
        "pkg: gc objects per generation: "
        + ", ".join(str(n) for n in gc.get_count())
        + f"; tracked objects {len(gc.get_objects())}",
    ]
    if tracemalloc.is_tracing():
        cur, peak = tracemalloc.get_traced_memory()
        lines.append(f"pkg: traced Python heap {cur} bytes, peak {peak} bytes")
    if detailed:
        counts = collections.Counter(type(o).__name__ for o in gc.get_objects())
        for name, n in counts.most_common(10):
            lines.append(f"pkg: {n} objects of type {name}")
    return lines


def shm_lines(detailed: bool) -> list[str]:
    from siprouter.shared.space import space

    sp = space()
    sizes = []
    for suffix in ("", "-wal", "-shm"):
        try:
            sizes.append((suffix or "db", os.path.getsize(sp.db_path + suffix)))
        except OSError:
            continue
    lines = [
        f"shm (shared space {sp.path}): "
        + ", ".join(f"{name} {size} bytes" for name, size in sizes)
    ]
    if detailed:
        conn = sp.db()
        names = [
            str(r[0])
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        ]
        for name in names:
            (n,) = conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()
            lines.append(f"shm: table {name}: {n} rows")
    return lines


def report(make: Callable[[bool], list[str]], detailed: bool) -> int:
    """Log the report's lines when the memlog level is enabled (computed only then)."""
    if log.isEnabledFor(MEMLOG):
        for line in make(detailed):
            log.log(MEMLOG, "%s", line)
    return 1
