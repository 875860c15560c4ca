"""line.* transformations (count, at with negative indexes, sw)."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.tr_line import line_at, line_count, line_sw
from siprouter.pv.transforms import compile_transforms

POS = Pos("l.cfg", 1, 1)


def test_count() -> None:
    assert line_count("a\nb") == 2
    assert line_count("a\nb\n") == 2
    assert compile_transforms(["line.count"], POS)("x\ny", None) == "2"


@pytest.mark.parametrize(
    ("text", "n", "out"),
    [
        ("a\r\nb\r\nc", 1, "b"),
        ("a\nb\nc", 5, ""),
        ("a\nb\nc", -1, "c"),
        ("a\nb\nc", -3, "a"),
        ("a\nb\nc", -4, ""),
        ("\nab", -2, ""),
        ("a\n\n", -1, "a\n"),  # kamailio's backward scan keeps the newline here
    ],
)
def test_at(text: str, n: int, out: str) -> None:
    assert line_at(text, n) == out


def test_sw() -> None:
    assert line_sw("To: a\r\nFrom: b\r\n", "From") == "From: b"
    assert line_sw("abc", "abcd") == ""
    assert line_sw("x\nabc", "b") == ""


def test_undefined_or_empty_fails() -> None:
    apply: Any = compile_transforms(["line.at,0"], POS)
    assert apply(None, None) is None
    assert apply("", None) is None
