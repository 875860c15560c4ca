"""State shared by every process of one running server.

Kamailio keeps such state in shared memory; siprouter runs N worker processes (see
docs/process-model.md) and shares through three mechanisms, all created by the main
process before the workers fork (module `init` hooks, runtime/lifecycle.py):

* `space`: the server's private directory (tmpfs when available) and one SQLite
  database in it (WAL, one connection per process, opened lazily after the fork) for
  keyed state: $shv, htable tables, counter names; later location and dialog state.
* `counters`: an anonymous shared memory map of 64-bit integers with one column per
  process: each process adds to its own column without locks, readers sum the columns.
  For statistics and counters incremented on the hot path.
* `locks`: sets of process-shared locks (cfgutils lock(), htable sht_lock()).

Outside a running server (unit tests, `-c`) the same objects work in one process.
Design notes and measurements: docs/shared-state.md.
"""
