"""`$sel(name)`: a select read as a pseudo-variable (Kamailio's pv module exports it).

The inner name is a select without the `@` (`$sel(via[1].host)`,
`$sel(cfg_get.pstn.gw_ip)`), resolved once where the config uses it; an unknown
select is a config error ("invalid name param"), as in Kamailio 5.6.3. Read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siprouter.modules.registry import InnerName
from siprouter.pv.pvclass import Getter, Index, PVClass, Value

from .cfg_get import sel_pv_names
from .table import Select, SelectError, parse_text, resolve

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext


class SelPV(PVClass):
    """$sel(select name)."""

    name = "sel"
    inner = InnerName.REQUIRED
    doc = "the value of a select: $sel(via[1].host)"

    def parse_name(self, text: str) -> Select:
        try:
            parts, raw = parse_text(text)
            with sel_pv_names():
                return resolve(parts, raw)
        except SelectError as e:
            raise ValueError(str(e)) from None

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return name.get(ctx)  # type: ignore[no-any-return]

    def bind_get(self, name: Any, idx: Index) -> Getter:
        return name.get  # type: ignore[no-any-return]


SEL = SelPV()
