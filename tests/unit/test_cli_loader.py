"""The config pipeline behind -c/--cfg-print/start-up, driven in-process with test modules."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from siprouter.cfg import listen as listen_mod
from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.loader import load_config, run_config_action
from siprouter.cli import parse_args
from siprouter.modules.loader import register, unregister
from siprouter.modules.registry import ModuleExports, ParamSpec, ParamType


@pytest.fixture
def testmods() -> Iterator[None]:
    register(
        ModuleExports(
            "tmod_a",
            params={
                "level": ParamSpec("level", ParamType.INT, 1),
                "label": ParamSpec("label", ParamType.STR, ""),
            },
        )
    )
    register(ModuleExports("tmod_b", params={"n": ParamSpec("n", ParamType.INT, 0)}))
    yield
    unregister("tmod_a")
    unregister("tmod_b")


def cfg(tmp_path: Path, text: str) -> str:
    path = tmp_path / "t.cfg"
    path.write_text(text)
    return str(path)


ROUTE = "request_route {\n    drop;\n}\n"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_config_action(parse_args(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def test_config_modules_and_params_in_order(tmp_path: Path, testmods: None) -> None:
    path = cfg(
        tmp_path,
        'loadmodule "tmod_a.so"\nmodparam("tmod_a", "level", 3)\n'
        'modparam("tmod_a", "label", "x")\nloadmodule "/usr/lib/kamailio/modules/tmod_b.so"\n'
        'modparam("tmod_.*", "level", 4)\n' + ROUTE,
    )
    with pytest.raises(ConfigError) as info:
        # the regex matches tmod_b too, which has no "level": Kamailio fails there as well
        load_config(parse_args(["-c", "-f", path]))
    assert "tmod_b" in info.value.message and info.value.pos is not None
    assert info.value.pos.line == 5

    path = cfg(tmp_path, 'loadmodule "tmod_a.so"\nmodparam("tmod_a", "level", 3)\n' + ROUTE)
    loaded = load_config(parse_args(["-c", "-f", path]))
    assert loaded.modules.modules["tmod_a"].param("level") == 3
    assert loaded.modules.modules["tmod_a"].param("label") == ""


def test_cli_loadmodule_and_modparam(tmp_path: Path, testmods: None) -> None:
    path = cfg(tmp_path, ROUTE)
    opts = parse_args(
        ["-c", "-f", path, "--loadmodule=tmod_a", "--modparam=tmod_a:level:i:7",
         "--modparam=tmod_a:label:s:a:b"]
    )  # fmt: skip
    mod = load_config(opts).modules.modules["tmod_a"]
    assert mod.param("level") == 7 and mod.param("label") == "a:b"


def test_cli_modparam_type_is_checked(tmp_path: Path, testmods: None) -> None:
    path = cfg(tmp_path, ROUTE)
    opts = parse_args(["-c", "-f", path, "--loadmodule=tmod_a", "--modparam=tmod_a:level:s:7"])
    with pytest.raises(ConfigError, match=r"--modparam=tmod_a:level:s:7: .*takes an integer"):
        load_config(opts)


def test_cli_modparam_needs_cli_loadmodule(tmp_path: Path, testmods: None) -> None:
    path = cfg(tmp_path, 'loadmodule "tmod_a.so"\n' + ROUTE)
    status, _, err = run(["-c", "-f", path, "--modparam=tmod_a:level:i:2"])
    assert status == 255
    assert "--modparam=tmod_a:level:i:2: modparam: no loaded module matches 'tmod_a'" in err
    assert "--loadmodule" in err


def test_module_loaded_twice_cli_and_config(tmp_path: Path, testmods: None) -> None:
    path = cfg(tmp_path, 'loadmodule "tmod_a.so"\n' + ROUTE)
    status, _, err = run(["-c", "-f", path, "--loadmodule=tmod_a"])
    assert status == 255
    assert f"{path}:1:1: error: module 'tmod_a' is loaded twice" in err


def test_all_errors_skips_params_of_failed_modules(tmp_path: Path, testmods: None) -> None:
    path = cfg(
        tmp_path,
        'loadmodule "nosuchmod_q.so"\nmodparam("nosuchmod_q", "x", 1)\n'
        'loadmodule "tmod_a.so"\nmodparam("tmod_a", "nope", 1)\n' + ROUTE,
    )
    with pytest.raises(ConfigErrors) as info:
        load_config(parse_args(["-c", "--all-errors", "-f", path]))
    assert [e.pos.line for e in info.value.errors if e.pos] == [1, 4]
    # without --all-errors the first one stops the pipeline
    with pytest.raises(ConfigError) as one:
        load_config(parse_args(["-c", "-f", path]))
    assert one.value.pos is not None and one.value.pos.line == 1


def test_run_check_ok_and_runtime_startup_error(tmp_path: Path) -> None:
    # an address this machine does not have (TEST-NET-1): -c does not bind, start-up does
    path = cfg(tmp_path, "debug=2\nlisten=udp:192.0.2.1:5060\n" + ROUTE)
    assert run(["-c", "-f", path]) == (0, "", "config file ok, exiting...\n")
    status, _out, err = run(["-DD", "-f", path])
    assert status == 255 and "cannot bind udp:192.0.2.1:5060" in err


def test_run_reports_first_error_or_all(tmp_path: Path) -> None:
    path = cfg(tmp_path, 'loadmodule "nosuchmod_q.so"\nloadmodule "nosuchmod_r.so"\n' + ROUTE)
    status, _, err = run(["-c", "-f", path])
    assert status == 255
    assert "nosuchmod_q" in err and "nosuchmod_r" not in err
    assert err.rstrip().endswith("ERROR: bad config file (1 error)")
    status, _, err = run(["-c", "--all-errors", "-f", path])
    assert status == 255
    assert "nosuchmod_q" in err and "nosuchmod_r" in err
    assert err.rstrip().endswith("ERROR: bad config file (2 errors)")


def test_cfg_print_writes_printed_text(tmp_path: Path) -> None:
    path = cfg(tmp_path, "#!define X 1\ndebug=X\n" + ROUTE)
    status, out, err = run(["--cfg-print", "-f", path])
    assert status == 0 and err == ""
    assert out == "#!define X 1\ndebug=X\n" + ROUTE


def test_missing_file(tmp_path: Path) -> None:
    status, _, err = run(["-c", "-f", str(tmp_path / "none.cfg")])
    assert status == 255
    assert f"cannot load config file {tmp_path / 'none.cfg'}: No such file or directory" in err


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Host names resolve only if listed here: tests must not ask a real DNS server."""
    known: list[str] = ["known.test"]
    monkeypatch.setattr(listen_mod, "host_resolves", lambda host: host in known)
    return known


def test_listen_addresses_must_resolve(tmp_path: Path, no_dns: list[str]) -> None:
    path = cfg(
        tmp_path,
        "listen=udp:127.0.0.1:5060\nlisten=udp:lo:5062\nlisten=tcp:known.test:5060\n"
        "listen=udp:nosuch.test:5060\n" + ROUTE,
    )
    status, _, err = run(["-c", "-f", path])
    assert status == 255
    assert f"{path}:4:8: error: listen: could not resolve 'nosuch.test'" in err
    no_dns.append("nosuch.test")
    assert run(["-c", "-f", path])[0] == 0


def test_cli_listen_and_socket_bind_must_resolve(tmp_path: Path, no_dns: list[str]) -> None:
    path = cfg(tmp_path, "socket = {\n    bind = udp:gone.test:5060;\n}\n" + ROUTE)
    status, _, err = run(["-c", "--all-errors", "-f", path, "-l", "udp:(lo, other.test):5080"])
    assert status == 255
    assert "error: -l udp:(lo, other.test):5080: could not resolve 'other.test'" in err
    assert f"{path}:2:" in err and "socket bind: could not resolve 'gone.test'" in err
    assert "(2 errors)" in err
