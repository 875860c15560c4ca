"""$var, $avp, $xavp, $shv: assignment and read rules as measured on Kamailio 5.6.3
(the same sequences run through Kamailio in test_pv_kamailio.py)."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.modules.loader import LoadedModules
from siprouter.pv.access import PVCompiler
from siprouter.pv.pvclass import PVError


def run(pvt: Any, steps: list[tuple[str, Any]], reads: list[str]) -> list[Any]:
    ctx = pvt.make_ctx()
    for lhs, value in steps:
        pvt.put(ctx, lhs, value)
    return [pvt.get(ctx, r) for r in reads]


def test_var_unset_reads_zero_and_null_sets_zero(pvt: Any) -> None:
    assert run(pvt, [("$var(x)", 5), ("$var(y)", "s"), ("$var(y)", None)],
               ["$var(x)", "$var(y)", "$var(unset)"]) == [5, 0, 0]  # fmt: skip


def test_var_inner_name_is_literal(pvt: Any) -> None:
    assert run(pvt, [("$var(i)", "k"), ("$var(k)", 5)], ["$var($var(i))"]) == [0]


def test_var_is_per_process_not_per_message(pvt: Any) -> None:
    a = pvt.make_ctx()
    b = pvt.make_ctx()
    b.script = a.script
    pvt.put(a, "$var(kept)", "v")
    assert pvt.get(b, "$var(kept)") == "v"


def test_varset_gives_initial_values() -> None:
    lm = LoadedModules()
    lm.load("pv")
    lm.set_param("pv", "varset", "v1=s:abc")
    lm.set_param("pv", "varset", "v2=i:12")
    from siprouter.engine.context import MsgContext
    from siprouter.sip.message import parse_message

    from .conftest import INVITE

    ctx = MsgContext(parse_message(INVITE))
    comp = PVCompiler(lm)
    assert comp.compile_text("$var(v1)").get(ctx) == "abc"
    assert comp.compile_text("$var(v2)").get(ctx) == 12


def test_varset_refuses_bad_values() -> None:
    lm = LoadedModules()
    lm.load("pv")
    with pytest.raises(ConfigError, match="varset"):
        lm.set_param("pv", "varset", "nonsense")


AVP_CASES = [
    # steps, reads, expected (Kamailio 5.6.3)
    ([("$avp(a)", 1), ("$avp(a)", "two"), ("$avp(a)", 3)],
     ["$avp(a)", "$(avp(a)[0])", "$(avp(a)[1])", "$(avp(a)[2])", "$(avp(a)[3])", "$(avp(a)[*])",
      "$(avp(a)[-1])", "$avp(s:a)"],
     [3, 3, "two", 1, None, "3, two, 1", None, 3]),
    ([("$avp(b)", 1), ("$avp(b)", 2), ("$avp(b)", 3), ("$avp(b)", 4), ("$(avp(b)[2])", None)],
     ["$(avp(b)[*])"], ["3, 2, 1"]),
    ([("$avp(d)", 1), ("$avp(d)", 2), ("$avp(d)", 3), ("$(avp(d)[1])", "x")],
     ["$(avp(d)[*])"], ["x, 3, 2, 1"]),
    ([("$avp(e)", 1), ("$avp(e)", 2), ("$avp(e)", None)], ["$(avp(e)[*])"], ["1"]),
    ([("$avp(c)", 1), ("$avp(c)", 2), ("$(avp(c)[*])", 9)], ["$(avp(c)[*])", "$avp(c)"], ["9", 9]),
    ([("$avp(f)", 1), ("$avp(f)", 2), ("$(avp(f)[*])", None)], ["$avp(f)"], [None]),
    ([("$avp(i:1)", 7), ("$avp(s:1)", 8)], ["$avp(i:1)", "$avp(1)"], [7, 8]),
    ([("$var(n)", "k"), ("$avp(k)", "av")], ["$avp($var(n))", "$avp(unset)"], ["av", None]),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "reads", "expected"), AVP_CASES)
def test_avp(pvt: Any, steps: Any, reads: list[str], expected: list[Any]) -> None:
    assert run(pvt, steps, reads) == expected


def test_avp_dynamic_index(pvt: Any) -> None:
    got = run(pvt, [("$avp(a)", 1), ("$avp(a)", 2), ("$var(i)", 1)], ["$(avp(a)[$var(i)])"])
    assert got == [1]


def test_avp_aliases() -> None:
    lm = LoadedModules()
    lm.load("pv")
    lm.set_param("pv", "avp_aliases", "num=i:5;nm=s:name")
    from siprouter.engine.context import MsgContext
    from siprouter.sip.message import parse_message

    from .conftest import INVITE

    ctx = MsgContext(parse_message(INVITE))
    comp = PVCompiler(lm)
    comp.compile_text("$avp(num)").set(ctx, 1)  # type: ignore[misc]
    comp.compile_text("$avp(nm)").set(ctx, "n")  # type: ignore[misc]
    assert comp.compile_text("$avp(i:5)").get(ctx) == 1
    assert comp.compile_text("$avp(name)").get(ctx) == "n"


def test_avp_bad_int_name() -> None:
    with pytest.raises(ConfigError, match="not a number"):
        PVCompiler().compile_text("$avp(i:x)")


XAVP_CASES = [
    ([("$xavp(x=>a)", 1), ("$xavp(x[0]=>b)", "s"), ("$xavp(x=>a)", 2), ("$xavp(x[0]=>a)", 3)],
     ["$xavp(x=>a)", "$xavp(x[1]=>a)", "$xavp(x[0]=>b)", "$xavp(x[*]=>a)", "$xavp(x[1]=>a[*])",
      "$xavp(x=>q)", "$xavp(y=>a)", "$xavp(x[-1]=>a)", "$xavp(x=>a[0])", "$xavp(x=>a[*])"],
     [3, 1, None, 3, "1", None, None, 1, 3, "3, 2"]),
    ([("$xavp(x=>a)", 1), ("$xavp(x=>a)", 2), ("$xavp(x[0]=>a)", 3), ("$xavp(x[0]=>a[1])", 9)],
     ["$xavp(x=>a)", "$xavp(x[1]=>a)", "$xavp(x[0]=>a[1])", "$xavp(x[0]=>a[*])"],
     [3, 1, 9, "3, 9"]),
    ([("$xavp(y=>a)", 1), ("$xavp(y=>a)", 2), ("$xavp(y[0]=>a)", None)],
     ["$xavp(y=>a)", "$xavp(y[1]=>a)"], [None, 1]),
    ([("$xavp(z)", 1), ("$xavp(z)", "s"), ("$xavp(z[1])", 5)], ["$xavp(z)", "$xavp(z[1])"],
     ["s", 5]),
    ([("$xavp(w=>a)", 1), ("$xavp(w[0]=>b)", 2), ("$xavp(w)", None)],
     ["$xavp(w=>a)", "$xavp(w=>b)"], [None, None]),
    ([("$xavp(u=>a)", 1), ("$xavp(u=>a)", 2), ("$xavp(u)", None)],
     ["$xavp(u=>a)", "$xavp(u[1]=>a)"], [1, None]),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "reads", "expected"), XAVP_CASES)
def test_xavp(pvt: Any, steps: Any, reads: list[str], expected: list[Any]) -> None:
    assert run(pvt, steps, reads) == expected


def test_xavp_pv_indexes(pvt: Any) -> None:
    steps = [("$xavp(x=>a)", 1), ("$xavp(x[0]=>a)", 5), ("$xavp(x=>a)", 2), ("$var(i)", 1)]
    got = run(pvt, steps, ["$xavp(x[$var(i)]=>a)", "$xavp(x=>a[$var(i)])", "$xavp(x[0]=>a)"])
    assert got == [5, None, 2]  # Kamailio 5.6.3


def test_xavp_missing_root_index_fails(pvt: Any) -> None:
    with pytest.raises(PVError):
        run(pvt, [("$xavp(v[0]=>a)", 1)], [])


def test_xavp_with_fields_prints_as_pointer(pvt: Any) -> None:
    (v,) = run(pvt, [("$xavp(x=>a)", 1)], ["$xavp(x)"])
    assert isinstance(v, str) and v.startswith("<<xavp:0x") and v.endswith(">>")


def test_shv_shared_between_messages_and_shvset() -> None:
    lm = LoadedModules()
    lm.load("pv")
    lm.set_param("pv", "shvset", "s1=i:4")
    from siprouter.engine.context import MsgContext
    from siprouter.sip.message import parse_message

    from .conftest import INVITE

    comp = PVCompiler(lm)
    a = MsgContext(parse_message(INVITE))
    b = MsgContext(parse_message(INVITE))
    acc = comp.compile_text("$shv(s1)")
    assert acc.get(a) == 4
    assert acc.set is not None
    acc.set(a, "str")
    assert acc.get(b) == "str"
    assert comp.compile_text("$shv(never)").get(b) == 0
