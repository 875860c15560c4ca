"""Every PV of the pv module can be read on every message the parser accepts, however
odd (RFC 4475 torture tests, captures): a getter returns int, str or None, never raises
(Kamailio logs a parse problem and the PV is $null)."""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.engine.context import MsgContext
from siprouter.modules.pv import EXPORTS
from siprouter.pv.access import PVCompiler
from siprouter.sip.errors import SipParseError
from siprouter.sip.message import parse_message

DATA = Path(__file__).parents[2] / "data" / "sip"
FILES = sorted(p for d in ("rfc4475", "captures") for p in (DATA / d).glob("*.sip"))

INNER = {"TV": "s", "time": "sec", "af": "id", "version": "num", "cnt": "$avp(x)",
         "timef": "%Y", "sel": "via[1].host", "msg": "len", "msgbuf": "0", "expires": "min",
         "K": "UDP", "via0": "host", "via1": "host", "viaZ": "host", "branch": "uri",
         "sbranch": "uri", "nh": "u", "utime": "sec"}  # fmt: skip
HEADERS = ["Via", "From", "To", "Contact", "Route", "Record-Route", "CSeq", "X-Nope", "v"]


def _reads() -> list[str]:
    out = []
    for name, spec in EXPORTS.pvs.items():
        if spec.inner.value == "none":
            out.append(f"${name}")
        elif name in ("hdr", "hdrc", "hfl", "hflc"):
            out += [f"${name}({h})" for h in HEADERS]
            if name in ("hdr", "hfl"):
                out += [f"$({name}({h})[{i}])" for h in HEADERS for i in (1, -1, "*")]
        else:
            out.append(f"${name}({INNER.get(name, 'x')})")
    return out


READS = _reads()


def _message(path: Path) -> bytes:
    text = path.read_bytes()
    if b"\r\n" not in text:
        text = text.replace(b"\n", b"\r\n")
    return text


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_pv_reads_without_error(path: Path) -> None:
    try:
        msg = parse_message(_message(path))
    except SipParseError:
        pytest.skip("the parser refuses it")
    comp = PVCompiler()
    ctx = MsgContext(msg)
    for text in READS:
        value = comp.compile_text(text).get(ctx)
        assert value is None or isinstance(value, int | str), (text, value)
