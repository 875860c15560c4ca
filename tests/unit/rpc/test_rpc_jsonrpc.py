"""JSON-RPC envelope and printing as Kamailio 5.6.3's jsonrpcs (texts recorded from
kamailio's FIFO; the live comparison is tests/integration/test_stats_rpc_kamailio.py)."""

from __future__ import annotations

from siprouter.modules.registry import RpcSpec
from siprouter.rpc import RpcError, RpcRegistry
from siprouter.rpc.jsonrpc import dumps, handle, response_text


def _registry() -> RpcRegistry:
    reg = RpcRegistry()

    def echo(*params: object) -> list[object]:
        return list(params)

    def fail() -> None:
        raise RpcError(400, "non-existent counter script.nope\n")

    def nothing() -> None:
        return None

    reg.add_all("t", [RpcSpec("t.echo", echo), RpcSpec("t.fail", fail), RpcSpec("t.none", nothing)])
    return reg


def test_envelope_ids_and_params() -> None:
    reg = _registry()
    assert handle({"jsonrpc": "2.0", "method": "t.echo", "params": ["a", 1], "id": 7}, reg) == {
        "jsonrpc": "2.0",
        "result": ["a", 1],
        "id": 7,
    }
    by_name = {"jsonrpc": "2.0", "method": "t.echo", "params": {"x": "g", "y": "n"}}
    assert handle(by_name, reg) == {"jsonrpc": "2.0", "result": ["g", "n"]}
    assert handle({"jsonrpc": "2.0", "method": "t.none", "id": None}, reg) == {
        "jsonrpc": "2.0",
        "result": {},
        "id": 0,
    }
    assert handle('{"jsonrpc": "2.0", "method": "t.fail", "id": "x"}', reg) == {
        "jsonrpc": "2.0",
        "error": {"code": 400, "message": "non-existent counter script.nope\n"},
        "id": "x",
    }
    assert handle({"jsonrpc": "2.0", "method": "no.such", "id": 1}, reg)["error"] == {  # type: ignore[index]
        "code": 500,
        "message": "Method Not Found",
    }
    for bad in ({"method": "t.echo", "id": 1}, {"jsonrpc": "2.0", "id": 1}, "{not json", []):
        assert handle(bad, reg) is None  # type: ignore[arg-type]


def test_text_as_kamailio_prints_it() -> None:
    reg = _registry()
    req = {"jsonrpc": "2.0", "method": "t.echo", "params": ["script:mystat = 0", "x"], "id": 0}
    assert response_text(req, reg) == (
        '{\n\t"jsonrpc":\t"2.0",\n\t"result":\t["script:mystat = 0", "x"],\n\t"id":\t0\n}'
    )
    assert response_text({"jsonrpc": "2.0", "method": "t.none", "id": 1}, reg) == (
        '{\n\t"jsonrpc":\t"2.0",\n\t"result":\t{\n\t},\n\t"id":\t1\n}'
    )
    assert response_text({"jsonrpc": "2.0", "method": "t.fail", "id": 1}, reg) == (
        '{\n\t"jsonrpc":\t"2.0",\n\t"error":\t{\n\t\t"code":\t400,\n\t\t"message":\t'
        '"non-existent counter script.nope\\n"\n\t},\n\t"id":\t1\n}'
    )


def test_values_printed_as_cjson() -> None:
    assert dumps([]) == "[]"
    assert dumps({"a": [{"b": 1}]}) == '{\n\t"a":\t[{\n\t\t\t"b":\t1\n\t\t}]\n}'
    assert dumps('a"b\\c\nd\te\x01 é') == '"a\\"b\\\\c\\nd\\te\\u0001 é"'
    assert dumps(2**64 - 26) == "18446744073709551616"  # through a double, as Kamailio
    assert dumps(2**31 - 1) == "2147483647"
    assert dumps(1.5) == "1.500000" and dumps(3.0) == "3" and dumps(1e-7) == "1.000000e-07"
    assert (dumps(None), dumps(True), dumps(False)) == ("null", "true", "false")
