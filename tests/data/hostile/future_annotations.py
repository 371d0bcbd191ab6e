"""Type hints written as strings (postponed evaluation)."""
from __future__ import annotations

import datetime
from typing import Literal, Optional


def describe_day(day: datetime.date, style: Literal["short", "long"] = "short", prefix: Optional[str] = None) -> str:
    """Name the weekday of a date.

    Args:
        day: The date, e.g. 2024-01-01.
        style: "short" (Mon) or "long" (Monday).
        prefix: Text to put in front.
    """
    name = day.strftime("%a" if style == "short" else "%A")
    return f"{prefix or ''}{name}"
