"""The unsloth engine: the original method's GPU path, a 4-bit base through bitsandbytes.

`FastLanguageModel.from_pretrained(..., load_in_4bit=True)`, then `for_inference`; a GGUF source
is dequantized once into a model folder first (as the transformers engine does). unsloth's patched
decode step keeps its own cache format, so generation runs through unsloth's `generate()` in a
worker thread and comes back through a `TextIteratorStreamer`; prompts, end-of-sequence ids and the
calling LoRA switch are the transformers engine's. A stopping criterion ends `generate()` at the
next token once the stream is closed (a stop string) or cancelled (Ctrl-C).

What it does not do: constrain output to a grammar (`supports_grammar` is False, so the calling
step runs unconstrained and its turns are logged so), or keep a prefix cache between calls.
unsloth is imported lazily, before transformers: it needs an NVIDIA GPU and the `gpu` extra.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any, Callable, Iterator

from ..config import Profile
from ..errors import EngineUnavailable, ModelError
from .base import LoadProgress, Piece, Request
from .hf import TransformersEngine, file_sha256, _fix_tokenizer, convert_gguf, load_peft_adapter
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


def stop_when(should_stop: Callable[[], bool]):
    """A `generate()` stopping criterion that ends every sequence once `should_stop()` is true."""
    import torch
    from transformers import StoppingCriteria

    class StopWhen(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), should_stop(), dtype=torch.bool, device=input_ids.device)

    return StopWhen()


class UnslothEngine(TransformersEngine):
    name = "unsloth"
    supports_grammar = False

    @classmethod
    def load(cls, profile: Profile, progress: LoadProgress | None = None) -> "UnslothEngine":
        check_available()
        os.environ.setdefault("UNSLOTH_DISABLE_STATISTICS", "1")
        from unsloth import FastLanguageModel  # noqa: import after the checks above, before transformers

        from .sources import lora_files, model_files

        files = model_files(profile, progress)
        loras = lora_files(profile)  # the calling LoRA only: profiles refuse a reasoning_adapter here
        folder = files.source
        if files.gguf_path is not None:
            import torch

            if not files.gguf_path.is_file():
                raise ModelError(f"GGUF file not found: {files.gguf_path}")
            folder = str(convert_gguf(files.gguf_path, files.sha256 or file_sha256(files.gguf_path), torch.bfloat16,
                                      progress))
        if progress:
            progress("loading 4-bit weights", 0, 1)
        try:
            model, tokenizer = FastLanguageModel.from_pretrained(
                model_name=folder, max_seq_length=profile.max_seq_length, load_in_4bit=True,
                local_files_only=local_files_only(folder))
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"unsloth cannot load {folder!r}: {str(exc).splitlines()[0]}") from None
        if "calling" in loras:
            model = load_peft_adapter(model, loras["calling"])
        FastLanguageModel.for_inference(model)
        _fix_tokenizer(tokenizer)
        if progress:
            progress("loading 4-bit weights", 1, 1)
        return cls(model, tokenizer, model_id=files.gguf_file or files.source, device="cuda",
                   lora_roles=frozenset(loras), context_length=profile.max_seq_length)

    def compile_grammar(self, json_schema: dict) -> Any:
        return None  # unsloth's generate() takes no grammar here: see the module docstring

    def _pieces(self, request: Request) -> Iterator[Piece]:
        """The streamer's text pieces; `generate()` counts the tokens and ends on the end-of-sequence
        ids, the token limit, the stop strings, or when this stream is closed or cancelled."""
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        sampling = request.sampling
        prompt = self.encode(request.messages, request.tools)
        request.prompt_tokens = len(prompt)
        limit = request.token_limit
        closed = threading.Event()
        input_ids = torch.tensor([prompt], device=self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs: dict[str, Any] = dict(
            input_ids=input_ids, attention_mask=torch.ones_like(input_ids), max_new_tokens=limit,
            do_sample=sampling.temperature > 0, streamer=streamer, eos_token_id=sorted(self.end_ids),
            pad_token_id=self.tokenizer.pad_token_id, tokenizer=self.tokenizer,
            stop_strings=list(request.stop) or None,
            stopping_criteria=StoppingCriteriaList([stop_when(lambda: closed.is_set() or self.cancel.cancelled)]))
        if sampling.temperature > 0:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k or None)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                with torch.inference_mode(), self._adapter_context(request.role):
                    outcome["ids"] = self.model.generate(**kwargs)
            except BaseException as exc:  # handed to the reading side, which would otherwise wait forever
                outcome["error"] = exc
                streamer.end()

        thread = threading.Thread(target=work, name="unsloth-generate", daemon=True)
        thread.start()
        try:
            for text in streamer:
                yield Piece(text)
        finally:
            closed.set()
            thread.join()
            ids = outcome.get("ids")
            request.new_tokens = int(ids.shape[1]) - len(prompt) if ids is not None else 0
        error = outcome.get("error")
        if error is not None:
            raise ModelError(f"unsloth generate() failed: {type(error).__name__}: {error}") from None
        request.end = ("interrupted" if self.cancel.cancelled else
                       "length" if request.new_tokens >= limit else "eos")
