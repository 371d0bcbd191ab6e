"""The transformers engine: a local folder, a hub id or a GGUF file, on CUDA if present, else CPU.

It runs its own decode loop instead of `generate()` so that it can
- reuse the KV cache of the longest common token prefix with the previous call (prefix cache),
  keeping one cache per role where a LoRA tells the roles apart, so states computed with the LoRA
  on never serve a call with it off, or the reverse;
- be stopped between any two tokens (stop strings, Ctrl-C: see `Engine.stream`);
- mask logits with a grammar (xgrammar) for calls that are valid by construction.
A GGUF file is dequantized once and saved as safetensors in the cache, keyed by the file's
SHA-256, so later starts map the converted weights instead of converting again.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..config import Profile
from ..errors import ModelError
from ..paths import cache_dir
from ..safe_io import replace_surrogates
from .base import ROLES, Engine, LoadProgress, Message, NewText, Piece, Request, Role, Sampling
from .hub import local_files_only
from .templates import fix_chat_template, prompt_pieces

CONVERTED_FORMAT = 1  # bump when the layout of converted folders changes


@dataclass
class PrefixCache:
    """Token ids whose keys and values are held in `kv`, for one adapter state."""

    ids: list[int] = field(default_factory=list)
    kv: Any = None

    def reset(self) -> None:
        self.ids, self.kv = [], None


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _torch():
    import torch

    return torch


def pick_device() -> str:
    return "cuda" if _torch().cuda.is_available() else "cpu"


def resolve_dtype(name: str, device: str):
    torch = _torch()
    if name == "auto":
        # fp32 measured fastest on CPUs without native bf16 (bench/engine.py); bf16 on GPUs.
        return torch.bfloat16 if device == "cuda" else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise ModelError(f"unknown dtype {name!r}: use auto, float32, bfloat16 or float16") from None


def converted_gguf_dir(gguf_path: Path, sha256: str, dtype_name: str) -> Path:
    return cache_dir() / "converted" / f"{gguf_path.stem}-{sha256[:16]}-{dtype_name}-v{CONVERTED_FORMAT}"


def convert_gguf(gguf_path: Path, sha256: str, dtype, progress: LoadProgress | None = None) -> Path:
    """Dequantize a GGUF once into a safetensors folder in the cache; return the folder."""
    dtype_name = str(dtype).removeprefix("torch.")
    target = converted_gguf_dir(gguf_path, sha256, dtype_name)
    if (target / "slmreact.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    if progress:
        progress("converting GGUF (once)", 0, 3)
    from .embedded import remove_stale_partials

    remove_stale_partials(target.parent)  # left by a conversion that was killed
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
        _fix_tokenizer(tokenizer)
        if progress:
            progress("converting GGUF (once)", 1, 3)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf_path.parent), gguf_file=gguf_path.name, dtype=dtype,
            quantization_config=GgufConfig(dequantize=True),
        )
        if progress:
            progress("saving converted weights", 2, 3)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "slmreact.json").write_text(json.dumps({"source": str(gguf_path), "sha256": sha256}))
        del model
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except Exception as exc:
        raise ModelError(f"cannot convert {gguf_path.name}: {type(exc).__name__}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if progress:
        progress("converting GGUF (once)", 3, 3)
    return target


def load_peft_adapter(model, adapter: str):
    """`model` with the PEFT adapter `adapter` (a folder or a hub id) under peft's default name."""
    try:
        from peft import PeftModel

        return PeftModel.from_pretrained(model, adapter, local_files_only=local_files_only(adapter, "adapter"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load adapter {adapter!r}: {str(exc).splitlines()[0]}") from None


def _fix_tokenizer(tokenizer) -> None:
    """GGUF tokenizers come with eos = pad = <|endoftext|>; chat turns end with <|im_end|>."""
    vocab = tokenizer.get_vocab()
    if "<|im_end|>" in vocab:
        tokenizer.eos_token = "<|im_end|>"
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        if "<|endoftext|>" in vocab:
            tokenizer.pad_token = "<|endoftext|>"
    if tokenizer.chat_template:
        tokenizer.chat_template = fix_chat_template(tokenizer.chat_template)


class TransformersEngine(Engine):
    name = "transformers"
    supports_grammar = True
    # The peft adapter name of each role's LoRA: the calling one a PEFT adapter (folder or hub id)
    # or a GGUF LoRA, the reasoning one a GGUF LoRA (see gguf_lora.py).
    ADAPTER_NAMES: dict[Role, str] = {"calling": "default", "reasoning": "reasoning"}

    def __init__(self, model, tokenizer, *, model_id: str, device: str, lora_roles: frozenset[Role] = frozenset(),
                 context_length: int = 4096):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.device = device
        self.lora_roles = frozenset(lora_roles)
        self.context_length = context_length
        self._caches = {role: PrefixCache() for role in ROLES}
        self.end_ids = frozenset(self._collect_end_ids())

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, profile: Profile, progress: LoadProgress | None = None) -> "TransformersEngine":
        from .sources import lora_files, model_files

        files = model_files(profile, progress)
        # before torch is imported: a hub id that neither the hub nor the cache has fails at once
        offline = files.gguf_path is None and local_files_only(files.source)
        torch = _torch()
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        loras = lora_files(profile)
        device = pick_device()
        torch_dtype = resolve_dtype(profile.dtype, device)
        folder = files.source
        if files.gguf_path is not None:
            if not files.gguf_path.is_file():
                raise ModelError(f"GGUF file not found: {files.gguf_path}")
            folder = str(convert_gguf(files.gguf_path, files.sha256 or file_sha256(files.gguf_path), torch_dtype,
                                      progress))
        if progress:
            progress("loading weights", 0, 1)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=offline)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype, device_map=device,
                                                         local_files_only=offline)
        except OSError as exc:
            raise ModelError(f"cannot load model {files.source!r}: {str(exc).splitlines()[0]}") from None
        _fix_tokenizer(tokenizer)
        for role in ("calling", "reasoning"):
            if role not in loras:
                continue
            if role == "calling" and not loras[role].endswith(".gguf"):
                model = load_peft_adapter(model, loras[role])
                continue
            if not Path(loras[role]).is_file():
                raise ModelError(f"LoRA adapter file not found: {loras[role]}")
            from .gguf_lora import add_gguf_lora

            model = add_gguf_lora(model, loras[role], cls.ADAPTER_NAMES[role])
        model.eval()
        if profile.quantize != "none":
            from .quantize import quantize_model

            model = quantize_model(model, profile.quantize, device)
        if progress:
            progress("loading weights", 1, 1)
        return cls(model, tokenizer, model_id=files.gguf_file or files.source, device=device,
                   lora_roles=frozenset(loras), context_length=profile.max_seq_length)

    def _collect_end_ids(self) -> set[int]:
        ids = set()
        for tok in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>"):
            i = self.tokenizer.convert_tokens_to_ids(tok)
            if isinstance(i, int) and i != self.tokenizer.unk_token_id and i >= 0:
                ids.add(i)
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    # ---- prompts -------------------------------------------------------------------------
    def encode(self, messages: Sequence[Message], tools: list[dict] | None = None) -> list[int]:
        """The prompt's tokens: special tokens where the template writes them, plain text for
        everything a message holds (see templates.prompt_pieces)."""
        continuing = bool(messages) and messages[-1]["role"] == "assistant"

        def render(msgs: list[Message]) -> str:
            return self.tokenizer.apply_chat_template(msgs, tools=tools, tokenize=False,
                                                      add_generation_prompt=not continuing,
                                                      continue_final_message=continuing)

        ids: list[int] = []
        for text, special in prompt_pieces(messages, render, self._control_texts):
            ids += self.tokenizer(replace_surrogates(text), add_special_tokens=False,
                                  split_special_tokens=not special)["input_ids"]
        return ids

    def _control_texts(self, text: str) -> list[str]:
        """The special-token texts in `text` (such as "<|im_end|>")."""
        return [token.content for token in self.tokenizer.added_tokens_decoder.values()
                if token.special and token.content in text]

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.encode(messages))

    # ---- grammar -------------------------------------------------------------------------
    def compile_grammar(self, json_schema: dict) -> Any:
        from .grammar import compile_json_schema

        return compile_json_schema(self.tokenizer, json_schema, vocab_size=self._vocab_size())

    def _vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])

    # ---- generation ----------------------------------------------------------------------
    def _adapter_context(self, role: Role):
        """The role's LoRA active, or the base weights where the role has none."""
        if role in self.lora_roles:
            self.model.set_adapter(self.ADAPTER_NAMES[role])
            return contextlib.nullcontext()
        return self.model.disable_adapter() if self.lora_roles else contextlib.nullcontext()

    def _weights(self, role: Role) -> Role:
        """The key of the weights a role runs on: roles share one cache when no LoRA tells them apart."""
        return role if self.lora_roles else "reasoning"

    def reset_cache(self) -> None:
        for cache in self._caches.values():
            cache.reset()

    def _pieces(self, request: Request) -> Iterator[Piece]:
        torch = _torch()
        sampling = request.sampling
        prompt_ids = self.encode(request.messages, request.tools)
        request.prompt_tokens = len(prompt_ids)
        cache = self._caches[self._weights(request.role)]
        matcher = request.grammar.matcher() if request.grammar is not None else None
        generator = None
        if sampling.temperature > 0 and sampling.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(sampling.seed)
        new_text = NewText()
        new_ids: list[int] = []
        with torch.inference_mode(), self._adapter_context(request.role):
            try:
                if self.prefix_cache_enabled:
                    request.cached_tokens = self._reuse(cache, prompt_ids)
                else:
                    cache.reset()
                logits = self._forward(cache, prompt_ids[request.cached_tokens:])
                while True:
                    token = self._choose(logits, sampling, matcher, generator)
                    new_ids.append(token)
                    yield Piece(new_text.update(self.tokenizer.decode(new_ids, skip_special_tokens=True)), token)
                    if matcher is not None:
                        matcher.accept(token)
                        if matcher.is_terminated():
                            request.end = "stop"
                            return
                    logits = self._forward(cache, [token])
            except GeneratorExit:
                raise  # closed between tokens: the cache matches its ids
            except BaseException:
                cache.reset()  # interrupted mid-forward: the cache may not match its ids
                raise

    def _reuse(self, cache: PrefixCache, prompt_ids: list[int]) -> int:
        """Crop the cache to the common prefix with this prompt; return the reused length."""
        keep = common_prefix_length(cache.ids, prompt_ids)
        keep = min(keep, len(prompt_ids) - 1)  # at least one token must be fed to get logits
        if cache.kv is None or keep <= 0:
            cache.reset()
            return 0
        if keep < len(cache.ids):
            cache.kv.crop(keep)
            cache.ids = cache.ids[:keep]
        return keep

    def _forward(self, cache: PrefixCache, ids: list[int]):
        torch = _torch()
        from transformers import DynamicCache

        if cache.kv is None:
            cache.kv = DynamicCache(config=self.model.config)
        input_ids = torch.tensor([ids], device=self.device)
        start = len(cache.ids)
        position_ids = torch.arange(start, start + len(ids), device=self.device).unsqueeze(0)
        out = self.model(input_ids=input_ids, position_ids=position_ids, past_key_values=cache.kv, use_cache=True,
                         logits_to_keep=1)
        cache.kv = out.past_key_values
        cache.ids = cache.ids + list(ids)
        return out.logits[0, -1].float()

    def _choose(self, logits, sampling: Sampling, matcher, generator) -> int:
        torch = _torch()
        if matcher is not None:
            logits = matcher.mask(logits)
        if sampling.temperature <= 0:
            return int(torch.argmax(logits))
        logits = logits / sampling.temperature
        if sampling.top_k > 0:
            kth = torch.topk(logits, min(sampling.top_k, logits.numel())).values[-1]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        if sampling.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            cumulative = torch.cumsum(sorted_probs, dim=-1)
            drop = cumulative - sorted_probs > sampling.top_p
            sorted_probs[drop] = 0.0
            probs = torch.zeros_like(probs).scatter(0, order, sorted_probs)
        return int(torch.multinomial(probs / probs.sum(), 1, generator=generator))


def file_sha256(path: Path) -> str:
    """SHA-256 of a user's GGUF, remembered per (path, size, mtime) so it is computed once."""
    import hashlib

    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo_path = cache_dir() / "hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if key in memo:
        return memo[key]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    memo[key] = digest.hexdigest()
    memo_path.parent.mkdir(parents=True, exist_ok=True)
    memo_path.write_text(json.dumps(memo))
    return memo[key]


logging.getLogger("transformers").setLevel(logging.ERROR)
