"""Module-function calls whose arguments mix expressions with constants.

Kamailio 5.6.3 folds constant expressions (`"2" + "00"`, `100 + 83`) to strings at parse
time and fixes them up like any constant. When an argument is a real expression
(`setbflag($var(f), 1)`, `setdsturi("sip:" + $var(x))`), the call runs a *runtime fixup*:
each expression is evaluated to a string and the function's fixup is applied to it per
call (verified with 5.6.3):

* a format parameter parses the evaluated text as a format: `$var(x) = "$rU@h";
  setdsturi("sip:" + $var(x))` sets `$du` to `sip:<user>@h`;
* an int parameter takes the text as Kamailio's str2sint does: an optional sign, decimal
  digits only, within 32 bits; "" / "+" / "-" are 0; " 7", "0x5", "$var(f)" fail;
* a fixup that fails logs "runtime fixup failed for NAME param N" and the function is
  not called: as a statement $rc is left unchanged and the script goes on; inside an
  expression the call is worth -5 (E_BUG) and $rc becomes 0.

`DynamicCall` is one such call site. Its fixup results are cached by the evaluated
values, so the constants and a repeated expression value are fixed up once, not per
message. The compiler classifies each expression position once at compile time: a
position whose fixup turns "0" into an int is an int parameter. A function exported with
`dynamic_args` therefore needs a fixup without side effects: it runs once with the "0"
probe and once per distinct evaluated value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from siprouter.cfg.errors import ConfigError
from siprouter.pv.format import active_compiler, compiling_with
from siprouter.runtime.logging import L_ERR, LOG

from .script_rt import act

# returned by DynamicCall when the runtime fixup failed (the function did not run)
FIXUP_FAILED: Any = type("FixupFailed", (), {"__repr__": lambda self: "FIXUP_FAILED"})()

E_BUG = -5  # Kamailio's error code of an action whose runtime fixup failed
CACHE_SIZE = 256  # distinct evaluated values remembered per call site
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_FIXUP_ERRORS = (ValueError, TypeError, ConfigError)


def str2sint(text: str) -> int | None:
    """Kamailio's str2sint: optional sign and decimal digits ("" is 0); None when the
    text is not such a number or does not fit in 32 bits."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if digits and not (digits.isdigit() and digits.isascii()):
        return None
    value = int(digits) if digits else 0
    if text[:1] == "-":
        value = -value
    return value if _INT_MIN <= value <= _INT_MAX else None


def as_text(value: Any) -> str:
    """An evaluated expression as the text the runtime fixup sees (no value is "")."""
    if type(value) is str:
        return value
    return "" if value is None else str(value)


def probe_int_positions(
    fixup: Callable[[Sequence[Any]], Sequence[Any]], raw: Sequence[Any], dyn: Sequence[int]
) -> frozenset[int]:
    """The expression positions that are int parameters: those the fixup turns "0" into
    an int. When the fixup refuses the probe, none are known (each call then fails as
    Kamailio's does for a bad constant, which its `-c` does not check either)."""
    probe = list(raw)
    for i in dyn:
        probe[i] = "0"
    try:
        fixed = list(fixup(probe))
    except _FIXUP_ERRORS:
        return frozenset()
    return frozenset(i for i in dyn if i < len(fixed) and type(fixed[i]) is int)


class DynamicCall:
    """A module-function call site with expression arguments; called with the context
    and the evaluated expressions (in position order). Returns the function's result,
    or FIXUP_FAILED."""

    __slots__ = ("cache", "dyn", "fixup", "func", "ints", "name", "pvc", "raw", "where")

    def __init__(
        self,
        name: str,
        func: Callable[..., Any],
        fixup: Callable[[Sequence[Any]], Sequence[Any]],
        raw: Sequence[Any],
        dyn: Sequence[int],
        where: str,
    ) -> None:
        self.name = name
        self.func = func
        self.fixup = fixup
        self.raw = list(raw)  # constants as written (folded); expression slots unused
        self.dyn = tuple(dyn)
        self.ints = probe_int_positions(fixup, raw, dyn)
        self.where = where
        self.pvc = active_compiler()  # runtime texts see the config's modules and defines
        self.cache: dict[tuple[Any, ...], Any] = {}

    def __call__(self, ctx: Any, *values: Any) -> Any:
        try:
            fixed = self.cache.get(values)
        except TypeError:  # an unhashable value: fixed up without the cache
            fixed = self.fix(values)
        else:
            if fixed is None:
                fixed = self.cache[values] = self.fix(values)
                if len(self.cache) > CACHE_SIZE:
                    self.cache.clear()
        if type(fixed) is _Failure:
            fixed.report(self)
            return FIXUP_FAILED
        return self.func(ctx, *fixed)

    def fix(self, values: tuple[Any, ...]) -> Any:
        """The fixed-up arguments (a tuple) for these evaluated values, or a _Failure."""
        args = list(self.raw)
        for pos, value in zip(self.dyn, values, strict=True):
            text = as_text(value)
            if pos in self.ints:
                n = str2sint(text)
                if n is None:
                    return _Failure(pos, f"cannot convert {text!r} to an int")
                args[pos] = n
            else:
                args[pos] = text
        try:
            with compiling_with(self.pvc):
                return tuple(self.fixup(args))
        except _FIXUP_ERRORS as e:
            return _Failure(self.dyn[0], str(getattr(e, "message", e)))


class _Failure:
    """A runtime fixup that failed: logged at every call, as Kamailio does."""

    __slots__ = ("pos", "why")

    def __init__(self, pos: int, why: str) -> None:
        self.pos = pos
        self.why = why

    def report(self, call: DynamicCall) -> None:
        if not LOG.enabled(L_ERR):
            return
        n = self.pos + 1
        LOG.write(L_ERR, "<core>", f"fixup of {call.name}() parameter {n}: {self.why}")
        LOG.write(L_ERR, "<core>", f"do_action(): runtime fixup failed for {call.name} param {n}")
        LOG.write(L_ERR, "<core>", f"do_action(): run action error at: {call.where}")


def act_dynamic(ctx: Any, r: Any) -> int:
    """A DynamicCall used inside an expression: after a failed runtime fixup the value
    is -5 and $rc 0 (the script goes on); otherwise as script_rt.act."""
    if r is FIXUP_FAILED:
        ctx.rc = 0
        return E_BUG
    return act(ctx, r)
