"""avpflags: AVP name forms, declared flag bits, and the per-value flag storage."""

from __future__ import annotations

import pytest

from siprouter.engine.core_actions import CompileInfo
from siprouter.engine.core_avpflags import avp_ident, fix_avpflag
from siprouter.pv.stores import AvpStore


@pytest.mark.parametrize(
    ("text", "ident"),
    [("x", "x"), ("s:x", "x"), ("$x", "x"), ("i:7", 7), ("x[1]", "x"), ("$avp(x)", "avp(x)")],
)
def test_avp_name_forms(text: str, ident: object) -> None:
    assert avp_ident(text) == ident


@pytest.mark.parametrize("text", ["", "i:x", "s:", "$"])
def test_bad_avp_names(text: str) -> None:
    with pytest.raises(ValueError, match="error when parsing AVP"):
        avp_ident(text)


def test_fixup_needs_a_declared_flag() -> None:
    info = CompileInfo(avpflags={"fa": 0, "fb": 1})
    assert fix_avpflag(["x", "fb"], info) == ["x", 2]
    with pytest.raises(ValueError, match="not declared"):
        fix_avpflag(["x", "fc"], info)


def test_flags_follow_the_value_they_were_set_on() -> None:
    s = AvpStore()
    assert s.flags("x") is None and not s.set_flags("x", 1)
    s.add("x", 1)
    assert s.set_flags("x", 1) and s.flags("x") == 1
    s.add("x", 2)
    assert s.flags("x") == 0
    s.delete_first("x")
    assert s.flags("x") == 1
    s.delete_first("x")
    assert s.flags("x") is None
    s.add("x", 3)
    assert s.flags("x") == 0
    s.set_flags("x", 2)
    s.delete_all("x")
    s.add("x", 4)
    assert s.flags("x") == 0
