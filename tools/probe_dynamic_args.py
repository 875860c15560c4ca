"""Which module functions Kamailio accepts with an expression argument (`-c`).

For every function siprouter's modules export (their EXPORTS tables), every accepted
number of arguments and every argument position, a probe cfg loads the module and calls
the function once, with a non-constant expression (`$var(x) + "1"`) at that position
and constants elsewhere. `kamailio -c` then says:

* accept: it parsed and fixed up the config (exit status 0);
* refuse: "function F: parameter N is not constant" (the function has no runtime fixup);
* absent: "failed to find command": 5.6.3 has no such function (siprouter follows a
  later release's documentation for it);
* error: anything else (a bad constant argument, a route type, a core keyword, ...): the
  message is kept so the sample arguments (SAMPLES) can be corrected.

One call per cfg: Kamailio stops at the first refusal. Each run takes ~10-20 ms; the
probes run in parallel.

    .venv/bin/python tools/probe_dynamic_args.py              # a table on stdout
    .venv/bin/python tools/probe_dynamic_args.py --diff       # only where siprouter differs
    .venv/bin/python tools/probe_dynamic_args.py --python     # the accepted set, as Python
    .venv/bin/python tools/probe_dynamic_args.py -m textops   # one module

Used by tests/unit/modules/test_dynamic_args_table.py (probe_one, probe_cfg).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from siprouter.modules.registry import (  # noqa: E402
    ArgKind,
    FunctionSpec,
    RouteType,
    block_route_type,
)

MODULES = (
    "textops", "textopsx", "siputils", "sanity", "corex", "kex", "cfgutils", "htable",
    "statistics", "counters", "pv", "xlog", "sl", "maxfwd",
)  # fmt: skip
EXPR = '$var(x) + "1"'
LISTEN = "udp:127.0.0.1:5999"

# constant arguments (cfg text) where the default for the kind would not do
SAMPLES: dict[str, tuple[str, ...]] = {
    "xlog": ('"L_INFO"', '"text"'),
    "xlogl": ('"L_INFO"', '"text"'),
    "xlogm": ('"L_INFO"', '"text"'),
    "sanity_check": ('"1"', '"1"'),
    "sl_send_reply": ('"200"', '"OK"'),
    "sl_reply": ('"200"', '"OK"'),
    "send_reply": ('"200"', '"OK"'),
    "send_reply_mode": ('"200"', '"OK"', "0"),
    "change_reply_status": ('"200"', '"OK"'),
    "tel2sip": ('"$ru"', '"a.b"', '"$var(y)"'),
    "tel2sip2": ('"$ru"', '"a.b"', '"$var(y)"'),
    "set_body_multipart": ('"text"', '"text/plain"', '"b1"'),
}
_DEFAULT = {
    ArgKind.STR: '"1"',
    ArgKind.INT: "1",
    ArgKind.PV: "$var(y)",
    ArgKind.REGEX: '"a"',
    ArgKind.ANY: '"1"',
}
_REFUSED = re.compile(r"function (\S+): parameter (\d+) is not constant")
_CRIT = re.compile(r"(?:CRITICAL|ERROR): (.*)")


@dataclass(frozen=True, slots=True)
class Probe:
    """One call to try: `func` with `count` arguments, the expression at `pos` (0-based)."""

    module: str
    func: str
    count: int
    pos: int
    call: str
    block: str  # the route block keyword the call is placed in


@dataclass(frozen=True, slots=True)
class Verdict:
    probe: Probe
    result: str  # "accept", "refuse", "absent" or "error"
    message: str = ""


def _block_for(spec: FunctionSpec) -> str:
    for kind, word in (("request", "request_route"), ("reply", "reply_route")):
        if spec.route_types & block_route_type(kind):
            return word
    if spec.route_types & RouteType.FAILURE:
        return "failure_route[probe]"
    if spec.route_types & RouteType.BRANCH:
        return "branch_route[probe]"
    return "onsend_route"


def call_text(spec: FunctionSpec, count: int, pos: int, expr: str = EXPR) -> str:
    """The probe call: sample constants, the expression at `pos`."""
    sample = SAMPLES.get(spec.name, ())
    args = [sample[i] if i < len(sample) else _DEFAULT[spec.kind_of(i)] for i in range(count)]
    args[pos] = expr
    return f"{spec.name}({', '.join(args)})"


def probes(modules: Iterable[str] = MODULES) -> Iterator[Probe]:
    """Every (function, count, position) of the given modules."""
    for mod in modules:
        exports = importlib.import_module(f"siprouter.modules.{mod}").EXPORTS
        for spec in exports.functions.values():
            for count in sorted(spec.arg_counts):
                for pos in range(count):
                    yield Probe(mod, spec.name, count, pos, call_text(spec, count, pos),
                                _block_for(spec))  # fmt: skip


def probe_cfg(module: str, call: str, block: str = "request_route") -> str:
    """A cfg that loads `module` (and pv, for $var) and runs `call` in `block`."""
    mods = dict.fromkeys(["pv", module])
    head = "#!KAMAILIO\n" + "".join(f'loadmodule "{m}"\n' for m in mods)
    body = f"{block} {{\n    {call};\n}}\n"
    if block != "request_route":
        body = "request_route {\n    drop;\n}\n" + body
    return head + body


def run_check(cfg_text: str, workdir: str, name: str) -> tuple[int, str]:
    """`kamailio -c` of a cfg text: (exit status, stderr)."""
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(cfg_text)
    proc = subprocess.run(
        ["kamailio", "-c", "-f", path, "-l", LISTEN],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.returncode, proc.stderr


def classify(rc: int, stderr: str, func: str) -> tuple[str, str]:
    """(result, message) of one `kamailio -c` run for a call to `func`."""
    m = _REFUSED.search(stderr)
    if m is not None and m.group(1) == func:
        return "refuse", m.group(0)
    if rc == 0:
        return "accept", ""
    if f"failed to find command {func} " in stderr:
        return "absent", ""
    lines = [c.group(1).strip() for c in _CRIT.finditer(stderr)]
    return "error", next((ln for ln in lines if ln), stderr.strip()[-200:])


def probe_one(probe: Probe, workdir: str) -> Verdict:
    cfg = probe_cfg(probe.module, probe.call, probe.block)
    rc, err = run_check(cfg, workdir, f"{probe.func}-{probe.count}-{probe.pos}.cfg")
    result, message = classify(rc, err, probe.func)
    return Verdict(probe, result, message)


def run_all(all_probes: list[Probe], jobs: int = 4) -> list[Verdict]:
    with tempfile.TemporaryDirectory(prefix="probe-dyn-") as tmp, ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda p: probe_one(p, tmp), all_probes))


def accepted_functions(verdicts: Iterable[Verdict]) -> dict[str, set[tuple[int, int]]]:
    """function -> the (count, position) pairs Kamailio accepts an expression at."""
    out: dict[str, set[tuple[int, int]]] = {}
    for v in verdicts:
        if v.result == "accept":
            out.setdefault(v.probe.func, set()).add((v.probe.count, v.probe.pos))
    return out


def ours_accepts(module: str, func: str, count: int) -> bool:
    """Whether siprouter's -c accepts an expression in a call with `count` arguments."""
    spec = importlib.import_module(f"siprouter.modules.{module}").EXPORTS.functions[func]
    return spec.dynamic_for(count)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--module", action="append", help="only these modules")
    ap.add_argument("-j", "--jobs", type=int, default=4)
    ap.add_argument("--diff", action="store_true", help="only where siprouter differs")
    ap.add_argument("--python", action="store_true", help="print the accepted functions")
    args = ap.parse_args(argv)
    verdicts = run_all(list(probes(args.module or MODULES)), args.jobs)
    if args.python:
        by_mod: dict[str, list[str]] = {}
        for v in verdicts:
            if v.result == "accept" and v.probe.func not in by_mod.get(v.probe.module, []):
                by_mod.setdefault(v.probe.module, []).append(v.probe.func)
        for mod, funcs in by_mod.items():
            print(f'    "{mod}": {{{", ".join(repr(f) for f in funcs)}}},')
        return 0
    for v in verdicts:
        p = v.probe
        if args.diff and (
            v.result == "absent"
            or (
                v.result != "error"
                and (v.result == "accept") == ours_accepts(p.module, p.func, p.count)
            )
        ):
            continue
        print(f"{p.module:10} {p.func:28} {p.count} {p.pos + 1} {v.result:6} {v.message}")
    counts = {
        r: sum(v.result == r for v in verdicts) for r in ("accept", "refuse", "absent", "error")
    }
    print(f"# {len(verdicts)} probes: " + ", ".join(f"{n} {r}" for r, n in counts.items()),
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
