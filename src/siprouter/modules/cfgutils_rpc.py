"""cfgutils RPC commands, answering as Kamailio 5.6.3's do through jsonrpcs (recorded
from kamailio; tests/integration/test_mod_htable_rpc.py compares them live). The
convention is htable_rpc.py's: plain functions, failures raise siprouter.rpc.RpcError.

* cfgutils.rand_set_prob p -> {} (p a JSON number 0..100, a string counts 0, as
  Kamailio's; outside: 500 "Invalid Percent"); cfgutils.rand_reset_prob -> {};
  cfgutils.rand_get_prob -> "actual probability: P percent";
* cfgutils.set_gflag mask, cfgutils.reset_gflag mask -> {}: set / clear the flags of a
  32-bit bitmask (a number, or a decimal or 0x-hexadecimal string; anything else is 0);
  cfgutils.is_gflag mask -> "TRUE" when every flag of the mask is set, else "FALSE";
  cfgutils.get_gflags -> "0xHEX (DEC)";
* cfgutils.get_config_hash -> the MD5 (hex) of hash_file taken at start-up, "" without
  hash_file; cfgutils.check_config_hash -> "Identical hash" or "Different hash" (the
  file now), 500 "No hash file" without hash_file.
"""

from __future__ import annotations

import hashlib
from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc import RpcError

from .cfgutils_state import GFLAGS, INITIAL_PROB, PROB, state
from .htable_rpc import rpc_int

# hash_file: path and MD5 hex at start-up, set by the module's init
CONFIG_HASH: dict[str, str] = {}


def file_md5(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.md5(fh.read()).hexdigest()


def _mask(value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(value.strip(), 0) & 0xFFFFFFFF
        except ValueError:
            return 0
    return rpc_int(value) & 0xFFFFFFFF


def rpc_rand_set_prob(p: Any) -> None:
    n = rpc_int(p)
    if not 0 <= n <= 100:
        raise RpcError(500, "Invalid Percent")
    state().words.set(PROB, n)


def rpc_rand_reset_prob() -> None:
    w = state().words
    w.set(PROB, w.get(INITIAL_PROB))


def rpc_rand_get_prob() -> str:
    return f"actual probability: {state().words.get(PROB)} percent"


def rpc_set_gflag(mask: Any) -> None:
    state().words.update(GFLAGS, set_bits=_mask(mask))


def rpc_reset_gflag(mask: Any) -> None:
    state().words.update(GFLAGS, clear_bits=_mask(mask))


def rpc_is_gflag(mask: Any) -> str:
    m = _mask(mask)
    return "TRUE" if state().words.get(GFLAGS) & m == m else "FALSE"


def rpc_get_gflags() -> str:
    v = state().words.get(GFLAGS)
    return f"0x{v:X} ({v})"


def rpc_get_config_hash() -> str:
    return CONFIG_HASH.get("md5", "")


def rpc_check_config_hash() -> str:
    if not CONFIG_HASH:
        raise RpcError(500, "No hash file")
    try:
        now = file_md5(CONFIG_HASH["path"])
    except OSError as e:
        raise RpcError(500, f"Could not calculate the config hash: {e.strerror or e}") from None
    return "Identical hash" if now == CONFIG_HASH["md5"] else "Different hash"


def rpc_specs() -> list[RpcSpec]:
    return [
        RpcSpec("cfgutils.rand_set_prob", rpc_rand_set_prob, "set the probability (0-100)"),
        RpcSpec("cfgutils.rand_reset_prob", rpc_rand_reset_prob, "reset the probability"),
        RpcSpec("cfgutils.rand_get_prob", rpc_rand_get_prob, "the probability"),
        RpcSpec("cfgutils.set_gflag", rpc_set_gflag, "set the flags of a bitmask"),
        RpcSpec("cfgutils.reset_gflag", rpc_reset_gflag, "reset the flags of a bitmask"),
        RpcSpec("cfgutils.is_gflag", rpc_is_gflag, "whether every flag of a bitmask is set"),
        RpcSpec("cfgutils.get_gflags", rpc_get_gflags, "the global flags"),
        RpcSpec("cfgutils.get_config_hash", rpc_get_config_hash, "MD5 of hash_file at start"),
        RpcSpec("cfgutils.check_config_hash", rpc_check_config_hash, "hash_file unchanged?"),
    ]
