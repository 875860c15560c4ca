"""siputils P-Charging-Vector (RFC 7315): sip_p_charging_vector(flags) and $pcv(name).

* sip_p_charging_vector(flags): `r` removes the P-Charging-Vector headers, `g` adds
  one when the message has none, `f` does both (replace); 1. The added header is
  `P-Charging-Vector: icid-value=<32 hex digits>; icid-generated-at=<local IP>` after
  the last header (as Kamailio 5.6.3 writes it). The icid is unique per server: the
  bytes "IVS", the IPv4 address the request arrived on, the process id and a counter.
  Known difference: Kamailio 5.6.3 leaves an existing header in the forwarded message
  for `r` and `f` (and then adds none for `f`), against its documentation; siprouter
  removes it as documented. `g` and `f` without a header, and `g` with one, behave alike
  (tests/integration/test_mod_siputils.py, tests/compat/cases/siputils_msg.toml).
* $pcv(all | value | genaddr | orig | term): the header generated for this message
  (`all` is then the whole header line, as in Kamailio), else the message's first
  P-Charging-Vector header (`all` its value; icid-value, icid-generated-at, orig-ioi,
  term-ioi). $null when there is none or it has no icid-value. Read-only.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.pvclass import Index, PVClass, Value
from siprouter.sip import headers as H
from siprouter.sip.lumps import LumpError

from .siputils_args import log

_STATE = "siputils_pcv"
_COUNTER = itertools.count(1)
PCV_FIELDS = ("all", "value", "genaddr", "orig", "term")
_PARAM_OF = {"value": "icid-value", "genaddr": "icid-generated-at", "orig": "orig-ioi",
             "term": "term-ioi"}  # fmt: skip


def fix_flags(a: Any) -> str:
    flags = str(a)
    bad = set(flags) - set("rgf")
    if not flags or bad:
        raise ValueError(f"bad P-Charging-Vector flags {flags!r} (use r, g and f)")
    return flags


def make_icid(local_ip: str) -> str:
    try:
        packed = ipaddress.IPv4Address(local_ip).packed
    except ValueError:
        packed = bytes(4)
    pid = os.getpid().to_bytes(4, "little")
    count = (next(_COUNTER) % (1 << 40)).to_bytes(5, "little")
    return (b"IVS" + packed + pid + count).hex().upper()


def parse_pcv(value: str) -> dict[str, str] | None:
    """The fields of a P-Charging-Vector value; None without icid-value."""
    fields: dict[str, str] = {}
    for item in value.split(";"):
        name, eq, val = item.partition("=")
        name = name.strip().lower()
        if name and eq and name not in fields:
            fields[name] = val.strip()
    if "icid-value" not in fields:
        return None
    return fields


def sip_p_charging_vector(ctx: MsgContext, flags: str) -> int:
    msg = ctx.msg
    present = H.P_CHARGING_VECTOR in msg.header_ids
    try:
        if "r" in flags or "f" in flags:
            ctx.changes.remove_headers(H.P_CHARGING_VECTOR)
            present = False
        if ("g" in flags or "f" in flags) and not present:
            icid = make_icid(ctx.rcv.dst_ip)
            line = f"P-Charging-Vector: icid-value={icid}; icid-generated-at={ctx.rcv.dst_ip}\r\n"
            ctx.changes.add_header(line)
            ctx.module_state()[_STATE] = {
                "all": line,
                "icid-value": icid,
                "icid-generated-at": ctx.rcv.dst_ip,
            }
    except LumpError as e:
        log.error("sip_p_charging_vector: %s", e)
        return -1
    return 1


class PcvPV(PVClass):
    """$pcv(all|value|genaddr|orig|term), read-only; a bad name is a config error."""

    name = "pcv"
    doc = "P-Charging-Vector fields: all, value, genaddr, orig, term"

    def parse_name(self, text: str) -> Any:
        if text not in PCV_FIELDS:
            raise ValueError(f"unknown pcv name {text!r} (one of {', '.join(PCV_FIELDS)})")
        return text

    def get_at(self, ctx: MsgContext, name: Any, idx: Index) -> Value:
        return get_pcv(ctx, name)


PCV = PcvPV()


def get_pcv(ctx: MsgContext, name: str) -> str | None:
    generated = (ctx.mod or {}).get(_STATE)
    if generated is not None:
        fields: dict[str, str] | None = generated
    else:
        raw = ctx.msg.header(H.P_CHARGING_VECTOR)
        if raw is None:
            return None
        text = raw.decode("utf-8", "surrogateescape")
        fields = parse_pcv(text)
        if fields is not None:
            fields = {**fields, "all": text}
    if fields is None:
        return None
    if name == "all":
        return fields["all"]
    value = fields.get(_PARAM_OF[name])
    return value
