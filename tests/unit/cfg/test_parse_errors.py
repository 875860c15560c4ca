"""Broken configs: each gives one ConfigError with the right message, file:line:col and hint.

Also: all_errors=True reports several errors at once, and deep nesting is a ConfigError.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.parser import parse_string

R = "request_route {\n"

CASES = {
    "missing_close_brace": R + "  drop;\n",
    "missing_close_brace_before_route": R + "  if (1) {\n    drop;\n  }\nroute[X] {\n  exit;\n}\n",
    "missing_semicolon": R + "  $var(x) = 1\n  drop;\n}\n",
    "missing_semicolon_before_brace": R + "  drop\n}\n",
    "missing_semicolon_before_else": R + "  if (1) route(A)\n  else drop;\n}\n",
    "else_without_if": R + "  drop;\n  else drop;\n}\n",
    "semicolon_before_else": R + "  if (1) { drop; };\n  else { exit; }\n}\n",
    "bad_expression_operator": R + "  if ($var(x) == ) drop;\n}\n",
    "percent_operator": R + "  $var(x) = 5 % 2;\n}\n",
    "unclosed_paren": R + '  if (is_method("INVITE") {\n    drop;\n  }\n}\n',
    "unterminated_string": R + '  xlog("hello);\n}\n',
    "unterminated_comment": "/* start\nrequest_route { drop; }\n",
    "bad_route_name": "route[bad name] {\n  drop;\n}\n",
    "empty_route_name": "route[] {\n  drop;\n}\n",
    "case_outside_switch": R + "  case 1: drop;\n}\n",
    "default_outside_switch": R + "  default: drop;\n}\n",
    "switch_mixed_labels": R
    + '  switch ($var(x)) {\n    case 1: break;\n    case "a": break;\n  }\n}\n',
    "case_id_label": R + "  switch ($var(x)) {\n    case FOO: break;\n  }\n}\n",
    "case_block_body": R + "  switch ($var(x)) {\n    case 1: { drop; }\n  }\n}\n",
    "empty_block": R + "}\n",
    "empty_if_block": R + "  if (1) { }\n}\n",
    "bare_block": R + "  { drop; }\n}\n",
    "colon_assign": R + "  $var(x) := 1;\n}\n",
    "plus_assign": R + "  $var(x) += 1;\n}\n",
    "assign_keyword": R + '  uri = "sip:a@b";\n}\n',
    "assign_null": R + "  $null = 1;\n}\n",
    "short_pv_index": R + "  $var(x) = $avp(y)[1];\n}\n",
    "pv_alone": R + "  $var(x);\n}\n",
    "module_function_without_parens": R + "  sl_send_reply;\n}\n",
    "unterminated_pv": R + "  $var(x = 1;\n}\n",
    "bad_pv": R + "  $ = 1;\n}\n",
    "statement_at_top": "if (1) drop;\n",
    "extra_close_brace": R + "  drop;\n}\n}\n",
    "param_without_value": "children=\nrequest_route { drop; }\n",
    "param_two_values": "children=4 5\nrequest_route { drop; }\n",
    "modparam_missing_comma": 'modparam("tm" "fr_timer", 1)\n',
    "modparam_bad_value": 'modparam("tm", "fr_timer", $var(x))\n',
    "loadmodule_no_path": "loadmodule tm\n",
    "bad_listen": "listen=udp:1.2.3.4:99999\n",
    "duplicate_route": "route[A] { drop; }\nroute[A] { exit; }\n",
    "request_route_with_name": "request_route[X] { drop; }\n",
    "event_route_without_name": "event_route { drop; }\n",
    "unexpected_char": R + "  drop; `\n}\n",
    "deep_nesting": R + "  $var(x) = " + "(" * 500 + "1" + ")" * 500 + ";\n}\n",
    "deep_if_nesting": R + "if (1) {\n" * 300 + "drop;\n" + "}\n" * 301,
    "max_len_removed": R + "  if (msg:len >= max_len) drop;\n}\n",
    "custom_param_bad_value": "grp.x = -1\n",
    "flags_missing_name": "flags A:1, \nrequest_route { drop; }\n",
    "trailing_comma_call": R + '  xlog("a",);\n}\n',
}

# name -> (message, "line:col", hint or None)
EXPECTED = {
    "missing_close_brace": (
        "expected '}' to close request_route (opened at t.cfg:1:15), got end of file",
        "3:1",
        "the innermost block still open is request_route, opened at t.cfg:1:15",
    ),
    "missing_close_brace_before_route": (
        "'route' block inside request_route: missing '}'?",
        "5:1",
        "request_route, opened at t.cfg:1:15, is not closed before this block",
    ),
    "missing_semicolon": (
        "expected ';' after the assignment, got 'drop'",
        "3:3",
        "missing ';' at the end of line 2?",
    ),
    "missing_semicolon_before_brace": (
        "expected ';' after 'drop', got '}'",
        "3:1",
        "kamailio.cfg needs ';' after the last statement of a block too",
    ),
    "missing_semicolon_before_else": (
        "expected ';' after 'route(...)', got 'else'",
        "3:3",
        "missing ';' at the end of line 2?",
    ),
    "else_without_if": (
        "'else' without a matching 'if'",
        "3:3",
        "a ';' between the if-body and 'else' ends the if; remove it",
    ),
    "semicolon_before_else": (
        "'else' without a matching 'if'",
        "3:3",
        "a ';' between the if-body and 'else' ends the if; remove it",
    ),
    "bad_expression_operator": ("expected an expression after '==', got ')'", "2:18", None),
    "percent_operator": ("'%' is not an operator in kamailio.cfg", "2:15", "use 'mod' for modulo"),
    "unclosed_paren": (
        "expected ')' to close '(' of the expression, got '{'",
        "2:27",
        "the '(' was opened at t.cfg:2:6",
    ),
    "unterminated_string": (
        "unterminated string",
        "2:8",
        'the string opened here has no closing "',
    ),
    "unterminated_comment": (
        "unterminated block comment",
        "1:1",
        "a '/*' comment must be closed by '*/'",
    ),
    "bad_route_name": (
        "expected ']' to close the name of route[...], got 'name'",
        "1:11",
        "the '[' is at t.cfg:1:6; names are IDs, numbers or quoted strings",
    ),
    "empty_route_name": ("empty name in route[]", "1:7", None),
    "case_outside_switch": ("'case' outside of a switch", "2:3", None),
    "default_outside_switch": ("'default' outside of a switch", "2:3", None),
    "switch_mixed_labels": (
        "switch mixes int and string case labels",
        "4:5",
        "use either int or string labels in one switch",
    ),
    "case_id_label": (
        "bad case label 'FOO': expected an integer, a string or /\"regex\"",
        "3:10",
        None,
    ),
    "case_block_body": (
        "a case body is a list of statements, not a '{ }' block",
        "3:13",
        "remove the braces after the case label",
    ),
    "empty_block": (
        "empty block in request_route",
        "2:1",
        "kamailio.cfg does not accept '{ }'; write '{ ; }' for an empty body",
    ),
    "empty_if_block": (
        "empty block in 'if' at t.cfg:2:3",
        "2:12",
        "kamailio.cfg does not accept '{ }'; write '{ ; }' for an empty body",
    ),
    "bare_block": (
        "unexpected '{': a block may only follow if, else or while",
        "2:3",
        "remove the braces, or add the missing 'if (...)'",
    ),
    "colon_assign": ("':=' is not an assignment operator in kamailio.cfg", "2:11", "use '='"),
    "plus_assign": (
        "'+=' is not an assignment operator in kamailio.cfg",
        "2:11",
        "write $var(x) = $var(x) + ...;",
    ),
    "assign_keyword": (
        "cannot assign to the core keyword 'uri'",
        "2:3",
        "only pseudo-variables ($var(x), $avp(y), $ru, ...) can be assigned",
    ),
    "assign_null": ("cannot assign to $null (read-only)", "2:3", None),
    "short_pv_index": ("an index needs the $(...) form: write $(avp(y)[...])", "2:20", None),
    "pv_alone": (
        "expected '=' after $var(x), got ';'",
        "2:10",
        "a pseudo-variable on its own is not a statement",
    ),
    "module_function_without_parens": (
        "expected '(' after function name 'sl_send_reply', got ';'",
        "2:16",
        "functions are called with parentheses: sl_send_reply();",
    ),
    "unterminated_pv": (
        "unterminated pseudo-variable",
        "2:7",
        "the '(' here is not closed on the same line",
    ),
    "bad_pv": (
        "bad pseudo-variable: expected a name after '$'",
        "2:3",
        "pseudo-variables look like $ru, $var(name) or $(hdr(Via)[0])",
    ),
    "statement_at_top": (
        "expected a parameter assignment (name = value), a module directive or a routing block, got 'if'",
        "1:1",
        "statements belong inside a routing block such as request_route { ... }",
    ),
    "extra_close_brace": (
        "expected a parameter assignment (name = value), a module directive or a routing block, got '}'",
        "4:1",
        "this '}' closes no block: an extra '}'?",
    ),
    "param_without_value": ("expected a value for 'children', got 'request_route'", "2:1", None),
    "param_two_values": (
        "unexpected '5' after the value of 'children'",
        "1:12",
        "end the value with ';' or put the next item on its own line",
    ),
    "modparam_missing_comma": (
        'expected a quoted string (parameter name) in modparam("module", "param", value), got \'1\'',
        "1:27",
        None,
    ),
    "modparam_bad_value": (
        'expected an integer or a quoted string as the value in modparam("module", "param", value), got \'$var(x)\'',
        "1:28",
        None,
    ),
    "loadmodule_no_path": (
        "expected a quoted string (module path) after 'loadmodule', got 'tm'",
        "1:12",
        None,
    ),
    "bad_listen": (
        "bad listen value: port 99999 out of range (0-65535) in 'udp:1.2.3.4:99999'",
        "1:8",
        None,
    ),
    "duplicate_route": ("duplicate route: route[A] is already defined at t.cfg:1:1", "2:7", None),
    "request_route_with_name": ("'request_route' does not take a name", "1:14", None),
    "event_route_without_name": (
        "'event_route' needs a name: event_route[NAME] { ... }",
        "1:13",
        None,
    ),
    "unexpected_char": ("unexpected character '`'", "2:9", None),
    "deep_nesting": ("nesting too deep (more than 100 levels)", "2:112", None),
    "deep_if_nesting": ("nesting too deep (more than 100 levels)", "100:5", None),
    "max_len_removed": ("the core keyword 'max_len' was removed from Kamailio", "2:18", None),
    "custom_param_bad_value": (
        "number or string expected as the value of 'grp.x', got '-'",
        "1:9",
        "negative numbers are not accepted here",
    ),
    "trailing_comma_call": ("expected an expression, got ')'", "2:12", None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_config(name: str) -> None:
    message, linecol, hint = EXPECTED[name]
    with pytest.raises(ConfigError) as info:
        parse_string(CASES[name], "t.cfg")
    err = info.value
    assert err.message == message
    assert err.pos is not None
    assert (err.pos.file, f"{err.pos.line}:{err.pos.col}") == ("t.cfg", linecol)
    assert err.hint == hint


def test_at_least_thirty_cases() -> None:
    assert len(EXPECTED) >= 30


def test_render_names_file_line_col() -> None:
    with pytest.raises(ConfigError) as info:
        parse_string(CASES["missing_semicolon"], "t.cfg")
    text = info.value.render(source_line="  drop;")
    assert text.startswith("t.cfg:3:3: error: expected ';' after the assignment, got 'drop'")
    assert "\n      ^" in text


def test_all_errors_reports_several() -> None:
    cfg = (
        "children=4 5\n"
        "request_route {\n"
        "  $var(x) = 1\n"
        "  drop;\n"
        "  if ($var(x) == ) exit;\n"
        "  case 1: drop;\n"
        '  xlog("ok");\n'
        "}\n"
        "route[A] { sl_send_reply; }\n"
        "route[B] { drop; }\n"
    )
    with pytest.raises(ConfigErrors) as info:
        parse_string(cfg, "t.cfg", all_errors=True)
    got = [(e.pos.line, e.pos.col, e.message) for e in info.value.errors if e.pos]
    assert got == [
        (1, 12, "unexpected '5' after the value of 'children'"),
        (4, 3, "expected ';' after the assignment, got 'drop'"),
        (5, 18, "expected an expression after '==', got ')'"),
        (6, 3, "'case' outside of a switch"),
        (9, 25, "expected '(' after function name 'sl_send_reply', got ';'"),
    ]


def test_all_errors_missing_brace_unwinds_to_next_route() -> None:
    cfg = "request_route {\n  if (1) {\n    drop;\n}\nroute[A] {\n  $var(x) = ;\n}\n"
    with pytest.raises(ConfigErrors) as info:
        parse_string(cfg, "t.cfg", all_errors=True)
    msgs = [(e.pos.line, e.message) for e in info.value.errors if e.pos]
    assert msgs[0] == (5, "'route' block inside request_route: missing '}'?")
    assert (6, "expected a value after '=', got ';'") in msgs


def test_first_error_only_without_all_errors() -> None:
    with pytest.raises(ConfigError) as info:
        parse_string("children=4 5\nrequest_route { drop }\n", "t.cfg")
    assert not isinstance(info.value, ConfigErrors)
    assert info.value.pos is not None and info.value.pos.line == 1


def _parse_file(path: str) -> None:
    from siprouter.cfg.parser import parse
    from siprouter.cfg.preprocess import preprocess

    pre = preprocess(path)
    parse(pre.text, pre.srcmap)


def test_error_in_included_file_names_it_and_the_include(tmp_path: Path) -> None:
    (tmp_path / "inc.cfg").write_text("  drop;\n  $var(x) = ;\n")
    main = tmp_path / "main.cfg"
    main.write_text('request_route {\n  include_file "inc.cfg"\n}\n')
    with pytest.raises(ConfigError) as info:
        _parse_file(str(main))
    err = info.value
    assert err.pos is not None
    assert (err.pos.file, err.pos.line, err.pos.col) == (str(tmp_path / "inc.cfg"), 2, 13)
    assert err.notes == [f"included from {main}:2"]


def test_error_inside_a_define_expansion_points_at_the_use(tmp_path: Path) -> None:
    cfg = tmp_path / "d.cfg"
    cfg.write_text("#!define GREETING xlog(\nrequest_route {\n  GREETING;\n}\n")
    with pytest.raises(ConfigError) as info:
        _parse_file(str(cfg))
    err = info.value
    assert err.pos is not None and (err.pos.line, err.pos.col) == (3, 11)
    assert err.message == "expected an expression, got ';'"


def test_error_from_a_define_body_has_an_expanded_from_note(tmp_path: Path) -> None:
    cfg = tmp_path / "e.cfg"
    cfg.write_text("#!define BADV $var(x) = = 1\nrequest_route {\n  BADV;\n}\n")
    with pytest.raises(ConfigError) as info:
        _parse_file(str(cfg))
    err = info.value
    assert err.pos is not None and (err.pos.line, err.pos.col) == (3, 3)
    assert err.message == "expected an expression, got '='"
    assert err.notes == [f"expanded from #!define BADV at {cfg}:1:1"]


def test_all_errors_goes_on_after_lexical_errors() -> None:
    cfg = (
        "request_route {\n"
        '  xlog("oops);\n'
        "  $var(x) = 1;\n"
        "  drop `;\n"
        "  $var(y = 1;\n"
        "  exit;\n"
        "  if ($var(z) == ) drop;\n"
        "}\n"
    )
    with pytest.raises(ConfigErrors) as info:
        parse_string(cfg, "t.cfg", all_errors=True)
    got = [(e.pos.line, e.pos.col, e.message) for e in info.value.errors if e.pos]
    assert got == [
        (2, 8, "unterminated string"),
        (4, 8, "unexpected character '`'"),
        (5, 7, "unterminated pseudo-variable"),
        (7, 18, "expected an expression after '==', got ')'"),
    ]


def test_route_name_rules() -> None:
    for text, message, col in (
        ("route[1a] { drop; }", "bad route name '1a' in route[...]", 7),
        ("route[a-b] { drop; }", "bad route name 'a-b' in route[...]", 7),
        ("route[tm:local-request] { drop; }", "bad route name 'tm:local-request' in route[...]", 7),
        ("event_route[foo] { drop; }", "bad event route name 'foo'", 13),
    ):
        with pytest.raises(ConfigError) as info:
            parse_string(text, "t.cfg")
        assert (info.value.message, info.value.pos.col) == (message, col)
        assert info.value.hint


def test_numeric_route_names_are_normalised() -> None:
    cfg = parse_string("failure_route[01] { drop; }\nrequest_route { t_on_failure(1); }\n")
    assert cfg.route("failure", "1") is not None


def test_listen_value_swallows_a_custom_parameter_group() -> None:
    with pytest.raises(ConfigError) as info:
        parse_string("listen=udp:127.0.0.1:5060\npstn.x = 1\n", "t.cfg")
    err = info.value
    assert err.message == "'pstn.x' is read as part of the listen value started at t.cfg:1:1"
    assert (err.pos.line, err.pos.col, err.hint) == (2, 1, "end the listen value with ';'")
    cfg = parse_string("listen=udp:127.0.0.1:5060;\npstn.x = 1\n", "t.cfg")
    assert cfg.custom_params[0].name == "x"


def test_missing_brace_names_outer_and_innermost_open_blocks() -> None:
    cfg = "request_route {\n  if (1) {\n    drop;\n\nroute[A] {\n  exit;\n}\n"
    with pytest.raises(ConfigError) as info:
        parse_string(cfg, "t.cfg")
    err = info.value
    assert (err.pos.line, err.pos.col) == (5, 1)
    assert err.message == "'route' block inside request_route: missing '}'?"
    assert err.hint == (
        "request_route, opened at t.cfg:1:15, is not closed before this block; "
        "the innermost block still open is 'if' at t.cfg:2:3, opened at t.cfg:2:10"
    )
