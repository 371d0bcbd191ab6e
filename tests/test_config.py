"""Profiles: shipped ones load; unknown keys, names and files give errors that list what is valid."""
import pytest

from slmreact_cli.config import load_profiles, resolve_model
from slmreact_cli.errors import ConfigError


def test_shipped_profiles():
    profiles = load_profiles()
    assert {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "phi-3.5-mini-xlam"} <= set(profiles)
    assert profiles["phi-3.5-mini-xlam"].engine == "unsloth"
    assert profiles["phi-3.5-mini-xlam"].adapter == "akshayballal/phi-3.5-mini-xlam-function-calling"


def test_both_embedded_profiles_ship_their_reasoning_adapter(home):
    from slmreact_cli.paths import adapter_path

    for name in ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"):
        spec = load_profiles()[name].reasoning_adapter
        assert spec == f"bundled:{name}-react.gguf" and adapter_path(spec).is_file()
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.mine]\nsource = "x/y"\nengine = "unsloth"\nreasoning_adapter = "r.gguf"\n')
    with pytest.raises(ConfigError, match="reasoning_adapter needs the llama.cpp or transformers engine"):
        load_profiles()


def test_default_is_the_embedded_1_5b(home):
    assert resolve_model(None).name == "qwen2.5-coder-1.5b"


def test_unknown_profile_name_lists_valid(home):
    with pytest.raises(ConfigError, match="unknown model 'nonesuch'.*qwen2.5-coder-0.5b"):
        resolve_model("nonesuch")


def test_missing_model_file(home, tmp_path):
    with pytest.raises(ConfigError, match="model file not found"):
        resolve_model(str(tmp_path / "missing.gguf"))


def test_user_profile_unknown_key_and_wrong_type(home):
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[profiles.mine]\nsource = "x/y"\ntemprature = 0.2\n')
    with pytest.raises(ConfigError, match="unknown key 'temprature' \\(valid keys: .*adapter"):
        load_profiles()
    cfg.write_text('[profiles.mine]\nsource = "x/y"\nmax_seq_length = "long"\n')
    with pytest.raises(ConfigError, match="max_seq_length"):
        load_profiles()
    cfg.write_text('[profiles.mine]\nsource = "x/y"\n[profiles.mine.generation]\ntemperature = 0.3\n')
    assert load_profiles()["mine"].generation.temperature == 0.3
    cfg.write_text('[profiles.mine]\nsource = "x/y"\nhistory = "full"\n')
    assert load_profiles()["mine"].history == "full"
    cfg.write_text('[profiles.mine]\nsource = "x/y"\nhistory = "everything"\n')
    with pytest.raises(ConfigError, match="history"):
        load_profiles()
    cfg.write_text("this is = not toml [")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_profiles()


def test_unsloth_engine_without_gpu_is_one_clear_line():
    from slmreact_cli.errors import EngineUnavailable
    from slmreact_cli.models.unsloth import check_available

    with pytest.raises(EngineUnavailable, match='gpu extra|NVIDIA GPU'):
        check_available()


def test_server_profiles_validate_their_server_table(home):
    profiles = load_profiles()
    vllm = profiles["vllm-qwen2.5-1.5b-fc"]
    assert vllm.engine == "openai" and vllm.server.adapter_model == "fc" and not vllm.source
    assert profiles["llama-server-qwen2.5-coder-1.5b"].server.shared_prompt_cache
    cfg = home / "config" / "config.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text('[profiles.srv]\nengine = "openai"\n[profiles.srv.server]\nbase_url = "http://x/v1"\n'
                   'model = "m"\nadapter_modle = "fc"\n')
    with pytest.raises(ConfigError, match="unknown key 'server.adapter_modle'.*adapter_model"):
        load_profiles()
    cfg.write_text('[profiles.srv]\nengine = "openai"\n')
    with pytest.raises(ConfigError, match=r'engine = "openai" needs a \[server\] table'):
        load_profiles()
