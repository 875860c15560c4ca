"""corex file_read(path, var) and file_write(path, content), as Kamailio 5.6.3.

file_read puts the whole file (as text; bytes that are not UTF-8 kept by surrogate
escape) into the writable pseudo-variable `var`: 1, or -1 (logged) when the file
cannot be opened. file_write replaces the file with the rendered content: 1, or -1
when it cannot be written. Both paths may hold pseudo-variables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from siprouter.engine.context import MsgContext
from siprouter.pv.pvclass import PVError

from .kex_args import Text, err, render


def file_read(ctx: MsgContext, path: Text, setter: Callable[[MsgContext, Any], None]) -> int:
    fpath = render(ctx, path)
    try:
        with open(fpath, "rb") as fh:
            data = fh.read()
    except OSError:
        return err("corex_file_read", f"cannot open file: {fpath}", "corex")
    try:
        setter(ctx, data.decode("utf-8", "surrogateescape"))
    except PVError as e:
        return err("corex_file_read", f"cannot set the variable: {e}", "corex")
    return 1


def file_write(ctx: MsgContext, path: Text, content: Text) -> int:
    fpath = render(ctx, path)
    text = render(ctx, content)
    try:
        with open(fpath, "wb") as fh:
            fh.write(text.encode("utf-8", "surrogateescape"))
    except OSError:
        return err("ki_file_write", f"cannot open file: {fpath}", "corex")
    return 1
