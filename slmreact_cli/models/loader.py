"""Profile to a loaded engine: assemble an embedded model if needed, then dispatch on `engine`."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import Profile
from ..errors import ModelError
from .adapter_files import verified_adapter
from .base import Engine
from .embedded import EMBEDDED, assemble

LoadProgress = Callable[[str, int, int], None]


def _source(profile: Profile, progress: LoadProgress | None = None) -> tuple[str, str | None, str | None]:
    """(folder or hub id, GGUF file name or None, known SHA-256 or None), assembling an embedded model."""
    if not profile.embedded_file:
        return profile.source, profile.gguf_file, None
    model = EMBEDDED.get(profile.embedded_file)
    if model is None:
        raise ModelError(f"profile {profile.name!r}: no embedded model named {profile.embedded_file!r} "
                         f"(known: {', '.join(EMBEDDED)})")
    path = assemble(model, progress=(lambda done, total: progress("assembling model", done, total))
                    if progress else None)
    return str(path.parent), path.name, model.sha256


def gguf_path(profile: Profile) -> Path | None:
    """The profile's GGUF file, assembled if embedded; None for other sources."""
    source, gguf_file, _ = _source(profile)
    return Path(source) / gguf_file if gguf_file else None


def load_engine(profile: Profile, progress: LoadProgress | None = None) -> Engine:
    if profile.engine == "openai":
        from .openai_api import OpenAIEngine

        return OpenAIEngine.load(profile)
    source, gguf_file, sha256 = _source(profile, progress)
    reasoning = str(verified_adapter(profile.reasoning_adapter)) if profile.reasoning_adapter else None
    engine = profile.engine
    if engine == "auto":
        from .llamacpp import available

        engine = "llama.cpp" if gguf_file and available() else "transformers"
    if engine == "llama.cpp":
        from .llamacpp import LlamaCppEngine

        if not gguf_file:
            raise ModelError(f"profile {profile.name!r}: the llama.cpp engine needs a GGUF source")
        if progress:
            progress("loading model", 0, 1)
        loaded = LlamaCppEngine.load(str(Path(source) / gguf_file), adapter=profile.adapter,
                                     reasoning_adapter=reasoning, max_seq_length=profile.max_seq_length)
        if progress:
            progress("loading model", 1, 1)
        return loaded
    if engine == "unsloth":
        from .unsloth import UnslothEngine

        return UnslothEngine.load(source, adapter=profile.adapter, max_seq_length=profile.max_seq_length,
                                  progress=progress)
    from .hf import TransformersEngine

    return TransformersEngine.load(source, gguf_file=gguf_file, gguf_sha256=sha256, adapter=profile.adapter,
                                   reasoning_adapter=reasoning, dtype=profile.dtype,
                                   max_seq_length=profile.max_seq_length,
                                   quantize=None if profile.quantize == "none" else profile.quantize,
                                   progress=progress)
