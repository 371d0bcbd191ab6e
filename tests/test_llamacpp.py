"""The llama.cpp engine on the real embedded 0.5B GGUF (runs where llama-cpp-python is installed)."""
import json

import pytest

pytest.importorskip("llama_cpp")

from conftest import SMALL_PROFILE  # noqa: E402
from slmreact_cli.config import Profile, resolve_model  # noqa: E402
from slmreact_cli.loop.calling import calls_schema  # noqa: E402
from slmreact_cli.models.llamacpp import LlamaCppEngine  # noqa: E402
from slmreact_cli.tool_loading import load_registry  # noqa: E402

pytestmark = pytest.mark.model

COUNT = [{"role": "system", "content": "You are helpful."},
         {"role": "user", "content": "Count from 1 to 20 separated by commas."}]


def small_profile(**changes) -> Profile:
    """The embedded 0.5B on the llama.cpp engine, on its base weights unless `changes` name a LoRA."""
    return resolve_model(SMALL_PROFILE).model_copy(
        update={"engine": "llama.cpp", "reasoning_adapter": None, "adapter": None, "max_seq_length": 4096,
                **changes})


@pytest.fixture(scope="module")
def engine():
    return LlamaCppEngine.load(small_profile())


def test_generation_stop_strings_and_continuation(engine):
    full = engine.generate(COUNT, max_new_tokens=30)
    assert full.text.startswith("1, 2, 3")
    stopped = engine.generate(COUNT, stop=["6,"], max_new_tokens=30)
    assert stopped.usage.stop_reason == "stop" and stopped.text.rstrip().endswith("5,") and "6" not in stopped.text
    assert stopped.usage.cached_tokens > 20
    cont = engine.generate(COUNT + [{"role": "assistant", "content": "1, 2, 3"}], max_new_tokens=6)
    assert cont.text.startswith(", 4")


def test_prefix_reuse_gives_identical_output(engine):
    engine.reset_cache()
    cached = [engine.generate(COUNT, max_new_tokens=20).text for _ in range(2)]
    engine.prefix_cache_enabled = False
    try:
        uncached = engine.generate(COUNT, max_new_tokens=20).text
    finally:
        engine.prefix_cache_enabled = True
    assert cached[0] == cached[1] == uncached


def test_grammar_gives_valid_calls(engine):
    registry = load_registry(None)
    grammar = engine.compile_grammar(calls_schema(registry))
    gen = engine.generate([{"role": "user", "content": "Call get_weather for Paris."}], grammar=grammar,
                          max_new_tokens=150)
    calls = json.loads(gen.text)
    assert calls, "the grammar allows [], but the request asks for a call"
    for call in calls:
        registry.get(call["name"]).validate(call["arguments"])


def test_prompt_families_come_back_from_memory_and_disk_with_identical_output(tmp_path):
    """Reasoning and calling prompts alternate; each family's state is restored, not re-prefilled,
    and a new process starts from the system message's state on disk. Output never changes."""
    from slmreact_cli.prompts import calling_system_prompt, reasoning_system_prompt

    registry = load_registry(None)
    reasoning = [{"role": "system", "content": reasoning_system_prompt(registry)},
                 {"role": "user", "content": "Question: What is 17 times 23?"},
                 {"role": "assistant", "content": "Thought:"}]
    calling = [{"role": "system", "content": calling_system_prompt(registry)},
               {"role": "user", "content": "### Query:\nAction: calculate(expression=\"17 * 23\")"}]

    def load():
        engine = LlamaCppEngine.load(small_profile())
        engine.states.folder = tmp_path / "states"
        return engine

    first = load()
    runs = []
    for messages in (reasoning, calling, reasoning, calling):
        gen = first.generate(messages, stop=["PAUSE"], max_new_tokens=24)
        runs.append((first.last_prefix_source, gen.text, gen.usage.cached_tokens))
    assert [r[0] for r in runs] == ["prefill", "prefill", "memory", "memory"]
    assert runs[0][1] == runs[2][1] and runs[1][1] == runs[3][1]
    assert runs[2][2] >= len(first._system_tokens(reasoning, None))

    second = load()  # a new process: the system message's state comes from disk
    gen = second.generate(reasoning, stop=["PAUSE"], max_new_tokens=24)
    assert second.last_prefix_source == "disk" and gen.text == runs[0][1]
    second.prefix_cache_enabled = False
    assert second.generate(reasoning, stop=["PAUSE"], max_new_tokens=24).text == runs[0][1]


def test_warm_up_prepares_the_system_prefix_for_the_first_request(engine):
    from slmreact_cli.prompts import reasoning_system_prompt

    system = {"role": "system", "content": reasoning_system_prompt(load_registry(None))}
    engine.reset_cache()
    engine.warm([system])
    assert engine.last_prefix_source in ("disk", "prefill")
    gen = engine.generate([system, {"role": "user", "content": "Question: What is 2 + 2?"},
                           {"role": "assistant", "content": "Thought:"}], stop=["PAUSE"], max_new_tokens=16)
    assert engine.last_prefix_source == "live"
    assert gen.usage.cached_tokens >= len(engine._system_tokens([system], None))


def test_reasoning_adapter_is_on_for_reasoning_turns_only(engine):
    """The bundled reasoning LoRA changes what the model writes in a reasoning turn; the function-
    calling state runs on the base weights, token for token, and switching back restores the LoRA."""
    from slmreact_cli.prompts import reasoning_system_prompt

    tuned = LlamaCppEngine.load(small_profile(reasoning_adapter=resolve_model(SMALL_PROFILE).reasoning_adapter))
    assert tuned.lora_roles == {"reasoning"}
    turn = [{"role": "system", "content": reasoning_system_prompt(load_registry(None))},
            {"role": "user", "content": "Question: How many days are there from 2024-03-01 to 2024-07-19, "
                                        "and what weekday is the later date?"},
            {"role": "assistant", "content": "Thought:"}]


    def run(e, role="reasoning"):
        return e.generate(turn, stop=["PAUSE"], max_new_tokens=40, role=role).text

    # Whole prompts evaluated afresh: a prefix evaluated in other batches can flip a near tie.
    engine.prefix_cache_enabled = tuned.prefix_cache_enabled = False
    try:
        base, reasoning = run(engine), run(tuned)
        assert reasoning != base
        assert run(tuned, role="calling") == base
        assert run(tuned) == reasoning
    finally:
        engine.prefix_cache_enabled = True
    # With the cache: the reasoning state comes back from memory after a calling-state turn, unchanged.
    tuned.prefix_cache_enabled = True
    tuned.states.folder = None
    run(tuned)
    live = run(tuned)
    run(tuned, role="calling")
    assert run(tuned) == live and tuned.last_prefix_source == "memory"


def test_missing_or_foreign_lora_file_is_a_model_error(tmp_path):
    from slmreact_cli.errors import ModelError

    with pytest.raises(ModelError, match="not found"):
        LlamaCppEngine.load(small_profile(reasoning_adapter=str(tmp_path / "missing.gguf"), max_seq_length=512))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file")
    with pytest.raises(ModelError, match="cannot load the LoRA adapter"):
        LlamaCppEngine.load(small_profile(reasoning_adapter=str(junk), max_seq_length=512))
