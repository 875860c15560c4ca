"""The `$C(fb)` pseudo-variable of the xlog module: terminal color escape sequences.

`f` is the foreground and `b` the background color, each one of x (default), s (black),
r (red), g (green), y (yellow), b (blue), p (purple), c (cyan), w (white). An upper-case
foreground letter is its bright variant; the background takes lower-case letters only
(Kamailio 5.6.3 refuses `$C(rG)` at `-c`, and so does siprouter). `$C(Rg)` is
ESC "[1;31;42m", `$C(xx)` ESC "[0;39;49m", as Kamailio prints them.

The sequences are printed only when the log goes to stderr (`log_stderror`/-E) or the
xlog `force_color` parameter is 1; otherwise `$C(..)` is the empty string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siprouter.modules.xlog_params import XLOG_PARAMS
from siprouter.pv.pvclass import Getter, Index, PVClass, Value
from siprouter.runtime.logging import LOG

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

_CODES = {"x": 9, "s": 0, "r": 1, "g": 2, "y": 3, "b": 4, "p": 5, "c": 6, "w": 7}


def color_sequence(spec: str) -> str:
    """The escape sequence of a two-letter color spec; ValueError when it is not one."""
    if len(spec) != 2:
        raise ValueError(f"color {spec!r}: expected two letters (foreground, background)")
    fg, bg = spec
    fcode = _CODES.get(fg.lower())
    if fcode is None:
        raise ValueError(f"color {spec!r}: unknown foreground {fg!r} (one of xsrgybpcw)")
    bcode = _CODES.get(bg)
    if bcode is None:
        raise ValueError(f"color {spec!r}: unknown background {bg!r} (one of xsrgybpcw)")
    bright = 1 if fg.isupper() else 0
    return f"\033[{bright};3{fcode};4{bcode}m"


def colors_on() -> bool:
    """Whether $C(..) prints its sequence: logging to stderr, or force_color."""
    return LOG.stream is not None or bool(XLOG_PARAMS.force_color)


class ColorPV(PVClass):
    """$C(fb)."""

    name = "C"
    doc = "terminal color escape sequence: $C(foreground background)"

    def parse_name(self, text: str) -> Any:
        return color_sequence(text)

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return name if colors_on() else ""

    def bind_get(self, name: Any, idx: Index) -> Getter:
        seq: str = name
        return lambda ctx: seq if colors_on() else ""


COLOR = ColorPV()
