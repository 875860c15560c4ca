"""param.* transformations and the parameter list parser."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import Pos
from siprouter.pv.tr_param import split_params
from siprouter.pv.transforms import compile_transforms

POS = Pos("p.cfg", 1, 1)


def run(value: Any, spec: str) -> Any:
    return compile_transforms([spec], POS)(value, None)


def test_split_params() -> None:
    assert split_params('a=1;b="x;y" ;c') == (("a", "1"), ("b", "x;y"), ("c", ""))
    assert split_params("a=1;") == (("a", "1"),)
    assert split_params("a=1,b=2") == (("a", "1"),)  # ',' ends the list
    assert split_params(" a=1") is None
    assert split_params('a="x') is None
    assert split_params("a=1|b", "|") == (("a", "1"), ("b", ""))


@pytest.mark.parametrize(
    ("value", "spec", "out"),
    [
        ("a=1;b=2", "param.value,B", "2"),
        ("a=1;a=2", "param.value,a", "2"),
        ("a=1;b=2", "param.value,c", ""),
        ("a=1;b=2", "param.in,b", 1),
        ("a=1;b=2", "param.in,c", 0),
        ("a=1;b=2;c=3", "param.valueat,-1", "3"),
        ("a=1;b=2;c=3", "param.name,1", "b"),
        ("a=1;b=2;c=3", "param.name,3", ""),
        ("a=1;b=2;c=3", "param.count", 3),
        ("a=1|b=2", "param.count,|", 2),
        ("a=1|b=2", "param.value,b,|", "2"),
        ("", "param.count", None),
        (" a=1", "param.count", None),
    ],
)
def test_values(value: Any, spec: str, out: Any) -> None:
    assert run(value, spec) == out
