"""siprouter with a profiler around each serving loop:
`python profiled_server.py OUTDIR MODE ARGS...`, MODE `sample`, `cpu` or `wall`.

Runs `siprouter ARGS...` unchanged except that every `UdpLoop.run` (the single process's,
or each worker's after the fork) is profiled from its first to its last event; the result
goes to OUTDIR/prof-<pid>.json (sample) or .out (cProfile) when the loop ends (SIGTERM).
Start-up (imports, cfg parsing, module init) stays out of the profile.

- `sample`: a statistical profiler. SIGPROF fires every `SAMPLE_INTERVAL` of the process's
  CPU time (ITIMER_PROF: time spent waiting or descheduled is never sampled) and the handler
  counts the running Python function (self) and every function on the stack (inclusive).
  The signal is handled between bytecodes, so the time of a C call (sendto, a regex, a
  bytes method) is charged to the Python function that made it. Cheap: the figures stay
  close to an unprofiled run.
- `cpu`: cProfile with the process CPU clock (`time.process_time`): exact call counts, but
  the clock read per call costs several times the work measured, inflating small functions.
- `wall`: cProfile's default clock; a `sendto` that wakes SIPp on a busy 2-core machine is
  charged the time the process then waits for the CPU.

Used by bench/sipp/hotpath.py.
"""

from __future__ import annotations

import cProfile
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

SAMPLE_INTERVAL = 0.0005  # seconds of CPU time between samples

Key = tuple[str, int, str]  # file, first line, function name


class Sampler:
    """Counts of the running function and of the functions on its stack, per SIGPROF."""

    def __init__(self) -> None:
        self.self_counts: Counter[Key] = Counter()
        self.inclusive: Counter[Key] = Counter()
        self.samples = 0

    def on_signal(self, _signum: int, frame: FrameType | None) -> None:
        if frame is None:
            return
        self.samples += 1
        code = frame.f_code
        self.self_counts[(code.co_filename, code.co_firstlineno, code.co_name)] += 1
        seen: set[Key] = set()
        f: FrameType | None = frame
        while f is not None:
            c = f.f_code
            key = (c.co_filename, c.co_firstlineno, c.co_name)
            if key not in seen:
                seen.add(key)
                self.inclusive[key] += 1
            f = f.f_back

    def dump(self, path: Path) -> None:
        path.write_text(
            json.dumps(
                {
                    "interval": SAMPLE_INTERVAL,
                    "samples": self.samples,
                    "self": [[*k, n] for k, n in self.self_counts.items()],
                    "inclusive": [[*k, n] for k, n in self.inclusive.items()],
                }
            )
        )


def main(argv: list[str]) -> int:
    out_dir, mode = Path(argv[0]), argv[1]
    from siprouter.cli import main as siprouter_main
    from siprouter.runtime import udp

    serve = udp.UdpLoop.run

    def sampled_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        sampler = Sampler()
        old = signal.signal(signal.SIGPROF, sampler.on_signal)
        signal.setitimer(signal.ITIMER_PROF, SAMPLE_INTERVAL, SAMPLE_INTERVAL)
        try:
            return serve(self, *args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, old)
            sampler.dump(out_dir / f"prof-{os.getpid()}.json")

    def profiled_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        clock = time.process_time if mode == "cpu" else time.perf_counter
        prof = cProfile.Profile(clock)
        prof.enable()
        try:
            return serve(self, *args, **kwargs)
        finally:
            prof.disable()
            prof.dump_stats(out_dir / f"prof-{os.getpid()}.out")

    udp.UdpLoop.run = sampled_run if mode == "sample" else profiled_run  # type: ignore[method-assign]
    return int(siprouter_main(argv[2:]) or 0)


if __name__ == "__main__":
    sys.path.pop(0)  # this directory: its module names must not shadow anything
    raise SystemExit(main(sys.argv[1:]))
