"""Text and files at the edges of the program.

Text from outside (command-line arguments, file names, JSON `\\ud800` escapes) can hold lone
surrogates, which no UTF-8 file, terminal or SQLite column accepts; they become U+FFFD where text
enters. Files that hold questions and answers (the transcript log, the input history, saved
sessions) are private to the user: 0600 files in a 0700 folder. A saved file is written beside
its target and renamed over it, so a failed write never leaves the target empty or half written.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_SURROGATE = re.compile("[\ud800-\udfff]")
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def replace_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if needed, and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` if needed, as a 0600 file in a 0700 folder; an existing file is made 0600."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    path.chmod(PRIVATE_FILE)
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary 0600 file beside `path`, flush it to disk, then rename it over
    `path`. On any error the temporary file is removed and `path` is untouched."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(replace_surrogates(text))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
