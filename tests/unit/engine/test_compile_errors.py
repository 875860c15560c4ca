"""What the compiler refuses (ConfigError at the cfg position) and runtime fallbacks."""

from __future__ import annotations

import pytest
from conftest import compile_text, run_text

from siprouter.cfg.errors import ConfigError


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("forward_sctp();", "core function 'forward_sctp' is not supported yet"),
        ("if (uri =~ myself) { exit; }", "myself"),  # Kamailio: fails at start-up
        ('$tv(a) = 1 + "2";', "type mismatch"),
        ('if ($tv(a) =~ "a[") { exit; }', "regular expression"),
        ("setflag(NOPE);", "flag"),
    ],
)
def test_refused(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        compile_text("request_route {\n    " + body + "\n}\n")
    assert message in str(info.value)
    assert (
        info.value.pos is not None and info.value.pos.line == 3
    )  # after the loadmodule line compile_text adds


def test_unknown_static_route_is_refused() -> None:
    with pytest.raises(ConfigError, match="NOPE"):
        compile_text("request_route { route(NOPE); }")


def test_dynamic_route_not_found_is_minus_one() -> None:
    _rc, ctx = run_text('request_route { $tv(n) = "NOPE"; route($tv(n)); $tv(rc) = $rc; }')
    assert ctx.script.vars["rc"] == -1


def test_dynamic_regex_bad_pattern_is_false() -> None:
    _rc, ctx = run_text(
        'request_route { $tv(p) = "a["; if ("a" =~ $tv(p)) { mark("t"); } else { mark("f"); } }'
    )
    assert [t for k, t in ctx.log if k == "mark"] == ["f"]


def test_dynamic_args_are_evaluated_per_call() -> None:
    _rc, ctx = run_text('request_route { $tv(a) = 2; val($tv(a) + 1); val("x" + $tv(a)); }')
    assert [v for k, v in ctx.log if k == "val"] == [3, "x2"]
