"""Profile to a loaded engine: look the profile's `engine` up in one table, then `load(profile, progress)`.

Engine modules are imported only when picked: each pulls in heavy libraries (torch, llama.cpp,
unsloth, openai) that the other engines do not need. No engine imports this module.
"""
from __future__ import annotations

import importlib

from ..config import Profile
from .base import Engine, LoadProgress

ENGINES: dict[str, tuple[str, str]] = {  # profile `engine` value: (module in this package, class)
    "llama.cpp": ("llamacpp", "LlamaCppEngine"),
    "transformers": ("hf", "TransformersEngine"),
    "unsloth": ("unsloth", "UnslothEngine"),
    "openai": ("openai_api", "OpenAIEngine"),
}


def engine_name(profile: Profile) -> str:
    """The engine the profile runs on: "auto" is llama.cpp for a GGUF source where llama-cpp-python
    is installed, else transformers."""
    if profile.engine != "auto":
        return profile.engine
    from .llamacpp import available

    gguf = profile.gguf_file or profile.embedded_file
    return "llama.cpp" if gguf and available() else "transformers"


def engine_class(name: str) -> type[Engine]:
    module, cls = ENGINES[name]
    return getattr(importlib.import_module(f".{module}", __package__), cls)


def load_engine(profile: Profile, progress: LoadProgress | None = None) -> Engine:
    return engine_class(engine_name(profile)).load(profile, progress)
