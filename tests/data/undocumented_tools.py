"""A module with a function that cannot be a tool (no type hint, no docstring) beside one that can."""


def bare(x):
    return x


def fine(x: int) -> int:
    """Fine.

    Args:
        x: A number.
    """
    return x
