"""A profile's files on disk: the model (an embedded one assembled first) and the LoRA of each role.

The engines read their files through here, so that no engine needs the loader that picks them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Profile
from ..errors import ModelError
from .adapter_files import verified_adapter
from .base import LoadProgress, Role
from .embedded import EMBEDDED, assemble


@dataclass(frozen=True)
class ModelFiles:
    source: str  # a folder or a hub id
    gguf_file: str | None = None  # a GGUF file in `source`
    sha256: str | None = None  # the GGUF's SHA-256, where it is known (embedded models)

    @property
    def gguf_path(self) -> Path | None:
        return Path(self.source) / self.gguf_file if self.gguf_file else None


def model_files(profile: Profile, progress: LoadProgress | None = None) -> ModelFiles:
    """Where the profile's model is, assembling an embedded model if needed."""
    if not profile.embedded_file:
        return ModelFiles(profile.source, profile.gguf_file)
    model = EMBEDDED.get(profile.embedded_file)
    if model is None:
        raise ModelError(f"profile {profile.name!r}: no embedded model named {profile.embedded_file!r} "
                         f"(known: {', '.join(EMBEDDED)})")
    path = assemble(model, progress=(lambda done, total: progress("assembling model", done, total))
                    if progress else None)
    return ModelFiles(str(path.parent), path.name, model.sha256)


def gguf_path(profile: Profile) -> Path | None:
    """The profile's GGUF file, assembled if embedded; None for other sources."""
    return model_files(profile).gguf_path


def lora_files(profile: Profile) -> dict[Role, str]:
    """The LoRA of each role that has one (`Profile.loras`); a shipped one is checked against its
    recorded SHA-256 first."""
    return {role: str(verified_adapter(spec)) for role, spec in profile.loras.items()}
