"""Parser: the AST built for each construct of the kamailio.cfg grammar."""

from __future__ import annotations

from siprouter.cfg import ast
from siprouter.cfg.errors import Pos
from siprouter.cfg.parser import parse_string


def body(stmts: str) -> list[ast.Stmt]:
    cfg = parse_string("request_route {\n" + stmts + "\n}\n", "b.cfg")
    blk = cfg.route("request")
    assert blk is not None
    return blk.body


def expr(text: str) -> ast.Expr:
    (stmt,) = body(f"$var(r) = {text};")
    assert isinstance(stmt, ast.Assign)
    return stmt.value


def show(e: object) -> str:
    """Compact prefix form of an expression, for precedence tests."""
    if isinstance(e, ast.BinOp):
        return f"({e.op} {show(e.left)} {show(e.right)})"
    if isinstance(e, ast.UnOp):
        return f"({e.op} {show(e.operand)})"
    if isinstance(e, ast.Cast):
        return f"({e.type} {show(e.expr)})"
    if isinstance(e, ast.Literal):
        return repr(e.value)
    if isinstance(e, ast.PV):
        return e.raw
    if isinstance(e, (ast.Keyword, ast.CoreValue, ast.Ident)):
        return e.name
    if isinstance(e, ast.IPAddr):
        return e.raw
    return type(e).__name__


# ---------------------------------------------------------------- global parameters


def test_param_values() -> None:
    cfg = parse_string(
        "debug=-1\nchildren=4;\ntos=0x10\nlog_facility=LOG_LOCAL0\ndisable_tcp=yes\n"
        'server_header="Server: " "x"\nadvertised_address=1.2.3.4\nauto_aliases=off\n'
        'kemi.onsend_route_callback="ksr_onsend"\nuser_agent_header = "UA"\n',
        "p.cfg",
    )
    vals = {p.name: p.value for p in cfg.params}
    assert vals["debug"] == ast.Literal(-1, "int", Pos("p.cfg", 1, 7), "-1")
    assert isinstance(vals["children"], ast.Literal) and vals["children"].value == 4
    assert isinstance(vals["tos"], ast.Literal) and vals["tos"].value == 16
    assert isinstance(vals["log_facility"], ast.Ident) and vals["log_facility"].name == "LOG_LOCAL0"
    assert isinstance(vals["disable_tcp"], ast.BoolLit) and vals["disable_tcp"].value is True
    assert isinstance(vals["auto_aliases"], ast.BoolLit) and vals["auto_aliases"].value is False
    assert isinstance(vals["server_header"], ast.Literal)
    assert vals["server_header"].value == "Server: x"
    assert isinstance(vals["advertised_address"], ast.IPAddr)
    assert "kemi.onsend_route_callback" in vals
    assert [p.name for p in cfg.params][-1] == "user_agent_header"
    assert cfg.params[0].pos == Pos("p.cfg", 1, 1)


def test_listen_forms_use_listen_py() -> None:
    cfg = parse_string(
        'listen=udp:127.0.0.1:5060 advertise 1.2.3.4:5080 name "s1"\n'
        "listen=[::1]:5061\nlisten=tcp:localhost:5062 virtual\n"
        "listen=udp:10.0.0.1:5060 tcp:10.0.0.1:5060\n"
        'listen=tcp:127.0.0.1:5060 advertise "sip.dns.example.com":5060\n'
        "alias=example.com udp:my-host.example.com:5060\n",
        "l.cfg",
    )
    raws = [(x.param, x.raw) for x in cfg.listens]
    assert raws[0] == ("listen", 'udp:127.0.0.1:5060 advertise 1.2.3.4:5080 name "s1"')
    first = cfg.listens[0].spec
    assert (first.proto, first.addrs, first.port) == ("udp", ("127.0.0.1",), 5060)
    assert (first.advertise_host, first.advertise_port, first.name) == ("1.2.3.4", 5080, "s1")
    assert cfg.listens[1].spec.addrs == ("::1",)
    assert cfg.listens[2].spec.virtual is True
    assert [x.spec.proto for x in cfg.listens[3:5]] == ["udp", "tcp"]
    assert cfg.listens[5].spec.advertise_host == "sip.dns.example.com"
    assert [x.raw for x in cfg.listens if x.param == "alias"] == [
        "example.com",
        "udp:my-host.example.com:5060",
    ]
    assert cfg.listens[1].pos == Pos("l.cfg", 2, 8)


