"""The -c checker on whole configs: broken ones name the error and file:line.

Modules come from test-only export tables registered here under Kamailio's names (pv,
sl, tm), shaped like Kamailio's (argument counts, route masks, read-only PVs), so the
same configs can be run through `kamailio -c` for the verdict.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg.check import check
from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.parser import parse_string
from siprouter.modules import loader
from siprouter.modules.loader import LoadedModules
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    InnerName,
    ModuleExports,
    ParamSpec,
    ParamType,
    PVSpec,
    RouteType,
)

REQ_FAIL_BRANCH = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH


def _get(*_a: object) -> object:
    return None


def _set(*_a: object) -> None:
    return None


def _fn(*_a: object) -> int:
    return 1


def _code_fixup(args: object) -> object:
    code = int(args[0])  # type: ignore[index]
    if not 100 <= code <= 699:
        raise ValueError(f"bad reply code {code}")
    return args


TEST_MODULES = [
    ModuleExports(
        "pv",
        pvs={
            "var": PVSpec("var", _get, _set, InnerName.REQUIRED),
            "ru": PVSpec("ru", _get, _set),
            "rU": PVSpec("rU", _get, _set),
            "si": PVSpec("si", _get),
            "hdr": PVSpec("hdr", _get, inner=InnerName.REQUIRED),
        },
        functions={"pv_isset": FunctionSpec("pv_isset", _fn, (1,), (ArgKind.PV,))},
    ),
    ModuleExports(
        "sl",
        functions={
            "sl_send_reply": FunctionSpec(
                "sl_send_reply", _fn, (2,), (ArgKind.INT, ArgKind.STR), REQ_FAIL_BRANCH, _code_fixup
            )
        },
        params={"default_code": ParamSpec("default_code", ParamType.INT, 500)},
    ),
    ModuleExports(
        "tm",
        functions={
            "t_relay": FunctionSpec("t_relay", _fn, (0, 2), (ArgKind.STR, ArgKind.INT), REQ_FAIL_BRANCH),
            "t_on_failure": FunctionSpec("t_on_failure", _fn, (1,), (ArgKind.STR,), REQ_FAIL_BRANCH),
            "t_set_fr": FunctionSpec("t_set_fr", _fn, (1, 2), (ArgKind.INT,), dynamic_args=True),
            "t_drop_replies": FunctionSpec("t_drop_replies", _fn, (0, 1), (ArgKind.STR,), RouteType.FAILURE),
        },
        params={
            "fr_timer": ParamSpec("fr_timer", ParamType.INT, 30000),
            "contacts_avp": ParamSpec("contacts_avp", ParamType.STR, ""),
        },
    ),
    ModuleExports(
        "textops",
        functions={"search": FunctionSpec("search", _fn, (1,), (ArgKind.REGEX,))},
    ),
]  # fmt: skip


@pytest.fixture(autouse=True)
def modules() -> Iterator[None]:
    for m in TEST_MODULES:
        loader.register(m)
    yield
    for m in TEST_MODULES:
        loader.unregister(m.name)


HEAD = 'loadmodule "pv"\nloadmodule "sl"\nloadmodule "tm"\n'  # lines 1-3


def _check(text: str, all_errors: bool = False) -> LoadedModules:
    return check(parse_string(text, "t.cfg"), all_errors=all_errors)


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as ei:
        _check(text)
    return ei.value


GOOD = (
    HEAD
    + """
