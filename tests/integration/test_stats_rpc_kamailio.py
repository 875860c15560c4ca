"""The stats.* and cnt.* RPC results against Kamailio 5.6.3's, with the same cfg and the
same traffic: Kamailio is asked over its jsonrpcs FIFO (in the test's temporary
directory), siprouter's commands are called in-process on a pipeline that routed the same
requests. Also `KamailioRpc`, the FIFO client the other statistics tests use."""

from __future__ import annotations

import json
import os
import select
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from siprouter import stats
from siprouter.cfg.loader import load_config
from siprouter.options import Options
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.runtime.lifecycle import init_modules
from siprouter.runtime.pipeline import Pipeline
from siprouter.runtime.state import LocalSocket
from siprouter.shared import counters as counters_mod
from siprouter.shared import space as space_mod
from siprouter.stats import sl as sl_stats
from siprouter.stats import tcp as tcp_stats

from .conftest import HAS_KAMAILIO

pytestmark = [
    pytest.mark.kamailio,
    pytest.mark.skipif(not HAS_KAMAILIO, reason="kamailio not installed"),
]

RPC_TIMEOUT = 10.0


class KamailioRpc:
    """JSON-RPC over the jsonrpcs FIFO of a running kamailio (bounded waits)."""

    def __init__(self, fifo: Path, reply_dir: Path) -> None:
        self.fifo = fifo
        self.reply_dir = reply_dir

    @staticmethod
    def modparams(fifo: Path, reply_dir: Path) -> str:
        return (
            'loadmodule "jsonrpcs"\n'
            f'modparam("jsonrpcs", "fifo_name", "{fifo}")\n'
            f'modparam("jsonrpcs", "fifo_reply_dir", "{reply_dir}/")\n'
            'modparam("jsonrpcs", "transport", 2)\n'
        )

    def raw(self, request: dict[str, Any]) -> bytes:
        """The answer's text to `request` (reply_name added)."""
        name = f"reply-{uuid.uuid4().hex[:12]}"
        path = self.reply_dir / name
        os.mkfifo(path)
        try:
            rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                wfd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                try:
                    os.write(wfd, json.dumps({**request, "reply_name": name}).encode())
                finally:
                    os.close(wfd)
                data = b""
                while True:
                    ready, _, _ = select.select([rfd], [], [], RPC_TIMEOUT)
                    assert ready, f"no answer to {request} within {RPC_TIMEOUT}s"
                    chunk = os.read(rfd, 65536)
                    if not chunk and data:
                        return data
                    data += chunk
                    try:
                        json.loads(data)
                        return data
                    except ValueError:
                        continue
            finally:
                os.close(rfd)
        finally:
            path.unlink()

    def call(self, method: str, *params: Any) -> Any:
        """The result, or RpcError for an error answer."""
        req: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": 1}
        if params:
            req["params"] = list(params)
        answer = json.loads(self.raw(req))
        if "error" in answer:
            raise RpcError(answer["error"]["code"], answer["error"]["message"])
        return answer.get("result")


MODS = """\
loadmodule "pv"
loadmodule "sl"
loadmodule "kex"
loadmodule "statistics"
loadmodule "counters"
modparam("statistics", "variable", "mystat")
modparam("statistics", "variable", "nr/no_reset")
modparam("statistics", "variable", "grp:other")
modparam("statistics", "variable", "down")
modparam("counters", "script_counter", "foo")
modparam("counters", "script_counter", "bar: bar desc")
modparam("counters", "script_counter", "baz  :  ")
"""

ROUTE = """\
request_route {
    if ($rU == "sync") { sl_send_reply("200", "sync"); exit; }
    if ($rU == "u1") { update_stat("mystat", "+3"); update_stat("nr", "+5"); cnt_inc("foo"); }
    if ($rU == "u2") { cnt_add("bar", 7); update_stat("down", "-26"); cnt_inc("sl.sent_replies"); }
    if ($rU == "u3") { reset_stat("nr"); reset_stat("mystat"); update_stat("mystat", "+2"); }
    exit;
}
"""

