"""The command line's -l and --alias reach `myself` through the loader."""

from __future__ import annotations

from pathlib import Path

from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args

CFG = """loadmodule "sl"
auto_aliases=no
listen=udp:127.0.0.1:5060
request_route {
	if (uri==myself) { sl_send_reply("200", "me"); exit; }
	sl_send_reply("404", "not me");
}
"""


def test_cli_alias_and_listen_make_myself(tmp_path: Path) -> None:
    cfg = tmp_path / "m.cfg"
    cfg.write_text(CFG)
    plain = load_config(parse_args(["-c", "-f", str(cfg)])).compiled.myself
    assert not plain.check("foo.example.com", 5060)
    assert not plain.check("127.0.0.2", 5070)
    opts = parse_args(["-c", "-f", str(cfg), "--alias=foo.example.com", "-l", "udp:127.0.0.2:5070"])
    matcher = load_config(opts).compiled.myself
    assert matcher.check("foo.example.com", 5060)
    assert matcher.check("127.0.0.2", 5070)
    assert matcher.check("127.0.0.1", 5060)
