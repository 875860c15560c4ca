"""The RPC registry: every RPC command of the running server, callable by name.

Modules export RPC commands as `RpcSpec` entries (modules/registry.py); the registry
gathers those of the loaded modules plus the core's own (system.listMethods,
system.methodHelp, system.methodSignature). `call(method, *params)` runs one and returns
what Kamailio's JSON-RPC answers as `result` (lists, dicts, ints, strings), or raises
`RpcError(code, message)` where Kamailio answers an `error` object. The control interface
(jsonrpcs) serialises these; tests call them directly. `jsonrpc.py` turns a JSON-RPC
request into the response object and text Kamailio's jsonrpcs would send.
"""

from .registry import RpcError, RpcRegistry, call, current, set_current

__all__ = ["RpcError", "RpcRegistry", "call", "current", "set_current"]
