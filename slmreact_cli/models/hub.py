"""Hub ids without a network: decide up front whether a model loads from the local cache only.

Without this check, an offline load of a hub id spends close to a minute in the hub client's
retries, printing a line for each, before it fails. One short connection attempt settles it: a
reachable hub loads as usual; an unreachable one loads from the cache, or fails at once with a
message that says what to do.
"""
from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

from ..errors import ModelError

CONNECT_TIMEOUT = 3.0


def is_hub_id(source: str) -> bool:
    return not Path(source).expanduser().exists() and source.count("/") == 1 and not source.startswith((".", "/", "~"))


def hub_reachable(endpoint: str, timeout: float = CONNECT_TIMEOUT) -> bool:
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def cached(repo_id: str, filename: str = "config.json") -> bool:
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(repo_id, filename), str)


def local_files_only(source: str, what: str = "model") -> bool:
    """True where `source` is a hub id that must come from the local cache (the hub is off or
    unreachable, and the cache has it). Raises ModelError where neither the hub nor the cache has it."""
    if not is_hub_id(source):
        return False
    from huggingface_hub import constants, is_offline_mode

    if not is_offline_mode() and hub_reachable(constants.ENDPOINT):
        return False
    if cached(source, "config.json" if what == "model" else "adapter_config.json"):
        return True
    raise ModelError(f"cannot load {what} {source!r}: it is not in the local Hugging Face cache and the hub "
                     f"({constants.ENDPOINT}) cannot be reached; download it where there is a network "
                     f"(hf download {source}), or pass a local folder or .gguf file")
