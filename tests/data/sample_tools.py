"""Tools for the scripted agent tests: lookups, arithmetic and faults."""
import os
import sys
import time


def lookup(key: str) -> int:
    """Return the value stored under a key.

    Args:
        key: The key to look up: "a", "b" or "c".
    """
    table = {"a": 10, "b": 32, "c": 7}
    if key not in table:
        raise ValueError(f"no such key: {key!r}")
    return table[key]


def add(x: int, y: int) -> int:
    """Add two integers.

    Args:
        x: The first integer.
        y: The second integer.
    """
    return x + y


def hang(seconds: float) -> str:
    """Sleep for a number of seconds, then return "done".

    Args:
        seconds: How long to sleep.
    """
    time.sleep(seconds)
    return "done"


def quit_process(code: int) -> str:
    """Exit the interpreter with sys.exit.

    Args:
        code: The exit code.
    """
    sys.exit(code)


def hard_exit(code: int) -> str:
    """Exit the process immediately with os._exit.

    Args:
        code: The exit code.
    """
    os._exit(code)


def huge(megabytes: int) -> str:
    """Return a very long string.

    Args:
        megabytes: Size of the result in megabytes.
    """
    return "x" * (megabytes * 1024 * 1024)
