"""The transformers engine on the real embedded 0.5B (CPU): generation, stop strings, prefix cache,
adapter switch and constrained calls. No mocks at this layer."""
import json

import pytest

from conftest import SMALL_PROFILE
from slmreact_cli.loop.calling import calls_schema
from slmreact_cli.models.base import Sampling
from slmreact_cli.tool_loading import load_registry

pytestmark = pytest.mark.model

COUNT = [{"role": "system", "content": "You are helpful."},
         {"role": "user", "content": "Count from 1 to 20 separated by commas."}]


def test_greedy_answers_a_trivial_question(small_engine):
    gen = small_engine.generate([{"role": "user", "content": "What is the capital of France? Answer in one word."}],
                                max_new_tokens=10)
    assert "Paris" in gen.text
    assert gen.usage.new_tokens > 0 and gen.usage.prompt_tokens > 10 and gen.usage.stop_reason == "eos"


def test_stop_strings_stop_and_are_not_returned(small_engine):
    gen = small_engine.generate(COUNT, stop=["6,", "PAUSE"], max_new_tokens=40)
    assert gen.usage.stop_reason == "stop"
    assert gen.text.replace(" ", "").startswith("1,2,3,4,5,") and "6" not in gen.text


def test_prefix_cache_gives_identical_greedy_output(small_engine):
    follow_up = COUNT + [{"role": "assistant", "content": "1, 2, 3"}, {"role": "user", "content": "Now backwards."}]
    small_engine.prefix_cache_enabled = True
    small_engine.reset_cache()
    first = small_engine.generate(COUNT, max_new_tokens=30)
    cached = small_engine.generate(follow_up, max_new_tokens=30)
    assert cached.usage.cached_tokens > 20  # the shared prefix was not prefilled again
    small_engine.prefix_cache_enabled = False
    try:
        uncached = small_engine.generate(follow_up, max_new_tokens=30)
        again = small_engine.generate(COUNT, max_new_tokens=30)
    finally:
        small_engine.prefix_cache_enabled = True
    assert uncached.usage.cached_tokens == 0
    assert cached.text == uncached.text and first.text == again.text


def test_constrained_calls_are_always_valid(small_engine):
    registry = load_registry(None)
    grammar = small_engine.compile_grammar(calls_schema(registry))
    prompt = [{"role": "system", "content": "Reply with a JSON list of tool calls."},
              {"role": "user", "content": "Call get_weather for Paris and send_email to bob."}]
    gen = small_engine.generate(prompt, grammar=grammar, max_new_tokens=120)
    calls = json.loads(gen.text)
    assert isinstance(calls, list) and calls, "the grammar allows [], but this request names two calls"
    for call in calls:
        tool = registry.get(call["name"])
        assert tool is not None, call
        tool.validate(call["arguments"])


def test_sampling_with_a_seed_is_reproducible(small_engine):
    s = Sampling(temperature=0.8, top_p=0.9, top_k=40, seed=123)
    a = small_engine.generate(COUNT, max_new_tokens=12, sampling=s)
    b = small_engine.generate(COUNT, max_new_tokens=12, sampling=s)
    assert a.text == b.text


def test_lora_adapter_switch(small_engine, tmp_path):
    """A LoRA with non-zero weights changes the output when on; off reproduces the base token for token."""
    import torch
    from peft import LoraConfig, get_peft_model

    from slmreact_cli.config import Profile
    from slmreact_cli.models.hf import TransformersEngine

    prompt = [{"role": "user", "content": "Name three colours."}]
    base = small_engine.generate(prompt, max_new_tokens=16).text

    source = small_engine.model.name_or_path
    engine = TransformersEngine.load(Profile(name="base", engine="transformers", source=source))
    torch.manual_seed(0)
    config = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(engine.model, config)
    adapter_dir = tmp_path / "adapter"
    peft_model.save_pretrained(adapter_dir)
    del engine, peft_model

    switched = TransformersEngine.load(Profile(name="lora", engine="transformers", source=source,
                                               adapter=str(adapter_dir)))
    assert switched.lora_roles == {"calling"}
    on = switched.generate(prompt, max_new_tokens=16, role="calling").text
    off = switched.generate(prompt, max_new_tokens=16, role="reasoning").text
    on_again = switched.generate(prompt, max_new_tokens=16, role="calling").text
    assert off == base
    assert on != base
    assert on_again == on  # the adapter-on cache never served the adapter-off call, or the reverse


