"""Runtime fixups of module-function calls with expression arguments (engine/call_args.py)
and the compiler's folding of constant expressions, in process. The same behaviour is
compared with Kamailio 5.6.3 in tests/compat/cases/mixed_args.toml."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from siprouter.engine import call_args
from siprouter.engine.call_args import FIXUP_FAILED, DynamicCall, str2sint

from .conftest import run_text  # type: ignore[import-not-found]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3), ("+5", 5), ("-7", -7), ("0003", 3), ("", 0), ("+", 0), ("-", 0),
        ("2147483647", 2147483647), ("-2147483648", -2147483648),
        ("2147483648", None), ("4294967299", None), (" 7", None), ("7 ", None),
        ("0x5", None), ("5a", None), ("$var(f)", None), ("٣", None),
    ],
)  # fmt: skip
def test_str2sint(text: str, value: int | None) -> None:
    assert str2sint(text) == value


def _recorder() -> tuple[list[Any], Any, Any]:
    calls: list[Any] = []
    fixups: list[list[Any]] = []

    def func(ctx: Any, *args: Any) -> int:
        calls.append(args)
        return 1

    def fixup(args: Sequence[Any]) -> list[Any]:
        fixups.append(list(args))
        out = []
        for a in args:
            if isinstance(a, int):
                out.append(a)
            elif str(a).startswith("!"):
                raise ValueError(f"bad {a}")
            else:
                out.append(f"<{a}>")
        return out

    return calls, func, (fixup, fixups)


def test_fixup_once_per_distinct_value() -> None:
    calls, func, (fixup, fixups) = _recorder()
    site = DynamicCall("f", func, fixup, ["const", None], [1], "t.cfg:1")
    assert site(None, "a") == 1
    assert site(None, "a") == 1
    assert site(None, 5) == 1
    assert calls == [("<const>", "<a>"), ("<const>", "<a>"), ("<const>", "<5>")]
    # the probe at compile time, then one fixup per distinct value
    assert fixups == [["const", "0"], ["const", "a"], ["const", "5"]]


def test_int_position_uses_str2sint() -> None:
    calls, func, _fix = _recorder()
    site = DynamicCall("f", func, lambda a: [int(x) for x in a], [None], [0], "t.cfg:1")
    assert site.ints == frozenset({0})
    assert site(None, "+4") == 1
    assert site(None, None) == 1  # no value: the empty text, 0
    assert site(None, " 4") is FIXUP_FAILED
    assert calls == [(4,), (0,)]


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def enabled(self, level: int) -> bool:
        return True

    def write(self, level: int, module: str, text: str) -> None:
        self.lines.append(text)


def test_failure_is_not_called_and_logged_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    log = _Log()
    monkeypatch.setattr(call_args, "LOG", log)
    calls, func, (fixup, _fixups) = _recorder()
    site = DynamicCall("f", func, fixup, [None], [0], "t.cfg:7")
    assert site(None, "!x") is FIXUP_FAILED
    assert site(None, "!x") is FIXUP_FAILED
    assert calls == []
    assert log.lines.count("do_action(): runtime fixup failed for f param 1") == 2
    assert log.lines.count("do_action(): run action error at: t.cfg:7") == 2


def test_unhashable_value_is_fixed_up_without_cache() -> None:
    calls, func, (fixup, _fixups) = _recorder()
    site = DynamicCall("f", func, fixup, [None], [0], "t.cfg:1")
    assert site(None, ["x"]) == 1
    assert calls == [("<['x']>",)]


def _flags(body: str) -> tuple[int, Any]:
    return run_text('loadmodule "kex"\nrequest_route {\n' + body + "\n}\n")


def test_mixed_call_fixes_the_constant_pv_name() -> None:
    rc, _ctx = _flags('$tv(f) = 6; $tv(b) = 0; setbflag("$tv(f)", $tv(b)); isbflagset(6);')
    assert rc == 1


def test_failed_runtime_fixup_statement_keeps_rc_and_goes_on() -> None:
    rc, ctx = _flags('isbflagset(9); $tv(s) = "abc"; setbflag($tv(s)); $tv(r) = $rc; mark("on");')
    assert ctx.script.vars["r"] == -1
    assert ("mark", "on") in ctx.log
    assert rc == 1


def test_failed_runtime_fixup_in_expression_is_minus_five_rc_zero() -> None:
    _rc, ctx = _flags('isbflagset(9); $tv(s) = "x"; $tv(w) = setbflag($tv(s)); $tv(q) = $rc;')
    assert (ctx.script.vars["w"], ctx.script.vars["q"]) == (-5, 0)


def test_failed_runtime_fixup_ends_a_route_with_minus_five() -> None:
    rc, _ctx = run_text(
        'loadmodule "kex"\nroute[F] { $tv(s) = "x"; setbflag($tv(s)); }\n'
        "request_route { route(F); return $rc; }\n"
    )
    assert rc == -5


def test_folded_constant_expression_is_fixed_up_at_compile_time() -> None:
    rc, _ctx = run_text('request_route { ret("1" + "2"); }')
    assert rc == 12
    rc, _ctx = run_text("request_route { ret(40 + 2); }")
    assert rc == 42
