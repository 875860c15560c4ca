"""The parser accepts the configs installed by the Debian package (preprocessed, with and
without -A defines), and agrees with `kamailio -c` on which ones have syntax errors."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess

import pytest

from siprouter.cfg.errors import ConfigError
from siprouter.cfg.parser import parse
from siprouter.cfg.preprocess import preprocess

FILES = sorted(
    {"/etc/kamailio/kamailio.cfg"}
    | set(glob.glob("/usr/share/doc/kamailio/examples/**/*.cfg", recursive=True))
)
WITH_ALL = dict.fromkeys(
    [
        "WITH_MYSQL",
        "WITH_AUTH",
        "WITH_USRLOCDB",
        "WITH_NAT",
        "WITH_TLS",
        "WITH_PRESENCE",
        "WITH_ANTIFLOOD",
        "WITH_IPAUTH",
        "WITH_ACCDB",
        "WITH_DEBUG",
        "WITH_PSTN",
        "WITH_XMLRPC",
        "WITH_WEBSOCKETS",
        "WITH_RTPENGINE",
        "WITH_MULTIDOMAIN",
        "WITH_NATSIPPING",
        "WITH_BLOCK3XX",
        "WITH_BLOCK401407",
        "WITH_VOICEMAIL",
    ]
)

# Files Kamailio 5.6.3 also rejects with a syntax error (old examples): line of the
# first error we report.
KNOWN_BROKEN = {
    "exec/exec_s5.cfg": 31,  # `route(1)` without ';' before else
    "exec/exec_s5b.cfg": 31,
    "kamailio/exec_s5.cfg": 34,
    "mixed/acc.cfg": 38,  # removed keyword max_len
    "mixed/dbtext.cfg": 77,  # (Kamailio stops earlier: unknown parameter fifo)
    "mixed/nathelper.cfg": 100,
    "mixed/pstn.cfg": 47,
    "mixed/replicate.cfg": 42,
    "mixed/serial_183.cfg": 29,
    "mixed/voicemail.cfg": 49,
    "mixed/welcome.cfg": 54,
    "presence/full-no-failover.cfg": 148,
    "presence/no-db.cfg": 95,
    "ims/pcscf/route/websocket.cfg": 12,  # MY_WS_PORT undefined in the fragment
    "ims/pcscf/kamailio.cfg": 840,  # PCSCF_URL comes from a missing import_file
    "kemi/kamailio-basic-kemi-native.cfg": 170,  # setbflag(FLB_NATB): FLB_NATB never defined
}
# Where `kamailio -c` and the parser legitimately differ, with the reason.
DIFFERENTIAL_EXCEPTIONS = {
    "mixed/flag_reply.cfg": "unknown core parameter 'fifo': the checker's parameter table",
    "mixed/snmp.cfg": "unknown core parameter 'statistics': the checker's parameter table",
    "ims/pcscf/kamailio.cfg": "Kamailio stops reporting after many missing-module errors",
}


def _short(path: str) -> str:
    return path.split("/examples/", 1)[-1]


def _preprocess(path: str, defines: dict[str, None]):
    try:
        return preprocess(path, defines=defines)
    except ConfigError:
        return None  # missing includes etc.: the preprocessor's tests cover those


@pytest.mark.parametrize("defines", [{}, WITH_ALL], ids=["plain", "with-all"])
@pytest.mark.parametrize("path", FILES, ids=_short)
def test_stock_config(path: str, defines: dict[str, None]) -> None:
    pre = _preprocess(path, defines)
    if pre is None:
        pytest.skip("preprocessing fails (missing include or define clash)")
    broken = KNOWN_BROKEN.get(_short(path))
    if broken is None:
        cfg = parse(pre.text, pre.srcmap)
        assert cfg.route_list or cfg.params or cfg.modparams
    else:
        with pytest.raises(ConfigError) as info:
            parse(pre.text, pre.srcmap)
        assert info.value.pos is not None and info.value.pos.line == broken


def test_main_config_shape() -> None:
    pre = preprocess("/etc/kamailio/kamailio.cfg", defines=WITH_ALL)
    cfg = parse(pre.text, pre.srcmap)
    assert cfg.route("request") is not None
    assert {"REQINIT", "RELAY", "WITHINDLG"} <= set(cfg.routes["route"])
    assert cfg.route("failure", "MANAGE_FAILURE") is not None
    assert any(m.path.startswith("tm") for m in cfg.loadmodules)
    assert all(b.pos.file == "/etc/kamailio/kamailio.cfg" for b in cfg.route_list)


# Configs whose own listen/alias values make `kamailio -c` query DNS (checked with
# strace): not run through kamailio, only loopback traffic is allowed here.
NEEDS_DNS = {"mixed/kamailio-minimal-anycast.cfg", "mixed/logging.cfg"}


def _kamailio_syntax_error(path: str) -> bool:
    proc = subprocess.run(
        ["kamailio", "-c", "-l", "udp:127.0.0.1:5099", "-f", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return bool(re.search(r"syntax error|yylex\(\)", proc.stderr))


@pytest.mark.kamailio
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
@pytest.mark.parametrize("path", FILES, ids=_short)
def test_same_syntax_verdict_as_kamailio(path: str) -> None:
    if _short(path) in NEEDS_DNS:
        pytest.skip("kamailio -c would send DNS queries for this config's addresses")
    pre = _preprocess(path, {})
    if pre is None:
        pytest.skip("preprocessing fails")
    try:
        parse(pre.text, pre.srcmap)
        ours = False
    except ConfigError:
        ours = True
    theirs = _kamailio_syntax_error(path)
    if _short(path) in DIFFERENTIAL_EXCEPTIONS:
        assert ours != theirs, "exception no longer needed"
    else:
        assert ours == theirs
