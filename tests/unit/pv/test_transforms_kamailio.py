"""Differential test: every transformation case evaluated by kamailio 5.6.3 and by us.

One kamailio run (loopback listen, no traffic) evaluates all cases in
`event_route[core:worker-one-init]` with xlog to stderr.  For each case it logs the
result as hex plus its length (an undefined result logs an empty length), and, for the
cases whose text can sit in cfg code, the result of `$var(t) + 1` after `$var(t) = result`
(an integer adds, a string gets "1" appended: this checks int vs string results).
Cases kamailio refuses at startup are checked one per run: it must refuse them and
`compile_transforms` must raise ConfigError.  Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.pv.tr_common import to_bytes
from siprouter.pv.transforms import compile_transforms

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed"),
]

POS = Pos("t.cfg", 1, 1)
Input = str | int | None

URIS = [
    "sip:alice@example.com",
    "sip:alice:pw@example.com:5070;transport=tcp;lr?subject=x&h=y",
    "sips:bob@10.0.0.1;maddr=1.2.3.4;ttl=5;method=INVITE;user=ip;r2=on",
    "sip:example.com",
    "sip:[2001:db8::1]:5080;transport=tls",
    "sip:carol@h;transport=UDP;a=1;b",
    "sip:dave@h;",
    "sip:+123@h;user=phone",
    "tel:+1-555;ext=1",
    "sip:h;p=%41b",
    "not a uri",
    "sip:@h",
]

URI_TR = [
    "uri.user",
    "uri.host",
    "uri.domain",
    "uri.passwd",
    "uri.port",
    "uri.params",
    "uri.param,transport",
    "uri.param,b",
    "uri.param,A",
    "uri.param,nope",
    "uri.headers",
    "uri.transport",
    "uri.ttl",
    "uri.uparam",
    "uri.maddr",
    "uri.method",
    "uri.lr",
    "uri.r2",
    "uri.scheme",
    "uri.tosocket",
    "uri.saor",
    "uri.suri",
    "uri.duri",
]

STRINGS = [
    "abcdef",
    "",
    "  a b\tc \r\n",
    "Hello World 123",
    "a,b,,c",
    "x'y\"z\\w",
    "100%ok+x&y=z/q:r@s",
    "%41%2b%7E",
    "12ab",
    "-42",
    "+7",
    "007",
    "(abc)",
    "[x]",
    "'q'",
    '"dq"',
    "<u>",
    "abc\r\ndef\nghi",
]

S_NOARG = [
    "s.len",
    "s.int",
    "s.md5",
    "s.sha256",
    "s.sha384",
    "s.sha512",
    "s.encode.hexa",
    "s.encode.7bit",
    "s.encode.base58",
    "s.encode.base64",
    "s.encode.base64t",
    "s.encode.base64url",
    "s.encode.base64urlt",
    "s.escape.common",
    "s.unescape.common",
    "s.escape.user",
    "s.unescape.user",
    "s.escape.param",
    "s.unescape.param",
    "s.escape.csv",
    "s.tolower",
    "s.toupper",
    "s.trim",
    "s.rtrim",
    "s.ltrim",
    "s.rmws",
    "s.urlencode.param",
    "s.urldecode.param",
    "s.numeric",
    "s.corehash",
    "s.unquote",
    "s.unbracket",
    "s.prefixes",
    "s.prefixes.quoted",
]

S_ARGS: list[tuple[Input, str]] = [
    ("abcdef", "s.substr,0,0"),
    ("abcdef", "s.substr,1,3"),
    ("abcdef", "s.substr,2,10"),
    ("abcdef", "s.substr,-2,1"),
    ("abcdef", "s.substr,-2,0"),
    ("abcdef", "s.substr,-6,2"),
    ("abcdef", "s.substr,-7,1"),
    ("abcdef", "s.substr,6,1"),
    ("abcdef", "s.substr,5,1"),
    ("abcdef", "s.substr, 1, 2"),
    (123456, "s.substr,1,2"),
    ("a,b,,c", "s.select,0,,"),
    ("a,b,,c", "s.select,1,,"),
    ("a,b,,c", "s.select,2,,"),
    ("a,b,,c", "s.select,3,,"),
    ("a,b,,c", "s.select,4,,"),
    ("a,b,,c", "s.select,-1,,"),
    ("a,b,,c", "s.select,-2,,"),
    ("a,b,,c", "s.select,-4,,"),
    ("a,b,,c", "s.select,-5,,"),
    ("a b c", "s.select,1, "),
    ("a;b;c", "s.select,-1,;"),
    ("abcdef", "s.strip,2"),
    ("abcdef", "s.strip,0"),
    ("abcdef", "s.strip,-1"),
    ("abcdef", "s.strip,6"),
    ("abcdef", "s.strip,9"),
    ("abcdef", "s.striptail,2"),
    ("abcdef", "s.striptail,6"),
    ("abcdef", "s.stripto,c"),
    ("abcdef", "s.stripto,z"),
    ("abcdef", "s.stripto,de"),
    ("abcdef", "s.prefixes,3"),
    ("abcdef", "s.prefixes,0"),
    ("abcdef", "s.prefixes,10"),
    ("abcdef", "s.prefixes.quoted,2"),
    ("abcabc", "s.replace,bc,X"),
    ("abcabc", "s.replace,abc,"),
    ("aaa", "s.replace,aa,b"),
    ("a-b-c", "s.rm,-"),
    ("a-b--c", "s.rm,--"),
    ("a\tb", "s.rm,\\t"),
    ("a,b,c", "s.count,,"),
    ("a,b,c", "s.count,b"),
    ("a,b,c", "s.count,z"),
    ("user@host", "s.before,@"),
    ("user@host", "s.before,u"),
    ("user@host", "s.before,z"),
    ("user@host", "s.after,@"),
    ("user@host", "s.after,t"),
    ("user@host", "s.after,z"),
    # 5.6.3 scans forward past the end unless the last character matches: only that
    # case is defined there (the others read memory after the value)
    ("a/b/", "s.rbefore,/"),
    ("a/b/", "s.rafter,/"),
    ("abcdefgh", "s.fmtlines,3,2"),
    ("abcdefgh", "s.fmtlinet,4,1"),
    ("abcdefgh", "s.fmtlines,20,0"),
    ("abcdefgh", "s.fmtlines,1,0"),
    ("abcdefgh", "s.corehash,16"),
    ("abcdefgh", "s.corehash,1"),
    (0, "s.ftime,%Y-%m-%d"),
    ("86400", "s.ftime,%Y %j"),
    ("x", "s.ftime,%Y"),
    ("", "s.int"),
    ("+", "s.int"),
    ("-", "s.int"),
    ("-0", "s.int"),
    (" 12", "s.int"),
    ("12 ", "s.int"),
    ("2147483648", "s.int"),
    ("é-ü", "s.len"),
    ("é-ü", "s.substr,1,2"),
    ("é-ü", "s.toupper"),
    ("é-ü", "s.escape.user"),
    ("é-ü", "s.escape.param"),
    ("é-ü", "s.urlencode.param"),
    ("é-ü", "s.encode.hexa"),
    ("é-ü", "s.encode.base64"),
    ("é-ü", "s.corehash"),
    ("é-ü", "s.md5"),
    ("a\vb\f", "s.trim"),
    ("a b\tc", "s.select,1,\\t"),
    ("a\nb\nc", "s.select,-1,\\n"),
    ("a\\b\\c", "s.select,1,\\\\"),
    (12345, "s.prefixes,2"),
    (12345, "s.corehash"),
    ("SIP:Bob@H", "uri.scheme"),
    ("SIP:Bob@H", "uri.user"),
    ("Bob <sip:b@h>", "tobody.display"),
    ("sip:b@h;tag=z;p", "tobody.tag"),
    ("sip:b@h;tag=z;p", "tobody.params"),
    ("<sip:b@h;x=1>;tag=z", "tobody.params"),
    ('a="x\\"y";b=1', "param.value,a"),
    ('a="x\\"y";b=1', "param.value,b"),
    ("2147483647", "s.int"),
    ("-2147483648", "s.int"),
    ("-2147483649", "s.int"),
    ("4294967296", "s.int"),
    ("616263", "s.decode.hexa"),
    ("61626", "s.decode.hexa"),
    ("6x", "s.decode.hexa"),
    ("4A4B", "s.decode.hexa"),
    ("YWJj", "s.decode.base64"),
    ("YWI=", "s.decode.base64"),
    ("YWI", "s.decode.base64t"),
    ("YWI", "s.decode.base64"),
    ("!!!!", "s.decode.base64"),
    ("-_-_", "s.decode.base64url"),
    ("YWI", "s.decode.base64urlt"),
    ("ZjQ", "s.decode.base58"),
    ("1112", "s.decode.base58"),
    ("0OIl", "s.decode.base58"),
    ("2g", "s.decode.base58"),
    ("z", "s.decode.base58"),
    ("1", "s.decode.base58"),
    ("E8329BFD06", "s.decode.7bit"),
    ("C8329BFD0E01", "s.decode.7bit"),
    ("hellohello", "s.encode.7bit"),
    ("%zz", "s.unescape.user"),
    ("%0a", "s.unescape.user"),
    ("%4", "s.unescape.param"),
    ("a%4", "s.urldecode.param"),
    ("a%41%", "s.urldecode.param"),
    ("\\q\\0x", "s.unescape.common"),
    (42, "s.len"),
    (42, "s.int"),
    (-42, "s.toupper"),
    (42, "s.encode.hexa"),
    (42, "s.numeric"),
    (42, "s.unquote"),
    (None, "s.len"),
    (None, "s.int"),
    (None, "uri.user"),
    (None, "param.count"),
    (None, "line.count"),
]

PARAMS = [
    "a=1;b=2;c",
    "a=1;b=2;c;",
    "a=1;a=2",
    ' x = "quoted val" ; y = z ',
    "k=v",
    "a=1,b=2,c=3",
    "a=1|b=2",
    'a="open',
    "",
]

PARAM_TR = [
    "param.value,a",
    "param.value,B",
    "param.value,c",
    "param.value,x",
    "param.value,zz",
    "param.in,a",
    "param.in,zz",
    "param.valueat,0",
    "param.valueat,1",
    "param.valueat,-1",
    "param.valueat,5",
    "param.valueat,-5",
    "param.name,0",
    "param.name,-1",
    "param.name,1,|",
    "param.count",
    "param.count,,",
    "param.count,|",
]

NAMEADDRS = [
    '"Alice A" <sip:a@b>;tag=x',
    "Bob <sip:bob@h:5070;transport=tcp>;tag=12;foo",
    "<sip:c@d>",
    "sip:e@f;tag=9",
    '"Q<uoted>" <sip:q@r>',
    "\"x\" <sip:y@z>;p='v w'",
    "nouri",
]

NA_TR = [
    "nameaddr.name",
    "nameaddr.uri",
    "nameaddr.len",
    "tobody.display",
    "tobody.uri",
    "tobody.tag",
    "tobody.user",
    "tobody.host",
    "tobody.params",
]

LINES = ["a\nb\nc", "a\r\nbb\r\ncc\r\n", "one", "a\n\n", "\nab", "x\ny\n"]
LINE_TR = [
    "line.count",
    "line.at,0",
    "line.at,1",
    "line.at,2",
    "line.at,3",
    "line.at,-1",
    "line.at,-2",
    "line.at,-3",
    "line.at,-4",
    "line.sw,b",
    "line.sw,c",
    "line.sw,x",
    "line.sw,abc",
]

ALIASES: list[tuple[Input, str]] = [
    ("sip:alice@example.com:5070;transport=tcp", "urialias.encode"),
    ("sip:b@h", "urialias.encode"),
    ("sip:b@h;transport=tls", "urialias.encode"),
    ("sip:b@[2001:db8::1];transport=sctp", "urialias.encode"),
    ("sips:b@h:7;transport=ws", "urialias.encode"),
    ("h~5060~1", "urialias.decode"),
    ("h~5070~2", "urialias.decode"),
    ("1.2.3.4~5~3", "urialias.decode"),
    ("h~5060~4", "urialias.decode"),
    ("h~5060~5", "urialias.decode"),
]

REGEX: list[tuple[Input, str]] = [
    ("sip:a@b", "re.subst,/a/X/"),
    ("banana", "re.subst,/a/o/g"),
    ("banana", "re.subst,/A/o/gi"),
    ("banana", "re.subst,/A/o/g"),
    ("abc123def", "re.subst,/[[:digit:]]+/<\\0>/"),
    ("user@host", "re.subst,/^(.*)@(.*)$/\\2 at \\1/"),
    ("a/b", "re.subst,#/#|#"),
    ("x", "re.subst,/y/z/"),
]

# Arguments that are pseudo-variables ($var values set at the top of the route: VARS).
VARS: dict[str, int | str] = {"i": 2, "n": -1, "istr": "2", "s": "b", "e": "", "pipe": "|"}
VARS["fmt"] = "%Y"
PV_ARGS: list[tuple[Input, str]] = [
    ("abcdef", "s.substr,$var(i),$var(i)"),
    ("abcdef", "s.substr,$var(n),0"),
    ("abcdef", "s.substr,$var(istr),1"),
    ("abcdef", "s.substr,$(var(istr){s.int}),1"),
    ("abcdef", "s.substr,$var(unset),1"),
    ("a,b,c", "s.select,$var(i),,"),
    ("a,b,c", "s.select,$var(n),,"),
    ("abcdef", "s.strip,$var(i)"),
    ("abcdef", "s.striptail,$var(n)"),
    ("abcabc", "s.replace,$var(s),Z"),
    ("abcabc", "s.replace,$var(e),Z"),
    ("abcabc", "s.rm,$var(s)"),
    ("abc", "s.stripto,$var(s)"),
    ("abc", "s.count,$var(s)"),
    ("abc", "s.before,$var(s)"),
    ("abc", "s.after,$var(s)"),
    ("abcdef", "s.prefixes,$var(i)"),
    ("abc", "s.corehash,$var(i)"),
    ("abcdefgh", "s.fmtlines,$var(i),$var(i)"),
    (0, "s.ftime,$var(fmt)"),
    ("a=1;b=2", "param.value,$var(s)"),
    ("a=1;b=2", "param.in,$var(s)"),
    ("a=1;b=2", "param.valueat,$var(n)"),
    ("a=1;b=2", "param.name,$var(n)"),
    ("a=1|b=2|c", "param.count,$var(pipe)"),
    ("sip:a@h;b=3", "uri.param,$var(s)"),
    ("x\nby\n", "line.sw,$var(s)"),
    ("a\nb", "line.at,$var(n)"),
    ("banana", "re.subst,/n/<$var(s)>/g"),
    ("banana", "re.subst,/(a)(n)/\\2\\1/"),
]

CHAINS: list[tuple[Input, list[str]]] = [
    ("sip:alice@example.com", ["uri.user", "s.len"]),
    ("sip:alice@example.com", ["uri.user", "s.toupper", "s.encode.hexa"]),
    ("12", ["s.int", "s.len"]),
    ('"A" <sip:x@y;transport=udp>', ["nameaddr.uri", "uri.transport"]),
    ("a=sip:u@h;b=2", ["param.value,a", "uri.user"]),
    ("abc", ["s.substr,5,1", "s.len"]),
]


def build_cases() -> list[tuple[Input, list[str]]]:
    cases: list[tuple[Input, list[str]]] = []
    cases += [(u, [t]) for u in URIS for t in URI_TR]
    cases += [(s, [t]) for s in STRINGS for t in S_NOARG]
    cases += [(v, [t]) for v, t in S_ARGS]
    cases += [(p, [t]) for p in PARAMS for t in PARAM_TR]
    cases += [(n, [t]) for n in NAMEADDRS for t in NA_TR]
    cases += [(x, [t]) for x in LINES for t in LINE_TR]
    cases += [(v, [t]) for v, t in ALIASES + REGEX]
    cases += [(v, [t]) for v, t in PV_ARGS]
    cases += CHAINS
    return cases


# Kamailio must refuse these at startup (and so must compile_transforms).
BAD_SPECS = [
    "s.nope",
    "s.sha1",
    "s.substr,1",
    "s.substr,a,1",
    "s.substr,1,-1",
    "s.replace,b,$var(s)$var(s)",
    "s.select,1",
    "s.strip",
    "s.len,1",
    "uri.nope",
    "param.value",
    "param.value,a,;;",
    "param.value,b,,",
    "param.name,1,,",
    "line.at",
    "val.n0",
    "dst.ip",
    "re.subst,/a(/b/",
    "zz.len",
    "s.select,1,\\s",
    "s.select,1,ab",
    "uri.param",
    "s.ftime",
    "s.corehash,x",
    "param.count,ab",
    "line.sw",
    "tobody.nope",
    "re.subst,/abc",
    "s.fmtlines,1,-1",
]


def _lit(s: str) -> str:
    """A cfg string literal."""
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_HEAD = """#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:{port}
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
"""


def _probe_ok(specs: list[str]) -> bool:
    """Whether the spec text can also be written as a PV token in cfg code."""
    return not any(c in t for t in specs for c in " \t\"'\\#;")


def _cfg(cases: list[tuple[Input, list[str]]], port: int) -> str:
    lines = [_HEAD.format(port=port), "event_route[core:worker-one-init] {"]
    for name, val in VARS.items():
        lines.append(f"  $var({name}) = {val if isinstance(val, int) else _lit(val)};")
    for k, (value, specs) in enumerate(cases):
        tr = "".join("{" + t + "}" for t in specs)
        if value is None:
            pv = f"avp(undef{k})"
        else:
            pv = "var(x)"
            lines.append(f"  $var(x) = {value if isinstance(value, int) else _lit(value)};")
        fmt = f"R|{k}|$({pv}{tr}{{s.encode.hexa}})|$({pv}{tr}{{s.len}})|\n"
        lines.append(f'  xlog("L_ERR", {_lit(fmt)});')
        if _probe_ok(specs):
            lines.append(f"  $var(t) = $({pv}{tr});")
            lines.append("  $var(u) = $var(t) + 1;")
            lines.append(
                f'  xlog("L_ERR", {_lit(f"T|{k}|$(var(u){{s.encode.hexa}})|" + chr(10))});'
            )
    lines.append('  xlog("L_ERR", "DONE\\n");')
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_kamailio(cfg_text: str, workdir: Path, limit: float = 20.0) -> tuple[bool, str]:
    """Start kamailio on cfg_text; (reached DONE, stderr).  Stops it in every case."""
    cfg = workdir / "tr.cfg"
    cfg.write_text(cfg_text)
    errf = workdir / "stderr.txt"
    with errf.open("w") as err:
        proc = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-n", "1", "-M", "64", "-Y", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    deadline = time.monotonic() + limit
    text = ""
    try:
        while time.monotonic() < deadline:
            text = errf.read_text(errors="surrogateescape")
            if "DONE" in text or proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):  # a worker still exiting
            os.killpg(proc.pid, signal.SIGKILL)
    text = errf.read_text(errors="surrogateescape")
    return "DONE" in text, text


CASES = build_cases()


@pytest.fixture(scope="module")
def kamailio_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, str]]:
    work = tmp_path_factory.mktemp("tr")
    ok, text = run_kamailio(_cfg(CASES, _free_port()), work)
    if not ok:
        errors = sorted({ln.split(":", 2)[-1] for ln in text.splitlines() if "ERROR" in ln})
        pytest.fail("kamailio did not run the cases:\n" + "\n".join(errors[:20]))
    res: dict[str, dict[int, str]] = {"R": {}, "T": {}}
    for line in text.splitlines():
        for tag in ("R|", "T|"):
            at = line.find(tag)
            if at >= 0:
                parts = line[at:].split("|")
                res[tag[0]][int(parts[1])] = "|".join(parts[2:])
    return res


GARBAGE_BYTE = ("uri.saor", "uri.suri", "uri.duri")


_VAR_RE = re.compile(r"\$var\((\w+)\)$|\$\(var\((\w+)\)((?:\{[^{}]*\})*)\)$")


def var_getter(text: str, pos: Pos) -> Callable[[Any], Input]:
    """arg_getter for the test: $var(name) and $(var(name){tr}...) over a dict ctx."""
    m = _VAR_RE.match(text)
    assert m is not None, text
    name = m.group(1) or m.group(2)
    trs = re.findall(r"\{([^{}]*)\}", m.group(3) or "")
    apply = compile_transforms(trs, pos, arg_getter=var_getter) if trs else None

    def get(ctx: Any) -> Input:
        v = ctx.get(name, 0)  # an unset $var reads as 0 in kamailio
        return apply(v, ctx) if apply else v

    return get


def ours(value: Input, specs: list[str]) -> Input:
    return compile_transforms(specs, POS, arg_getter=var_getter)(value, dict(VARS))


def _case_id(case: tuple[Input, list[str]]) -> str:
    return f"{case[0]!r}{''.join('{' + s + '}' for s in case[1])}"[:80]


@pytest.mark.parametrize("k", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_same_as_kamailio(k: int, kamailio_results: dict[str, dict[int, str]]) -> None:
    value, specs = CASES[k]
    got = ours(value, specs)
    hexa, _, length = kamailio_results["R"][k].partition("|")
    length = length.rstrip("|")
    if specs[-1] in GARBAGE_BYTE and length not in ("", "0"):
        # kamailio 5.6.3 puts one stray byte after "scheme:" (uninitialised buffer)
        cut = 2 * (bytes.fromhex(hexa).find(b":") + 1)
        hexa = hexa[:cut] + hexa[cut + 2 :]
    if length == "":
        assert got is None, f"kamailio: undefined, we: {got!r}"
        return
    assert got is not None, f"kamailio: {bytes.fromhex(hexa)!r}, we: undefined"
    if not (specs[-1] == "s.int" and _non_canonical(bytes.fromhex(hexa))):
        assert to_bytes(str(got)).hex() == hexa, f"kamailio: {bytes.fromhex(hexa)!r}, we: {got!r}"
    # else: kamailio prints the text the integer came from ("007", "+7", ""); ours is a
    # plain int; the $var+1 probe below checks the number
    probe = kamailio_results["T"].get(k)
    if probe is not None and specs[-1] not in GARBAGE_BYTE:
        if isinstance(got, int):
            expect = str((int(got) + 1 + 2**31) % 2**32 - 2**31)  # script integers: 32-bit
        else:
            expect = str(got) + "1"
        assert to_bytes(expect).hex() == probe.rstrip("|"), (
            f"type differs: kamailio $var+1 gives {bytes.fromhex(probe.rstrip('|'))!r}"
        )


def _non_canonical(text: bytes) -> bool:
    """Integer text kamailio keeps as written ("007", "+7", "-0", "", "+")."""
    try:
        return str(int(text or b"0")) != text.decode()
    except ValueError:
        return text in (b"+", b"-")


def _refused(spec: str, work: Path) -> bool:
    cfg = _HEAD.format(port=_free_port()) + (
        "event_route[core:worker-one-init] {\n"
        f'  xlog("L_ERR", {_lit("$(var(x){" + spec + "})")});\n'
        '  xlog("L_ERR", "DONE\\n");\n}\n'
    )
    ok, _ = run_kamailio(cfg, work)
    return not ok


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool]:
    dirs = [tmp_path_factory.mktemp("bad") for _ in BAD_SPECS]
    with ThreadPoolExecutor(8) as ex:
        return dict(zip(BAD_SPECS, ex.map(_refused, BAD_SPECS, dirs), strict=True))


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_refused_like_kamailio(spec: str, refused: dict[str, bool]) -> None:
    try:
        compile_transforms([spec], POS, arg_getter=var_getter)
        we_refuse = False
    except ConfigError:
        we_refuse = True
    if spec.startswith("val."):
        # siprouter extension (Kamailio 5.7's val class): accepted here, refused by 5.6.3
        assert refused[spec] and not we_refuse
        return
    assert refused[spec], f"kamailio 5.6.3 accepts {{{spec}}}"
    assert we_refuse, f"kamailio refuses {{{spec}}} at startup, we accept it"