HEAD = "#!KAMAILIO\ndebug=2\nchildren=1\nlisten=udp:127.0.0.1:@PORT@\n"

TRAFFIC = ["u1", "u2", "u1", "u3", "u2"]

# (method, params); both answers must be equal
CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("stats.get_statistics", ("script:",)),
    ("stats.get_statistics", ("mystat", "nope", "grp:other", "nr", "script:mystat")),
    ("stats.get_statistics", ("down", 7)),
    ("stats.get_statistics", ()),
    ("stats.get_statistics", (5,)),
    ("stats.fetch", ("script:",)),
    ("stats.fetchn", ("script:",)),
    ("stats.fetch", ("nope",)),
    ("stats.fetch", ()),
    ("cnt.get", ("script", "bar")),
    ("cnt.get", ("script", "down")),
    ("cnt.get", ("script",)),
    ("cnt.get", ("script", "nope")),
    ("cnt.get", ("nope", "foo")),
    ("cnt.get", ()),
    ("cnt.get_raw", ("script", "mystat")),
    ("cnt.get_raw", ("script",)),
    ("cnt.grp_get_all", ("script",)),
    ("cnt.get_vars", ("script",)),
    ("cnt.grp_get_all", ("nope",)),
    ("cnt.var_list", ("script",)),
    ("cnt.list_vars", ("script",)),
    ("cnt.var_list", ("nope",)),
    ("cnt.var_list", ("core",)),
    ("cnt.var_list", ("sl",)),
    ("cnt.help", ("script", "bar")),
    ("cnt.help", ("script", "foo")),
    ("cnt.help", ("script", "mystat")),
    ("cnt.help", ("script", "nope")),
    ("cnt.help", ("script",)),
    ("stats.reset_statistics", ("mystat", "nr")),
    ("stats.get_statistics", ("script:",)),
    ("stats.reset_statistics", ()),
    ("stats.clear_statistics", ("bar",)),
    ("stats.clear_statistics", ("foo",)),
    ("stats.clear_statistics", ("nope",)),
    ("stats.clear_statistics", ()),
    ("cnt.reset", ("script", "nr")),
    ("cnt.reset", ("script", "down")),
    ("cnt.reset", ("script",)),
    ("cnt.reset", ("nope", "x")),
    ("stats.fetchn", ("script:",)),
    ("system.methodHelp", ()),
    ("system.methodHelp", ("nope.x",)),
    ("system.methodSignature", ("cnt.get",)),
    ("nope.nope", ()),
]


