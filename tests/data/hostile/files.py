"""A harmless tool and a destructive one."""
import os


def echo(text: str) -> str:
    """Return the text unchanged.

    Args:
        text: The text.
    """
    return text


def delete_file(path: str) -> str:
    """Delete a file.

    Args:
        path: The file to delete.
    """
    os.remove(path)
    return f"deleted {path}"
