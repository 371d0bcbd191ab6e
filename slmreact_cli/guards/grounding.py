"""Numbers in a tool call that come from nowhere.

Small models fill a missing value with a number they have seen elsewhere, often one from the
prompt's own format example ("7 * 12" where 12 is the example's result). A number in a call is
grounded when it appears in the question, in an earlier question of the session or in an
observation, possibly rounded, as a percentage, or as the mantissa or exponent of a number in
scientific notation, or as a number word ("two", "dozen"). In a call, small integers (0 to 10) and
powers of ten pass too: they are the usual constants of arithmetic (squares, halves, per cent).
Anything else is reported, so the loop can ask the model where it came from; so is an Answer that
gives a result's mantissa without its exponent (`dropped_exponents`). So is a call none of
whose values relates to the question or the results (`unrelated_call`): a model that has drifted
to another subject, such as a planet's mass in a letter-counting question.

The loop keeps one `Grounding` per question (what is known so far, which calls were questioned)
and asks `call_note` before a call runs and `Grounding.question_answer` before an Answer stands.
Each is asked once: a call written again as it was runs, and a second Answer is final.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ..prompts import format_call
from .repeats import call_key

_NUMBER = re.compile(r"(?<![\w.])-?(\d+(?:\.\d+)?)(?:[eE]([-+]?\d+))?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _number_matches(text: str) -> Iterator[re.Match]:
    """The numbers written in the text, thousands separators read."""
    return _NUMBER.finditer(_THOUSANDS.sub("", text))


def numbers_in(text: str) -> list[tuple[str, float]]:
    """Every number written in the text, as (spelling, value)."""
    found = []
    for match in _number_matches(text):
        try:
            found.append((match.group(0), float(match.group(0))))
        except ValueError:  # an exponent too large for a float
            continue
    return found


def scientific_numbers(texts: Iterable[str]) -> dict[float, str]:
    """The numbers written in scientific notation, as {mantissa: spelling}."""
    return {abs(float(m.group(1))): m.group(0) for text in texts for m in _number_matches(text) if m.group(2)}


_POWER_OF_TEN = re.compile(r"\s*(?:[x×*·]|times)\s*10\s*(?:\^|\*\*)", re.IGNORECASE)


def dropped_exponents(answer: str, scientific: dict[float, str]) -> list[tuple[str, str]]:
    """(written, result) for each number of an Answer that is a result's mantissa without its exponent:
    "5.1971 kg" after 5.1971e+24. Written with "× 10^24" after it, the exponent is there."""
    found = []
    for match in _number_matches(answer):
        if match.group(2) or _POWER_OF_TEN.match(match.string, match.end()):
            continue
        value = abs(float(match.group(0)))
        tolerance = _tolerance(match.group(0), value)
        found += [(match.group(0), spelled) for mantissa, spelled in scientific.items()
                  if abs(value - mantissa) <= tolerance]
    return list(dict.fromkeys(found))


_WORDS = {w: float(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_WORDS |= {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9, "dozen": 12.0, "half": 0.5}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.IGNORECASE)


def _list_lengths(text: str) -> set[float]:
    """How many items each JSON list in a result holds: "How many X are there?" is answered by counting
    a list result, and the count is written nowhere in it."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return set()
    lengths, pending = set(), [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            lengths.add(float(len(item)))
            pending += item
        elif isinstance(item, dict):
            pending += item.values()
    return lengths


def known_numbers(texts: Iterable[str]) -> set[float]:
    """Every number in the texts, in digits (with its mantissa and exponent) or as a number word, and
    the length of every JSON list among them."""
    known: set[float] = set()
    for text in texts:
        known |= _list_lengths(text)
        known.update(_WORDS[w.lower()] for w in _WORD.findall(text))
        for match in _number_matches(text):
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


def _tolerance(spelling: str, value: float) -> float:
    """How far a number written as `spelling` may be from the number it stands for."""
    return max(_half_unit(spelling, value), 1e-9 * value)


def is_grounded(spelling: str, value: float, known: set[float], constants: bool = True) -> bool:
    """`constants`: small integers and powers of ten pass (arithmetic in a call). An Answer is held
    to what was observed: its "0" or "3" counts only where the question or a result has it."""
    value = abs(value)
    if constants and value <= 10 and value == int(value):
        return True
    if constants and value > 0 and math.log10(value) == int(math.log10(value)):
        return True
    tolerance = _tolerance(spelling, value)
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


def known_words(texts: Iterable[str]) -> set[str]:
    """The words of the texts (letters only, three or more), lower-cased."""
    return {w for text in texts for w in re.findall(r"[^\W\d_]+", text.lower()) if len(w) > 2}


def unrelated_call(arguments: dict[str, Any], known: set[float], words: set[str]) -> list[str]:
    """The arguments' values when none of them comes from the question or an observation: a call
    that has drifted to some other subject (a planet's mass in a letter-counting question). A word
    of a text value is related when it and one of `words` start alike ("EUR" and "euros"); a
    number, as in `ungrounded_numbers`. Short codes, single letters, lists and objects are not judged."""
    values, related = [], False
    for value in arguments.values():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            values.append(repr(value))
            related |= is_grounded(repr(value), float(value), known)
        elif isinstance(value, str):
            own, numbers = known_words([value]), numbers_in(value)
            if not own and not numbers:
                related = True
                continue
            values.append(json.dumps(value, ensure_ascii=False))
            related |= any(is_grounded(sp, v, known) for sp, v in numbers)
            related |= any(v.startswith(w) or w.startswith(v) for w in own for v in words)
        else:
            related = True
    return [] if related or not values else values


# How a call's questioned values are followed in the note to the model.
STRAY_ADVICE = (". Use the values you have, get a missing one with a tool, or write the Answer if the observations "
                "already answer the question.")
UNRELATED_ADVICE = (": this call is about something else. Call a tool with the question's own values, or write the "
                    "Answer if the observations already answer the question.")


@dataclass
class Grounding:
    """Per question: the numbers known so far, and the calls already questioned for a stray number."""
    known: set[float]
    warned: set[str]  # call keys (repeats.call_key) already questioned
    enabled: bool = True
    words: set[str] = field(default_factory=set)  # the words of the question and the results so far
    scientific: dict[float, str] = field(default_factory=dict)  # results in scientific notation, by mantissa
    answer_questioned: bool = False

    def learn(self, texts: list[str]) -> None:
        """Take in the question (and earlier exchanges) at the start, then each result as it arrives."""
        self.known |= known_numbers(texts)
        self.words |= known_words(texts)
        self.scientific |= scientific_numbers(texts)

    def learn_words(self, text: str) -> None:
        """Take in the words of a tool's error, which may list the values that exist."""
        self.words |= known_words([text])

    def question_answer(self, answer: str) -> str | None:
        """`answer_note`, once per question: the second Answer is final."""
        note = answer_note(answer, self)
        if note:
            self.answer_questioned = True
        return note


def answer_note(answer: str, grounding: Grounding) -> str | None:
    """The note for an Answer with numbers from nowhere, or with a result's mantissa and not its
    exponent (small models write "5.1971 kg" for 5.1971e+24); None once an Answer was questioned."""
    if grounding.answer_questioned or not grounding.enabled:
        return None
    stray = [s for s, v in numbers_in(answer) if not is_grounded(s, v, grounding.known, constants=False)]
    dropped = dropped_exponents(answer, grounding.scientific)
    if dropped:
        written, result = dropped[0]
        return (f"Error: {written} in the Answer is {result} without its exponent. Write the Answer again "
                "with the number exactly as the observation gives it.")
    if stray:
        return (f"Error: {', '.join(dict.fromkeys(stray))} in the Answer comes from neither the question nor an "
                "observation. Write the Answer again from the observations, or from your own knowledge if no tool "
                "fits the question.")
    return None


def call_note(name: str, arguments: dict, grounding: Grounding) -> str | None:
    """The note for a call with numbers from nowhere or, failing those, a call none of whose values
    relates to anything known; None for a call already questioned (`grounding.warned`), which runs."""
    if not grounding.enabled or call_key(name, arguments) in grounding.warned:
        return None
    found, advice = ungrounded_numbers(arguments, grounding.known), STRAY_ADVICE
    if not found:
        found, advice = unrelated_call(arguments, grounding.known, grounding.words), UNRELATED_ADVICE
    if not found:
        return None
    verb = "comes" if len(found) == 1 else "come"
    return (f"{', '.join(found)} in {format_call(name, arguments)} {verb} from neither the question "
            f"nor an observation{advice}")