def _request(client_port: int, port: int, user: str) -> bytes:
    cid = uuid.uuid4().hex
    return (
        f"OPTIONS sip:{user}@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-{cid};rport\r\n"
        f"From: <sip:t@127.0.0.1>;tag=f-{cid}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
        f"Call-ID: {cid}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def _answer(fn: Any) -> tuple[str, Any]:
    try:
        return "result", fn()
    except RpcError as e:
        return "error", (e.code, e.message)


@pytest.fixture
def fresh() -> Any:
    space_mod.reset()
    counters_mod.reset()
    stats.reset()
    yield
    stats.reset()
    counters_mod.reset()
    space_mod.reset()


def test_rpc_answers_match_kamailio(servers, udp_client, tmp_path: Path, fresh) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "kamailio_rpc.fifo"
    kam_cfg = HEAD + MODS + KamailioRpc.modparams(fifo, tmp_path) + ROUTE
    srv = servers.kamailio(kam_cfg)
    kam = KamailioRpc(fifo, tmp_path)
    for user in [*TRAFFIC, "sync"]:
        udp_client.send(srv.port, _request(udp_client.port, srv.port, user))
    reply = udp_client.recv(10.0)
    assert reply is not None and b" 200 sync" in reply  # every earlier request was routed

    cfg = tmp_path / "siprouter.cfg"
    cfg.write_text(HEAD.replace("@PORT@", "5060") + MODS + ROUTE)
    loaded = load_config(Options(cfg_file=str(cfg)))
    init_modules(loaded.modules, loaded.compiled)
    pipeline = Pipeline(loaded.compiled)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ls = LocalSocket("udp", "127.0.0.1", 5060, 4, sock)
        for user in TRAFFIC:
            pipeline.receive(_request(5099, 5060, user), ("127.0.0.1", 5099), ls)
    ours = RpcRegistry.from_modules(loaded.modules)

    for method, params in CALLS:
        want = _answer(lambda m=method, p=params: kam.call(m, *p))
        got = _answer(lambda m=method, p=params: ours.call(m, *p))
        assert got == want, f"{method}{params}"


def test_core_and_sl_names_match_kamailio(servers, tmp_path: Path, fresh) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "kamailio_rpc.fifo"
    srv = servers.kamailio(HEAD + MODS + KamailioRpc.modparams(fifo, tmp_path) + ROUTE)
    assert srv.port
    kam = KamailioRpc(fifo, tmp_path)
    reg = stats.registry()
    sl_stats.declare()
    tcp_stats.declare()
    for group in ("core", "sl", "tcp"):
        assert [s.name for s in reg.in_group(group)] == kam.call("cnt.var_list", group), group
    # Kamailio has more groups (dns, shmem) siprouter does not count
    assert {"core", "script", "sl", "tcp"} <= set(kam.call("cnt.grps_list"))


TEXT_REQUESTS: list[dict[str, Any]] = [
    {"jsonrpc": "2.0", "method": "stats.get_statistics", "params": ["script:"], "id": 7},
    {"jsonrpc": "2.0", "method": "stats.fetch", "params": ["script:"], "id": "abc"},
    {"jsonrpc": "2.0", "method": "stats.fetchn", "params": ["down"], "id": None},
    {"jsonrpc": "2.0", "method": "cnt.get", "params": {"g": "script", "n": "bar"}},
    {"jsonrpc": "2.0", "method": "cnt.get", "params": ["script"], "id": 1},
    {"jsonrpc": "2.0", "method": "cnt.var_list", "params": ["nope"], "id": 1},
    {"jsonrpc": "2.0", "method": "cnt.help", "params": ["script", "nope"], "id": 1},
    {"jsonrpc": "2.0", "method": "cnt.reset", "params": ["script", "foo"], "id": 1},
    {"jsonrpc": "2.0", "method": "stats.clear_statistics", "params": ["bar"], "id": 1},
    {"jsonrpc": "2.0", "method": "nope.nope", "id": 1},
]


def test_jsonrpc_text_matches_kamailio(servers, udp_client, tmp_path: Path, fresh) -> None:  # type: ignore[no-untyped-def]
    """The whole answer text, byte for byte: envelope, id rules, cJSON formatting."""
    from siprouter.rpc import jsonrpc

    fifo = tmp_path / "kamailio_rpc.fifo"
    srv = servers.kamailio(HEAD + MODS + KamailioRpc.modparams(fifo, tmp_path) + ROUTE)
    kam = KamailioRpc(fifo, tmp_path)
    for user in [*TRAFFIC, "sync"]:
        udp_client.send(srv.port, _request(udp_client.port, srv.port, user))
    reply = udp_client.recv(10.0)
    assert reply is not None and b" 200 sync" in reply

    cfg = tmp_path / "siprouter.cfg"
    cfg.write_text(HEAD.replace("@PORT@", "5060") + MODS + ROUTE)
    loaded = load_config(Options(cfg_file=str(cfg)))
    init_modules(loaded.modules, loaded.compiled)
    pipeline = Pipeline(loaded.compiled)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        ls = LocalSocket("udp", "127.0.0.1", 5060, 4, sock)
        for user in TRAFFIC:
            pipeline.receive(_request(5099, 5060, user), ("127.0.0.1", 5099), ls)
    ours = RpcRegistry.from_modules(loaded.modules)
    for req in TEXT_REQUESTS:
        want = kam.raw(req).decode()
        assert jsonrpc.response_text(req, ours) == want, req
    assert jsonrpc.response_text({"method": "cnt.grps_list", "id": 1}, ours) is None
