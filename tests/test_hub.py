"""Hub ids offline: load from the cache where it has the model, else fail with what to do."""
import pytest

from slmreact_cli.errors import ModelError
from slmreact_cli.models import hub


def test_local_paths_are_not_hub_ids(tmp_path):
    assert not hub.is_hub_id(str(tmp_path))
    assert not hub.local_files_only(str(tmp_path))
    assert hub.is_hub_id("Qwen/Qwen2.5-0.5B-Instruct")


def test_a_reachable_hub_loads_as_usual(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "hub_reachable", lambda endpoint: True)
    assert hub.local_files_only("org/model") is False


def test_an_unreachable_hub_uses_the_cache_or_says_what_to_do(monkeypatch):
    monkeypatch.setattr(hub, "hub_reachable", lambda endpoint: False)
    monkeypatch.setattr(hub, "cached", lambda repo, filename="config.json": repo == "org/cached")
    assert hub.local_files_only("org/cached") is True
    with pytest.raises(ModelError, match="not in the local Hugging Face cache.*hf download org/missing"):
        hub.local_files_only("org/missing")


def test_hub_reachable_is_false_for_a_closed_port():
    assert hub.hub_reachable("http://127.0.0.1:9", timeout=1.0) is False
