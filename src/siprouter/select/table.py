"""The select tree: which `@a.b[1].c` names exist, and their resolution into a getter.

A select is a path of parts (`via`, `[2]`-indexed, then `host`). Each part names a
`SelNode`: a step function and the nodes that may follow it. Resolving a path
(`resolve`, done once per use in the config: Kamailio's select fixup) walks the tree
and checks every part and index; the result is a `Select` whose `get(ctx)` runs the
steps per message.

A step is `fn(ctx, value, arg) -> str | None`: `value` is what the previous step
returned (text, as in Kamailio where every select function hands a string to the
next: `@from.uri.host` parses the URI text `@from.uri` gave), `arg` the part's name
and index. None means "no value" (the select reads as $null) and stops the chain.

Nodes:
* `children`: the names that may follow (shared between nodes: every URI-valued node
  has the same URI parts);
* `any`: the node for a name not in `children` (a header name after `@msg.header`,
  a parameter name after `.params`, a cfg group after `@cfg_get`);
* `index`: what `[...]` the part takes ("none", "int", "str");
* `final`: whether the path may end at this node (`@src` alone may not); `end`: the
  step used when it does end there (`.params` alone gives every parameter, while
  `.params.NAME` hands the value it got to the NAME step unchanged);
* `module`: the module whose load makes the node available (None: the core).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from siprouter.cfg import ast
from siprouter.cfg.errors import ConfigError, Pos

if TYPE_CHECKING:
    from siprouter.engine.context import MsgContext

Text = str | None


@dataclass(frozen=True, slots=True)
class Arg:
    """The part a step runs for: its name as written and its index (or None)."""

    name: str
    index: int | str | None


Step = Callable[["MsgContext", str, Arg], Text]


@dataclass(slots=True)
class SelNode:
    """One name of the tree (see the module docstring)."""

    fn: Step
    children: dict[str, SelNode] = field(default_factory=dict)
    any: SelNode | None = None
    index: str = "none"
    final: bool = True
    module: str | None = None
    check: Callable[[Arg], None] | None = None  # raises ValueError for a bad name/index
    end: Step | None = None  # the step when the select ends here (else `fn`)

    def child(self, name: str, node: SelNode) -> SelNode:
        """Add `node` under `name` (lower case, as names compare); returns it."""
        self.children[name.lower()] = node
        return node


def _root(_ctx: MsgContext, _value: str, _arg: Arg) -> Text:
    return ""


ROOT = SelNode(_root, final=False)


class SelectError(ValueError):
    """An unknown select name or a bad index."""


@dataclass(frozen=True, slots=True)
class Select:
    """A resolved select: `get(ctx)` is its value (str, or None for no value)."""

    raw: str
    steps: tuple[tuple[Step, Arg], ...]

    def get(self, ctx: MsgContext) -> Text:
        value: Text = ""
        for fn, arg in self.steps:
            value = fn(ctx, value, arg)
            if value is None:
                return None
        return value

    def text(self, ctx: MsgContext) -> str:
        """The value as an expression operand: no value reads as "" (Kamailio 5.6.3:
        `$var(t) = @to.tag` without a tag is "", and `defined @to.tag` is true)."""
        value = self.get(ctx)
        return "" if value is None else value


def _available(node: SelNode, modules: Iterable[str] | None) -> bool:
    return node.module is None or modules is None or node.module in modules


def resolve(parts: list[ast.SelectPart], raw: str, modules: Iterable[str] | None = None) -> Select:
    """The Select for these parts; SelectError names the first part that is unknown.
    `modules` are the names of the loaded modules (None: every registered select)."""
    mods = None if modules is None else set(modules)
    node = ROOT
    steps: list[tuple[Step, Arg]] = []
    done: list[str] = []
    for part in parts:
        nxt = node.children.get(part.name.lower())
        if nxt is not None and not _available(nxt, mods):
            raise SelectError(
                f"unknown select {raw}: @{part.name} needs module {nxt.module} loaded"
            )
        if nxt is None:
            nxt = node.any
        where = f"after @{'.'.join(done)}" if done else "at the start"
        if nxt is None:
            close = difflib.get_close_matches(part.name.lower(), sorted(node.children), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SelectError(f"unknown select {raw}: no '{part.name}' {where}{hint}")
        arg = Arg(part.name, part.index)
        if part.index is not None:
            want = nxt.index
            ok = (want == "int" and isinstance(part.index, int)) or (
                want == "str" and isinstance(part.index, str)
            )
            if not ok:
                what = "takes no index" if want == "none" else f"takes an {want} index"
                raise SelectError(f"bad select {raw}: '{part.name}' {what}")
        if nxt.check is not None:
            try:
                nxt.check(arg)
            except ValueError as e:
                raise SelectError(f"bad select {raw}: {e}") from None
        steps.append((nxt.fn, arg))
        done.append(part.name)
        node = nxt
    if not node.final:
        nexts = ", ".join(sorted(node.children)) or "a name"
        raise SelectError(f"incomplete select {raw}: a part must follow (one of: {nexts})")
    if node.end is not None:
        steps[-1] = (node.end, steps[-1][1])
    return Select(raw, tuple(steps))


# ---- text form ($sel(via[1].host)) ----------------------------------------------------

_PART_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?[0-9]+|"[^"]*")\])?')


def parse_text(text: str) -> tuple[list[ast.SelectPart], str]:
    """`via[1].host` (or `@via[1].host`) as parts; SelectError when it does not start
    with a name. The name ends at the first character that cannot continue it."""
    body = text.strip()
    if body.startswith("@"):
        body = body[1:]
    parts: list[ast.SelectPart] = []
    i = 0
    while True:
        m = _PART_RE.match(body, i)
        if m is None:
            raise SelectError(f"bad select name [{text}] at offset {i}")
        idx_text = m.group(2)
        index: int | str | None = None
        if idx_text is not None:
            index = idx_text[1:-1] if idx_text.startswith('"') else int(idx_text)
        parts.append(ast.SelectPart(m.group(1), index))
        i = m.end()
        if i == len(body):
            return parts, "@" + body
        if body[i] != "." or not _PART_RE.match(body, i + 1):
            # Kamailio 5.6.3 ends the name at any other character and ignores the rest:
            # $sel(msg.header.X-H) reads header X
            return parts, "@" + body[:i]
        i += 1


def compile_select(
    sel: ast.Select | str, modules: Iterable[str] | None = None, pos: Pos | None = None
) -> Select:
    """Resolve a select node (or its text) into a Select; ConfigError at the select's
    position when it is unknown (what `-c` reports)."""
    where = pos if pos is not None else getattr(sel, "pos", None)
    try:
        if isinstance(sel, str):
            parts, raw = parse_text(sel)
        else:
            parts, raw = sel.parts, sel.raw or "@" + ".".join(p.name for p in sel.parts)
        return resolve(parts, raw, modules)
    except SelectError as e:
        raise ConfigError(str(e), where) from None


def register(path: str, fn: Step, **kw: Any) -> SelNode:
    """Add a node at `path` (dotted, from the root; `*` for the any-name slot), e.g.
    `register("hf_value", step, module="textopsx", final=False)`. Parents must exist."""
    node = ROOT
    names = path.split(".")
    for name in names[:-1]:
        node = node.any if name == "*" else node.children[name.lower()]  # type: ignore[assignment]
    new = SelNode(fn, **kw)
    if names[-1] == "*":
        node.any = new
    else:
        node.child(names[-1], new)
    return new
