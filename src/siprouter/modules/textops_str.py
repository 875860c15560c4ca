"""textops string functions and is_method, with Kamailio 5.6.3's return codes.

* starts_with(s, prefix) / ends_with(s, suffix): 1 when it does, -2 when it does not,
  -1 when the prefix/suffix is longer than s;
* cmp_str(a, b) / cmp_istr(a, b) (case-insensitive): 1 when equal, -2 when a sorts
  before b, -1 when after (byte order; a prefix sorts first);
* in_list(s, list, sep): 1 when s equals one item of list split at the separator
  (the first character of sep), items trimmed of white space, s not; -1 otherwise or
  when s or list is empty; in_list_prefix: 1 when s starts with one of the items;
* str_find(s, needle) / str_ifind (case-insensitive): 1 + the offset of the first
  occurrence, -1 when absent (an empty needle gives len(s) + 1, as Kamailio);
* is_method("INVITE|BYE"): 1 when the method of the request (of the CSeq for a reply)
  is in the list, case-insensitively. Lists may hold only the methods Kamailio knows;
  a single unknown method is compared as text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from siprouter.engine.context import MsgContext

log = logging.getLogger("siprouter.textops")

KNOWN_METHODS = frozenset(
    [
        "INVITE",
        "CANCEL",
        "ACK",
        "BYE",
        "INFO",
        "REGISTER",
        "SUBSCRIBE",
        "NOTIFY",
        "MESSAGE",
        "OPTIONS",
        "PRACK",
        "UPDATE",
        "REFER",
        "PUBLISH",
        "KDMQ",
        "GET",
        "POST",
        "PUT",
        "DELETE",
    ]
)


def starts_with(s: str, prefix: str) -> int:
    if len(prefix) > len(s):
        return -1
    return 1 if s.startswith(prefix) else -2


def ends_with(s: str, suffix: str) -> int:
    if len(suffix) > len(s):
        return -1
    return 1 if s.endswith(suffix) else -2


def _cmp(a: bytes, b: bytes) -> int:
    if a == b:
        return 1
    return -2 if a < b else -1


def cmp_str(a: str, b: str) -> int:
    return _cmp(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def cmp_istr(a: str, b: str) -> int:
    return _cmp(
        a.encode("utf-8", "surrogateescape").lower(), b.encode("utf-8", "surrogateescape").lower()
    )


def _items(lst: str, sep: str) -> list[str]:
    if not sep:
        return [lst.strip()]
    return [x.strip() for x in lst.split(sep[0])]


def in_list(s: str, lst: str, sep: str) -> int:
    if not s or not lst:
        return -1
    return 1 if s in _items(lst, sep) else -1


def in_list_prefix(s: str, lst: str, sep: str) -> int:
    if not s:
        log.error("in_list_prefix: subject cannot be empty string")
        return -1
    if not lst:
        return -1
    return 1 if any(x and s.startswith(x) for x in _items(lst, sep)) else -1


def str_find(s: str, needle: str) -> int:
    if not needle:
        return len(s) + 1
    i = s.find(needle)
    return i + 1 if i >= 0 else -1


def str_ifind(s: str, needle: str) -> int:
    return str_find(s.lower(), needle.lower())


def fix_methods(args: Sequence[Any]) -> list[Any]:
    """is_method's list: known methods, upper-cased; a single unknown one as text."""
    names = [m.strip().upper() for m in str(args[0]).split("|")]
    if not all(names):
        raise ValueError(f"empty method in list {args[0]!r}")
    unknown = [m for m in names if m not in KNOWN_METHODS]
    if unknown and len(names) > 1:
        raise ValueError(f"unknown method in list {args[0]!r} - must be only defined methods")
    return [frozenset(names)]


def is_method(ctx: MsgContext, methods: frozenset[str]) -> int:
    m = ctx.msg.method
    if not m:
        return -1
    return 1 if m.upper() in methods else -1


def search_str(s: str, rx: re.Pattern[bytes]) -> int:
    """1 when the regex (case-insensitive) matches somewhere in `s`."""
    return 1 if rx.search(s.encode("utf-8", "surrogateescape")) else -1


def regex_substring(
    s: str, rx: re.Pattern[bytes], index: int, mcount: int, out: Callable[[str], None]
) -> int:
    """Store group `index` of the first match (with `mcount` match slots: group 0 and
    mcount-1 groups) in the output: 1 done, -1 bad index or no such group, -2 no match."""
    if index >= mcount or index < 0:
        log.error("regex_substring: matched_index cannot be bigger than match_count")
        return -1
    m = rx.search(s.encode("utf-8", "surrogateescape"))
    if m is None:
        return -2
    if index > (rx.groups or 0) or m.group(index) is None:
        return -1
    out(m.group(index).decode("utf-8", "surrogateescape"))
    return 1
