"""val.* (a siprouter extension: Kamailio 5.7's val class; 5.6.3 refuses it)."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.tr_val import json_escape
from siprouter.pv.transforms import compile_transforms

POS = Pos("v.cfg", 1, 1)


def run(value: Any, spec: str) -> Any:
    return compile_transforms([spec], POS)(value, None)


@pytest.mark.parametrize(
    ("value", "spec", "out"),
    [
        (None, "val.n0", 0),
        ("x", "val.n0", "x"),
        (None, "val.ne", ""),
        (5, "val.ne", 5),
        (None, "val.json", ""),
        ('a"b\n', "val.json", 'a\\"b\\n'),
        (None, "val.jsonqe", '""'),
        ("plain", "val.jsonqe", "plain"),
        ('q"', "val.jsonqe", '"q\\""'),
        (3, "val.jsonqe", 3),
    ],
)
def test_values(value: Any, spec: str, out: Any) -> None:
    assert run(value, spec) == out


def test_json_escape_control_characters() -> None:
    assert json_escape("\x01\t\\") == "\\u0001\\t\\\\"
