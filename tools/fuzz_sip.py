#!/usr/bin/env python3
"""Fuzz the SIP parser for long runs: atheris (libFuzzer) when installed, hypothesis otherwise.

Every input goes through `exercise()`: ``frame_length`` (stream framing), ``parse_message``,
then every lazy accessor of the message (routing headers, lists, auth, generic access,
``parse_all``, ``check_mandatory``), ``parse_uri`` on every URI it holds, the Via received/
rport fix, a no-op ``MsgChanges.apply()`` (must give the input back) and, for requests, a
stateless reply (``build_reply``) that must itself parse. The only exceptions allowed out of
the parser are ``SipParseError`` and ``UriError``; anything else is a bug and stops the run
with the input that caused it.

Usage (see docs/fuzzing.md):

    .venv/bin/python tools/fuzz_sip.py                      # atheris if installed, 10 min
    .venv/bin/python tools/fuzz_sip.py -max_total_time=3600 corpus_dir/   # libFuzzer flags
    .venv/bin/python tools/fuzz_sip.py --hypothesis --seconds 600         # no atheris needed

The seed corpus is every file under tests/data/sip/. The test suite runs the same
`exercise()` briefly (tests/unit/sip/test_fuzz_parser.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from siprouter.sip.errors import SipParseError  # noqa: E402
from siprouter.sip.message import frame_length, parse_message  # noqa: E402
from siprouter.sip.msg_apply import MsgChanges  # noqa: E402
from siprouter.sip.reply import build_reply  # noqa: E402
from siprouter.sip.uri import UriError, parse_uri, uri_equal  # noqa: E402
from siprouter.sip.via import via_fix  # noqa: E402

CORPUS_DIR = ROOT / "tests" / "data" / "sip"
ALLOWED = (SipParseError, UriError)

# accessors of SipMessage that parse something on first use
SINGLE = ("via1", "via2", "from_", "to", "callid", "cseq", "max_forwards", "expires",
          "min_expires", "content_type", "event", "refer_to", "referred_by", "session_expires",
          "user_agent", "server", "method")  # fmt: skip
LISTS = ("vias", "contacts", "routes", "record_routes", "path", "service_routes", "pai", "ppi",
         "diversion", "supported", "require", "proxy_require", "unsupported", "allow",
         "allow_events", "authorization", "proxy_authorization", "www_authenticate",
         "proxy_authenticate")  # fmt: skip
NAMEADDR_ATTRS = ("display", "tag", "expires", "q", "instance", "reg_id", "uri_text", "params")
VIA_ATTRS = ("host_bare", "sent_by", "branch", "received", "has_rport", "rport", "maddr", "ttl",
             "has_alias", "i", "text", "params")  # fmt: skip
AUTH_ATTRS = ("scheme", "params", "token", "is_digest", "realm", "nonce", "opaque", "algorithm")
URI_ATTRS = ("scheme", "user", "password", "host", "port", "params", "headers", "transport",
             "ttl", "user_param", "method", "maddr", "lr", "r2", "gr", "default_port",
             "user_unescaped", "hostport")  # fmt: skip


def _get(obj: Any, name: str) -> Any:
    """getattr that lets the allowed parse errors through as None."""
    try:
        return getattr(obj, name)
    except ALLOWED:
        return None


def _touch_uri(text: str) -> None:
    try:
        u = parse_uri(text)
    except ALLOWED:
        return
    for a in URI_ATTRS:
        _get(u, a)
    str(u)
    again = parse_uri(str(u))  # what we print must parse again, to an equal URI
    if u.scheme in ("sip", "sips") and not uri_equal(u, again):
        raise AssertionError(f"URI changed on re-parse: {text!r} -> {str(u)!r}")


def _touch(obj: Any) -> None:
    """Touch the attributes of one parsed header form (and its URI)."""
    if obj is None or isinstance(obj, str | int | bytes):
        return
    if hasattr(obj, "uri_text"):
        for a in NAMEADDR_ATTRS:
            _get(obj, a)
        if not getattr(obj, "star", False):
            u = _get(obj, "uri")
            if u is not None:
                _touch_uri(obj.uri_text)
    elif hasattr(obj, "params_start"):
        for a in VIA_ATTRS:
            _get(obj, a)
        with contextlib.suppress(ALLOWED):
            via_fix(obj, "192.0.2.1", 5060, force_rport=True)
    elif hasattr(obj, "scheme") and hasattr(obj, "params"):
        for a in AUTH_ATTRS:
            _get(obj, a)
    else:
        repr(obj)


def exercise(data: bytes) -> None:
    """Run one input through everything; raise only on a bug (not SipParseError/UriError)."""
    for accept in (False, True):
        try:
            n = frame_length(data, accept_no_cl=accept)
        except ALLOWED:
            n = None
        if n is not None and not 0 < n <= len(data):
            raise AssertionError(f"frame_length {n} outside 1..{len(data)}")
    for transport in ("udp", "tcp"):
        try:
            m = parse_message(data, transport=transport, parser_mode=1)
        except ALLOWED:
            continue
        _exercise_message(m, data)
    if CHECK_FRAMING:
        check_framing(data)


def check_framing(data: bytes) -> None:
    """TCP framing and the parser must agree: when ``parse_message(data, transport="tcp")``
    accepts a message that does not start with a keep-alive, ``frame_length(data)`` must
    give exactly its length (else a stream would stall or split messages differently).
    Off by default in `exercise()`; ``--check-framing`` turns it on for long runs."""
    if not data or data[:1] in b"\r\n":
        return
    try:
        m = parse_message(data, transport="tcp")
    except ALLOWED:
        return
    try:
        n = frame_length(data)
    except ALLOWED as exc:
        raise AssertionError(f"frame_length refuses what the parser accepts: {exc}") from None
    if n != len(m.data):
        raise AssertionError(f"frame_length {n} but the parser took {len(m.data)} bytes")


CHECK_FRAMING = False


def _exercise_message(m: Any, data: bytes) -> None:
    repr(m)
    m.first_line  # noqa: B018
    m.body  # noqa: B018
    if m.data != data[: len(m.data)]:
        raise AssertionError("msg.data is not a prefix of the input")
    if MsgChanges(m).apply() != m.data:
        raise AssertionError("applying no changes altered the message")
    if m.is_request and m.ruri is not None:
        _touch_uri(m.ruri)
    for name in SINGLE:
        _touch(_get(m, name))
    for name in LISTS:
        for item in _get(m, name) or []:
            _touch(item)
    for f in m.header_fields:
        f.value  # noqa: B018
        f.canonical_name  # noqa: B018
        with contextlib.suppress(ALLOWED):
            m.values(f.name)
        try:
            form = m.parsed(f.index)
        except ALLOWED:
            continue
        for item in form if isinstance(form, list) else [form]:
            _touch(item)
    with contextlib.suppress(ALLOWED):
        m.parse_all()
    err = m.check_mandatory()
    if err is not None and not isinstance(err, SipParseError):
        raise AssertionError(f"check_mandatory returned {err!r}")
    if m.is_request and err is None and m.method != "ACK":
        reply = build_reply(m, 200, "OK", src=("192.0.2.1", 5060))
        try:
            r = parse_message(reply)
        except SipParseError as exc:
            raise AssertionError(f"our own 200 reply does not parse: {exc}\n{reply!r}") from None
        if r.status != 200 or r.callid != m.callid:
            raise AssertionError("our 200 reply lost the status or the Call-ID")


# ---- inputs -------------------------------------------------------------------------------


def corpus() -> list[bytes]:
    """The seed corpus: every message file under tests/data/sip/."""
    return [p.read_bytes() for p in sorted(CORPUS_DIR.rglob("*")) if p.suffix in (".sip", ".bin")]


INTERESTING = [b"\x00", b"\r", b"\n", b"\r\n", b"\r\n ", b" ", b"\t", b":", b";", b",", b"<",
               b">", b'"', b"\\", b"%", b"%0", b"[", b"]", b"=", b"@", b"/", b"?", b"*",
               b"99999999999999999999", b"-1", b"4294967296", b"SIP/2.0", b"sip:", b"\xff",
               b"\xc3", b"z9hG4bK", b";rport", b";received=", b"\r\n\r\n", b"Content-Length: ",
               b"Via: SIP/2.0/UDP ", b'"a\\"', b"[::1]", b"[", b"\x7f"]  # fmt: skip


def mutate(data: bytes, rnd: random.Random, others: list[bytes], count: int = 3) -> bytes:
    """Apply ``count`` random byte-level or line-level mutations."""
    buf = bytearray(data)
    for _ in range(count):
        op = rnd.randrange(9)
        n = len(buf)
        pos = rnd.randrange(n + 1)
        if op == 0 and n:  # flip a bit
            i = rnd.randrange(n)
            buf[i] ^= 1 << rnd.randrange(8)
        elif op == 1:  # insert an interesting token
            buf[pos:pos] = rnd.choice(INTERESTING)
        elif op == 2 and n:  # delete a range
            buf[pos : pos + rnd.randint(1, 16)] = b""
        elif op == 3 and n:  # duplicate a range
            a = rnd.randrange(n)
            buf[pos:pos] = buf[a : a + rnd.randint(1, 64)]
        elif op == 4 and n:  # overwrite a byte
            buf[rnd.randrange(n)] = rnd.randrange(256)
        elif op == 5 and others:  # splice a line from another message
            lines = rnd.choice(others).split(b"\r\n")
            buf[pos:pos] = rnd.choice(lines) + b"\r\n"
        elif op == 6 and rnd.random() < 0.2:  # truncate (rarely: it mostly ends parsing)
            del buf[pos:]
        elif op == 7:  # swap two lines
            lines = bytes(buf).split(b"\r\n")
            if len(lines) > 2:
                i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
                buf = bytearray(b"\r\n".join(lines))
        else:  # replace a header value with junk
            lines = bytes(buf).split(b"\r\n")
            i = rnd.randrange(len(lines))
            if b":" in lines[i]:
                name = lines[i].split(b":", 1)[0]
                junk = b"".join(rnd.choice(INTERESTING) for _ in range(rnd.randint(1, 6)))
                lines[i] = name + b": " + junk
                buf = bytearray(b"\r\n".join(lines))
    out = bytes(buf)
    return fix_content_length(out) if rnd.random() < 0.6 else out


def fix_content_length(data: bytes) -> bytes:
    """Make the first Content-Length value match the body again (to get past framing)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return data
    lines = head.split(b"\r\n")
    for i, line in enumerate(lines):
        name = line.split(b":", 1)[0].strip().lower()
        if b":" in line and name in (b"content-length", b"l"):
            lines[i] = line.split(b":", 1)[0] + b": " + str(len(body)).encode()
            break
    return b"\r\n".join(lines) + sep + body


