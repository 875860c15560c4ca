"""Module registry and loader: export tables, loadmodule resolution, modparam semantics."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError, Pos
from siprouter.modules import loader
from siprouter.modules.loader import LoadedModules, module_name
from siprouter.modules.registry import (
    ArgKind,
    FunctionSpec,
    InnerName,
    ModuleExports,
    ParamSpec,
    ParamType,
    PVSpec,
    RouteType,
    block_route_type,
)

P = Pos("t.cfg", 3, 1)
SET_VALUES: list[object] = []


def _relay(*args: object) -> int:
    return len(args)


def _positive(v: object) -> int:
    if not isinstance(v, int) or v <= 0:
        raise ValueError("must be a positive number")
    return v


def _test_tm() -> ModuleExports:
    """A test-only module shaped like Kamailio's tm for modparam verdicts."""
    return ModuleExports(
        name="tm",
        functions={
            "t_relay": FunctionSpec(
                "t_relay",
                _relay,
                (0, 1, 2),
                (ArgKind.STR, ArgKind.INT),
                RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH,
            ),
        },
        params={
            "fr_timer": ParamSpec("fr_timer", ParamType.INT, 30000, validator=_positive),
            "contacts_avp": ParamSpec("contacts_avp", ParamType.STR, ""),
            "on_sl_reply": ParamSpec("on_sl_reply", ParamType.STR, "", setter=SET_VALUES.append),
        },
        pvs={"T_req": PVSpec("T_req", lambda msg, inner: None, inner=InnerName.REQUIRED)},
        event_routes=("tm:local-request", "tm:branch-failure"),
    )


def _test_sl() -> ModuleExports:
    return ModuleExports(
        name="sl",
        functions={
            "sl_send_reply": FunctionSpec("sl_send_reply", _relay, (2,), (ArgKind.INT, ArgKind.STR))
        },
        params={
            "default_code": ParamSpec("default_code", ParamType.INT, 500),
            "both": ParamSpec("both", ParamType.ANY, 0, multi=True),
        },
    )


@pytest.fixture
def mods() -> Iterator[None]:
    loader.register(_test_tm())
    loader.register(_test_sl())
    yield
    loader.unregister("tm")
    loader.unregister("sl")


@pytest.mark.parametrize(
    "path",
    [
        "tm",
        "tm.so",
        "modules/tm.so",
        "tm/tm.so",
        "/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so",
    ],
)
def test_loadmodule_spellings_name_the_same_module(path: str) -> None:
    assert module_name(path) == "tm"


def test_load_resolves_registered_module(mods: None) -> None:
    lm = LoadedModules()
    m = lm.load("/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so", P)
    assert m.name == "tm" and "tm" in lm and m.pos == P


def test_unknown_module_is_a_config_error_naming_it() -> None:
    lm = LoadedModules()
    with pytest.raises(ConfigError) as ei:
        lm.load("nosuchmod_xyz.so", P)
    assert ei.value.message == "module 'nosuchmod_xyz' is not implemented by siprouter"
    assert ei.value.pos == P
    assert ei.value.hint is not None and "no Kamailio module" in ei.value.hint


@pytest.mark.skipif(
    not Path(loader.KAMAILIO_MODULE_DIRS[0], "seas.so").exists(), reason="no kamailio modules"
)
def test_hint_says_kamailio_has_the_module() -> None:
    with pytest.raises(ConfigError) as ei:
        LoadedModules().load("seas", P)
    assert ei.value.hint is not None and "Kamailio has it" in ei.value.hint


def test_loadpath_is_used_for_the_hint(tmp_path: Path) -> None:
    (tmp_path / "mymod").mkdir()
    (tmp_path / "mymod" / "mymod.so").write_bytes(b"")
    lm = LoadedModules()
    lm.set_loadpath(f"/nonexistent:{tmp_path}")
    with pytest.raises(ConfigError) as ei:
        lm.load("mymod", P)
    assert ei.value.hint is not None and str(tmp_path / "mymod" / "mymod.so") in ei.value.hint


def test_loading_twice_is_an_error(mods: None) -> None:
    lm = LoadedModules()
    lm.load("tm", Pos("t.cfg", 1, 1))
    with pytest.raises(ConfigError) as ei:
        lm.load("tm.so", Pos("t.cfg", 2, 1))
    assert ei.value.message == "module 'tm' is loaded twice"
    assert ei.value.hint == "first loaded at t.cfg:1:1"


def test_modparam_sets_typed_values(mods: None) -> None:
    lm = LoadedModules()
    lm.load("tm")
    assert lm.set_param("tm", "fr_timer", 5000, P) == ["tm"]
    assert lm.modules["tm"].param("fr_timer") == 5000
    assert lm.modules["tm"].param("contacts_avp") == ""  # default
    lm.set_param("TM", "on_sl_reply", "x", P)  # module regex is case-insensitive
    assert SET_VALUES[-1] == "x"


def test_modparam_regex_matches_several_modules(mods: None) -> None:
    lm = LoadedModules()
    lm.load("tm")
    lm.load("sl")
    with pytest.raises(ConfigError) as ei:  # sl has no fr_timer
        lm.set_param("tm|sl", "fr_timer", 1, P)
    assert ei.value.message == "module 'sl' has no parameter 'fr_timer'"
    assert lm.set_param("t.", "fr_timer", 7, P) == ["tm"]


