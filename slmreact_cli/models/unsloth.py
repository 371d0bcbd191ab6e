"""The unsloth engine: the original method's GPU path, a 4-bit base through bitsandbytes.

`FastLanguageModel.from_pretrained(..., load_in_4bit=True)`, then `for_inference`. The decode loop,
prefix caches per adapter state, stop strings and grammar come from the transformers engine.
unsloth is imported lazily: it needs an NVIDIA GPU and the `gpu` extra.
"""
from __future__ import annotations

import importlib.util
import os

from ..errors import EngineUnavailable, ModelError
from .hf import LoadProgress, TransformersEngine, _fix_tokenizer


def check_available() -> None:
    """Raise EngineUnavailable with one line saying what to do, if unsloth cannot run here."""
    if importlib.util.find_spec("unsloth") is None:
        raise EngineUnavailable('the unsloth engine needs the gpu extra: pip install "slmreact[gpu]" '
                                '(or set engine = "transformers" in the profile)')
    import torch

    if not torch.cuda.is_available():
        raise EngineUnavailable('the unsloth engine needs an NVIDIA GPU with CUDA; none found '
                                '(set engine = "transformers" in the profile to run on the CPU)')


class UnslothEngine(TransformersEngine):
    name = "unsloth"

    @classmethod
    def load(cls, source: str, *, adapter: str | None = None, max_seq_length: int = 2048,
             progress: LoadProgress | None = None, **_ignored) -> "UnslothEngine":
        check_available()
        os.environ.setdefault("UNSLOTH_DISABLE_STATISTICS", "1")
        from unsloth import FastLanguageModel  # noqa: import after the checks above

        if progress:
            progress("loading 4-bit weights", 0, 1)
        try:
            model, tokenizer = FastLanguageModel.from_pretrained(
                model_name=source, max_seq_length=max_seq_length, load_in_4bit=True)
            if adapter:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, adapter)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"unsloth cannot load {source!r}: {str(exc).splitlines()[0]}") from None
        FastLanguageModel.for_inference(model)
        _fix_tokenizer(tokenizer)
        if progress:
            progress("loading 4-bit weights", 1, 1)
        return cls(model, tokenizer, model_id=source, device="cuda", has_adapter=bool(adapter),
                   context_length=max_seq_length)