children=4
fork=yes
debug=-1
flags FLT_ACC:1, FLT_NAT;
modparam("tm", "fr_timer", 5000)
pstn.gw = "1.2.3.4" desc "gateway"
request_route {
    $var(n) = 1;
    if (isflagset(FLT_NAT) && $si == "127.0.0.1") { setflag(1); }
    if ($rU == "") { sl_send_reply("404", "Not here"); exit; }
    strip(2);
    t_on_failure("F");
    route(RELAY);
}
route[RELAY] {
    if (!t_relay()) { sl_send_reply("500", "Error $rU"); }
}
failure_route[F] {
    t_drop_replies();
    revert_uri();
}
onsend_route { if (isflagset(1)) { log("x"); } }
"""
)


def test_good_config_passes_and_applies_modparams() -> None:
    mods = _check(GOOD)
    assert list(mods.modules) == ["pv", "sl", "tm"]
    assert mods.modules["tm"].param("fr_timer") == 5000


# (name, config text, expected message, line, kamailio -c verdict): "line" = it fails
# naming the same line, "fails" = it fails elsewhere or at startup, "ok" = it passes
# (siprouter is stricter)
BROKEN: list[tuple[str, str, str, int, str]] = [
    ("unknown parameter", "chidlren=4\n" + HEAD, "unknown core parameter 'chidlren'", 1, "line"),
    ("bad bool", 'fork="yes"\n' + HEAD, "bad value for fork: boolean value", 1, "line"),
    ("negative number", "children=-2\n" + HEAD, "bad value for children", 1, "line"),
    ("out of range", HEAD + "max_branches=40\n", "max_branches = 40 is out of range (1..31)", 4, "fails"),
    ("string for number", HEAD + 'tcp_children="4"\n', "bad value for tcp_children", 4, "line"),
    ("unknown module", 'loadmodule "nosuchmod"\n', "module 'nosuchmod' is not implemented by siprouter", 1, "line"),
    ("module loaded twice", HEAD + 'loadmodule "tm.so"\n', "module 'tm' is loaded twice", 4, "line"),
    ("modparam unknown param", HEAD + 'modparam("tm", "fr_timr", 1)\n', "module 'tm' has no parameter 'fr_timr'", 4, "line"),
    ("modparam wrong type", HEAD + 'modparam("tm", "fr_timer", "30")\n', "parameter 'fr_timer' of module 'tm' takes an integer", 4, "line"),
    ("modparam no module", 'modparam("tm", "fr_timer", 1)\n' + HEAD, "modparam: no loaded module matches 'tm'", 1, "line"),
    ("wrong arity module", HEAD + 'request_route {\n sl_send_reply("404");\n}\n', "function 'sl_send_reply' (module sl) takes 2 arguments, got 1", 5, "line"),
    ("wrong arity core", HEAD + "request_route {\n strip();\n}\n", "function 'strip' takes 1 argument, got 0", 5, "line"),
    ("core arg kind", HEAD + 'request_route {\n strip("2");\n}\n', "strip(): argument 1 must be a number", 5, "line"),
    ("unknown function", HEAD + "request_route {\n t_relya();\n}\n", "unknown function 't_relya'", 5, "line"),
    ("function needs module", "request_route {\n t_relay();\n}\n", "unknown function 't_relay'", 2, "line"),
    ("unknown pv", HEAD + "request_route {\n if ($foo == 1) { drop; }\n}\n", "unknown pseudo-variable $foo", 5, "ok"),
    ("pv without pv module", "request_route {\n $var(x) = 1;\n}\n", "unknown pseudo-variable $var", 2, "line"),
    ("read-only pv", HEAD + "request_route {\n $si = \"1.2.3.4\";\n}\n", "$si is read-only", 5, "line"),
    ("read-only core pv", "request_route {\n $rc = 1;\n}\n", "$rc is read-only", 2, "line"),
    ("pv takes no name", HEAD + "request_route {\n $var(a) = $ru(x);\n}\n", "$ru takes no name in parentheses", 5, "line"),
    ("route type module", HEAD + "request_route {\n t_drop_replies();\n}\n", "function 't_drop_replies' cannot be used in request_route", 5, "line"),
    ("route type in sub-route", HEAD + "request_route {\n route(X);\n}\nroute[X] {\n t_drop_replies();\n}\n", "cannot be used in route[X]", 8, "line"),
    ("route type core", HEAD + "request_route {\n drop;\n}\nonsend_route {\n forward();\n}\n", "function 'forward' cannot be used in onsend_route", 8, "line"),
    ("route type onreply", HEAD + "request_route {\n drop;\n}\nonreply_route {\n t_relay();\n}\n", "function 't_relay' cannot be used in onreply_route", 8, "line"),
    ("duplicate route", HEAD + "request_route {\n route(A);\n}\nroute[A] {\n drop;\n}\nroute[A] {\n exit;\n}\n", "duplicate route: route[A]", 10, "fails"),
    ("duplicate failure route", HEAD + "request_route {\n drop;\n}\nfailure_route[F] {\n drop;\n}\nfailure_route[F] {\n drop;\n}\n", "duplicate route: failure_route[F]", 10, "fails"),
    ("undeclared flag", HEAD + "request_route {\n setflag(FLT_X);\n}\n", "setflag(): flag FLT_X not declared", 5, "line"),
    ("flag too high", HEAD + "request_route {\n setflag(32);\n}\n", "message flag 32 too high", 5, "line"),
    ("flag declared twice", HEAD + "flags A, A;\n", "flag A already registered", 4, "line"),
    ("bad log_facility", HEAD + "log_facility=LOG_NOPE\n", "bad value for log_facility", 4, "line"),
    ("shm after modparam", HEAD + 'modparam("tm", "fr_timer", 1)\nshm_mem_size=64\n', "shm_mem_size must come before any modparam or route block", 5, "line"),
    ("user after route", HEAD + "request_route {\n drop;\n}\nuser=\"root\"\n", "user must come before any modparam or route block", 7, "line"),
    ("two defaults", "request_route {\n switch($rc) {\n case 1: drop;\n default: exit;\n default: exit;\n }\n}\n", 'too many "default:" labels', 5, "fails"),
    ("cfgengine", HEAD + 'cfgengine "lua"\n', "cfgengine 'lua' is not available", 4, "fails"),
    # stricter than kamailio -c:
    ("route to unknown route", HEAD + "request_route {\n route(RELAY);\n}\nroute[RELAYY] {\n drop;\n}\n", "route(RELAY): there is no route[RELAY] block", 5, "ok"),
    ("int arg not a number", HEAD + 'request_route {\n sl_send_reply("abc", "x");\n}\n', 'sl_send_reply(): argument 1 must be an integer, got "abc"', 5, "ok"),
    ("fixup at -c time", HEAD + 'request_route {\n sl_send_reply("999", "x");\n}\n', "sl_send_reply(): bad reply code 999", 5, "ok"),
    ("bad case regex", "request_route {\n switch($rc) {\n case /\"a(\": drop;\n }\n}\n", "bad regular expression in case", 3, "ok"),
    ("not constant", HEAD + 'request_route {\n sl_send_reply("404", $var(r));\n}\n', "function sl_send_reply: parameter 2 is not constant", 5, "line"),
    ("not constant expr", HEAD + 'request_route {\n t_on_failure("F" + $var(x));\n}\n', "function t_on_failure: parameter 1 is not constant", 5, "line"),
    ("pv argument", HEAD + 'request_route {\n if (pv_isset("abc")) { drop; }\n}\n', "pv_isset(): argument 1 must be a pseudo-variable", 5, "ok"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "message", "line", "kamailio"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_config(name: str, text: str, message: str, line: int, kamailio: str) -> None:
    err = _error(text)
    assert message in err.message, err.render()
    assert err.pos is not None and err.pos.file == "t.cfg" and err.pos.line == line, err.render()


def test_regex_argument_checked() -> None:
    text = 'loadmodule "textops"\nrequest_route {\n if (search("a(b")) { drop; }\n}\n'
    err = _error(text)
    assert "search(): argument 1 is a bad regular expression" in err.message and err.pos.line == 3  # type: ignore[union-attr]


def test_hints() -> None:
    assert _error("chidlren=4\n").hint == "did you mean 'children'?"
    assert (
        _error("request_route {\n $ru = 1;\n}\n").hint
        == '$ru comes from module pv: add loadmodule "pv"'
    )
    err = _error(HEAD + "request_route {\n route(RELAY);\n}\nroute[RELAYY] {\n drop;\n}\n")
    assert err.hint == "did you mean route(RELAYY)?"
    err = _error(HEAD + "request_route {\n t_drop_replies();\n}\n")
    assert err.hint == "it is allowed in: failure"
    assert _error('request_route {\n if (is_int("$rc")) { drop; }\n}\n').hint == (
        'is_int comes from module pv: add loadmodule "pv"'
    )


def test_unnamed_blocks_may_repeat_and_event_routes_are_request_type() -> None:
    _check(
        HEAD + "request_route {\n drop;\n}\nrequest_route {\n exit;\n}\n"
        "onreply_route {\n drop;\n}\nonreply_route[0] {\n drop;\n}\n"
        'event_route[core:worker-one-init] {\n sl_send_reply("200", "ok");\n}\n'
    )


def test_all_errors_collects_each_problem_once() -> None:
    text = (
        "chidlren=4\n"  # 1
        'loadmodule "nosuchmod"\n'  # 2
        'modparam("nosuchmod", "x", 1)\n'  # 3: not reported again
        "request_route {\n"  # 4
        " $foo = 1;\n"  # 5
        " strip();\n"  # 6
        "}\n"
    )
    with pytest.raises(ConfigErrors) as ei:
        _check(text, all_errors=True)
    got = [(e.pos.line, e.message) for e in ei.value.errors]  # type: ignore[union-attr]
    assert got == [
        (1, "unknown core parameter 'chidlren'"),
        (2, "module 'nosuchmod' is not implemented by siprouter"),
        (5, "unknown pseudo-variable $foo"),
        (6, "function 'strip' takes 1 argument, got 0"),
    ]


def test_failed_loadmodule_is_reported_once_not_per_use(monkeypatch: pytest.MonkeyPatch) -> None:
    real = loader.find_exports
    monkeypatch.setattr(loader, "find_exports", lambda n: None if n == "htable" else real(n))
    text = (
        'loadmodule "htable"\n'  # 1: not implemented (a Kamailio module siprouter lacks)
        'modparam("htable", "htable", "a=>size=4")\n'  # 2
        "request_route {\n"  # 3
        " sht_print();\n"  # 4: htable's function: not reported again
        " $sht(a=>x) = 1;\n"  # 5: htable's PV: not reported again
        " sht_prnt();\n"  # 6: a typo is still reported
        "}\n"
    )
    with pytest.raises(ConfigErrors) as ei:
        _check(text, all_errors=True)
    got = [(e.pos.line, e.message) for e in ei.value.errors]  # type: ignore[union-attr]
    assert got == [
        (1, "module 'htable' is not implemented by siprouter"),
        (6, "unknown function 'sht_prnt'"),
    ]


def test_unknown_function_hint_names_the_kamailio_module() -> None:
    err = _error("request_route {\n t_relay();\n}\n")
    assert err.hint == 't_relay comes from module tm: add loadmodule "tm"'
    err = _error(HEAD + "request_route {\n t_check_trans();\n}\n")
    assert err.hint == "module tm is loaded, but siprouter's tm lacks t_check_trans (yet)"


def test_socket_blocks_and_custom_params() -> None:
    _check('socket = { bind = udp:127.0.0.1:5060; name = "s1"; virtual = yes; }\n')
    err = _error('socket = { name = "s1"; }\n')
    assert err.message == "socket block without bind = [proto:]addr[:port]"
    err = _error("socket = { bind = udp:127.0.0.1:5060; color = 1; }\n")
    assert err.message == "unknown socket attribute 'color'" and err.pos.col == 39  # type: ignore[union-attr]
    err = _error("pstn.gw = -5\n")
    assert "number or string expected" in err.message


def test_loadmodule_after_use_is_an_error() -> None:
    err = _error('request_route {\n sl_send_reply("200", "ok");\n}\nloadmodule "sl"\n')
    assert err.message == "unknown function 'sl_send_reply'" and err.pos.line == 2  # type: ignore[union-attr]


# --- differential: the same broken configs through kamailio -c --------------------


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize(
    ("name", "text", "message", "line", "kamailio"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_kamailio_agrees(
    name: str, text: str, message: str, line: int, kamailio: str, tmp_path: Path
) -> None:
    cfg = tmp_path / "t.cfg"
    body = text
    if "request_route" not in body:
        body += "request_route {\n drop;\n}\n"
    cfg.write_text(body)
    run = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    assert (run.returncode != 0) == (kamailio != "ok"), run.stdout[-300:] + run.stderr[-600:]
    if kamailio == "line":
        assert f"line {line}," in run.stderr, run.stderr[-600:]


def test_constant_and_dynamic_arguments() -> None:
    _check(
        HEAD + 'request_route {\n sl_send_reply(400 + 4, "x");\n'  # folded constant
        " t_set_fr($var(t) + 1);\n"  # t_set_fr evaluates expressions
        " if (pv_isset($var(x))) { drop; }\n"  # a PV argument of kind PV
        "}\n"
    )
    err = _error(HEAD + 'request_route {\n sl_send_reply($var(c), "x");\n}\n')
    assert err.hint == 'put the variable inside a string: "$var(c)"'
    assert err.pos is not None and (err.pos.line, err.pos.col) == (5, 16)


def test_pv_hint_when_the_module_is_loaded_but_lacks_it() -> None:
    err = _error(HEAD + 'request_route {\n if ($fU == "a") { drop; }\n}\n')
    assert err.message == "unknown pseudo-variable $fU"
    assert err.hint == "module pv is loaded but siprouter's pv does not provide $fU yet"


def test_loadmodulex_and_modparamx_expand_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPROUTER_TEST_MOD", "tm")
    monkeypatch.setenv("SIPROUTER_TEST_AVP", "my_contacts")
    mods = _check(
        'loadmodulex "$env(SIPROUTER_TEST_MOD)"\n'
        'modparamx("tm", "contacts_avp", "$env(SIPROUTER_TEST_AVP)")\n'
    )
    assert mods.modules["tm"].param("contacts_avp") == "my_contacts"
