"""The `s.*` transformations (Kamailio pv module, 5.6.3 set): lengths, substrings, codecs.

Each entry of `FACTORIES` reads its arguments once (through `ArgReader`) and returns the
step run per message.  A step gets a defined value (``None`` in makes every ``s.*``
fail, as in Kamailio) and returns the new value or ``None`` when Kamailio fails.  Text
is handled as Kamailio's bytes where it matters (lengths, hashes, hex, base64).
Kamailio 5.6.3 quirks kept on purpose (checked against the binary): ``{s.fmtlines,n,m}`` breaks the line before each of the
first n-1 characters only.  ``{s.rbefore}``/``{s.rafter}`` read out of bounds in 5.6.3;
here they use the last occurrence, as documented.  ``{s.int}`` gives a plain int: "007"
is 7 (Kamailio would still print "007").
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

from siprouter.pv.tr_common import (
    Arg,
    ArgReader,
    Factory,
    Step,
    Value,
    byte_len,
    from_bytes,
    to_bytes,
    to_str,
)
from siprouter.pv.tr_str_codecs import (
    b58_decode,
    b58_encode,
    core_hash,
    decode_7bit,
    encode_7bit,
    escape_common,
    escape_csv,
    escape_param,
    escape_user,
    str2slong,
    unescape_common,
    unescape_user,
    urldecode,
    urlencode,
)

_WS4 = " \t\r\n"


def _simple(fn: Callable[[str], Value]) -> Factory:
    """A transformation without arguments working on the string form of the value."""

    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            return fn(v if isinstance(v, str) else str(v))

        return step

    return factory


def _bytes_fn(fn: Callable[[bytes], bytes | None]) -> Factory:
    def wrap(s: str) -> Value:
        out = fn(to_bytes(s))
        return None if out is None else from_bytes(out)

    return _simple(wrap)


# ------------------------------------------------------------------ no arguments


def _len(r: ArgReader) -> Step:
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        return byte_len(v if isinstance(v, str) else str(v))

    return step


def _int(r: ArgReader) -> Step:
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None or isinstance(v, int):
            return v
        n = str2slong(v)
        if n is None:
            return None
        return n

    return step


def _case(upper: bool) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.end()
        table = (
            str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if upper
            else str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
        )

        def step(v: Value, ctx: Any) -> Value:
            if v is None or isinstance(v, int):
                return v if v is None else str(v)
            return v.translate(table)

        return step

    return factory


def _hash(name: str) -> Factory:
    return _simple(lambda s: hashlib.new(name, to_bytes(s)).hexdigest())


def _hex_decode(b: bytes) -> bytes | None:
    half = len(b) // 2
    try:
        return bytes.fromhex(b[: half * 2].decode("ascii")) if half else b""
    except (ValueError, UnicodeDecodeError):
        return None


def _hex_decode_strict(b: bytes) -> bytes | None:
    raw = b[: (len(b) // 2) * 2]
    if any(c not in b"0123456789abcdefABCDEF" for c in raw):
        return None
    return _hex_decode(raw)


def _b64enc(b: bytes) -> bytes:
    return base64.b64encode(b)


def _b64urlenc(b: bytes) -> bytes:
    return base64.urlsafe_b64encode(b)


_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _b64_decoder(extra: bytes) -> Callable[[bytes], bytes | None]:
    """Kamailio's base64 decoding: length a multiple of 4, no check of the characters
    (an unknown one counts as all ones), '=' padding at the end."""
    table = {c: i for i, c in enumerate(_B64 + extra)}

    def dec(b: bytes) -> bytes | None:
        if len(b) % 4 or not b:
            return None
        pads = 2 if b.endswith(b"==") else 1 if b.endswith(b"=") else 0
        out = bytearray()
        for k in range(0, len(b), 4):
            v = [table.get(c, 0xFF) if c != 0x3D else 0 for c in b[k : k + 4]]
            out.append(((v[0] << 2) | (v[1] >> 4)) & 0xFF)
            out.append(((v[1] << 4) | (v[2] >> 2)) & 0xFF)
            out.append(((v[2] << 6) | v[3]) & 0xFF)
        return bytes(out[: len(out) - pads]) or None

    return dec


_b64dec = _b64_decoder(b"+/")
_b64urldec = _b64_decoder(b"-_")


def _trim_pad(b: bytes) -> bytes:
    n = len(b)
    for _ in range(2):
        if n > 1 and b[n - 1 : n] == b"=":
            n -= 1
    return b[:n]


def _pad(fn: Callable[[bytes], bytes | None]) -> Callable[[bytes], bytes | None]:
    def dec(b: bytes) -> bytes | None:
        if len(b) % 4:
            b = b + b"=" * (4 - len(b) % 4)
        return fn(b)

    return dec


def _numeric(s: str) -> str:
    return "".join(c for c in s if "0" <= c <= "9")


def _rmws(s: str) -> str:
    return s.translate({ord(c): None for c in _WS4})


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s


_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _unbracket(s: str) -> str:
    if len(s) >= 2 and _BRACKETS.get(s[0]) == s[-1]:
        return s[1:-1]
    return s


def _keep_int(fn: Callable[[str], str]) -> Factory:
    """unquote/unbracket: a value shorter than 2 characters passes through unchanged."""

    def factory(r: ArgReader) -> Step:
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            s = v if isinstance(v, str) else str(v)
            if len(s) < 2:
                return v  # Kamailio leaves a short value as it is (an integer stays one)
            return fn(s)

        return step

    return factory


# ------------------------------------------------------------------ numeric arguments


def _substr(r: ArgReader) -> Step:
    r.comma("an offset")
    a_off = r.number()
    r.comma("a length")
    a_len = r.number()
    if a_len.getter is None and int(a_len.const or 0) < 0:  # type: ignore[arg-type]
        raise r.error("the length must not be negative")
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        i = a_off.int_value(ctx)
        j = a_len.int_value(ctx)
        if i is None or j is None or j < 0:
            return None
        s = to_str(v)
        b = s if s.isascii() else to_bytes(s)
        n = len(b)
        if i >= 0:
            if i >= n:
                return None
            if i + j >= n:
                j = 0
            out = b[i:] if j == 0 else b[i : i + j]
        else:
            i = -i
            if i > n:
                return None
            if i < j:
                j = 0
            out = b[n - i :] if j == 0 else b[n - i : n - i + j]
        return out if isinstance(out, str) else from_bytes(out)

    return step


def _select(r: ArgReader) -> Step:
    r.comma("an index")
    a_idx = r.number()
    r.skip_ws()
    if not r.has_more() or r.i >= len(r.spec):
        raise r.error("expected ',' and a separator character")
    c = r.spec[r.i]
    r.i += 1
    if c == "\\":
        e = r.spec[r.i : r.i + 1]
        esc = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
        if e not in esc:
            raise r.error(f"unknown escape '\\{e}' in the separator")
        c = esc[e]
        r.i += 1
    r.end()
    sep = c

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        i = a_idx.int_value(ctx)
        if i is None:
            return None
        parts = to_str(v).split(sep)
        if i < 0:
            i += len(parts)
            if i < 0:
                return ""
        elif i >= len(parts):
            return ""
        return parts[i]

    return step


def _strip(tail: bool) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.comma("a number of characters")
        a_n = r.number()
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            n = a_n.int_value(ctx)
            if n is None:
                return None
            s = to_str(v)
            if n <= 0:
                return s
            b = s if s.isascii() else to_bytes(s)
            if n >= len(b):
                return ""
            out = b[: len(b) - n] if tail else b[n:]
            return out if isinstance(out, str) else from_bytes(out)

        return step

    return factory


def _prefixes(quoted: bool) -> Factory:
    def factory(r: ArgReader) -> Step:
        a_max: Arg | None = None
        r.skip_ws()
        if r.has_more():
            a_max = r.number()
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            s = to_str(v)
            mx = len(s)
            if a_max is not None:
                m = a_max.int_value(ctx)
                if m is None:
                    return None
                if 0 < m < mx:
                    mx = m
            q = "'" if quoted else ""
            return ",".join(f"{q}{s[:k]}{q}" for k in range(1, mx + 1))

        return step

    return factory


def _corehash(r: ArgReader) -> Step:
    a_size: Arg | None = None
    r.skip_ws()
    if r.has_more():
        a_size = r.number()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        size = 0
        if a_size is not None:
            m = a_size.int_value(ctx)
            if m is None:
                return None
            size = m & 0xFFFFFFFF
        return str(core_hash(to_bytes(to_str(v)), size))

    return step


def _fmtline(ch: str) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.comma("a line length")
        a_n = r.number()
        r.comma("a padding length")
        a_m = r.number()
        for a in (a_n, a_m):
            if a.getter is None and int(a.const or 0) < 0:  # type: ignore[arg-type]
                raise r.error("negative length")
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            n = a_n.int_value(ctx)
            m = a_m.int_value(ctx)
            if n is None or m is None or n <= 0 or m < 0:
                return None
            s = to_str(v)
            # Kamailio 5.6.3 tests `i / n == 0`: a break before each of s[1:n] only.
            brk = "\r\n" + ch * m
            head = s[:1] + "".join(brk + c for c in s[1:n])
            return head + s[n:] if len(s) > n else head

        return step

    return factory


# ------------------------------------------------------------------ string arguments


def _str_arg_factory(fn: Callable[[str, str], Value], *, marker: bool = False) -> Factory:
    def factory(r: ArgReader) -> Step:
        r.comma("an argument")
        a = r.string(marker=marker)
        r.end()

        def step(v: Value, ctx: Any) -> Value:
            if v is None:
                return None
            arg = a.str_value(ctx)
            if arg is None:
                return None
            return fn(to_str(v), arg)

        return step

    return factory


def _stripto(s: str, arg: str) -> str:
    k = s.find(arg[0]) if arg else -1
    return "" if k < 0 else s[k:]


def _count(s: str, arg: str) -> int:
    return s.count(arg[0]) if arg else 0


def _before(s: str, arg: str) -> str:
    k = s.find(arg[0]) if arg else -1
    return s if k < 0 else s[:k]


def _after(s: str, arg: str) -> str:
    k = s.find(arg[0]) if arg else -1
    return "" if k < 0 else s[k + 1 :]


def _rbefore(s: str, arg: str) -> str:
    k = s.rfind(arg[0]) if arg else -1
    return s if k < 0 else s[:k]


def _rafter(s: str, arg: str) -> str:
    k = s.rfind(arg[0]) if arg else -1
    return "" if k < 0 else s[k + 1 :]


_RM_ESC = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def _rm_unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(_RM_ESC.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _rm(r: ArgReader) -> Step:
    r.comma("the text to remove")
    a = r.string()
    r.end()
    if a.getter is None:
        a = Arg(const=_rm_unescape(str(a.const)))

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        sub = a.str_value(ctx)
        if sub is None:
            return None
        return to_str(v).replace(sub, "") if sub else to_str(v)

    return step


def _replace(r: ArgReader) -> Step:
    r.comma("the text to replace")
    a_old = r.string()
    r.comma("the replacement")
    a_new = r.string()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        old = a_old.str_value(ctx)
        new = a_new.str_value(ctx)
        if old is None or new is None:
            return None
        return to_str(v).replace(old, new) if old else to_str(v)

    return step


def _ftime(r: ArgReader) -> Step:
    r.comma("a strftime format")
    a_fmt = r.string()
    r.end()

    def step(v: Value, ctx: Any) -> Value:
        if v is None:
            return None
        t = int(v) if isinstance(v, int) else str2slong(v)
        fmt = a_fmt.str_value(ctx)
        if t is None or fmt is None:
            return None
        try:
            return time.strftime(fmt, time.localtime(t))
        except (ValueError, OverflowError, OSError):
            return None

    return step


def _trim(chars: str, left: bool, right: bool) -> Callable[[str], str]:
    if left and right:
        return lambda s: s.strip(chars)
    if left:
        return lambda s: s.lstrip(chars)
    return lambda s: s.rstrip(chars)


FACTORIES: dict[str, Factory] = {
    "len": _len,
    "int": _int,
    "md5": _hash("md5"),
    "sha256": _hash("sha256"),
    "sha384": _hash("sha384"),
    "sha512": _hash("sha512"),
    "substr": _substr,
    "select": _select,
    "encode.hexa": _bytes_fn(lambda b: b.hex().encode()),
    "decode.hexa": _bytes_fn(_hex_decode_strict),
    "encode.7bit": _bytes_fn(encode_7bit),
    "decode.7bit": _bytes_fn(decode_7bit),
    "encode.base58": _bytes_fn(b58_encode),
    "decode.base58": _bytes_fn(b58_decode),
    "encode.base64": _bytes_fn(_b64enc),
    "decode.base64": _bytes_fn(_b64dec),
    "encode.base64t": _bytes_fn(lambda b: _trim_pad(_b64enc(b))),
    "decode.base64t": _bytes_fn(_pad(_b64dec)),
    "encode.base64url": _bytes_fn(_b64urlenc),
    "decode.base64url": _bytes_fn(_b64urldec),
    "encode.base64urlt": _bytes_fn(lambda b: _trim_pad(_b64urlenc(b))),
    "decode.base64urlt": _bytes_fn(_pad(_b64urldec)),
    "escape.common": _bytes_fn(escape_common),
    "unescape.common": _bytes_fn(unescape_common),
    "escape.user": _bytes_fn(escape_user),
    "unescape.user": _bytes_fn(unescape_user),
    "escape.param": _bytes_fn(escape_param),
    "unescape.param": _bytes_fn(unescape_user),
    "escape.csv": _bytes_fn(escape_csv),
    "tolower": _case(False),
    "toupper": _case(True),
    "strip": _strip(False),
    "striptail": _strip(True),
    "stripto": _str_arg_factory(_stripto),
    "prefixes": _prefixes(False),
    "prefixes.quoted": _prefixes(True),
    "replace": _replace,
    "ftime": _ftime,
    "trim": _simple(_trim(_WS4, True, True)),
    "rtrim": _simple(_trim(_WS4, False, True)),
    "ltrim": _simple(_trim(_WS4, True, False)),
    "rm": _rm,
    "rmws": _simple(_rmws),
    "urlencode.param": _bytes_fn(urlencode),
    "urldecode.param": _bytes_fn(urldecode),
    "numeric": _simple(_numeric),
    "corehash": _corehash,
    "unquote": _keep_int(_unquote),
    "unbracket": _keep_int(_unbracket),
    "count": _str_arg_factory(_count, marker=True),
    "before": _str_arg_factory(_before, marker=True),
    "after": _str_arg_factory(_after, marker=True),
    "rbefore": _str_arg_factory(_rbefore, marker=True),
    "rafter": _str_arg_factory(_rafter, marker=True),
    "fmtlines": _fmtline(" "),
    "fmtlinet": _fmtline("\t"),
}
