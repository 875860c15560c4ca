"""Functions of the pv module: return codes and effects as logged by Kamailio 5.6.3 for
the same calls (pv_isset, is_int, typeof, not_empty, pv_unset, xavp_*)."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.modules.pv import EXPORTS
from siprouter.pv.functions import FUNCTIONS


def call(ctx: Any, name: str, *args: Any) -> int:
    spec = EXPORTS.functions[name]
    values = list(spec.fixup(list(args))) if spec.fixup else list(args)
    return int(spec.func(ctx, *values))


def test_exported() -> None:
    from siprouter.modules.pv_xfuncs import XFUNCTIONS

    assert set(EXPORTS.functions) == {f.name for f in (*FUNCTIONS, *XFUNCTIONS)}


def test_checks_as_kamailio(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    for pv, v in (("$var(s)", "12"), ("$var(i)", 12), ("$var(e)", ""), ("$avp(a)", 1)):
        pvt.put(ctx, pv, v)
    got = [
        call(ctx, "pv_isset", "$var(nope)"),
        call(ctx, "pv_isset", "$avp(nope)"),
        call(ctx, "pv_isset", "$avp(a)"),
        call(ctx, "is_int", "$var(s)"),
        call(ctx, "is_int", "$var(i)"),
        call(ctx, "typeof", "$var(s)", "str"),
        call(ctx, "typeof", "$avp(nope)", "null"),
        call(ctx, "typeof", "$var(i)", "int"),
        call(ctx, "not_empty", "$var(e)"),
        call(ctx, "not_empty", "$var(i)"),
        call(ctx, "not_empty", "$avp(nope)"),
        call(ctx, "pv_unset", "$avp(a)"),
        call(ctx, "typeof", "$var(i)", "str"),
    ]
    assert got == [1, -1, 1, -1, 1, 1, 1, 1, -1, -1, -1, 1, -1]
    assert pvt.get(ctx, "$avp(a)") is None


def test_fixups_refuse(pvt: Any) -> None:
    with pytest.raises(ValueError, match="read-only"):
        call(pvt.make_ctx(), "pv_unset", "$ci")
    with pytest.raises(ValueError, match="unknown pseudo-variable"):
        call(pvt.make_ctx(), "pv_isset", "$nosuch")


def test_typeof_reads_the_first_letter(pvt: Any) -> None:
    # Kamailio 5.6.3: i/n/s (any case) pick the type; any other type is false, not an error
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$var(i)", 5)
    assert call(ctx, "typeof", "$var(i)", "ixx") == 1
    assert call(ctx, "typeof", "$var(i)", "Int") == 1
    assert call(ctx, "typeof", "$avp(nope)", "nul") == 1
    assert call(ctx, "typeof", "$var(i)", "float") == -1
    assert call(ctx, "typeof", "$var(i)", "") == -1


def test_xavp_functions_as_kamailio(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$xavp(x=>a)", 1)
    pvt.put(ctx, "$xavp(x=>a)", 2)
    assert call(ctx, "xavp_rm", "x") == 1
    pvt.put(ctx, "$xavp(q=>c)", 1)
    pvt.put(ctx, "$xavp(q=>n)", 5)
    call(ctx, "xavp_child_rm", "q", "c")
    pvt.put(ctx, "$xavp(w=>a)", 1)
    pvt.put(ctx, "$xavp(w=>a)", 2)
    call(ctx, "xavp_child_seti", "w", "a", 9)
    call(ctx, "xavp_params_explode", "a=1;b=xy;c", "p")
    pvt.put(ctx, "$xavp(m=>k)", "v1")
    pvt.put(ctx, "$xavp(m[0]=>j)", 2)
    pvt.put(ctx, "$xavp(m[0]=>k)", "v2")
    call(ctx, "xavp_params_implode", "m", "$var(imp)")
    rcs = [call(ctx, "xavp_rm", "nope"), call(ctx, "xavp_child_sets", "e", "k", "new"),
           call(ctx, "xavp_child_rm", "nope", "c")]  # fmt: skip
    reads = ["$xavp(x=>a)", "$xavp(q=>c)", "$xavp(q=>n)", "$xavp(w=>a)", "$xavp(w[1]=>a)",
             "$xavp(p=>a)", "$xavp(p=>b)", "$xavp(p=>c)", "$var(imp)", "$xavp(m=>k)",
             "$xavp(e=>k)"]  # fmt: skip
    assert [pvt.get(ctx, r) for r in reads] == [
        1, None, 5, 9, 1, "1", "xy", "", "k=v2;j=2;k=v1;", "v2", "new",
    ]  # fmt: skip
    assert rcs == [1, 1, 1]


def test_pv_evalx_as_kamailio(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$var(f)", "u=$rU;$$")
    assert call(ctx, "pv_evalx", "$var(ev)", "$var(f)") == 1
    assert call(ctx, "pv_evalx", "$var(ev2)", "x$ci") == 1
    assert [pvt.get(ctx, "$var(ev)"), pvt.get(ctx, "$var(ev2)")] == ["u=bob;$", "xcid1@x"]
    pvt.put(ctx, "$var(f)", "bad $ here")
    assert call(ctx, "pv_evalx", "$var(ev)", "$var(f)") == -1
    with pytest.raises(ValueError, match="read-only"):
        call(ctx, "pv_evalx", "$ci", "x")
