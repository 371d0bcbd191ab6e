"""The unsloth engine's own code on the CPU, without unsloth: its `generate()` thread, streamer,
stopping criterion, token counts, LoRA switch and grammar refusal.

A tiny Qwen2 model whose weights are set by hand stands in for unsloth's 4-bit model (unsloth patches
the same transformers `generate()`): attention and MLP write nothing, so each next token depends on
the current one only, and greedy decoding writes "ab cd\\n" over and over after any prompt.
tests/gpu/ runs the real thing.
"""
from __future__ import annotations

import threading

import pytest

torch = pytest.importorskip("torch")

from slmreact_cli.models.unsloth import UnslothEngine  # noqa: E402

CYCLE = "ab cd\n"
QUESTION = [{"role": "user", "content": "hello"}]


def tiny_model():
    """(model, tokenizer): a byte-level tokenizer with a plain-text chat template, and a model that
    continues any text with CYCLE, repeated."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tokenizer.chat_template = ("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                               "{% if add_generation_prompt %}assistant:{% endif %}")
    size = len(vocab)  # the special tokens lie past the model's vocabulary: it never writes them
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=size, hidden_size=512, intermediate_size=16, num_hidden_layers=1,
                                         num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=4096,
                                         tie_word_embeddings=False))
    ids = token_ids(tokenizer)
    following = {ids[a]: ids[b] for a, b in zip(CYCLE, CYCLE[1:] + CYCLE[0])}
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.zero_()
        model.model.embed_tokens.weight[:, :size] = torch.eye(size)
        model.lm_head.weight.zero_()
        for token in range(size):
            model.lm_head.weight[following.get(token, ids["a"]), token] = 1.0
    return model.eval(), tokenizer


def token_ids(tokenizer) -> dict[str, int]:
    return {c: tokenizer.encode(c, add_special_tokens=False)[0] for c in CYCLE + "z"}


@pytest.fixture(scope="module")
def engine():
    model, tokenizer = tiny_model()
    return UnslothEngine(model, tokenizer, model_id="tiny", device="cpu", context_length=4096)


@pytest.fixture(autouse=True)
def uncancelled(engine):
    engine.cancel.clear()
    yield
    engine.cancel.clear()


def test_generates_until_the_token_limit(engine):
    gen = engine.generate(QUESTION, max_new_tokens=14)
    assert gen.text == "ab cd\nab cd\nab" and gen.usage.new_tokens == 14 and gen.usage.stop_reason == "length"
    assert gen.usage.prompt_tokens == len(engine.encode(QUESTION))


def test_the_token_limit_is_clamped_to_the_context_window(engine):
    prompt = len(engine.encode(QUESTION))
    engine.context_length = prompt + 4
    try:
        gen = engine.generate(QUESTION, max_new_tokens=100)
    finally:
        engine.context_length = 4096
    assert gen.usage.new_tokens == 4 and gen.usage.stop_reason == "length"


def test_a_stop_string_ends_generate_and_is_not_returned(engine):
    gen = engine.generate(QUESTION, stop=["cd", "PAUSE"], max_new_tokens=500)
    assert gen.text == "ab " and gen.usage.stop_reason == "stop"
    assert gen.usage.new_tokens == 5  # generate() stopped at "cd", not at the limit


def test_cancel_stops_generate_at_the_next_token(engine):
    engine.cancel.cancel()
    gen = engine.generate(QUESTION, max_new_tokens=500)
    assert gen.text == "" and gen.usage.stop_reason == "interrupted" and gen.usage.new_tokens == 1


def test_closing_the_stream_stops_the_generate_thread(engine):
    forwards = []
    hook = engine.model.register_forward_hook(lambda *_: forwards.append(1))
    try:
        stream = engine.stream(QUESTION, max_new_tokens=1000)
        assert next(stream) == "ab "
        stream.close()  # waits for the thread
    finally:
        hook.remove()
    assert 3 <= len(forwards) < 1000
    assert not any(t.name == "unsloth-generate" for t in threading.enumerate())


def test_a_failing_generate_is_a_model_error_not_a_hang(engine, monkeypatch):
    from slmreact_cli.errors import ModelError

    def broken(**_):
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setattr(engine.model, "generate", broken)
    with pytest.raises(ModelError, match="out of memory"):
        engine.generate(QUESTION, max_new_tokens=5)


def test_the_calling_lora_is_on_in_the_calling_role_only(tmp_path):
    from peft import LoraConfig, get_peft_model

    from slmreact_cli.models.hf import load_peft_adapter

    model, tokenizer = tiny_model()
    lora = get_peft_model(model, LoraConfig(r=1, lora_alpha=1, target_modules=["lm_head"]))
    with torch.no_grad():  # the LoRA makes the model write "z" whatever came before
        lora.base_model.model.lm_head.lora_A["default"].weight.fill_(1.0)
        lora.base_model.model.lm_head.lora_B["default"].weight[token_ids(tokenizer)["z"]] = 100.0
    lora.save_pretrained(tmp_path / "lora", save_embedding_layers=False)
    base, tokenizer = tiny_model()
    engine = UnslothEngine(load_peft_adapter(base, str(tmp_path / "lora")), tokenizer, model_id="tiny",
                           device="cpu", lora_roles=frozenset({"calling"}), context_length=4096)
    assert engine.generate(QUESTION, max_new_tokens=6, role="reasoning").text == CYCLE
    assert engine.generate(QUESTION, max_new_tokens=6, role="calling").text == "z" * 6
    assert engine.generate(QUESTION, max_new_tokens=6, role="reasoning").text == CYCLE


def test_refuses_a_grammar_and_the_calling_step_is_logged_unconstrained(engine, registry):
    from slmreact_cli.loop.calling import CallingStep, calls_schema

    assert not engine.supports_grammar and engine.compile_grammar(calls_schema(registry)) is None
    with pytest.raises(ValueError, match="cannot constrain"):
        engine.generate(QUESTION, grammar={"json_schema": {}})
    step = CallingStep(engine, registry, constrained=True, max_new_tokens=8)
    assert step.grammar is None and step.single_call_grammar is None
    result = step.run("What is 2 + 3?", [], ["add two and three"])
    assert result.turns and all(constrained is False for *_, constrained in result.turns)
