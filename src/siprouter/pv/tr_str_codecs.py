"""Byte-level codecs behind the `s.*` transformations, with Kamailio's exact rules.

Escaping (common/user/param/csv), URL encoding, the SMS 7-bit PDU packing, base58,
Kamailio's `core_hash` and `str2slong` (the integer parser behind `{s.int}`).  Each
function takes bytes and returns bytes, or None where Kamailio reports an error.
"""

from __future__ import annotations

_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_USER_OK = _ALNUM | frozenset(b"-_.!~*'()&=+$,;?")
_PARAM_OK = _ALNUM | frozenset(b"-_.!~*'()[]/:&+$")
_URL_OK = _ALNUM | frozenset(b"-_.~")
_HEXVAL = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}


def str2slong(s: str) -> int | None:
    """Optional sign then only digits (an empty text is 0), within 32 bits; else None."""
    i = 0
    sign = 1
    if s[:1] == "+":
        i = 1
    elif s[:1] == "-":
        sign, i = -1, 1
    digits = s[i:]
    if digits and not (digits.isascii() and digits.isdigit()):
        return None
    n = sign * int(digits) if digits else 0
    return n if -0x80000000 <= n <= 0x7FFFFFFF else None


def escape_common(b: bytes) -> bytes:
    out = bytearray()
    for c in b:
        if c in b"'\"\\":
            out += b"\\" + bytes((c,))
        elif c == 0:
            out += b"\\0"
        else:
            out.append(c)
    return bytes(out)


_UNESC = {ord("'"): ord("'"), ord('"'): ord('"'), ord("\\"): ord("\\"), ord("0"): 0}


def unescape_common(b: bytes) -> bytes:
    out = bytearray()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c == 0x5C and i + 1 < n and b[i + 1] in _UNESC:
            out.append(_UNESC[b[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def _pct_escape(b: bytes, ok: frozenset[int]) -> bytes | None:
    out = bytearray()
    for c in b:
        if c < 32 or c > 126:
            return None
        if c in ok:
            out.append(c)
        else:
            out += b"%%%02x" % c
    return bytes(out)


def escape_user(b: bytes) -> bytes | None:
    return _pct_escape(b, _USER_OK)


def escape_param(b: bytes) -> bytes | None:
    return _pct_escape(b, _PARAM_OK)


def unescape_user(b: bytes) -> bytes | None:
    """%XX to the character; a bad hex digit or a non-printable result is an error."""
    out = bytearray()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c == 0x25:
            h = _HEXVAL.get(b[i + 1]) if i + 1 < n else None
            lo = _HEXVAL.get(b[i + 2]) if i + 2 < n else None
            if h is None or lo is None:
                return None
            v = h * 16 + lo
            if v < 32 or v > 126:
                return None
            out.append(v)
            i += 3
        else:
            out.append(c)
            i += 1
    return bytes(out)


def escape_csv(b: bytes) -> bytes:
    return b'"' + b.replace(b'"', b'""') + b'"'


def urlencode(b: bytes) -> bytes:
    out = bytearray()
    for c in b:
        if c in _URL_OK:
            out.append(c)
        else:
            out += b"%%%02x" % c
    return bytes(out)


def _signed8(x: int) -> int:
    x &= 0xFF
    return x - 256 if x > 127 else x


def _hex_to_char(c: int) -> int:
    """Kamailio's unchecked hex digit value (garbage in, garbage out, as a C char)."""
    if 0x30 <= c <= 0x39:
        return c - 0x30
    low = c + 0x20 if 0x41 <= c <= 0x5A else c
    return _signed8(low - 0x61 + 10)


def urldecode(b: bytes) -> bytes:
    out = bytearray()
    i = 0
    n = len(b)
    while i < n:
        c = b[i]
        if c == 0x25:
            if i + 2 < n:
                out.append(((_hex_to_char(b[i + 1]) << 4) | _hex_to_char(b[i + 2])) & 0xFF)
                i += 2
        elif c == 0x2B:
            out.append(0x20)
        else:
            out.append(c)
        i += 1
    return bytes(out)


_HEXUP = b"0123456789ABCDEF"


def encode_7bit(b: bytes) -> bytes:
    """Pack 8-bit characters into 7-bit septets (SMS PDU), as upper-case hex."""
    out = bytearray()
    nleft = 1
    k = 0
    i = 0
    n = len(b)
    while i < n:
        cur = b[k] if k < n else 0
        nxt = b[k + 1] if k + 1 < n else 0
        h = ((cur >> (nleft - 1)) | (nxt << (8 - nleft))) & 0xFF
        out.append(_HEXUP[h >> 4])
        out.append(_HEXUP[h & 0x0F])
        nleft += 1
        if nleft == 8:
            k += 1
            i += 1
            nleft = 1
        k += 1
        i += 1
    return bytes(out)


def decode_7bit(b: bytes) -> bytes:
    """Unpack hex septets (SMS PDU) back to characters."""
    out = bytearray()
    nleft = 1
    oldfill = 0
    n = len(b)
    for i in range(0, n, 2):
        hi = _hex_to_char(b[i]) & 0xFF
        lo = _hex_to_char(b[i + 1] if i + 1 < n else 0) & 0xFF
        c = ((hi << 4) | lo) & 0xFF
        fill = c >> (8 - nleft)
        c = ((c << (nleft - 1)) & 0xFF) & 0x7F
        c |= oldfill
        oldfill = fill
        out.append(c & 0xFF)
        nleft += 1
        if nleft == 8:
            out.append(oldfill & 0xFF)
            nleft = 1
            oldfill = 0
    return bytes(out)


_B58 = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_IDX = {c: i for i, c in enumerate(_B58)}


def b58_encode(b: bytes) -> bytes:
    zeros = len(b) - len(b.lstrip(b"\0"))
    num = int.from_bytes(b, "big")
    out = bytearray()
    while num:
        num, r = divmod(num, 58)
        out.append(_B58[r])
    return b"1" * zeros + bytes(reversed(out))


def b58_decode(b: bytes) -> bytes | None:
    """As Kamailio 5.6.3 returns it: the number's bytes, then one NUL per leading '1'
    and a final NUL (its buffer is read from the wrong end)."""
    num = 0
    for c in b:
        v = _B58_IDX.get(c)
        if v is None:
            return None
        num = num * 58 + v
    zeros = len(b) - len(b.lstrip(b"1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return body + b"\0" * (zeros + 1)


def core_hash(b: bytes, size: int = 0) -> int:
    """Kamailio's core_hash() of one string; with a size, the slot index."""
    m = 0xFFFFFFFF
    h = 0
    sb = [x - 256 if x > 127 else x for x in b]
    n = len(sb)
    p = 0
    while p <= n - 4:
        v = ((sb[p] << 24) + (sb[p + 1] << 16) + (sb[p + 2] << 8) + sb[p + 3]) & m
        h = (h + (v ^ (v >> 3))) & m
        p += 4
    v = 0
    while p < n:
        v = ((v << 8) + sb[p]) & m
        p += 1
    h = (h + (v ^ (v >> 3))) & m
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & m
    return h & ((size - 1) & m) if size else h
