"""Format strings (xlog / sl_send_reply text): splitting and rendering as Kamailio 5.6.3
(the rendering of the same formats is also compared with Kamailio in
test_pv_kamailio.py, case "fmt")."""

from __future__ import annotations

from typing import Any

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.pv.format import compile_format, split_format


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("plain", [(False, "plain")]),
        ("x$$y", [(False, "x$y")]),
        ("v=$rU@$rd:$rp", [(False, "v="), (True, "$rU"), (False, "@"), (True, "$rd"),
                           (False, ":"), (True, "$rp")]),
        ("$var(x)$var(y)", [(True, "$var(x)"), (True, "$var(y)")]),
        ("a$(hdr(X)[1]{s.len})b", [(False, "a"), (True, "$(hdr(X)[1]{s.len})"), (False, "b")]),
        ("$ru.", [(True, "$ru.")]),  # '.' belongs to names in Kamailio ($err.class)
        # only parentheses nest in a PV, as in Kamailio: '[' and '{' may stand alone
        ("$(ru{s.after,[}) x", [(True, "$(ru{s.after,[})"), (False, " x")]),
        ("", []),
    ],
)  # fmt: skip
def test_split(text: str, pieces: list[tuple[bool, str]]) -> None:
    assert split_format(text) == pieces


@pytest.mark.parametrize(("text", "why"), [("a $ b", "without"), ("e$", "without"),
                                           ("$rUx", "unknown"), ("$avp(x", "non-closing"),
                                           ("$1", "unknown")])  # fmt: skip
def test_refused(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as exc:
        compile_format(text, pos=Pos("f.cfg", 2, 9))
    assert exc.value.pos == Pos("f.cfg", 2, 9)


def test_render(pvt: Any) -> None:
    ctx = pvt.make_ctx()
    pvt.put(ctx, "$var(x)", 3)
    assert compile_format("v=$rU@$rd:$rp $var(x)$var(x) $avp(no) $$").render(ctx) == (
        "v=bob@example.com:5060 33 <null> $"
    )
    f = compile_format("constant")
    assert f.constant == "constant" and f.render(ctx) == "constant"
    assert compile_format("$ci").constant is None


def test_lone_brackets_inside_a_transformation_compile() -> None:
    # kamailio -c accepts xlog("$(ru{s.after,[}) x\n"): only parentheses nest in a PV
    fmt = compile_format("$(ru{s.after,[}) x", pos=Pos("f.cfg", 1, 1))
    assert fmt is not None