# ---- drivers -------------------------------------------------------------------------------


def _report(data: bytes, exc: BaseException) -> None:
    out = Path(os.environ.get("FUZZ_CRASH_DIR", ".")) / f"crash-sip-{int(time.time())}.bin"
    out.write_bytes(data)
    print(f"\nBUG: {type(exc).__name__}: {exc}\ninput saved to {out}\n{data!r}", file=sys.stderr)


def run_random(seconds: float, seed: int | None) -> int:
    """Mutation fuzzing without atheris: random mutations of the corpus for ``seconds``."""
    rnd = random.Random(seed)
    seeds = corpus()
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        base = rnd.choice(seeds) if rnd.random() < 0.9 else rnd.randbytes(rnd.randint(0, 400))
        data = mutate(base, rnd, seeds, rnd.randint(1, 6))
        try:
            exercise(data)
        except Exception as exc:
            _report(data, exc)
            return 1
        runs += 1
    print(f"random/mutation: {runs} inputs in {seconds:.0f} s, no bug found (seed {seed})")
    return 0


def run_hypothesis(seconds: float) -> int:
    """A long hypothesis run of the same strategies as the unit test, for ``seconds``."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    seeds = corpus()
    inputs = st.one_of(
        st.binary(max_size=3000),
        st.tuples(st.sampled_from(seeds), st.randoms(use_true_random=False), st.integers(1, 8))
        .map(lambda t: mutate(t[0], t[1], seeds, t[2])),
    )  # fmt: skip
    deadline = time.monotonic() + seconds
    count = [0]

    @settings(max_examples=10**9, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(inputs)
    def run(data: bytes) -> None:
        if time.monotonic() > deadline:
            raise _Stop
        count[0] += 1
        exercise(data)

    try:
        run()
    except _Stop:
        pass
    except Exception as exc:
        print(f"BUG found by hypothesis: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"hypothesis: {count[0]} inputs in {seconds:.0f} s, no bug found")
    return 0


class _Stop(Exception):
    """Raised inside the hypothesis test to end a time-bounded run."""


def run_atheris(argv: list[str]) -> int:
    import atheris  # type: ignore[import-not-found]

    seeds = corpus()

    def one(data: bytes) -> None:
        exercise(data)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rnd = random.Random(seed)
        if not data or rnd.random() < 0.2:
            data = rnd.choice(seeds)
        if rnd.random() < 0.5:  # libFuzzer's own byte-level mutations
            return bytes(atheris.Mutate(data, max_size))
        return mutate(data, rnd, seeds, rnd.randint(1, 4))[:max_size]

    args = list(argv)
    if not any(a.startswith("-max_total_time") or a.startswith("-runs") for a in args):
        args.append("-max_total_time=600")
    atheris.instrument_all()  # coverage feedback from the (already imported) parser code
    atheris.Setup([sys.argv[0], *args], one, custom_mutator=custom_mutator)
    atheris.Fuzz()
    return 0


def have_atheris() -> bool:
    try:
        import atheris  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hypothesis", action="store_true", help="use hypothesis, not atheris")
    ap.add_argument("--random", action="store_true", help="plain random mutation loop")
    ap.add_argument("--seconds", type=float, default=600.0, help="run time without atheris")
    ap.add_argument("--seed", type=int, default=None, help="seed of the random loop")
    ap.add_argument("--check-framing", action="store_true",
                    help="also require frame_length() to agree with parse_message(tcp)")  # fmt: skip
    ns, rest = ap.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    global CHECK_FRAMING
    CHECK_FRAMING = ns.check_framing
    if ns.random:
        return run_random(ns.seconds, ns.seed)
    if ns.hypothesis or not have_atheris():
        if not ns.hypothesis:
            print("atheris is not installed (pip install -e '.[fuzz]'): using hypothesis")
        return run_hypothesis(ns.seconds)
    return run_atheris(rest)


if __name__ == "__main__":
    sys.exit(main())
