"""The unsloth engine on a real GPU: 4-bit load through the loader, stop strings, cancel, the
calling LoRA switched on and off in one process, and the grammar it refuses.

Runs where CUDA and unsloth import (`pip install "slmreact[gpu]"`), and is skipped elsewhere:
    pytest tests/gpu -q
The model is the embedded 0.5B (its GGUF dequantized once into a model folder, then loaded in 4 bits);
SLMREACT_GPU_MODEL names another profile, model folder or .gguf file.
"""
from __future__ import annotations

import importlib.util
import os

import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("needs an NVIDIA GPU with CUDA", allow_module_level=True)
if importlib.util.find_spec("unsloth") is None:
    pytest.skip('needs unsloth: pip install "slmreact[gpu]"', allow_module_level=True)

import unsloth  # noqa: E402,F401  (before transformers, so that its patches apply)

from slmreact_cli.config import Profile, resolve_model  # noqa: E402
from slmreact_cli.models.unsloth import UnslothEngine  # noqa: E402

FRANCE = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
COUNT = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]
COLOURS = [{"role": "user", "content": "Name three colours."}]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return resolve_model(os.environ.get("SLMREACT_GPU_MODEL", "qwen2.5-coder-0.5b")).model_copy(
        update={"name": "gpu", "engine": "unsloth", "reasoning_adapter": None, "adapter": None,
                "max_seq_length": 2048})


@pytest.fixture(scope="module")
def engine(profile):
    from slmreact_cli.models.loader import load_engine

    return load_engine(profile)


@pytest.fixture(scope="module")
def folder(profile) -> str:
    """The model folder unsloth loaded (the converted GGUF, for a GGUF source)."""
    from slmreact_cli.models.hf import file_sha256, convert_gguf
    from slmreact_cli.models.sources import model_files

    files = model_files(profile)
    if files.gguf_path is None:
        return files.source
    return str(convert_gguf(files.gguf_path, files.sha256 or file_sha256(files.gguf_path), torch.bfloat16))


@pytest.fixture(autouse=True)
def uncancelled(engine):
    engine.cancel.clear()
    yield
    engine.cancel.clear()


def test_the_loader_loads_a_4bit_model_that_answers(engine):
    import bitsandbytes as bnb

    assert isinstance(engine, UnslothEngine) and engine.device == "cuda"
    assert sum(isinstance(m, bnb.nn.Linear4bit) for m in engine.model.modules()) > 0
    chunks = list(engine.stream(FRANCE, max_new_tokens=12))
    text, usage = "".join(chunks[:-1]), chunks[-1]
    assert "Paris" in text
    assert usage.prompt_tokens == len(engine.encode(FRANCE)) and 0 < usage.new_tokens <= 12


def test_stop_strings_end_generation_and_are_not_returned(engine):
    full = engine.generate(COUNT, max_new_tokens=40)
    assert "5," in full.text, full.text
    stopped = engine.generate(COUNT, stop=["5,"], max_new_tokens=40)
    assert stopped.usage.stop_reason == "stop"
    assert stopped.text == full.text[: full.text.index("5,")] and stopped.usage.new_tokens < full.usage.new_tokens


def test_the_token_limit_ends_generation(engine):
    gen = engine.generate(COUNT, max_new_tokens=5)
    assert gen.usage.new_tokens == 5 and gen.usage.stop_reason == "length"


def test_cancel_stops_generate_at_the_next_token(engine):
    engine.cancel.cancel()
    gen = engine.generate(COUNT, max_new_tokens=40)
    assert gen.text == "" and gen.usage.stop_reason == "interrupted" and gen.usage.new_tokens <= 1


def test_the_calling_lora_is_on_in_the_calling_role_only(engine, folder, tmp_path):
    """A LoRA with non-zero weights changes what the calling role writes; the reasoning role runs
    on the base weights token for token, before and after the switch."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    plain = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16)
    lora = get_peft_model(plain, LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    lora.save_pretrained(tmp_path / "lora")
    del plain, lora

    base = engine.generate(COLOURS, max_new_tokens=20).text
    switched = UnslothEngine.load(Profile(name="gpu-lora", engine="unsloth", source=folder,
                                          adapter=str(tmp_path / "lora"), max_seq_length=2048))
    assert switched.lora_roles == {"calling"}
    off = switched.generate(COLOURS, max_new_tokens=20, role="reasoning").text
    on = switched.generate(COLOURS, max_new_tokens=20, role="calling").text
    assert off == base and on != off
    assert switched.generate(COLOURS, max_new_tokens=20, role="reasoning").text == off
    assert switched.generate(COLOURS, max_new_tokens=20, role="calling").text == on


def test_grammar_is_refused_and_the_calling_step_is_logged_unconstrained(engine, registry):
    from slmreact_cli.loop.calling import CallingStep, calls_schema

    assert engine.supports_grammar is False
    assert engine.compile_grammar(calls_schema(registry)) is None
    with pytest.raises(ValueError, match="cannot constrain"):
        engine.generate(COUNT, grammar={"json_schema": {}})
    step = CallingStep(engine, registry, constrained=True, max_new_tokens=64)
    assert step.grammar is None
    result = step.run("What is 6 times 7?", [], ["multiply 6 by 7 with the calculator"])
    assert result.turns and all(constrained is False for *_, constrained in result.turns)
