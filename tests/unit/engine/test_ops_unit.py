"""ops.py against C int32 semantics (ctypes) and the conversion rules."""

from __future__ import annotations

import ctypes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siprouter.engine import ops

i32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)


def c32(x: int) -> int:
    return ctypes.c_int32(x).value


@given(i32, i32)
def test_arithmetic_wraps_like_c(a: int, b: int) -> None:
    assert ops.add(a, b) == c32(a + b)
    assert ops.sub(a, b) == c32(a - b)
    assert ops.mul(a, b) == c32(a * b)
    assert ops.bor(a, b) == c32(a | b)
    assert ops.band(a, b) == c32(a & b)
    assert ops.bxor(a, b) == c32(a ^ b)
    assert ops.shl(a, b) == c32(a << (b & 31))
    assert ops.shr(a, b) == a >> (b & 31)
    if b != 0:
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        assert ops.div(a, b) == c32(q)
        assert ops.mod(a, b) == c32(a - q * b)


@pytest.mark.parametrize(
    ("text", "value"),
    [("", 0), ("0", 0), ("+5", 5), ("-12", -12), ("2147483647", 2147483647),
     ("-2147483648", -2147483648), ("2147483648", 0), (" 12", 0), ("12abc", 0),
     ("abc", 0), ("0x10", 0)],
)  # fmt: skip
def test_str_to_int(text: str, value: int) -> None:
    assert ops.to_int(text) == value


def test_undef_rules() -> None:
    assert ops.add(None, 1) == "1"
    assert ops.add(None, None) == ""
    assert ops.add(7, None) == 7
    assert ops.add("x", None) == "x"
    assert ops.eq(None, None) and ops.eq(None, 0) and ops.eq(None, "")
    assert not ops.eq(None, 1) and not ops.eq(None, "a")
    assert ops.to_str(None) == "" and ops.to_int(None) == 0


def test_truth() -> None:
    assert not ops.cond(-3) and ops.cond(1) and not ops.cond("abc") and ops.cond("5")
    assert ops.nonzero(-3) and not ops.nonzero(0) and not ops.nonzero("")


def test_division_by_zero_raises_eval_error() -> None:
    with pytest.raises(ops.EvalError):
        ops.div(1, 0)
    with pytest.raises(ops.EvalError):
        ops.mod(1, "0")
