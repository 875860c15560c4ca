"""urialias.encode / urialias.decode."""

from __future__ import annotations

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.tr_urialias import alias_decode, alias_encode
from siprouter.pv.transforms import compile_transforms

POS = Pos("a.cfg", 1, 1)


@pytest.mark.parametrize(
    ("uri", "alias"),
    [
        ("sip:a@h:5070;transport=tcp", "h~5070~2"),
        ("sip:h", "h~5060~1"),
        ("sip:h;transport=tls", "h~5061~3"),
        ("sip:[::1];transport=ws", "[::1]~5060~5"),
    ],
)
def test_encode(uri: str, alias: str) -> None:
    assert alias_encode(uri) == alias


def test_decode_and_round_trip() -> None:
    assert alias_decode("h~5060~1") == "sip:h:5060"
    assert alias_decode("h~5070~2") == "sip:h:5070;transport=tcp"
    assert alias_decode(alias_encode("sip:x:9;transport=sctp") or "") == "sip:x:9;transport=sctp"
    assert alias_decode("h~5060") is None


def test_failure_gives_empty_string() -> None:
    apply = compile_transforms(["urialias.decode"], POS)
    assert apply("garbage", None) == ""
    assert apply(None, None) is None