def test_socket_block() -> None:
    cfg = parse_string(
        "socket = {\n  bind = udp:10.10.10.10:5060;\n  advertise = 11.11.11.11:5060;\n"
        '  name = "s0";\n  virtual = yes;\n}\n',
        "s.cfg",
    )
    (sock,) = cfg.sockets
    assert [a.name for a in sock.attrs] == ["bind", "advertise", "name", "virtual"]
    assert sock.bind is not None and sock.bind.raw == "udp:10.10.10.10:5060"
    assert sock.bind.spec.port == 5060
    assert isinstance(sock.attrs[3].value, ast.BoolLit)


def test_custom_params_flags_modules() -> None:
    cfg = parse_string(
        'pstn.gw_ip = "1.2.3.4" desc "PSTN GW Address"\npstn.n = on\n'
        "flags FLAG_A: 1, FLAG_B;\navpflags AF;\n"
        'loadpath "/usr/lib/kamailio/modules/"\nmpath="/m/"\n'
        'loadmodule "tm.so"\nloadmodule("sl.so")\nloadmodulex("$def(X).so", "opts")\n'
        'modparam("tm", "fr_timer", 30000)\nmodparamx("usrloc", "db_url", "$env(DB)")\n'
        'modparam("auth_db", "calculate_ha1", yes)\ncfgengine "native"\n',
        "m.cfg",
    )
    (gw, n) = cfg.custom_params
    assert (gw.group, gw.name, gw.value.value, gw.desc) == (
        "pstn",
        "gw_ip",
        "1.2.3.4",
        "PSTN GW Address",
    )
    assert n.value.value == 1 and n.desc is None
    assert [(f.name, f.position) for f in cfg.flags[0].flags] == [("FLAG_A", 1), ("FLAG_B", None)]
    assert cfg.flags[1].kind == "avpflags"
    assert [p.path for p in cfg.loadpath] == ["/usr/lib/kamailio/modules/", "/m/"]
    assert [(m.path, m.opts, m.expand) for m in cfg.loadmodules] == [
        ("tm.so", None, False),
        ("sl.so", None, False),
        ("$def(X).so", "opts", True),
    ]
    assert [(m.module, m.name, m.value.value, m.expand) for m in cfg.modparams] == [
        ("tm", "fr_timer", 30000, False),
        ("usrloc", "db_url", "$env(DB)", True),
        ("auth_db", "calculate_ha1", 1, False),
    ]
    assert cfg.cfgengines[0].name == "native"
    assert [type(i).__name__ for i in cfg.items][:3] == ["CustomParam", "CustomParam", "FlagDecl"]


# ---------------------------------------------------------------- routing blocks


def test_route_kinds_and_names() -> None:
    cfg = parse_string(
        'route { drop; }\nroute[RELAY] { exit; }\nroute["quoted"] { exit; }\nroute[2] { exit; }\n'
        "failure_route[MF] { exit; }\nbranch_route[B] { exit; }\nreply_route { exit; }\n"
        "onreply_route { exit; }\nonreply_route[NAT] { exit; }\nonsend_route { exit; }\n"
        "event_route[tm:local-request] { exit; }\nevent_route[core:worker-one-init] { exit; }\n",
        "r.cfg",
    )
    keys = {kind: sorted(names) for kind, names in cfg.routes.items()}
    assert keys == {
        "request": [""],
        "route": ["2", "RELAY", "quoted"],
        "failure": ["MF"],
        "branch": ["B"],
        "reply": [""],
        "onreply": ["", "NAT"],
        "onsend": [""],
        "event": ["core:worker-one-init", "tm:local-request"],
    }
    assert cfg.route("request").keyword == "route"
    assert cfg.route("event", "tm:local-request").name_pos == Pos("r.cfg", 11, 13)
    assert len(cfg.route_list) == 12


def test_route_zero_is_the_request_route() -> None:
    cfg = parse_string("route[0] { drop; }\nonreply_route[0] { drop; }\n")
    assert cfg.route("request") is not None and cfg.route("onreply") is not None


# ---------------------------------------------------------------- statements


def test_if_else_chain() -> None:
    (stmt,) = body("if (a()) { b(); } else if (c()) d(); else { e(); f(); }")
    assert isinstance(stmt, ast.If)
    assert [s.name for s in stmt.then] == ["b"]
    (inner,) = stmt.otherwise
    assert isinstance(inner, ast.If) and [s.name for s in inner.otherwise] == ["e", "f"]
    assert stmt.else_pos == Pos("b.cfg", 2, 19)


def test_if_without_parens_and_empty_else() -> None:
    (stmt,) = body("if $var(x) == 1 drop; else;")
    assert isinstance(stmt, ast.If) and stmt.otherwise == []


