"""Profile to engine: the loader's table, the `auto` choice and each role's LoRA (no model loads)."""
from __future__ import annotations

import typing

import pytest

from slmreact_cli.config import Profile
from slmreact_cli.models import llamacpp
from slmreact_cli.models.base import Engine
from slmreact_cli.models.loader import ENGINES, engine_class, engine_name
from slmreact_cli.models.sources import lora_files


def test_every_profile_engine_has_a_loader_with_the_one_signature():
    named = set(typing.get_args(Profile.model_fields["engine"].annotation)) - {"auto"}
    assert named == set(ENGINES)
    for name in ENGINES:
        cls = engine_class(name)
        assert issubclass(cls, Engine) and "load" in vars(cls), name
        assert list(typing.get_type_hints(cls.load))[:2] == ["profile", "progress"], name


@pytest.mark.parametrize("installed, profile, expected", [
    (True, Profile(name="e", source="embedded:qwen.gguf"), "llama.cpp"),
    (True, Profile(name="g", source="/models", gguf_file="m.gguf"), "llama.cpp"),
    (False, Profile(name="e", source="embedded:qwen.gguf"), "transformers"),
    (True, Profile(name="f", source="/models/folder"), "transformers"),
    (True, Profile(name="u", engine="unsloth", source="/models/m", gguf_file="m.gguf"), "unsloth"),
])
def test_auto_picks_llama_cpp_for_gguf_where_installed(monkeypatch, installed, profile, expected):
    monkeypatch.setattr(llamacpp, "available", lambda: installed)
    assert engine_name(profile) == expected


def test_each_role_maps_to_its_lora(tmp_path):
    reasoning = tmp_path / "r.gguf"
    profile = Profile(name="p", source="s", adapter="org/calling-lora", reasoning_adapter=str(reasoning))
    assert profile.loras == {"calling": "org/calling-lora", "reasoning": str(reasoning)}
    assert Profile(name="p", source="s").loras == {}
    assert lora_files(profile) == profile.loras


def test_a_damaged_shipped_lora_is_refused_before_loading(monkeypatch, tmp_path):
    from slmreact_cli.errors import ModelError
    from slmreact_cli.models import adapter_files

    shipped = tmp_path / "shipped.gguf"
    shipped.write_bytes(b"not what was shipped")
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  shipped.gguf\n")
    monkeypatch.setattr(adapter_files, "adapter_path", lambda spec: shipped)
    with pytest.raises(ModelError, match="does not match its SHA-256"):
        lora_files(Profile(name="p", source="s", reasoning_adapter="bundled:shipped.gguf"))
