"""textopsx's selects: `@hf_value`, `@hf_value2`, `@hf_value_exists` (available when
the config loads textopsx), over the header values of modules/textopsx_hfv.py.

As Kamailio 5.6.3 gives them (tests/compat/cases/selects_textopsx.toml); HFNAME is a
header name with `_` read as `-`:

* `@hf_value.HFNAME[n]`: the n-th comma-separated value over every HFNAME header
  (1 the first, negative from the end); without index every value, joined by ",";
* `.p.NAME` / `.param.NAME`: a parameter of the value ("" for one without `=value`),
  `.uri` (the URI, `<>` excluded; without index every value's, joined by ","), then the
  URI parts; `.name` (the display name without quotes), `.nameaddr.uri|name|params`;
* `@hf_value2.HFNAME[n]`: the n-th whole header (Authorization-like values);
* `@hf_value_exists.HFNAME.VALUE`: "1" when a value of HFNAME equals VALUE (any
  case), else "0".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siprouter.modules.textops_hdr import NameMatcher
from siprouter.modules.textopsx_hfv import values
from siprouter.sip.hdr_params import split_commas

from .core_uri import URI_PARTS, nameaddr_parts
from .table import ROOT, Arg, SelNode, Text

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

MODULE = "textopsx"


def _matcher(name: str) -> NameMatcher:
    return NameMatcher(name.replace("_", "-"))


def _texts(ctx: MsgContext, name: str, whole: bool) -> list[str]:
    data = ctx.msg.data
    return [
        data[v.start : v.end].decode("utf-8", "surrogateescape")
        for v in values(ctx, _matcher(name), whole)
    ]


def _pick(texts: list[str], idx: int | str | None) -> Text:
    if not texts:
        return None
    if not isinstance(idx, int):
        return ",".join(texts)
    i = idx - 1 if idx > 0 else len(texts) + idx
    return texts[i] if idx != 0 and 0 <= i < len(texts) else None


def _hf_value(ctx: MsgContext, _v: str, a: Arg) -> Text:
    return _pick(_texts(ctx, a.name, False), a.index)


def _hf_value2(ctx: MsgContext, _v: str, a: Arg) -> Text:
    texts = _texts(ctx, a.name, True)
    return _pick(texts, a.index if isinstance(a.index, int) else 1)


def _items(v: str) -> list[str]:
    data = v.encode("utf-8", "surrogateescape")
    return [
        data[s:e].decode("utf-8", "surrogateescape").strip()
        for s, e in split_commas(data, 0, len(data))
    ]


def _uri_of_value(v: str) -> str:
    lt = v.find("<")
    if lt >= 0:
        gt = v.find(">", lt)
        return v[lt + 1 : gt if gt > 0 else len(v)].strip()
    return v.split(";", 1)[0].strip()


def _params_of_value(v: str) -> str:
    gt = v.find(">") if "<" in v else -1
    rest = v[gt + 1 :] if gt >= 0 else v
    semi = rest.find(";")
    return "" if semi < 0 else rest[semi + 1 :]


def _uri(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    return ",".join(_uri_of_value(x) for x in _items(v))


def _name(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    items = _items(v)
    if not items:
        return None
    first = items[0]
    if first.startswith('"'):
        end = first.find('"', 1)
        return first[1:end] if end > 0 else first[1:]
    lt = first.find("<")
    return first[:lt].strip() if lt >= 0 else ""


def _param(_ctx: MsgContext, v: str, a: Arg) -> Text:
    items = _items(v)
    if not items:
        return None
    want = a.name.lower()
    for p in _params_of_value(items[0]).split(";"):
        name, eq, value = p.partition("=")
        if name.strip().lower() == want:
            return value.strip() if eq else ""
    return None


def _keep(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    return v


def _first_item(_ctx: MsgContext, v: str, _a: Arg) -> Text:
    items = _items(v)
    return items[0] if items else None


def _exists(ctx: MsgContext, name: str, a: Arg) -> Text:
    want = a.name.lower()
    return "1" if any(t.lower() == want for t in _texts(ctx, name, False)) else "0"


def _name_arg(_ctx: MsgContext, _v: str, a: Arg) -> Text:
    return a.name


_PARAM = SelNode(_keep, any=SelNode(_param), final=False)
_HF = SelNode(
    _hf_value,
    index="int",
    children={
        "p": _PARAM,
        "param": _PARAM,
        "uri": SelNode(_uri, children=URI_PARTS),
        "name": SelNode(_name),
        "nameaddr": SelNode(_first_item, children=nameaddr_parts(tag=True, params_alone=True)),
    },
)
ROOT.child("hf_value", SelNode(_keep, any=_HF, final=False, module=MODULE))
ROOT.child(
    "hf_value2",
    SelNode(_keep, any=SelNode(_hf_value2, index="int"), final=False, module=MODULE),
)
ROOT.child(
    "hf_value_exists",
    SelNode(
        _keep,
        any=SelNode(_name_arg, any=SelNode(_exists), final=False),
        final=False,
        module=MODULE,
    ),
)
