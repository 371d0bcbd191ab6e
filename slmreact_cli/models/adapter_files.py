"""Adapter files named by profiles, with the shipped ones checked against their recorded SHA-256.

A profile names an adapter as a path or as "bundled:<file>", one shipped in slmreact_cli/adapters.
A shipped adapter is checked against `adapters/SHA256SUMS` before every load: a damaged or swapped file
would otherwise change every answer silently, since a LoRA of the right shape loads whatever its values.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import ModelError
from ..paths import BUNDLED_PREFIX, adapter_path

SUMS_FILE = "SHA256SUMS"


def recorded_digests(folder: Path) -> dict[str, str]:
    """File name to SHA-256 from the folder's SHA256SUMS (the `sha256sum` output format)."""
    sums = folder / SUMS_FILE
    if not sums.is_file():
        return {}
    digests = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest and name:
            digests[name.lstrip("*")] = digest
    return digests


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_adapter(spec: str) -> Path:
    """The adapter file `spec` names; a shipped one must exist and match its recorded SHA-256."""
    path = adapter_path(spec)
    if not spec.startswith(BUNDLED_PREFIX):
        return path
    if not path.is_file():
        raise ModelError(f"shipped adapter {path.name} is missing from {path.parent}: reinstall slmreact")
    expected = recorded_digests(path.parent).get(path.name)
    if expected is None:
        raise ModelError(f"shipped adapter {path.name} has no SHA-256 in {path.parent / SUMS_FILE}")
    if file_digest(path) != expected:
        raise ModelError(f"shipped adapter {path.name} does not match its SHA-256 (damaged or replaced): "
                         "reinstall slmreact, or use a profile without reasoning_adapter")
    return path
