"""Tools that misbehave at the process level: they fork, start children, sleep, allocate or use the raw
standard streams."""
import os
import subprocess
import sys
import time


def add(x: int, y: int) -> int:
    """Add two integers.

    Args:
        x: The first integer.
        y: The second integer.
    """
    return x + y


def slow_value(seconds: float) -> str:
    """Sleep, then return "late".

    Args:
        seconds: How long to sleep.
    """
    time.sleep(seconds)
    return "late"


def fork_and_return() -> str:
    """Fork the process; both copies return.
    """
    return "child" if os.fork() == 0 else "parent"


def start_child_and_hang(pid_file: str) -> str:
    """Start a long-running child process, write its pid to a file, then hang.

    Args:
        pid_file: Where to write the child's process id.
    """
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(pid_file, "w") as f:
        f.write(str(child.pid))
    time.sleep(120)
    return "never"


def allocate(megabytes: int) -> int:
    """Allocate a buffer of the given size and return its length.

    Args:
        megabytes: Size of the buffer in megabytes.
    """
    return len(bytearray(megabytes * 1024 * 1024))


def noisy(x: int) -> int:
    """Write to the raw standard streams, then return x.

    Args:
        x: The value.
    """
    os.write(1, b"garbage" * 1000)
    os.read(0, 10)
    return x
