"""Calendar arithmetic on ISO dates (YYYY-MM-DD)."""
import datetime as _dt

__all__ = ["today", "add_days", "days_between", "weekday"]


def _parse(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def today() -> str:
    """Return today's date in the form YYYY-MM-DD."""
    return _dt.date.today().isoformat()


def add_days(date: str, days: int) -> str:
    """Return the date a number of days after a given date (before it, if the number is negative).

    Args:
        date: The starting date, YYYY-MM-DD.
        days: How many days to add; negative to go back.
    """
    try:
        return (_parse(date) + _dt.timedelta(days=days)).isoformat()
    except OverflowError:
        raise ValueError("the resulting date is out of range") from None


def days_between(start: str, end: str) -> int:
    """Return the number of days from one date to another (negative if the end is earlier).

    Args:
        start: The first date, YYYY-MM-DD.
        end: The second date, YYYY-MM-DD.
    """
    return (_parse(end) - _parse(start)).days


def weekday(date: str) -> str:
    """Return the day of the week of a date, e.g. "Monday".

    Args:
        date: The date, YYYY-MM-DD.
    """
    return _parse(date).strftime("%A")
