"""A module that prints when imported."""
import os

print("hello from the tools module")
os.write(1, b"and straight to file descriptor 1\n")


def double(x: int) -> int:
    """Double a number.

    Args:
        x: The number.
    """
    return 2 * x
