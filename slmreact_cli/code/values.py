"""What a program can reach: plain data, a short list of builtins, `math`, and chosen methods of
plain data. Every callable a program can hold is a `SafeCallable`, so the interpreter calls nothing
it did not hand out. Operations whose result could be huge (`10**10**9`, `"x" * 10**12`, a width of
a billion in a format spec) are refused before they run.
"""
from __future__ import annotations

import ast
import math
import operator
import re
import string
from dataclasses import dataclass
from typing import Any, Callable


class ProgramError(Exception):
    """Ends the program; its text is the line the model reads."""


class LimitReached(ProgramError):
    pass


@dataclass(frozen=True)
class Limits:
    operations: int = 100_000  # evaluated nodes per program
    seconds: float = 2.0  # the program's own time; tool calls are bounded by the worker's timeout
    output_chars: int = 4_000  # printed text kept for the Observation
    tool_calls: int = 20  # per program
    items: int = 1_000_000  # length of one string, list, range, ...
    int_bits: int = 10_000  # about 3000 digits
    call_depth: int = 20  # nested calls of the program's own functions
    format_width: int = 1_000  # widths and precisions in format specs


class SafeCallable:
    """A function the program may call; `name` is what errors and repr show."""

    name = "function"

    def __repr__(self) -> str:
        return f"<function {self.name}>"


class Builtin(SafeCallable):
    """`fn` stays reachable as is, so `isinstance(x, int)` can see the type itself; `before` checks
    the arguments first where the call itself could be huge (str of a long list)."""

    def __init__(self, name: str, fn: Callable[..., Any], before: Callable[..., None] | None = None):
        self.name, self.fn, self.before = name, fn, before

    def __call__(self, *args, **kwargs):
        if self.before is not None:
            self.before(*args, **kwargs)
        return self.fn(*args, **kwargs)


class SafeMethod(SafeCallable):
    """A chosen method of a plain value, checked like a builtin."""

    def __init__(self, owner: Any, name: str, guard: Callable[..., None] | None, limits: Limits):
        self.owner, self.name, self.guard, self.limits = owner, name, guard, limits

    def __call__(self, *args, **kwargs):
        if self.guard is not None:
            self.guard(self.owner, self.limits, *args, **kwargs)
        result = getattr(self.owner, self.name)(*args, **kwargs)
        check_value(self.owner, self.limits)  # append, extend and update grow the value itself
        return result


# ---- size guards ---------------------------------------------------------------------------------

