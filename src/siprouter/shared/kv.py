"""Named key/value maps in the shared database: $shv, and the base of other keyed state.

A `SharedMap` stores int or str values (the two value types of Kamailio's script) under
str keys in one table of the shared SQLite database, so a value set by one worker is read
by every other. `incr` is atomic (one UPDATE ... RETURNING under the database's write
lock).
"""

from __future__ import annotations

from .space import space

Value = int | str | None


class SharedMap:
    """str -> int | str, shared by every process of the server."""

    def __init__(self, name: str) -> None:
        if not name.isidentifier():
            raise ValueError(f"bad shared map name {name!r}")
        self.table = f"kv_{name}"
        self._ddl = (
            f"CREATE TABLE IF NOT EXISTS {self.table} "
            "(k TEXT PRIMARY KEY, ival INTEGER, sval TEXT) WITHOUT ROWID;"
        )
        self._get = f"SELECT ival, sval FROM {self.table} WHERE k=?"
        self._put = f"INSERT OR REPLACE INTO {self.table}(k, ival, sval) VALUES(?, ?, ?)"
        self._incr = (
            f"INSERT INTO {self.table}(k, ival, sval) VALUES(?1, ?2, NULL) "
            f"ON CONFLICT(k) DO UPDATE SET ival=coalesce(ival, 0)+?2, sval=NULL RETURNING ival"
        )

    def _db(self):  # type: ignore[no-untyped-def]
        return space().ensure_schema(self.table, self._ddl)

    def get(self, key: str) -> Value:
        row = self._db().execute(self._get, (key,)).fetchone()
        if row is None:
            return None
        return row[1] if row[0] is None else int(row[0])

    def set(self, key: str, value: Value) -> None:
        if value is None:
            self.delete(key)
        elif isinstance(value, int):
            self._db().execute(self._put, (key, value, None))
        else:
            self._db().execute(self._put, (key, None, value))

    def incr(self, key: str, delta: int = 1) -> int:
        """Add `delta` (a missing or string value counts as 0); the new value."""
        (v,) = self._db().execute(self._incr, (key, delta)).fetchone()
        return int(v)

    def delete(self, key: str) -> None:
        self._db().execute(f"DELETE FROM {self.table} WHERE k=?", (key,))

    def names(self) -> list[str]:
        return [str(r[0]) for r in self._db().execute(f"SELECT k FROM {self.table} ORDER BY k")]

    def items(self) -> list[tuple[str, Value]]:
        rows = self._db().execute(f"SELECT k, ival, sval FROM {self.table} ORDER BY k")
        return [(str(k), s if i is None else int(i)) for k, i, s in rows]
