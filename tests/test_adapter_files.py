"""Shipped adapters are used only when they match their recorded SHA-256."""
import shutil

import pytest

from slmreact_cli.errors import ModelError
from slmreact_cli.models import adapter_files
from slmreact_cli.models.adapter_files import recorded_digests, verified_adapter
from slmreact_cli.paths import adapter_path


def test_every_shipped_adapter_has_a_matching_digest():
    folder = adapter_path("bundled:x").parent
    shipped = sorted(p.name for p in folder.glob("*.gguf"))
    assert shipped and sorted(recorded_digests(folder)) == shipped
    for name in shipped:
        assert verified_adapter(f"bundled:{name}") == folder / name


def _shipped_copy(tmp_path, monkeypatch):
    folder = adapter_path("bundled:x").parent
    copy = tmp_path / "adapters"
    shutil.copytree(folder, copy)
    monkeypatch.setattr(adapter_files, "adapter_path", lambda spec: copy / spec.removeprefix("bundled:"))
    return copy, next(copy.glob("*.gguf")).name


def test_a_damaged_shipped_adapter_is_refused_with_one_line(tmp_path, monkeypatch):
    copy, name = _shipped_copy(tmp_path, monkeypatch)
    with (copy / name).open("r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="does not match its SHA-256"):
        verified_adapter(f"bundled:{name}")


def test_a_missing_or_unlisted_shipped_adapter_is_refused(tmp_path, monkeypatch):
    copy, name = _shipped_copy(tmp_path, monkeypatch)
    with pytest.raises(ModelError, match="missing"):
        verified_adapter("bundled:nothing-here.gguf")
    (copy / "SHA256SUMS").write_text("")
    with pytest.raises(ModelError, match="no SHA-256"):
        verified_adapter(f"bundled:{name}")


def test_a_users_own_adapter_path_is_taken_as_given(tmp_path):
    own = tmp_path / "mine.gguf"
    assert verified_adapter(str(own)) == own
