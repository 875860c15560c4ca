"""Selects: `@ruri.user`, `@via[2].host`, `@cfg_get.group.var`, ... and `$sel(...)`.

`compile_select(node_or_text, modules)` resolves a select once (unknown names are
ConfigErrors at the select's position) into a `Select` whose `get(ctx)` gives its text
value per message, or None. `table.py` holds the tree and its rules; `core_msg.py`
the core's message selects, `core_uri.py` the URI / name-addr parts, `cfg_get.py`
the custom global parameters, `hf_value.py` textopsx's. A module adds its own with `register(path, step,
module=...)`: the select then exists only in configs that load that module.
"""

from __future__ import annotations

from . import cfg_get, core_msg, hf_value  # noqa: F401  (they register the selects)
from .table import ROOT, Arg, Select, SelectError, SelNode, compile_select, parse_text, register

__all__ = [
    "ROOT",
    "Arg",
    "SelNode",
    "Select",
    "SelectError",
    "compile_select",
    "parse_text",
    "register",
]
