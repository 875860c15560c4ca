"""Benchmark: `siprouter -c` against `kamailio -c` on the same config files.

Runs both commands N times each, alternating (so machine noise hits both alike), and prints
a Markdown table of median wall-clock times and their ratio. The whole run stops starting
new rounds once `--budget` seconds are spent. When siprouter rejects a config (for example
because a module it loads is not implemented yet) the time is still that of the front end up
to the point where it stopped, and the table says so with siprouter's first error line.

    .venv/bin/python bench/cfg_check.py                  # stock kamailio.cfg, 3 variants
    .venv/bin/python bench/cfg_check.py -n 20 --budget 120 -f my.cfg -A WITH_NAT
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

STOCK_CFG = "/etc/kamailio/kamailio.cfg"
# Define sets the stock config documents at its top that Kamailio itself accepts with the
# Debian base package (WITH_AUTH needs WITH_MYSQL and db_mysql.so, which it lacks).
DEFAULT_VARIANTS: list[list[str]] = [
    [],
    ["WITH_NAT", "WITH_ANTIFLOOD"],
    ["WITH_DEBUG", "WITH_JSONRPC", "WITH_NAT", "WITH_ANTIFLOOD"],
]


@dataclass
class Sample:
    """Timings and outcome of one command over the rounds."""

    times: list[float] = field(default_factory=list)
    status: int | None = None
    first_error: str = ""

    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else float("nan")


def siprouter_cmd() -> list[str]:
    here = Path(sys.executable).parent / "siprouter"
    if here.exists():
        return [str(here)]
    found = shutil.which("siprouter")
    return [found] if found else [sys.executable, "-m", "siprouter"]


def bench_env(cache_dir: str) -> dict[str, str]:
    """Bytecode caching on, in a private folder: an installed siprouter has its .pyc files,
    so compiling the sources on every run (PYTHONDONTWRITEBYTECODE) is not what users see."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def time_once(
    cmd: list[str], sample: Sample, timeout: float, env: dict[str, str] | None = None
) -> None:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    sample.times.append(time.perf_counter() - start)
    sample.status = proc.returncode
    if proc.returncode != 0 and not sample.first_error:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if "error" in ln.lower()]
        sample.first_error = (lines[0] if lines else proc.stderr.strip()[:200])[:200]


def run(args: argparse.Namespace) -> int:
    kamailio = shutil.which("kamailio")
    ours = siprouter_cmd()
    variants = [list(args.define)] if args.define else DEFAULT_VARIANTS
    deadline = time.monotonic() + args.budget
    cache = tempfile.TemporaryDirectory(prefix="siprouter-bench-pyc-")
    env = bench_env(cache.name)
    # one untimed run fills the bytecode cache
    time_once(
        [*ours, "-c", "-f", args.file, "-l", "udp:127.0.0.1:5060"], Sample(), args.timeout, env
    )
    rows: list[tuple[str, Sample, Sample]] = []
    stopped_early = False
    for defines in variants:
        # A loopback listen for both: without one, kamailio -c discovers every interface
        # and asks DNS about each address; the benchmark must not send traffic off the host.
        dflags = [f"-A{d}" for d in defines] + ["-l", "udp:127.0.0.1:5060"]
        ours_s, kam_s = Sample(), Sample()
        for _ in range(args.runs):
            if time.monotonic() > deadline:
                stopped_early = True
                break
            time_once([*ours, "-c", "-f", args.file, *dflags], ours_s, args.timeout, env)
            if kamailio:
                time_once([kamailio, "-c", "-f", args.file, *dflags], kam_s, args.timeout)
        rows.append((" ".join(f"-A {d}" for d in defines) or "(none)", ours_s, kam_s))

    print(f"## `-c` on {args.file}\n")
    print(f"{args.runs} runs per command, alternating; median wall-clock time.\n")
    print("| defines | siprouter ms | kamailio ms | ratio | exit (ours/kam) | note |")
    print("|---|---:|---:|---:|---:|---|")
    for label, o, k in rows:
        ratio = o.median_ms() / k.median_ms() if k.times and o.times else float("nan")
        note = ""
        if o.status:
            note = f"front end only, stopped at: {o.first_error}".replace("|", "\\|")
        kam = f"{k.median_ms():.1f}" if k.times else "n/a"
        print(
            f"| {label} | {o.median_ms():.1f} | {kam} | {ratio:.2f} | {o.status}/{k.status} "
            f"| {note} |"
        )
    cache.cleanup()
    if not kamailio:
        print("\nkamailio is not installed: only siprouter was timed.")
    if stopped_early:
        print(f"\nStopped early: the {args.budget:.0f} s budget was spent.")
    print(f"\n{os.uname().machine}, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-f", "--file", default=STOCK_CFG, help="config file (default: %(default)s)"
    )
    parser.add_argument(
        "-A", "--define", action="append", help="a define for one variant (repeat to combine)"
    )
    parser.add_argument("-n", "--runs", type=int, default=10, help="runs per command and variant")
    parser.add_argument("--budget", type=float, default=90.0, help="stop after this many seconds")
    parser.add_argument("--timeout", type=float, default=30.0, help="limit for one run, seconds")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
