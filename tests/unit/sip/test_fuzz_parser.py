"""Bounded fuzzing of the SIP parser in the test suite (hypothesis, a few seconds).

The harness is ``tools/fuzz_sip.py``'s ``exercise()``: framing, ``parse_message``, every lazy
accessor, ``parse_uri`` on every URI, the Via fix, a no-op lump apply and a stateless reply.
Only ``SipParseError`` and ``UriError`` may come out; anything else fails the test with the
input. Inputs: random bytes, mutations of the corpus under ``tests/data/sip``, valid messages
with one header replaced by junk (to reach each header parser), and random URI text.
Examples are derandomized so CI is repeatable; docs/fuzzing.md says how to run for hours.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message
from siprouter.sip.uri import UriError, parse_uri

ROOT = Path(__file__).resolve().parents[3]


def _load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_sip", ROOT / "tools" / "fuzz_sip.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_sip"] = mod
    spec.loader.exec_module(mod)
    return mod


fz = _load_harness()
SEEDS: list[bytes] = fz.corpus()
FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADER_NAMES = [b"Via", b"v", b"From", b"f", b"To", b"t", b"Call-ID", b"i", b"CSeq",
                b"Contact", b"m", b"Max-Forwards", b"Route", b"Record-Route", b"Expires",
                b"Content-Type", b"c", b"Authorization", b"Proxy-Authorization",
                b"WWW-Authenticate", b"Proxy-Authenticate", b"Event", b"o", b"Supported",
                b"Require", b"Allow", b"Session-Expires", b"Min-SE", b"P-Asserted-Identity",
                b"Refer-To", b"Referred-By", b"Path", b"Diversion", b"Min-Expires",
                b"Service-Route", b"User-Agent", b"Subject"]  # fmt: skip
SIP_BYTES = b'abcXYZ019 \t;:,=<>"\\@%/?*.[]-_+!~\x00\x7f\xc3\xa9\xff'
junk_value = st.binary(max_size=120).filter(lambda b: b"\n" not in b and b"\r" not in b) | (
    st.lists(st.sampled_from([bytes([c]) for c in SIP_BYTES] + fz.INTERESTING), max_size=40)
    .map(b"".join)
    .map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
)  # fmt: skip


def test_seed_corpus_is_there_and_clean() -> None:
    """Every corpus file goes through the harness without a bug (the baseline)."""
    assert len(SEEDS) >= 58
    for data in SEEDS:
        fz.exercise(data)


@settings(FUZZ, max_examples=400)
@given(st.binary(max_size=1500))
def test_random_bytes(data: bytes) -> None:
    fz.exercise(data)


@settings(FUZZ, max_examples=500)
@given(st.sampled_from(SEEDS), st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_corpus_mutations(seed_msg: bytes, rnd_seed: int, count: int) -> None:
    fz.exercise(fz.mutate(seed_msg, random.Random(rnd_seed), SEEDS, count))


@settings(FUZZ, max_examples=600)
@given(
    st.sampled_from(
        [s for s in SEEDS if s.startswith((b"INVITE", b"REGISTER", b"SIP/2.0 200 OK"))]
    ),
    st.sampled_from(HEADER_NAMES),
    junk_value,
    st.booleans(),
)
def test_one_header_of_junk(base: bytes, name: bytes, value: bytes, replace: bool) -> None:
    """A valid message with one header replaced (or added) with junk: each header parser
    sees arbitrary values while the rest of the message stays routable."""
    head, sep, body = base.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    line = name + b": " + value
    hit = [i for i, x in enumerate(lines) if x.split(b":", 1)[0].strip().lower() == name.lower()]
    if replace and hit:
        lines[hit[0]] = line
    else:
        lines.insert(1, line)
    data = b"\r\n".join(lines) + sep + body
    fz.exercise(fz.fix_content_length(data))


@settings(FUZZ, max_examples=500)
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(
                [
                    "sip:",
                    "sips:",
                    "tel:",
                    "user",
                    "@",
                    "host.example.com",
                    "[",
                    "]",
                    "::1",
                    ":",
                    "5060",
                    ";",
                    "lr",
                    "=",
                    "?",
                    "&",
                    "%",
                    "%4",
                    "%41",
                    "h=v",
                    " ",
                    "\x00",
                    "é",
                    "99999999",
                    "transport=tcp",
                ]
            ),
            max_size=14,
        ).map("".join),
    )
)
def test_parse_uri_raises_only_uri_error(text: str) -> None:
    try:
        u = parse_uri(text)
    except UriError:
        return
    str(u)
    u.params  # noqa: B018
    u.headers  # noqa: B018


def test_harness_reports_a_non_sip_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness must not swallow bugs: a parser raising something else is reported."""

    def broken(data: bytes, **kw: object) -> object:
        raise KeyError("bug")

    monkeypatch.setattr(fz, "parse_message", broken)
    with pytest.raises(KeyError):
        fz.exercise(SEEDS[0])


def test_harness_accepts_sip_parse_errors() -> None:
    with pytest.raises(SipParseError):
        parse_message(b"NOT SIP\r\n\r\n")
    fz.exercise(b"NOT SIP\r\n\r\n")
    fz.exercise(b"")
    fz.exercise(b"\r\n\r\n")


# ---- TCP framing against the parser ---------------------------------------------------------

_HEAD = (
    b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
    b"To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
)
# the headers end at the first LF followed by CRLF or LF, in frame_length as in parse_message
# (and in Kamailio's TCP reader): the lf-then-crlf and lf-crlf-crlf cases check that


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_HEAD + b"Content-Length: 0\r\n\r\n", id="crlf"),
        pytest.param(_HEAD.replace(b"\r\n", b"\n") + b"Content-Length: 0\n\n", id="lf"),
        pytest.param(_HEAD + b"Content-Length: 0\r\n\n", id="crlf-then-lf"),
        pytest.param(_HEAD + b"Content-Length: 4\r\n\r\nbody", id="body"),
        pytest.param(
            _HEAD[:-2] + b"\nContent-Length: 0\n\r\n",
            id="lf-then-crlf",
        ),
        pytest.param(
            _HEAD + b"Content-Length: 0\n\r\n\r\n",
            id="lf-crlf-crlf",
        ),
        pytest.param(_HEAD + b"Content-Length: 2\n\n\r\n", id="lf-lf-then-crlf-body"),
    ],
)
def test_tcp_framing_agrees_with_the_parser(data: bytes) -> None:
    """What parse_message(transport="tcp") accepts, frame_length frames to the same length."""
    fz.check_framing(data)


def test_folded_content_length_closes_a_tcp_stream() -> None:
    """Kamailio 5.6.3's TCP reader refuses a Content-Length folded onto the next line and
    closes the connection; frame_length refuses it too (parse_message alone would unfold)."""
    with pytest.raises(SipParseError):
        fz.frame_length(_HEAD + b"Content-Length:\r\n 0\r\n\r\n")