def check_value(value: Any, limits: Limits) -> Any:
    """Refuse a result too large to keep (checked after every operation and call)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > limits.int_bits:
        raise LimitReached(f"the number is too large (more than {limits.int_bits} bits)")
    if isinstance(value, (str, list, tuple, dict, set, frozenset, range)) and len(value) > limits.items:
        raise LimitReached(f"the {type(value).__name__} is too large (more than {limits.items} items)")
    return value


def check_text_size(value: Any, limits: Limits) -> Any:
    """Refuse to turn into text a value whose text would be too large: a list of a million long
    strings is small to hold and huge to print. Walks at most about `limits.items` elements."""
    budget = [limits.items]

    def spend(item: Any, depth: int) -> None:
        if isinstance(item, str):
            budget[0] -= len(item) + 2
        elif isinstance(item, dict) and depth < 50:
            for key, inner in item.items():
                spend(key, depth + 1)
                spend(inner, depth + 1)
                if budget[0] < 0:
                    break
        elif isinstance(item, (list, tuple, set, frozenset)) and depth < 50:
            for inner in item:
                spend(inner, depth + 1)
                if budget[0] < 0:
                    break
        else:
            budget[0] -= 24
        if budget[0] < 0:
            raise LimitReached(f"the text of this value would be too large (more than {limits.items} characters)")

    spend(value, 0)
    return value


def _join_guard(owner: str, limits: Limits, items: Any = (), *_: Any) -> None:
    if isinstance(items, (list, tuple, set, frozenset, dict)):
        check_text_size(list(items), limits)
        if len(owner) * len(items) > limits.items:
            raise LimitReached("the joined string would be too large")


_FORMAT_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?")


def check_format_spec(spec: str, limits: Limits) -> None:
    """A format spec such as `>10.2f`: every width or precision is bounded."""
    if any(int(n) > limits.format_width for n in _FORMAT_NUMBER.findall(spec)):
        raise LimitReached(f"format width or precision above {limits.format_width} in {spec!r}")


def check_template(template: str, limits: Limits, *_: Any, **__: Any) -> None:
    """`"{:.2f}".format(x)`: fields may name positions or keywords only (no `{0.attr}`, `{0[i]}`)."""
    for _text, field, spec, _conv in string.Formatter().parse(template):
        if field and ("." in field or "[" in field):
            raise ProgramError(f"the format field {{{field}}} is not available: use an f-string")
        if spec:
            if "{" in spec:
                raise ProgramError("nested format fields are not available: use an f-string")
            check_format_spec(spec, limits)


def _percent_format(template: str, limits: Limits) -> None:
    for width, precision in _PERCENT_SPEC.findall(template):
        for n in (width, precision):
            if n == "*":
                raise ProgramError("* widths in % formatting are not available: use an f-string")
            if n and int(n) > limits.format_width:
                raise LimitReached(f"format width or precision above {limits.format_width}")


def _repeat_size(seq: Any, times: Any, limits: Limits) -> None:
    if isinstance(times, int) and len(seq) * max(times, 0) > limits.items:
        raise LimitReached(f"the repeated {type(seq).__name__} would be too large (more than {limits.items} items)")


def _int_bits(value: Any) -> int:
    return max(abs(int(value)).bit_length(), 1)


def binary_op(op: type, left: Any, right: Any, limits: Limits) -> Any:
    """`left op right` with the checks that must come before the work is done."""
    fn = BINARY_OPERATORS[op]
    ints = all(isinstance(v, int) for v in (left, right))
    if op is POW and ints and right > 0 and _int_bits(left) * right > limits.int_bits and abs(left) > 1:
        raise LimitReached(f"the power ** {right} is too large")
    if op is MULT:
        if ints and _int_bits(left) + _int_bits(right) > limits.int_bits:
            raise LimitReached("the product is too large")
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)):
                _repeat_size(seq, times, limits)
    if op is LSHIFT and ints and right > 0 and _int_bits(left) + right > limits.int_bits:
        raise LimitReached("the shifted number is too large")
    if op is MOD and isinstance(left, str):
        _percent_format(left, limits)
        check_text_size(right, limits)
    return check_value(fn(left, right), limits)


POW, MULT, LSHIFT, MOD = ast.Pow, ast.Mult, ast.LShift, ast.Mod
BINARY_OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}
UNARY_OPERATORS = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_,
                   ast.Invert: operator.invert}
COMPARISONS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


# ---- methods of plain data -----------------------------------------------------------------------

def _width_guard(owner: Any, limits: Limits, width: Any = 0, *_: Any) -> None:
    if isinstance(width, int) and width > limits.items:
        raise LimitReached(f"the width {width} is too large")


def _replace_guard(owner: str, limits: Limits, old: Any = "", new: Any = "", *_: Any) -> None:
    if isinstance(old, str) and isinstance(new, str):
        count = owner.count(old) if old else len(owner) + 1
        if len(owner) + count * len(new) > limits.items:
            raise LimitReached("the replaced string would be too large")


_STR_METHODS = {m: None for m in (
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower isnumeric isspace "
    "istitle isupper lower lstrip partition removeprefix removesuffix rfind rindex rpartition rsplit rstrip "
    "split splitlines startswith strip swapcase title upper").split()}
_STR_METHODS.update({"join": _join_guard, "replace": _replace_guard, "format": check_template, "center": _width_guard,
                     "ljust": _width_guard, "rjust": _width_guard, "zfill": _width_guard})
METHODS: dict[type, dict[str, Callable | None]] = {
    str: _STR_METHODS,
    list: dict.fromkeys("append clear copy count extend index insert pop remove reverse sort".split()),
    dict: dict.fromkeys("clear copy get items keys pop popitem setdefault update values".split()),
    set: dict.fromkeys(("add clear copy difference discard intersection isdisjoint issubset issuperset pop remove "
                        "symmetric_difference union update").split()),
    tuple: dict.fromkeys("count index".split()),
    int: dict.fromkeys(["bit_length"]),
    float: dict.fromkeys(["is_integer"]),
}


def method(owner: Any, name: str, limits: Limits) -> SafeMethod:
    for kind, methods in METHODS.items():
        if type(owner) is kind and name in methods:
            return SafeMethod(owner, name, methods[name], limits)
    hint = f"; use x[{name!r}]" if isinstance(owner, dict) else ""
    raise ProgramError(f"AttributeError: {type(owner).__name__} has no attribute or method {name!r} here{hint}")


# ---- math ----------------------------------------------------------------------------------------

def _factorial(n: Any) -> int:
    if isinstance(n, int) and n > 1000:
        raise LimitReached("factorial of more than 1000 is too large")
    return math.factorial(n)


_MATH_FUNCTIONS = ("acos acosh asin asinh atan atan2 atanh ceil copysign cos cosh degrees dist erf erfc exp expm1 "
                   "fabs floor fmod frexp fsum gamma gcd hypot isclose isfinite isinf isnan isqrt lcm ldexp lgamma "
                   "log log10 log1p log2 modf radians remainder sin sinh sqrt tan tanh trunc").split()
_MATH_CONSTANTS = ("pi", "e", "tau", "inf", "nan")


class MathModule:
    """`math` as the program sees it: the functions and constants of plain numbers."""

    def __init__(self, limits: Limits):
        self.members: dict[str, Any] = {n: Builtin(f"math.{n}", getattr(math, n))
                                        for n in _MATH_FUNCTIONS if hasattr(math, n)}
        self.members["factorial"] = Builtin("math.factorial", _factorial)
        self.members["pow"] = Builtin("math.pow", math.pow)  # always a float: no huge integers
        self.members.update({n: getattr(math, n) for n in _MATH_CONSTANTS})

    def attribute(self, name: str) -> Any:
        if name not in self.members:
            raise ProgramError(f"AttributeError: math has no {name!r}")
        return self.members[name]

    def __repr__(self) -> str:
        return "<module 'math'>"


MATH_NAMES = frozenset([*_MATH_FUNCTIONS, "factorial", "pow", *_MATH_CONSTANTS])