@pytest.mark.parametrize(
    ("module", "name", "value", "message", "hint"),
    [
        ("nosuch", "x", 1, "modparam: no loaded module matches 'nosuch'", "after the loadmodule"),
        ("t", "fr_timer", 1, "modparam: no loaded module matches 't'", None),
        ("tm", "fr_timr", 1, "module 'tm' has no parameter 'fr_timr'", "did you mean 'fr_timer'?"),
        ("tm", "fr_timer", "30000", "parameter 'fr_timer' of module 'tm' takes an integer, got \"30000\"", "write 30000 without quotes"),
        ("tm", "contacts_avp", 5, "parameter 'contacts_avp' of module 'tm' takes a string, got 5", 'write "5" in quotes'),
        ("tm", "fr_timer", -5, "bad value for parameter 'fr_timer' of module 'tm': must be a positive number", None),
        ("[", "fr_timer", 1, "bad module regular expression '['", None),
    ],
)  # fmt: skip
def test_modparam_errors(
    mods: None, module: str, name: str, value: object, message: str, hint: str | None
) -> None:
    lm = LoadedModules()
    lm.load("tm")
    with pytest.raises(ConfigError) as ei:
        lm.set_param(module, name, value, P)  # type: ignore[arg-type]
    assert ei.value.message.startswith(message)
    assert ei.value.pos == P
    if hint:
        assert ei.value.hint is not None and hint in ei.value.hint


def test_param_accepting_both_types_and_multi(mods: None) -> None:
    lm = LoadedModules()
    lm.load("sl")
    lm.set_param("sl", "both", 1)
    lm.set_param("sl", "both", "x")
    assert lm.modules["sl"].params["both"] == [1, "x"]


def test_lookups_over_loaded_modules(mods: None) -> None:
    lm = LoadedModules()
    assert lm.find_function("t_relay") is None
    lm.load("tm")
    found = lm.find_function("t_relay")
    assert found is not None and found[0].name == "tm" and found[1].counts_text() == "0..2"
    pv = lm.find_pv("T_req")
    assert pv is not None and pv[1].read_only and pv[1].inner is InnerName.REQUIRED
    assert lm.event_routes() == {"tm:local-request": "tm", "tm:branch-failure": "tm"}


def test_function_spec_validation() -> None:
    with pytest.raises(TypeError):
        FunctionSpec("f", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FunctionSpec("f", _relay, (1,), ())
    spec = FunctionSpec("f", _relay, (1, 2, 3), (ArgKind.STR, ArgKind.INT))
    assert spec.kind_of(0) is ArgKind.STR and spec.kind_of(2) is ArgKind.INT
    assert spec.counts_text() == "1..3"
    assert FunctionSpec("g", _relay, (0, 2), (ArgKind.ANY,)).counts_text() == "0 or 2"
    with pytest.raises(ValueError, match="key"):
        ModuleExports("m", functions={"g": spec})


def test_route_types() -> None:
    assert block_route_type("request") is RouteType.REQUEST
    assert block_route_type("event") is RouteType.REQUEST  # as Kamailio checks them
    assert block_route_type("onreply") is RouteType.CORE_ONREPLY
    assert block_route_type("onreply", "0") is RouteType.CORE_ONREPLY
    assert block_route_type("onreply", "NAT") is RouteType.TM_ONREPLY
    assert RouteType.ONREPLY == RouteType.TM_ONREPLY | RouteType.CORE_ONREPLY
    assert (RouteType.REQUEST | RouteType.FAILURE).describe() == "request, failure"


# --- differential: modparam verdicts against Kamailio's real tm and sl ----------

MODPARAM_CASES = [
    'modparam("tm", "fr_timer", 30000)',
    'modparam("tm", "fr_timer", "30000")',
    'modparam("tm", "nosuch", 1)',
    'modparam("t.", "fr_timer", 1)',
    'modparam("TM", "fr_timer", 1)',
    'modparam("t", "fr_timer", 1)',
    'modparam("tm|sl", "fr_timer", 1)',
    'modparam("nosuch", "x", 1)',
    'modparam("tm", "contacts_avp", 5)',
    'modparam("tm", "contacts_avp", "tm_contacts")',
    'modparam("[", "fr_timer", 1)',
]


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("line", MODPARAM_CASES)
def test_modparam_verdict_matches_kamailio(mods: None, line: str, tmp_path: Path) -> None:
    cfg = tmp_path / "k.cfg"
    cfg.write_text(f'loadmodule "tm"\nloadmodule "sl"\n{line}\nrequest_route {{ drop; }}\n')
    run = subprocess.run(
        ["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30
    )
    args = line[len("modparam(") : -1]
    module, name, value = (a.strip() for a in args.split(","))
    val: int | str = value.strip('"') if value.startswith('"') else int(value)
    lm = LoadedModules()
    lm.load("tm")
    lm.load("sl")
    try:
        lm.set_param(module.strip('"'), name.strip('"'), val)
        ours = True
    except ConfigError:
        ours = False
    assert ours == (run.returncode == 0), run.stderr[-300:]


def test_value_errors_point_at_the_value(mods: None) -> None:
    lm = LoadedModules()
    lm.load("tm")
    vpos = Pos("t.cfg", 3, 28)
    with pytest.raises(ConfigError) as ei:
        lm.set_param("tm", "fr_timer", "30", P, vpos)
    assert ei.value.pos == vpos
    with pytest.raises(ConfigError) as ei:
        lm.set_param("tm", "nosuch", 1, P, vpos)
    assert ei.value.pos == P


def test_exports_built_from_lists() -> None:
    ex = ModuleExports.of(
        "m",
        functions=[FunctionSpec("f", _relay), FunctionSpec("g", _relay, (1,), (ArgKind.INT,))],
        params=[ParamSpec("p", ParamType.INT, 1)],
        event_routes=("m:ev",),
    )
    assert list(ex.functions) == ["f", "g"] and ex.params["p"].default == 1
    assert ex.event_routes == ("m:ev",)
    with pytest.raises(ValueError, match="exported twice"):
        ModuleExports.of("m", functions=[FunctionSpec("f", _relay), FunctionSpec("f", _relay)])
