"""Every code example of the Core Cookbook that is a complete config fragment parses.

Examples are the indented blocks of /work/shared/spec/core-cookbook.txt (bullets and
numbered lists excluded). A block is accepted if it parses as a whole config or as the
statements of a route body. Lines that are only `...`/`....` are the spec's elisions
and become the empty statement `;`. Blocks that are not config fragments are listed in
EXCLUDED, keyed by their first line, with the reason.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from siprouter.cfg.errors import ConfigError, ConfigErrors
from siprouter.cfg.parser import parse_string

SPEC = Path("/work/shared/spec/core-cookbook.txt")

EXCLUDED: dict[str, str] = {
    "is": "middle of a block comment example (the comment starts in a prose line)",
    '"this is a string value"': "bare values listed as examples of value types",
    "yes": "a bare value listed as an example of value types",
    "64": "a bare value listed as an example of value types",
    '"mysql://kamailio:kamailiorw@localhost/kamailio_testbed")': "tail of a modparam split by a #!ifdef",
    '"mysql://kamailio:kamailiorw@10.0.0.2/kamailio_production")': "tail of a modparam split by a #!ifdef",
    '"mysql://kamailio:kamailiorw@localhost/kamailio")': "tail of a modparam split by a #!ifdef",
    "while($var(i)<5) { \\": "body of a multi-line #!define (backslash continuations)",
    "FLAG_ONE   : 1,": "continuation lines of a `flags` declaration started in prose",
    'listen=udp:10.0.0.10:5060 name "s1"': "mixes global parameters with route statements",
    "allow deletion of non-expired records": "prose",
    "dns cache record preference": "prose",
    "dns cache specific resolver flags": "prose",
    "default auto (2)": "prose",
    "Possible values:   0  - off": "prose",
    "flags  flag1_name[:position],  flag2_name ...": "grammar sketch with [optional] notation",
    "route {\n  ...\n  if (...caller": "pseudo-code condition `if (...caller-is-not-registered...)`",
    "if(expr) {": "grammar sketch (`expr`, `actions` placeholders)",
    "Special case: undef as left operand": "prose",
    'int(undef)==0,  int("")==0, int("123")==123, int("abc")==0': "conversion table, not config",
    "defined expr - returns true if expr is defined, and false if not.": "prose",
    "-a mode      Auto aliases mode: enable with yes or on,": "kamailio -h output",
    '{ "idx": 1, "pid": 18239,': "JSON log output",
    "request_route {\n    ...\n    include_file": "preprocessor include example (the preprocessor's part)",
    "request_route {\n    ...\n    IDLOOP": "use of a #!define, needs the preprocessor",
    'route[DEBUG] {\n  xlog("SCRIPT': "typo in the spec: \\n outside the string",
    "socket = {\n    attr1": "grammar sketch (attrN = valueN placeholders)",
    "request_route {\n    setflag(test);": "the spec's example lacks its closing '}'",
    "route_block_id[NAME]": "grammar sketch",
}

# The switch example has `if(...)` bodies whose opening '{' is missing (Kamailio
# rejects it too); it is checked to be rejected instead.
BROKEN_IN_SPEC = {"route {\n    route(1);": "if bodies without their opening '{'"}


def _blocks() -> list[tuple[int, str]]:
    """(line, text) of each example: a run of indented lines, or an unindented block
    from a line ending with '{' (e.g. `socket = {`, `event_route[...] {`) to its '}'."""
    lines = SPEC.read_text(encoding="utf-8").split("\n")
    blocks: list[tuple[int, str]] = []
    cur: list[tuple[int, str]] = []

    def flush() -> None:
        while cur and not cur[-1][1].strip():
            cur.pop()
        if cur:
            blocks.append((cur[0][0], textwrap.dedent("\n".join(t for _, t in cur))))
        cur.clear()

    in_braces = False
    for no, line in enumerate(lines, 1):
        stripped = line.strip()
        if in_braces:
            cur.append((no, line))
            if line.startswith("}"):
                in_braces = False
                flush()
            continue
        if _BLOCK_START.match(line):
            flush()
            in_braces = True
            cur.append((no, line))
            continue
        if (
            line[:1] in (" ", "\t")
            and stripped
            and not stripped.startswith("•")
            and not re.match(r"\s+\d+\. ", line)
        ) or (not stripped and cur):
            cur.append((no, line))
        else:
            flush()
    flush()
    return blocks


_BLOCK_START = re.compile(r"[a-z_]+(\[[^\]]*\])?\s*(=\s*)?\{\s*$")


def _parses(text: str) -> str | None:
    """None if `text` parses as a config or as route statements, else the first error."""
    body = "\n".join(";" if ln.strip() in ("...", "....", ".") else ln for ln in text.split("\n"))
    err = ""
    for wrapped in (body, "request_route {\n" + body + "\n;}\n"):
        try:
            parse_string(wrapped, "spec-example")
            return None
        except (ConfigError, ConfigErrors) as e:
            err = err or str(e).splitlines()[0]
    return err


BLOCKS = _blocks()


def test_found_the_examples() -> None:
    assert len(BLOCKS) > 100


def _excluded(text: str) -> str | None:
    for key, why in EXCLUDED.items():
        if text.startswith(key):
            return why
    return None


@pytest.mark.parametrize(("line", "text"), BLOCKS, ids=[f"line{n}" for n, _ in BLOCKS])
def test_spec_example_parses(line: int, text: str) -> None:
    why = _excluded(text)
    if why is not None:
        pytest.skip(why)
    if any(text.startswith(k) for k in BROKEN_IN_SPEC):
        assert _parses(text) is not None
        return
    assert _parses(text) is None, f"spec line {line}"


def test_exclusions_are_few_and_all_used() -> None:
    unused = [k for k in EXCLUDED if not any(t.startswith(k) for _, t in BLOCKS)]
    assert not unused
    assert len(EXCLUDED) < len(BLOCKS) // 4
