"""A module that imports a function named like another module's tool."""
from re import search  # noqa: F401


def count_words(text: str) -> int:
    """Count the words in a text.

    Args:
        text: The text.
    """
    return len(text.split())
