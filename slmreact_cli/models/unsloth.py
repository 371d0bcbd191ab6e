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
from .hub import local_files_only


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
                model_name=source, max_seq_length=max_seq_length, load_in_4bit=True,
                local_files_only=local_files_only(source))
            if adapter:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, adapter,
                                                  local_files_only=local_files_only(adapter, "adapter"))
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"unsloth cannot load {source!r}: {str(exc).splitlines()[0]}") from None
        FastLanguageModel.for_inference(model)
        _fix_tokenizer(tokenizer)
        if progress:
            progress("loading 4-bit weights", 1, 1)
        return cls(model, tokenizer, model_id=source, device="cuda", has_adapter=bool(adapter),
                   context_length=max_seq_length)

    # unsloth's patched decode step returns its own cache format, so it runs through its own generate().
    _use_generate = True

    def stream(self, messages, **kwargs):
        """unsloth's generate() with a streamer (or the shared decode loop, where `_use_generate` is off)."""
        if not self._use_generate:
            stream = super().stream(messages, **kwargs)
            try:
                first = next(stream)
            except StopIteration:
                return
            except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
                self._use_generate = True
                self.fallback_reason = f"{type(exc).__name__}: {exc}"
                self.reset_cache()
            else:
                yield first
                yield from stream
                return
        yield from self._stream_generate(messages, **kwargs)

    def _stream_generate(self, messages, *, stop=(), max_new_tokens=256, sampling=None, adapter=False,
                         grammar=None, tools=None):
        import threading

        import torch
        from transformers import TextIteratorStreamer

        from .base import Sampling, StopScanner, Timer, Usage

        sampling = sampling or Sampling()
        timer = Timer()
        prompt = self.encode(messages, tools)
        input_ids = torch.tensor([prompt], device=self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        out_ids = []
        kwargs = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=max_new_tokens,
                      do_sample=sampling.temperature > 0, streamer=streamer, eos_token_id=sorted(self._end_ids),
                      pad_token_id=self.tokenizer.pad_token_id, tokenizer=self.tokenizer,
                      stop_strings=list(stop) or None)
        if sampling.temperature > 0:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k or None)

        def work():
            with torch.inference_mode(), self._adapter_context(bool(adapter and self.has_adapter)):
                out_ids.append(self.model.generate(**kwargs))

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        scanner = StopScanner(stop)
        for piece in streamer:
            out = scanner.feed(piece)
            if out:
                yield out
            if scanner.stopped:
                break
        thread.join()
        if not scanner.stopped:
            tail = scanner.flush()
            if tail:
                yield tail
        new = int(out_ids[0].shape[1] - len(prompt)) if out_ids else 0
        yield Usage(prompt_tokens=len(prompt), new_tokens=new, seconds=timer.elapsed(),
                    stop_reason="stop" if scanner.stopped else ("length" if new >= max_new_tokens else "eos"))
