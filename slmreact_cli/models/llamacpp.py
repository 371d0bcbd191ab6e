"""The llama.cpp engine (llama-cpp-python), for GGUF profiles: quantized CPU kernels, no conversion.

Same contract as the transformers engine. The prompt is rendered from the GGUF's own chat
template (repaired like the others). llama-cpp-python reuses the longest common token prefix of
consecutive calls itself; where a LoRA tells the roles apart, this engine keeps one saved state
per role and swaps them on a switch, so keys and values computed with the LoRA on never serve a
call with it off (the bug of llama.cpp issue #26207), or the reverse. Grammars are GBNF built from the JSON schema.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..config import Profile
from ..errors import EngineUnavailable, ModelError
from ..safe_io import replace_surrogates
from .base import Engine, LoadProgress, Message, NewText, Piece, Request, Role
from .templates import ChatTemplate, prompt_pieces


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def _load_lora(llm, path: str):
    """A GGUF LoRA for this model; freed with the model."""
    import llama_cpp

    if not Path(path).is_file():
        raise ModelError(f"LoRA adapter file not found: {path}")
    from llama_cpp._utils import suppress_stdout_stderr

    with suppress_stdout_stderr(disable=False):  # llama.cpp logs a line per tensor it keeps off the repacked buffers
        lora = llama_cpp.llama_adapter_lora_init(llm._model.model, str(path).encode())
    if not lora:
        raise ModelError(f"llama.cpp cannot load the LoRA adapter {path} (a GGUF LoRA made for this model?)")
    llm._stack.callback(llama_cpp.llama_adapter_lora_free, lora)
    return lora


def _utf8(text: str) -> bytes:
    """UTF-8 for the tokenizer; a lone surrogate (from a file name, say) becomes U+FFFD instead of an error."""
    return replace_surrogates(text).encode("utf-8")


class LlamaCppEngine(Engine):
    name = "llama.cpp"
    supports_grammar = True

    def __init__(self, llm, *, model_id: str, context_length: int, loras: dict[Role, Any] | None = None,
                 states_folder: Path | None = None, model_key: str = ""):
        """`loras` maps a role to the LoRA applied in it; a role it does not name runs on the base weights."""
        super().__init__()
        self.llm = llm
        self.model_id = model_id
        self.loras = dict(loras or {})
        self.lora_roles = frozenset(self.loras)
        self.context_length = context_length
        self._role: Role = "reasoning"  # whose weights the context runs on now
        self._apply_lora("reasoning")
        from .prompt_states import PromptStates

        self.states = PromptStates(llm, model_key or model_id, states_folder)
        self._busy = threading.Lock()  # one user of the context at a time: a background warm-up, or a request
        self.last_prefix_source = ""  # how the system message's state was obtained: live/memory/disk/prefill
        self._system_cache: dict[str, list[int]] = {}
        meta = llm.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{model_id} has no chat template in its GGUF metadata")
        self._template = ChatTemplate(template)
        eos = llm.token_eos()
        self.end_ids = frozenset({eos} | {t for t in (self._token_id("<|im_end|>"), self._token_id("<|endoftext|>"))
                                          if t is not None})

    @classmethod
    def load(cls, profile: Profile, progress: LoadProgress | None = None) -> "LlamaCppEngine":
        if not available():
            raise EngineUnavailable('the llama.cpp engine needs llama-cpp-python: pip install "slmreact[fast]" '
                                    '(or set engine = "transformers")')
        # llama.cpp's shared libraries load before numpy's (prompt_states imports numpy, hence the late
        # imports in this module): with numpy's bundled OpenBLAS loaded first, a CUDA build of
        # llama-cpp-python 0.3.36 crashed loading any model.
        from llama_cpp import Llama

        from ..paths import cache_dir
        from .prompt_states import model_key
        from .sources import lora_files, model_files

        gguf = model_files(profile, progress).gguf_path
        if gguf is None:
            raise ModelError(f"profile {profile.name!r}: the llama.cpp engine needs a GGUF source")
        loras = lora_files(profile)
        if progress:
            progress("loading model", 0, 1)
        if not gguf.is_file():
            raise ModelError(f"GGUF file not found: {gguf}")
        try:
            llm = Llama(model_path=str(gguf), n_ctx=profile.max_seq_length, n_threads=os.cpu_count() or 2,
                        n_batch=512, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp cannot load {gguf}: {exc}") from None
        engine = cls(llm, model_id=gguf.name, context_length=profile.max_seq_length,
                     loras={role: _load_lora(llm, path) for role, path in loras.items()},
                     states_folder=cache_dir() / "prompt-states" / gguf.stem,
                     model_key=model_key(str(gguf), context=profile.max_seq_length, adapter=loras.get("calling"),
                                         reasoning_adapter=loras.get("reasoning")))
        if progress:
            progress("loading model", 1, 1)
        return engine

    def _token_id(self, text: str) -> int | None:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    # ---- prompts -------------------------------------------------------------------------
    def render(self, messages: Sequence[Message], tools: list[dict] | None = None) -> str:
        return self._template.render(messages, tools)

    def encode(self, messages: Sequence[Message], tools: list[dict] | None = None,
               generation_prompt: bool = True) -> list[int]:
        """The prompt's tokens: control tokens where the template writes them, plain text for
        everything a message holds (see templates.prompt_pieces)."""
        pieces = prompt_pieces(messages, lambda msgs: self._template.render(msgs, tools, generation_prompt),
                               self._control_texts)
        ids: list[int] = []
        for text, special in pieces:
            ids += self.llm.tokenize(_utf8(text), add_bos=False, special=special)
        return ids

    def _control_texts(self, text: str) -> list[str]:
        """The control-token texts in `text` (such as "<|im_end|>"), which tokenizing with special
        parsing would turn into control tokens."""
        data = _utf8(text)
        parsed = self.llm.tokenize(data, add_bos=False, special=True)
        if parsed == self.llm.tokenize(data, add_bos=False, special=False):
            return []
        found = {self.llm.detokenize([t], special=True) for t in parsed if not self.llm.detokenize([t], special=False)}
        return sorted(piece.decode("utf-8", errors="replace") for piece in found if piece)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.encode(messages))

    def compile_grammar(self, json_schema: dict) -> Any:
        from llama_cpp import LlamaGrammar

        return LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)

    def reset_cache(self) -> None:
        self.llm.reset()
        self.states.memory.clear()
        self.states.forget_live()

    def _system_tokens(self, messages: Sequence[Message], tools: list[dict] | None) -> list[int]:
        """Tokens of the system message alone, the prefix shared by every prompt of its family."""
        if not messages or messages[0]["role"] != "system":
            return []
        key = f"{messages[0]['content']}\x00{json.dumps(tools, sort_keys=True) if tools else ''}"
        if key not in self._system_cache:
            self._system_cache[key] = self.encode(messages[:1], tools, generation_prompt=False)
        return self._system_cache[key]

    def _bring_system_state(self, messages: Sequence[Message], tools: list[dict] | None,
                            prompt: list[int] | None = None) -> None:
        """Make the context hold the state of the system message's family (see PromptStates), when
        the system message is a strict prefix of `prompt` (or when warming up, with no prompt)."""
        system = self._system_tokens(messages, tools)
        if not system or not self.prefix_cache_enabled:
            return
        if prompt is not None and not (len(system) < len(prompt) and prompt[: len(system)] == system):
            return
        self.last_prefix_source = self.states.bring(self._role, system)

    # ---- LoRA switch ---------------------------------------------------------------------
    def _switch_role(self, role: Role) -> None:
        """Keep what the context holds as the old role's, then give the context the new role's
        weights and start from an empty context: states never cross weights."""
        if not self.loras or role == self._role:
            return
        self.states.stash_live()
        self._apply_lora(role)
        self.llm.reset()

    def _apply_lora(self, role: Role) -> None:
        """Give the context the LoRA of `role`, or none."""
        import ctypes

        import llama_cpp

        lora = self.loras.get(role)
        adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(lora) if lora else None
        scales = (ctypes.c_float * 1)(1.0) if lora else None
        if llama_cpp.llama_set_adapters_lora(self.llm._ctx.ctx, adapters, 1 if lora else 0, scales):
            raise ModelError("llama.cpp could not set the LoRA adapter")
        self._role = role

    # ---- generation ----------------------------------------------------------------------
    def warm(self, messages: Sequence[Message], *, role: Role = "reasoning", tools: list[dict] | None = None) -> None:
        with self._busy:
            self._switch_role(role)
            self._bring_system_state(messages, tools)

    def _pieces(self, request: Request) -> Iterator[Piece]:
        """Waits for a warm-up in progress (yielding empty pieces, so that Ctrl-C still ends the
        wait), then generates."""
        while not self._busy.acquire(timeout=0.05):
            yield Piece()
        try:
            yield from self._generate(request)
        finally:
            self._busy.release()

    def _generate(self, request: Request) -> Iterator[Piece]:
        sampling = request.sampling
        self._switch_role(request.role)
        prompt = self.encode(request.messages, request.tools)
        request.prompt_tokens = len(prompt)
        if not self.prefix_cache_enabled:
            self.llm.reset()
            self.states.forget_live()
        else:
            self._bring_system_state(request.messages, request.tools, prompt)
        cached = 0
        held = list(self.llm.input_ids[: self.llm.n_tokens])
        while cached < min(len(held), len(prompt) - 1) and held[cached] == prompt[cached]:
            cached += 1
        request.cached_tokens = cached
        new_text = NewText()
        new_bytes: list[bytes] = []
        if sampling.temperature > 0 and sampling.seed is not None:
            self.llm.set_seed(sampling.seed)  # a seeded draw is reproducible
        generator = self.llm.generate(
            prompt, top_k=sampling.top_k if sampling.temperature > 0 else 1, top_p=sampling.top_p,
            temp=sampling.temperature, repeat_penalty=1.0, reset=True, grammar=request.grammar)
        try:
            for token in generator:
                new_bytes.append(self.llm.detokenize([token], special=False))
                yield Piece(new_text.update(b"".join(new_bytes).decode("utf-8", errors="replace")), token)
        finally:
            generator.close()