def test_switch() -> None:
    (sw,) = body(
        'switch ($rU) {\n case "a": case "b": route(A); break;\n case /"^c": drop;\n'
        " default: exit;\n}"
    )
    assert isinstance(sw, ast.Switch)
    assert [(c.value.value if c.value else None, c.regex, len(c.body)) for c in sw.cases] == [
        ("a", False, 0),
        ("b", False, 2),
        ("^c", True, 1),
        (None, False, 1),
    ]
    assert sw.cases[3].is_default
    (sw2,) = body("switch ($var(x)) { case -1: break; case 0x10: break; }")
    assert [c.value.value for c in sw2.cases] == [-1, 16]


def test_while_return_exit_drop_break() -> None:
    stmts = body(
        "while ($var(i) < 3) { $var(i) = $var(i) + 1; break; }\n"
        "return; return 1; return(-1); return ($var(x) + 1);\nexit; exit(); exit 1; drop;"
    )
    kinds = [type(s).__name__ for s in stmts]
    assert kinds == [
        "While",
        "Return",
        "Return",
        "Return",
        "Return",
        "Exit",
        "Exit",
        "Exit",
        "Drop",
    ]
    assert [show(s.value) if s.value else None for s in stmts[1:5]] == [
        None,
        "1",
        "-1",
        "(+ $var(x) 1)",
    ]
    assert isinstance(stmts[0].body[1], ast.Break)


def test_route_calls() -> None:
    stmts = body('route(RELAY); route("quoted"); route(1); route($var(r)); route("A" + $var(x));')
    targets = [s.target for s in stmts]
    assert targets[:3] == ["RELAY", "quoted", "1"]
    assert isinstance(targets[3], ast.PV) and isinstance(targets[4], ast.BinOp)


def test_calls_and_bare_core_functions() -> None:
    stmts = body(
        'sl_send_reply("404", "Not Found"); force_rport; t_relay(); setflag(FLAG_X);'
        "forward(sip.example.com, 5060); force_send_socket(udp:127.0.0.1:5060);"
        "forward(uri:host, uri:port); log(1, $var(x));"
    )
    assert [s.name for s in stmts] == [
        "sl_send_reply", "force_rport", "t_relay", "setflag", "forward",
        "force_send_socket", "forward", "log",
    ]  # fmt: skip
    assert stmts[1].parens is False and stmts[2].args == []
    assert stmts[3].args == [ast.Ident("FLAG_X", stmts[3].args[0].pos)]
    assert isinstance(stmts[4].args[0], ast.Ident) and stmts[4].args[0].name == "sip.example.com"
    hp = stmts[5].args[0]
    assert isinstance(hp, ast.HostPort) and (hp.proto, hp.host, hp.port) == (
        "udp",
        "127.0.0.1",
        5060,
    )
    assert [a.name for a in stmts[6].args] == ["uri:host", "uri:port"]


def test_assignments() -> None:
    stmts = body(
        '$var(x) = $null; $(avp(x)[*]) = 1; $avp(s:name) = "a"; $avp(i:1) = 2;'
        '$sht(tbl=>$ci) = 1; $xavp(a=>b[1]) = 3; $ru = "sip:a@b"; $var(y) = %old;'
    )
    targets = [(s.target.name, s.target.inner, s.target.index) for s in stmts]
    assert targets == [
        ("var", "x", None), ("avp", "x", "*"), ("avp", "s:name", None), ("avp", "i:1", None),
        ("sht", "tbl=>$ci", None), ("xavp", "a=>b[1]", None), ("ru", None, None),
        ("var", "y", None),
    ]  # fmt: skip
    assert isinstance(stmts[0].value, ast.PV) and stmts[0].value.name == "null"
    assert all(s.op == "=" for s in stmts)


# ---------------------------------------------------------------- expressions


def test_precedence() -> None:
    assert show(expr("1 + 2 * 3 - 4")) == "(- (+ 1 (* 2 3)) 4)"
    assert show(expr("1 || 2 && 3 | 4 & 5 ^ 6")) == "(|| 1 (&& 2 (| 3 (& 4 (^ 5 6)))))"
    assert show(expr("1 << 2 >> 3")) == "(<< 1 (>> 2 3))"
    assert show(expr("1 == 2 < 3")) == "(== 1 (< 2 3))"
    assert show(expr("!1 == 2")) == "(== (! 1) 2)"
    assert show(expr("7 mod 3 / 2")) == "(/ (mod 7 3) 2)"
    assert show(expr("(1 + 2) * 3")) == "(* (+ 1 2) 3)"
    assert show(expr("-$var(a) + ~1")) == "(+ (- $var(a)) (~ 1))"


