"""Calling a running Kamailio's RPC commands over the jsonrpcs FIFO transport, for the
differential RPC tests: the request names a reply FIFO made for it, the answer is read
from there (bounded waits)."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

WAIT = 15.0


def jsonrpcs_cfg(fifo: str) -> str:
    """The cfg lines that load jsonrpcs answering over the FIFO at `fifo`."""
    return (
        'loadmodule "jsonrpcs"\nmodparam("jsonrpcs", "transport", 2)\n'
        f'modparam("jsonrpcs", "fifo_name", "{fifo}")\n'
    )


def kamailio_rpc_answer(fifo: str, method: str, *params: Any, reply_dir: str = "/tmp") -> Any:
    """The whole JSON-RPC answer of Kamailio to `method(params)`."""
    name = f"siprouter-rpc-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    reply = Path(reply_dir) / name
    os.mkfifo(reply)
    try:
        req = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
        req["reply_name"] = name
        deadline = time.monotonic() + WAIT
        while not os.path.exists(fifo):
            assert time.monotonic() < deadline, "no jsonrpcs fifo"
            time.sleep(0.05)
        with open(fifo, "w") as fh:
            fh.write(json.dumps(req) + "\n")
        with open(reply) as fh:
            return json.loads(fh.read())
    finally:
        reply.unlink()


def kamailio_rpc(fifo: str, method: str, *params: Any) -> Any:
    """The result, or ("error", code, message) for an error answer."""
    answer = kamailio_rpc_answer(fifo, method, *params)
    if "error" in answer:
        return ("error", answer["error"]["code"], answer["error"]["message"])
    return answer["result"]
