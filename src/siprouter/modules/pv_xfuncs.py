"""pv module functions over $xavi, $xavu, the static branch and script variables
(exported through modules/pv.py). Arguments may hold pseudo-variables. Behaviour as
measured on Kamailio 5.6.3 unless said otherwise:

* xavp_copy(src, src_idx, dst[, dst_idx]): copy item src[src_idx] (its fields too) to the
  end of dst's items, or over dst[dst_idx]; -1 when the source (or the target index) does
  not exist;
* xavp_slist_explode(list, seps, mode, name): one new item `name` whose field `v` holds
  the list's non-empty tokens in order ($xavp(name=>v[0]) the first); mode must be ""
  (Kamailio's other modes are not implemented and fail `-c`);
* xavu_params_explode(params, name): $xavu(name=>p) = v for each parameter, the first of
  a repeated parameter winning; xavu_params_implode(name, pv): "p=v;" of each field of
  $xavu(name). (Kamailio 5.6.3's implode reads the $xavp list instead and so returns -1
  for a $xavu; siprouter does what the documentation says);
* xavi_child_rm / xavi_child_seti / xavi_child_sets / xavi_rm: the xavp_* functions over
  $xavi (names without case);
* xavp_rm_all(name), xavi_rm_all(name): remove every item of the name; and
  xavp_xparams_explode(params, seps, name), xavp_params_implode_qval(name, pv)
  ("p=\"v\";"): not in Kamailio 5.6.3 (later versions), implemented from their docs;
* sbranch_append(): add $sbranch as a branch (-1 when it has no uri);
  sbranch_set_ruri(): R-URI, $du, flags, path and socket from $sbranch;
  sbranch_reset(): clear $sbranch;
* pv_var_to_xavp(var, xname): a new item `xname` with the value of $var(var) as field
  `var`, or every script variable with "*"; pv_xavp_to_var(xname): $var(f) = each field
  of the newest xname;
* pv_xavp_print(), pv_xavu_print(), pv_xavi_print(): dump the lists to the log (INFO);
* pv_register_api is Kamailio's C API for other modules, not a config function: using it
  fails `-c` with that explanation (Kamailio 5.6.3: "failed to find command").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from siprouter.engine.context import Branch, MsgContext
from siprouter.modules.kex_args import Text, fix_format, render
from siprouter.modules.registry import ArgKind, FunctionSpec
from siprouter.pv.functions import PVRef, _child_set, _pv_arg
from siprouter.pv.impl_branchx import static_branch
from siprouter.pv.impl_xvars import module_store, set_unique
from siprouter.pv.stores import Xavp, XavpStore
from siprouter.runtime.logging import L_ERR, L_INFO, LOG


def _err(fname: str, text: str) -> int:
    if LOG.enabled(L_ERR):
        LOG.write(L_ERR, "pv", f"{fname}(): {text}")
    return -1


def _xavps(ctx: MsgContext) -> XavpStore:
    s = ctx.xavps
    if s is None:
        s = ctx.xavps = XavpStore()
    return s  # type: ignore[no-any-return]


def _xavi(ctx: MsgContext) -> XavpStore:
    s = module_store(ctx, "xavi", True)
    assert s is not None
    return s


def _xavu(ctx: MsgContext) -> XavpStore:
    s = module_store(ctx, "xavu", True)
    assert s is not None
    return s


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _copy(item: Xavp) -> Xavp:
    fields = None
    if item.fields is not None:
        fields = [(n, _copy(v) if isinstance(v, Xavp) else v) for n, v in item.fields]
    return Xavp(item.value, fields)


def _params(text: str, seps: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    part = ""
    for ch in text + seps[:1]:
        if ch in seps:
            p = part.strip()
            if p:
                key, _eq, val = p.partition("=")
                out.append((key.strip(), val.strip()))
            part = ""
        else:
            part += ch
    return out


# ---- xavp / xavi / xavu ----------------------------------------------------------------


def xavp_copy(ctx: MsgContext, src: Text, sidx: Text, dst: Text, didx: Text | None = None) -> int:
    store = _xavps(ctx)
    sname, dname = render(ctx, src), render(ctx, dst)
    i = _int(render(ctx, sidx))
    items = store.items(sname)
    if i is None or not -len(items) <= i < len(items):
        return _err("xavp_copy", f"can not find source xavp [{sname}] index {i}")
    item = _copy(items[i])
    if didx is None:
        targets = store.items(dname)  # the live list when dname exists
        if targets:
            targets.append(item)
        else:
            store.push(dname, item)
        return 1
    j = _int(render(ctx, didx))
    targets = store.items(dname)
    if j is None or not -len(targets) <= j < len(targets):
        return _err("xavp_copy", f"can not find destination xavp [{dname}] index {j}")
    targets[j] = item
    return 1


def xavp_slist_explode(ctx: MsgContext, slist: Text, seps: Text, mode: str, name: Text) -> int:
    sep = render(ctx, seps)
    if not sep:
        return _err("xavp_slist_explode", "empty separators")
    item = Xavp(None, [])
    tokens: list[str] = []
    part = ""
    for ch in render(ctx, slist) + sep[0]:
        if ch in sep:
            if part:
                tokens.append(part)
            part = ""
        else:
            part += ch
    for tok in reversed(tokens):  # fields are newest first: [0] is the first token
        item.add_field("v", tok)
    _xavps(ctx).push(render(ctx, name), item)
    return 1


def _fix_slist(args: Sequence[Any]) -> list[Any]:
    if str(args[2]) != "":
        raise ValueError(f'mode {args[2]!r} is not supported (only "")')
    return [fix_format(args[0]), fix_format(args[1]), "", fix_format(args[3])]


def xavp_xparams_explode(ctx: MsgContext, params: Text, seps: Text, name: Text) -> int:
    sep = render(ctx, seps)
    if not sep:
        return _err("xavp_xparams_explode", "empty separators")
    item = Xavp(None, [])
    for key, val in _params(render(ctx, params), sep):
        item.add_field(key, val)
    _xavps(ctx).push(render(ctx, name), item)
    return 1


def xavp_params_implode_qval(ctx: MsgContext, name: Text, out: PVRef) -> int:
    items = _xavps(ctx).items(render(ctx, name))
    if not items:
        return -1
    parts = []
    for f, v in items[0].fields or []:
        text = v.text() if isinstance(v, Xavp) else str(v)
        parts.append(f'{f}="{text}";')
    assert out.set is not None
    out.set(ctx, "".join(parts))
    return 1


def xavu_params_explode(ctx: MsgContext, params: Text, name: Text) -> int:
    store = _xavu(ctx)
    root = render(ctx, name)
    for key, val in reversed(_params(render(ctx, params), ";")):
        set_unique(store, root, key, val)
    return 1


def xavu_params_implode(ctx: MsgContext, name: Text, out: PVRef) -> int:
    items = _xavu(ctx).items(render(ctx, name))
    if not items or items[0].fields is None:
        return -1
    text = "".join(
        f"{f}={v.text() if isinstance(v, Xavp) else v};" for f, v in reversed(items[0].fields)
    )
    assert out.set is not None
    out.set(ctx, text)
    return 1


def xavp_rm_all(ctx: MsgContext, name: Text) -> int:
    _xavps(ctx).delete_all(render(ctx, name))
    return 1


def xavi_rm(ctx: MsgContext, name: Text) -> int:
    store = _xavi(ctx)
    root = render(ctx, name).lower()
    items = store.items(root)
    if items:
        store.remove(root, items[0])
    return 1


def xavi_rm_all(ctx: MsgContext, name: Text) -> int:
    _xavi(ctx).delete_all(render(ctx, name).lower())
    return 1


def xavi_child_rm(ctx: MsgContext, root: Text, child: Text) -> int:
    items = _xavi(ctx).items(render(ctx, root).lower())
    if items and items[0].fields:
        items[0].remove_field(render(ctx, child).lower(), None)
    return 1


def _xavi_set(ctx: MsgContext, root: Text, child: Text, value: int | str) -> int:
    saved = ctx.xavps
    ctx.xavps = _xavi(ctx)  # _child_set works on ctx.xavps: point it at the xavi list
    try:
        return _child_set(ctx, render(ctx, root).lower(), render(ctx, child).lower(), value)
    finally:
        ctx.xavps = saved


def xavi_child_seti(ctx: MsgContext, root: Text, child: Text, value: Text) -> int:
    number = _int(render(ctx, value))
    if number is None:
        return -1
    return _xavi_set(ctx, root, child, number)


def xavi_child_sets(ctx: MsgContext, root: Text, child: Text, value: Text) -> int:
    return _xavi_set(ctx, root, child, render(ctx, value))


# ---- static branch ------------------------------------------------------------------------


def sbranch_append(ctx: MsgContext) -> int:
    sb = static_branch(ctx, False)
    if sb is None or not sb.uri:
        return _err("sbranch_append", "the static branch has no uri")
    ctx.branches.append(
        Branch(sb.uri, sb.dst_uri, sb.q, sb.flags, sb.path, sb.force_socket, sb.instance, sb.ruid)
    )
    return 1


def sbranch_set_ruri(ctx: MsgContext) -> int:
    sb = static_branch(ctx, False)
    if sb is None or not sb.uri:
        return _err("sbranch_set_ruri", "the static branch has no uri")
    ctx.new_uri = sb.uri
    ctx.dst_uri = sb.dst_uri or None
    ctx.bflags = sb.flags
    if sb.force_socket:
        ctx.force_socket = sb.force_socket
    return 1


def sbranch_reset(ctx: MsgContext) -> int:
    if ctx.mod:
        ctx.mod.pop("sbranch", None)
    return 1


# ---- variables <-> xavp -------------------------------------------------------------------


def pv_var_to_xavp(ctx: MsgContext, var: Text, xname: Text) -> int:
    name = render(ctx, var)
    variables = ctx.script.vars
    item = Xavp(None, [])
    if name == "*":
        for n, v in variables.items():
            if v is not None:
                item.add_field(n, v)
    else:
        v = variables.get(name)
        item.add_field(name, 0 if v is None else v)
    _xavps(ctx).push(render(ctx, xname), item)
    return 1


def pv_xavp_to_var(ctx: MsgContext, xname: Text) -> int:
    items = _xavps(ctx).items(render(ctx, xname))
    if not items or items[0].fields is None:
        return -1
    for f, v in reversed(items[0].fields):
        ctx.script.vars[f] = v.text() if isinstance(v, Xavp) else v
    return 1


def _dump(store: XavpStore | None, what: str) -> list[str]:
    lines = [f"+++++ start {what} list"]
    for name in store.names() if store is not None else []:
        for item in store.items(name):
            lines += _item_lines(name, item, 0)
    lines.append(f"----- end {what} list")
    return lines


def _item_lines(name: str, item: Xavp, level: int) -> list[str]:
    pad = "    " * (level + 1)
    lines = [f"{pad}*** (l:{level}) name: {name}"]
    if item.fields is None:
        kind = "int" if isinstance(item.value, int) else "str"
        lines.append(f"{pad}value ({kind}): {item.value}")
        return lines
    for f, v in item.fields:
        if isinstance(v, Xavp):
            lines += _item_lines(f, v, level + 1)
        else:
            kind = "int" if isinstance(v, int) else "str"
            lines.append(f"{pad}    *** (l:{level + 1}) name: {f} value ({kind}): {v}")
    return lines


def _printer(what: str, key: str | None) -> Any:
    def print_list(ctx: MsgContext) -> int:
        store = ctx.xavps if key is None else module_store(ctx, key, False)
        for line in _dump(store, what):
            if ctx.log is not None:
                ctx.log.append((str(L_INFO), line))
            if LOG.enabled(L_INFO):
                LOG.write(L_INFO, "<core>", line)
        return 1

    return print_list


def _refuse_register_api(args: Sequence[Any]) -> list[Any]:
    raise ValueError(
        "pv_register_api is the pv module's C API for other modules, not a config function"
    )


def _unused(ctx: MsgContext) -> int:  # pragma: no cover - the fixup refuses every use
    return -1


def _fix_texts(args: Sequence[Any]) -> list[Any]:
    return [fix_format(a) for a in args]


def _fix_out_last(args: Sequence[Any]) -> list[Any]:
    ref = _pv_arg(args[-1])
    if ref.set is None:
        raise ValueError(f"{ref.raw} is read-only")
    return [*(fix_format(a) for a in args[:-1]), ref]


S, P = ArgKind.STR, ArgKind.PV


def _f(name: str, func: Any, counts: tuple[int, ...], kinds: tuple[ArgKind, ...],
       fixup: Any = _fix_texts) -> FunctionSpec:  # fmt: skip
    return FunctionSpec(name, func, counts, kinds, fixup=fixup if max(counts) else None)


XFUNCTIONS = [
    _f("xavp_copy", xavp_copy, (3, 4), (S,)),
    _f("xavp_slist_explode", xavp_slist_explode, (4,), (S,), _fix_slist),
    _f("xavp_xparams_explode", xavp_xparams_explode, (3,), (S,)),
    _f("xavp_params_implode_qval", xavp_params_implode_qval, (2,), (S, P), _fix_out_last),
    _f("xavp_rm_all", xavp_rm_all, (1,), (S,)),
    _f("xavu_params_explode", xavu_params_explode, (2,), (S,)),
    _f("xavu_params_implode", xavu_params_implode, (2,), (S, P), _fix_out_last),
    _f("xavi_rm", xavi_rm, (1,), (S,)),
    _f("xavi_rm_all", xavi_rm_all, (1,), (S,)),
    _f("xavi_child_rm", xavi_child_rm, (2,), (S,)),
    _f("xavi_child_seti", xavi_child_seti, (3,), (S,)),
    _f("xavi_child_sets", xavi_child_sets, (3,), (S,)),
    _f("sbranch_append", sbranch_append, (0,), ()),
    _f("sbranch_set_ruri", sbranch_set_ruri, (0,), ()),
    _f("sbranch_reset", sbranch_reset, (0,), ()),
    _f("pv_var_to_xavp", pv_var_to_xavp, (2,), (S,)),
    _f("pv_xavp_to_var", pv_xavp_to_var, (1,), (S,)),
    _f("pv_xavp_print", _printer("XAVP", None), (0,), ()),
    _f("pv_xavu_print", _printer("XAVU", "xavu"), (0,), ()),
    _f("pv_xavi_print", _printer("XAVI", "xavi"), (0,), ()),
    FunctionSpec("pv_register_api", _unused, (0, 1), (S,), fixup=_refuse_register_api),
]
