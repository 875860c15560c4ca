"""--log-engine=json[:flags]: each log line is one JSON document with Kamailio 5.6.3's
fields; compared with kamailio's for xlog lines under the flags M, a, j, N (the values of
pid/file/line/function differ by nature: C source locations there, empty here)."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest

from .sip_load import ask

CFG = """\
#!KAMAILIO
debug=2
children=1
listen=udp:127.0.0.1:@PORT@
loadmodule "pv"
loadmodule "sl"
loadmodule "xlog"
request_route {
    xinfo("hello $rm \\"q\\"\\n");
    xinfo("{ \\"src_ip\\": \\"$si\\", \\"method\\": \\"$rm\\" }");
    sl_send_reply("200", "ok");
}
"""
_DOC = re.compile(r"\{ \"(?:kamailio\.)?idx\".*?(?=\{ \"(?:kamailio\.)?idx\"|\Z)", re.S)
_VARIES = ("pid", "file", "line", "function")


def _xlog_docs(servers: Any, which: str, flags: str, udp_client: Any) -> list[Any]:
    engine = "--log-engine=json" + (f":{flags}" if flags else "")
    srv = getattr(servers, which)(CFG, engine)
    ask(udp_client, srv.port, "x", f"json-{which}-{flags}")
    servers.stop_all()
    out = []
    for raw in _DOC.findall(srv.log()):
        if 'module": "xlog"' not in raw:
            continue  # kamailio's own lines (C source paths, its quirks) are not compared
        text = raw.rstrip("\n") if "N" not in flags else raw
        doc = json.loads(text.replace('"""', '""'))  # 5.6.3 writes "function": """ with a
        if str(doc.get("module", doc.get("kamailio.module"))) != "xlog":
            continue
        for k in list(doc):
            if k.split(".")[-1] in _VARIES:
                doc[k] = type(doc[k])()
        out.append(doc)
    return out


def test_json_lines(servers: Any, udp_client: Any) -> None:
    docs = _xlog_docs(servers, "siprouter", "M", udp_client)
    assert docs == [
        {"idx": 1, "pid": 0, "level": "INFO", "module": "xlog", "file": "", "line": 0,
         "function": "", "logprefix": "", "message": 'hello OPTIONS "q"'},
        {"idx": 1, "pid": 0, "level": "INFO", "module": "xlog", "file": "", "line": 0,
         "function": "", "logprefix": "", "message": '{ "src_ip": "127.0.0.1", "method": "OPTIONS" }'},
    ]  # fmt: skip


def test_unknown_engine_is_a_startup_error(servers: Any) -> None:
    with pytest.raises(AssertionError, match="unknown log engine"):
        servers.siprouter(CFG, "--log-engine=syslogish")


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("flags", ["", "M", "a", "j", "N"])
def test_same_documents_as_kamailio(servers: Any, udp_client: Any, flags: str) -> None:
    ours = _xlog_docs(servers, "siprouter", flags, udp_client)
    assert ours and ours == _xlog_docs(servers, "kamailio", flags, udp_client)
