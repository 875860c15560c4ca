"""Unit tests of runtime/socket_workers.py: which listen lines a socket_workers applies
to (only the next `listen =` line, all sockets of that line), read from a real config."""

from __future__ import annotations

from pathlib import Path

from siprouter.cfg.loader import load_config
from siprouter.cli import parse_args
from siprouter.runtime.socket_workers import per_listen

CFG = """#!KAMAILIO
children=2
listen=udp:127.0.0.1:5091
socket_workers=3
listen=udp:127.0.0.1:5092
listen=udp:127.0.0.1:5093
socket_workers=4
listen=udp:(127.0.0.1, 127.0.0.2):5094
listen=udp:127.0.0.1:5095
"""


def test_socket_workers_applies_to_the_next_listen_line_only(tmp_path: Path) -> None:
    cfg = tmp_path / "sw.cfg"
    cfg.write_text(CFG)
    loaded = load_config(parse_args(["-f", str(cfg)]))
    counts = per_listen(loaded.config)
    got = [(str(x.spec), counts.get(id(x.spec))) for x in loaded.config.listens]
    assert [c for _s, c in got] == [None, 3, None, 4, None], got
