"""cfgutils RPC commands, as plain functions returning JSON-like data (see htable_rpc.py
for the convention; failures raise siprouter.rpc.RpcError with Kamailio's code and text).

* cfgutils.rand_set_prob p (0..100), cfgutils.rand_reset_prob, cfgutils.rand_get_prob
  -> {"actual probability": p}
* cfgutils.set_gflag mask, cfgutils.reset_gflag mask: set / clear the flags of a 32-bit
  bitmask (decimal or 0x hexadecimal); cfgutils.is_gflag mask -> True when every flag
  of the mask is set; cfgutils.get_gflags -> {"hex": "0x...", "dec": n}
* cfgutils.get_config_hash -> the MD5 (hex) of hash_file taken at start-up;
  cfgutils.check_config_hash -> "Identical hash" or 400 "The actual config file hash is
  not identical to the stored one."; 404 when no hash_file is configured.
"""

from __future__ import annotations

import hashlib
from typing import Any

from siprouter.modules.registry import RpcSpec
from siprouter.rpc import RpcError

from .cfgutils_state import GFLAGS, INITIAL_PROB, PROB, state

# hash_file: (path, md5 hex at start-up), set by the module's init
CONFIG_HASH: dict[str, str] = {}


def file_md5(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.md5(fh.read()).hexdigest()


def _mask(value: Any) -> int:
    try:
        n = int(str(value).strip(), 0)
    except ValueError:
        raise RpcError(400, "invalid bitmask (decimal or 0x-hexadecimal)") from None
    return n & 0xFFFFFFFF


def rpc_rand_set_prob(p: Any) -> None:
    try:
        n = int(p)
    except (TypeError, ValueError):
        raise RpcError(400, "invalid probability") from None
    if not 0 <= n <= 100:
        raise RpcError(400, "Invalid probability value (0-100)")
    state().words.set(PROB, n)


def rpc_rand_reset_prob() -> None:
    w = state().words
    w.set(PROB, w.get(INITIAL_PROB))


def rpc_rand_get_prob() -> dict[str, int]:
    return {"actual probability": state().words.get(PROB)}


def rpc_set_gflag(mask: Any) -> None:
    state().words.update(GFLAGS, set_bits=_mask(mask))


def rpc_reset_gflag(mask: Any) -> None:
    state().words.update(GFLAGS, clear_bits=_mask(mask))


def rpc_is_gflag(mask: Any) -> bool:
    m = _mask(mask)
    return state().words.get(GFLAGS) & m == m


def rpc_get_gflags() -> dict[str, Any]:
    v = state().words.get(GFLAGS)
    return {"hex": f"0x{v:X}", "dec": v}


def rpc_get_config_hash() -> str:
    if not CONFIG_HASH:
        raise RpcError(404, "Functionality disabled")
    return CONFIG_HASH["md5"]


def rpc_check_config_hash() -> str:
    if not CONFIG_HASH:
        raise RpcError(404, "Functionality disabled")
    try:
        now = file_md5(CONFIG_HASH["path"])
    except OSError as e:
        raise RpcError(500, f"Could not calculate the config hash: {e.strerror or e}") from None
    if now != CONFIG_HASH["md5"]:
        raise RpcError(400, "The actual config file hash is not identical to the stored one.")
    return "Identical hash"


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
