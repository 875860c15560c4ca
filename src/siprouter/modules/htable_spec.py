"""The `htable` modparam: "name=>size=4;autoexpire=60;initval=0;updateexpire=1".

`parse_table_spec(text)` returns a `TableSpec` or raises ValueError with the reason, as
Kamailio 5.6.3 refuses the modparam (`-c` fails "Can't set module parameter"):

* the name ends at the first `=>`; a text without `=>` is refused;
* attributes are `name=value` separated by `;` (one `;` may end the text; an empty
  attribute elsewhere is refused); blanks around names and values are dropped;
* size: 2^size slots, a number; Kamailio keeps 2..31 and uses 2^3 slots below 2 and
  2^14 above 31 (the slot count only decides the listing order and htable.stats);
* autoexpire: seconds, a non-negative number (0: items never expire);
* initval: an integer returned instead of $null for a missing key (and the start value
  of $shtinc/$shtdec on a missing key);
* updateexpire: 0 keeps the expiry of an item when it is updated (default 1);
* dmqreplicate: accepted (replication between nodes is not implemented: without the
  dmq module, Kamailio does not replicate either);
* dbtable, dbmode, cols, coldelim, colnull: refused with a clear error until siprouter
  has a database layer (Kamailio would load the table from db_url at start-up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INT = re.compile(r"[+-]?\d+\Z")
_DB_ATTRS = ("dbtable", "dbmode", "cols", "coldelim", "colnull")
MIN_SIZE_BITS = 3
MAX_SIZE_BITS = 14


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One hash table definition."""

    name: str
    size_bits: int = 4
    autoexpire: int = 0
    initval: int | None = None
    updateexpire: bool = True
    dmqreplicate: bool = False

    @property
    def slots(self) -> int:
        return 1 << self.size_bits


def _number(attr: str, value: str, text: str, minimum: int | None = None) -> int:
    if not _INT.match(value):
        raise ValueError(f"invalid htable parameter [{text}]: {attr} must be a number")
    n = int(value)
    if minimum is not None and n < minimum:
        raise ValueError(f"invalid htable parameter [{text}]: {attr} must be >= {minimum}")
    return n


def _attributes(body: str, text: str) -> list[tuple[str, str]]:
    parts = body.split(";")
    if parts and parts[-1] == "":
        parts.pop()  # one `;` may end the definition
    out: list[tuple[str, str]] = []
    for part in parts:
        name, eq, value = part.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"invalid input parameter [{text}]: attribute name missing after ;")
        out.append((name.lower(), value.strip() if eq else ""))
    return out


def parse_table_spec(text: str) -> TableSpec:
    """Parse one `htable` modparam value (ValueError with the reason)."""
    name, arrow, body = text.partition("=>")
    if not arrow:
        raise ValueError(f"invalid input parameter [{text}]: expected name=>attributes")
    name = name.strip()
    size, autoexpire, initval, update, dmq = 4, 0, None, True, False
    for attr, value in _attributes(body, text):
        if attr == "size":
            size = _number(attr, value, text)
        elif attr == "autoexpire":
            autoexpire = _number(attr, value, text, 0)
        elif attr == "initval":
            initval = _number(attr, value, text)
        elif attr == "updateexpire":
            update = _number(attr, value, text) != 0
        elif attr == "dmqreplicate":
            dmq = _number(attr, value, text) != 0
        elif attr in _DB_ATTRS:
            raise ValueError(
                f"htable [{name}]: {attr} needs a database, which siprouter does not "
                "support yet; define the table without database attributes"
            )
        else:
            raise ValueError(f"invalid htable parameter [{text}]: unknown attribute {attr!r}")
    if size < 2:
        size = MIN_SIZE_BITS
    elif size > 31:
        size = MAX_SIZE_BITS
    return TableSpec(name, size, autoexpire, initval, update, dmq)
