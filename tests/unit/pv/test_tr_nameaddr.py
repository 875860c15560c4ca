"""nameaddr.* and tobody.* transformations."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.tr_nameaddr import split_nameaddr
from siprouter.pv.transforms import compile_transforms

POS = Pos("n.cfg", 1, 1)


def run(value: Any, spec: str) -> Any:
    return compile_transforms([spec], POS)(value, None)


def test_split_nameaddr() -> None:
    assert split_nameaddr('"A <x>" <sip:a@b>;p') == ('"A <x>" ', "sip:a@b", 17)
    assert split_nameaddr("sip:a@b;tag=1") == ("", "sip:a@b;tag=1", 13)
    assert split_nameaddr("<sip:a@b") is None


def test_nameaddr() -> None:
    assert run("Bob <sip:b@h>;x", "nameaddr.name") == "Bob "
    assert run("Bob <sip:b@h>;x", "nameaddr.uri") == "sip:b@h"
    assert run("Bob <sip:b@h>;x", "nameaddr.len") == 13
    assert run("<sip:broken@h", "nameaddr.uri") is None
    assert run("", "nameaddr.uri") is None


@pytest.mark.parametrize(
    ("spec", "out"),
    [
        ("tobody.display", '"Al Ice"'),
        ("tobody.uri", "sip:al@example.com;transport=tcp"),
        ("tobody.tag", "t1"),
        ("tobody.user", "al"),
        ("tobody.host", "example.com"),
        ("tobody.params", "tag=t1;x=y"),
    ],
)
def test_tobody(spec: str, out: str) -> None:
    assert run('"Al Ice" <sip:al@example.com;transport=tcp>;tag=t1;x=y', spec) == out


def test_tobody_without_params_or_display() -> None:
    assert run("sip:a@b", "tobody.params") == ""
    assert run("sip:a@b", "tobody.display") == ""
    assert run("<nouri>", "tobody.uri") is None
