"""Format arguments of one module's functions may use another loaded module's PVs
(Kamailio resolves every PV against all loaded modules): xlog printing textopsx's
$hfitname, sl_send_reply's reason holding it. Without the module, `-c` refuses it."""

from __future__ import annotations

from pathlib import Path

from siprouter.cfg.check import ConfigErrors
from siprouter.cfg.errors import ConfigError
from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args

CFG = """\
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
{extra}
request_route {{
    xlog("L_INFO", "hdr[$hfitname(i1)]\\n");
    sl_send_reply("200", "r $hfitname(i1)");
}}
"""


def _check(tmp_path: Path, extra: str) -> str | None:
    path = tmp_path / "x.cfg"
    path.write_text(CFG.format(extra=extra))
    try:
        load_config(parse_args(["-c", "-l", "udp:127.0.0.1:5099", "-f", str(path)]))
    except (ConfigError, ConfigErrors) as e:
        return str(e)
    return None


def test_other_modules_pvs_in_formats(tmp_path: Path) -> None:
    assert _check(tmp_path, 'loadmodule "textopsx"') is None


def test_pv_of_a_module_not_loaded_is_refused(tmp_path: Path) -> None:
    err = _check(tmp_path, "")
    assert err is not None and "unknown pseudo-variable $hfitname" in err
