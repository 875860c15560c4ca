"""-e (and log_color=yes) with -E: every log line in its level's color, as Kamailio 5.6.3
writes it (the color, the line, the reset); xlog's log_colors modparam changes a level's
color. Differential: the escape sequences around the script's lines equal kamailio's."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from .sip_load import ask

CFG = """\
#!KAMAILIO
debug=3
children=1
listen=udp:127.0.0.1:@PORT@
@EXTRA@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
@MODPARAM@
request_route {
    xlog("L_ALERT", "la\\n"); xlog("L_BUG", "lb\\n"); xlog("L_CRIT", "lc\\n");
    xlog("L_ERR", "le\\n"); xlog("L_WARN", "lw\\n"); xlog("L_NOTICE", "ln\\n");
    xlog("L_INFO", "li\\n"); xlog("L_DBG", "ld\\n");
    sl_send_reply("200", "ok");
}
"""
_LINE = re.compile(r"(\x1b\[[0-9;]*m)?\s*\d+\(\d+\) [A-Z]+: <script>: (l[a-z])\n(\x1b\[[0-9;]*m)?")


def _colors(servers: Any, udp_client: Any, which: str, args: tuple[str, ...], extra: str = "", modparam: str = "") -> list[tuple[str, str, str]]:  # fmt: skip
    cfg = CFG.replace("@EXTRA@", extra).replace("@MODPARAM@", modparam)
    srv = getattr(servers, which)(cfg, *args)
    ask(udp_client, srv.port, "x", f"color-{which}-{len(args)}-{len(extra)}-{len(modparam)}")
    servers.stop_all()
    return [(m.group(2), m.group(1) or "", m.group(3) or "") for m in _LINE.finditer(srv.log())]


def test_colored_lines(servers: Any, udp_client: Any) -> None:
    got = dict(
        (name, color) for name, color, _reset in _colors(servers, udp_client, "siprouter", ("-e",))
    )
    assert (
        got["la"] == "\x1b[1;31;49m"
        and got["le"] == "\x1b[0;31;49m"
        and got["ld"] == "\x1b[0;39;49m"
    )
    plain = _colors(servers, udp_client, "siprouter", ())
    assert plain and all(color == "" for _n, color, _r in plain)


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize(
    ("args", "extra", "modparam"),
    [(("-e",), "", ""), ((), "log_color=yes", ""),
     (("-e",), "", 'modparam("xlog", "log_colors", "L_ERR=cr;L_INFO=gx")')],
)  # fmt: skip
def test_same_colors_as_kamailio(servers: Any, udp_client: Any, args: tuple[str, ...], extra: str, modparam: str) -> None:  # fmt: skip
    ours = _colors(servers, udp_client, "siprouter", args, extra, modparam)
    assert len(ours) == 8
    assert ours == _colors(servers, udp_client, "kamailio", args, extra, modparam)
