"""Destination-set PVs of the pv module (Kamailio 5.6.3 values, checked with kamailio -E):

* $branch(key) / $(branch(key)[i]): attribute of the i-th appended branch (0 first):
  uri, dst_uri, q (0..1000, -1 none), path, send_socket, flags, ruid, instance,
  location_ua ($null: no usrloc here), and count (how many branches). Assigning changes
  that attribute of an existing branch (an index past the end is an error);
* $sbranch(key): the "static branch" filled by assignments and used by sbranch_append /
  sbranch_set_ruri (pv_sbranch.py), per message; sbranch_reset clears it;
* $ds: the destination set as Kamailio prints it, `Contact: <uri>;q=0.5, <uri2>` (the
  new Request-URI first when the script changed it), $null when empty;
* $nh(u|U|d|p|P): the next hop ($du when set, else the Request-URI): URI, user, host,
  port (5060 when absent, 5061 for sips) and transport (upper case, UDP by default);
* $oUl: the length of the original Request-URI's user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siprouter.engine.context import Branch
from siprouter.modules.registry import PVSpec

from .impl_net import q_text
from .impl_uri import uri_of
from .pvclass import ALL, Index, PVClass, PVError, Value

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

BRANCH_KEYS = (
    "uri", "dst_uri", "q", "path", "send_socket", "flags", "ruid", "instance",
    "location_ua", "count",
)  # fmt: skip
_ATTR = {"send_socket": "force_socket"}
_SETTABLE = ("uri", "dst_uri", "q", "path", "send_socket", "flags", "ruid", "instance")


def branch_attr(b: Branch, key: str) -> Value:
    if key == "location_ua":
        return None
    v = getattr(b, _ATTR.get(key, key))
    return v if v is not None and v != "" else None


def set_branch_attr(b: Branch, key: str, value: Value) -> None:
    attr = _ATTR.get(key, key)
    if key in ("q", "flags"):
        try:
            number = int(value) if value is not None else (-1 if key == "q" else 0)
        except ValueError:
            raise PVError(f"branch {key} needs a number, got {value!r}") from None
        setattr(b, attr, number)
        return
    if key == "uri" and not value:
        raise PVError("branch uri cannot be empty")
    setattr(b, attr, None if value is None or value == "" else str(value))


class BranchPV(PVClass):
    name = "branch"
    indexed = True
    settable = True
    doc = "attribute of an appended branch: $(branch(uri)[i])"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in BRANCH_KEYS:
            raise ValueError(f"unknown PV branch name {text!r} ({', '.join(BRANCH_KEYS)})")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        branches = ctx.branches
        if name == "count":
            return len(branches)
        i = 0 if idx is None or idx is ALL else idx
        assert isinstance(i, int)
        if not -len(branches) <= i < len(branches):
            return None
        return branch_attr(branches[i], name)

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        if name not in _SETTABLE:
            raise PVError(f"$branch({name}) is read-only")
        branches = ctx.branches
        i = 0 if idx is None or idx is ALL else idx
        assert isinstance(i, int)
        if not -len(branches) <= i < len(branches):
            raise PVError(f"$branch({name}): no branch [{i}]")
        set_branch_attr(branches[i], name, value)


SBRANCH_STATE = "sbranch"


def static_branch(ctx: MsgContext, create: bool) -> Branch | None:
    """The $sbranch of this message (None when unset and not `create`)."""
    mod = ctx.mod
    b = mod.get(SBRANCH_STATE) if mod else None
    if b is None and create:
        b = ctx.module_state()[SBRANCH_STATE] = Branch("")
    return b


class SBranchPV(PVClass):
    name = "sbranch"
    settable = True
    doc = "the static branch: $sbranch(uri|dst_uri|q|path|send_socket|flags|ruid|instance)"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in _SETTABLE:
            raise ValueError(f"unknown PV sbranch name {text!r} ({', '.join(_SETTABLE)})")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        b = static_branch(ctx, False)
        return branch_attr(b, name) if b is not None else None

    def set_at(self, ctx: MsgContext, name: Any, idx: Index, value: Value) -> None:
        b = static_branch(ctx, True)
        assert b is not None
        attr = _ATTR.get(name, name)
        if name in ("q", "flags"):
            set_branch_attr(b, name, value)
        else:
            setattr(b, attr, "" if name == "uri" and value is None else value)


def dset_text(ctx: MsgContext) -> str | None:
    """`<uri>;q=.., <uri2>` of the new R-URI (when changed) and the branches."""
    entries: list[str] = []
    if ctx.new_uri is not None:
        entries.append(f"<{ctx.new_uri}>")
    for b in ctx.branches:
        entries.append(f"<{b.uri}>" + (f";q={q_text(b.q)}" if b.q >= 0 else ""))
    return ", ".join(entries) if entries else None


def get_ds(ctx: MsgContext) -> Value:
    text = dset_text(ctx)
    return f"Contact: {text}" if text is not None else None


class NhPV(PVClass):
    name = "nh"
    doc = "next hop ($du, else the R-URI): $nh(u|U|d|p|P)"

    def parse_name(self, text: str) -> Any:
        key = text.strip()
        if key not in ("u", "U", "d", "p", "P"):
            raise ValueError(f"unknown $nh key {text!r} (u, U, d, p or P)")
        return key

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        text = ctx.dst_uri or ctx.ruri
        if not text:
            return None
        if name == "u":
            return text
        u = uri_of(text)
        if u is None:
            return None
        if name == "U":
            return u.user or None
        if name == "d":
            return u.host or None
        if name == "p":
            return u.port if u.port is not None else (5061 if u.scheme == "sips" else 5060)
        transport = next((v for k, v in u.param_list if k.lower() == "transport" and v), None)
        return transport.upper() if transport else "UDP"


def get_oUl(ctx: MsgContext) -> Value:
    r = ctx.msg.ruri
    u = uri_of(r) if r is not None else None
    return len(u.user or "") if u is not None else None


def branchx_specs() -> list[PVSpec]:
    return [
        BranchPV().spec(),
        SBranchPV().spec(),
        PVSpec("ds", get_ds, doc="destination set"),
        NhPV().spec(),
        PVSpec("oUl", get_oUl, doc="length of the original R-URI user"),
    ]
