"""The cfg groups of modules (cfg/core_cfg_vars.py MODULE_GROUPS, runtime/core_cfg.py):
present only with their module loaded, start values from the modparams, the checks of
a set, and the appliers that make maxfwd and xlog use a changed value from the next
message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from siprouter.cfg import core_cfg_vars as cv
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse_string
from siprouter.engine.compiler import compile_config
from siprouter.engine.context import MsgContext, ReceiveInfo
from siprouter.modules import maxfwd, xlog
from siprouter.modules.xlog_params import XLOG_PARAMS
from siprouter.runtime import core_cfg
from siprouter.shared import space as space_mod
from siprouter.sip.message import parse_message

MODULES = """#!KAMAILIO
loadmodule "xlog.so"
loadmodule "pv"
loadmodule "modules/maxfwd.so"
loadmodule "siputils"
loadmodule "sl"
modparam("max(fwd)?", "max_limit", 40)
modparam("XLOG", "methods_filter", 512)
request_route { exit; }
"""

PLAIN = """#!KAMAILIO
loadmodule "pv"
loadmodule "sl"
request_route { exit; }
"""


def _request(method: str = "OPTIONS", max_forwards: int = 60) -> bytes:
    return (
        f"{method} sip:a@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-1\r\n"
        f"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\n"
        f"Max-Forwards: {max_forwards}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _ctx(data: bytes) -> MsgContext:
    return MsgContext(parse_message(data), ReceiveInfo("127.0.0.1", 40000, "127.0.0.1", 5060))


@pytest.fixture
def fresh() -> Iterator[None]:
    """A fresh shared space; the module values and cfg store put back after."""
    space_mod.reset()
    try:
        yield
    finally:
        core_cfg.reset_values()
        core_cfg.refresh()
        maxfwd.reset()
        xlog.reset()
        compile_config(parse_string(PLAIN, "plain.cfg"))  # no module group declared
        space_mod.reset()


def test_groups_only_with_their_module(fresh: Any) -> None:
    compile_config(parse_string(PLAIN, "plain.cfg"))
    assert cv.LOADED == []
    assert cv.groups_listed() == ["tcp", "core"]
    assert not core_cfg.is_group("maxfwd")
    assert cv.lookup("maxfwd", "max_limit") is None
    compile_config(parse_string(MODULES, "m.cfg"))
    assert cv.LOADED == ["xlog", "maxfwd", "siputils"]
    assert cv.groups_listed() == ["siputils", "maxfwd", "xlog", "tcp", "core"]
    assert [v.name for v in cv.group_vars("siputils")] == ["ring_timeout"]
    assert cv.group_vars("sl") == ()


def test_start_values_from_the_modparams(fresh: Any) -> None:
    compile_config(parse_string(MODULES, "m.cfg"))
    # modparam names its modules by a regular expression, matched without case
    assert cv.START["maxfwd.max_limit"] == 40
    assert cv.START["xlog.methods_filter"] == 512
    assert cv.START["siputils.ring_timeout"] == 0
    assert core_cfg.current("maxfwd.max_limit") == 40


def test_start_values_default(fresh: Any) -> None:
    text = MODULES.replace('modparam("max(fwd)?", "max_limit", 40)\n', "")
    compile_config(parse_string(text.replace("512", "-1"), "m.cfg"))
    assert (cv.START["maxfwd.max_limit"], cv.START["xlog.methods_filter"]) == (70, -1)


def test_a_modparam_before_the_loadmodule_sets_nothing() -> None:
    text = 'modparam("maxfwd", "max_limit", 5)\nloadmodule "maxfwd"\nrequest_route { exit; }\n'
    loaded, values = cv.module_start_values(parse_string(text, "m.cfg"))
    assert (loaded, values) == (["maxfwd"], {})


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("maxfwd.max_limit", 0, True),
        ("maxfwd.max_limit", 255, True),
        ("maxfwd.max_limit", 256, False),
        ("maxfwd.max_limit", -1, False),
        ("xlog.methods_filter", -(2**31), True),
        ("xlog.methods_filter", 2**31 - 1, True),
        ("siputils.ring_timeout", 1, True),
        ("siputils.ring_timeout", 0, False),
        ("siputils.ring_timeout", -5, False),
    ],
)
def test_set_checks(key: str, value: int, ok: bool) -> None:
    var = cv.VARS[key]
    if ok:
        assert cv.check_set(var, value) == value
    else:
        with pytest.raises(cv.SetError):
            cv.check_set(var, value)


def test_set_needs_the_module_loaded(fresh: Any) -> None:
    compile_config(parse_string(PLAIN, "plain.cfg"))
    with pytest.raises(KeyError):
        core_cfg.set_value("maxfwd", "max_limit", 10)


def test_max_limit_change_reaches_mf_process_maxfwd_header(fresh: Any) -> None:
    compile_config(parse_string(MODULES, "m.cfg"))
    core_cfg.refresh()
    ctx = _ctx(_request(max_forwards=60))
    assert maxfwd.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.header("Max-Forwards") == b"40"  # capped at the modparam's 40
    core_cfg.set_value("maxfwd", "max_limit", 20)
    ctx = _ctx(_request(max_forwards=60))
    maxfwd.process_maxfwd(ctx, 10)
    assert ctx.msg.header("Max-Forwards") == b"40"  # not refreshed yet: the same values
    core_cfg.refresh()  # the next message
    ctx = _ctx(_request(max_forwards=60))
    maxfwd.process_maxfwd(ctx, 10)
    assert ctx.msg.header("Max-Forwards") == b"20"
    core_cfg.reset_values()
    core_cfg.refresh()
    assert maxfwd.PARAMS["max_limit"] == 40


def test_methods_filter_change_reaches_xlogm(fresh: Any) -> None:
    compile_config(parse_string(MODULES, "m.cfg"))
    core_cfg.refresh()
    options, invite = _ctx(_request("OPTIONS")), _ctx(_request("INVITE"))
    assert (xlog.method_filtered(options), xlog.method_filtered(invite)) == (True, False)
    core_cfg.set_value("xlog", "methods_filter", 1)  # INVITE
    core_cfg.refresh()
    assert XLOG_PARAMS.methods_filter == 1
    assert (xlog.method_filtered(options), xlog.method_filtered(invite)) == (False, True)


def test_selects_of_module_groups_at_check_time(fresh: Any) -> None:
    route = "request_route {{ $var(x) = @cfg_get.{}; }}\n"
    compile_config(parse_string(MODULES.replace("request_route { exit; }\n", "")
                                + route.format("maxfwd.max_limit"), "t.cfg"))  # fmt: skip
    compile_config(parse_string(MODULES.replace("request_route { exit; }\n", "")
                                + route.format("siputils.ring_timeout"), "t.cfg"))  # fmt: skip
    for name in ("maxfwd.nosuch", "xlog.max_limit"):
        with pytest.raises(ConfigError):
            compile_config(parse_string(MODULES.replace("request_route { exit; }\n", "")
                                        + route.format(name), "t.cfg"))  # fmt: skip
    # without maxfwd loaded, maxfwd.max_limit is a custom parameter: not declared
    with pytest.raises(ConfigError, match="custom parameter"):
        compile_config(parse_string(PLAIN.replace("request_route { exit; }\n", "")
                                    + route.format("maxfwd.max_limit"), "t.cfg"))  # fmt: skip


def test_select_reads_the_runtime_value(fresh: Any) -> None:
    from siprouter.engine.context import ScriptState

    text = MODULES.replace(
        "request_route { exit; }",
        "request_route { $var(x) = @cfg_get.maxfwd.max_limit;"
        " $var(y) = $sel(cfg_get.xlog.methods_filter); }",
    )
    compiled = compile_config(parse_string(text, "t.cfg"))
    core_cfg.set_value("maxfwd", "max_limit", 7)
    core_cfg.refresh()
    ctx = _ctx(_request())
    ctx.script = ScriptState(compiled=compiled)
    compiled.run("request", "", ctx)
    assert (ctx.script.vars["x"], ctx.script.vars["y"]) == ("7", "512")


def test_custom_group_named_like_a_module_group_fails_its_mod_init(fresh: Any) -> None:
    from siprouter.modules import siputils
    from siprouter.runtime.lifecycle import ModuleInitError

    text = MODULES.replace(
        'loadmodule "sl"\n', 'loadmodule "sl"\nxlog.foo = 1\nsiputils.s = "x"\nmaxfwd.m = 2\n'
    )
    compile_config(parse_string(text, "t.cfg"))
    for module in (xlog, siputils, maxfwd):
        assert module.EXPORTS.init is not None
        with pytest.raises(ModuleInitError, match="already declared"):
            module.EXPORTS.init(None)
    compile_config(parse_string(MODULES.replace('"sl"\n', '"sl"\nsl.foo = 1\n'), "t.cfg"))
    assert xlog.EXPORTS.init is not None
    xlog.EXPORTS.init(None)  # no clash: starts


def test_a_new_config_replaces_module_values_left_by_the_last(fresh: Any) -> None:
    compile_config(parse_string(MODULES, "m.cfg"))
    core_cfg.refresh()
    assert (maxfwd.PARAMS["max_limit"], XLOG_PARAMS.methods_filter) == (40, 512)
    text = MODULES.replace('modparam("max(fwd)?", "max_limit", 40)\n', "")
    compile_config(parse_string(text.replace('modparam("XLOG", "methods_filter", 512)\n', ""), "m"))
    core_cfg.refresh()  # the first message of the new config
    assert (maxfwd.PARAMS["max_limit"], XLOG_PARAMS.methods_filter) == (70, -1)