def test_word_operators_casts_and_functions() -> None:
    assert (
        show(expr('$var(a) eq "x" && $var(b) ne "y"')) == "(&& (eq $var(a) 'x') (ne $var(b) 'y'))"
    )
    assert show(expr("$var(a) ieq 1 || $var(a) ine 2")) == "(|| (ieq $var(a) 1) (ine $var(a) 2))"
    assert show(expr('(int)"12" + (str)3')) == "(+ (int '12') (str 3))"
    assert show(expr("defined $var(a) && !strempty($var(b)) && strlen($ru) > 2")) == (
        "(&& (&& (defined $var(a)) (! (strempty $var(b)))) (> (strlen $ru) 2))"
    )
    sel = expr('selval($var(a) == 1, "x", "y")')
    assert isinstance(sel, ast.SelVal) and show(sel.cond) == "(== $var(a) 1)"
    assert show(expr('"a" "b" + $var(c)')) == "(+ 'ab' $var(c))"


def test_keywords_values_addresses() -> None:
    (stmt,) = body(
        'if (uri =~ "^sip:" && method == "INVITE" && msg:len > 10 && af == INET6 '
        "&& proto == UDP && src_ip == 10.0.0.0/8 && dst_ip == [::1] && src_ip != myself "
        '&& src_ip == backup.example.com && status == "200" && snd_port == 5060) drop;'
    )
    assert isinstance(stmt, ast.If)
    leaves: list[object] = []

    def walk(e: object) -> None:
        if isinstance(e, ast.BinOp):
            walk(e.left)
            walk(e.right)
        else:
            leaves.append(e)

    walk(stmt.cond)
    names = [type(x).__name__ + ":" + show(x) for x in leaves]
    assert names[:4] == ["Keyword:uri", "Literal:'^sip:'", "Keyword:method", "Literal:'INVITE'"]
    assert "Keyword:msg:len" in names and "CoreValue:INET6" in names and "CoreValue:UDP" in names
    assert "IPAddr:10.0.0.0/8" in names and "IPAddr:[::1]" in names and "Keyword:myself" in names
    assert "Ident:backup.example.com" in names


def test_pseudo_variable_parts() -> None:
    pv = expr("$(hdr(Via)[0]{s.len}{s.int})")
    assert isinstance(pv, ast.PV)
    assert (pv.name, pv.inner, pv.index, pv.transforms) == ("hdr", "Via", "0", ["s.len", "s.int"])
    ru = expr("$(ru{s.select,1,:})")
    assert (ru.name, ru.inner, ru.transforms) == ("ru", None, ["s.select,1,:"])
    sel = expr("$sel(cfg_get.core.debug)")
    assert (sel.name, sel.inner) == ("sel", "cfg_get.core.debug")


def test_selects_and_calls_in_expressions() -> None:
    s = expr('@via[1].host + @hf_value["X"].name')
    assert isinstance(s, ast.BinOp)
    assert [(p.name, p.index) for p in s.left.parts] == [("via", 1), ("host", None)]
    assert [(p.name, p.index) for p in s.right.parts] == [("hf_value", "X"), ("name", None)]
    (stmt,) = body('if (is_method("INVITE") && !route(CHECK)) exit;')
    assert isinstance(stmt.cond.left, ast.Call) and isinstance(
        stmt.cond.right.operand, ast.RouteCall
    )


def test_positions_of_nodes() -> None:
    cfg = parse_string('request_route {\n  if ($var(x) == 1) {\n    xlog("x");\n  }\n}\n', "n.cfg")
    (stmt,) = cfg.route("request").body
    assert stmt.pos == Pos("n.cfg", 2, 3)
    assert stmt.cond.pos == Pos("n.cfg", 2, 15)
    assert stmt.cond.left.pos == Pos("n.cfg", 2, 7)
    assert stmt.then[0].pos == Pos("n.cfg", 3, 5)
    assert stmt.then[0].args[0].pos == Pos("n.cfg", 3, 10)


def test_not_applies_to_a_whole_keyword_comparison() -> None:
    (stmt,) = body("if (!src_ip == backup.example.com && method == INVITE) drop;")
    cond = stmt.cond
    assert show(cond) == "(&& (! (== src_ip backup.example.com)) (== method INVITE))"
    assert show(expr("1 + (af == INET)")) == "(+ 1 (== af INET))"


def test_myself_on_either_side() -> None:
    (a, b) = body("if (uri == myself) drop; if (myself != from_uri) drop;")
    assert show(a.cond) == "(== uri myself)" and show(b.cond) == "(!= myself from_uri)"


def test_unnamed_main_blocks_defined_twice_are_appended() -> None:
    # kamailio 5.6.3 runs both bodies in order (checked with sipsak against a running
    # kamailio: `route { xlog(FIRST) }` then `request_route { xlog(SECOND); reply }`)
    cfg = parse_string('route { xlog("1"); }\nrequest_route { xlog("2"); exit; }\n')
    blk = cfg.route("request")
    assert [type(s).__name__ for s in blk.body] == ["Call", "Call", "Exit"]
    assert blk.pos.line == 1 and len(cfg.route_list) == 2
