"""snexpr: every operator, the type rules and the define lookup of #!ifexp / #!defexp."""

from __future__ import annotations

import pytest

from siprouter.cfg.snexpr import SnexprError, define_value, evaluate, format_result, is_true

DEFS: dict[str, str | None] = {
    "NUM": "10",
    "QS": '"abc"',
    "SQ": "'x y'",
    "FLAG": None,
    "IPADDR": "127.0.0.1",
    "KAMAILIO_VERSION": "5006003",
}


def ev(expr: str) -> float | str:
    return evaluate(expr, DEFS)


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        # arithmetic
        ("1 + 2", 3.0),
        ("7 - 10", -3.0),
        ("6 * 7", 42.0),
        ("7 / 2", 3.5),
        ("7 % 3", 1.0),
        ("-7 % 3", -1.0),
        ("2 ** 10", 1024.0),
        ("2 ** 3 ** 2", 512.0),
        ("2 ** 0.5", 2**0.5),
        # bitwise
        ("1 << 4", 16.0),
        ("256 >> 2", 64.0),
        ("6 & 3", 2.0),
        ("6 | 3", 7.0),
        ("6 ^ 3", 5.0),
        ("^5", -6.0),
        ("0x10 + 1", 17.0),
        # logical and comparison
        ("1 == 1", 1.0),
        ("1 != 1", 0.0),
        ("1 < 2", 1.0),
        ("2 > 1", 1.0),
        ("2 <= 2", 1.0),
        ("3 >= 4", 0.0),
        ("1 && 0", 0.0),
        ("1 || 0", 1.0),
        ("!0", 1.0),
        ("!5", 0.0),
        ('"ab" && 1', 1.0),
        ('"" || 0', 0.0),
        ('!""', 1.0),
        # strings: concatenation and strcmp
        ('"x" + "y"', "xy"),
        ('"abc" == "abc"', 1.0),
        ('"abc" < "abd"', 1.0),
        ('"b" > "abc"', 1.0),
        ('"abc" != "abd"', 1.0),
        ("'single' + \"double\"", "singledouble"),
        # the left operand decides the type
        ('1 + "20"', 21.0),
        ('"1" + 20', "120"),
        ('4 > "20"', 0.0),
        ('"4" > 20', 1.0),
        ('10 == "10abc"', 1.0),
        ('5 + "x"', 5.0),
        # precedence, grouping, unary minus
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("-5 + 2", -3.0),
        ("1 + 2 == 3", 1.0),
        ("1 < 2 == 1", 1.0),
        ("1 | 2 ^ 3 & 4", 3.0),
        ("1 || 0 && 0", 1.0),
        ("1 << 1 + 1", 4.0),
        # assignment and comma
        ("x = 5, x * 2", 10.0),
        ("a = 2, b = a + 1, a * b", 6.0),
    ],
)
def test_operators(expr: str, value: float | str) -> None:
    assert ev(expr) == value


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("NUM", "10"),  # values are strings
        ("QS", "abc"),  # enclosing quotes removed
        ("SQ", "x y"),
        ("FLAG", 1.0),  # defined without value -> 1
        ("NOT_DEFINED", 0.0),  # not defined -> 0
        ('"sip:" + IPADDR + ":5060"', "sip:127.0.0.1:5060"),
        ("KAMAILIO_VERSION >= 5006000", 1.0),
        ("NUM > 9", 0.0),  # "10" > "9" is a string comparison
        ("NUM == 10", 1.0),
        ("NUM + 1", "101"),
        ("FLAG && !NOT_DEFINED", 1.0),
        ("NOT_DEFINED + 1", 1.0),
    ],
)
def test_define_lookup(expr: str, value: float | str) -> None:
    assert ev(expr) == value


def test_define_value_rules() -> None:
    assert define_value("QS", DEFS) == "abc"
    assert define_value("FLAG", DEFS) == 1.0
    assert define_value("NOPE", DEFS) == 0.0
    assert define_value("X", {"X": '"unbalanced'}) == '"unbalanced'


@pytest.mark.parametrize(
    ("value", "truth"),
    [(0.0, False), (-1.0, True), (0.5, True), ("", False), ("0", True), ("x", True)],
)
def test_truthiness(value: float | str, truth: bool) -> None:
    assert is_true(value) is truth


@pytest.mark.parametrize(("value", "text"), [(16.0, "16"), (3.5, "3"), (-3.5, "-3"), ("s", "s")])
def test_defexp_result_format(value: float | str, text: str) -> None:
    assert format_result(value) == text


@pytest.mark.parametrize(
    ("expr", "fragment", "offset"),
    [
        ("", "empty expression", 0),
        ("1 +", "ends too early", 3),
        ("(1 + 2", "missing ')'", 6),
        ("1 2", "unexpected '2'", 2),
        ("1 $ 2", "unexpected character '$'", 2),
        ('"abc" * 2', "not defined for strings", 6),
        ("1 / 0", "division by zero", 2),
        ("1 % 0", "division by zero", 2),
        ("3 = 4", "left side of '='", 2),
        ("1 << 99", "shift count", 2),
        (")", "unexpected ')'", 0),
    ],
)
def test_errors(expr: str, fragment: str, offset: int) -> None:
    with pytest.raises(SnexprError) as info:
        ev(expr)
    assert fragment in str(info.value)
    assert info.value.offset == offset


def test_format_rejects_non_finite() -> None:
    with pytest.raises(SnexprError):
        format_result(float("inf"))
