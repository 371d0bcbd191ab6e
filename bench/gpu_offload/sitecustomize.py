"""Benchmark-only: offload every llama.cpp model of this Python process to the GPU.

bench/parallel_eval.py runs slmreact and the original loop side by side; neither asks llama.cpp for GPU
layers. With this folder on PYTHONPATH, SLMREACT_BENCH_GPU_LAYERS (e.g. -1 for all layers) and
SLMREACT_BENCH_THREADS (CPU threads per process, when many processes share the cores) are applied to
every `llama_cpp.Llama` either loop creates, so both run on the same kernels. Nothing is imported early:
the class is patched when `llama_cpp` is imported, which
happens here, first of all (see the note at the end).
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys


def _patch(module) -> None:
    llama = getattr(module, "Llama", None)
    if llama is None or getattr(llama, "_bench_offload", False):
        return
    original = llama.__init__
    layers, threads = os.environ.get("SLMREACT_BENCH_GPU_LAYERS"), os.environ.get("SLMREACT_BENCH_THREADS")

    def __init__(self, *args, **kwargs):
        if layers:
            kwargs["n_gpu_layers"] = int(layers)
        if threads:
            kwargs["n_threads"] = kwargs["n_threads_batch"] = int(threads)
        original(self, *args, **kwargs)

    llama.__init__ = __init__
    llama._bench_offload = True


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds `llama_cpp` through the other finders, then patches it once its code has run."""

    def find_spec(self, name, path, target=None):
        if name != "llama_cpp":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


def _runs_script(name: str) -> bool:
    return any(arg.endswith(name) for arg in sys.orig_argv)


if os.environ.get("SLMREACT_BENCH_GPU_LAYERS") or os.environ.get("SLMREACT_BENCH_THREADS"):
    sys.meta_path.insert(0, _AfterImport())
    # llama.cpp's libraries load before numpy's: where numpy's bundled OpenBLAS loaded first, a CUDA or
    # OpenMP build of llama.cpp was seen to crash in llama_model_load_from_file.
    # Only in processes that run a model through slmreact (`python -m slmreact_cli`, the calling-step
    # benchmark): the tool worker and the original loop import torch, and torch beside a CUDA build of
    # llama.cpp aborted too.
    _runs_slmreact = "slmreact_cli" in sys.orig_argv or _runs_script("calls_eval.py")
    if _runs_slmreact and importlib.util.find_spec("llama_cpp") is not None:
        import llama_cpp  # noqa: F401
    # The original loop (shared/seed_baseline.py) runs its model with transformers and never asks for a
    # device: on a GPU machine, every tensor it makes goes to the GPU, so both loops run on the same chip.
    if _runs_script("seed_baseline.py") and os.environ.get("SLMREACT_BENCH_GPU_LAYERS", "0") != "0":
        import torch

        if torch.cuda.is_available():
            torch.set_default_device("cuda")
