"""Numbers in a tool call that come from nowhere.

Small models fill a missing value with a number they have seen elsewhere, often one from the
prompt's own format example ("7 * 12" where 12 is the example's result). A number in a call is
grounded when it appears in the question, in an earlier question of the session or in an
observation, possibly rounded, as a percentage, or as the mantissa or exponent of a number in
scientific notation. Small integers (0 to 10) and powers of ten pass: they are the usual
constants of arithmetic (squares, halves, per cent). Anything else is reported, so the loop can
ask the model where it came from before running the call.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable

_NUMBER = re.compile(r"(?<![\w.])-?(\d+(?:\.\d+)?)(?:[eE]([-+]?\d+))?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def numbers_in(text: str) -> list[tuple[str, float]]:
    """Every number written in the text, as (spelling, value); thousands separators are read."""
    text = _THOUSANDS.sub("", text)
    found = []
    for match in _NUMBER.finditer(text):
        try:
            found.append((match.group(0), float(match.group(0))))
        except ValueError:  # an exponent too large for a float
            continue
    return found


def known_numbers(texts: Iterable[str]) -> set[float]:
    known: set[float] = set()
    for text in texts:
        text = _THOUSANDS.sub("", text)
        for match in _NUMBER.finditer(text):
            mantissa, exponent = match.group(1), match.group(2)
            for part in (match.group(0), mantissa, exponent):
                if part:
                    try:
                        known.add(abs(float(part)))
                    except ValueError:
                        pass
    return known


def _half_unit(spelling: str, value: float) -> float:
    """Half a unit in the last written digit: how far a rounded spelling may be from the number."""
    mantissa = spelling.lstrip("-+").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0") or "0"
    if value == 0:
        return 0.0
    return 0.5 * 10 ** (math.floor(math.log10(abs(value))) - len(digits) + 1)


def is_grounded(spelling: str, value: float, known: set[float]) -> bool:
    value = abs(value)
    if value <= 10 and value == int(value):
        return True
    if value > 0 and math.log10(value) == int(math.log10(value)):
        return True
    tolerance = max(_half_unit(spelling, value), 1e-9 * value)
    return any(abs(value - candidate) <= tolerance
               for k in known for candidate in (k, k / 100, k * 100))  # as written, rounded, or per cent


def ungrounded_numbers(arguments: dict[str, Any], known: set[float]) -> list[str]:
    """Numbers in the arguments (numeric values, or numbers inside strings) not grounded in `known`."""
    found: list[str] = []
    for value in arguments.values():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            items = [(repr(value), float(value))]
        elif isinstance(value, str):
            items = numbers_in(value)
        else:
            continue
        found.extend(s for s, v in items if not is_grounded(s, v, known))
    return list(dict.fromkeys(found))
