"""Functions with *args or **kwargs next to an ordinary one."""


def total(*numbers: float) -> float:
    """Add numbers.

    Args:
        numbers: The numbers.
    """
    return sum(numbers)


def label(name: str, **options: str) -> str:
    """Make a label.

    Args:
        name: The name.
        options: Extra options.
    """
    return name


def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: The text.
    """
    return text.upper()
