"""Arithmetic on numbers already looked up: loaded beside the domain modules in every split.

Results are rounded to six significant decimals so that they read like the lookups they combine.
"""
from __future__ import annotations

__all__ = ["add_values", "subtract_values", "multiply_values", "percent_of"]


def _tidy(value: float) -> float:
    return round(value, 6)


def add_values(values: list[float]) -> float:
    """The sum of a list of numbers.

    Args:
        values: The numbers to add, e.g. [12.5, 30, 7].
    """
    if not values:
        raise ValueError("values is empty: give at least one number")
    return _tidy(sum(values))


def subtract_values(a: float, b: float) -> float:
    """a minus b.

    Args:
        a: The number to subtract from.
        b: The number to subtract.
    """
    return _tidy(a - b)


def multiply_values(a: float, b: float) -> float:
    """a times b.

    Args:
        a: The first factor.
        b: The second factor.
    """
    return _tidy(a * b)


def percent_of(percent: float, value: float) -> float:
    """A percentage of a value, e.g. 15 percent of 80 is 12.

    Args:
        percent: The percentage, e.g. 15 for 15%.
        value: The value to take the percentage of.
    """
    return _tidy(percent * value / 100)
