"""KV states of a llama.cpp context kept per prompt family, in memory and on disk.

llama-cpp-python holds one token sequence per context. The ReAct loop alternates two prompt
families (the reasoning prompt and the function-calling prompt), each behind its own long system
message, and with a LoRA profile each family exists once per role's weights. Without help, every
switch would re-prefill the other family from its first token.

A family is (role's weights, system-message tokens). Before a switch the current sequence is
snapshotted in memory; the requested family's snapshot is restored, and the usual longest-common-
prefix reuse takes it from there. The system message's state alone is also written to disk, keyed
by model file, context size, adapters, role and the exact tokens, so a new process (`slmreact ask`)
starts from it instead of prefilling a thousand tokens of instructions and tool descriptions.

A state file is written to a temporary name, flushed to disk and renamed, so a crash leaves either
the old file or the new one. A file that cannot be read anyway (empty, truncated, from another
version) is removed with one warning per process and computed again: the cache never stops a start.

A snapshot stores llama.cpp's own state bytes and the token ids only, not llama-cpp-python's
logits buffer (hundreds of MB for a large vocabulary); restoring marks the logits stale, so the
next generate() replays one token to refresh them.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

FORMAT = "v1"
MEMORY_SLOTS = 4  # families kept in memory besides the live one
DISK_FILES = 8  # newest state files kept per cache folder
# What reading a damaged .npz can raise: numpy's EOFError and ValueError, zipfile's BadZipFile,
# a missing array's KeyError, llama.cpp's RuntimeError on state bytes it does not accept.
DAMAGED = (OSError, EOFError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile)
_warned_damaged = False


def warn_once_on_stderr(message: str) -> None:
    global _warned_damaged
    if not _warned_damaged:
        _warned_damaged = True
        sys.stderr.write(f"warning: {message}\n")


@dataclass
class Snapshot:
    tokens: np.ndarray  # int32 token ids, n_tokens long
    state: bytes  # llama_state_get_data
    seed: int


def take(llm) -> Snapshot:
    import ctypes

    import llama_cpp

    size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
    buffer = (ctypes.c_uint8 * int(size))()
    written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
    return Snapshot(np.array(llm.input_ids[: llm.n_tokens], dtype=np.int32), bytes(buffer)[: int(written)],
                    int(llm._seed))


def restore(llm, snap: Snapshot) -> None:
    from llama_cpp.llama import LlamaState

    input_ids = np.zeros_like(llm.input_ids)
    input_ids[: len(snap.tokens)] = snap.tokens
    scores = np.zeros((1, llm._n_vocab), dtype=np.single)  # logits are recomputed before sampling
    llm.load_state(LlamaState(input_ids=input_ids, scores=scores, n_tokens=len(snap.tokens),
                              llama_state=snap.state, llama_state_size=len(snap.state), seed=snap.seed))


class PromptStates:
    """Which family the context holds now, the others' snapshots, and the on-disk system states."""

    def __init__(self, llm, model_key: str, folder: Path | None,
                 warn: Callable[[str], None] = warn_once_on_stderr):
        self.llm = llm
        self.warn = warn
        self.model_key = model_key
        self.folder = folder
        self.live: tuple | None = None
        self.memory: dict[tuple, Snapshot] = {}

    def family(self, weights: str, system_tokens: list[int]) -> tuple:
        """`weights`: the role whose weights the context runs on."""
        digest = hashlib.sha256(np.asarray(system_tokens, dtype=np.int32).tobytes()).hexdigest()[:20]
        return (weights, digest)

    def forget_live(self) -> None:
        """The context was reset or its LoRA changed: what it holds is no family's state now."""
        self.live = None

    def stash_live(self) -> None:
        if self.live is not None and self.llm.n_tokens > 0:
            self.memory[self.live] = take(self.llm)
            while len(self.memory) > MEMORY_SLOTS:
                self.memory.pop(next(iter(self.memory)))
        self.live = None

    def bring(self, weights: str, system_tokens: list[int]) -> str:
        """Make the context hold the family of `system_tokens`; returns how: "live", "memory",
        "disk" or "prefill"."""
        family = self.family(weights, system_tokens)
        held = self.llm.input_ids[: self.llm.n_tokens]
        if self.live == family and len(held) >= len(system_tokens):
            return "live"
        self.stash_live()
        self.live = family
        snap = self.memory.pop(family, None)
        if snap is not None:
            restore(self.llm, snap)
            return "memory"
        path = self._path(family)
        if path is not None and path.is_file():
            try:
                restore(self.llm, _read(path))
                if list(self.llm.input_ids[: self.llm.n_tokens]) == list(system_tokens):
                    path.touch()
                    return "disk"
            except DAMAGED as exc:
                path.unlink(missing_ok=True)  # stale or damaged: computed again below
                self.warn(f"removed a damaged prompt state {path.name} ({type(exc).__name__}); "
                          "it is computed again")
        self.llm.reset()
        self.llm.eval(system_tokens)
        if path is not None:
            self._write(path, take(self.llm))
        return "prefill"

    def _path(self, family: tuple) -> Path | None:
        if self.folder is None:
            return None
        weights, digest = family
        key = hashlib.sha256(f"{FORMAT}|{self.model_key}|{weights}|{digest}".encode()).hexdigest()[:24]
        return self.folder / f"{key}.npz"

    def _write(self, path: Path, snap: Snapshot) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.stem}.{time.monotonic_ns()}.tmp.npz")
            try:
                with open(tmp, "wb") as out:
                    np.savez(out, tokens=snap.tokens, state=np.frombuffer(snap.state, dtype=np.uint8),
                             seed=np.array([snap.seed], dtype=np.int64))
                    out.flush()
                    os.fsync(out.fileno())
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
            files = sorted(path.parent.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[DISK_FILES:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full cache only costs the prefill next time


def _read(path: Path) -> Snapshot:
    with np.load(path, allow_pickle=False) as data:
        return Snapshot(data["tokens"].astype(np.int32), data["state"].tobytes(), int(data["seed"][0]))


def _file_id(path: str | None) -> str:
    if not path:
        return ""
    p = Path(path)
    return f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" if p.exists() else path


def model_key(gguf_path: str, *, context: int, adapter: str | None, reasoning_adapter: str | None = None) -> str:
    """What a stored state depends on: the model file, llama.cpp's version, the context size and
    the adapter files."""
    import llama_cpp

    key = f"{_file_id(gguf_path)}|{llama_cpp.__version__}|{context}|{_file_id(adapter)}"
    return key + (f"|{_file_id(reasoning_adapter)}" if reasoning_adapter else "")