def test_reasoning_adapter_from_gguf_is_on_for_reasoning_only(small_engine):
    """The bundled GGUF LoRA, read into peft: it changes reasoning turns, while the function-calling
    state runs on the base weights token for token."""
    from slmreact_cli.config import Profile, resolve_model
    from slmreact_cli.models.gguf_lora import read_gguf_lora
    from slmreact_cli.models.hf import TransformersEngine
    from slmreact_cli.paths import adapter_path
    from slmreact_cli.prompts import reasoning_system_prompt
    from slmreact_cli.tool_loading import load_registry

    lora = adapter_path(resolve_model(SMALL_PROFILE).reasoning_adapter)
    config, state = read_gguf_lora(lora)
    assert config.r == 8 and len(config.target_modules) == 7 and len(state) == 24 * 7 * 2
    tuned = TransformersEngine.load(Profile(name="tuned", engine="transformers", source=small_engine.model.name_or_path,
                                            reasoning_adapter=str(lora)))
    assert tuned.lora_roles == {"reasoning"}
    turn = [{"role": "system", "content": reasoning_system_prompt(load_registry(None))},
            {"role": "user", "content": "Question: How many days are there from 2024-03-01 to 2024-07-19, "
                                        "and what weekday is the later date?"},
            {"role": "assistant", "content": "Thought:"}]
    base = small_engine.generate(turn, stop=["PAUSE"], max_new_tokens=24).text
    reasoning = tuned.generate(turn, stop=["PAUSE"], max_new_tokens=24).text
    assert reasoning != base
    assert tuned.generate(turn, stop=["PAUSE"], max_new_tokens=24, role="calling").text == base
    assert tuned.generate(turn, stop=["PAUSE"], max_new_tokens=24).text == reasoning


def test_gguf_loras_in_both_roles_each_act_in_their_own_role_only(small_engine):
    """The shipped calling LoRA (a GGUF file, as llama.cpp takes it) loads into the transformers
    engine beside the reasoning one: each role's logits move away from the base weights, and
    differently, while a role without a LoRA in a one-LoRA engine stays on the base weights."""
    import torch

    from slmreact_cli.config import Profile, resolve_model
    from slmreact_cli.models.hf import TransformersEngine
    from slmreact_cli.paths import adapter_path

    source = small_engine.model.name_or_path
    calling = adapter_path("bundled:qwen2.5-coder-0.5b-calls.gguf")
    reasoning = adapter_path(resolve_model(SMALL_PROFILE).reasoning_adapter)
    both = TransformersEngine.load(Profile(name="both", engine="transformers", source=source,
                                           adapter=str(calling), reasoning_adapter=str(reasoning)))
    assert both.lora_roles == {"calling", "reasoning"}
    ids = torch.tensor([both.encode([{"role": "user", "content": "List the fleur salt ponds."}])])

    def last_logits(engine, role):
        with torch.no_grad(), engine._adapter_context(role):
            return engine.model(ids).logits[0, -1].float()

    with torch.no_grad():
        base = small_engine.model(ids).logits[0, -1].float()
    on_calling, on_reasoning = last_logits(both, "calling"), last_logits(both, "reasoning")
    assert not torch.allclose(on_calling, base, atol=1e-3)
    assert not torch.allclose(on_reasoning, base, atol=1e-3)
    assert not torch.allclose(on_calling, on_reasoning, atol=1e-3)
    del both
    only_calling = TransformersEngine.load(Profile(name="calls", engine="transformers", source=source,
                                                   adapter=str(calling)))
    assert torch.allclose(last_logits(only_calling, "reasoning"), base, atol=1e-4)
