"""siprouter with cProfile around each serving loop: `python profiled_server.py OUTDIR ARGS...`.

Runs `siprouter ARGS...` unchanged except that every `UdpLoop.run` (the single process's,
or each worker's after the fork) is profiled from its first to its last event, and the
statistics go to OUTDIR/prof-<pid>.out when the loop ends (SIGTERM). Start-up (imports,
cfg parsing, module init) stays out of the profile. Used by bench/sipp/hotpath.py.
"""

from __future__ import annotations

import cProfile
import os
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    from siprouter.cli import main as siprouter_main
    from siprouter.runtime import udp

    serve = udp.UdpLoop.run

    def profiled_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        prof = cProfile.Profile()
        prof.enable()
        try:
            return serve(self, *args, **kwargs)
        finally:
            prof.disable()
            prof.dump_stats(out_dir / f"prof-{os.getpid()}.out")

    udp.UdpLoop.run = profiled_run  # type: ignore[method-assign]
    return int(siprouter_main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.path.pop(0)  # this directory: its module names must not shadow anything
    raise SystemExit(main(sys.argv[1:]))
