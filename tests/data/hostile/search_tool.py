"""A tool named `search`."""


def search(text: str) -> str:
    """Search for a text.

    Args:
        text: What to search for.
    """
    return f"found {text}"
