"""Per-user directories, from platformdirs; SLMREACT_HOME overrides all of them (tests, portable installs)."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "slmreact"


def _home(sub: str) -> Path | None:
    root = os.environ.get("SLMREACT_HOME")
    return Path(root) / sub if root else None


def cache_dir() -> Path:
    """Assembled GGUF files and converted weights. SLMREACT_CACHE_DIR moves only this one."""
    if os.environ.get("SLMREACT_CACHE_DIR"):
        return Path(os.environ["SLMREACT_CACHE_DIR"])
    return _home("cache") or Path(platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    """History and the transcript log."""
    return _home("data") or Path(platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    """The user's config.toml with extra profiles."""
    return _home("config") or Path(platformdirs.user_config_dir(APP))


def bundled(name: str) -> Path:
    """A folder shipped beside the package: `configs` or `tools` (source checkout or wheel)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_data" / name, here.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {here}")


BUNDLED_PREFIX = "bundled:"


def adapter_path(spec: str) -> Path:
    """A profile's adapter file: "bundled:<file>" is one shipped in slmreact_cli/adapters."""
    if spec.startswith(BUNDLED_PREFIX):
        return Path(__file__).resolve().parent / "adapters" / spec.removeprefix(BUNDLED_PREFIX)
    return Path(spec).expanduser()
